// Framing: every container shape becomes records with their file:line, and bad
// input becomes a located problem without losing the valid records around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { frameFile, DEFAULT_FRAMING, type FramedItem, type FramingOptions } from '../src/inputs/framing.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-framing-'));
let n = 0;

async function frame(content: string | Buffer, name = `f${n++}.json`, opts: Partial<FramingOptions> = {}): Promise<FramedItem[]> {
  const p = join(dir, name);
  writeFileSync(p, content);
  const out: FramedItem[] = [];
  for await (const b of frameFile(p, name, { ...DEFAULT_FRAMING, ...opts })) out.push(...b);
  return out;
}

const where = (items: FramedItem[]): string[] =>
  items.map((i) => `${i.kind}@${i.origin.line}${i.origin.index !== undefined ? `[${i.origin.index}]` : ''}`);

test('NDJSON with CRLF, BOM and blank lines keeps line numbers', async () => {
  const items = await frame('\uFEFF{"a":1}\r\n\r\n{"a":2}\r\n{"a":3}');
  assert.deepEqual(where(items), ['json@1', 'json@3', 'json@4']);
  assert.deepEqual(items.map((i) => (i.kind === 'json' ? i.value.a : null)), [1, 2, 3]);
});

test('an invalid or truncated line is a located problem; its neighbours survive', async () => {
  const items = await frame('{"a":1}\n{"a":2,\n{"a":3}\n{"a":4');
  assert.deepEqual(where(items), ['json@1', 'problem@2', 'json@3', 'problem@4']);
  const p = items[1]!;
  assert.equal(p.kind === 'problem' && p.reason, 'invalid-json');
});

test('JSON arrays, records/value envelopes (one line or pretty-printed) become one record per element', async () => {
  assert.deepEqual(where(await frame('[{"a":1},{"a":2}]')), ['json@1[0]', 'json@1[1]']);
  assert.deepEqual(where(await frame('{"records":[{"a":1},{"a":2}]}\n{"a":3}')), ['json@1[0]', 'json@1[1]', 'json@2']);
  const pretty = JSON.stringify({ '@odata.context': 'x', value: [{ a: 1 }, { a: 2 }, { a: 3 }] }, null, 2);
  // Streamed element by element: each record keeps the line it starts on.
  assert.deepEqual(where(await frame(pretty)), ['json@4[0]', 'json@7[1]', 'json@10[2]']);
  const single = JSON.stringify({ a: 1, b: { c: 2 } }, null, 2);
  assert.deepEqual(where(await frame(single)), ['json@1']);
  // An array element that is not an object is a problem, not a crash.
  assert.deepEqual(where(await frame('[{"a":1}, 5, null]')), ['json@1[0]', 'problem@1[1]', 'problem@1[2]']);
});

test('binary and empty files are file-level problems', async () => {
  const bin = Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00, 0x7b, 0x7d]);
  const b = await frame(bin, 'blob.bin');
  assert.equal(b.length, 1);
  assert.equal(b[0]!.kind === 'problem' && b[0]!.reason, 'binary-file');
  const e = await frame('', 'empty.json');
  assert.equal(e[0]!.kind === 'problem' && e[0]!.reason, 'empty-file');
  const ws = await frame('  \n\n ', 'blank.log');
  assert.equal(ws[0]!.kind === 'problem' && ws[0]!.reason, 'empty-file');
});

test('gzip is unwrapped by its magic bytes, whatever the name', async () => {
  const items = await frame(gzipSync('{"a":1}\n{"a":2}\n'), 'export.log');
  assert.deepEqual(where(items), ['json@1', 'json@2']);
});

test('an over-long line is reported and skipped without holding it; the next line survives', async () => {
  const huge = `{"a":"${'x'.repeat(3 * 1024 * 1024)}"}`;
  const items = await frame(`{"a":1}\n${huge}\n{"a":3}\n`, 'long.json', { maxRecordBytes: 1024 * 1024 });
  assert.deepEqual(where(items), ['json@1', 'problem@2', 'json@3']);
  assert.equal(items[1]!.kind === 'problem' && items[1]!.reason, 'record-too-large');
});

