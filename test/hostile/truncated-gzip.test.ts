// A cut-off or damaged .gz (issue #15, item 5): every record before the damage
// is read, then a clear error names the file and the byte offset, and the exit
// code says the input could not all be read (2, DESIGN.md §4) with the partial
// result written. Before, normalize died with a stack trace and hunt read 0
// records from such a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../cli-run.js';
import { alertLine, signinLine } from '../scenario-lines.js';

/** The firing scenario first, then enough varied filler that the cut falls well after it. */
function lines(ip: string): string[] {
  const filler = Array.from({ length: 4000 }, (_, i) => alertLine(`45.${(i >> 8) & 255}.${i & 255}.9`, `2026-03-02T${String(10 + (i % 10)).padStart(2, '0')}:00:00Z`));
  return [alertLine(ip, '2026-03-02T10:00:00Z'), signinLine(ip, '2026-03-02T11:00:00Z'), ...filler];
}

test('hunt and normalize read a truncated .gz up to the damage, then name the file and offset; exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-trunc-gz-'));
  try {
    const all = lines('81.2.69.211');
    const gz = gzipSync(Buffer.from(`${all.join('\n')}\n`));
    const cut = Math.floor(gz.length * 0.6);
    const path = join(dir, 'eve.json.gz');
    writeFileSync(path, gz.subarray(0, cut));

    const h = await runCli(['hunt', path, '--format', 'ndjson']);
    assert.equal(h.code, 2, h.stderr);
    assert.deepEqual(h.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { source: { ip: string } }).source.ip), ['81.2.69.211']);
    const read = Number(/: ([\d,]+) records/.exec(h.stderr)?.[1]?.replace(/,/g, ''));
    assert.ok(read > 1000 && read < all.length, `read ${read} of ${all.length} records before the damage`);
    assert.match(h.stderr, new RegExp(`${path.replace(/[.]/g, '\\.')}: invalid-compression: gzip data cut off or damaged at byte [\\d,]+ of ${cut.toLocaleString('en-US')}`));
    assert.doesNotMatch(h.stderr, /\n\s+at /, 'no stack trace');

    const n = await runCli(['normalize', path]);
    assert.equal(n.code, 2, n.stderr);
    const out = n.stdout.trim().split('\n');
    assert.ok(out.length > 1000, `${out.length} lines written before the damage`);
    assert.equal((JSON.parse(out[0]!) as { source: { ip: string } }).source.ip, '81.2.69.211');
    assert.match(n.stderr, /invalid-compression: gzip data cut off or damaged at byte/);
    assert.doesNotMatch(n.stderr, /\n\s+at /);

    // Damage in the middle (not only a cut): the same.
    const damaged = Buffer.from(gz);
    damaged.fill(0x55, Math.floor(gz.length / 2), Math.floor(gz.length / 2) + 64);
    writeFileSync(path, damaged);
    const d = await runCli(['hunt', path, '--format', 'ndjson']);
    assert.equal(d.code, 2);
    assert.equal(d.stdout.trim().split('\n').length, 1);
    assert.match(d.stderr, /invalid-compression: gzip data cut off or damaged at byte/);

    // Whole, the same file is read in full with exit 0.
    writeFileSync(path, gz);
    const whole = await runCli(['hunt', path, '--format', 'ndjson']);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stderr, new RegExp(`: ${all.length.toLocaleString('en-US')} records`));
    assert.ok(readFileSync(path).length === gz.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
