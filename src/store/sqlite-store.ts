// The service's embedded store (DESIGN.md §6): SQLite through better-sqlite3 in
// the data folder. It holds the accepted correlatable events (network alerts,
// sign-ins, mail accesses) until they can no longer matter, and the alerts.
// Every write is a transaction; WAL mode means a killed process loses nothing
// that was committed, and an ingest reply is only sent after its commit.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertDocument } from '../alerts/document.js';
import type { DecodedEvent, NormalizedEvent } from '../events/event.js';

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

interface EventRow { doc: string; at_ms: number; at_ns: number }
interface AlertRow { id: string; doc: string; status: AlertStatus; triage: string; version: number; created_at: string; updated_at: string; start_ms: number; end_ms: number }

export class SqliteStore {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'crosswatch.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit survives a machine crash, not only a killed process.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY,
        record_key TEXT NOT NULL UNIQUE,
        ip TEXT NOT NULL,
        role TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        at_ns INTEGER NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_ip ON events (ip, at_ms);
      CREATE INDEX IF NOT EXISTS events_at ON events (at_ms);
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
      CREATE INDEX IF NOT EXISTS alerts_end ON alerts (end_ms, id);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
    `);
  }

  /**
   * The sinks that get every alert change. Changes are queued in the outbox in
   * the same transaction as the alert itself, so a crash between the two cannot
   * lose a notification (delivery is at-least-once).
   */
  sinks: string[] = [];

  private enqueue(alertId: string, change: string, now: string): void {
    if (this.sinks.length === 0) return;
    const row = this.db.prepare('SELECT doc, status, version FROM alerts WHERE id = ?').get(alertId) as { doc: string; status: string; version: number } | undefined;
    if (!row) return;
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    const body = JSON.stringify({ change, status: row.status, version: row.version, at: now, alert: doc });
    const ins = this.db.prepare('INSERT INTO outbox (sink, alert_id, change, doc) VALUES (?, ?, ?, ?)');
    for (const sink of this.sinks) ins.run(sink, alertId, change, body);
  }

  /** Pending outbox entries of one sink that are due, oldest first. */
  pendingOutbox(sink: string, nowMs: number, limit: number): Array<{ seq: number; alertId: string; change: string; body: string; attempts: number; nextAt: number }> {
    const rows = this.db.prepare('SELECT seq, alert_id, change, doc, attempts, next_at FROM outbox WHERE sink = ? ORDER BY seq LIMIT ?').all(sink, limit) as Array<{ seq: number; alert_id: string; change: string; doc: string; attempts: number; next_at: number }>;
    // In order: a sink waits on its oldest undelivered entry.
    const out = [];
    for (const r of rows) {
      if (r.next_at > nowMs) break;
      out.push({ seq: r.seq, alertId: r.alert_id, change: r.change, body: r.doc, attempts: r.attempts, nextAt: r.next_at });
    }
    return out;
  }

  outboxDelivered(seq: number): void {
    this.db.prepare('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  outboxFailed(seq: number, nextAt: number, error: string): void {
    this.db.prepare('UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?').run(nextAt, error.slice(0, 500), seq);
  }

  outboxBacklog(): Array<{ sink: string; n: number }> {
    return this.db.prepare('SELECT sink, count(*) AS n FROM outbox GROUP BY sink').all() as Array<{ sink: string; n: number }>;
  }

  close(): void {
    this.db.close();
  }

  /**
   * Stores correlatable events durably; the same record (same key) delivered
   * again is ignored. Returns the events that were new.
   */
  insertEvents(events: Array<{ key: string; decoded: DecodedEvent }>): DecodedEvent[] {
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO events (record_key, ip, role, at_ms, at_ns, doc) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const fresh: DecodedEvent[] = [];
    this.db.transaction(() => {
      for (const { key, decoded } of events) {
        const ev = decoded.event;
        const r = insert.run(key, ev.source?.ip ?? '', ev.crosswatch.role, decoded.at.ms, decoded.at.ns, JSON.stringify(ev));
        if (r.changes > 0) fresh.push(decoded);
      }
    })();
    return fresh;
  }

  /** Every stored event of one IP, for recomputing its episodes. */
  eventsForIp(ip: string): DecodedEvent[] {
    const rows = this.db.prepare('SELECT doc, at_ms, at_ns FROM events WHERE ip = ? ORDER BY at_ms, at_ns, seq').all(ip) as EventRow[];
    return rows.map((r) => ({ at: { ms: r.at_ms, ns: r.at_ns }, event: JSON.parse(r.doc) as NormalizedEvent }));
  }

  hasNetworkAlert(ip: string): boolean {
    return this.db.prepare("SELECT 1 FROM events WHERE ip = ? AND role = 'network_alert' LIMIT 1").get(ip) !== undefined;
  }

  /** Deletes events whose time is before `beforeMs`; returns how many. */
  /**
   * Per IP, deletes the events older than that IP's newest event by more than
   * `horizonMs`: they can no longer meet anything that may still arrive for it.
   * Keyed per IP, so one feed's (or one replayed export's) time never evicts
   * another's. Returns how many were deleted.
   */
  evictPerIp(horizonMs: number): number {
    return this.db.transaction(() => {
      const stale = this.db.prepare(
        `SELECT l.ip AS ip, l.m - ? AS before FROM (SELECT ip, max(at_ms) AS m FROM events GROUP BY ip) l
         WHERE EXISTS (SELECT 1 FROM events e WHERE e.ip = l.ip AND e.at_ms < l.m - ?)`,
      ).all(horizonMs, horizonMs) as Array<{ ip: string; before: number }>;
      const mark = this.db.prepare('INSERT INTO evicted (ip, before_ms) VALUES (?, ?) ON CONFLICT(ip) DO UPDATE SET before_ms = max(before_ms, excluded.before_ms)');
      const del = this.db.prepare('DELETE FROM events WHERE ip = ? AND at_ms < ?');
      let n = 0;
      for (const r of stale) {
        mark.run(r.ip, r.before);
        n += del.run(r.ip, r.before).changes;
      }
      return n;
    })();
  }

  evictBefore(beforeMs: number): number {
    return this.db.transaction(() => {
      const prev = Number(this.getMeta('evicted_before_ms') ?? Number.NEGATIVE_INFINITY);
      if (beforeMs > prev) this.setMeta('evicted_before_ms', String(beforeMs));
      return this.db.prepare('DELETE FROM events WHERE at_ms < ?').run(beforeMs).changes;
    })();
  }

  eventCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * Stores an episode's alert. The same id updates in place; so does an alert
   * of the same rule and IP whose time span overlaps this one within a window
   * (a late event can move an episode's anchor, and must not make a second
   * alert). Returns what happened, for sinks and metrics.
   */
  upsertAlert(doc: AlertDocument, windowMs: number, now: string): { change: 'created' | 'updated' | 'unchanged'; id: string } {
    const startMs = Date.parse(doc.event.start);
    const endMs = Date.parse(doc.event.end);
    return this.db.transaction(() => {
      let row = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(doc.event.id) as AlertRow | undefined;
      if (!row) {
        row = this.db.prepare(
          'SELECT * FROM alerts WHERE rule = ? AND ip = ? AND start_ms <= ? AND end_ms + ? >= ? ORDER BY start_ms LIMIT 1',
        ).get(doc.rule.id, doc.source.ip, endMs + windowMs, windowMs, startMs) as AlertRow | undefined;
      }
      if (!row) {
        this.db.prepare(
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
      this.db.prepare(
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
    const ipHorizon = (this.db.prepare('SELECT before_ms FROM evicted WHERE ip = ?').get(ip) as { before_ms: number } | undefined)?.before_ms;
    const horizon = Math.max(Number(this.getMeta('evicted_before_ms') ?? Number.NEGATIVE_INFINITY), ipHorizon ?? Number.NEGATIVE_INFINITY);
    return this.db.transaction(() => {
      const rows = this.db.prepare("SELECT id, start_ms FROM alerts WHERE ip = ? AND status = 'open'").all(ip) as Array<{ id: string; start_ms: number }>;
      const gone = rows.filter((r) => r.start_ms >= horizon).map((r) => r.id).filter((id) => !keep.has(id));
      for (const id of gone) {
        this.appendTriage(id, 'withdrawn', 'crosswatch', reason, now);
        this.enqueue(id, 'withdrawn', now);
      }
      return gone;
    })();
  }

  private appendTriage(id: string, status: AlertStatus, by: string | undefined, note: string | undefined, now: string): void {
    const row = this.db.prepare('SELECT triage FROM alerts WHERE id = ?').get(id) as { triage: string } | undefined;
    if (!row) return;
    const triage = JSON.parse(row.triage) as StoredAlert['triage'];
    triage.push({ at: now, status, ...(by ? { by } : {}), ...(note ? { note } : {}) });
    this.db.prepare('UPDATE alerts SET status = ?, triage = ?, version = version + 1, updated_at = ? WHERE id = ?')
      .run(status, JSON.stringify(triage), now, id);
  }

  getAlert(id: string): StoredAlert | null {
    const row = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
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
    const rows = this.db.prepare(sql).all(...args, f.limit + 1) as AlertRow[];
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { alerts: page.map(toStored), next: rows.length > f.limit && last ? encodeCursor(last.end_ms, last.id) : null };
  }

  /** Triage: set the status with a note and who; returns the updated alert or null if unknown. */
  setStatus(id: string, status: AlertStatus, by: string | undefined, note: string | undefined, now: string): StoredAlert | null {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT id FROM alerts WHERE id = ?').get(id) as { id: string } | undefined;
      if (!row) return null;
      this.appendTriage(id, status, by, note, now);
      return toStored(this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow);
    })();
  }

  alertCounts(): Array<{ rule: string; status: string; n: number }> {
    return this.db.prepare('SELECT rule, status, count(*) AS n FROM alerts GROUP BY rule, status').all() as Array<{ rule: string; status: string; n: number }>;
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
