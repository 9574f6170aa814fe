// The serve measurement (issue #5): `crosswatch serve` on loopback, fed over HTTP
// ingest by several concurrent clients, with a probe client timing how long a
// planted alert takes to become queryable, then a soak with fresh data and the
// server's memory sampled. Used by `npm run bench` (bench/run.ts, the serve
// section) and by `node --import tsx bench/serve-load.ts` on its own.
//
// 1. Throughput: every record of a generated dataset, as NDJSON bodies of
//    `perRequest` records (prepared before the clock starts), sent by `clients`
//    clients at once, each posting its next body when its previous one is
//    answered. records/s = records accepted / (last reply − first send); request
//    latency = send → reply of each body. Then every alert is listed and its
//    (rule, IP) pairs must equal truth.json; and when the bench ran hunt on the
//    same dataset in this run, its alerts must be serve's, episode by episode
//    (issue #16: rule, IP, start, end, alert id, evidence counts and users).
// 2. Probe, during both phases: one request at a time holding a network alert
//    and a sign-in 60 s later for a fresh public IP (11.250.x.y, which the
//    datasets never use), then GET /api/v1/alerts?ip= every 20 ms until the alert
//    is listed. accept→queryable = first byte of the POST sent → the GET that
//    lists it answered. A probe every ~200 ms.
// 3. Soak: the same bodies again and again for `soakMinutes`, each pass re-timed
//    (every date shifted by a whole number of days, past the data's span, so the
//    passes never overlap) and with fresh ids (the first 8 hex digits of every
//    UUID changed per pass), rewritten in place in the prepared bodies: the
//    stream never repeats, event time moves forward, and eviction works as on an
//    endless feed. The server's RSS (VmRSS of /proc/PID/status) is sampled every
//    2 s. Flat: the median RSS over the last tenth of the soak within 10 % of the
//    median over 45–55 % of it (half-time). At the end, the
//    alerts' (rule, IP) pairs (every pass has the truth's IPs) must still equal
//    the truth.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_TIME_MS, SPAN_MS } from '../src/generate/generator.js';
import { frameFile } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { BIN as SERVE_BIN, startServe } from '../test/serve-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'serve-bench-token-0123456789abcdef';
const PROBE_PREFIX = '11.250.';
const SCENARIO = join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
const DAY_MS = 86_400_000;

export interface ServeBenchOptions {
  datasetDir: string;
  /** Records per request (the bench uses 2000, ~4 MB bodies). */
  perRequest: number;
  /** Concurrent ingest clients. */
  clients: number;
  /** Soak length; 0: no soak. */
  soakMinutes: number;
  /** serve's ingest worker threads (serve.ingestThreads); default: serve's own default. */
  ingestThreads?: number;
  /** serve.synchronous (default full). */
  synchronous?: 'full' | 'normal';
  /** Extra node options for the server (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** The crosswatch entry point (default: this checkout's bin/crosswatch.js). */
  bin?: string;
  /**
   * hunt's NDJSON alerts for the same dataset, to compare serve's with. Default: the
   * bench's own hunt output for it (bench/data/tmp/hunt-<dataset>.out, see run.ts),
   * when written during this run; none: serve is compared with the truth only.
   */
  huntAlerts?: string;
  /**
   * serve's --rules (default: the built-ins). With rules beyond the built-in
   * ones (bench/sigma-rules: the general Sigma path), their alerts are counted
   * apart (generalAlerts) and the built-in rules' answers checked as always.
   */
  rules?: string[];
  log?: (s: string) => void;
}

