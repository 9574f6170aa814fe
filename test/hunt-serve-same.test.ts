// Issue #16: hunt and serve give the same answer on the bench's data. A dataset
// generated as the bench generates its own (src/generate/generator.ts, fixed
// seed), then:
//  - hunt: runBatch over its files, with the fast path on (fast first pass, two
//    threads), as `crosswatch hunt` runs on the bench's big inputs;
//  - serve: the same raw records, in shuffled order, as NDJSON bodies of varied
//    sizes (some gzipped, some sent twice, some records repeated in later bodies),
//    each framed and decoded as POST /api/v1/ingest does (decodeBody), several
//    in flight at once so they share commits (StreamPipeline.submit), with
//    eviction run between them as serve runs it.
// The alerts must be the same, episode by episode: (rule, IP, start, end) and
// the evidence (network alerts, qualifying events, users) of each, the whole
// document but for its raise time and id; and both must hold exactly the
// generator's ground-truth (rule, IP) pairs; and the alert ids too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch } from '../src/hunt/batch.js';
import { expandInputs } from '../src/inputs/inputs.js';
import type { AlertDocument } from '../src/model/alert.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { decodeBody, type DecodedBatch } from '../src/stream/stream-decode.js';
import { DEFAULT_RETENTION_MS, StreamPipeline } from '../src/stream/stream.js';
import { generatedLines } from './scenario-lines.js';
import { Rng } from '../src/generate/rng.js';

const EVENTS = 60_000;
const SEED = 16;
/** Bodies decoded before their commit (serve's ingest workers decode several while one commits). */
const IN_FLIGHT = 4;
/** Eviction runs after every this many bodies. */
const EVICT_EVERY = 10;
const DECODE = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
/** The receiving clock: after the data (2026-03-02 … 03-08), so nothing is from the future. */
const NOW = new Date('2026-06-01T00:00:00Z');

/** A small deterministic PRNG: the generator's. */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

/** An alert's episode: rule, IP, first network alert. */
const episode = (a: AlertDocument): string => `${a.rule.id} ${a.source.ip} ${a.event.start}`;

/** An alert as both sides can be compared: its episode, its end and its evidence counts (its id apart: see below). */
function view(a: AlertDocument): string {
  const e = a.crosswatch.evidence;
  return [
    episode(a), a.event.end, `alerts=${e.network_alert_count}`, `events=${e.event_count}`, `users=${e.user_count}`, `names=${a.user.name.join(',')}`,
  ].join(' ');
}

/** The alert document without when it was raised and its id. */
function content(a: AlertDocument): unknown {
  const { '@timestamp': _raised, ...rest } = a;
  const { id: _id, ...event } = a.event;
  return { ...rest, event };
}

const pairsOf = (xs: AlertDocument[]): string[] => [...new Set(xs.map((a) => `${a.rule.id} ${a.source.ip}`))].sort();

