// Records from the future are held apart (issue #15, item 1). Before, a record
// dated far ahead was stored with the rest: it moved its own IP's eviction horizon
// (that IP's newest event), so one datagram dated 9999 from an attacker's address
// evicted the real alert and sign-in of that address and the alert never came.
// Now such records wait in a quarantine table: they are durable and counted,
// shown in status, and released into the pipeline when the receiving clock
// reaches them. Events older than the retention are dropped with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../../src/detect/rules.js';
import { buildConfig } from '../../src/detect/config.js';
import { StreamPipeline, type StreamOptions } from '../../src/stream/stream.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { metricsFor } from '../../src/http/app.js';
import { alertLine, items, signinLine } from '../scenario-lines.js';
import { startServe } from '../serve-process.js';

const DECODE = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } };
const T0 = Date.parse('2026-03-02T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const H = 3_600_000;

function open(dir: string, clock: { now: number }, extra: Partial<StreamOptions> = {}): { store: SqliteStore; p: StreamPipeline } {
  const store = new SqliteStore(join(dir, 'data'));
  const p = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * H, decode: DECODE, now: () => new Date(clock.now), ...extra,
  });
  return { store, p };
}

const openAlerts = (store: SqliteStore): string[] => store.listAlerts({ limit: 100 }).alerts.map((a) => `${a.doc.source.ip} ${a.doc.event.start}`).sort();

