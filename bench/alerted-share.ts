// The bench's selectivity axis (issue #18): a generated dataset with network
// alerts added for source IPs chosen so that a given share of its identity
// records (every Entra sign-in and M365 audit record, whatever its operation or
// outcome: what hunt's prefilter reads in full when it names an alerted IP) come from alerted
// IPs — 0.1 %, 5 %, 20 %, 50 %. hunt's prefilter is fast when few identity
// records name an alerted IP; real tenants have busy addresses (VPN egress,
// proxies, a NAT'd office) that sensors also alert on, so the sweep measures
// every point of that range.
//
// Which IPs: every source IP of an identity record is a candidate — public,
// private or otherwise special-purpose alike, as sensors alert on all of them
// (an IP that can never fire still costs hunt if it enters its prefilter) —
// taken in a seeded random order until their identity records reach the share.
// Each gets one Suricata alert a minute before its first identity record, so
// most of its records lie within a window and the correlator does real work.
// The records are counted by crosswatch's own decoders (what hunt calls an
// identity record is what counts). Such a dataset has no ground truth: the
// bench compares hunt's answer with DuckDB's.
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, relative } from 'node:path';
import { frameFile } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { decodeFramed } from '../src/pipeline/decode.js';
import { Rng } from '../src/generate/rng.js';
import { BASE_TIME_MS } from '../src/generate/generator.js';
import { DATA_DIR, eveAlertLine, linkFiles, type Dataset } from './datasets.js';
import { listDataset } from './files.js';

const MARKER = 'bench-dataset.json';
/** The identity providers' datasets (Entra sign-ins in every shape, the M365 unified audit log). */
const IDENTITY_DATASETS = new Set(['azure.signinlogs', 'o365.audit']);

export interface ShareInfo {
  /** The share asked for (0..1). */
  share: number;
  /** The share reached: identity records of the alerted IPs / all identity records. */
  reached: number;
  alertedIps: number;
  identityRecords: number;
}

/** Per base dataset, its identity records by IP (counted once for all its shares). */
const counted = new Map<string, Promise<{ byIp: Map<string, { n: number; first: number }>; total: number }>>();

/** Per source IP, its identity records' count and first time (ms), by crosswatch's decoders. */
async function identityByIp(logsDir: string): Promise<{ byIp: Map<string, { n: number; first: number }>; total: number }> {
  const byIp = new Map<string, { n: number; first: number }>();
  let total = 0;
  const inputs = await expandInputs([logsDir]);
  const ctx = { defaultOffsetMinutes: 0, reference: { ms: BASE_TIME_MS, ns: 0 } };
  try {
    for (const f of inputs.files) {
      for await (const batch of frameFile(f.path, f.display)) {
        decodeFramed(batch, { ctx }, {
          decoded: ({ result }) => {
            if (!result.ok) return;
            const ev = result.event.event;
            if (!IDENTITY_DATASETS.has(ev.event.dataset)) return;
            total++;
            const ip = ev.source?.ip;
            if (!ip) return;
            const e = byIp.get(ip);
            if (e) {
              e.n++;
              if (result.event.at.ms < e.first) e.first = result.event.at.ms;
            } else byIp.set(ip, { n: 1, first: result.event.at.ms });
          },
        });
      }
    }
  } finally {
    await inputs.cleanup();
  }
  return { byIp, total };
}

/** The base dataset with alerts for IPs carrying `share` of its identity records (cached under bench/data/). */
export async function buildShare(base: Dataset, share: number, log: (s: string) => void): Promise<Dataset & { shareInfo: ShareInfo }> {
  const name = `${base.name}-share${String(share).replace('.', 'p')}`;
  const dir = join(DATA_DIR, name);
  const markerPath = join(dir, MARKER);
  if (existsSync(markerPath)) {
    const m = JSON.parse(readFileSync(markerPath, 'utf8')) as { records: number; bytes: number; shareInfo: ShareInfo };
    log(`dataset ${relative(process.cwd(), dir)}: cached`);
    return { ...base, name, dir, logsDir: join(dir, 'logs'), records: m.records, bytes: m.bytes, truth: null, shareInfo: m.shareInfo };
  }
  rmSync(dir, { recursive: true, force: true });
  const logsDir = join(dir, 'logs');
  linkFiles(base.logsDir, logsDir);
  if (!counted.has(base.logsDir)) counted.set(base.logsDir, identityByIp(base.logsDir));
  const { byIp, total } = await counted.get(base.logsDir)!;
  // A seeded shuffle (by IP text, then order), taken until the share is reached.
  const ips = [...byIp.keys()].sort();
  const rng = new Rng(base.seed, 77);
  for (let i = ips.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ips[i], ips[j]] = [ips[j]!, ips[i]!];
  }
  const target = share * total;
  const picked: string[] = [];
  let covered = 0;
  for (const ip of ips) {
    if (covered >= target) break;
    picked.push(ip);
    covered += byIp.get(ip)!.n;
  }
  const eve = join(logsDir, 'suricata', 'bench-share', 'eve.json');
  mkdirSync(dirname(eve), { recursive: true });
  const out = createWriteStream(eve);
  for (const [n, ip] of picked.entries()) {
    if (!out.write(eveAlertLine(ip, byIp.get(ip)!.first - 60_000, n, 'bench-share', 8_000_000_000))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const bytes = listDataset(logsDir).bytes;
  const shareInfo: ShareInfo = { share, reached: total > 0 ? covered / total : 0, alertedIps: picked.length, identityRecords: total };
  const records = base.records + picked.length;
  writeFileSync(markerPath, JSON.stringify({ size: base.size, seed: base.seed, records, bytes, generatedS: 0, createdAt: new Date().toISOString(), shareInfo }, null, 2) + '\n');
  log(`dataset ${relative(process.cwd(), dir)}: ${picked.length} alerted IPs carry ${(shareInfo.reached * 100).toFixed(2)} % of ${total} identity records`);
  return { ...base, name, dir, logsDir, records, bytes, truth: null, shareInfo };
}
