// How fast one thread decodes serve's HTTP bodies (decodeBody, what an ingest
// worker runs), without HTTP, SQLite or other threads: the serve bench's bodies
// (2,000 records each, every record of the dataset as NDJSON), decoded round
// after round (the first rounds warm the JIT up):
//   node --import tsx --max-semi-space-size=16 bench/decode-body.ts [ROUNDS] [DATASET_DIR]
// (16 MB semi-spaces: an ingest worker's young generation, src/http/ingest-pool.ts.)
import { decodeBody } from '../src/stream/stream-decode.js';
import { datasetLines } from './serve-bench.js';

const lines = await datasetLines(process.argv[3] ?? 'bench/data/n200000-s1');
const bodies: Buffer[] = [];
for (let i = 0; i < lines.length; i += 2000) bodies.push(Buffer.from(lines.slice(i, i + 2000).join('\n') + '\n'));
const ctx = { defaultOffsetMinutes: 0, reference: { ms: Date.now(), ns: 0 } };
const rounds = Number(process.argv[2] ?? 7);
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  let n = 0;
  for (const body of bodies) {
    const d = await decodeBody({ body, gzip: false, display: 'b', source: 'http', decode: ctx, watermarkMs: Number.NEGATIVE_INFINITY, maxBytes: 1e9 });
    if ('accepted' in d) n += d.accepted;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`round ${r}: ${n} records in ${s.toFixed(2)} s = ${(n / s / 1000).toFixed(1)}k/s`);
}
