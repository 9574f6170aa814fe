// NDJSON sink: one alert document per line, to stdout or a file.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { AlertDocument, SigmaAlertDocument } from '../model/alert.js';

export function toNdjson(alerts: AlertDocument[]): string {
  return alerts.map((a) => `${JSON.stringify(a)}\n`).join('');
}

/**
 * Lines are written in chunks of about this many characters: a busy hunt writes
 * tens of MB of alerts, and one write (and one wait for drain) per 2–5 KB
 * document was a third of a second of its tail. Not more: a string of over
 * 128 KB is made in V8's old generation, where only a full collection frees it,
 * and 1 MB chunks grew a hunt's heap by ~35 MB while it wrote 100 MB of alerts
 * (its memory's high point).
 */
const CHUNK_CHARS = 64 * 1024;

/** Writes all alerts and waits until they are flushed. */
export async function writeNdjson(alerts: Iterable<AlertDocument | SigmaAlertDocument>, out: Writable): Promise<void> {
  let chunk: string[] = [];
  let chars = 0;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const text = chunk.join('');
    chunk = [];
    chars = 0;
    if (!out.write(text)) await once(out, 'drain');
  };
  for (const a of alerts) {
    const line = `${JSON.stringify(a)}\n`;
    chunk.push(line);
    chars += line.length;
    if (chars >= CHUNK_CHARS) await flush();
  }
  await flush();
}

/**
 * Bytes a file's stream holds before the writer waits for them to be written: a
 * few chunks, so the next is made while the last is written (with room for one,
 * the writer waited on every chunk's write, ~0.1 s of a 100 MB output).
 */
const FILE_BUFFER_BYTES = 16 * CHUNK_CHARS;

export async function writeNdjsonFile(alerts: Iterable<AlertDocument | SigmaAlertDocument>, path: string): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: FILE_BUFFER_BYTES });
  await writeNdjson(alerts, out);
  out.end();
  await once(out, 'finish');
}
