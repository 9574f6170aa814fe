// The project's own sample corpus (test/corpus/<decoder>/: records written by
// the project, one file per vendor form, licence-clean) against golden files:
// what `crosswatch normalize` prints for each record, with the read time fixed
// (year-less forms take their year from it). Every decoder is tested here
// without ../shared. After a deliberate change, review the diff of
//   UPDATE_GOLDEN=1 node --import tsx --test test/corpus.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DECODERS, decodeRecord } from '../src/decoders/index.js';
import type { DecodeContext } from '../src/decoders/types.js';
import { formatOrigin } from '../src/decoders/types.js';
import { frameFile } from '../src/inputs/framing.js';

const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./golden/corpus/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Read on 2026-06-01: year-less device times of the corpus fall in 2026. */
const CTX: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
/** The generic JSON decoder reads a feed only as the user maps it (`--map`); its corpus files use this mapping. */
const GENERIC_CTX: DecodeContext = { ...CTX, genericMap: { ip: 'attacker.ip', time: 'observed_at', name: 'threat.name', severity: 'threat.severity', sensor: 'sensor' } };

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  }).sort();
}

/** normalize's lines for a file: the event, or an error line naming file:line. */
async function normalizeLines(path: string, rel: string): Promise<string[]> {
  const ctx = rel.startsWith('generic-json/') ? GENERIC_CTX : CTX;
  const lines: string[] = [];
  for await (const batch of frameFile(path, rel)) {
    for (const item of batch) {
      if (item.kind === 'problem') {
        lines.push(JSON.stringify({ error: { code: item.reason, message: `${formatOrigin(item.origin)}: ${item.message}` } }));
        continue;
      }
      const { decoder, result } = decodeRecord(item, ctx);
      lines.push(JSON.stringify(result.ok
        ? result.event.event
        : { error: { code: result.error.reason, message: `${formatOrigin(item.origin)}: ${result.error.message}`, ...(decoder ? { decoder } : {}) } }));
    }
  }
  return lines;
}

const corpusFiles = files(CORPUS);

test('the corpus has samples for every decoder', () => {
  const folders = new Set(corpusFiles.map((f) => relative(CORPUS, f).split('/')[0]));
  const missing = DECODERS.map((d) => d.name).filter((n) => !folders.has(n));
  assert.deepEqual(missing, [], `decoders without samples in test/corpus/: ${missing.join(', ')}`);
});

for (const path of corpusFiles) {
  const rel = relative(CORPUS, path);
  test(`corpus ${rel}: normalize output equals the golden file`, async () => {
    const got = await normalizeLines(path, rel);
    assert.ok(got.length > 0, 'a sample file holds records');
    const goldenPath = join(GOLDEN, `${rel}.ndjson`);
    if (UPDATE) {
      mkdirSync(dirname(goldenPath), { recursive: true });
      writeFileSync(goldenPath, `${got.join('\n')}\n`);
    }
    assert.ok(existsSync(goldenPath), `no golden file for ${rel}: write it with UPDATE_GOLDEN=1 and review it`);
    const want = readFileSync(goldenPath, 'utf8').trimEnd().split('\n');
    assert.deepEqual(got.map((l) => JSON.parse(l) as unknown), want.map((l) => JSON.parse(l) as unknown));
  });
}

test('every golden file belongs to a corpus file (none left behind by a rename)', () => {
  const want = new Set(corpusFiles.map((f) => `${relative(CORPUS, f)}.ndjson`));
  const stale = files(GOLDEN).map((f) => relative(GOLDEN, f)).filter((g) => !want.has(g));
  assert.deepEqual(stale, []);
});