test('CSV exports: BOM, CRLF, quoted JSON with doubled quotes and newlines; rows keep their first line', async () => {
  // Pretty-printed: the cell spans four physical lines.
  const audit = JSON.stringify({ Operation: 'MailItemsAccessed', Note: 'line2 "quoted"' }, null, 1);
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  const csv = `\uFEFFCreationDate,UserIds,Operations,AuditData\r\n2026-03-02T10:00:00.0000000Z,a@x.com,MailItemsAccessed,${q(audit)}\r\n2026-03-02T11:00:00.0000000Z,b@x.com,UserLoggedIn,${q('{"x":1}')}\r\n`;
  const items = await frame(csv, 'audit.csv');
  assert.deepEqual(where(items), ['csv@2', 'csv@6']);
  const first = items[0]!;
  assert.ok(first.kind === 'csv');
  assert.equal(first.value.UserIds, 'a@x.com');
  assert.deepEqual(JSON.parse(first.value.AuditData!), { Operation: 'MailItemsAccessed', Note: 'line2 "quoted"' });
});

test('a CSV with an unterminated quote reports the problem and keeps earlier rows', async () => {
  const csv = 'CreationDate,UserIds,Operations,AuditData\n2026-03-02,a,Op,"{""x"":1}"\n2026-03-02,b,Op,"{""broken\n';
  const items = await frame(csv, 'broken.csv');
  assert.equal(items[0]!.kind, 'csv');
  assert.ok(items.some((i) => i.kind === 'problem' && i.reason === 'invalid-csv'));
});

test('a CSV row over the record limit is reported at its line and skipped; every row after it is read', async () => {
  // A hostile or broken export: one row longer than the limit, with line breaks in its quoted cell.
  const long = `"${'x'.repeat(300)}\n${'y'.repeat(300)}"`;
  const csv = `CreationDate,UserIds,AuditData\r\n2026-03-02T10:00:00Z,a,"{}"\r\n2026-03-02T10:00:01Z,b,${long}\r\n2026-03-02T10:00:02Z,c,"{}"\r\n2026-03-02T10:00:03Z,d,"{}"\r\n`;
  const items = await frame(csv, 'long.csv', { maxRecordBytes: 256 });
  assert.deepEqual(where(items), ['csv@2', 'problem@3', 'csv@5', 'csv@6']);
  assert.equal(items[1]!.kind === 'problem' && items[1]!.reason, 'record-too-large');
  assert.deepEqual(items.map((i) => (i.kind === 'csv' ? i.value['UserIds'] : null)), ['a', null, 'c', 'd']);
});

test('UTF-16LE exports (with BOM) are read as text', async () => {
  const text = '{"a":1}\n{"a":"é"}\n';
  const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const items = await frame(buf, 'u16.json');
  assert.deepEqual(items.map((i) => (i.kind === 'json' ? i.value.a : null)), [1, 'é']);
});

test('plain text lines become text records', async () => {
  const items = await frame('Jan  2 03:04:05 fw1 something\nsecond line\n', 'syslog.log');
  assert.deepEqual(where(items), ['text@1', 'text@2']);
});

test('Zeek TSV logs: header lines name the columns; unset fields are left out, sets split', async () => {
  const log = [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tnotice',
    '#fields\tts\tuid\tsrc\tdst\tnote\tmsg\tactions',
    '#types\ttime\tstring\taddr\taddr\tenum\tstring\tset[enum]',
    '1551393388.426472\t-\t89.160.20.156\t10.0.0.1\tScan::Port_Scan\tscanned ports\tNotice::ACTION_LOG,Notice::ACTION_EMAIL',
    '1551393389.000000\tCx1\t89.160.20.157\t-\tSSH::Password_Guessing\t(empty)\tNotice::ACTION_LOG',
    '1551393390.000000\ttoo-few-columns',
    '#close\t2019-03-01-00-00-00',
  ].join('\n');
  const items = await frame(log, 'notice.log');
  assert.deepEqual(where(items), ['json@8', 'json@9', 'problem@10']);
  assert.deepEqual(items[0]!.kind === 'json' && items[0]!.value, {
    _path: 'notice', ts: '1551393388.426472', src: '89.160.20.156', dst: '10.0.0.1', note: 'Scan::Port_Scan',
    msg: 'scanned ports', actions: ['Notice::ACTION_LOG', 'Notice::ACTION_EMAIL'],
  });
  assert.equal(items[1]!.kind === 'json' && items[1]!.value.msg, '');
  assert.equal(items[1]!.kind === 'json' && 'dst' in items[1]!.value, false);
});

