// NDJSON sink: one alert document per line, to stdout or a file.
import { closeSync, openSync, writeSync } from 'node:fs';
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

/** What writeNdjsonFile gathers before each write. */
const FILE_BUFFER_BYTES = 1024 * 1024;

/**
 * Writes all alerts to a file, made or emptied first. With write(2) straight
 * from this thread, not a stream: a stream hands each chunk to libuv's thread
 * pool and takes the next only when this thread comes back for it, so writing
 * 100 MB of alerts (5M records, half of them from alerted IPs) left the thread
 * idle ~0.12 s of its ~1 s while it waited for room. A write to a file returns
 * as soon as the system has the bytes, and nothing else runs on this thread at
 * the end of a hunt.
 */
export async function writeNdjsonFile(alerts: Iterable<AlertDocument | SigmaAlertDocument>, path: string): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    // Each document's JSON is encoded straight into one buffer (no joined string of
    // lines, no line + newline string): 100 MB of alerts spent ~0.2 s on those copies.
    const buf = Buffer.allocUnsafe(FILE_BUFFER_BYTES);
    let used = 0;
    const writeAll = (bytes: Buffer, length: number): void => {
      // (A write may take fewer bytes than it was given: the rest, until all are taken or it fails.)
      for (let at = 0; at < length;) at += writeSync(fd, bytes, at, length - at);
    };
    for (const a of alerts) {
      const json = JSON.stringify(a);
      // (UTF-8 takes at most 3 bytes for each UTF-16 unit; and the newline.)
      const most = json.length * 3 + 1;
      if (used + most > buf.length) {
        writeAll(buf, used);
        used = 0;
      }
      if (most > buf.length) {
        const line = Buffer.from(`${json}\n`);
        writeAll(line, line.length);
        continue;
      }
      used += buf.write(json, used);
      buf[used++] = 0x0a;
    }
    writeAll(buf, used);
  } finally {
    closeSync(fd);
  }
}
