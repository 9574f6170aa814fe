// Datasets for the bench, cached under bench/data/ (git-ignored), keyed by size,
// seed and mix (the vendors' mixed formats, or NDJSON only): generated with the real
// generator (src/generate/generator.ts), reused when their marker file says they are
// complete. Also the bench-only "alerted IPs" variants for the scale section (see buildAlerted).
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, BASE_TIME_MS, SPAN_MS } from '../src/generate/generator.js';
import type { Mix } from '../src/generate/generator.js';
import { canonicalIp, specialPurpose } from '../src/model/ip.js';
import { listDataset } from './files.js';
import { forEachLine } from './lines.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = join(BENCH_DIR, 'data');
const MARKER = 'bench-dataset.json';
/** Measured: about 2.1 KB per record in the raw vendor shapes, either mix; with some margin. */
export const BYTES_PER_RECORD = 2200;

export type { Mix };

export interface Dataset {
  name: string;
  dir: string;
  logsDir: string;
  size: number;
  seed: number;
  /** How the generator framed the records. */
  mix: Mix;
  records: number;
  bytes: number;
  /** truth.json's pairs, when the dataset has a ground truth (not the alerted variants). */
  truth: Array<{ rule: string; ip: string }> | null;
  generatedS?: number;
  /** For alerted variants: how the extra alerts were made. */
  alerted?: { extra: number; fromSignins: number; synthetic: number };
}

interface Marker {
  size: number;
  seed: number;
  /** Absent in markers written before the NDJSON mix: mixed. */
  mix?: Mix;
  records: number;
  bytes: number;
  generatedS: number;
  createdAt: string;
  alerted?: Dataset['alerted'];
}

/** n<size>-s<seed> for the mixed formats (as before mixes existed, so cached data stays valid), n<size>-s<seed>-ndjson. */
export function datasetName(size: number, seed: number, mix: Mix = 'mixed'): string {
  return mix === 'mixed' ? `n${size}-s${seed}` : `n${size}-s${seed}-${mix}`;
}

export function datasetDir(size: number, seed: number, mix: Mix = 'mixed'): string {
  return join(DATA_DIR, datasetName(size, seed, mix));
}

export function isCached(size: number, seed: number, mix: Mix = 'mixed'): boolean {
  return existsSync(join(datasetDir(size, seed, mix), MARKER));
}

/** Free bytes on the file system that holds bench/data. */
export function freeBytes(): number {
  mkdirSync(DATA_DIR, { recursive: true });
  const s = statfsSync(DATA_DIR);
  return s.bavail * s.bsize;
}

