// Issue #15, item 2: eviction runs for the life of the process. A 24-hour soak at
// compressed time: one simulated minute per step (1,440 steps), the receiving
// clock (`now`) and event time driven by the test, a rotating population of IPs
// (many that appear for a while and go quiet for good, a few busy all day, a
// scanner, a shared proxy), sign-ins inside and outside their alerts' windows,
// late records (within the allowed lateness) and retries. Eviction runs as serve
// runs it: evictInBackground() on a cadence (every simulated 10 minutes), its
// steps interleaved with ingest. Checked throughout and at the end:
//   1. eviction keeps running (runs, rows removed, last run), and /metrics says so;
//   2. the bounds hold, checked in the SQLite file itself: nothing older than the
//      retention behind the watermark, per IP nothing older than window + lateness
//      behind its newest; the ips table agrees with the events; the state is
//      bounded by the traffic rate, and the same at hour 12 as at hour 24 (events,
//      IPs, alert times in memory, per-IP eviction horizons);
//   3. nothing that should alert is lost: the stored alerts are what hunt finds
//      over the same records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { loadRules } from '../../src/detect/rules.js';
import { buildConfig } from '../../src/detect/config.js';
import { runBatch } from '../../src/hunt/batch.js';
import { StreamPipeline } from '../../src/stream/stream.js';
import { metricsFor } from '../../src/http/app.js';
import { expandInputs } from '../../src/inputs/inputs.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { alertLine, items, signinLine } from '../scenario-lines.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const STEPS = 24 * 60;
/** Eviction cadence, in steps (simulated minutes). */
const CADENCE = 10;
const WINDOW = HOUR;
const LATENESS = 2 * HOUR;
const RETENTION = 6 * HOUR;
/** Per IP, events further behind its newest than this are evicted. */
const HORIZON = WINDOW + LATENESS;
/** The longest a record is held back (minutes): within the lateness, counted from the end of its minute. */
const MAX_DELAY_MIN = 110;
/** Transient IPs that appear each simulated minute. */
const NEW_IPS_PER_MIN = 14;
/** Records per ingest() call; the background eviction's steps run between calls. */
const CHUNK = 100;
const DECODE = { defaultOffsetMinutes: 0, reference: { ms: T0, ns: 0 } };

const iso = (ms: number): string => new Date(ms).toISOString();

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Traffic {
  /** Lines delivered at each step, in delivery order. */
  due: string[][];
  /** Every distinct record, as hunt reads them. */
  eve: string[];
  signins: string[];
  /** Distinct records of the IPs active all day, and of the rest. */
  busyRecords: number;
  transientRecords: number;
  late: number;
  retries: number;
  transientIps: number;
}

/**
 * A day of traffic. Busy all day: two attacked IPs with sign-ins every minute and
 * network alerts every 20–40 minutes (one long episode each), one with alerts in
 * bursts (separate episodes), a benign one, a scanner (2 alerts a minute, a
 * sign-in every 90 minutes), a shared proxy (40 users: its alerts never stand).
 * Transient IPs (NEW_IPS_PER_MIN a minute, each active for up to ~100 minutes,
 * then gone): sign-ins only; alert then sign-ins within the window (some alerts
 * arriving after their sign-ins); alert then sign-ins only after the window;
 * sign-ins before the alert; alerts only. About 5% of records arrive late (up
 * to MAX_DELAY_MIN), 1% are delivered twice.
 */