export interface LatencyStats {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PhaseStats {
  records: number;
  requests: number;
  seconds: number;
  recordsPerS: number;
  mbPerS: number;
  request: LatencyStats;
  /** accept → queryable of the probe's planted alerts during the phase. */
  probe: LatencyStats & { failed: number };
}

export interface ServeBenchResult {
  dataset: string;
  datasetRecords: number;
  perRequest: number;
  clients: number;
  bodyMB: number;
  ingestThreads: number | 'default';
  synchronous: 'full' | 'normal';
  throughput: PhaseStats;
  answers: { truth: number; got: number; agree: boolean; missing: string[]; extra: string[]; hunt: HuntCheck | null };
  /** serve's --rules, when given; and the alerts of rules other than the built-in ones. */
  rules?: string[];
  generalAlerts: number;
  soak: null | (PhaseStats & {
    minutes: number;
    passes: number;
    /** halfMB, endMB: medians over 45–55 % and 90–100 % of the soak; lastHalfGrowth = endMB / halfMB − 1. */
    rss: { startMB: number; halfMB: number; endMB: number; maxMB: number; lastHalfGrowth: number; flat: boolean; samples: Array<[number, number]> };
    storeMB: number;
    alerts: number;
    answers: { agree: boolean; missing: string[]; extra: string[] };
  });
}

/** serve's alerts against hunt's on the same dataset (null: hunt did not run on it). */
export interface HuntCheck {
  file: string;
  alerts: number;
  same: boolean;
  /** Episodes (rule, IP, start) not the same on both sides: on one side only, or with other fields. */
  differ: number;
  /** Of those, the ones that differ in the alert id alone. */
  idOnly: number;
  /** Up to 10 of each side's differing alerts (see episodeKey). */
  onlyHunt: string[];
  onlyServe: string[];
}

function stats(xs: number[]): LatencyStats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
  return { n: s.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: s.length ? s[s.length - 1]! : NaN };
}

// ---------------------------------------------------------------- HTTP

interface Reply { status: number; body: string }

function call(agent: Agent, base: string, method: string, path: string, body?: Buffer, onSent?: () => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), {
      method, agent,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) } : {}) },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (onSent) req.once('socket', () => onSent());
    req.end(body);
  });
}

interface EpisodeDoc {
  rule: { id: string };
  source: { ip: string };
  event: { id: string; start: string; end: string };
  user: { name: string[] };
  crosswatch: { evidence: { network_alert_count: number; event_count: number; user_count: number } };
}

/** An alert as hunt and serve must agree on it: its episode, id and evidence counts. */
function episodeKey(a: EpisodeDoc): string {
  const e = a.crosswatch.evidence;
  return `${a.rule.id} ${a.source.ip} ${a.event.start} ${a.event.end} ${a.event.id} alerts=${e.network_alert_count} events=${e.event_count} users=${e.user_count} names=${a.user.name.join(',')}`;
}

/** hunt's alerts as episodeKey()s, or null when there are none to compare with. */
function huntEpisodes(o: ServeBenchOptions): { file: string; episodes: string[] } | null {
  const file = o.huntAlerts ?? join(dirname(o.datasetDir), 'tmp', `hunt-${basename(o.datasetDir)}.out`);
  // The bench's own output only when this run wrote it (not one left by an aborted run).
  if (!existsSync(file) || (o.huntAlerts === undefined && statSync(file).mtimeMs < performance.timeOrigin)) return null;
  const episodes = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => episodeKey(JSON.parse(l) as EpisodeDoc));
  return { file, episodes };
}

function compareHunt(served: string[], hunt: { file: string; episodes: string[] }): HuntCheck {
  // By episode (rule, IP, start): its alerts on each side, the same or not.
  const byEpisode = (xs: string[]): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const x of xs) {
      const k = x.split(' ', 3).join(' ');
      m.set(k, [...(m.get(k) ?? []), x].sort());
    }
    return m;
  };
  const s = byEpisode(served);
  const h = byEpisode(hunt.episodes);
  const withoutId = (xs: string[] | undefined): string => (xs ?? []).map((x) => x.split(' ').filter((_, i) => i !== 4).join(' ')).join('\n');
  let differ = 0;
  let idOnly = 0;
  for (const k of new Set([...s.keys(), ...h.keys()])) {
    if (s.get(k)?.join('\n') === h.get(k)?.join('\n')) continue;
    differ++;
    if (s.has(k) && h.has(k) && withoutId(s.get(k)) === withoutId(h.get(k))) idOnly++;
  }
  const hs = new Set(hunt.episodes);
  const ss = new Set(served);
  return {
    file: hunt.file, alerts: hunt.episodes.length, same: differ === 0, differ, idOnly,
    onlyHunt: hunt.episodes.filter((x) => !ss.has(x)).slice(0, 10), onlyServe: served.filter((x) => !hs.has(x)).slice(0, 10),
  };
}

