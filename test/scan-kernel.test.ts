// The SIMD scan kernel against plain-JS answers: where quoted words and alerted
// IPs occur, and where records end in JSON arrays and CSV — on generated text
// full of the things that trip byte scanners (escaped quotes, brackets and
// commas inside strings, quoted newlines, records cut across calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScanKernel, SEPARATOR_CLOSES } from '../src/inputs/scan-kernel.js';
import { ipv4Number } from '../src/model/ip.js';

const kernel = new ScanKernel();

function load(text: string): number {
  const b = Buffer.from(text, 'utf8');
  kernel.ensure(b.length);
  b.copy(kernel.buffer);
  kernel.pad(b.length);
  return b.length;
}

function allIndexes(hay: string, needle: string): number[] {
  const out: number[] = [];
  const h = hay.toLowerCase();
  for (let i = h.indexOf(needle); i >= 0; i = h.indexOf(needle, i + 1)) out.push(i);
  return out;
}

const WORDS = ['"alert"', '"signal"', '"note"', '"rule"', '"sid"'];
const filler = fc.stringMatching(/^[ -~]{0,40}$/); // printable ASCII, quotes included

test('quoted words: every occurrence, any case, nothing else', () => {
  assert.ok(kernel.configure(WORDS, []));
  fc.assert(fc.property(
    fc.array(fc.tuple(filler, fc.constantFrom(...WORDS, '"alerts"', '"signa"', 'alert', '"ALERT"', '"Note"', '"sid')), { maxLength: 30 }),
    filler,
    (parts, tail) => {
      const text = parts.map(([f, w]) => f + w).join('') + tail;
      const n = load(text);
      const got = [...kernel.findHits(0, n)];
      const want = [...new Set(WORDS.flatMap((w) => allIndexes(text, w)))].sort((a, b) => a - b);
      assert.deepEqual(got, want);
    },
  ), { numRuns: 300 });
});

test('quoted words of lengths that are not four in a row (searched a distance at a time): every occurrence, nothing else', () => {
  // WORDS are 3 to 6 letters, which the kernel searches for four distances at once; these are not.
  const words = ['"ab"', '"alert"', '"signals"'];
  assert.ok(kernel.configure(words, []));
  fc.assert(fc.property(
    fc.array(fc.tuple(filler, fc.constantFrom(...words, '"abc"', '"AB"', '"Signals"', '"alerts"')), { maxLength: 30 }),
    filler,
    (parts, tail) => {
      const text = parts.map(([f, w]) => f + w).join('') + tail;
      const n = load(text);
      const want = [...new Set(words.flatMap((w) => allIndexes(text, w)))].sort((a, b) => a - b);
      assert.deepEqual([...kernel.findHits(0, n)], want);
    },
  ), { numRuns: 300 });
});

test('IPv6 first groups: before a colon, any case', () => {
  assert.ok(kernel.configure([], [], ['2a02', '3fff']));
  const text = '"2A02:1::" [2a02::5]:443 2a0 2a02 12a02:0 3FFF:: 2a03:1';
  const n = load(text);
  // The hit is the colon after the group: "2A02:", "[2a02:", "12a02:" (a longer token, let through) and "3FFF:".
  const colonAfter = (s: string, from = 0): number => text.indexOf(s, from) + s.length - 1;
  assert.deepEqual([...kernel.findHits(0, n)], [colonAfter('2A02:'), colonAfter('[2a02:'), colonAfter('12a02:'), colonAfter('3FFF:')]);
});

test('IPv6 first groups at every alignment, among quotes, colons and other groups: exactly the colons after a head', () => {
  const heads = ['2a02', '3fff', '2001'];
  assert.ok(kernel.configure([], [], heads));
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.stringMatching(/^[":0-9a-fA-F x]{0,12}$/), fc.constantFrom('2A02:', '"2a02:', '[3fff::1]', '2001"', '2002:', '"":', '::')), { maxLength: 40 }),
    fc.nat({ max: 63 }),
    (parts, shift) => {
      const text = ' '.repeat(shift) + parts.map(([f, w]) => f + w).join('');
      const n = load(text);
      const want: number[] = [];
      for (let i = 4; i < text.length; i++) if (text[i] === ':' && heads.includes(text.slice(i - 4, i).toLowerCase())) want.push(i);
      assert.deepEqual([...kernel.findHits(0, n)], want);
    },
  ), { numRuns: 300 });
});

const octet = fc.integer({ min: 0, max: 255 });
const ip = fc.tuple(fc.integer({ min: 1, max: 223 }), octet, octet, octet).map((p) => p.join('.'));

