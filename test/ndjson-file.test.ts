// hunt --out's file writer (outputs/ndjson.ts writeNdjsonFile) encodes documents
// into a buffer of its own and writes it whole: the file must hold exactly the
// lines toNdjson makes, whatever the characters and sizes, across the buffer's
// edges, and a document bigger than the buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toNdjson, writeNdjsonFile } from '../src/outputs/ndjson.js';
import type { AlertDocument } from '../src/model/alert.js';

/** Documents of many sizes, with characters of one to four UTF-8 bytes and characters JSON escapes. */
function documents(): AlertDocument[] {
  const texts = ['plain ascii', 'Zürich – Ørsted', '東京都 新宿区', 'mail 📧 from 🏴‍☠️', 'quote " backslash \\ tab \t nul \u0000', 'lone \ud800 surrogate'];
  const docs: object[] = [];
  for (let i = 0; i < 3000; i++) {
    const text = texts[i % texts.length]!;
    docs.push({ n: i, user_agent: { original: text.repeat(1 + (i * 7919) % 300) }, nested: { list: [i, text, null, true] } });
  }
  // One bigger than the writer's buffer (1 MB) even as ASCII, in the middle.
  docs.splice(1500, 0, { big: 'x'.repeat(3 * 1024 * 1024), tail: '東'.repeat(100_000) });
  return docs as AlertDocument[];
}

test('writeNdjsonFile writes exactly the lines toNdjson makes, across its buffer and past it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-ndjson-file-'));
  const docs = documents();
  const path = join(dir, 'alerts.ndjson');
  await writeNdjsonFile(docs, path);
  const want = Buffer.from(toNdjson(docs));
  const got = readFileSync(path);
  assert.ok(want.length > 8 * 1024 * 1024, `several buffers' worth (${want.length} bytes)`);
  assert.equal(got.length, want.length);
  assert.ok(got.equals(want), 'byte for byte');
});

test('writeNdjsonFile empties a file it writes over, and writes an empty file for no alerts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-ndjson-file-'));
  const path = join(dir, 'alerts.ndjson');
  writeFileSync(path, 'an older, longer output\n'.repeat(1000));
  await writeNdjsonFile([{ n: 1 }] as unknown as AlertDocument[], path);
  assert.equal(readFileSync(path, 'utf8'), '{"n":1}\n');
  await writeNdjsonFile([], path);
  assert.equal(readFileSync(path, 'utf8'), '');
});
