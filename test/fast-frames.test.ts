// The byte-level framing must cut out exactly the records, with exactly the
// origins, that the full framing does: every record is framed here (sample =
// all), the file is read in pieces small enough to cut records, strings and
// CRLFs in two, and the items are compared with frameFile's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastFrameFile, NeedsFullFraming } from '../src/inputs/fast-frames.js';
import { frameFile, type FramedItem } from '../src/inputs/framing.js';
import { ScanKernel } from '../src/inputs/scan-kernel.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-fast-frames-'));
const kernel = new ScanKernel();
const MAX = 400; // maxRecordBytes: small, so over-long records occur

const signin = (i: number, extra = ''): string =>
  JSON.stringify({ time: `2026-03-02T10:00:0${i % 10}Z`, properties: { ipAddress: `81.2.69.${i}`, userPrincipalName: `u${i}@contoso.com`, note: `é "quoted" \\ back],{"x":1}${extra}` } });

const FILES: Record<string, string | Buffer> = {
  'lines.json': [signin(1), '', signin(2), '   ', `${signin(3)}\r`, '{"truncated": ', '<134>Mar  2 10:00:00 ids suricata[7]: {"event_type":"alert","src_ip":"81.2.69.9"}', signin(4, 'x'.repeat(500)), signin(5)].join('\n'),
  'lines-crlf.json': `\uFEFF${[signin(1), signin(2), signin(3)].join('\r\n')}\r\n`,
  'array.json': `[${[1, 2, 3, 4].map((i) => signin(i)).join(',')}]`,
  'array-pretty.json': JSON.stringify([1, 2, 3].map((i) => JSON.parse(signin(i)) as unknown), null, 2),
  'array-odd.json': `[ ${signin(1)} , "a string" , 42 , {"records":[${signin(2)},${signin(3)}]}, ${signin(4, 'y'.repeat(600))} ,${signin(5)}]\n`,
  'array-truncated.json': `[${signin(1)},${signin(2)},{"time":"2026-`,
  'envelope.json': `{"records": [\n${[1, 2, 3].map((i) => signin(i)).join(',\n')}\n]}`,
  'graph.json': JSON.stringify({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns', value: [1, 2].map((i) => JSON.parse(signin(i)) as unknown), '@odata.nextLink': 'https://graph.microsoft.com/next' }, null, 2),
  'empty-array.json': '[]',
  'audit.csv': `\uFEFFCreationDate,UserIds,Operations,AuditData\r\n2026-03-02T10:00:00Z,a@contoso.com,MailItemsAccessed,"{""CreationTime"":""2026-03-02T10:00:00"",""ClientIPAddress"":""81.2.69.1""}"\r\n\r\n2026-03-02T10:00:01Z,b@contoso.com,UserLoggedIn,"{""Note"":""two\nlines""}"\r\n2026-03-02T10:00:02Z,c@contoso.com,MailItemsAccessed,"{}"`,
  // Carriage returns inside quoted cells (bare, and CRLFs in an LF file and in a CRLF file) and
  // in an unquoted cell: csv-parse counts each as a line, which the rows after them are numbered by.
  'cr-in-cells.csv': 'CreationDate,UserIds,Operations,AuditData\n2026-03-02T10:00:00Z,a,Op,"x\ry"\n2026-03-02T10:00:01Z,b,Op,"x\r\ny"\n2026-03-02T10:00:02Z,c\rd,Op,"{}"\n2026-03-02T10:00:03Z,e,Op,"x\r\r\ny\n\rz"\n\n2026-03-02T10:00:04Z,f,Op,"{}"\n',
  'cr-in-cells-crlf.csv': 'CreationDate,UserIds,Operations,AuditData\r\n2026-03-02T10:00:00Z,a,Op,"x\ry"\r\n2026-03-02T10:00:01Z,b,Op,"x\r\ny"\r\n\r\n2026-03-02T10:00:02Z,c,Op,"{}"\r\n2026-03-02T10:00:03Z,d,Op,"{}"',
  // Rows over the record limit (MAX), plain and with line breaks in a quoted cell: reported, and
  // the rows after them read and numbered on (csv-parse's own limit lost everything after one).
  'long-rows.csv': `CreationDate,UserIds,Operations,AuditData\n2026-03-02T10:00:00Z,a,Op,"x"\n2026-03-02T10:00:01Z,b,Op,"${'long '.repeat(100)}"\n2026-03-02T10:00:02Z,c,Op,"x\ry"\n2026-03-02T10:00:03Z,d,Op,"${'long\r\n'.repeat(60)}"\n2026-03-02T10:00:04Z,e,Op,"{}"\n`,
  'long-rows-crlf.csv': `CreationDate,UserIds,Operations,AuditData\r\n2026-03-02T10:00:00Z,a,Op,"x"\r\n2026-03-02T10:00:01Z,b,Op,"${'long\n'.repeat(100)}"\r\n2026-03-02T10:00:02Z,c,Op,"{}"\r\n2026-03-02T10:00:03Z,d,Op,${'unquoted'.repeat(60)}\r\n2026-03-02T10:00:04Z,e,Op,"{}"`,
  // Enough rows to be parsed in several calls (fast-frames.ts parses chosen rows together), with
  // the cells that make joining rows risky: quoted commas and quotes, a cell over two lines, more or
  // fewer columns than the header, blank lines, non-ASCII.
  'purview-many.csv': `CreationDate,UserIds,Operations,AuditData\r\n${Array.from({ length: 700 }, (_, i) => {
    if (i === 100) return '2026-03-02T10:00:00Z,a@contoso.com,Send,"{""Note"":""two\nlines""}"';
    if (i === 300) return '2026-03-02T10:00:00Z,extra,columns,"{}",here,too';
    if (i === 301) return 'only,two';
    if (i === 400) return '';
    return `2026-03-02T10:${String(i % 60).padStart(2, '0')}:00Z,user${i}@contoso.com,MailItemsAccessed,"{""CreationTime"":""2026-03-02T10:00:00"",""ClientIPAddress"":""81.2.69.${i % 250}"",""Subject"":""a, \u00e9 quoted ${i}""}"`;
  }).join('\r\n')}\r\n`,
};

async function collect(gen: AsyncGenerator<FramedItem[]>): Promise<FramedItem[]> {
  const out: FramedItem[] = [];
  for await (const batch of gen) out.push(...batch);
  return out;
}

/** What a reader of the records sees: problems compared by place and reason (messages differ in wording). */
function comparable(items: FramedItem[]): unknown[] {
  return items.map((it) => (it.kind === 'problem' ? { problem: it.reason, origin: it.origin } : { kind: it.kind, value: it.value, origin: it.origin }));
}

for (const [name, content] of Object.entries(FILES)) {
  test(`fast framing = full framing: ${name}`, async () => {
    const path = join(dir, name);
    writeFileSync(path, content);
    const full = comparable(await collect(frameFile(path, name, { maxRecordBytes: MAX, maxDocumentBytes: 1 << 20 })));
    assert.ok(kernel.configure(['"alert"'], []));
    for (const chunkBytes of [7, 64, 333, 1 << 20]) {
      let skipped = 0;
      const fast = comparable(await collect(fastFrameFile(path, name, {
        kernel, maxRecordBytes: MAX, sample: Infinity, frameDamaged: true, csvHits: false, chunkBytes,
        onSkip: (n) => { skipped += n; },
      })));
      assert.equal(skipped, 0);
      assert.deepEqual(fast, full, `${name}, read ${chunkBytes} bytes at a time`);
    }
  });
}

test('records without a hit are counted, not framed; those with one are framed', async () => {
  const path = join(dir, 'mixed.json');
  const alert = '{"event_type":"alert","src_ip":"81.2.69.9","timestamp":"2026-03-02T10:00:00Z"}';
  writeFileSync(path, [signin(1), alert, signin(2), signin(3), alert].join('\n'));
  assert.ok(kernel.configure(['"alert"'], []));
  let skipped = 0;
  const items = await collect(fastFrameFile(path, 'mixed.json', {
    kernel, maxRecordBytes: 1 << 20, sample: 0, frameDamaged: true, csvHits: false, chunkBytes: 50,
    onSkip: (n) => { skipped += n; },
  }));
  assert.deepEqual(items.map((i) => i.origin.line), [2, 5]);
  assert.equal(skipped, 3);
});

test('inputs it does not read at the byte level are handed back before anything is framed', async () => {
  const cases: Record<string, string> = {
    'syslog.log': '<134>Mar  2 10:00:00 fw CEF:0|Vendor|IDS|1|100|Port scan|8|src=81.2.69.160\n',
    'doc.json': '{\n  "time": "2026-03-02T10:00:00Z",\n  "ipAddress": "81.2.69.1"\n}\n',
    'blank.json': '   \n\n',
    // A newline alone in a CRLF file is inside a cell to csv-parse, a row's end to the kernel.
    'bare-lf.csv': 'CreationDate,UserIds,Operations,AuditData\r\n2026-03-02T10:00:00Z,a\nb,Op,"{}"\r\n2026-03-02T10:00:01Z,c,Op,"{}"\r\n',
    // And a CRLF in a file of newlines ends a row to the kernel, not to csv-parse.
    'mixed-endings.csv': 'CreationDate,UserIds,Operations,AuditData\n2026-03-02T10:00:00Z,a,Op,"{}"\r\n2026-03-02T10:00:01Z,c,Op,"{}"\n',
  };
  for (const [name, content] of Object.entries(cases)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    const gen = fastFrameFile(path, name, { kernel, maxRecordBytes: MAX, sample: Infinity, frameDamaged: true, csvHits: false, onSkip: () => {} });
    await assert.rejects(gen.next(), NeedsFullFraming, name);
  }
});

test('pass 2 over a long array: reading only the stretches with a hit gives what reading it all gives', async () => {
  const path = join(dir, 'long-array.json');
  const n = 30_000; // ~4.6 MB: several sync points
  writeFileSync(path, `{"records":[\n${Array.from({ length: n }, (_, i) => signin(i % 250)).join(',\n')}\n]}`);
  const syncs: import('../src/inputs/fast-frames.js').SyncPoint[] = [];
  assert.ok(kernel.configure(['"alert"'], []));
  await collect(fastFrameFile(path, 'long-array.json', {
    kernel, maxRecordBytes: 1 << 20, sample: 0, frameDamaged: true, csvHits: false, onSkip: () => {}, onSync: (s) => syncs.push(s),
  }));
  assert.ok(syncs.length >= 2, JSON.stringify(syncs));
  // 81.2.69.7 and 81.2.69.77 (not 81.2.69.177: the quad must match whole).
  assert.ok(kernel.configure([], [(81 << 24 | 2 << 16 | 69 << 8 | 7) >>> 0, (81 << 24 | 2 << 16 | 69 << 8 | 77) >>> 0]));
  const pass2 = (withSyncs: boolean) => collect(fastFrameFile(path, 'long-array.json', {
    kernel, maxRecordBytes: 1 << 20, sample: 0, frameDamaged: false, csvHits: true, onSkip: () => {}, ...(withSyncs ? { syncs } : {}),
  }));
  const all = comparable(await pass2(false));
  const segmented = comparable(await pass2(true));
  assert.equal(all.length, 2 * Math.ceil(n / 250));
  assert.deepEqual(segmented, all);
});

/** The items (all framed) of an NDJSON file read in ranges cut at `cuts`, each range's lines moved on by the lines of those before it, and the bytes each range counted. */
async function inRanges(path: string, name: string, cuts: number[], chunkBytes: number): Promise<{ items: unknown[]; bytes: number[] }> {
  const bounds = [0, ...cuts, Infinity];
  const items: FramedItem[] = [];
  const bytes: number[] = [];
  let before = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    let lines = -1;
    let read = 0;
    const part = await collect(fastFrameFile(path, name, {
      kernel, maxRecordBytes: MAX, sample: Infinity, frameDamaged: true, csvHits: false, chunkBytes,
      range: { from: bounds[i]!, to: bounds[i + 1]! }, onLines: (n) => { lines = n; }, onBytes: (n) => { read = n; }, onSkip: () => {},
    }));
    assert.ok(lines >= 0, `range ${i} reported its lines`);
    for (const it of part) items.push({ ...it, origin: { ...it.origin, line: it.origin.line + before } } as FramedItem);
    before += lines;
    bytes.push(read);
  }
  return { items: comparable(items), bytes };
}

test('an NDJSON file read in ranges gives the items of reading it whole, wherever the cuts fall', async () => {
  // Cuts inside lines, on newlines, inside CRLFs, inside over-long lines, on blank lines.
  const content = [signin(1), '', signin(2), '   ', `${signin(3)}\r`, '{"truncated": ', signin(4, 'x'.repeat(900)), signin(5), signin(6)].join('\n') + '\n';
  const path = join(dir, 'ranges.json');
  writeFileSync(path, content);
  const size = Buffer.byteLength(content);
  const whole = comparable(await collect(frameFile(path, 'ranges.json', { maxRecordBytes: MAX, maxDocumentBytes: 1 << 20 })));
  assert.ok(kernel.configure(['"alert"'], []));
  for (let cut = 1; cut < size; cut++) {
    const r = await inRanges(path, 'ranges.json', [cut], cut % 2 === 0 ? 64 : 1 << 20);
    assert.deepEqual(r.items, whole, `cut at byte ${cut}`);
    assert.deepEqual(r.bytes, [cut, size - cut], `bytes counted, cut at ${cut}`);
  }
  // Many ranges, some holding no line start at all (inside the over-long line).
  const cuts = Array.from({ length: 40 }, (_, i) => Math.floor(((i + 1) * size) / 41));
  const many = await inRanges(path, 'ranges.json', cuts, 50);
  assert.deepEqual(many.items, whole);
  assert.equal(many.bytes.reduce((a, b) => a + b, 0), size);
});

test('a range of a file that is not NDJSON, or a Zeek log, is handed back for a whole read', async () => {
  const array = join(dir, 'array-range.json');
  writeFileSync(array, `[${[1, 2, 3].map((i) => signin(i)).join(',')}]`);
  const zeek = join(dir, 'zeek-range.log');
  writeFileSync(zeek, `${signin(1)}\n#separator \\x09\n#fields\tts\n`);
  assert.ok(kernel.configure(['"alert"'], []));
  const read = (path: string, from: number) => collect(fastFrameFile(path, 'x', {
    kernel, maxRecordBytes: MAX, sample: Infinity, frameDamaged: true, csvHits: false, onSkip: () => {}, range: { from, to: Infinity },
  }));
  await assert.rejects(read(array, 0), NeedsFullFraming);
  await assert.rejects(read(zeek, 10), NeedsFullFraming);
});

test('a bad CSV row among rows parsed together is reported at its line; its neighbours are read', async () => {
  const path = join(dir, 'bad-row.csv');
  const rows = Array.from({ length: 50 }, (_, i) => (i === 20 ? '2026-03-02T10:00:00Z,x,"a"b,c' : `2026-03-02T10:00:00Z,u${i}@contoso.com,MailItemsAccessed,"{""n"":${i}}"`));
  writeFileSync(path, `CreationDate,UserIds,Operations,AuditData\n${rows.join('\n')}\n`);
  assert.ok(kernel.configure(['"alert"'], []));
  const items = await collect(fastFrameFile(path, 'bad-row.csv', { kernel, maxRecordBytes: MAX, sample: Infinity, frameDamaged: true, csvHits: false, onSkip: () => {} }));
  const problems = items.filter((it) => it.kind === 'problem');
  assert.deepEqual(problems.map((p) => [p.origin.line, p.kind === 'problem' && p.reason]), [[22, 'invalid-csv']]);
  const read = items.filter((it) => it.kind === 'csv').map((it) => [it.origin.line, it.kind === 'csv' && it.value['UserIds']]);
  assert.deepEqual(read, rows.flatMap((_, i) => (i === 20 ? [] : [[i + 2, `u${i}@contoso.com`]])));
});

test('the sampled CSV rows come out before the rest of the file is read (a sniff reads one chunk)', async () => {
  const path = join(dir, 'sampled.csv');
  const rows = Array.from({ length: 20000 }, (_, i) => `2026-03-02T10:00:00Z,u${i}@contoso.com,MailItemsAccessed,"{""n"":${i}}"`);
  writeFileSync(path, `CreationDate,UserIds,Operations,AuditData\n${rows.join('\n')}\n`);
  assert.ok(kernel.configure([], []));
  let read = 0;
  const gen = fastFrameFile(path, 'sampled.csv', {
    kernel, maxRecordBytes: MAX, sample: 10, frameDamaged: true, csvHits: false, chunkBytes: 4096, onSkip: () => {}, onBytes: (n) => { read = n; },
  });
  const first = await gen.next();
  await gen.return(undefined);
  assert.ok(!first.done);
  assert.deepEqual(first.value.map((it) => it.kind === 'csv' && it.value['UserIds']), rows.slice(0, 10).map((_, i) => `u${i}@contoso.com`));
  // (The first read, which tells the format, is 64 KB whatever the chunk size.)
  assert.ok(read <= 128 * 1024, `read ${read} of ${statSync(path).size} bytes before the samples came out`);
});

test('plain NDJSON stretches counted by their lines frame what looking at every line frames', async () => {
  // Plain records (some naming an alerted address, some an alert) among the lines that make a
  // stretch irregular: blank, padded, CRLF, damaged, over-long; read in pieces of many sizes, with
  // samples of several lengths, and in ranges.
  const alert = (i: number): string => `{"event_type":"alert","src_ip":"81.2.69.${i}","n":${i}}`;
  const plainLine = (i: number): string => (i % 7 === 0 ? alert(i % 250) : i % 3 === 0 ? signin(7) : signin(i % 250));
  const odd = ['', '   ', `${signin(8)}\r`, ` ${signin(9)}`, `${signin(10)} `, '{"truncated": ', signin(11, 'x'.repeat(500)), 'text'];
  const files: Record<string, string> = {
    'plain.json': Array.from({ length: 400 }, (_, i) => plainLine(i)).join('\n') + '\n',
    'plain-crlf.json': Array.from({ length: 300 }, (_, i) => plainLine(i)).join('\r\n') + '\r\n',
    'plain-no-final-newline.json': Array.from({ length: 300 }, (_, i) => plainLine(i)).join('\n'),
    'odd-lines.json': Array.from({ length: 500 }, (_, i) => (i % 97 === 50 ? odd[(i / 97) | 0]! : plainLine(i))).join('\n') + '\n',
  };
  assert.ok(kernel.configure(['"alert"'], [(81 << 24 | 2 << 16 | 69 << 8 | 7) >>> 0]));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    for (const chunkBytes of [333, 4096, 1 << 20]) {
      for (const sample of [0, 5, 1000]) {
        const run = async (lineByLine: boolean, range?: { from: number; to: number }) => {
          let skipped = 0;
          let lines = -1;
          const items = comparable(await collect(fastFrameFile(path, name, {
            kernel, maxRecordBytes: MAX, sample, frameDamaged: true, csvHits: false, chunkBytes, lineByLine,
            onSkip: (n) => { skipped += n; }, onLines: (n) => { lines = n; }, ...(range ? { range } : {}),
          })));
          return { items, skipped, lines };
        };
        const want = await run(true);
        const got = await run(false);
        assert.deepEqual(got, want, `${name}, ${chunkBytes}-byte reads, sample ${sample}`);
        if (sample === 0) assert.ok(want.skipped > 0 && want.items.length > 0, `${name}: both records counted and records framed`);
        if (!name.includes('no-final')) {
          const cut = Math.floor(content.length / 3);
          for (const range of [{ from: 0, to: cut }, { from: cut, to: Infinity }]) {
            assert.deepEqual(await run(false, range), await run(true, range), `${name}, range ${range.from}-${range.to}, ${chunkBytes}-byte reads, sample ${sample}`);
          }
        }
      }
    }
  }
});