/** `serve = hunt: yes|no (N differ)`, or why it was not compared. */
function huntLine(c: HuntCheck | null): string {
  if (c === null) return 'serve = hunt: not compared (hunt did not run on this dataset in this run)';
  return `serve = hunt: ${c.same ? 'yes' : 'no'} (${c.differ} differ${c.idOnly > 0 ? `, ${c.idOnly} only in the alert id` : ''}; hunt ${c.alerts} alerts)`;
}

/** The built-in rules' alerts as (rule, IP) pairs and episodes; the other rules' alerts counted (`general`). */
async function allPairs(agent: Agent, base: string): Promise<{ pairs: string[]; alerts: number; episodes: string[]; general: number }> {
  const pairs = new Set<string>();
  const episodes: string[] = [];
  let alerts = 0;
  let general = 0;
  let cursor: string | null = null;
  do {
    const r = await call(agent, base, 'GET', `/api/v1/alerts?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    if (r.status !== 200) throw new Error(`GET /api/v1/alerts: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    const page = JSON.parse(r.body) as { alerts: EpisodeDoc[]; next: string | null };
    for (const a of page.alerts) {
      if (!a.rule.id.startsWith('cw-')) {
        general++;
        continue;
      }
      if (a.source.ip.startsWith(PROBE_PREFIX)) continue;
      alerts++;
      pairs.add(`${a.rule.id} ${a.source.ip}`);
      episodes.push(episodeKey(a));
    }
    cursor = page.next;
  } while (cursor);
  return { pairs: [...pairs].sort(), alerts, episodes: episodes.sort(), general };
}

function compare(got: string[], want: string[]): { agree: boolean; missing: string[]; extra: string[] } {
  const g = new Set(got);
  const w = new Set(want);
  const missing = want.filter((p) => !g.has(p));
  const extra = got.filter((p) => !w.has(p));
  return { agree: missing.length === 0 && extra.length === 0, missing: missing.slice(0, 10), extra: extra.slice(0, 10) };
}

// ---------------------------------------------------------------- the data

/** Every record of the dataset as one NDJSON line, in file order (CSV rows as JSON objects). */
export async function datasetLines(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const f of (await expandInputs([join(dir, 'logs')])).files) {
    for await (const batch of frameFile(f.path, f.display)) {
      for (const it of batch) {
        if (it.kind === 'text') lines.push(it.value);
        else if (it.kind === 'json' || it.kind === 'csv') lines.push(JSON.stringify(it.value));
      }
    }
  }
  return lines;
}

/**
 * A prepared body and where its dates and UUIDs are, so a pass can be re-timed
 * and given fresh ids in place (bytes at the same offsets, same lengths).
 */
interface Body {
  buf: Buffer;
  records: number;
  /** Byte offsets of every "YYYY-MM-DD" followed by "T": the date part of an ISO time. */
  dateAt: Int32Array;
  /** Their original day number (days since the epoch). */
  dateDay: Int32Array;
  /** Byte offsets of every lower-case UUID's first 8 hex digits, and their value. */
  uuidAt: Int32Array;
  uuidHex: Uint32Array;
  inFlight: Promise<unknown> | null;
}

const DATE_RE = /(20\d\d)-(\d\d)-(\d\d)T\d\d:\d\d/g;
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function prepare(lines: string[]): Body {
  const buf = Buffer.from(lines.join('\n') + '\n', 'utf8');
  // latin1: one character per byte, so string positions are byte offsets.
  const text = buf.toString('latin1');
  const dateAt: number[] = [];
  const dateDay: number[] = [];
  for (const m of text.matchAll(DATE_RE)) {
    dateAt.push(m.index);
    dateDay.push(Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS));
  }
  const uuidAt: number[] = [];
  const uuidHex: number[] = [];
  for (const m of text.matchAll(UUID_RE)) {
    uuidAt.push(m.index);
    uuidHex.push(parseInt(m[0].slice(0, 8), 16));
  }
  return {
    buf, records: lines.length, dateAt: Int32Array.from(dateAt), dateDay: Int32Array.from(dateDay),
    uuidAt: Int32Array.from(uuidAt), uuidHex: Uint32Array.from(uuidHex), inFlight: null,
  };
}

