// The service's embedded store (DESIGN.md §6): SQLite through better-sqlite3 in
// the data folder. It holds the accepted correlatable events (network alerts,
// sign-ins, mail accesses) until they can no longer matter, and the alerts.
// Every write is a transaction; WAL mode means a killed process loses nothing
// that was committed, and an ingest reply is only sent after its commit.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertDocument } from '../model/alert.js';
import type { DecodedEvent } from '../model/event.js';
import { ROW_ROLES, storedEvent, type DecodedRows, type RowRole } from './rows.js';
import { Checkpointer } from './checkpointer.js';

/**
 * Triage states, plus `withdrawn`: set by crosswatch itself when later (late)
 * data no longer support an alert it raised — typically an IP that turned out to
 * be shared infrastructure once more users' sign-ins arrived. Withdrawn alerts
 * are left out of listings unless asked for.
 */
export type AlertStatus = 'open' | 'acknowledged' | 'closed' | 'withdrawn';
export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'closed', 'withdrawn'];
export const TRIAGE_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'closed'];

export interface StoredAlert {
  doc: AlertDocument;
  status: AlertStatus;
  /** Triage history, newest last. */
  triage: Array<{ at: string; status: AlertStatus; by?: string; note?: string }>;
  /** Bumped on every change of evidence or status. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface AlertFilter {
  rule?: string;
  ip?: string;
  user?: string;
  status?: AlertStatus;
  /** ISO times bounding the alert's last qualifying event (event.end). */
  since?: string;
  until?: string;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

interface EventRow { role: string; doc: string; at_ms: number; at_ns: number }
interface AlertRow { id: string; doc: string; status: AlertStatus; triage: string; version: number; created_at: string; updated_at: string; start_ms: number; end_ms: number }

export interface StoreOptions {
  /**
   * SQLite's synchronous setting in WAL mode. `full` (the default): a commit is
   * on disk before the ingest reply, and survives a power loss or a machine
   * crash. `normal`: a commit survives the process being killed (SIGKILL, a
   * crash) but the last commits before a power loss or kernel crash may be lost;
   * fewer fsyncs. See docs/serve.md, "Throughput".
   */
  synchronous?: 'full' | 'normal';
  /**
   * Checkpoint the write-ahead log on a thread of its own (checkpointer.ts), so
   * commits on this thread do not copy pages into the database file themselves.
   * The service turns it on; by default the connection checkpoints itself.
   */
  checkpointThread?: boolean;
  /** The hash of record keys (default recordKeyHash); tests give a poor one to force collisions. */
  keyHash?: (key: string) => number;
}

/** The store's schema version (meta key schema_version); older stores are migrated on open. */
const SCHEMA_VERSION = '4';

/**
 * A 53-bit hash of a record key (two 32-bit FNV-style hashes of its UTF-16 code
 * units, 32 + 21 bits). The store deduplicates records by (time, hash): an index
 * of ~60-character text keys cost a fifth of an insert. Two different keys with
 * the same hash in the same millisecond are told apart by the key kept in the
 * row (insertEvent), so no record is ever taken for another.
 */
export function recordKeyHash(key: string): number {
  let a = 0x811c9dc5 | 0;
  let b = 0x9747b28c | 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * 2_097_152 + ((b >>> 0) >>> 11);
}

/**
 * Events are indexed for lookups by IP under the hour they fall in (at_ms / HOUR_MS,
 * SQLite's integer division): an index led by the IP alone took each commit's new
 * entries to pages all over it (one per IP), and inserting into it was most of the
 * cost of a commit; led by the hour, a commit's entries land together. A lookup by
 * IP then seeks once per hour of the IP's span (the ips table has it; eviction keeps
 * it to about the window).
 */
const HOUR_MS = 3_600_000;

/** Hours as SQLite's at_ms / 3600000 gives them (truncated toward zero). */
const hourOf = (ms: number): number => Math.trunc(ms / HOUR_MS);

/** The CTE `hours`: the hours from the first parameter to the second. */
const HOURS = 'WITH RECURSIVE hours(h) AS (SELECT ? UNION ALL SELECT h + 1 FROM hours WHERE h < ?) ';
/** One IP's rows in those hours, through events_hour_ip (its expression, written the same). */
const IP_IN_HOURS = 'at_ms / 3600000 IN hours AND ip = ?';

export class SqliteStore {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private checkpointer: Checkpointer | null = null;
  private readonly keyHash: (key: string) => number;

