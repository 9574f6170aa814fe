// `npm run bench:kernel -- [files…] [--wasm A.wasm --wasm B.wasm] [--mb 8] [--rounds 15]`:
// the scan kernel's throughput (GB/s) on real bytes, without the rest of a hunt —
// findHits as the first pass runs it (the marker words and alerted IPv4s in one
// pass), findHitLines (the same, in NDJSON line mode), findSeparators (JSON
// arrays), mayHoldKeys (the identity decoders' time keys over a whole stretch, as
// the first pass asks of an alert source's records), findKeys (the same keys
// listed record by record, as the window gate asks of a record naming an
// alerted IP) and pruneRecord (each line checked and written again with only the
// keys the decoders read, as hunt does to the records of alerted IPs). With several --wasm builds (`npx asc wasm/scan-kernel.ts -o X.wasm …`,
// the flags of package.json's build:wasm) their rounds are interleaved, so the
// VM's drift falls on all alike: how docs/performance.md compares kernel changes.
// Files: the first --mb MB of each (default: the 1M bench set's Entra and
// Exchange NDJSON). The alerted IPs: the first 64 distinct dotted quads of each.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ScanKernel } from '../src/inputs/scan-kernel.js';
import { ipv4Number } from '../src/model/ip.js';
import { MARKER_WORDS } from '../src/pipeline/alert-markers.js';
import { prunedRecords } from '../src/hunt/pruned-records.js';
import { configureIdentityKeys } from '../src/hunt/window-gate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SET = join(ROOT, 'bench', 'data', 'n1000000-s1-ndjson-share0p05', 'logs');
const DEFAULT_FILES = [join(DEFAULT_SET, 'entra', 'insights-logs-signinlogs.json'), join(DEFAULT_SET, 'm365', 'Audit.Exchange.ndjson')];

function options(argv: string[]): { files: string[]; wasm: string[]; mb: number; rounds: number } {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { wasm: { type: 'string', multiple: true }, mb: { type: 'string' }, rounds: { type: 'string' } },
  });
  const o = {
    files: positionals.length > 0 ? positionals.map((f) => resolve(f)) : DEFAULT_FILES,
    wasm: (values.wasm ?? []).map((p) => resolve(p)), mb: Number(values.mb ?? 8), rounds: Number(values.rounds ?? 15),
  };
  const missing = o.files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`no such file: ${missing.join(', ')} (npm run bench -- --sweep-only --sweep-sizes 1000000 makes the default set)`);
  if (!(o.mb > 0) || !(o.rounds > 0)) throw new Error('--mb and --rounds take positive numbers');
  return o;
}

/** The first `n` distinct dotted quads of the text, as the kernel's table takes them. */
function quadsOf(text: string, n: number): number[] {
  const out = new Set<number>();
  for (const m of text.matchAll(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g)) {
    const v = ipv4Number(m[0]);
    if (v !== null) out.add(v >>> 0);
    if (out.size >= n) break;
  }
  return [...out];
}

const o = options(process.argv.slice(2));
const builds = o.wasm.length > 0 ? o.wasm.map((p) => ({ name: p, module: new WebAssembly.Module(readFileSync(p)) })) : [{ name: 'dist/scan-kernel.wasm', module: undefined }];
/** The current file's lines: start and end (newline) offsets, one after the other. */
let lines: number[] = [];
const cases: Array<{ name: string; run: (k: ScanKernel, n: number) => void }> = [
  { name: 'findHits', run: (k, n) => void k.findHits(0, n) },
  { name: 'findHitLines', run: (k, n) => void k.findHitLines(0, n, 1 << 20) },
  { name: 'findSeparators', run: (k, n) => { k.resetStructure(1, 1, 1); k.findSeparators(0, n - (n % 64), false); } },
  { name: 'mayHoldKeys', run: (k, n) => void k.mayHoldKeys(0, n) },
  {
    name: 'findKeys',
    run: (k) => {
      for (let i = 0; i < lines.length; i += 2) k.findKeys(lines[i]!, lines[i + 1]!);
    },
  },
  {
    name: 'pruneRecord',
    run: (k) => {
      for (let i = 0; i < lines.length; i += 2) k.prune(lines[i]!, lines[i + 1]!);
    },
  },
];
for (const file of o.files) {
  const whole = readFileSync(file);
  const data = whole.subarray(0, Math.min(whole.length, o.mb << 20));
  // Whole lines only: findHitLines wants the stretch to end at a newline.
  const n = data.lastIndexOf(0x0a) + 1 || data.length;
  const ips = quadsOf(data.subarray(0, n).toString('latin1'), 64);
  lines = [];
  for (let at = 0; at < n;) {
    const nl = data.indexOf(0x0a, at);
    const end = nl < 0 || nl >= n ? n : nl;
    lines.push(at, end);
    at = end + 1;
  }
  const kernels = builds.map((b) => {
    const k = b.module ? new ScanKernel(b.module) : new ScanKernel();
    k.ensure(n);
    data.copy(k.buffer, 0, 0, n);
    k.pad(n);
    if (!k.configure(MARKER_WORDS, ips)) throw new Error('could not configure the kernel');
    prunedRecords(k, { defaultOffsetMinutes: 0, reference: { ms: Date.now(), ns: 0 } }); // (configures the pruned keys)
    configureIdentityKeys(k); // (the keys mayHoldKeys and findKeys look for)
    return k;
  });
  const times = builds.map(() => cases.map(() => [] as number[]));
  for (let r = 0; r < o.rounds; r++) {
    for (let b = 0; b < builds.length; b++) {
      cases.forEach((c, ci) => {
        const t = process.hrtime.bigint();
        c.run(kernels[b]!, n);
        times[b]![ci]!.push(Number(process.hrtime.bigint() - t));
      });
    }
  }
  console.log(`${file} (${(n / 1e6).toFixed(1)} MB, ${ips.length} alerted IPv4s), GB/s, median (best quarter):`);
  builds.forEach((b, bi) => {
    const cells = cases.map((c, ci) => {
      const ts = [...times[bi]![ci]!].sort((x, y) => x - y);
      const gbs = (ns: number): string => (n / ns).toFixed(2);
      return `${c.name} ${gbs(ts[Math.floor(ts.length / 2)]!)} (${gbs(ts[Math.floor(ts.length / 4)]!)})`;
    });
    console.log(`  ${b.name}: ${cells.join('  ')}`);
  });
}