const dayText = new Map<number, string>();
function dateOf(day: number): string {
  let s = dayText.get(day);
  if (!s) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayText.set(day, s);
  }
  return s;
}

/** Rewrites a body for pass k (0 = as generated): dates + k × shiftDays, UUIDs' first 8 hex digits mixed with k. */
function retime(b: Body, k: number, shiftDays: number): void {
  for (let i = 0; i < b.dateAt.length; i++) b.buf.write(dateOf(b.dateDay[i]! + k * shiftDays), b.dateAt[i]!, 'latin1');
  const mix = Math.imul(k, 0x9e3779b1) >>> 0;
  for (let i = 0; i < b.uuidAt.length; i++) b.buf.write(((b.uuidHex[i]! ^ mix) >>> 0).toString(16).padStart(8, '0'), b.uuidAt[i]!, 'latin1');
}

// ---------------------------------------------------------------- probe

const PROBE_EVE = JSON.parse(readFileSync(join(SCENARIO, 'eve.json'), 'utf8')) as Record<string, unknown>;
const PROBE_SIGNIN = JSON.parse(readFileSync(join(SCENARIO, 'signins.json'), 'utf8')) as Record<string, unknown> & { properties: Record<string, unknown> };

function probeBody(n: number, atMs: number): { ip: string; body: Buffer } {
  const ip = `${PROBE_PREFIX}${(n >> 8) & 255}.${n & 255}`;
  const t = new Date(atMs).toISOString();
  const eve = { ...PROBE_EVE, src_ip: ip, timestamp: t.replace('Z', '+0000') };
  const s = structuredClone(PROBE_SIGNIN);
  const ts = new Date(atMs + 60_000).toISOString();
  s.time = ts;
  s.callerIpAddress = ip;
  s.properties.ipAddress = ip;
  s.properties.id = `probe-${n}-${atMs}`;
  s.properties.createdDateTime = ts;
  return { ip, body: Buffer.from(`${JSON.stringify(eve)}\n${JSON.stringify(s)}\n`) };
}

class Probe {
  private n = 0;
  private stopped = false;
  private done: Promise<void> | null = null;
  latencies: number[] = [];
  failed = 0;
  /** Why probes failed (status and reply, or not visible in time), counted: the bench prints them. */
  readonly failures = new Map<string, number>();

  constructor(private readonly agent: Agent, private readonly base: string, private timeMs: () => number) {}

  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        await this.once();
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }

  /** Takes the latencies measured so far (and starts a new list). */
  take(): { latencies: number[]; failed: number } {
    const out = { latencies: this.latencies, failed: this.failed };
    this.latencies = [];
    this.failed = 0;
    return out;
  }

  setTime(f: () => number): void {
    this.timeMs = f;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async once(): Promise<void> {
    const { ip, body } = probeBody(this.n++, this.timeMs());
    let t0 = performance.now();
    const posted = call(this.agent, this.base, 'POST', '/api/v1/ingest', body, () => { t0 = performance.now(); });
    let ok = false;
    posted.catch(() => undefined);
    const deadline = performance.now() + 30_000;
    while (!ok && performance.now() < deadline) {
      const r = await call(this.agent, this.base, 'GET', `/api/v1/alerts?ip=${ip}&limit=1`);
      if (r.status === 200 && (JSON.parse(r.body) as { alerts: unknown[] }).alerts.length > 0) {
        this.latencies.push(performance.now() - t0);
        ok = true;
        break;
      }
      await new Promise((r2) => setTimeout(r2, 20));
    }
    const p = await posted.catch((e: Error) => ({ status: 0, body: e.message }));
    if (!ok || p.status !== 200) {
      this.failed++;
      const why = p.status !== 200 ? `ingest answered ${p.status}: ${p.body.slice(0, 160)}` : 'accepted, no alert within 30 s';
      this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
    }
  }
}

// ---------------------------------------------------------------- load

interface LoadResult { records: number; requests: number; seconds: number; bytes: number; latencies: number[] }

/**
 * `clients` clients post bodies: in order once (pass 0) when `untilMs` is null,
 * else round and round (pass 1, 2, … each re-timed) until the time is up.
 */
