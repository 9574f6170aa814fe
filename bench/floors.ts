// Child process: the two floors, over every file of a dataset.
//   bytes: read every byte (1 MB reads into one reused buffer) and count the newlines
//          with Buffer.indexOf — what any tool must at least do;
//   parse: JSON.parse every record in a tight loop — every NDJSON line (decoded from
//          the read buffer line by line), every JSON array / envelope document whole,
//          and for the Purview CSV the AuditData column of every row.
// Writes {ms, records, lines} to OUT.json; ms excludes process start-up.
//   node --import tsx bench/floors.ts bytes|parse LOGS_DIR OUT.json
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { listDataset, NDJSON_KINDS } from './files.js';
import { forEachLine } from './lines.js';

const CHUNK = 1 << 20;
const NL = 0x0a;

function countNewlines(path: string, buf: Buffer): number {
  const fd = openSync(path, 'r');
  let n = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      const view = got === buf.length ? buf : buf.subarray(0, got);
      let i = view.indexOf(NL);
      while (i !== -1) {
        n++;
        i = view.indexOf(NL, i + 1);
      }
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** The 4th field (AuditData) of a Purview CSV row: CreationDate,UserIds,Operations,AuditData. */
function auditData(row: string): string | null {
  let i = 0;
  for (let field = 0; field < 3; field++) {
    if (row.charCodeAt(i) === 0x22) {
      // Quoted: skip to the closing quote (doubled quotes are escapes).
      i++;
      for (;;) {
        const q = row.indexOf('"', i);
        if (q === -1) return null;
        if (row.charCodeAt(q + 1) === 0x22) i = q + 2;
        else {
          i = q + 1;
          break;
        }
      }
    } else {
      const c = row.indexOf(',', i);
      if (c === -1) return null;
      i = c;
    }
    if (row.charCodeAt(i) !== 0x2c) return null;
    i++;
  }
  const rest = row.slice(i);
  return rest.charCodeAt(0) === 0x22 ? rest.slice(1, -1).replaceAll('""', '"') : rest;
}

function main(): void {
  const [mode, logsDir, out] = process.argv.slice(2);
  if ((mode !== 'bytes' && mode !== 'parse') || !logsDir || !out) {
    process.stderr.write('usage: floors.ts bytes|parse LOGS_DIR OUT.json\n');
    process.exit(1);
  }
  const listing = listDataset(logsDir);
  const buf = Buffer.allocUnsafe(CHUNK);
  const t0 = performance.now();
  let records = 0;
  let lines = 0;
  let sink = 0;
  if (mode === 'bytes') {
    for (const f of listing.all) lines += countNewlines(f.path, buf);
  } else {
    for (const f of listing.all) {
      if (f.kind !== 'other' && NDJSON_KINDS.has(f.kind)) {
        forEachLine(f.path, buf, (b, s, e) => {
          const v = JSON.parse(b.toString('utf8', s, e)) as object;
          if (v !== null) records++;
        });
      } else if (f.kind === 'purview') {
        let header = true;
        forEachLine(f.path, buf, (b, s, e) => {
          if (header) {
            header = false;
            return;
          }
          const ad = auditData(b.toString('utf8', s, e));
          if (ad !== null) {
            const v = JSON.parse(ad) as object;
            if (v !== null) records++;
          }
        });
      } else {
        const v = JSON.parse(readFileSync(f.path, 'utf8')) as unknown;
        if (Array.isArray(v)) records += v.length;
        else if (v !== null && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          const inner = o['records'] ?? o['value'];
          records += Array.isArray(inner) ? inner.length : 1;
        }
        sink++;
      }
    }
  }
  const ms = performance.now() - t0;
  writeFileSync(out, JSON.stringify({ ms, records, lines, documents: sink }));
}

main();
