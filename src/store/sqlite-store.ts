// The service's embedded store (DESIGN.md §6): SQLite through better-sqlite3 in
// the data folder. It holds the accepted correlatable events (network alerts,
// sign-ins, mail accesses) until they can no longer matter, and the alerts.
// Every write is a transaction; WAL mode means a killed process loses nothing
// that was committed, and an ingest reply is only sent after its commit.
//
// SqliteStore is the one class the rest of the code uses: it opens the database
// and hands each part to the table object that owns it, all of them sharing the
// connection and its prepared statements (statements.ts):
//   schema.ts            the tables and indexes, and the migration of older stores
//   events-table.ts      the events, their per-IP spans (ips), and eviction
//   meta-table.ts        settings and positions by key (incl. the tailer's file offsets)
// (The quarantine, the alerts and the outbox are still here.)
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertDocument } from '../model/alert.js';
import type { DecodedEvent } from '../model/event.js';
import { ROW_ROLES, type DecodedRows, type RowRole } from './rows.js';
import { Checkpointer } from './checkpointer.js';
import { Statements } from './statements.js';
import { openSchema } from './schema.js';
import { MetaTable } from './meta-table.js';
import { EventsTable, recordKeyHash } from './events-table.js';

export { recordKeyHash } from './events-table.js';

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

export class SqliteStore {
  readonly db: Database.Database;
  private readonly s: Statements;
  private checkpointer: Checkpointer | null = null;
  private readonly meta: MetaTable;
  private readonly events: EventsTable;

  constructor(dataDir: string, opts: StoreOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'crosswatch.sqlite'));
    this.s = new Statements(this.db);
    this.meta = new MetaTable(this.s);
    this.events = new EventsTable(this.s, this.meta, opts.keyHash ?? recordKeyHash);
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit survives a machine crash, not only a killed process.
    this.db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    // A larger page cache than the 2 MB default: the indexes of recent events stay in memory.
    this.db.pragma('cache_size = -32768');
    openSchema(this.db, this.meta, this.events);
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

  /** A prepared statement, prepared once (statements.ts). */
  private st(sql: string): Database.Statement {
    return this.s.st(sql);
  }

  /** Runs fn in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.s.transaction(fn);
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

  // Events (events-table.ts). insertRows joins the caller's transaction, if any.

  insertRows(rows: DecodedRows): Uint8Array { return this.events.insertRows(rows); }
  eventsForIp(ip: string): DecodedEvent[] { return this.events.eventsForIp(ip); }
  horizon(ip: string): number { return this.events.horizon(ip); }
  networkAlertTimes(): Map<string, number[]> { return this.events.networkAlertTimes(); }

  // Eviction, step by step (events-table.ts; StreamPipeline.evictSteps): each write is a transaction of its own.

  evictionPage(after: string, limit: number, horizonMs: number, retentionBeforeMs: number): { stale: Array<{ ip: string; before: number }>; next: string | null } {
    return this.events.evictionPage(after, limit, horizonMs, retentionBeforeMs);
  }
  markEvicted(stale: ReadonlyArray<{ ip: string; before: number }>): void { this.events.markEvicted(stale); }
  staleRows(ip: string, before: number): number[] { return this.events.staleRows(ip, before); }
  deleteRows(seqs: ArrayLike<number>, from: number, to: number): number { return this.events.deleteRows(seqs, from, to); }
  settleEvicted(ips: ReadonlyArray<{ ip: string; deleted: number }>): void { this.events.settleEvicted(ips); }
  markEvictedBefore(beforeMs: number): void { this.events.markEvictedBefore(beforeMs); }


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

  eventCount(): number { return this.events.eventCount(); }

  getMeta(key: string): string | undefined { return this.meta.getMeta(key); }
  setMeta(key: string, value: string): void { this.meta.setMeta(key, value); }


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
