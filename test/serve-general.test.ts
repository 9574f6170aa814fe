// serve runs the general Sigma path (src/stream/general-stream.ts): single-event
// detections, event_count, value_count, temporal_ordered and a chain, with the
// alerts `crosswatch hunt --rules` gives over the same records — the same ids —
// whatever the order and grouping the records arrive in, retries included; a
// correlation grouped by user.name alone is named as not run; eviction keeps
// what can still matter; the explain API explains the served rules over the
// stored records; and the real service, its ingest workers decoding, alerts
// the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, type CorrelatorConfig } from '../src/detect/config.js';
import { loadRuleSet, type RuleDefinition } from '../src/detect/rules.js';
import { generalSpec, NOT_BY_IP, ServedGeneral, touchedSpans } from '../src/stream/general-stream.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { ExplainReply } from '../src/http/explain-api.js';
import { Rng } from '../src/generate/rng.js';
import { runCli } from './cli-run.js';
import { items } from './scenario-lines.js';
import { alert, signin, SIGMA_RULES_DIR, T0 } from './sigma-test-rules.js';
import { allAlerts, startServe, waitFor } from './serve-process.js';

const DAY = T0;

/** The bench rules, and one grouped by user.name alone (serve does not run it). */
function ruleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cw-serve-general-rules-'));
  cpSync(SIGMA_RULES_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'by-user.yml'), `
title: One account from two IPs within ten minutes
id: t-user-two-ips
correlation:
  type: value_count
  rules: [successful_signin]
  group-by: [user.name]
  timespan: 10m
  condition: { gte: 2, field: source.ip }
level: medium
`);
  return dir;
}

/**
 * The records: per IP a mix of what the rules look for — sprays that succeed
 * (the chain), sprays short of the count, three users in an hour, a scan then a
 * sign-in, axios sign-ins — over two days, a private address among them, and
 * some records twice.
 */
function scenario(seed: number): string[] {
  const rng = new Rng(seed);
  const lines: string[] = [];
  const users = ['adele.vance@contoso.com', 'megan.bowen@contoso.com', 'lynne.robbins@contoso.com', 'alex.wilber@contoso.com'];
  const ips = ['81.2.69.10', '81.2.69.11', '81.2.69.12', '81.2.69.13', '175.16.199.4', '2a02:cf40::7', '10.20.30.40'];
  for (const ip of ips) {
    let t = rng.range(0, 120);
    for (let k = 0; k < 6; k++) {
      const kind = k === 0 ? 0 : rng.range(0, 5);
      const user = users[rng.range(0, users.length - 1)]!;
      if (kind === 0) {
        // A spray: 2 to 4 failures a few minutes apart, perhaps a success after.
        const n = rng.range(2, 4);
        for (let i = 0; i < n; i++) lines.push(signin(ip, t + i * rng.range(1, 5), { ok: false, user: users[i % users.length]! }));
        if (k === 0 || rng.range(0, 1) === 1) lines.push(signin(ip, t + n * 5 + rng.range(1, 70), { user }));
      } else if (kind === 1) {
        for (let i = 0; i < 3; i++) lines.push(signin(ip, t + i * rng.range(5, 30), { user: users[(i + k) % users.length]! }));
      } else if (kind === 2) {
        lines.push(alert(ip, t, 'ET SCAN Potential SSH Scan'));
        lines.push(signin(ip, t + rng.range(1, 45), { user }));
      } else if (kind === 3) {
        lines.push(signin(ip, t, { ua: 'axios/1.6.7' }));
      } else {
        lines.push(signin(ip, t, { user }));
      }
      t += rng.range(10, 900);
    }
  }
  // Some records twice (a shipper's retry).
  for (let i = 0; i < 8; i++) lines.push(lines[rng.range(0, lines.length - 1)]!);
  return lines;
}

function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

interface AlertOut { event: { id: string }; rule: { id: string } }

