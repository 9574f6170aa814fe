// The service's fast ingest path, in process: bodies decoded on ingest workers
// give exactly what decoding on the main thread gives (records, rejects,
// counters, stored rows) and the same alerts; batches committed together (group
// commit) are answered each for itself; a store of the previous schema is
// migrated on open; bodies of any size and without Content-Length are read;
// eviction in steps keeps the in-memory alert times in line with the store; and
// the compact stored form of an event gives the alerts the whole event gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { generate } from '../src/generate/generator.js';
import { frameFile, frameLine, type FramedItem } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { decodeBatch, decodeBody, type BodyTask, type DecodedBatch } from '../src/stream/stream-decode.js';
import { rowEvent } from '../src/store/rows.js';
import { Correlator } from '../src/detect/correlator.js';
import { decodeRecord } from '../src/decoders/index.js';
import { alertDocument } from '../src/detect/alerts.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { IngestPool } from '../src/http/ingest-pool.js';
import { alertLine, generatedLines, items, signinLine } from './scenario-lines.js';
import { buildApp } from '../src/http/app.js';

const DECODE = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
function pipeline(dir = mkdtempSync(join(tmpdir(), 'cw-ingest-'))): { store: SqliteStore; p: StreamPipeline; dir: string } {
  const store = new SqliteStore(join(dir, 'data'));
  const p = new StreamPipeline(store, { config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000, decode: DECODE });
  return { store, p, dir };
}
function task(body: string | Buffer, gzip = false): BodyTask {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  // Its own ArrayBuffer, as the server's body reader makes them.
  const own = new Uint8Array(new ArrayBuffer(b.length));
  own.set(b);
  return { body: own, gzip, display: 'request t-1', source: 'http', decode: DECODE, watermarkMs: Number.NEGATIVE_INFINITY, maxBytes: 1 << 26 };
}
/** Plain values of a decoded batch, for comparing across threads. */
function plain(b: DecodedBatch): unknown {
  return { ...b, rows: { ...b.rows, roles: [...b.rows.roles], atMs: [...b.rows.atMs], atNs: [...b.rows.atNs] } };
}
type Pair = { rule: string; ip: string; start: string; users: string[] };
function alertsOf(store: SqliteStore): Pair[] {
  return store.listAlerts({ limit: 1000 }).alerts
    .map((a) => ({ rule: a.doc.rule.id, ip: a.doc.source.ip, start: a.doc.event.start, users: a.doc.user.name }))
    .sort((a, b) => `${a.rule} ${a.ip} ${a.start}`.localeCompare(`${b.rule} ${b.ip} ${b.start}`));
}

test('ingest workers decode a body exactly as the main thread does, and give the same alerts', { timeout: 120_000 }, async () => {
  const { lines, truthPath } = await generatedLines(mkdtempSync(join(tmpdir(), 'cw-ingest-gen-')), 4000, 11);
  // Some damage, a fast.log line (year-less: dated from the body's records) and a gzipped body.
  lines.splice(7, 0, '{"broken": ', '03/02-10:15:00.000000  [**] [1:2403341:4] ET CINS Poor Reputation IP [**] [Classification: Misc Attack] [Priority: 2] {TCP} 81.2.69.77:51515 -> 10.20.0.15:443');
  const bodies: Array<{ text: string; gzip: boolean }> = [];
  for (let i = 0; i < lines.length; i += 700) bodies.push({ text: lines.slice(i, i + 700).join('\n') + '\n', gzip: bodies.length % 3 === 1 });

  const pool = new IngestPool(2);
  const viaWorkers = pipeline();
  const onMain = pipeline();
  try {
    for (const b of bodies) {
      const raw = b.gzip ? gzipSync(b.text) : Buffer.from(b.text);
      const [w, m] = await Promise.all([pool.decode(task(raw, b.gzip)), decodeBody(task(raw, b.gzip))]);
      assert.ok(w.body instanceof ArrayBuffer && w.body.byteLength === raw.length, 'the body buffer comes back');
      assert.ok('rows' in w.result && 'rows' in m);
      assert.deepEqual(plain(w.result as DecodedBatch), plain(m as DecodedBatch));
      // Committed: on the worker path through group commit, on the other as tail/syslog do.
      await viaWorkers.p.submit(w.result as DecodedBatch);
    }
    // The main-thread path, in another order: the alerts are the same.
    for (const b of [...bodies].reverse()) {
      const framed: FramedItem[] = [];
      b.text.split('\n').forEach((l, i) => frameLine(l, { source: 'request x', line: i + 1 }, framed));
      onMain.p.ingest(framed, 'http');
    }
    const got = alertsOf(viaWorkers.store);
    assert.deepEqual(got, alertsOf(onMain.store));
    const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
    assert.deepEqual([...new Set(got.map((a) => `${a.rule} ${a.ip}`))].sort(), truth.pairs.map((p) => `${p.rule} ${p.ip}`).sort());
    assert.equal(viaWorkers.p.counters.totalRecords, lines.length);
    assert.deepEqual([...viaWorkers.p.counters.sources.keys()], ['http'], 'one counter source for all requests');
    assert.equal(viaWorkers.p.counters.rejects.get('invalid-json'), 1);
    assert.equal(viaWorkers.store.eventCount(), onMain.store.eventCount());
  } finally {
    await pool.close();
    viaWorkers.store.close();
    onMain.store.close();
  }
});