async function load(agent: Agent, base: string, bodies: Body[], clients: number, untilMs: number | null, shiftDays: number,
  onPass?: (k: number) => void): Promise<LoadResult & { passes: number }> {
  let next = 0;
  let records = 0;
  let bytes = 0;
  let requests = 0;
  let passes = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  let last = t0;
  const client = async (): Promise<void> => {
    for (;;) {
      if (untilMs === null ? next >= bodies.length : performance.now() >= untilMs) return;
      const i = next++;
      const b = bodies[i % bodies.length]!;
      if (untilMs !== null) {
        const k = 1 + Math.floor(i / bodies.length);
        if (i % bodies.length === 0) {
          passes = k;
          onPass?.(k);
        }
        if (b.inFlight) await b.inFlight;
        retime(b, k, shiftDays);
      }
      const t = performance.now();
      const p = call(agent, base, 'POST', '/api/v1/ingest', b.buf);
      b.inFlight = p.catch(() => undefined);
      const r = await p;
      b.inFlight = null;
      if (r.status !== 200) throw new Error(`ingest: HTTP ${r.status} ${r.body.slice(0, 300)}`);
      const j = JSON.parse(r.body) as { accepted: number; rejected: number };
      if (j.rejected > 0) throw new Error(`ingest rejected ${j.rejected} records: ${r.body.slice(0, 300)}`);
      last = performance.now();
      latencies.push(last - t);
      records += j.accepted;
      bytes += b.buf.length;
      requests++;
    }
  };
  await Promise.all(Array.from({ length: clients }, () => client()));
  return { records, requests, seconds: (last - t0) / 1000, bytes, latencies, passes };
}

function vmRssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function dirMB(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n / 1e6;
}

function phase(r: LoadResult, probe: { latencies: number[]; failed: number }): PhaseStats {
  return {
    records: r.records, requests: r.requests, seconds: r.seconds, recordsPerS: r.records / r.seconds, mbPerS: r.bytes / 1e6 / r.seconds,
    request: stats(r.latencies), probe: { ...stats(probe.latencies), failed: probe.failed },
  };
}

