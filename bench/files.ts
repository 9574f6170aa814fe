// The files of a generated dataset (DIR/logs), sorted into the kinds the DuckDB
// readers need, with their sizes.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DatasetFiles } from './sql.js';

export interface Listing {
  files: DatasetFiles;
  /** Every file under the logs folder, absolute path and size. */
  all: Array<{ path: string; bytes: number; kind: keyof DatasetFiles | 'other' }>;
  bytes: number;
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/** Which reader a file needs, from the generator's layout (see src/generate/generator.ts). */
export function kindOf(rel: string): keyof DatasetFiles | 'other' {
  const r = rel.split(sep).join('/');
  if (/^suricata\/.+\/eve\.json$/.test(r)) return 'eve';
  if (/^entra\/insights-logs-[a-z]+\.json$/.test(r)) return 'entraNdjson';
  if (/^entra\/records-[a-z]+-\d+\.json$/.test(r)) return 'entraRecords';
  if (/^graph\/.+\.json$/.test(r)) return 'graph';
  if (/^m365\/Audit\..+\.json$/.test(r)) return 'm365';
  if (/^purview\/.+\.csv$/.test(r)) return 'purview';
  return 'other';
}

export function listDataset(logsDir: string): Listing {
  const paths: string[] = [];
  walk(logsDir, paths);
  paths.sort();
  const files: DatasetFiles = { eve: [], entraNdjson: [], entraRecords: [], graph: [], m365: [], purview: [] };
  const all: Listing['all'] = [];
  let bytes = 0;
  for (const p of paths) {
    const kind = kindOf(relative(logsDir, p));
    const size = statSync(p).size;
    bytes += size;
    all.push({ path: p, bytes: size, kind });
    if (kind !== 'other') files[kind].push(p);
  }
  return { files, all, bytes };
}