test('decodeBody: reject reports in input order with their place; bad gzip is 400, too much is 413', async () => {
  const body = ['{"nope": 1}', alertLine('81.2.69.90', '2026-03-02T10:00:00Z'), 'not a record at all', '{"broken": '].join('\n');
  const r = await decodeBody(task(body));
  assert.ok('rows' in r);
  assert.equal(r.accepted, 1);
  assert.equal(r.rejected, 3);
  assert.deepEqual(r.errors.map((e) => e.where), ['request t-1:1', 'request t-1:3', 'request t-1:4']);
  assert.deepEqual(await decodeBody(task('not gzip', true)).then((x) => 'status' in x && x.status), 400);
  assert.deepEqual(await decodeBody({ ...task(gzipSync(Buffer.alloc(1 << 20)), true), maxBytes: 1000 }).then((x) => 'status' in x && x.status), 413);
});

test('group commit: batches submitted together share one commit, each answered for itself', async () => {
  const { store, p } = pipeline();
  const a = decodeBatch(items(alertLine('81.2.69.91', '2026-03-02T10:00:00Z')), DECODE, p.watermark, 'http');
  const same = signinLine('81.2.69.91', '2026-03-02T11:00:00Z');
  const b = decodeBatch(items(same, same), DECODE, p.watermark, 'http');
  const c = decodeBatch(items(same, signinLine('81.2.69.92', '2026-03-02T11:00:00Z')), DECODE, p.watermark, 'http');
  const [ra, rb, rc] = await Promise.all([p.submit(a), p.submit(b), p.submit(c)]);
  assert.deepEqual([ra!.stored, ra!.duplicates, rb!.stored, rb!.duplicates, rc!.stored, rc!.duplicates], [1, 0, 1, 1, 1, 1]);
  // The alert is counted once, in the reply of the first batch that touched its IP.
  assert.equal(ra!.alertsCreated + rb!.alertsCreated + rc!.alertsCreated, 1);
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
  assert.equal(p.counters.totalRecords, 5);
  store.close();
});

test('a batch submitted while more bodies are being decoded waits briefly for them: one commit for both', async () => {
  const { store, p } = pipeline();
  const commits: number[] = [];
  const commit = p.commit.bind(p);
  p.commit = (batches) => {
    commits.push(batches.length);
    return commit(batches);
  };
  const batch = (ip: string): DecodedBatch => decodeBatch(items(signinLine(ip, '2026-03-02T11:00:00Z')), DECODE, p.watermark, 'http');
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
  // Without more coming, batches a turn apart are committed apart.
  const a = p.submit(batch('81.2.70.1'));
  await tick();
  await Promise.all([a, p.submit(batch('81.2.70.2'))]);
  assert.deepEqual(commits, [1, 1]);
  // With more coming, the first waits for the second.
  commits.length = 0;
  const c = p.submit(batch('81.2.70.3'), true);
  await tick();
  const [rc, rd] = await Promise.all([c, p.submit(batch('81.2.70.4'))]);
  assert.deepEqual(commits, [2]);
  assert.deepEqual([rc.stored, rd.stored], [1, 1]);
  // And it does not wait for ever when nothing comes.
  commits.length = 0;
  assert.equal((await p.submit(batch('81.2.70.5'), true)).stored, 1);
  assert.deepEqual(commits, [1]);
  store.close();
});

