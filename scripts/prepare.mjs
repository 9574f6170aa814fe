// npm's `prepare`: builds dist/ unless it is newer than everything it is built
// from. npm runs `prepare` after `npm ci` in a clone, which must build; but
// `npx crosswatch …` run inside the clone installs the project from its own
// folder each time, and so ran `prepare` each time too: ~20 s of rebuilding per
// command, and dist/ replaced under any crosswatch already running from the
// clone (a `serve` lost its worker modules mid-run). `npm run build` always builds.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What the build reads (besides node_modules, which follows package-lock.json). */
const SOURCES = ['src', 'wasm', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** What the build writes last, or must have written. */
const OUTPUTS = ['dist/bundle/main.js', 'dist/bundle/decode-worker.js', 'dist/scan-kernel.wasm'];

/** The latest modification time under a path (0 when it is missing). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let latest = st.mtimeMs;
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

/** Is every output of the build there, and newer than every source under `root`? */
export function distIsFresh(root) {
  const built = OUTPUTS.map((p) => join(root, p));
  return built.every((p) => existsSync(p)) &&
    Math.min(...built.map((p) => statSync(p).mtimeMs)) >= Math.max(...SOURCES.map((p) => newest(join(root, p))));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (distIsFresh(root)) {
    console.log('crosswatch: dist/ is newer than its sources; not rebuilt (npm run build rebuilds)');
  } else {
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  }
}