test('JSON behind a syslog header is framed as the JSON record', async () => {
  const items = await frame('<134>Mar  2 10:00:00 ids01 suricata[812]: {"event_type":"alert","src_ip":"81.2.69.160"}\nMar  2 10:00:01 fw plain text {not json}\n', 'eve-syslog.log');
  assert.deepEqual(where(items), ['json@1', 'text@2']);
  assert.equal(items[0]!.kind === 'json' && items[0]!.value.src_ip, '81.2.69.160');
});

test('streamed arrays: strings with brackets, quotes and escapes, any chunking, truncation keeps earlier records', async () => {
  const { JsonArraySplitter } = await import('../src/inputs/json-stream.js');
  const records = [
    { a: 'x], {"y": [1,2]}', b: 'quote \\" and backslash \\\\' },
    { nested: { deep: [[{ k: '}' }]] }, s: '\n' },
    { unicode: 'é ü 日本', emptyArr: [], emptyObj: {} },
  ];
  const doc = Buffer.from(`{"records": ${JSON.stringify(records, null, 1)}}`);
  for (const size of [1, 2, 3, 7, 64, doc.length]) {
    const sp = new JsonArraySplitter(1 << 20);
    const got: unknown[] = [];
    for (let i = 0; i < doc.length; i += size) {
      for (const ev of sp.feed(doc.subarray(i, i + size))) if (ev.kind === 'element') got.push(JSON.parse(ev.element.text));
    }
    assert.deepEqual(got, records, `chunk size ${size}`);
    assert.equal(sp.complete(), true);
    assert.equal(sp.shape(), 'envelope');
  }
  const arr = JSON.stringify(records);
  const truncated = await frame(arr.slice(0, arr.length - 20), 'cut.json');
  assert.deepEqual(where(truncated).slice(0, 2), ['json@1[0]', 'json@1[1]']);
  assert.ok(truncated.some((i) => i.kind === 'problem' && i.reason === 'invalid-json' && /ends early/.test(i.message)));
  const big = await frame(`[{"a":1},{"b":"${'x'.repeat(5000)}"},{"c":3}]`, 'big.json', { maxRecordBytes: 1000 });
  assert.deepEqual(where(big), ['json@1[0]', 'problem@1[1]', 'json@1[2]']);
  // A pretty-printed single record is not an envelope: parsed whole.
  assert.deepEqual(where(await frame(JSON.stringify({ category: 'SignInLogs', value: [1, 2] }, null, 2), 'one.json')), ['json@1']);
});

test('property: the streaming splitter cuts any array of records exactly, however the bytes are chunked', async () => {
  const fc = (await import('fast-check')).default;
  const { JsonArraySplitter } = await import('../src/inputs/json-stream.js');
  fc.assert(fc.property(
    fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), { maxLength: 8 }),
    fc.boolean(), fc.integer({ min: 1, max: 50 }), fc.constantFrom(0, 1, 2),
    (records, envelope, size, indent) => {
      const body = JSON.stringify(records, null, indent);
      const doc = Buffer.from(envelope ? `{"records": ${body}}` : body);
      const sp = new JsonArraySplitter(1 << 20);
      const got: unknown[] = [];
      for (let i = 0; i < doc.length; i += size) {
        for (const ev of sp.feed(doc.subarray(i, i + size))) if (ev.kind === 'element') got.push(JSON.parse(ev.element.text));
      }
      assert.deepEqual(got, JSON.parse(body));
      assert.equal(sp.complete(), true);
    },
  ), { numRuns: 300 });
});