function traffic(seed: number): Traffic {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const due: string[][] = Array.from({ length: STEPS }, () => []);
  const eve: string[] = [];
  const signins: string[] = [];
  const end = T0 + STEPS * MIN;
  let busyRecords = 0;
  let transientRecords = 0;
  let late = 0;
  let retries = 0;
  let transientIps = 0;
  const send = (role: 'alert' | 'signin', ip: string, at: number, busy: boolean, user = 'u0@contoso.com', delayMin = -1): void => {
    if (at >= end) return;
    const line = role === 'alert' ? alertLine(ip, iso(at)) : signinLine(ip, iso(at), user, 'soak');
    (role === 'alert' ? eve : signins).push(line);
    if (busy) busyRecords++;
    else transientRecords++;
    const minute = Math.floor((at - T0) / MIN);
    let delay = delayMin >= 0 ? delayMin : r() < 0.05 ? int(5, MAX_DELAY_MIN) : 0;
    delay = Math.min(delay, STEPS - 1 - minute);
    if (delay > 0) late++;
    due[minute + delay]!.push(line);
    if (r() < 0.01) {
      // A retry of the same record, still within the lateness.
      due[minute + int(delay, Math.min(MAX_DELAY_MIN, STEPS - 1 - minute))]!.push(line);
      retries++;
    }
  };
  const users = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}@contoso.com`);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;

  const attacked = [{ ip: '45.33.32.11', users: users('a', 4), next: T0 }, { ip: '45.33.32.12', users: users('b', 3), next: T0 + 7 * MIN }];
  const bursty = { ip: '45.33.32.13', users: users('c', 3), hours: [[2, 4], [9, 10], [15, 17], [21, 22]] as Array<[number, number]> };
  const benign = { ip: '45.33.32.14', users: users('d', 5) };
  const scanner = '45.33.32.15';
  const proxy = { ip: '45.33.32.16', users: users('p', 40) };
  const population = users('t', 500);

  for (let m = 0; m < STEPS; m++) {
    const tm = T0 + m * MIN;
    const at = (): number => tm + int(0, MIN - 1);
    for (const a of attacked) {
      send('signin', a.ip, at(), true, pick(a.users));
      while (a.next < tm + MIN) {
        send('alert', a.ip, a.next, true);
        a.next += int(20, 40) * MIN + int(0, 59_999);
      }
    }
    send('signin', bursty.ip, at(), true, pick(bursty.users));
    if (m % 20 === 5 && bursty.hours.some(([from, to]) => m >= from * 60 && m < to * 60)) send('alert', bursty.ip, at(), true);
    for (let k = 0; k < 2; k++) send('signin', benign.ip, at(), true, pick(benign.users));
    for (let k = 0; k < 2; k++) send('alert', scanner, at(), true);
    if (m % 90 === 45) send('signin', scanner, at(), true, 'scanned@contoso.com');
    for (let k = 0; k < 2; k++) send('signin', proxy.ip, at(), true, pick(proxy.users));
    if (m % 120 === 60) send('alert', proxy.ip, at(), true);

    for (let k = 0; k < NEW_IPS_PER_MIN; k++) {
      const n = transientIps++;
      const ip = `81.${16 + (n >> 15)}.${(n >> 7) & 255}.${1 + (n & 127)}`;
      const who = [pick(population), pick(population)];
      const start = at();
      const kind = r();
      if (kind < 0.45) {
        // Sign-ins only, for up to 80 minutes.
        const life = int(5, 80) * MIN;
        for (let i = int(1, 8); i > 0; i--) send('signin', ip, start + int(0, life), false, pick(who));
      } else if (kind < 0.7) {
        // Alert(s), then sign-ins within the window: an alert. Some alerts arrive after their sign-ins.
        const lateAlert = r() < 0.3 ? int(10, 100) : -1;
        send('alert', ip, start, false, undefined, lateAlert);
        if (r() < 0.5) send('alert', ip, start + int(1, 20) * MIN, false, undefined, lateAlert);
        for (let i = int(1, 5); i > 0; i--) send('signin', ip, start + int(MIN, 55 * MIN), false, pick(who));
      } else if (kind < 0.82) {
        // Alert, then sign-ins only after the window: nothing.
        send('alert', ip, start, false);
        for (let i = int(1, 4); i > 0; i--) send('signin', ip, start + WINDOW + int(MIN, 40 * MIN), false, pick(who));
      } else if (kind < 0.9) {
        // Sign-ins, then an alert: nothing (a sign-in must follow the alert).
        for (let i = int(1, 3); i > 0; i--) send('signin', ip, start + int(0, 20 * MIN), false, pick(who));
        send('alert', ip, start + 30 * MIN, false);
      } else {
        // Alerts only.
        for (let i = int(1, 4); i > 0; i--) send('alert', ip, start + int(0, 30 * MIN), false);
      }
    }
  }
  // Within a step, arrival order is mixed.
  for (const lines of due) {
    for (let i = lines.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    }
  }
  return { due, eve, signins, busyRecords, transientRecords, late, retries, transientIps };
}

interface IpSpan { ip: string; mn: number; mx: number; n: number }

/** An eviction run under way: what it has to enforce (the watermark and each IP's newest when it started). */
interface Run { run: Promise<number>; wm0: number; newest0: Map<string, number>; startedMs: number; minute: number; again: boolean; done: boolean }

test('eviction soak: 24 h at compressed time — eviction keeps running, bounds hold, alerts equal the batch answer', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-soak-'));
  // As serve opens it, but without an fsync per commit (durability is not what this soak is about).
  const store = new SqliteStore(join(dir, 'data'), { synchronous: 'normal', checkpointThread: true });
  const config = buildConfig({ window: '1h' });
  assert.equal(config.windowMs, WINDOW);
  const rules = loadRules({ builtinWindowMs: config.windowMs });
  let clock = T0;
  /** Alert changes (as sinks get them), by IP. */
  const changes = new Map<string, { created: number; updated: number; withdrawn: number }>();
  const p = new StreamPipeline(store, {
    config, rules, decode: DECODE, allowedLatenessMs: LATENESS, retentionMs: RETENTION, now: () => new Date(clock),
    onAlert: (change, alert) => {
      let c = changes.get(alert.source.ip);
      if (!c) changes.set(alert.source.ip, (c = { created: 0, updated: 0, withdrawn: 0 }));
      c[change]++;
    },
  });
  t.after(async () => {
    await p.drain();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { registry } = metricsFor(p, store);
  const day = traffic(15);
  const db = store.db;
  const spans = (): IpSpan[] => db.prepare('SELECT ip, min(at_ms) AS mn, max(at_ms) AS mx, count(*) AS n FROM events GROUP BY ip').all() as IpSpan[];
  const count = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const metric = (text: string, name: string): number => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    assert.ok(m, `${name} in /metrics`);
    return Number(m[1]);
  };

  /**
   * After a run: every event older than the bound the run had to enforce is gone.
   * The bound is taken when the run starts (watermark, each IP's newest); records
   * ingested while it ran are within the lateness, so they are inside it too.
   */
  const checkBounds = (where: string, wm0: number, newest0: Map<string, number>, quiet: boolean): IpSpan[] => {
    const now = spans();
    const bad: string[] = [];
    for (const s of now) {
      const retention = wm0 - RETENTION;
      const perIp = (newest0.get(s.ip) ?? Number.NEGATIVE_INFINITY) - HORIZON;
      if (s.mn < retention) bad.push(`${s.ip}: ${iso(s.mn)} is older than the retention bound ${iso(retention)}`);
      if (s.mn < perIp) bad.push(`${s.ip}: ${iso(s.mn)} is older than its newest at the run's start minus window + lateness, ${iso(perIp)}`);
      // With no ingest during the run, against the IP's newest now.
      if (quiet && s.mn < s.mx - HORIZON) bad.push(`${s.ip}: ${iso(s.mn)} more than window + lateness behind its newest ${iso(s.mx)}`);
    }
    assert.deepEqual(bad.slice(0, 5), [], `${where}: ${bad.length} bound(s) exceeded`);
    // The ips table (eventCount, the eviction's index) agrees with the events, IP by IP.
    const ips = new Map((db.prepare('SELECT ip, n, min_ms, max_ms FROM ips').all() as Array<{ ip: string; n: number; min_ms: number; max_ms: number }>).map((r) => [r.ip, r]));
    const drift: string[] = [];
    for (const s of now) {
      const row = ips.get(s.ip);
      if (!row || row.n !== s.n || row.min_ms > s.mn || row.max_ms !== s.mx) drift.push(`${s.ip}: events n=${s.n} ${s.mn}..${s.mx}, ips ${JSON.stringify(row)}`);
      ips.delete(s.ip);
    }
    for (const [ip, row] of ips) drift.push(`${ip}: in ips (n=${row.n}) without events`);
    assert.deepEqual(drift.slice(0, 5), [], `${where}: ${drift.length} IP(s) whose ips row is not their events`);
    assert.equal(store.eventCount(), count('events'), `${where}: eventCount() is SELECT count(*) FROM events`);
    return now;
  };

  // The state bound: the busy IPs keep window + lateness (and up to a cadence more),
  // the others the retention (plus a cadence); their rates are known from the traffic.
  const busyPerMin = day.busyRecords / STEPS;
  const transientPerMin = day.transientRecords / STEPS;
  const stateBound = Math.ceil(1.2 * (busyPerMin * (HORIZON / MIN + CADENCE + 1) + transientPerMin * (RETENTION / MIN + CADENCE + 1)));

  let runs = 0;
  let removed = 0;
  let lastRunMs = 0;
  let maxState = 0;
  const byHour = new Map<number, { events: number; ips: number; evicted: number; redundant: number; alertedIps: number }>();
  // (A cast, not an annotation: the closures below assign it, which the narrowing to null would not see.)
  let running = null as Run | null;
  /** Ingest calls made while a run was under way, and runs that had ingest alongside. */
  let ingestsDuringRuns = 0;
  let overlappedRuns = 0;
  let overlapped = false;

  /** Waits for the current run; checks what it did, its bounds and /metrics. */
  const settle = async (quiet: boolean): Promise<void> => {
    if (!running) return;
    const { run, wm0, newest0, startedMs, minute, again } = running;
    running = null;
    const n = await run;
    const doneMs = Date.now();
    if (overlapped) overlappedRuns++;
    overlapped = false;
    const where = `run ${runs + 1} (started at simulated ${iso(T0 + (minute + 1) * MIN)})`;
    runs++;
    removed += n;
    assert.equal(p.eviction.runs, runs, `${where}: one run per cadence, none skipped or stuck`);
    assert.equal(p.eviction.rowsRemoved, removed, `${where}: rowsRemoved is the sum of the runs' results`);
    assert.ok(p.eviction.lastRunMs >= startedMs && p.eviction.lastRunMs <= doneMs && p.eviction.lastRunMs >= lastRunMs,
      `${where}: lastRunMs ${p.eviction.lastRunMs} is when this run finished`);
    lastRunMs = p.eviction.lastRunMs;
    // From hour 4 on, a cadence always brings something due (the busy IPs' window + lateness; later the retention).
    if (minute >= 4 * 60 && !again) assert.ok(n > 0, `${where}: removed nothing`);
    const text = await registry.metrics();
    assert.equal(metric(text, 'crosswatch_eviction_last_run_timestamp_seconds'), p.eviction.lastRunMs / 1000, where);
    assert.equal(metric(text, 'crosswatch_eviction_rows_removed_total'), p.eviction.rowsRemoved, where);
    assert.equal(metric(text, 'crosswatch_state_events'), store.eventCount(), where);
    const now = checkBounds(where, wm0, newest0, quiet);
    const events = now.reduce((s, x) => s + x.n, 0);
    maxState = Math.max(maxState, events);
    assert.ok(events <= stateBound, `${where}: ${events} events stored, more than the bound ${stateBound} the traffic rate allows`);
  };

  /** Starts a run (`again`: right after the last one, with nothing ingested in between). */
  const startRun = (minute: number, again = false): void => {
    // Each IP's newest event, as eviction reads it (the ips table; checkBounds holds it to the events).
    const newest0 = new Map((db.prepare('SELECT ip, max_ms FROM ips').all() as Array<{ ip: string; max_ms: number }>).map((r) => [r.ip, r.max_ms]));
    const wm0 = p.watermark;
    const startedMs = Date.now();
    const entry: Run = { run: p.evictInBackground(), wm0, newest0, startedMs, minute, again, done: false };
    const finished = (): void => {
      entry.done = true;
    };
    entry.run.then(finished, finished);
    running = entry;
  };

  const started = performance.now();
  let accepted = 0;
  let stored = 0;
  let duplicates = 0;
  for (let m = 0; m < STEPS; m++) {
    // The receiving clock: the end of this simulated minute (no record is from the future).
    clock = T0 + (m + 1) * MIN;
    const lines = day.due[m]!;
    for (let i = 0; i < lines.length; i += CHUNK) {
      if (running && !running.done) {
        ingestsDuringRuns++;
        overlapped = true;
      }
      const r = p.ingest(items(...lines.slice(i, i + CHUNK)), 'soak');
      assert.equal(r.rejected, 0, JSON.stringify(r.errors));
      assert.deepEqual(r.dropped, {}, 'every late record is within the lateness: none is dropped');
      accepted += r.accepted;
      stored += r.stored;
      duplicates += r.duplicates;
      // As in serve: other work (here the background eviction's steps) runs between ingests.
      await tick();
    }
    if ((m + 1) % CADENCE !== 0) continue;
    // The previous run has had a cadence of ingest to run alongside; it is done by now
    // (serve's timer would find it done, or join it).
    await settle(false);
    startRun(m);
    if ((m + 1) % 60 === 0) {
      // Once an hour, a run with no ingest alongside: the bounds hold exactly, against the state now.
      await settle(true);
      const hour = (m + 1) / 60;
      // (redundant: per-IP horizons at or before the retention's, which horizon() then ignores.)
      const redundant = (db.prepare("SELECT count(*) AS n FROM evicted WHERE before_ms <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'evicted_before_ms')").get() as { n: number }).n;
      byHour.set(hour, { events: store.eventCount(), ips: count('ips'), evicted: count('evicted'), redundant, alertedIps: p.alertedIps });
      // The next cadence's run (started here, with the hour's first steps alongside).
      startRun(m, true);
    }
  }
  await settle(false);
  // The end of the day: one more quiet run.
  startRun(STEPS - 1, true);
  await settle(true);
  const seconds = (performance.now() - started) / 1000;
  const totalLines = day.due.reduce((s, l) => s + l.length, 0);
  t.diagnostic(`${totalLines} records in ${seconds.toFixed(1)} s (${day.transientIps} transient IPs, ${day.late} late, ${day.retries} retries); ` +
    `${runs} eviction runs (${overlappedRuns} with ingest alongside, ${ingestsDuringRuns} ingests in all) removed ${removed} events; state at most ${maxState} (bound ${stateBound}); ` +
    `by hour ${JSON.stringify(Object.fromEntries(byHour))}`);

  assert.equal(accepted, totalLines);
  assert.equal(stored, day.eve.length + day.signins.length, 'every distinct record stored once');
  assert.equal(duplicates, day.retries);
  assert.equal(p.futureEvents, 0, 'the test clock keeps every record in the present');
  assert.equal(p.quarantinedEvents, 0);
  const newest = [...day.eve, ...day.signins].reduce((mx, l) => {
    const o = JSON.parse(l) as { timestamp?: string; properties?: { createdDateTime?: string } };
    return Math.max(mx, Date.parse(o.properties?.createdDateTime ?? o.timestamp!.replace('+0000', 'Z')));
  }, Number.NEGATIVE_INFINITY);
  assert.equal(p.watermark, newest, 'the watermark is the newest event time');

  await t.test('eviction ran on every cadence of the day, and /metrics showed it', () => {
    assert.equal(runs, STEPS / CADENCE + STEPS / 60 + 1, 'a run per cadence, one more each hour, and a last one');
    assert.equal(p.eviction.runs, runs);
    assert.ok(overlappedRuns >= STEPS / CADENCE / 2, `${overlappedRuns} runs had ingest between their steps, as in serve`);
    assert.ok(removed > 0.5 * stored, `${removed} of ${stored} events evicted over the day`);
    assert.equal(store.eventCount() + removed, stored, 'what is stored is what came in less what eviction removed');
  });

  await t.test('the state does not grow with the length of the run (hour 12 against hour 24)', () => {
    const h12 = byHour.get(12)!;
    const h24 = byHour.get(24)!;
    for (const k of ['events', 'ips', 'alertedIps'] as const) {
      assert.ok(h24[k] <= 1.25 * h12[k] && h24[k] >= 0.75 * h12[k], `${k}: ${h12[k]} at hour 12, ${h24[k]} at hour 24`);
    }
  });

  await t.test('the per-IP eviction horizons (table evicted) do not grow with the length of the run either', () => {
    // One row per IP ever evicted would grow with every new IP for the life of the
    // process; a horizon below the retention's (meta evicted_before_ms) says nothing more.
    const h12 = byHour.get(12)!;
    const h24 = byHour.get(24)!;
    assert.ok(h24.evicted <= 1.25 * h12.evicted,
      `evicted rows: ${h12.evicted} at hour 12, ${h24.evicted} at hour 24, ${h24.redundant} of them at or before the retention horizon ` +
      `(${day.transientIps} transient IPs seen; ${h24.ips} IPs with events)`);
  });

  // The batch answer: hunt over every distinct record.
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'eve.json'), `${day.eve.join('\n')}\n`);
  writeFileSync(join(logs, 'signins.json'), `${day.signins.join('\n')}\n`);
  const batch = await runBatch((await expandInputs([logs])).files, {
    config, rules, decode: DECODE, threads: 1, now: () => new Date(T0 + STEPS * MIN),
  });
  const stream = db.prepare("SELECT rule, ip, start_ms, end_ms FROM alerts WHERE status != 'withdrawn'").all() as Array<{ rule: string; ip: string; start_ms: number; end_ms: number }>;
  assert.equal(store.listAlerts({ limit: 1_000_000 }).alerts.length, stream.length);
  const pairs = (xs: Array<{ rule: string; ip: string }>): string[] => [...new Set(xs.map((x) => `${x.rule} ${x.ip}`))].sort();
  t.diagnostic(`hunt: ${batch.alerts.length} alerts over ${pairs(batch.alerts.map((a) => ({ rule: a.rule.id, ip: a.source.ip }))).length} (rule, IP) pairs; stream: ${stream.length} alerts, ${count('alerts')} with withdrawn ones`);

  await t.test('alerts: the same (rule, IP) pairs as hunt over the same records', () => {
    const want = pairs(batch.alerts.map((a) => ({ rule: a.rule.id, ip: a.source.ip })));
    assert.ok(want.length > 0.2 * day.transientIps, `${want.length} pairs: the traffic pairs sign-ins with alerts`);
    assert.ok(want.some((x) => x.endsWith(' 45.33.32.11')) && want.some((x) => x.endsWith(' 45.33.32.13')));
    assert.ok(!want.some((x) => x.endsWith(' 45.33.32.16')), 'the shared proxy never alerts');
    assert.deepEqual(pairs(stream), want);
  });

  // Each stored alert's span (its row's start_ms and end_ms: the earliest anchor and the
  // latest qualifying event it ever had) against hunt's episodes. Its document may show
  // less: eviction takes the evidence of a day-long episode away as it goes.
  await t.test('alerts: the same episodes as hunt (rule, IP, first network alert, last qualifying event)', () => {
    const key = (rule: string, ip: string, start: number, end: number): string => `${rule} ${ip} ${iso(start)} ${iso(end)}`;
    const want = new Set(batch.alerts.map((a) => key(a.rule.id, a.source.ip, Date.parse(a.event.start), Date.parse(a.event.end))));
    const got = new Set(stream.map((a) => key(a.rule, a.ip, a.start_ms, a.end_ms)));
    assert.equal(want.size, batch.alerts.length);
    assert.equal(got.size, stream.length);
    const missing = [...want].filter((k) => !got.has(k));
    const extra = [...got].filter((k) => !want.has(k));
    // What sinks were told about the IPs of the alerts hunt does not have.
    const told = Object.fromEntries([...new Set(extra.map((k) => k.split(' ')[1]!))].map((ip) => [ip, changes.get(ip)]));
    assert.deepEqual({ missing: missing.slice(0, 6), extra: extra.slice(0, 6), counts: [missing.length, extra.length], told },
      { missing: [], extra: [], counts: [0, 0], told: {} });
  });
});
