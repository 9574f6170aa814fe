// npm's `prepare` (scripts/prepare.mjs) builds only when dist/ is missing or older
// than a source: `npx crosswatch …` in a clone runs it before every command, and a
// rebuild there cost ~20 s and replaced dist/ under a crosswatch already running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// @ts-expect-error: a plain .mjs script without types
import { distIsFresh } from '../scripts/prepare.mjs';

const isFresh = distIsFresh as (root: string) => boolean;

test('dist/ counts as fresh only when every output is there and newer than every source', () => {
  const root = mkdtempSync(join(tmpdir(), 'cw-prepare-'));
  try {
    const put = (rel: string, at: number): void => {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, rel);
      utimesSync(p, at, at);
    };
    const t0 = 1_800_000_000;
    for (const s of ['src/cli/main.ts', 'wasm/scan-kernel.ts', 'scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) put(s, t0);
    // Directories' own times count too: make them old.
    for (const d of ['src', 'src/cli', 'wasm', 'scripts']) utimesSync(join(root, d), t0, t0);
    assert.equal(isFresh(root), false, 'no dist/: build');
    put('dist/bundle/main.js', t0 + 10);
    put('dist/bundle/decode-worker.js', t0 + 10);
    assert.equal(isFresh(root), false, 'an output missing: build');
    put('dist/scan-kernel.wasm', t0 + 10);
    assert.equal(isFresh(root), true, 'every output newer than every source: not rebuilt');
    put('src/cli/main.ts', t0 + 20);
    assert.equal(isFresh(root), false, 'a source edited after the build: build');
    put('dist/scan-kernel.wasm', t0 + 30);
    put('dist/bundle/main.js', t0 + 30);
    put('dist/bundle/decode-worker.js', t0 + 30);
    assert.equal(isFresh(root), true);
    put('package-lock.json', t0 + 40);
    assert.equal(isFresh(root), false, 'dependencies changed: build');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