/** `crosswatch hunt --rules DIR` over the lines: its alerts as (rule, id). */
async function huntAlerts(rules: string, lines: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-serve-general-hunt-'));
  try {
    writeFileSync(join(dir, 'logs.ndjson'), `${lines.join('\n')}\n`);
    const r = await runCli(['hunt', '--rules', rules, '--format', 'ndjson', '--quiet', join(dir, 'logs.ndjson')]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AlertOut).map((a) => `${a.rule.id} ${a.event.id}`).sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rules as serve loads them: the correlator's (t-scan-then-signin) and the general path's. */
function served(rules: string, config: CorrelatorConfig = buildConfig({})): ServedGeneral & { builtin: RuleDefinition[] } {
  const loaded = loadRuleSet({ paths: [rules] });
  assert.deepEqual(loaded.problems, []);
  assert.ok(loaded.general);
  // (As serve's loadDetections: the correlator's window is its rules' longest.)
  config.windowMs = Math.max(...loaded.rules.map((r) => r.correlation.windowMs));
  return Object.assign(new ServedGeneral(loaded.general, config, generalSpec(loaded.sources, config, {})), { builtin: loaded.rules });
}

function pipelineFor(dir: string, general: ServedGeneral & { builtin: RuleDefinition[] }, now = new Date(DAY + 10 * 86_400_000), settle: 'commit' | 'deferred' = 'commit'): { store: SqliteStore; pipeline: StreamPipeline } {
  const store = new SqliteStore(join(dir, 'data'));
  const pipeline = new StreamPipeline(store, {
    config: general.config, rules: general.builtin, decode: { defaultOffsetMinutes: 0, reference: { ms: DAY, ns: 0 } },
    allowedLatenessMs: 86_400_000, general, now: () => now, generalSettle: settle,
  });
  return { store, pipeline };
}

/** The open alerts in the store, as (rule, id). */
function openAlerts(store: SqliteStore): string[] {
  return store.listAlerts({ status: 'open', limit: 10_000 }).alerts.map((a) => `${a.doc.rule.id} ${a.doc.event.id}`).sort();
}

test('serve runs the general Sigma rules with hunt\'s alerts and ids, whatever the arrival order; one grouped by user.name alone is not run', async () => {
  const rules = ruleDir();
  const tmp = mkdtempSync(join(tmpdir(), 'cw-serve-general-'));
  try {
    const lines = scenario(7);
    const hunt = await huntAlerts(rules, lines);
    const g = served(rules);
    assert.deepEqual(g.notServed.map((n) => [n.id, n.why]), [['t-user-two-ips', NOT_BY_IP]]);
    // What serve is to give: hunt's, less the rule it does not run; every served kind is there.
    const expected = hunt.filter((a) => !a.startsWith('t-user-two-ips '));
    for (const rule of ['t-axios-signin', 't-many-users', 't-scan-then-signin', 't-success-after-spray']) {
      assert.ok(expected.some((a) => a.startsWith(`${rule} `)), `the scenario fires ${rule}`);
    }
    const rng = new Rng(11);
    for (let run = 0; run < 4; run++) {
      const dir = join(tmp, `run-${run}`);
      const { store, pipeline } = pipelineFor(dir, g);
      try {
        // Shuffled, in bodies of 1 to 25 records, a few bodies sent twice.
        const order = run === 0 ? lines : shuffled(lines, rng);
        for (let i = 0; i < order.length;) {
          const n = rng.range(1, 25);
          const body = items(...order.slice(i, i + n));
          pipeline.ingest(body);
          if (rng.range(0, 9) === 0) pipeline.ingest(body);
          i += n;
        }
        assert.deepEqual(openAlerts(store), expected, `arrival order ${run}`);
        // Nothing but the episodes' alerts: no withdrawn or superseded leftovers besides re-keyed ones.
        const all = store.listAlerts({ limit: 10_000 }).alerts;
        for (const a of all.filter((x) => x.status === 'withdrawn')) {
          assert.ok(a.triage.some((t) => /superseded by|no longer support/.test(t.note ?? '')), `${a.doc.event.id} withdrawn with a reason`);
        }
      } finally {
        store.close();
      }
    }
  } finally {
    rmSync(rules, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('serve: a late record that moves an episode\'s start re-keys its alert to hunt\'s id; eviction keeps the alert', async () => {
  const rules = ruleDir();
  const tmp = mkdtempSync(join(tmpdir(), 'cw-serve-general-late-'));
  const ip = '81.2.69.30';
  try {
    const g = served(rules);
    const { store, pipeline } = pipelineFor(tmp, g);
    try {
      // Three failures in 10 minutes, then a success: the chain fires.
      const early = [signin(ip, 2, { ok: false }), signin(ip, 4, { ok: false }), signin(ip, 6, { ok: false }), signin(ip, 30)];
      pipeline.ingest(items(...early));
      const first = openAlerts(store).filter((a) => a.startsWith('t-success-after-spray '));
      assert.equal(first.length, 1);
      // A failure before them arrives late: the spray, and the chain's episode, start earlier.
      const late = signin(ip, 0, { ok: false });
      pipeline.ingest(items(late));
      const now = openAlerts(store).filter((a) => a.startsWith('t-success-after-spray '));
      assert.equal(now.length, 1, 'still one alert for the episode');
      assert.notDeepEqual(now, first, 'its id moved with the start');
      assert.deepEqual(now, (await huntAlerts(rules, [...early, late])).filter((a) => a.startsWith('t-success-after-spray ')), 'hunt\'s id');
      const stored = store.generalEventsForIp(ip);
      assert.equal(stored.length, 5);
      const old = store.getAlert(first[0]!.split(' ')[1]!)!;
      assert.equal(old.status, 'withdrawn');
      assert.match(old.triage.at(-1)!.note ?? '', /superseded by/);
      // Much later records of the same IP: the old ones are evicted, the alert stands.
      pipeline.ingest(items(signin(ip, 5 * 24 * 60)));
      const removed = pipeline.evict();
      assert.ok(removed >= 5, `evicted ${removed}`);
      assert.equal(store.generalEventsForIp(ip).length, 1);
      pipeline.ingest(items(signin(ip, 5 * 24 * 60 + 1)));
      assert.deepEqual(openAlerts(store).filter((a) => a.startsWith('t-success-after-spray ')), now, 'the alert stands after its records went');
    } finally {
      store.close();
    }
  } finally {
    rmSync(rules, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('crosswatch serve: its ingest workers take the general rules\' records; the alerts are hunt\'s; the explain API explains them; SIGHUP reloads them', { timeout: 120_000 }, async () => {
  const rules = ruleDir();
  const tmp = mkdtempSync(join(tmpdir(), 'cw-serve-general-proc-'));
  const TOKEN = 'test-token-0123456789abcdef0123456789';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const { proc, base } = await startServe(['--data-dir', join(tmp, 'data'), '--token', TOKEN, '--rules', rules, '--ingest-threads', '2']);
  try {
    const lines = scenario(23);
    const expected = (await huntAlerts(rules, lines)).filter((a) => !a.startsWith('t-user-two-ips '));
    // Bodies of 10 records, four at a time (the workers decode them side by side).
    const bodies: string[][] = [];
    for (let i = 0; i < lines.length; i += 10) bodies.push(lines.slice(i, i + 10));
    for (let i = 0; i < bodies.length; i += 4) {
      await Promise.all(bodies.slice(i, i + 4).map(async (b) => {
        const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: `${b.join('\n')}\n` });
        assert.equal(r.status, 200, await r.text());
      }));
    }
    // (serve recomputes the touched IPs' correlations on a timer: the alerts settle within a moment.)
    const alertsNow = async (): Promise<string[]> => (await allAlerts<AlertOut>(base, TOKEN)).map((a) => `${a.rule.id} ${a.event.id}`).sort();
    await waitFor('the alerts to settle', 10_000, async () => ((await alertsNow()).join('\n') === expected.join('\n') ? true : undefined)).catch(() => undefined);
    const got = await alertsNow();
    assert.deepEqual(got, expected);
    // explain: a chain's alert is its episode; the rule grouped by user.name is not run, and says why.
    const chain = got.find((a) => a.startsWith('t-success-after-spray '))!.split(' ')[1]!;
    const alert = (await (await fetch(`${base}/api/v1/alerts/${chain}`, { headers: auth })).json()) as { source: { ip: string } };
    const x = (await (await fetch(`${base}/api/v1/explain/${encodeURIComponent(alert.source.ip)}`, { headers: auth })).json()) as ExplainReply;
    const general = new Map((x.general ?? []).map((g) => [g.id, g]));
    const c = general.get('t-success-after-spray')!;
    assert.equal(c.fired, true);
    assert.ok(c.kind === 'correlation' && c.episodes.some((e) => e.id === chain), 'the alert is an episode explain names');
    assert.equal(general.get('t-user-two-ips')!.kind, 'not-run');
    assert.equal(general.get('t-user-two-ips')!.summary, `not run by serve: ${NOT_BY_IP}`);
    assert.ok((x.source.generalEvents ?? 0) > 0);
    // /metrics: the records kept, and nothing left to recompute once settled.
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    assert.ok(Number(/^crosswatch_general_records (\d+)$/m.exec(metrics)?.[1]) > 0, metrics);
    assert.equal(/^crosswatch_general_pending_ips (\d+)$/m.exec(metrics)?.[1], '0');
    // The rules the service lists: the correlator's and the general ones it runs, not the one it does not.
    const listed = ((await (await fetch(`${base}/api/v1/rules`, { headers: auth })).json()) as { rules: Array<{ id: string; severity: string }> }).rules;
    assert.deepEqual(listed.map((r) => r.id).sort(), ['t-axios-signin', 't-many-users', 't-scan-then-signin', 't-success-after-spray']);
    assert.equal(listed.find((r) => r.id === 't-success-after-spray')!.severity, 'critical');
    // SIGHUP with the axios rule gone: no new axios alerts from then on; the others run on.
    rmSync(join(rules, 'axios.yml'));
    proc.kill('SIGHUP');
    const ax = JSON.parse(signin('81.2.69.99', 3000, { ua: 'axios/1.6.7' })) as Record<string, unknown>;
    await waitFor('the reload', 10_000, async () => {
      const body = `${JSON.stringify({ ...ax, properties: { ...(ax.properties as object), id: `probe-${Date.now()}` } })}\n`;
      const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body });
      const res = (await r.json()) as { alerts: { created: number } };
      return res.alerts.created === 0 ? true : undefined;
    });
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(rules, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('touchedSpans: around each new record, out to the first gap longer than the span on each side; disjoint, in order', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 60 }),
    fc.integer({ min: 0, max: 40 }),
    fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    (raw, gap, picks) => {
      const times = [...raw].sort((a, b) => a - b);
      const touched = picks.map((p) => times[p % times.length]!);
      const spans = touchedSpans(times, touched, gap);
      // The reference: split the times at every gap > `gap`; the runs holding a touched time.
      const runs: Array<{ fromMs: number; toMs: number }> = [];
      for (const t of times) {
        const last = runs[runs.length - 1];
        if (last && t - last.toMs <= gap) last.toMs = t;
        else runs.push({ fromMs: t, toMs: t });
      }
      const want = runs.filter((r) => touched.some((t) => t >= r.fromMs && t <= r.toMs));
      assert.deepEqual(spans, want);
    },
  ), { numRuns: 500 });
});

test('serve, recomputing later (as the service does): nothing of the correlations until settled, then hunt\'s alerts; a stop before settling loses nothing', async () => {
  const rules = ruleDir();
  const tmp = mkdtempSync(join(tmpdir(), 'cw-serve-general-settle-'));
  try {
    const lines = scenario(5);
    const expected = (await huntAlerts(rules, lines)).filter((a) => !a.startsWith('t-user-two-ips '));
    const correlations = (xs: string[]): string[] => xs.filter((a) => a.startsWith('t-many-users ') || a.startsWith('t-success-after-spray '));
    assert.ok(correlations(expected).length > 0);
    const g = served(rules);
    let { store, pipeline } = pipelineFor(tmp, g, undefined, 'deferred');
    for (let i = 0; i < lines.length; i += 7) pipeline.ingest(items(...lines.slice(i, i + 7)));
    // Single-event and the correlator's alerts are there; the general correlations wait.
    assert.deepEqual(correlations(openAlerts(store)), []);
    assert.deepEqual(openAlerts(store), expected.filter((a) => !correlations([a]).length));
    // Stopped before settling (the marks are in the store): the next start settles them.
    store.close();
    ({ store, pipeline } = pipelineFor(tmp, g, undefined, 'deferred'));
    try {
      let n = 0;
      for (let k; (k = pipeline.settleGeneral(2)) > 0;) n += k;
      assert.ok(n > 0, 'IPs recomputed');
      assert.deepEqual(openAlerts(store), expected);
      assert.equal(pipeline.settleGeneral(), 0, 'nothing left');
    } finally {
      store.close();
    }
  } finally {
    rmSync(rules, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});