test('hunt (fast path) and serve (shuffled, batched, retried ingest) give the same alerts on the bench data, and both the ground truth', { timeout: 300_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cw-hunt-serve-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const started = performance.now();
  const gen = await generatedLines(join(root, 'gen'), EVENTS, SEED);
  const truth = (JSON.parse(readFileSync(gen.truthPath, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> })
    .pairs.map((p) => `${p.rule} ${p.ip}`).sort();
  const config = buildConfig({});
  const rules = loadRules();
  const generatedS = (performance.now() - started) / 1000;

  // hunt, the fast way.
  const h0 = performance.now();
  const hunt = await runBatch((await expandInputs([gen.logsDir])).files, {
    config, rules, decode: DECODE, threads: 2, fastScan: true, now: () => NOW,
  });
  const huntS = (performance.now() - h0) / 1000;
  assert.equal(hunt.fastScan, true, 'the fast first pass ran');
  assert.equal(hunt.threads, 2);
  assert.equal(hunt.counters.totalRejected, 0, JSON.stringify(hunt.counters.rejectSamples.slice(0, 3)));

  // serve: shuffled records in bodies of 50–800, a few records again in a later body,
  // some bodies gzipped, some sent twice.
  const r = rng(SEED);
  const lines = [...gen.lines];
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  const bodies: Array<{ lines: string[]; gzip: boolean }> = [];
  for (let i = 0; i < lines.length;) {
    const n = 50 + Math.floor(r() * 751);
    bodies.push({ lines: lines.slice(i, i + n), gzip: r() < 0.2 });
    i += n;
  }
  let repeatedRecords = 0;
  for (let b = 1; b < bodies.length; b++) {
    const earlier = bodies[Math.floor(r() * b)]!.lines;
    for (let k = Math.floor(r() * 6); k > 0; k--) {
      bodies[b]!.lines.push(earlier[Math.floor(r() * earlier.length)]!);
      repeatedRecords++;
    }
  }
  const resent = bodies.filter(() => r() < 0.08).map((b) => ({ ...b, gzip: !b.gzip }));
  const sent = [...bodies];
  for (const b of resent) sent.splice(Math.floor(r() * (sent.length + 1)), 0, b);
  const sentRecords = sent.reduce((n, b) => n + b.lines.length, 0);

  const store = new SqliteStore(join(root, 'data'), { synchronous: 'normal' });
  t.after(() => store.close());
  // The whole shuffle is late by up to the data's span (six days): a lateness that covers it,
  // so eviction (which bounds the state by it) never removes what a late record still needs.
  const p = new StreamPipeline(store, {
    config, rules, decode: DECODE, allowedLatenessMs: DEFAULT_RETENTION_MS, now: () => NOW,
  });
  const s0 = performance.now();
  let accepted = 0;
  let stored = 0;
  let duplicates = 0;
  let evicted = 0;
  for (let i = 0; i < sent.length; i += IN_FLIGHT) {
    const group = sent.slice(i, i + IN_FLIGHT);
    // Decoded against the watermark of the moment (as on the workers), committed together.
    const decoded = await Promise.all(group.map(async (b, k) => {
      const text = Buffer.from(b.lines.join('\n') + '\n');
      const d = await decodeBody({
        body: b.gzip ? gzipSync(text) : text, gzip: b.gzip, display: `request ${i + k}`, source: 'http', decode: p.decodeContext,
        watermarkMs: p.watermark, maxBytes: 64 * 1024 * 1024,
      });
      assert.ok(!('status' in d), `body ${i + k}: ${JSON.stringify(d)}`);
      return d as DecodedBatch;
    }));
    const results = await Promise.all(decoded.map((d, k) => p.submit(d, k < decoded.length - 1)));
    for (const res of results) {
      assert.equal(res.rejected, 0, JSON.stringify(res.errors));
      assert.deepEqual(res.dropped, {});
      assert.equal(res.quarantined, 0);
      accepted += res.accepted;
      stored += res.stored;
      duplicates += res.duplicates;
    }
    if (Math.floor((i + IN_FLIGHT) / EVICT_EVERY) !== Math.floor(i / EVICT_EVERY)) evicted += await p.evictInBackground();
  }
  evicted += p.evict();
  const serveS = (performance.now() - s0) / 1000;
  const served = store.listAlerts({ limit: 1_000_000 }).alerts.map((a) => a.doc);
  const withdrawn = store.listAlerts({ limit: 1_000_000, status: 'withdrawn' }).alerts.length;

  t.diagnostic(`${gen.lines.length} records (seed ${SEED}) generated in ${generatedS.toFixed(1)} s; truth ${truth.length} (rule, IP) pairs`);
  t.diagnostic(`hunt (fast scan, ${hunt.threads} threads) ${huntS.toFixed(1)} s: ${hunt.alerts.length} alerts, ${pairsOf(hunt.alerts).length} pairs; ` +
    `${hunt.correlation.networkAlerts} network alerts, ${hunt.correlation.qualifyingEvents} qualifying events; ${hunt.counters.totalUnparsed} records not parsed`);
  t.diagnostic(`serve ${serveS.toFixed(1)} s: ${sent.length} bodies (${resent.length} sent twice, ${repeatedRecords} records repeated), ${sentRecords} records sent, ` +
    `${accepted} accepted, ${stored} stored, ${duplicates} duplicates, ${evicted} evicted; ${served.length} alerts (${withdrawn} withdrawn), ${pairsOf(served).length} pairs`);

  assert.equal(accepted, sentRecords, 'every record sent is accepted');
  // (Only records that can correlate are stored: sign-ins, mail accesses, network alerts.)
  assert.equal(stored, store.eventCount() + evicted, 'what is stored is every distinct event, less what eviction removed');
  assert.ok(duplicates > 0, 'records sent again are stored once');

  const idOf = (xs: AlertDocument[]): Map<string, string> => new Map(xs.map((a) => [episode(a), a.event.id]));
  const huntIds = idOf(hunt.alerts);
  const idsDiffer = [...idOf(served)].filter(([k, id]) => huntIds.has(k) && huntIds.get(k) !== id).map(([k, id]) => `${k}: hunt ${huntIds.get(k)}, serve ${id}`);
  t.diagnostic(`alert ids: ${idsDiffer.length} of ${served.length} differ${idsDiffer.length ? ` (first: ${idsDiffer[0]})` : ''}`);

  await t.test('both answers are the ground truth (neither is empty)', () => {
    assert.ok(truth.length >= 4, 'the generator plants attacks for both rules');
    assert.deepEqual(pairsOf(hunt.alerts), truth, 'hunt: the ground truth');
    assert.deepEqual(pairsOf(served), truth, 'serve: the ground truth');
  });

  await t.test('the same episodes (rule, IP, start, end) with the same evidence (network alerts, qualifying events, users)', () => {
    const want = hunt.alerts.map(view).sort();
    const got = served.map(view).sort();
    const onlyHunt = want.filter((x) => !got.includes(x));
    const onlyServe = got.filter((x) => !want.includes(x));
    assert.deepEqual({ onlyHunt: onlyHunt.slice(0, 10), onlyServe: onlyServe.slice(0, 10) }, { onlyHunt: [], onlyServe: [] },
      `${onlyHunt.length} alerts only in hunt's answer, ${onlyServe.length} only in serve's`);
    assert.deepEqual(got, want);
    assert.equal(new Set(served.map(episode)).size, served.length, 'one alert per episode');
    // And the documents themselves (evidence lists, threat, message …), but for when each was raised and its id.
    const byEpisode = new Map(served.map((a) => [episode(a), a]));
    for (const a of hunt.alerts) assert.deepEqual(content(byEpisode.get(episode(a))!), content(a), episode(a));
  });

  // A late, earlier network alert moves an episode's anchor, and so its deterministic id:
  // serve re-keys the stored alert (AlertsTable.upsertAlert), so the ids are hunt's whatever the order.
  await t.test('the same alert ids', () => {
    assert.deepEqual(idsDiffer.slice(0, 10), [], `${idsDiffer.length} episodes whose alert id differs`);
    assert.deepEqual(served.map((a) => a.event.id).sort(), hunt.alerts.map((a) => a.event.id).sort());
  });
});