export async function runServeBench(o: ServeBenchOptions): Promise<ServeBenchResult> {
  const log = o.log ?? ((s: string) => void process.stderr.write(s + '\n'));
  const truth = (JSON.parse(readFileSync(join(o.datasetDir, 'truth.json'), 'utf8')) as { pairs: Array<{ rule: string; ip: string }> })
    .pairs.map((p) => `${p.rule} ${p.ip}`).sort();
  log(`serve: preparing ${o.datasetDir} as NDJSON bodies of ${o.perRequest} records`);
  const lines = await datasetLines(o.datasetDir);
  if (lines.some((l) => l.includes(`"${PROBE_PREFIX}`))) throw new Error(`the dataset uses ${PROBE_PREFIX}x.y addresses, which the probe needs for itself`);
  const bodies: Body[] = [];
  for (let i = 0; i < lines.length; i += o.perRequest) bodies.push(prepare(lines.slice(i, i + o.perRequest)));
  const datasetRecords = lines.length;
  lines.length = 0;
  // Each soak pass moves the data past its own span (the generator's, plus two days:
  // no episode spans two passes).
  const shiftDays = Math.ceil(SPAN_MS / DAY_MS) + 2;
  const baseMs = BASE_TIME_MS + DAY_MS / 2;

  const root = mkdtempSync(join(tmpdir(), 'cw-serve-bench-'));
  const dataDir = join(root, 'data');
  const settings = [
    // Each soak pass is dated 5 days after the one before, so past ~55 passes the data
    // is ahead of this machine's clock, and serve holds such records in quarantine
    // instead of storing and correlating them: the soak then measured the quarantine.
    // The soak's data is history being replayed, so any date is "now" to this server.
    '  futureSkew: 36500d',
    ...(o.ingestThreads !== undefined ? [`  ingestThreads: ${o.ingestThreads}`] : []),
    ...(o.synchronous !== undefined ? [`  synchronous: ${o.synchronous}`] : []),
  ];
  const config = join(root, 'serve.yaml');
  if (settings.length > 0) writeFileSync(config, `serve:\n${settings.join('\n')}\n`);
  const rulesArgs = (o.rules ?? []).flatMap((r) => ['--rules', r]);
  // The server runs with the Node flags of the entry point's shebang, as `crosswatch serve` does.
  const nodeArgs = [...shebangFlags(o.bin ?? SERVE_BIN), ...(o.nodeArgs ?? [])];
  const { proc, base } = await startServe(['--data-dir', dataDir, '--token', TOKEN, ...(settings.length > 0 ? ['--config', config] : []), ...rulesArgs], process.env, nodeArgs, o.bin);
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients + 4 });
  try {
    const probe = new Probe(agent, base, () => baseMs);
    probe.start();
    log(`serve: throughput, ${datasetRecords} records, ${o.clients} clients`);
    const t = await load(agent, base, bodies, o.clients, null, shiftDays);
    const throughput = phase(t, probe.take());
    const listed = await allPairs(agent, base);
    const hunted = huntEpisodes(o);
    const answers = { truth: truth.length, got: listed.pairs.length, ...compare(listed.pairs, truth), hunt: hunted && compareHunt(listed.episodes, hunted) };
    log(`serve: ${Math.round(throughput.recordsPerS)} records/s, request p50 ${throughput.request.p50Ms.toFixed(0)} ms p99 ${throughput.request.p99Ms.toFixed(0)} ms, ` +
      `accept→queryable p99 ${throughput.probe.p99Ms.toFixed(0)} ms (${throughput.probe.n} probes); pairs ${answers.got} vs truth ${answers.truth}: ${answers.agree ? 'agree' : 'DISAGREE'}; ` +
      huntLine(answers.hunt) + (listed.general > 0 ? `; ${listed.general} alerts of the other rules` : ''));
    for (const x of answers.hunt?.onlyHunt ?? []) log(`  only in hunt:  ${x}`);
    for (const x of answers.hunt?.onlyServe ?? []) log(`  only in serve: ${x}`);

    let soak: ServeBenchResult['soak'] = null;
    if (o.soakMinutes > 0) {
      log(`serve: soak, ${o.soakMinutes} min of re-timed passes (${shiftDays} days apart), RSS every 2 s`);
      const pid = proc.pid!;
      const samples: Array<[number, number]> = [];
      const s0 = performance.now();
      samples.push([0, vmRssMB(pid)]);
      const sampler = setInterval(() => {
        try {
          samples.push([(performance.now() - s0) / 1000, vmRssMB(pid)]);
        } catch {
          // the server is gone: the load will fail and say so
        }
      }, 2000);
      let lastLog = 0;
      const r = await load(agent, base, bodies, o.clients, s0 + o.soakMinutes * 60_000, shiftDays, (k) => {
        probe.setTime(() => baseMs + k * shiftDays * DAY_MS);
        const now = performance.now();
        if (now - lastLog > 30_000) {
          lastLog = now;
          log(`  soak ${((now - s0) / 60_000).toFixed(1)} min: pass ${k}, RSS ${samples[samples.length - 1]![1].toFixed(0)} MB`);
        }
      });
      clearInterval(sampler);
      samples.push([(performance.now() - s0) / 1000, vmRssMB(pid)]);
      const ph = phase(r, probe.take());
      // Flat: the median RSS of the last tenth of the soak within 10 % of the median around half-time
      // (medians: one sample taken during a burst of garbage says little).
      const tEnd = samples[samples.length - 1]![0];
      const median = (xs: number[]): number => {
        const s2 = [...xs].sort((a, b) => a - b);
        return s2.length === 0 ? NaN : s2[Math.floor(s2.length / 2)]!;
      };
      const around = (from: number, to: number): number => median(samples.filter(([ts]) => ts >= from * tEnd && ts <= to * tEnd).map(([, v]) => v));
      const halfMB = around(0.45, 0.55);
      const endMB = around(0.9, 1);
      const growth = (endMB - halfMB) / halfMB;
      const after = await allPairs(agent, base);
      soak = {
        ...ph, minutes: o.soakMinutes, passes: r.passes,
        rss: {
          startMB: samples[0]![1], halfMB, endMB, maxMB: Math.max(...samples.map(([, v]) => v)),
          lastHalfGrowth: growth, flat: growth < 0.1, samples: samples.map(([ts, v]) => [+ts.toFixed(1), +v.toFixed(1)]),
        },
        storeMB: dirMB(dataDir), alerts: after.alerts, answers: compare(after.pairs, truth),
      };
      log(`serve: soak ${Math.round(ph.recordsPerS)} records/s over ${r.passes} passes, request p99 ${ph.request.p99Ms.toFixed(0)} ms, ` +
        `accept→queryable p99 ${ph.probe.p99Ms.toFixed(0)} ms; RSS start ${soak.rss.startMB.toFixed(0)} / half ${halfMB.toFixed(0)} / end ${endMB.toFixed(0)} / max ${soak.rss.maxMB.toFixed(0)} MB ` +
        `(${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} % over the last half: ${soak.rss.flat ? 'flat' : 'GROWING'}); store ${soak.storeMB.toFixed(0)} MB`);
    }
    await probe.stop();
    for (const [why, n] of probe.failures) log(`serve: ${n} probe(s) failed: ${why}`);
    return {
      dataset: o.datasetDir, datasetRecords, perRequest: o.perRequest, clients: o.clients,
      bodyMB: bodies.reduce((n, b) => n + b.buf.length, 0) / bodies.length / 1e6,
      ingestThreads: o.ingestThreads ?? 'default', synchronous: o.synchronous ?? 'full', throughput, answers, soak,
      ...(o.rules ? { rules: o.rules } : {}), generalAlerts: listed.general,
    };
  } finally {
    agent.destroy();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(root, { recursive: true, force: true });
  }
}

