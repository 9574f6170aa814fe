// Child process: runs the DuckDB detection (one variant) over one dataset and
// writes {queryMs, pairs, version} as JSON to the output file. Timed from outside
// as a whole process too; queryMs excludes Node/tsx start-up and DuckDB instance creation.
//   node --import tsx bench/duckdb-run.ts untuned|tuned LOGS_DIR OUT.json
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, version } from '@duckdb/node-api';
import { listDataset } from './files.js';
import { DETECTION, MACROS, settings, tunedView, untunedView } from './sql.js';
import type { Variant } from './sql.js';

async function main(): Promise<void> {
  const [variant, logsDir, out] = process.argv.slice(2);
  if ((variant !== 'tuned' && variant !== 'untuned') || !logsDir || !out) {
    process.stderr.write('usage: duckdb-run.ts untuned|tuned LOGS_DIR OUT.json\n');
    process.exit(1);
  }
  const { files } = listDataset(logsDir);
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const t0 = performance.now();
  await con.run(settings(variant as Variant));
  await con.run(MACROS);
  await con.run(variant === 'tuned' ? tunedView(files) : untunedView(files));
  const reader = await con.runAndReadAll(DETECTION);
  const rows = reader.getRowObjectsJson() as Array<{ rule: string; ip: string }>;
  const queryMs = performance.now() - t0;
  writeFileSync(out, JSON.stringify({ queryMs, version: version(), pairs: rows.map((r) => ({ rule: r.rule, ip: r.ip })) }));
  con.closeSync();
  db.closeSync();
}

main().catch((e: unknown) => {
  process.stderr.write(`duckdb-run: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
