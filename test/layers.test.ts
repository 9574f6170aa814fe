// The layer rules (.dependency-cruiser.cjs, run by `npm run lint`): the real tree
// passes, and a tree with a wrong-way import or an import cycle fails, naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string, ...paths: string[]): { code: number | null; out: string } {
  const r = spawnSync(DEPCRUISE, [...paths, '--config', CONFIG], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cw-layers-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('the source tree keeps its layers and has no import cycle', () => {
  const r = cruise(ROOT, 'src', 'tools');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /no dependency violations found/);
});

test('a wrong-way import, an import cycle and an unknown folder each fail the lint, named', () => {
  const dir = tree({
    'src/model/event.ts': "import type { Run } from '../hunt/batch.js';\nexport type E = Run;\n",
    'src/hunt/batch.ts': "import type { E } from '../model/event.js';\nexport type Run = { e?: E };\n",
    'src/detect/a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n",
    'src/detect/b.ts': "import { a } from './a.js';\nexport const b = (): number => a() - 1;\n",
    'src/misc/x.ts': "import type { E } from '../model/event.js';\nexport type X = E;\n",
  });
  try {
    const r = cruise(dir, 'src');
    assert.notEqual(r.code, 0);
    assert.match(r.out, /layer-model: src\/model\/event\.ts → src\/hunt\/batch\.ts/);
    assert.match(r.out, /no-circular: src\/detect\/(a|b)\.ts/);
    assert.match(r.out, /known-folder: src\/misc\/x\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
