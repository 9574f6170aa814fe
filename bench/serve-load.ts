// Serve ingest throughput, a first measure for issue #5 (not yet part of `npm run bench`):
// starts `crosswatch serve` on loopback, POSTs every record of a generated dataset in
// requests of N records from one client, and checks the alerts against truth.json.
//   node --import tsx bench/serve-load.ts [DATASET_DIR] [RECORDS_PER_REQUEST]
// (DATASET_DIR defaults to bench/data/n200000-s1, made by `npm run bench -- --sizes 200000`.)
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frameFile } from '../src/sources/framing.js';
import { expandInputs } from '../src/sources/inputs.js';
import { startServe } from '../test/serve-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dataset = process.argv[2] ?? join(ROOT, 'bench', 'data', 'n200000-s1');
const perRequest = Number(process.argv[3] ?? 5000);
const TOKEN = 'serve-load-token-0123456789';

const lines: string[] = [];
for (const f of (await expandInputs([join(dataset, 'logs')])).files) {
  for await (const batch of frameFile(f.path, f.display)) {
    for (const it of batch) {
      if (it.kind === 'text') lines.push(it.value);
      else if (it.kind === 'json' || it.kind === 'csv') lines.push(JSON.stringify(it.value));
    }
  }
}
const { proc, base } = await startServe(['--data-dir', mkdtempSync(join(tmpdir(), 'cw-load-')), '--token', TOKEN]);
const auth = { authorization: `Bearer ${TOKEN}` };
const latencies: number[] = [];
const t0 = performance.now();
let accepted = 0;
for (let i = 0; i < lines.length; i += perRequest) {
  const t = performance.now();
  const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: auth, body: lines.slice(i, i + perRequest).join('\n') });
  accepted += ((await r.json()) as { accepted: number }).accepted;
  latencies.push(performance.now() - t);
}
const seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const alerts: Array<{ rule: { id: string }; source: { ip: string } }> = [];
let cursor: string | null = null;
do {
  const page = (await (await fetch(`${base}/api/v1/alerts?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth })).json()) as { alerts: typeof alerts; next: string | null };
  alerts.push(...page.alerts);
  cursor = page.next;
} while (cursor);
proc.kill('SIGTERM');
const truth = JSON.parse(readFileSync(join(dataset, 'truth.json'), 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
const got = [...new Set(alerts.map((a) => `${a.rule.id} ${a.source.ip}`))].sort();
const want = truth.pairs.map((p) => `${p.rule} ${p.ip}`).sort();
const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!;
console.log(`${accepted} of ${lines.length} records accepted in ${seconds.toFixed(1)} s: ${Math.round(accepted / seconds)} records/s; ` +
  `request p99 ${p99.toFixed(0)} ms (${perRequest} records each); alerts ${alerts.length}, pairs ${got.length}, truth ${want.length}: ` +
  (JSON.stringify(got) === JSON.stringify(want) ? 'agree' : 'DISAGREE'));
if (JSON.stringify(got) !== JSON.stringify(want)) process.exitCode = 3;
