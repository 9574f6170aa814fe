// The fast framing's own split of plain CSV rows (src/inputs/csv-rows.ts) against
// csv-parse, which framing uses everywhere else: on every row it splits, the same
// cells under the same names; every row it declines is left to csv-parse. On
// generated rows full of what trips splitters (quotes doubled, open, misplaced,
// commas in quotes, empty cells, a trailing comma, too few and too many cells) and
// on the repository's CSV corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { plainCsvRow, plainHeader } from '../src/inputs/csv-rows.js';
import { generate } from '../src/generate/generator.js';

/** The row as fast-frames.ts parseRows has csv-parse read it (one row, a header given). */
function byCsvParse(text: string, header: string[]): Record<string, string>[] | Error {
  try {
    return parseCsvSync(text, { relax_column_count: true, skip_empty_lines: true, columns: header, record_delimiter: '\n' }) as Record<string, string>[];
  } catch (err) {
    return err as Error;
  }
}

const quoted = (s: string): string => `"${s.replace(/"/g, '""')}"`;
// Cell text: printable ASCII with quotes and commas, some non-ASCII.
const cellText = fc.stringMatching(/^[ -~é€\u{1F600}]{0,12}$/u);
// A cell as written: quoted when it must be (or at random); or, rarely, written wrong.
const cell = fc.oneof(
  { weight: 6, arbitrary: cellText.map((s) => (/[",]/.test(s) ? quoted(s) : s)) },
  { weight: 3, arbitrary: cellText.map(quoted) },
  { weight: 1, arbitrary: fc.constantFrom('"open', 'a"b', '"x"y', '""', '"a""', '"""', ' "x"', '"x" ', '"a,b"') },
);

test('a row split here has exactly the cells csv-parse gives it; a plain row is always split here', () => {
  fc.assert(fc.property(
    fc.array(cell, { minLength: 1, maxLength: 8 }), fc.integer({ min: -1, max: 1 }), fc.boolean(), fc.array(fc.constantFrom('', 'constructor', 'toString', '__proto__', 'c0'), { maxLength: 3 }),
    (cells, extra, trailingComma, odd) => {
      const text = cells.join(',') + (trailingComma ? ',' : '');
      const count = cells.length + (trailingComma ? 1 : 0);
      // Column names: c0, c1, … with, at random, some replaced by names an object treats specially or repeated.
      const header = Array.from({ length: Math.max(1, count + extra) }, (_, i) => odd[i] ?? `c${i}`);
      if (!plainHeader(header)) {
        assert.ok(new Set(header).size < header.length || header.includes('__proto__'));
        return;
      }
      const mine = plainCsvRow(text, header);
      const theirs = byCsvParse(text, header);
      if (mine !== null) {
        if (theirs instanceof Error) assert.fail(`csv-parse rejects ${JSON.stringify(text)} (${theirs.message}), split here as ${JSON.stringify(mine)}`);
        assert.equal(theirs.length, 1);
        assert.deepEqual(mine, theirs[0], JSON.stringify(text));
        assert.deepEqual(Object.keys(mine), Object.keys(theirs[0]!));
      }
      // Cells all written plainly (well formed) and as many as the header names: split here.
      const wellFormed = cells.every((c) => !c.includes('"') || /^"(?:[^"]|"")*"$/.test(c));
      if (wellFormed && extra === 0 && text !== '') assert.notEqual(mine, null, JSON.stringify(text));
    },
  ), { numRuns: 3000 });
});

test('rows with a line break, empty rows, and headers csv-parse reads differently are left to csv-parse', () => {
  const header = ['a', 'b'];
  for (const text of ['x,"y\nz"', 'x,"y\r"', 'x\r,y', '']) assert.equal(plainCsvRow(text, header), null, JSON.stringify(text));
  assert.equal(plainHeader(['a', 'b', 'a']), false);
  assert.equal(plainHeader(['a', '__proto__']), false);
  assert.equal(plainHeader([]), false);
  assert.equal(plainHeader(['CreationDate', 'UserIds', 'Operations', 'AuditData']), true);
  // What "__proto__" would do to the row, were it split here.
  const theirs = byCsvParse('x,y', ['a', '__proto__']);
  assert.ok(!(theirs instanceof Error));
});

/** Every row of a CSV text without a line break in it: split here as csv-parse splits it. How many were split here. */
function sameAsCsvParse(text: string, where: string): number {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // The header as fast-frames.ts reads it: its first line alone.
  const header = (parseCsvSync(lines[0]!) as string[][])[0]!.map((h) => h.trim());
  if (!plainHeader(header)) return 0;
  let rows = 0;
  for (const line of lines.slice(1)) {
    const mine = plainCsvRow(line, header);
    if (mine === null) continue;
    const theirs = byCsvParse(line, header);
    assert.ok(!(theirs instanceof Error), `${where}: ${line.slice(0, 80)}`);
    assert.deepEqual(mine, theirs[0], `${where}: ${line.slice(0, 80)}`);
    rows++;
  }
  return rows;
}

test('every row of the CSV corpus without a line break in it: split here as csv-parse splits it', () => {
  const root = join(import.meta.dirname, 'corpus');
  const split = new Map<string, number>();
  for (const folder of readdirSync(root)) {
    for (const name of readdirSync(join(root, folder)).filter((f) => f.endsWith('.csv'))) {
      split.set(`${folder}/${name}`, sameAsCsvParse(readFileSync(join(root, folder, name), 'utf8'), `${folder}/${name}`));
    }
  }
  // The Purview export's rows (the JSON record doubled-quoted in AuditData) and the Log Analytics export's.
  assert.ok(split.get('m365-audit/purview-export.csv')! >= 1, JSON.stringify([...split]));
  assert.ok(split.get('entra-signin/log-analytics-export.csv')! >= 1, JSON.stringify([...split]));
});

test('every row of a generated Purview export (the bench\'s): split here as csv-parse splits it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-csv-rows-'));
  try {
    await generate({ outDir: dir, events: 20_000, seed: 5 });
    const purview = join(dir, 'logs', 'purview');
    const [file] = readdirSync(purview);
    const text = readFileSync(join(purview, file!), 'utf8');
    const rows = text.split('\n').length - 2;
    assert.ok(rows > 100);
    // Every row is plain: all of them split here.
    assert.equal(sameAsCsvParse(text, file!), rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