function readTruth(dir: string): Dataset['truth'] {
  const p = join(dir, 'truth.json');
  if (!existsSync(p)) return null;
  return (JSON.parse(readFileSync(p, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> }).pairs;
}

/**
 * The dataset of `size` records (the generator's count: the NDJSON mix writes a few
 * fewer, the records the mixed formats hold twice) and `seed`, generated unless cached.
 */
export async function ensureDataset(size: number, seed: number, regen: boolean, log: (s: string) => void, mix: Mix = 'mixed'): Promise<Dataset> {
  const name = datasetName(size, seed, mix);
  const dir = datasetDir(size, seed, mix);
  const markerPath = join(dir, MARKER);
  if (!regen && existsSync(markerPath)) {
    const m = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
    log(`dataset ${relative(process.cwd(), dir)}: cached (${m.records} records, ${(m.bytes / 1e9).toFixed(2)} GB)`);
    return { name, dir, logsDir: join(dir, 'logs'), size, seed, mix, records: m.records, bytes: m.bytes, truth: readTruth(dir), generatedS: m.generatedS };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`dataset ${relative(process.cwd(), dir)}: generating ${size} records (seed ${seed}${mix === 'mixed' ? '' : `, ${mix} only`}) ...`);
  const t0 = Date.now();
  const res = await generate({ outDir: dir, events: size, seed, mix });
  const generatedS = (Date.now() - t0) / 1000;
  const bytes = listDataset(res.logsDir).bytes;
  // The mixed marker keeps its old shape (no mix field).
  const m: Marker = { size, seed, ...(mix === 'mixed' ? {} : { mix }), records: res.records, bytes, generatedS, createdAt: new Date().toISOString() };
  writeFileSync(markerPath, JSON.stringify(m, null, 2) + '\n');
  log(`  ${res.records} records, ${(bytes / 1e9).toFixed(2)} GB in ${generatedS.toFixed(1)} s; ${res.pairs.length} expected (rule, ip) pairs`);
  return { name, dir, logsDir: res.logsDir, size, seed, mix, records: res.records, bytes, truth: res.pairs, generatedS };
}

// ---------------------------------------------------------------- alerted-IP variants

/**
 * A copy of a generated dataset (hard links: no extra disk, the originals are never
 * written) plus one more EVE file, logs/suricata/bench-extra/eve.json, holding `extra`
 * alert lines for `extra` distinct public IPs, so that those IPs become alerted:
 *  - first the public source IPs of successful interactive / non-interactive sign-ins
 *    (entra/insights-logs-*.json), in file order, each alerted 60 s before its first
 *    successful sign-in, so the alert does match and the correlator does real work;
 *  - when the dataset has fewer such IPs than asked, synthetic public addresses in
 *    11.0.0.0/8 (which the generator never uses), spread over the data's time span:
 *    alerted IPs with no identity event, which only cost memory and lookups.
 * The generator cannot vary the number of alerted IPs itself (it scales scanners with
 * the record count), hence this bench-only builder. Such a dataset has no ground truth.
 */
export async function buildAlerted(base: Dataset, extra: number, log: (s: string) => void): Promise<Dataset> {
  const name = `${base.name}-alerted${extra}`;
  const dir = join(DATA_DIR, name);
  const markerPath = join(dir, MARKER);
  if (existsSync(markerPath)) {
    const m = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
    log(`dataset ${relative(process.cwd(), dir)}: cached`);
    return { name, dir, logsDir: join(dir, 'logs'), size: base.size, seed: base.seed, mix: base.mix, records: m.records, bytes: m.bytes, truth: null, alerted: m.alerted };
  }
  rmSync(dir, { recursive: true, force: true });
  const logsDir = join(dir, 'logs');
  linkFiles(base.logsDir, logsDir);
  const picked = signinIps(base.logsDir, extra);
  const eve = join(logsDir, 'suricata', 'bench-extra', 'eve.json');
  mkdirSync(dirname(eve), { recursive: true });
  const out = createWriteStream(eve);
  let n = 0;
  const write = async (ip: string, ms: number): Promise<void> => {
    if (!out.write(eveAlertLine(ip, ms, n++))) await once(out, 'drain');
  };
  for (const [ip, ms] of picked) await write(ip, ms - 60_000);
  const synthetic = extra - picked.size;
  for (let i = 1; i <= synthetic; i++) {
    await write(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, BASE_TIME_MS + Math.floor((SPAN_MS * i) / (synthetic + 1)));
  }
  out.end();
  await once(out, 'finish');
  const bytes = listDataset(logsDir).bytes;
  const alerted = { extra, fromSignins: picked.size, synthetic };
  const m: Marker = { size: base.size, seed: base.seed, ...(base.mix === 'mixed' ? {} : { mix: base.mix }), records: base.records + extra, bytes, generatedS: 0, createdAt: new Date().toISOString(), alerted };
  writeFileSync(markerPath, JSON.stringify(m, null, 2) + '\n');
  log(`dataset ${relative(process.cwd(), dir)}: ${extra} extra alerted IPs (${picked.size} from sign-ins, ${synthetic} synthetic)`);
  return { name, dir, logsDir, size: base.size, seed: base.seed, mix: base.mix, records: m.records, bytes, truth: null, alerted };
}

/** Up to `max` distinct public IPs of successful user sign-ins, with their first sign-in time (ms). */
function signinIps(logsDir: string, max: number): Map<string, number> {
  const found = new Map<string, number>();
  const dir = join(logsDir, 'entra');
  // User sign-ins only: the NDJSON mix writes applications' sign-ins as insights-logs-* files too.
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => /^insights-logs-(signinlogs|noninteractiveusersigninlogs)\.json$/.test(n)).sort() : [];
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const name of names) {
    if (found.size >= max) break;
    forEachLine(join(dir, name), buf, (b, s, e) => {
      const r = JSON.parse(b.toString('utf8', s, e)) as { resultType?: string; properties?: { ipAddress?: string; createdDateTime?: string } };
      if (r.resultType !== '0' || !r.properties?.createdDateTime) return true;
      const ip = canonicalIp(r.properties.ipAddress);
      if (ip === null || specialPurpose.match(ip) !== null || found.has(ip)) return true;
      found.set(ip, Date.parse(r.properties.createdDateTime));
      return found.size < max;
    });
  }
  return found;
}

/** A variant's logs: the base dataset's files, hard-linked (no copy), to which the variant adds its own. */
export function linkFiles(fromLogs: string, toLogs: string): void {
  for (const f of listDataset(fromLogs).all) {
    const to = join(toLogs, relative(fromLogs, f.path));
    mkdirSync(dirname(to), { recursive: true });
    linkSync(f.path, to);
  }
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** A Suricata alert from `ip` at `ms` (the n-th the bench adds; `host` names the fake sensor), in the generator's sensors' shape. */
export function eveAlertLine(ip: string, ms: number, n: number, host = 'bench-extra', flowBase = 9_000_000_000): string {
  const d = new Date(ms);
  const ts = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000+0000`;
  return (
    `{"timestamp":"${ts}","flow_id":${flowBase + n},"in_iface":"eth9","event_type":"alert","src_ip":"${ip}","src_port":${49152 + (n % 16000)},"dest_ip":"195.145.42.25","dest_port":443,"proto":"TCP",` +
    `"alert":{"action":"allowed","gid":1,"signature_id":2403302,"rev":98512,"signature":"ET CINS Active Threat Intelligence Poor Reputation IP group 3","category":"Misc Attack","severity":2},"host":"${host}"}\n`
  );
}