test('failed sign-ins are counted, not stored; events outside every window of their IP store without recomputing it', () => {
  const { store, p } = pipeline();
  const failed = JSON.parse(signinLine('81.2.69.93', '2026-03-02T11:00:00Z')) as { properties: { status: { errorCode: number } }; resultType: string };
  failed.properties.status.errorCode = 50126;
  failed.resultType = '50126';
  const r = p.ingest(items(JSON.stringify(failed), alertLine('81.2.69.93', '2026-03-02T10:00:00Z')));
  assert.deepEqual([r.accepted, r.stored], [2, 1]);
  assert.equal(p.counters.roles.signin, 1);
  // A day later: outside the alert's window, nothing to recompute.
  const late = p.ingest(items(signinLine('81.2.69.93', '2026-03-03T11:00:00Z')));
  assert.deepEqual([late.stored, late.alertsCreated], [1, 0]);
  const inside = p.ingest(items(signinLine('81.2.69.93', '2026-03-02T18:00:00Z')));
  assert.deepEqual([inside.stored, inside.alertsCreated], [1, 1]);
  store.close();
});

test('eviction keeps running after a run with nothing to evict (a run that ends at once used to stall it for good)', async () => {
  const { store, p } = pipeline();
  p.ingest(items(alertLine('81.2.69.95', '2026-03-02T10:00:00Z'), signinLine('81.2.69.95', '2026-03-02T11:00:00Z')));
  // Nothing is stale yet: the run ends in its first step.
  assert.equal(await p.evictInBackground(), 0);
  // Three days on, the IP's first rows are past its window and lateness: the next run must remove them.
  p.ingest(items(signinLine('81.2.69.95', '2026-03-05T11:00:00Z')));
  const next = p.evictInBackground();
  assert.equal(await next, 2);
  assert.equal(store.eventCount(), 1);
  // And again, each call a run of its own once the last one settled.
  assert.equal(await p.evictInBackground(), 0);
  assert.notEqual(p.evictInBackground(), next);
  await p.drain();
  // What /metrics reports of it.
  assert.equal(p.eviction.runs, 4);
  assert.equal(p.eviction.rowsRemoved, 2);
  assert.ok(Date.now() - p.eviction.lastRunMs < 60_000);
  store.close();
});

test('eviction in steps, in the background, keeps the alert times in memory in line with the store', async () => {
  const { store, p, dir } = pipeline();
  p.ingest(items(alertLine('81.2.69.94', '2026-03-02T10:00:00Z'), signinLine('81.2.69.94', '2026-03-02T11:00:00Z')));
  p.ingest(items(signinLine('81.2.69.94', '2026-03-05T11:00:00Z')));
  assert.equal(p.alertedIps, 1);
  assert.equal(await p.evictInBackground(), 2);
  assert.equal(p.alertedIps, 0, 'the evicted alert is forgotten');
  assert.equal(store.eventCount(), 1);
  // A sign-in inside the evicted alert's window changes nothing (the alert stands as raised).
  const r = p.ingest(items(signinLine('81.2.69.94', '2026-03-02T12:00:00Z')));
  assert.equal(r.alertsCreated + r.alertsUpdated, 0);
  assert.deepEqual(store.listAlerts({ limit: 10 }).alerts.map((a) => a.status), ['open']);
  store.close();
  // Reopened: the alert times come from the store.
  const again = pipeline(dir);
  assert.equal(again.p.alertedIps, 0);
  again.store.close();
});

