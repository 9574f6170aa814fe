// The streaming pipeline's time handling: event time drives everything, late
// events within the lateness still match, eviction bounds the state without
// withdrawing alerts whose evidence it removed, and an IP that turns out to be
// shared infrastructure has its early alert withdrawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { Correlator } from '../src/detect/correlator.js';
import { alertsOf } from '../src/detect/alerts.js';
import { decodeRecord } from '../src/decoders/index.js';
import type { AlertDocument } from '../src/model/alert.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { alertLine as alert, items, signinLine as signin } from './scenario-lines.js';

const DECODE = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };

/** What hunt's correlator makes of these records (the same rules and settings as setup's). */
function runHunt(lines: string[]): AlertDocument[] {
  const rules = loadRules();
  const config = buildConfig({ maxUsersPerIp: 3 });
  const c = new Correlator(config, rules.map((r) => r.correlation));
  for (const item of items(...lines)) {
    if (item.kind === 'problem') continue;
    const { result } = decodeRecord(item, DECODE);
    if (result.ok) c.add(result.event);
  }
  return alertsOf(c.finish(), rules, new Date());
}

function setup(): { store: SqliteStore; p: StreamPipeline } {
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'cw-stream-')), 'data'));
  const p = new StreamPipeline(store, {
    config: buildConfig({ maxUsersPerIp: 3 }), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000,
    decode: DECODE,
  });
  return { store, p };
}

test('a late network alert still matches a sign-in that arrived before it', () => {
  const { store, p } = setup();
  p.ingest(items(signin('81.2.69.200', '2026-03-02T11:00:00Z')));
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 0);
  p.ingest(items(alert('81.2.69.200', '2026-03-02T10:00:00.000000Z')));
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
  assert.equal(p.watermark, Date.parse('2026-03-02T11:00:00Z'), 'the watermark is event time, not arrival time');
  store.close();
});

test('eviction is per IP: old state of an IP goes, another feed\'s dates never evict it, and raised alerts stand', () => {
  const { store, p } = setup();
  p.ingest(items(alert('81.2.69.201', '2026-03-02T10:00:00Z'), signin('81.2.69.201', '2026-03-02T11:00:00Z')));
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
  // Another feed, days later (a second replayed export, say): nothing of .201 goes.
  p.ingest(items(alert('81.2.69.202', '2026-03-05T10:00:00Z')));
  assert.equal(p.evict(), 0);
  assert.equal(store.eventCount(), 3);
  // .201 itself moves on by more than window + lateness: its old events go.
  p.ingest(items(signin('81.2.69.201', '2026-03-04T12:00:00Z')));
  assert.equal(p.evict(), 2);
  assert.equal(store.eventCount(), 2);
  // A late event for .201 cannot see the evicted alert, and must not withdraw the alert raised from it.
  p.ingest(items(signin('81.2.69.201', '2026-03-02T12:00:00Z')));
  assert.deepEqual(store.listAlerts({ limit: 10 }).alerts.map((a) => [a.doc.source.ip, a.status]), [['81.2.69.201', 'open']]);
  store.close();
});

test('retention bounds the state of quiet IPs behind the newest event overall', () => {
  const { store, p } = setup();
  p.ingest(items(alert('81.2.69.204', '2026-01-01T10:00:00Z')));
  p.ingest(items(alert('81.2.69.205', '2026-03-05T10:00:00Z')));
  assert.equal(p.evict(), 1, 'more than 30 days behind the newest event');
  assert.equal(store.eventCount(), 1);
  store.close();
});

test('an alert raised early is withdrawn when later sign-ins show the IP is shared infrastructure', () => {
  const { store, p } = setup();
  p.ingest(items(alert('81.2.69.203', '2026-03-02T10:00:00Z'), signin('81.2.69.203', '2026-03-02T11:00:00Z', 'a@contoso.com')));
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
  p.ingest(items(...['b', 'c', 'd'].map((u) => signin('81.2.69.203', '2026-03-02T12:00:00Z', `${u}@contoso.com`))));
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 0, 'withdrawn alerts are not listed');
  const w = store.listAlerts({ limit: 10, status: 'withdrawn' }).alerts;
  assert.equal(w.length, 1);
  assert.match(w[0]!.triage.at(-1)!.note ?? '', /shared/);
  store.close();
});

test('alert identity: a late, earlier network alert moves the anchor of the same alert; an episode a gap of a window later is an alert of its own, as in hunt', () => {
  const { store, p } = setup();
  const ip = '81.2.69.201';
  const w = buildConfig({}).windowMs;
  const at = (ms: number): string => new Date(Date.parse('2026-03-02T10:00:00Z') + ms).toISOString();
  p.ingest(items(alert(ip, at(0)), signin(ip, at(10 * 60_000))));
  const first = store.listAlerts({ limit: 10 }).alerts;
  assert.equal(first.length, 1);
  // An earlier alert arrives late: same episode, its anchor (and so its deterministic id) moves: still one
  // alert, re-keyed to the id hunt gives over the same data, keeping its raise time and triage; the old id
  // is withdrawn, superseded by the new one, and triage sent to it reaches the alert.
  store.setStatus(first[0]!.doc.event.id, 'acknowledged', 'ana', 'looking', '2026-03-02T10:20:00.000Z');
  p.ingest(items(alert(ip, at(-30 * 60_000))));
  const moved = store.listAlerts({ limit: 10 }).alerts;
  const huntId = runHunt([alert(ip, at(0)), signin(ip, at(10 * 60_000)), alert(ip, at(-30 * 60_000))])[0]!.event.id;
  assert.notEqual(huntId, first[0]!.doc.event.id);
  assert.deepEqual(moved.map((a) => [a.doc.event.id, a.doc.event.start, a.status, a.doc['@timestamp']]), [[huntId, at(-30 * 60_000), 'acknowledged', first[0]!.doc['@timestamp']]]);
  assert.match(moved[0]!.triage.at(-1)!.note ?? '', new RegExp(`re-keyed from ${first[0]!.doc.event.id}`));
  const old = store.getAlert(first[0]!.doc.event.id)!;
  assert.deepEqual([old.status, old.supersededBy], ['withdrawn', huntId]);
  assert.equal(store.setStatus(first[0]!.doc.event.id, 'closed', 'ana', 'benign', '2026-03-02T10:40:00.000Z')!.doc.event.id, huntId);
  assert.equal(store.getAlert(huntId)!.status, 'closed');
  // A second episode: its first sign-in more than a window after the last one, its alert within a window of it.
  p.ingest(items(alert(ip, at(10 * 60_000 + w - 20 * 60_000)), signin(ip, at(10 * 60_000 + w + 60_000))));
  const both = store.listAlerts({ limit: 10 }).alerts.map((a) => [a.doc.event.start, a.doc.event.end]).sort();
  assert.deepEqual(both, [[at(-30 * 60_000), at(10 * 60_000)], [at(10 * 60_000 + w - 20 * 60_000), at(10 * 60_000 + w + 60_000)]]);
  // Recomputing the IP again changes neither (each episode keeps its own alert).
  const versions = store.listAlerts({ limit: 10 }).alerts.map((a) => a.version).sort();
  p.ingest(items(signin(ip, at(5 * 60_000), 'adele.vance@contoso.com')));
  const after = store.listAlerts({ limit: 10 }).alerts;
  assert.equal(after.length, 2);
  assert.deepEqual(after.map((a) => a.version).sort(), [versions[0]!, versions[1]! + 1].sort(), 'only the first episode grew');
  store.close();
});
