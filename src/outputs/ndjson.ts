// NDJSON sink: one alert document per line, to stdout or a file.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { AlertDocument, SigmaAlertDocument } from '../model/alert.js';

export function toNdjson(alerts: AlertDocument[]): string {
  return alerts.map((a) => `${JSON.stringify(a)}\n`).join('');
}

/** Writes all alerts and waits until they are flushed. */
export async function writeNdjson(alerts: readonly (AlertDocument | SigmaAlertDocument)[], out: Writable): Promise<void> {
  for (const a of alerts) {
    if (!out.write(`${JSON.stringify(a)}\n`)) await once(out, 'drain');
  }
}

export async function writeNdjsonFile(alerts: readonly (AlertDocument | SigmaAlertDocument)[], path: string): Promise<void> {
  const out = createWriteStream(path);
  await writeNdjson(alerts, out);
  out.end();
  await once(out, 'finish');
}