  constructor(dataDir: string, opts: StoreOptions = {}) {
    this.keyHash = opts.keyHash ?? recordKeyHash;
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'crosswatch.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit survives a machine crash, not only a killed process.
    this.db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    // A larger page cache than the 2 MB default: the indexes of recent events stay in memory.
    this.db.pragma('cache_size = -32768');
    // The schema, and the migration of an older store, in one transaction.
    this.db.transaction(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      const version = this.getMeta('schema_version');
      const hadEvents = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !== undefined;
      // Older events tables are copied into the current one: version 1 (events unique by
      // key alone, no ips table), 2 (indexed by IP alone), 3 (unique by time and key text).
      const migrating = hadEvents && version !== SCHEMA_VERSION;
      if (migrating) {
        // Its indexes keep their names through the rename: dropped, so the new table gets its own.
        this.db.exec(`ALTER TABLE events RENAME TO events_old; DROP INDEX IF EXISTS events_ip; DROP INDEX IF EXISTS events_at;
          DROP INDEX IF EXISTS events_alerts; DROP INDEX IF EXISTS events_key; DROP INDEX IF EXISTS events_hour_ip;`);
      }
      // A record is stored once per (time, key): the unique index (of the key's hash,
      // see recordKeyHash) leads with the time, so a commit's new entries land together
      // (a random key alone would spread every commit over the whole index). The same
      // record delivered again has the same time and key; copies of one id with
      // different times are both kept, and the correlator counts an id once per IP.
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS events (
          seq INTEGER PRIMARY KEY,
          record_key TEXT NOT NULL,
          key_hash INTEGER NOT NULL,
          ip TEXT NOT NULL,
          role TEXT NOT NULL,
          at_ms INTEGER NOT NULL,
          at_ns INTEGER NOT NULL,
          doc TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS events_key_hash ON events (at_ms, key_hash);
        -- By IP under the hour (HOUR_MS); the expression must be written the same in queries.
        CREATE INDEX IF NOT EXISTS events_hour_ip ON events (at_ms / 3600000, ip, at_ms);
        -- The network alerts (few among the events), for loading their times at start.
        CREATE INDEX IF NOT EXISTS events_alerts ON events (ip, at_ms) WHERE role = 'network_alert';
        -- Per IP: its stored events' count and time span, for eviction without scanning the events.
        CREATE TABLE IF NOT EXISTS ips (
          ip TEXT PRIMARY KEY,
          n INTEGER NOT NULL,
          min_ms INTEGER NOT NULL,
          max_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alerts (
          id TEXT PRIMARY KEY,
          rule TEXT NOT NULL,
          ip TEXT NOT NULL,
          start_ms INTEGER NOT NULL,
          end_ms INTEGER NOT NULL,
          users TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'open',
          triage TEXT NOT NULL DEFAULT '[]',
          version INTEGER NOT NULL DEFAULT 1,
          doc TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS alerts_rule_ip ON alerts (rule, ip, start_ms);
        CREATE INDEX IF NOT EXISTS alerts_ip ON alerts (ip, status);
        CREATE INDEX IF NOT EXISTS alerts_end ON alerts (end_ms, id);
        -- Per IP: events before this time were evicted, so alerts reaching back before it stand as they are.
        CREATE TABLE IF NOT EXISTS evicted (ip TEXT PRIMARY KEY, before_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS outbox (
          -- AUTOINCREMENT: a delivery number is never reused, even after the outbox empties.
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          sink TEXT NOT NULL,
          alert_id TEXT NOT NULL,
          change TEXT NOT NULL,
          doc TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT
        );
        CREATE INDEX IF NOT EXISTS outbox_sink ON outbox (sink, seq);
        -- Records dated ahead of the receiving clock (StreamPipeline): held apart from the
        -- events, so they move no watermark, window or eviction horizon, until their time comes.
        CREATE TABLE IF NOT EXISTS quarantine (
          seq INTEGER PRIMARY KEY,
          record_key TEXT NOT NULL,
          ip TEXT NOT NULL,
          role TEXT NOT NULL,
          at_ms INTEGER NOT NULL,
          at_ns INTEGER NOT NULL,
          doc TEXT NOT NULL,
          received_ms INTEGER NOT NULL
        );
        -- Once per record, as in events; led by the time, for releasing the earliest first.
        CREATE UNIQUE INDEX IF NOT EXISTS quarantine_key ON quarantine (at_ms, record_key);
      `);
      if (version !== SCHEMA_VERSION) {
        if (migrating) {
          // In pages (a statement cannot write while another reads on this connection).
          const page = this.db.prepare('SELECT seq, record_key, ip, role, at_ms, at_ns, doc FROM events_old WHERE seq > ? ORDER BY seq LIMIT 10000');
          for (let after = -Infinity; ;) {
            const rows = page.all(after) as Array<{ seq: number; record_key: string; ip: string; role: string; at_ms: number; at_ns: number; doc: string }>;
            if (rows.length === 0) break;
            for (const r of rows) this.insertEvent(r.record_key, r.ip, r.role, r.at_ms, r.at_ns, r.doc, r.seq);
            after = rows[rows.length - 1]!.seq;
          }
          this.db.exec('DROP TABLE events_old');
        }
        // (Version 1 had no ips table; rebuilt for every older store, it is exact.)
        this.db.exec(`
          DELETE FROM ips;
          INSERT INTO ips (ip, n, min_ms, max_ms) SELECT ip, count(*), min(at_ms), max(at_ms) FROM events GROUP BY ip;
        `);
        this.setMeta('schema_version', SCHEMA_VERSION);
      }
    })();
    if (opts.checkpointThread) {
      // The checkpoint thread keeps the log short; this connection checkpoints only if it
      // grows past 50,000 pages (~200 MB) all the same, and a reset log is cut back to 64 MB.
      this.db.pragma('wal_autocheckpoint = 50000');
      this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      this.checkpointer = new Checkpointer(join(dataDir, 'crosswatch.sqlite'), opts.synchronous === 'normal' ? 'NORMAL' : 'FULL');
    } else {
      // Checkpoints (WAL → database file) every 4,000 pages rather than SQLite's 1,000:
      // a hot page is copied once per checkpoint, however many commits changed it.
      this.db.pragma('wal_autocheckpoint = 4000');
    }
  }

  /** A prepared statement, prepared once. */
  private st(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs fn in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * The sinks that get every alert change. Changes are queued in the outbox in
   * the same transaction as the alert itself, so a crash between the two cannot
   * lose a notification (delivery is at-least-once).
   */
  sinks: string[] = [];

  private enqueue(alertId: string, change: string, now: string): void {
    if (this.sinks.length === 0) return;
    const row = this.st('SELECT doc, status, version FROM alerts WHERE id = ?').get(alertId) as { doc: string; status: string; version: number } | undefined;
    if (!row) return;
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    const body = JSON.stringify({ change, status: row.status, version: row.version, at: now, alert: doc });
    const ins = this.st('INSERT INTO outbox (sink, alert_id, change, doc) VALUES (?, ?, ?, ?)');
    for (const sink of this.sinks) ins.run(sink, alertId, change, body);
  }

  /** Pending outbox entries of one sink that are due, oldest first. */
  pendingOutbox(sink: string, nowMs: number, limit: number, maxWaitMs = Number.POSITIVE_INFINITY): Array<{ seq: number; alertId: string; change: string; body: string; attempts: number; nextAt: number }> {
    const rows = this.st('SELECT seq, alert_id, change, doc, attempts, next_at FROM outbox WHERE sink = ? ORDER BY seq LIMIT ?').all(sink, limit) as Array<{ seq: number; alert_id: string; change: string; doc: string; attempts: number; next_at: number }>;
    // In order: a sink waits on its oldest undelivered entry. (A retry time further ahead
    // than any backoff was set by a clock that has since gone back: due now.)
    const out = [];
    for (const r of rows) {
      if (r.next_at > nowMs && r.next_at - nowMs <= maxWaitMs) break;
      out.push({ seq: r.seq, alertId: r.alert_id, change: r.change, body: r.doc, attempts: r.attempts, nextAt: r.next_at });
    }
    return out;
  }

  outboxDelivered(seq: number): void {
    this.st('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  outboxFailed(seq: number, nextAt: number, error: string): void {
    this.st('UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?').run(nextAt, error.slice(0, 500), seq);
  }

  outboxBacklog(): Array<{ sink: string; n: number }> {
    return this.st('SELECT sink, count(*) AS n FROM outbox GROUP BY sink').all() as Array<{ sink: string; n: number }>;
  }

  close(): void {
    // The checkpoint thread is stopped, not waited for: an interrupted checkpoint is harmless.
    void this.checkpointer?.stop();
    this.checkpointer = null;
    this.db.close();
  }

  /**
   * Stores a batch of correlatable events (one decoded batch's rows); the same
   * record (same key) delivered again is ignored. Returns, per row, 1 when it
   * was new. Call inside a transaction (transaction()) with the rest of the
   * commit; alone, it runs in its own.
   */
  insertRows(rows: DecodedRows): Uint8Array {
    const fresh = new Uint8Array(rows.n);
    if (rows.n === 0) return fresh;
    const span = new Map<string, { n: number; min: number; max: number }>();
    this.transaction(() => {
      for (let i = 0; i < rows.n; i++) {
        const ip = rows.ips[i]!;
        const at = rows.atMs[i]!;
        if (!this.insertEvent(rows.keys[i]!, ip, ROW_ROLES[rows.roles[i]!]!, at, rows.atNs[i]!, rows.docs[i]!)) continue;
        fresh[i] = 1;
        const s = span.get(ip);
        if (!s) span.set(ip, { n: 1, min: at, max: at });
        else {
          s.n++;
          if (at < s.min) s.min = at;
          if (at > s.max) s.max = at;
        }
      }
      const up = this.st(
        'INSERT INTO ips (ip, n, min_ms, max_ms) VALUES (?, ?, ?, ?) ON CONFLICT(ip) DO UPDATE SET n = n + excluded.n, ' +
        'min_ms = min(min_ms, excluded.min_ms), max_ms = max(max_ms, excluded.max_ms)',
      );
      for (const [ip, s] of span) up.run(ip, s.n, s.min, s.max);
    });
    return fresh;
  }

  /**
   * Stores one event unless the same record (same time and key) is stored; returns
   * whether it was new. Its slot is (time, hash of the key); a slot taken by another
   * key (a hash collision, all but impossible) sends it on to the next hash value,
   * where a copy of it would have gone too.
   */
  private insertEvent(key: string, ip: string, role: string, atMs: number, atNs: number, doc: string, seq: number | null = null): boolean {
    const insert = this.st('INSERT OR IGNORE INTO events (seq, record_key, key_hash, ip, role, at_ms, at_ns, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (let h = this.keyHash(key); ; h++) {
      if (insert.run(seq, key, h, ip, role, atMs, atNs, doc).changes === 1) return true;
      if (this.st('SELECT record_key FROM events WHERE at_ms = ? AND key_hash = ?').pluck().get(atMs, h) === key) return false;
    }
  }

  /**
   * The stored events of one IP from its eviction horizon on (older ones are
   * being or have been evicted: the IP is recomputed as if they were gone), for
   * recomputing its episodes.
   */
  eventsForIp(ip: string): DecodedEvent[] {
    const span = this.span(ip);
    if (!span) return [];
    const from = Math.max(span.min, this.horizon(ip));
    if (from > span.max) return [];
    const rows = this.st(`${HOURS}SELECT role, doc, at_ms, at_ns FROM events WHERE ${IP_IN_HOURS} AND at_ms >= ? ORDER BY at_ms, at_ns, seq`)
      .all(hourOf(from), hourOf(span.max), ip, from) as EventRow[];
    return rows.map((r) => storedEvent(r.role, ip, r.at_ms, r.at_ns, r.doc));
  }

  /** The times of an IP's oldest and newest stored events, or wider (the ips table); null when it has none. */
  private span(ip: string): { min: number; max: number } | null {
    const r = this.st('SELECT min_ms, max_ms FROM ips WHERE ip = ?').get(ip) as { min_ms: number; max_ms: number } | undefined;
    return r ? { min: r.min_ms, max: r.max_ms } : null;
  }

  /** Before this time (ms) an IP's events are evicted, or about to be. */
  horizon(ip: string): number {
    const ipHorizon = (this.st('SELECT before_ms FROM evicted WHERE ip = ?').get(ip) as { before_ms: number } | undefined)?.before_ms;
    return Math.max(Number(this.getMeta('evicted_before_ms') ?? Number.MIN_SAFE_INTEGER), ipHorizon ?? Number.MIN_SAFE_INTEGER);
  }

  /** The times (ms) of every stored network alert, by IP: the pipeline keeps them in memory. */
  networkAlertTimes(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const r of this.st("SELECT ip, at_ms FROM events WHERE role = 'network_alert' ORDER BY ip, at_ms").iterate() as IterableIterator<{ ip: string; at_ms: number }>) {
      let a = out.get(r.ip);
      if (!a) out.set(r.ip, (a = []));
      a.push(r.at_ms);
    }
    return out;
  }

  /**
   * One page of the IPs (in IP order, after `after`) that hold events older
   * than their horizon: per IP, `horizonMs` behind its newest event, and never
   * before `retentionBeforeMs`. `next` is the cursor for the next page, null at
   * the end.
   */
  evictionPage(after: string, limit: number, horizonMs: number, retentionBeforeMs: number): { stale: Array<{ ip: string; before: number }>; next: string | null } {
    const rows = this.st('SELECT ip, min_ms, max_ms FROM ips WHERE ip > ? ORDER BY ip LIMIT ?').all(after, limit) as Array<{ ip: string; min_ms: number; max_ms: number }>;
    const stale: Array<{ ip: string; before: number }> = [];
    for (const r of rows) {
      const before = Math.max(r.max_ms - horizonMs, retentionBeforeMs);
      if (r.min_ms < before) stale.push({ ip: r.ip, before });
    }
    return { stale, next: rows.length < limit ? null : rows[rows.length - 1]!.ip };
  }

  /**
   * Eviction, first step: records the IPs' new horizons (events before them no
   * longer count, and alerts reaching back before them stand as they are).
   */
  markEvicted(stale: ReadonlyArray<{ ip: string; before: number }>): void {
    const up = this.st('INSERT INTO evicted (ip, before_ms) VALUES (?, ?) ON CONFLICT(ip) DO UPDATE SET before_ms = max(before_ms, excluded.before_ms)');
    this.transaction(() => {
      for (const { ip, before } of stale) up.run(ip, before);
    });
  }

  /** The row ids of one IP's events before `before`. */
  staleRows(ip: string, before: number): number[] {
    const span = this.span(ip);
    if (!span || span.min >= before) return [];
    return this.st(`${HOURS}SELECT seq FROM events WHERE ${IP_IN_HOURS} AND at_ms < ?`).pluck()
      .all(hourOf(span.min), hourOf(Math.min(span.max, before - 1)), ip, before) as number[];
  }

  /**
   * Deletes events by row id (in one transaction; sorted ids touch each page once) and
   * takes them off their IPs' counts in the same transaction, so that a process killed
   * between two steps of an eviction leaves the counts right. Returns how many went.
   */
  deleteRows(seqs: ArrayLike<number>, from: number, to: number): number {
    const del = this.st('DELETE FROM events WHERE seq = ? RETURNING ip').pluck();
    const dec = this.st('UPDATE ips SET n = max(0, n - ?) WHERE ip = ?');
    return this.transaction(() => {
      const gone = new Map<string, number>();
      for (let i = from; i < to; i++) {
        const ip = del.get(seqs[i]!) as string | undefined;
        if (ip !== undefined) gone.set(ip, (gone.get(ip) ?? 0) + 1);
      }
      let n = 0;
      for (const [ip, k] of gone) {
        dec.run(k, ip);
        n += k;
      }
      return n;
    });
  }

  /** Eviction, last step: each IP's oldest time (deleteRows took its deleted events off its count). */
  settleEvicted(ips: ReadonlyArray<{ ip: string; deleted: number }>): void {
    this.transaction(() => {
      for (const { ip } of ips) {
        const span = this.span(ip);
        const min = span && (this.st(`${HOURS}SELECT min(at_ms) AS m FROM events WHERE ${IP_IN_HOURS}`)
          .get(hourOf(span.min), hourOf(span.max), ip) as { m: number | null }).m;
        if (min === null) this.st('DELETE FROM ips WHERE ip = ?').run(ip);
        else this.st('UPDATE ips SET min_ms = ? WHERE ip = ?').run(min, ip);
      }
    });
  }

  /**
   * Records that nothing before `beforeMs` is kept for any IP (the retention). The
   * IPs' own horizons at or before it say nothing more and go: the evicted table
   * holds one row per IP with a horizon of its own, not one per IP ever evicted.
   */
  markEvictedBefore(beforeMs: number): void {
    const prev = Number(this.getMeta('evicted_before_ms') ?? Number.NEGATIVE_INFINITY);
    if (beforeMs > prev) {
      this.transaction(() => {
        this.setMeta('evicted_before_ms', String(beforeMs));
        this.st('DELETE FROM evicted WHERE before_ms <= ?').run(beforeMs);
      });
    }
  }

  /**
   * Holds rows from the future apart (the rows at `which`, at most `room` new ones);
   * the same record held already is not held twice. Returns how many were new, and
   * how many did not fit.
   */
  quarantineRows(rows: DecodedRows, which: ArrayLike<number>, room: number, receivedMs: number): { held: number; full: number; earliestMs: number } {
    const ins = this.st('INSERT OR IGNORE INTO quarantine (record_key, ip, role, at_ms, at_ns, doc, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let held = 0;
    let full = 0;
    let earliestMs = Number.POSITIVE_INFINITY;
    this.transaction(() => {
      for (let k = 0; k < which.length; k++) {
        const i = which[k]!;
        if (held >= room) {
          full++;
          continue;
        }
        const at = rows.atMs[i]!;
        if (ins.run(rows.keys[i]!, rows.ips[i]!, ROW_ROLES[rows.roles[i]!]!, at, rows.atNs[i]!, rows.docs[i]!, receivedMs).changes === 1) {
          held++;
          if (at < earliestMs) earliestMs = at;
        }
      }
    });
    return { held, full, earliestMs };
  }

  /** Takes (removes and returns) up to `max` held rows dated at or before `untilMs`, earliest first. */
  takeQuarantined(untilMs: number, max: number): DecodedRows {
    const rows = this.st('SELECT seq, record_key, ip, role, at_ms, at_ns, doc FROM quarantine WHERE at_ms <= ? ORDER BY at_ms LIMIT ?')
      .all(untilMs, max) as Array<{ seq: number; record_key: string; ip: string; role: RowRole; at_ms: number; at_ns: number; doc: string }>;
    const del = this.st('DELETE FROM quarantine WHERE seq = ?');
    this.transaction(() => {
      for (const r of rows) del.run(r.seq);
    });
    return {
      n: rows.length, keys: rows.map((r) => r.record_key), ips: rows.map((r) => r.ip),
      roles: Uint8Array.from(rows, (r) => ROW_ROLES.indexOf(r.role)),
      atMs: Float64Array.from(rows, (r) => r.at_ms), atNs: Float64Array.from(rows, (r) => r.at_ns), docs: rows.map((r) => r.doc),
    };
  }

  /** How many rows are held from the future, and the earliest and latest of their times (ms; null when none). */
  quarantineSummary(): { events: number; earliestMs: number | null; latestMs: number | null } {
    const r = this.st('SELECT count(*) AS n, min(at_ms) AS lo, max(at_ms) AS hi FROM quarantine').get() as { n: number; lo: number | null; hi: number | null };
    return { events: r.n, earliestMs: r.lo, latestMs: r.hi };
  }

  eventCount(): number {
    return (this.st('SELECT coalesce(sum(n), 0) AS n FROM ips').get() as { n: number }).n;
  }

  getMeta(key: string): string | undefined {
    return (this.st('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.st('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * Stores an episode's alert. The same id updates in place; so does an alert of
   * the same rule and IP whose time span overlaps the episode's (a late event can
   * move an episode's anchor, and so its id, and must not make a second alert),
   * unless `taken` holds its id: the ids of this recomputation's other episodes
   * and the alerts they already took, so that two episodes never fold into one
   * alert. (Episodes of one rule and IP never overlap: a gap longer than the window
   * parts them. Matching with a window of slack, as before, folded an episode that
   * began within a window of the previous one's end into it, where hunt keeps two.)
   * Returns what happened, for sinks and metrics.
   */
  upsertAlert(doc: AlertDocument, now: string, taken: ReadonlySet<string> = new Set()): { change: 'created' | 'updated' | 'unchanged'; id: string } {
    const startMs = Date.parse(doc.event.start);
    const endMs = Date.parse(doc.event.end);
    return this.db.transaction(() => {
      let row = this.st('SELECT * FROM alerts WHERE id = ?').get(doc.event.id) as AlertRow | undefined;
      if (!row) {
        const overlapping = this.st('SELECT * FROM alerts WHERE rule = ? AND ip = ? AND start_ms <= ? AND end_ms >= ? ORDER BY start_ms')
          .all(doc.rule.id, doc.source.ip, endMs, startMs) as AlertRow[];
        row = overlapping.find((r) => !taken.has(r.id));
      }
      if (!row) {
        this.st(
          'INSERT INTO alerts (id, rule, ip, start_ms, end_ms, users, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(doc.event.id, doc.rule.id, doc.source.ip, startMs, endMs, JSON.stringify(doc.user.name), JSON.stringify(doc), now, now);
        this.enqueue(doc.event.id, 'created', now);
        return { change: 'created' as const, id: doc.event.id };
      }
      const id = row.id;
      const merged: AlertDocument = { ...doc, event: { ...doc.event, id } };
      const old = JSON.parse(row.doc) as AlertDocument;
      // The raise time is the first one; the rest is evidence that may have grown.
      merged['@timestamp'] = old['@timestamp'];
      const revive = row.status === 'withdrawn';
      if (!revive && JSON.stringify(old) === JSON.stringify(merged)) return { change: 'unchanged' as const, id };
      this.st(
        'UPDATE alerts SET start_ms = ?, end_ms = ?, users = ?, doc = ?, version = version + 1, updated_at = ? WHERE id = ?',
      ).run(Math.min(startMs, row.start_ms), Math.max(endMs, row.end_ms), JSON.stringify(doc.user.name), JSON.stringify(merged), now, id);
      if (revive) this.appendTriage(id, 'open', 'crosswatch', 'new evidence supports this alert again', now);
      this.enqueue(id, 'updated', now);
      return { change: 'updated' as const, id };
    })();
  }

  /**
   * Withdraws this IP's alerts that the latest recomputation did not produce
   * (and that nobody has triaged yet). Returns the withdrawn ids.
   */
  withdrawAlertsExcept(ip: string, keep: ReadonlySet<string>, reason: string, now: string): string[] {
    // Alerts whose evidence reaches back before evicted events cannot be recomputed: they stand.
    const horizon = this.horizon(ip);
    return this.db.transaction(() => {
      const rows = this.st("SELECT id, start_ms FROM alerts WHERE ip = ? AND status = 'open'").all(ip) as Array<{ id: string; start_ms: number }>;
      const gone = rows.filter((r) => r.start_ms >= horizon).map((r) => r.id).filter((id) => !keep.has(id));
      for (const id of gone) {
        this.appendTriage(id, 'withdrawn', 'crosswatch', reason, now);
        this.enqueue(id, 'withdrawn', now);
      }
      return gone;
    })();
  }

  private appendTriage(id: string, status: AlertStatus, by: string | undefined, note: string | undefined, now: string): void {
    const row = this.st('SELECT triage FROM alerts WHERE id = ?').get(id) as { triage: string } | undefined;
    if (!row) return;
    const triage = JSON.parse(row.triage) as StoredAlert['triage'];
    triage.push({ at: now, status, ...(by ? { by } : {}), ...(note ? { note } : {}) });
    this.st('UPDATE alerts SET status = ?, triage = ?, version = version + 1, updated_at = ? WHERE id = ?')
      .run(status, JSON.stringify(triage), now, id);
  }

  getAlert(id: string): StoredAlert | null {
    const row = this.st('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    return row ? toStored(row) : null;
  }

  /** Newest first (by last qualifying event, then id), with a cursor for the next page. */
  listAlerts(f: AlertFilter): { alerts: StoredAlert[]; next: string | null } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.rule) { where.push('(rule = ? OR json_extract(doc, \'$.rule.name\') = ?)'); args.push(f.rule, f.rule); }
    if (f.ip) { where.push('ip = ?'); args.push(f.ip); }
    if (f.user) { where.push('EXISTS (SELECT 1 FROM json_each(users) WHERE lower(value) = lower(?))'); args.push(f.user); }
    if (f.status) { where.push('status = ?'); args.push(f.status); } else where.push("status != 'withdrawn'");
    if (f.since) { where.push('end_ms >= ?'); args.push(Date.parse(f.since)); }
    if (f.until) { where.push('end_ms <= ?'); args.push(Date.parse(f.until)); }
    if (f.cursor) {
      const [endMs, id] = decodeCursor(f.cursor);
      where.push('(end_ms < ? OR (end_ms = ? AND id < ?))');
      args.push(endMs, endMs, id);
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY end_ms DESC, id DESC LIMIT ?`;
    const rows = this.st(sql).all(...args, f.limit + 1) as AlertRow[];
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { alerts: page.map(toStored), next: rows.length > f.limit && last ? encodeCursor(last.end_ms, last.id) : null };
  }

  /** Triage: set the status with a note and who; returns the updated alert or null if unknown. */
  setStatus(id: string, status: AlertStatus, by: string | undefined, note: string | undefined, now: string): StoredAlert | null {
    return this.db.transaction(() => {
      const row = this.st('SELECT id FROM alerts WHERE id = ?').get(id) as { id: string } | undefined;
      if (!row) return null;
      this.appendTriage(id, status, by, note, now);
      return toStored(this.st('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow);
    })();
  }

  alertCounts(): Array<{ rule: string; status: string; n: number }> {
    return this.st('SELECT rule, status, count(*) AS n FROM alerts GROUP BY rule, status').all() as Array<{ rule: string; status: string; n: number }>;
  }
}

function toStored(row: AlertRow): StoredAlert {
  return {
    doc: JSON.parse(row.doc) as AlertDocument,
    status: row.status,
    triage: JSON.parse(row.triage) as StoredAlert['triage'],
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function encodeCursor(endMs: number, id: string): string {
  return Buffer.from(JSON.stringify([endMs, id])).toString('base64url');
}

function decodeCursor(c: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new Error('invalid cursor');
}