test('a record dated 9999 from an attacker\'s address cannot evict that address\'s real events', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-quarantine-'));
  const clock = { now: T0 };
  try {
    const { store, p } = open(dir, clock);
    const ip = '45.33.32.170';
    p.ingest(items(alertLine(ip, '9999-12-31T23:59:59Z')));
    const r = p.ingest(items(alertLine(ip, iso(T0 - 2 * H)), signinLine(ip, iso(T0 - H))));
    assert.equal(r.alertsCreated, 1);
    p.evict();
    assert.deepEqual(openAlerts(store), [`${ip} ${iso(T0 - 2 * H)}`]);
    assert.equal(store.eventCount(), 2, 'the two real events are held; the one from the future is not among them');
    assert.deepEqual(store.quarantineSummary(), { events: 1, earliestMs: Date.parse('9999-12-31T23:59:59Z'), latestMs: Date.parse('9999-12-31T23:59:59Z') });
    // A later real event of that address still pairs: its window was not moved.
    p.ingest(items(signinLine(ip, iso(T0 - H / 2), 'adele.vance@contoso.com')));
    p.evict();
    assert.deepEqual(store.listAlerts({ limit: 10 }).alerts[0]!.doc.user.name.sort(), ['adele.vance@contoso.com', 'megan.bowen@contoso.com']);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('quarantined records are durable, de-duplicated, and released when the clock reaches them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-quarantine-'));
  const clock = { now: T0 };
  try {
    let { store, p } = open(dir, clock);
    const ip = '81.2.69.230';
    // A sensor whose clock runs two hours ahead: its alert and the sign-in after it.
    const alert = alertLine(ip, iso(T0 + 2 * H));
    const signin = signinLine(ip, iso(T0 + 2 * H + 30 * 60_000));
    const r = p.ingest(items(alert, signin));
    assert.deepEqual([r.accepted, r.stored, r.quarantined, r.alertsCreated], [2, 0, 2, 0]);
    assert.equal(p.futureEvents, 2);
    assert.equal(p.watermark, Number.NEGATIVE_INFINITY, 'no watermark from the future');
    assert.equal(store.eventCount(), 0);
    // Sent again while held: counted once.
    const again = p.ingest(items(alert, signin));
    assert.deepEqual([again.quarantined, again.duplicates], [0, 2]);
    assert.equal(p.futureEvents, 2);
    assert.equal(p.releaseDue(), 0, 'not yet');
    store.close();

    // Restarted an hour later: still held.
    clock.now = T0 + H;
    ({ store, p } = open(dir, clock));
    assert.equal(store.quarantineSummary().events, 2);
    assert.equal(p.releaseDue(), 0);
    // Their time comes (less the skew): released, correlated, the watermark follows.
    clock.now = T0 + 2 * H;
    assert.equal(p.releaseDue(), 1, 'the alert, within the skew; the sign-in 30 minutes later is not yet due');
    clock.now = T0 + 2 * H + 30 * 60_000;
    assert.equal(p.releaseDue(), 1);
    assert.deepEqual(openAlerts(store), [`${ip} ${iso(T0 + 2 * H)}`]);
    assert.equal(p.watermark, T0 + 2 * H + 30 * 60_000);
    assert.equal(store.quarantineSummary().events, 0);
    assert.equal(store.eventCount(), 2);
    assert.equal(p.releasedEvents, 2);
    // Sent again after release: a duplicate of the stored record, not a new one.
    const late = p.ingest(items(alert, signin));
    assert.deepEqual([late.stored, late.quarantined, late.duplicates], [0, 0, 2]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a longer future skew (serve --future-skew) takes records that far ahead as now', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-quarantine-'));
  const clock = { now: T0 };
  try {
    const { store, p } = open(dir, clock, { futureSkewMs: 3 * H });
    const ip = '81.2.69.231';
    const r = p.ingest(items(alertLine(ip, iso(T0 + 2 * H)), signinLine(ip, iso(T0 + 2 * H + 30 * 60_000))));
    assert.deepEqual([r.stored, r.quarantined, r.alertsCreated], [2, 0, 1]);
    const later = p.ingest(items(alertLine('81.2.69.232', iso(T0 + 4 * H))));
    assert.deepEqual([later.stored, later.quarantined], [0, 1], 'past the skew, still held');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an ingest releases what is due on its way; metrics and the quarantine bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-quarantine-'));
  const clock = { now: T0 };
  try {
    const { store, p } = open(dir, clock, { quarantineMax: 5 });
    const r = p.ingest(items(...Array.from({ length: 8 }, (_, i) => alertLine(`81.2.69.${100 + i}`, iso(T0 + 3 * H + i * 10 * 60_000)))));
    assert.deepEqual([r.quarantined, r.dropped['quarantine-full']], [5, 3]);
    assert.ok(r.errors.some((e) => e.reason === 'quarantine-full' && /3 events/.test(e.message)), JSON.stringify(r.errors));
    const { registry } = metricsFor(p, store);
    let text = await registry.metrics();
    assert.match(text, /crosswatch_quarantine_events 5/);
    assert.match(text, /crosswatch_events_dropped_total\{reason="quarantine-full"\} 3/);
    // A sign-in arriving when the first alerts are due releases them in its own commit.
    // (Due: within the skew of the clock, so the first two, at +0 and +10 minutes.)
    clock.now = T0 + 3 * H;
    p.ingest(items(signinLine('81.2.69.100', iso(T0 + 3 * H + 60_000))));
    assert.deepEqual(openAlerts(store), [`81.2.69.100 ${iso(T0 + 3 * H)}`]);
    assert.equal(store.quarantineSummary().events, 3);
    text = await registry.metrics();
    assert.match(text, /crosswatch_quarantine_events 3/);
    assert.match(text, /crosswatch_quarantine_released_total 2/);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('events older than the retention are dropped and counted, with the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-quarantine-'));
  const clock = { now: T0 };
  try {
    const { store, p } = open(dir, clock, { retentionMs: 7 * 24 * H });
    p.ingest(items(alertLine('81.2.69.240', iso(T0 - H))));
    const old = iso(T0 - H - 8 * 24 * H);
    const r = p.ingest(items(alertLine('81.2.69.241', old), signinLine('81.2.69.241', old), alertLine('81.2.69.242', iso(T0 - 2 * H))));
    assert.deepEqual([r.accepted, r.stored, r.dropped['older-than-retention']], [3, 1, 2]);
    assert.ok(r.errors.some((e) => e.reason === 'older-than-retention' && e.message.includes(iso(T0 - H - 7 * 24 * H))), JSON.stringify(r.errors));
    assert.equal(store.eventCount(), 2);
    assert.equal(p.droppedEvents['older-than-retention'], 2);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: status and the UI\'s status call show the quarantine; a far-future datagram leaves its address detectable', { timeout: 60_000 }, async () => {
  const token = 'quarantine-token-0123456789abcdef-xyz';
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-quarantine-serve-'));
  const served = await startServe(['--data-dir', dataDir, '--syslog-udp', '0'], { ...process.env, CROSSWATCH_TOKEN: token });
  const auth = { authorization: `Bearer ${token}` };
  try {
    const port = Number(/syslog udp (\d+)/.exec(served.line)?.[1]);
    const ip = '45.33.32.171';
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => udp.send(`<134>1 9999-12-31T23:59:59Z fw01 - - - - ${alertLine(ip, '9999-12-31T23:59:59Z')}`, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    udp.close();
    let status: { quarantine?: { events: number; earliest: string | null }; dropped?: Record<string, number> } = {};
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && status.quarantine?.events !== 1;) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await (await fetch(`${served.base}/api/v1/status`, { headers: auth })).json()) as typeof status;
    }
    assert.deepEqual(status.quarantine, { events: 1, earliest: '9999-12-31T23:59:59.000Z', latest: '9999-12-31T23:59:59.000Z', arrived: 1, released: 0 });
    assert.deepEqual(status.dropped, {});
    const now = Date.now();
    const res = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: auth, body: `${alertLine(ip, iso(now - H))}\n${signinLine(ip, iso(now - H / 2))}\n` });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { stored: number; alerts: { created: number } };
    assert.deepEqual([body.stored, body.alerts.created], [2, 1]);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