test('a store of the first schema is migrated on open: events kept, deduplication by record still holds', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'cw-ingest-mig-')), 'data');
  const { store: s0, p: p0 } = pipeline(join(dir, '..'));
  const ev = signinLine('81.2.69.95', '2026-03-02T11:00:00Z');
  p0.ingest(items(alertLine('81.2.69.95', '2026-03-02T10:00:00Z'), ev));
  const rows = s0.db.prepare('SELECT record_key, ip, role, at_ms, at_ns, doc FROM events').all() as Array<Record<string, unknown>>;
  s0.close();
  // Rebuild it as version 1 wrote it: key unique alone, an index on time, no ips table, no version.
  const v1 = new Database(join(dir, 'crosswatch.sqlite'));
  v1.exec(`DROP TABLE events; DROP TABLE ips; DELETE FROM meta WHERE key = 'schema_version';
    CREATE TABLE events (seq INTEGER PRIMARY KEY, record_key TEXT NOT NULL UNIQUE, ip TEXT NOT NULL, role TEXT NOT NULL, at_ms INTEGER NOT NULL, at_ns INTEGER NOT NULL, doc TEXT NOT NULL);
    CREATE INDEX events_ip ON events (ip, at_ms); CREATE INDEX events_at ON events (at_ms);`);
  const ins = v1.prepare('INSERT INTO events (record_key, ip, role, at_ms, at_ns, doc) VALUES (@record_key, @ip, @role, @at_ms, @at_ns, @doc)');
  for (const r of rows) ins.run(r);
  v1.close();
  const { store, p } = pipeline(join(dir, '..'));
  assert.equal(store.eventCount(), 2);
  assert.equal(p.alertedIps, 1);
  const indexes = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL").all() as Array<{ name: string }>).map((r) => r.name).sort();
  assert.deepEqual(indexes, ['events_alerts', 'events_hour_ip', 'events_key_hash']);
  const again = p.ingest(items(ev));
  assert.deepEqual([again.stored, again.duplicates], [0, 1]);
  store.close();
});

/** Rebuilds a store's events table as schema version 2 or 3 wrote it (no key hash; unique by time and key text). */
function asOldSchema(db: Database.Database, version: '2' | '3'): void {
  const rows = db.prepare('SELECT seq, record_key, ip, role, at_ms, at_ns, doc FROM events ORDER BY seq').all();
  db.exec(`DROP TABLE events;
    CREATE TABLE events (seq INTEGER PRIMARY KEY, record_key TEXT NOT NULL, ip TEXT NOT NULL, role TEXT NOT NULL, at_ms INTEGER NOT NULL, at_ns INTEGER NOT NULL, doc TEXT NOT NULL);
    CREATE UNIQUE INDEX events_key ON events (at_ms, record_key);
    ${version === '2' ? 'CREATE INDEX events_ip ON events (ip, at_ms);' : 'CREATE INDEX events_hour_ip ON events (at_ms / 3600000, ip, at_ms);'}
    CREATE INDEX events_alerts ON events (ip, at_ms) WHERE role = 'network_alert';
    UPDATE meta SET value = '${version}' WHERE key = 'schema_version';`);
  const ins = db.prepare('INSERT INTO events (seq, record_key, ip, role, at_ms, at_ns, doc) VALUES (@seq, @record_key, @ip, @role, @at_ms, @at_ns, @doc)');
  for (const r of rows) ins.run(r);
}

for (const version of ['2', '3'] as const) {
  test(`a store of schema ${version} is migrated on open: events kept, found by IP across days, deduplicated and evicted as before`, async () => {
    const root = mkdtempSync(join(tmpdir(), `cw-ingest-mig${version}-`));
    const { store: s0, p: p0 } = pipeline(root);
    // An IP with events over three days (many hours apart), and an alert.
    const first = signinLine('81.2.69.97', '2026-03-02T11:00:00Z');
    p0.ingest(items(alertLine('81.2.69.97', '2026-03-02T10:00:00Z'), first));
    p0.ingest(items(signinLine('81.2.69.97', '2026-03-05T11:00:00Z', 'later@contoso.com')));
    const rows = s0.db.prepare('SELECT seq, record_key, ip, role, at_ms, at_ns, doc FROM events ORDER BY seq').all();
    asOldSchema(s0.db, version);
    s0.close();
    const { store, p } = pipeline(root);
    const indexes = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL").all() as Array<{ name: string }>).map((r) => r.name).sort();
    assert.deepEqual(indexes, ['events_alerts', 'events_hour_ip', 'events_key_hash']);
    assert.equal(store.getMeta('schema_version'), '4');
    assert.deepEqual(store.db.prepare('SELECT seq, record_key, ip, role, at_ms, at_ns, doc FROM events ORDER BY seq').all(), rows, 'events kept as they were');
    assert.deepEqual(store.eventsForIp('81.2.69.97').map((e) => e.at.ms), [Date.parse('2026-03-02T10:00:00Z'), Date.parse('2026-03-02T11:00:00Z'), Date.parse('2026-03-05T11:00:00Z')]);
    const again = p.ingest(items(first));
    assert.deepEqual([again.stored, again.duplicates], [0, 1], 'a record stored before the migration is still known');
    // A new sign-in in the alert's window, hours after the first: found with the alert, the alert updated.
    const r = p.ingest(items(signinLine('81.2.69.97', '2026-03-02T16:00:00Z', 'second@contoso.com')));
    assert.equal(r.alertsUpdated, 1);
    assert.deepEqual([...store.listAlerts({ limit: 10 }).alerts[0]!.doc.user.name].sort(), ['megan.bowen@contoso.com', 'second@contoso.com']);
    // Eviction finds the IP's old events through the new index.
    assert.equal(await p.evictInBackground(), 3);
    assert.deepEqual(store.eventsForIp('81.2.69.97').map((e) => e.at.ms), [Date.parse('2026-03-05T11:00:00Z')]);
    assert.equal(store.eventCount(), 1);
    store.close();
  });
}

