// The files of a generated dataset (DIR/logs), sorted into the kinds the DuckDB
// readers need, with their sizes.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Mix } from '../src/generate/generator.js';
import type { DatasetFiles } from './sql.js';

export type FileKind = keyof DatasetFiles;

export interface Listing {
  files: Required<DatasetFiles>;
  /** Every file under the logs folder, absolute path and size. */
  all: Array<{ path: string; bytes: number; kind: FileKind | 'other' }>;
  bytes: number;
}

/** Kinds whose files are NDJSON (one record a line); the others are whole JSON documents or CSV. */
export const NDJSON_KINDS: ReadonlySet<FileKind> = new Set<FileKind>(['eve', 'entraNdjson', 'entraSpNdjson', 'm365Ndjson']);

/** Each kind's files as globs under LOGS (the SQL scripts in the results file), per generator mix. */
export function globFiles(mix: Mix): DatasetFiles {
  const eve = ['LOGS/suricata/*/eve.json'];
  if (mix === 'ndjson') {
    return {
      eve, entraNdjson: ['LOGS/entra/insights-logs-signinlogs.json', 'LOGS/entra/insights-logs-noninteractiveusersigninlogs.json'],
      entraSpNdjson: ['LOGS/entra/insights-logs-serviceprincipalsigninlogs.json', 'LOGS/entra/insights-logs-managedidentitysigninlogs.json'],
      entraRecords: [], graph: [], m365: [], m365Ndjson: ['LOGS/m365/Audit.*.ndjson'], purview: [],
    };
  }
  return {
    eve, entraNdjson: ['LOGS/entra/insights-logs-*.json'], entraRecords: ['LOGS/entra/records-*.json'],
    graph: ['LOGS/graph/*.json'], m365: ['LOGS/m365/Audit.*.json'], purview: ['LOGS/purview/*.csv'],
  };
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/** Which reader a file needs, from the generator's layout (see src/generate/generator.ts). */
export function kindOf(rel: string): FileKind | 'other' {
  const r = rel.split(sep).join('/');
  if (/^suricata\/.+\/eve\.json$/.test(r)) return 'eve';
  // (NDJSON mix) Applications' sign-ins name an application, not a user: their own reader.
  if (/^entra\/insights-logs-(serviceprincipal|managedidentity)signinlogs\.json$/.test(r)) return 'entraSpNdjson';
  if (/^entra\/insights-logs-[a-z]+\.json$/.test(r)) return 'entraNdjson';
  if (/^entra\/records-[a-z]+-\d+\.json$/.test(r)) return 'entraRecords';
  if (/^graph\/.+\.json$/.test(r)) return 'graph';
  if (/^m365\/Audit\..+\.ndjson$/.test(r)) return 'm365Ndjson';
  if (/^m365\/Audit\..+\.json$/.test(r)) return 'm365';
  if (/^purview\/.+\.csv$/.test(r)) return 'purview';
  return 'other';
}

export function listDataset(logsDir: string): Listing {
  const paths: string[] = [];
  walk(logsDir, paths);
  paths.sort();
  const files: Required<DatasetFiles> = { eve: [], entraNdjson: [], entraSpNdjson: [], entraRecords: [], graph: [], m365: [], m365Ndjson: [], purview: [] };
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