/** The printed summary of a serve run. */
export function serveReport(r: ServeBenchResult): string[] {
  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const row = (name: string, p: PhaseStats): string[] => [
    name, String(p.records), f(p.seconds, 1), f(p.recordsPerS), f(p.mbPerS), f(p.request.p50Ms), f(p.request.p99Ms), f(p.probe.p99Ms), `${p.probe.n}${p.probe.failed ? ` (${p.probe.failed} failed)` : ''}`,
  ];
  const rows = [row('throughput', r.throughput)];
  if (r.soak) rows.push(row(`soak ${r.soak.minutes < 1 ? `${Math.round(r.soak.minutes * 60)} s` : `${+r.soak.minutes.toFixed(1)} min`}`, r.soak));
  const head = ['phase', 'records', 's', 'records/s', 'MB/s', 'req p50 ms', 'req p99 ms', 'accept→queryable p99 ms', 'probes'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const line = (x: string[]): string => x.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  const out = [
    `serve — HTTP ingest on loopback, ${r.clients} concurrent clients, ${r.perRequest} records (${r.bodyMB.toFixed(1)} MB) per request, ingest threads ${r.ingestThreads}, synchronous=${r.synchronous}`,
    line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line),
    `answer check: ${r.answers.agree ? 'alerts agree with truth.json' : 'DISAGREEMENT'} (${r.answers.got} pairs, truth ${r.answers.truth})` +
      (r.answers.agree ? '' : ` missing ${r.answers.missing.join(', ')} extra ${r.answers.extra.join(', ')}`),
    huntLine(r.answers.hunt),
    ...(r.rules ? [`rules: ${r.rules.join(', ')}; ${r.generalAlerts} alerts of rules other than the built-in ones (not checked against truth.json)`] : []),
  ];
  if (r.soak) {
    const s = r.soak;
    out.push(`soak memory (server VmRSS): start ${f(s.rss.startMB)} MB, half-time ${f(s.rss.halfMB)} MB, end ${f(s.rss.endMB)} MB (medians over 45–55 % and 90–100 %), max ${f(s.rss.maxMB)} MB; ` +
      `last half ${s.rss.lastHalfGrowth >= 0 ? '+' : ''}${f(s.rss.lastHalfGrowth * 100, 1)} % — ${s.rss.flat ? 'flat' : 'NOT FLAT'}; ${s.passes} passes, store ${f(s.storeMB)} MB on disk, ` +
      `${s.alerts} alerts; pairs ${s.answers.agree ? 'still agree with truth.json' : 'DISAGREE'}`);
  }
  return out;
}

/** The Node flags on an entry point's `#!/usr/bin/env -S node …` line (none without one). */
export function shebangFlags(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S node((?:\s+--\S+)*)\s*$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