test('records whose key hashes collide in the same millisecond are all stored, and each is still known when sent again', () => {
  const root = mkdtempSync(join(tmpdir(), 'cw-ingest-collide-'));
  // Every key hashes alike: each record after the first in a millisecond takes the next slot.
  const open = (): { store: SqliteStore; p: StreamPipeline } => {
    const store = new SqliteStore(join(root, 'data'), { keyHash: () => 7 });
    return { store, p: new StreamPipeline(store, { config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000, decode: DECODE }) };
  };
  const lines = [
    alertLine('81.2.69.98', '2026-03-02T10:00:00Z'),
    ...['a', 'b', 'c', 'd'].map((u) => signinLine('81.2.69.98', '2026-03-02T11:00:00Z', `${u}@contoso.com`)),
    signinLine('81.2.69.99', '2026-03-02T11:00:00Z'),
    signinLine('81.2.69.98', '2026-03-02T12:00:00Z'),
  ];
  const { store, p } = open();
  const r = p.ingest(items(...lines, lines[2]!));
  assert.deepEqual([r.stored, r.duplicates], [7, 1]);
  assert.equal(store.eventCount(), 7);
  assert.deepEqual([...store.listAlerts({ limit: 10 }).alerts[0]!.doc.user.name].sort(), ['a@contoso.com', 'b@contoso.com', 'c@contoso.com', 'd@contoso.com', 'megan.bowen@contoso.com']);
  asOldSchema(store.db, '3');
  store.close();
  // Migrated with the same poor hash: every record kept, every one still a duplicate when sent again.
  const { store: s2, p: p2 } = open();
  assert.equal(s2.eventCount(), 7);
  const again = p2.ingest(items(...[...lines].reverse()));
  assert.deepEqual([again.stored, again.duplicates], [0, 7]);
  s2.close();
});

test('a batch stored many rows a statement keeps exactly the first copy of each (time, key), across batches, within one, and through hash collisions', () => {
  // The store's answer per row (new or duplicate) against the plain rule: a row is new
  // when no row with its time and key was stored before it.
  let seed = 5;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const hashes: Array<[string, ((key: string) => number) | undefined]> = [
    ['the real hash', undefined], ['every key alike', () => 7], ['three slots', (key) => key.length % 3],
  ];
  for (const [name, keyHash] of hashes) {
    const root = mkdtempSync(join(tmpdir(), 'cw-ingest-many-'));
    const store = new SqliteStore(join(root, 'data'), keyHash ? { keyHash } : {});
    const stored = new Set<string>();
    let fresh = 0;
    let duplicates = 0;
    for (let b = 0; b < 40; b++) {
      // Sizes around the statement's 64 rows; keys and times from small pools, so that copies abound.
      const n = [0, 1, 63, 64, 65, 128, 200][rnd(7)]!;
      const rows = { n, keys: [] as string[], ips: [] as string[], roles: new Uint8Array(n), atMs: new Float64Array(n), atNs: new Float64Array(n), docs: [] as string[] };
      for (let i = 0; i < n; i++) {
        rows.keys.push(`signin:k${rnd(b < 20 ? 5000 : 300)}${'x'.repeat(rnd(3))}`);
        rows.ips.push(`81.2.69.${rnd(4)}`);
        rows.roles[i] = 1;
        rows.atMs[i] = 1_772_442_000_000 + rnd(b < 20 ? 1000 : 4);
        rows.docs.push(`["d${i}"]`);
      }
      const got = store.insertRows(rows);
      for (let i = 0; i < n; i++) {
        const k = `${rows.atMs[i]}|${rows.keys[i]}`;
        const want = !stored.has(k);
        stored.add(k);
        assert.equal(got[i], want ? 1 : 0, `${name}, batch ${b}, row ${i} (${k})`);
        if (want) fresh++;
        else duplicates++;
      }
    }
    assert.equal(store.eventCount(), stored.size, name);
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, stored.size, name);
    assert.ok(fresh > 1000 && duplicates > 1000, `${name}: ${fresh} new, ${duplicates} copies`);
    store.close();
  }
});

