// The README's examples run as written: every ```sh block marked
// `<!-- runnable -->` runs, in order, in one empty folder, with `npx crosswatch`
// meaning this checkout's built bin/crosswatch.js (what `npx` finds in a clone
// after `npm ci`). The Quick start is not marked: CI itself runs its two commands
// (`npm ci && npm test`, and the demo in test/cli-tty.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crosswatch.js');

/** The runnable blocks of a markdown text, in order. */
export function runnableBlocks(markdown: string): string[] {
  const out: string[] = [];
  const re = /<!-- runnable -->\n```sh\n([\s\S]*?)```/g;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) out.push(m[1]!);
  return out;
}

test('runnableBlocks finds marked blocks only', () => {
  const md = '```sh\nnot marked\n```\n<!-- runnable -->\n```sh\necho one\n```\ntext\n<!-- runnable -->\n```sh\necho two\necho three\n```\n';
  assert.deepEqual(runnableBlocks(md), ['echo one\n', 'echo two\necho three\n']);
});

test("the README's runnable examples run as written", { timeout: 300_000, skip: existsSync('/usr/bin/curl') ? false : 'curl is not installed' }, () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'bundle', 'main.js')), 'run npm run build first (npm test does)');
  const blocks = runnableBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 2, 'the README marks its examples runnable');
  const dir = mkdtempSync(join(tmpdir(), 'cw-readme-'));
  // `npx crosswatch` is this checkout's bin; the shim execs node, so a job the
  // README puts in the background (serve) is node itself, and `kill %1` stops it.
  const shims = join(dir, '.bin');
  mkdirSync(shims);
  const npx = join(shims, 'npx');
  writeFileSync(npx, `#!/bin/sh\nif [ "$1" = crosswatch ]; then shift; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; fi\necho "README test: only npx crosswatch is shimmed" >&2; exit 127\n`);
  chmodSync(npx, 0o755);
  try {
    const script = [
      'set -euo pipefail',
      // Anything a block leaves running in the background (serve) is stopped at the end, even on failure.
      'trap \'kill $(jobs -p) 2>/dev/null || true\' EXIT',
      ...blocks.map((b, i) => `echo "=== README block ${i + 1}" >&2\n${b}`),
      'wait',
    ].join('\n');
    const env = { ...process.env, PATH: `${shims}:${process.env.PATH ?? ''}`, CROSSWATCH_TOKEN: undefined, CROSSWATCH_URL: undefined };
    const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env, timeout: 280_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `README examples failed (exit ${r.status}):\n${r.stderr.slice(-8000)}`);
    // What the examples say they do, they did.
    assert.ok(existsSync(join(dir, 'alerts', 'found.ndjson')), '--out made its folder');
    const found = readFileSync(join(dir, 'alerts', 'found.ndjson'), 'utf8').trim().split('\n');
    assert.ok(found.length > 5);
    assert.match(r.stdout, /"rule":\{"id":"cw-/, 'the service answered with alerts');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
