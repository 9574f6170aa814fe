// The serve measurement on its own (bench/serve-bench.ts; `npm run bench` runs it
// too, after the hunt tools):
//   node --import tsx bench/serve-load.ts [DATASET_DIR] [RECORDS_PER_REQUEST]
//        [--clients N] [--soak-minutes M] [--threads N] [--synchronous full|normal] [--json FILE] [--bin PATH/bin/crosswatch.js]
//        [--rules PATH[,PATH…]]  (serve's --rules; e.g. builtin,bench/sigma-rules for the general Sigma path too)
// DATASET_DIR defaults to bench/data/n200000-s1 (made by `npm run bench -- --sizes 200000`),
// RECORDS_PER_REQUEST to 2000, --clients to 4, --soak-minutes to 0 (no soak).
// SERVE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runServeBench, serveReport } from './serve-bench.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const positional: string[] = [];
const flags: Record<string, string> = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a.startsWith('--')) {
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    flags[a.slice(2)] = v;
  } else positional.push(a);
}
for (const k of Object.keys(flags)) if (!['clients', 'soak-minutes', 'threads', 'synchronous', 'json', 'bin', 'rules'].includes(k)) throw new Error(`unknown option --${k}`);
const sync = flags['synchronous'];
if (sync !== undefined && sync !== 'full' && sync !== 'normal') throw new Error('--synchronous: full or normal');
const result = await runServeBench({
  datasetDir: positional[0] ?? join(ROOT, 'bench', 'data', 'n200000-s1'),
  perRequest: Number(positional[1] ?? 2000),
  clients: Number(flags['clients'] ?? 4),
  soakMinutes: Number(flags['soak-minutes'] ?? 0),
  ...(flags['threads'] !== undefined ? { ingestThreads: Number(flags['threads']) } : {}),
  ...(sync !== undefined ? { synchronous: sync } : {}),
  nodeArgs: (process.env['SERVE_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
  ...(flags['bin'] !== undefined ? { bin: resolve(flags['bin']) } : {}),
  ...(flags['rules'] !== undefined ? { rules: flags['rules'].split(',').map((r) => (r === 'builtin' ? r : resolve(r))) } : {}),
});
console.log(serveReport(result).join('\n'));
if (flags['json']) writeFileSync(flags['json'], JSON.stringify(result, null, 2) + '\n');
if (!result.answers.agree || (result.soak && !result.soak.answers.agree)) process.exitCode = 3;