test('HTTP bodies of any size, with or without Content-Length, on workers or not', { timeout: 60_000 }, async () => {
  const lines: string[] = [alertLine('81.2.69.96', '2026-03-02T10:00:00Z')];
  for (let i = 0; lines.join('\n').length < 3.5 * 1024 * 1024; i++) lines.push(signinLine('81.2.69.96', `2026-03-02T${String(10 + (i % 8)).padStart(2, '0')}:00:00Z`, `u${i % 5}@contoso.com`));
  const body = lines.join('\n') + '\n';
  for (const threads of [0, 1]) {
    const { store, p } = pipeline();
    const pool = threads > 0 ? new IngestPool(threads) : null;
    const app = buildApp({ store, pipeline: p, pool, token: 'tok-0123456789abcdef', bodyLimit: 8 * 1024 * 1024, rules: loadRules() });
    try {
      const headers = { authorization: 'Bearer tok-0123456789abcdef' };
      // Streamed without Content-Length, in small pieces: the body grows through the size classes.
      const pieces = body.match(/[\s\S]{1,65536}/g)!;
      const chunked = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { ...headers, 'transfer-encoding': 'chunked' }, payload: Readable.from(pieces.map((s) => Buffer.from(s))) });
      assert.equal(chunked.statusCode, 200, chunked.body);
      assert.equal((chunked.json() as { accepted: number }).accepted, lines.length);
      // Again, with a length: all duplicates; and a small one.
      const again = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload: body });
      assert.deepEqual((again.json() as { stored: number; duplicates: number }).duplicates, lines.length);
      const small = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload: signinLine('81.2.69.96', '2026-03-02T10:30:00Z') });
      assert.equal((small.json() as { stored: number }).stored, 1);
      const tooBig = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { ...headers, 'transfer-encoding': 'chunked' }, payload: Readable.from([Buffer.alloc(5 << 20, 0x20), Buffer.alloc(5 << 20, 0x20)]) });
      assert.equal(tooBig.statusCode, 413);
      assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
    } finally {
      await app.close();
      await pool?.close();
      store.close();
    }
  }
});

test('the stored form of an event gives the same alerts, evidence and all, as the whole event', async () => {
  const gen = await generate({ outDir: mkdtempSync(join(tmpdir(), 'cw-ingest-doc-')), events: 3000, seed: 12 });
  const detections = loadRules().map((r) => r.correlation);
  const full = new Correlator(buildConfig({}), detections);
  const stored = new Correlator(buildConfig({}), detections);
  let n = 0;
  for (const f of (await expandInputs([gen.logsDir])).files) {
    for await (const batch of frameFile(f.path, f.display)) {
      const b = decodeBatch(batch, DECODE, Number.NEGATIVE_INFINITY);
      for (let i = 0; i < b.rows.n; i++) {
        const back = rowEvent(b.rows, i);
        stored.add(back);
        n++;
      }
      for (const it of batch) {
        if (it.kind === 'problem') continue;
        const d = decodeRecord(it, DECODE);
        if (d.result.ok) full.add(d.result.event);
      }
    }
  }
  assert.ok(n > 1000);
  const rules = new Map(loadRules().map((r) => [r.id, r]));
  const docs = (c: Correlator): unknown[] => c.finish().map((ep) => alertDocument(ep, rules.get(ep.rule)!, new Date(0)));
  const a = docs(full);
  assert.ok(a.length > 0);
  assert.deepEqual(docs(stored), a);
});