function spell(addr: string, how: number): string {
  const n = ipv4Number(addr)!;
  const hex = `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  switch (how) {
    case 0: return addr;
    case 1: return `${addr}:443`;
    case 2: return `[${addr}]:8080`;
    case 3: return `::ffff:${addr}`;
    case 4: return `::ffff:${hex}`;
    case 5: return `::FFFF:${hex.toUpperCase()}`;
    default: return `host (${addr})`;
  }
}

test('alerted IPv4 in every spelling is found inside its record; other addresses are not', () => {
  fc.assert(fc.property(
    fc.uniqueArray(ip, { minLength: 2, maxLength: 40 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 6 }), fc.boolean(), fc.stringMatching(/^[a-z0-9":,{}. -]{0,30}$/)), { minLength: 1, maxLength: 40 }),
    (ips, recs) => {
      const alerted = ips.slice(0, Math.ceil(ips.length / 2));
      assert.ok(kernel.configure([], alerted.map((a) => ipv4Number(a)!)));
      // One record per line: text, an address (alerted or not) in some spelling, text.
      const lines = recs.map(([pick, how, isAlerted, f]) => {
        const pool = isAlerted ? alerted : ips.slice(alerted.length);
        const addr = pool.length > 0 ? pool[pick % pool.length]! : undefined;
        return { line: `{"t":"2026-03-02T10:00:00.123Z",${f}"ip":"${addr ? spell(addr, how) : 'none'}"}`, alerted: addr !== undefined && isAlerted };
      });
      const text = lines.map((l) => l.line).join('\n');
      const n = load(text);
      const hits = [...kernel.findHits(0, n)];
      let start = 0;
      for (const l of lines) {
        const end = start + Buffer.byteLength(l.line);
        const hit = hits.some((h) => h >= start && h < end);
        // Filler digits can form an alerted quad by chance only with dots, which the filler lacks in runs of four.
        if (l.alerted) assert.ok(hit, `missed: ${l.line}`);
        else assert.equal(hit, false, `false hit: ${l.line}`);
        start = end + 1;
      }
    },
  ), { numRuns: 200 });
});

test('words and addresses searched together (one pass) give exactly the hits of each searched alone', () => {
  fc.assert(fc.property(
    fc.uniqueArray(ip, { minLength: 1, maxLength: 20 }),
    fc.array(fc.tuple(filler, fc.constantFrom(...WORDS, '"alerts"', '"Note"', 'x'), fc.nat(), fc.integer({ min: 0, max: 6 })), { maxLength: 60 }),
    fc.nat({ max: 63 }),
    (ips, parts, shift) => {
      // Long enough to span many 64-byte blocks, started at every alignment.
      const text = ' '.repeat(shift) + parts.map(([f, w, pick, how]) => `${f}${w}{"ip":"${spell(ips[pick % ips.length]!, how)}"}`).join('\n');
      const n = load(text);
      const v4 = ips.slice(0, Math.ceil(ips.length / 2)).map((a) => ipv4Number(a)!);
      assert.ok(kernel.configure(WORDS, []));
      const words = [...kernel.findHits(0, n)];
      assert.ok(kernel.configure([], v4));
      const addresses = [...kernel.findHits(0, n)];
      assert.ok(kernel.configure(WORDS, v4));
      const both = [...kernel.findHits(0, n)];
      assert.deepEqual(both, [...new Set([...words, ...addresses])].sort((x, y) => x - y));
      // The same lists again (kept as they are, not refilled), then others, then these again.
      assert.ok(kernel.configure(WORDS, v4));
      assert.deepEqual([...kernel.findHits(0, n)], both);
      const none: number[] = [];
      assert.ok(kernel.configure(WORDS, none));
      assert.ok(kernel.configure(WORDS, none));
      assert.deepEqual([...kernel.findHits(0, n)], words);
      assert.ok(kernel.configure(WORDS, v4));
      assert.deepEqual([...kernel.findHits(0, n)], both);
    },
  ), { numRuns: 300 });
});

test('a quad whose first number is the tail of a longer one is still tried', () => {
  assert.ok(kernel.configure([], [ipv4Number('81.2.69.160')!]));
  for (const [text, want] of [['a181.2.69.160b', true], ['x81.2.69.1600', false], ['81.2.69.16', false], ['0081.2.69.160', true]] as const) {
    const n = load(text);
    assert.equal(kernel.findHits(0, n).length > 0, want, text);
  }
});

// JSON text with everything a splitter must not mistake for structure.
const tricky = fc.stringMatching(/^[a-z,{}[\]:" \\\n]{0,12}$/);
// Nested objects and arrays, and long strings, so that whole 64-byte blocks lie deep inside a record.
const key = fc.stringMatching(/^[a-zA-Z_]{1,8}$/);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    tricky, fc.integer(), fc.constant(null), fc.stringMatching(/^[a-z,{}[\]:" \\]{40,100}$/),
    fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));
const record = fc.dictionary(key, value, { maxKeys: 6 });

function separatorsOf(text: string, target: number, csv: boolean, step: number): Array<[number, number]> {
  const n = load(text);
  kernel.resetStructure(target, target, 1);
  const out: Array<[number, number]> = [];
  // Feed it in pieces (multiples of 64 bytes): the state must carry over. JSON starts inside the array.
  for (let from = csv ? 0 : 1; from < n; from += step) {
    const s = kernel.findSeparators(from, Math.min(n, from + step), csv);
    for (let i = 0; i < s.pos.length; i++) out.push([s.pos[i]!, s.line[i]!]);
  }
  return out;
}

test('JSON array separators: the commas between elements and the closing bracket, with their lines', () => {
  fc.assert(fc.property(fc.array(record, { maxLength: 12 }), fc.boolean(), fc.integer({ min: 1, max: 4 }), (elems, pretty, blocks) => {
    const texts = elems.map((e) => JSON.stringify(e, null, pretty ? 2 : undefined));
    const sep = pretty ? ',\n' : ',';
    const body = `[${pretty ? '\n' : ''}${texts.join(sep)}${pretty ? '\n' : ''}]`;
    const got = separatorsOf(body, 1, false, 64 * blocks).map(([p, l]) => [p, l]);
    // Where they must be: after each element (bytes), and the closing bracket last.
    const bytes = Buffer.from(body);
    const lineAt = (pos: number): number => 1 + bytes.subarray(0, pos).filter((b) => b === 0x0a).length;
    const want: Array<[number, number]> = [];
    let at = 1 + (pretty ? 1 : 0);
    texts.slice(0, -1).forEach((t) => {
      at += Buffer.byteLength(t);
      want.push([at, lineAt(at)]);
      at += sep.length;
    });
    want.push([(bytes.length - 1) | SEPARATOR_CLOSES, lineAt(bytes.length - 1)]);
    assert.deepEqual(got, want.map(([p, l]) => [p >>> 0, l]));
  }), { numRuns: 300 });
});

test('an envelope array: separators at depth 2 only, and the depth at the end', () => {
  const text = '{"records":[{"a":[1,2],"b":"x,]"},{"c":{"d":"\\"]"}}],"next":"y"}';
  const start = text.indexOf('[') + 1;
  const n = load(text);
  kernel.resetStructure(2, 2, 1);
  const s = kernel.findSeparators(start, n, false);
  const pos = [...s.pos].map((p) => (p & SEPARATOR_CLOSES ? `]${(p & ~SEPARATOR_CLOSES) >>> 0}` : `,${p}`));
  assert.deepEqual(pos, [`,${text.indexOf('},{') + 1}`, `]${text.indexOf('}],') + 1}`]);
  assert.equal(kernel.depth, 0);
  assert.equal(kernel.inString, false);
});

test('CSV rows end at newlines outside quotes; "" and quoted newlines stay inside', () => {
  const cell = fc.stringMatching(/^[a-z,"\n {}]{0,10}$/).map((s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s));
  fc.assert(fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 3 }), (rows, blocks) => {
    const lines = rows.map((r) => r.join(','));
    const text = lines.join('\n') + '\n';
    const got = separatorsOf(text, 0, true, 64 * blocks);
    const want: Array<[number, number]> = [];
    let at = 0;
    let line = 1;
    for (const l of lines) {
      at += Buffer.byteLength(l);
      line += (l.match(/\n/g) ?? []).length;
      want.push([at, line]);
      at += 1;
      line += 1;
    }
    assert.deepEqual(got, want);
  }), { numRuns: 300 });
});

test('"\\u" escapes: found at every alignment, cut records looked at only up to their end', () => {
  fc.assert(fc.property(
    fc.array(fc.constantFrom('a', '"', '\\', 'u', '\\\\', '\\u0032', '\\n', ' '.repeat(61), 'x'.repeat(17)), { maxLength: 80 }),
    fc.nat({ max: 63 }), fc.nat({ max: 40 }),
    (parts, shift, cut) => {
      const text = ' '.repeat(shift) + parts.join('');
      const n = load(text);
      const to = Math.max(shift, n - cut);
      // The byte after a backslash may lie past `to`: the record's own bytes decide, as findKeys's escapes do.
      const b = Buffer.from(text, 'utf8');
      let expected = false;
      for (let i = shift; i < to; i++) if (b[i] === 0x5c && b[i + 1] === 0x75) expected = true;
      assert.equal(kernel.hasUnicodeEscape(shift, to), expected, JSON.stringify({ text, shift, to }));
    },
  ), { numRuns: 2000 });
});

test('keys or a backslash (mayHoldKeys): at every alignment, any case, within [from, to) only', () => {
  // The window gate's keys: lengths 6 to 17 bytes, searched a distance at a time.
  const keys = ['"time"', '"createdDateTime"', '"CreationTime"', '"@timestamp"', '"OfficeWorkload"'];
  kernel.configureKeys(keys);
  fc.assert(fc.property(
    fc.array(fc.constantFrom(
      'a', '"', ':', ' '.repeat(61), 'x'.repeat(17), '"timestamp"', '"times"', '"TIME"', '"Time":"x"', 'time"', '"time', '"createdDateTime"',
      '"creationtime"', '"@TimeStamp"', '"Officeworkload"', '"CreatedDate"', '\\', '\\"', '"x\\y"',
    ), { maxLength: 60 }),
    fc.nat({ max: 63 }), fc.nat({ max: 40 }),
    (parts, shift, cut) => {
      const text = ' '.repeat(shift) + parts.join('');
      const n = load(text);
      const to = Math.max(shift, n - cut);
      const lower = text.toLowerCase();
      let expected = text.slice(shift, to).includes('\\');
      for (const k of keys) {
        for (let i = lower.indexOf(k.toLowerCase(), shift); i >= 0 && i + k.length <= to; i = lower.indexOf(k.toLowerCase(), i + 1)) expected = true;
      }
      assert.equal(kernel.mayHoldKeys(shift, to), expected, JSON.stringify({ text, shift, to }));
    },
  ), { numRuns: 2000 });
});

/** findHitLines' answer worked out in JavaScript: each hit's line, the lines, and whether each is a plain "{…}" record. */
function hitLinesByHand(text: string, from: number, to: number, hits: number[], maxLine: number): { line: number[]; count: number; plain: boolean } {
  const b = Buffer.from(text, 'utf8');
  const ends: number[] = [];
  for (let i = from; i < to; i++) if (b[i] === 0x0a) ends.push(i);
  let plain = true;
  let start = from;
  for (const x of ends) {
    const body = b.subarray(start, x).toString('latin1');
    if (x - start < 2 || x - start > maxLine || !/\}\r?$/.test(body)) plain = false;
    if (x + 1 < to && b[x + 1] !== 0x7b) plain = false;
    start = x + 1;
  }
  return { line: hits.map((h) => ends.filter((x) => x < h).length), count: ends.length, plain };
}

test('hits with their lines: each hit\'s line, the stretch\'s lines, and whether every line is a plain record', () => {
  const v4 = [ipv4Number('81.2.69.7')!, ipv4Number('10.20.30.40')!];
  const line = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(filler, fc.constantFrom('', '"alert"', '81.2.69.7', '10.20.30.40', '81.2.69.77', '"ip":"::ffff:81.2.69.7"'), filler)
      .map(([a, w, c]) => `{${a.replace(/\n/g, ' ')}${w}${c.replace(/\n/g, ' ')}}`) },
    { weight: 1, arbitrary: fc.constantFrom('', '   ', ' {"a":1}', '{"a":1} ', '{"a":1}\r', '{"a":1', '"alert"', '{}', '}', '{') },
  );
  fc.assert(fc.property(
    fc.array(line, { minLength: 1, maxLength: 40 }),
    fc.nat({ max: 63 }),
    fc.integer({ min: 2, max: 80 }),
    (lines, shift, maxLine) => {
      const text = ' '.repeat(shift) + lines.join('\n') + '\n';
      const n = load(text);
      assert.ok(kernel.configure(WORDS, v4));
      const hits = [...kernel.findHits(shift, n)];
      const got = kernel.findHitLines(shift, n, maxLine);
      assert.deepEqual([...got.pos], hits);
      const want = hitLinesByHand(text, shift, n, hits, maxLine);
      assert.deepEqual([...got.line], want.line);
      assert.equal(got.count, want.count);
      assert.equal(got.plain, want.plain);
      // Line mode ends with the call: findHits after it gives what it gave before.
      assert.deepEqual([...kernel.findHits(shift, n)], hits);
    },
  ), { numRuns: 400 });
});

test('hits with their lines over more hits than one kernel call holds', () => {
  // 300k hits (3 a line): the finder stops early and is called again; lines keep counting across calls.
  const text = Array.from({ length: 100_000 }, (_, i) => `{"alert":"alert","x":${i},"alert ":"alert"}`).join('\n') + '\n';
  const n = load(text);
  assert.ok(kernel.configure(['"alert"'], []));
  const got = kernel.findHitLines(0, n, 1 << 20);
  assert.equal(got.pos.length, 3 * 100_000);
  assert.equal(got.count, 100_000);
  assert.ok(got.plain);
  for (let i = 0; i < got.pos.length; i++) assert.equal(got.line[i], Math.floor(i / 3));
});
