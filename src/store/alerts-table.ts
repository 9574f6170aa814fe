// The alerts table: the service's alerts with their triage status and history,
// kept up to date as late events change an IP's episodes (upsertAlert,
// withdrawAlertsExcept), and listed newest first with cursors for the API. Every
// change is queued for the sinks (the outbox) in the same transaction.
import type { AlertDocument, SigmaAlertDocument } from '../model/alert.js';
import type { EventsTable } from './events-table.js';
import type { OutboxTable } from './outbox-table.js';
import type { Statements } from './statements.js';

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
  /** The id this alert moved to (withdrawn when a late, earlier network alert moved its episode's anchor). */
  supersededBy?: string;
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

interface AlertRow {
  id: string; ip: string; doc: string; status: AlertStatus; triage: string; version: number; created_at: string; updated_at: string; start_ms: number; end_ms: number;
  /** Set when the alert moved to another id (rekey). */
  superseded_by: string | null;
}

/** What upsertAlert did; `superseded`: the older id of the same alert, withdrawn (rekey). */
export interface UpsertResult { change: 'created' | 'updated' | 'unchanged'; id: string; superseded?: string }

export interface UpsertOptions {
  /**
   * Whether an overlapping alert of the same rule, IP (and group) may be this
   * one under an older id (default true). A single-event detection's alerts
   * are one per event: never.
   */
  takeover?: boolean;
}

/** Which of an IP's alerts a recomputation answers for (withdrawAlertsExcept). */
export interface WithdrawScope {
  /** Only alerts of these rules (default: every rule). */
  rules?: ReadonlySet<string>;
  /** Alerts starting before this stand (default: the IP's events' eviction horizon). */
  horizonMs?: number;
  /** Only alerts lying within this span (ms, inclusive): the part of the IP's records recomputed. */
  within?: { fromMs: number; toMs: number };
}

/** A general Sigma correlation's group (crosswatch.group), as text; built-in alerts have none. */
function groupOf(doc: AlertDocument | SigmaAlertDocument): string {
  return JSON.stringify(doc.crosswatch.group ?? null);
}

export class AlertsTable {
  constructor(
    private readonly s: Statements,
    /** For the IPs' eviction horizons (withdrawAlertsExcept). */
    private readonly events: EventsTable,
    private readonly outbox: OutboxTable,
  ) {}

  /**
   * Stores an episode's alert. The same id updates in place. An alert of the same
   * rule and IP whose time span overlaps the episode's is the same alert under an
   * older id (a late, earlier network alert moved the episode's anchor, and so its
   * deterministic id), unless `taken` holds its id: the ids of this
   * recomputation's other episodes and the alerts they already took, so that two
   * episodes never fold into one alert. That alert is re-keyed: its row moves to
   * the episode's id with its raise time, status and triage history (and a note
   * saying so), and the old id is withdrawn, marked superseded by the new one, so
   * the alert ids are those hunt gives over the same data whatever the order of
   * arrival, and there is still one alert per episode. (Episodes of one rule and
   * IP never overlap: a gap longer than the window parts them.)
   */
  upsertAlert(doc: AlertDocument | SigmaAlertDocument, now: string, taken: ReadonlySet<string> = new Set(), opts: UpsertOptions = {}): UpsertResult {
    const startMs = Date.parse(doc.event.start);
    const endMs = Date.parse(doc.event.end);
    const id = doc.event.id;
    // (A general rule's alert without a source IP is stored under ''.)
    const ip = doc.source?.ip ?? '';
    return this.s.db.transaction((): UpsertResult => {
      const row = this.s.st('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
      if (!row) {
        const overlapping = opts.takeover === false ? [] : this.s.st('SELECT * FROM alerts WHERE rule = ? AND ip = ? AND start_ms <= ? AND end_ms >= ? AND superseded_by IS NULL ORDER BY start_ms')
          .all(doc.rule.id, ip, endMs, startMs) as AlertRow[];
        const group = groupOf(doc);
        const old = overlapping.find((r) => !taken.has(r.id) && groupOf(JSON.parse(r.doc) as AlertDocument) === group);
        // Re-keyed only when the anchor moved earlier: when eviction took the anchor away, the
        // alert keeps the id (and the span) of its full evidence, the id hunt over all of it gives.
        if (old && startMs < old.start_ms) return this.rekey(old, doc, now);
        if (old) return this.update(old, { ...doc, event: { ...doc.event, id: old.id } }, now);
        this.s.st(
          'INSERT INTO alerts (id, rule, ip, start_ms, end_ms, users, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(id, doc.rule.id, ip, startMs, endMs, JSON.stringify(doc.user.name), JSON.stringify(doc), now, now);
        this.outbox.enqueue(id, 'created', now);
        return { change: 'created', id };
      }
      // An id this alert had before it was re-keyed (its earlier anchor since evicted, say): it lives on under the new one.
      if (row.superseded_by !== null) return { change: 'unchanged', id: row.superseded_by };
      return this.update(row, doc, now);
    })();
  }

  /** The stored alert `row` with the episode's evidence (`doc`, under the row's id). */
  private update(row: AlertRow, doc: AlertDocument | SigmaAlertDocument, now: string): UpsertResult {
    const id = row.id;
    const merged: AlertDocument | SigmaAlertDocument = { ...doc };
    const old = JSON.parse(row.doc) as AlertDocument;
    // The raise time is the first one; the rest is evidence that may have grown.
    merged['@timestamp'] = old['@timestamp'];
    const revive = row.status === 'withdrawn';
    if (!revive && JSON.stringify(old) === JSON.stringify(merged)) return { change: 'unchanged', id };
    this.s.st(
      'UPDATE alerts SET start_ms = ?, end_ms = ?, users = ?, doc = ?, version = version + 1, updated_at = ? WHERE id = ?',
    ).run(Math.min(Date.parse(doc.event.start), row.start_ms), Math.max(Date.parse(doc.event.end), row.end_ms), JSON.stringify(doc.user.name), JSON.stringify(merged), now, id);
    if (revive) this.appendTriage(id, 'open', 'crosswatch', 'new evidence supports this alert again', now);
    this.outbox.enqueue(id, 'updated', now);
    return { change: 'updated', id };
  }

  /** The alert stored as `old` is the episode `doc` under its new id: moved there, the old id withdrawn as superseded. */
  private rekey(old: AlertRow, doc: AlertDocument | SigmaAlertDocument, now: string): UpsertResult {
    const id = doc.event.id;
    const merged: AlertDocument | SigmaAlertDocument = { ...doc, '@timestamp': (JSON.parse(old.doc) as AlertDocument)['@timestamp'] };
    // A withdrawn alert that the evidence supports again is open again.
    const status: AlertStatus = old.status === 'withdrawn' ? 'open' : old.status;
    const triage = JSON.parse(old.triage) as StoredAlert['triage'];
    triage.push({ at: now, status, by: 'crosswatch', note: `re-keyed from ${old.id}: an earlier network alert of this episode arrived late, moving its anchor` });
    this.s.st(
      'INSERT INTO alerts (id, rule, ip, start_ms, end_ms, users, doc, status, triage, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(id, doc.rule.id, old.ip, Date.parse(doc.event.start), Math.max(Date.parse(doc.event.end), old.end_ms), JSON.stringify(doc.user.name),
      JSON.stringify(merged), status, JSON.stringify(triage), old.version + 1, old.created_at, now);
    this.appendTriage(old.id, 'withdrawn', 'crosswatch', `superseded by ${id}: an earlier network alert of this episode arrived late`, now);
    this.s.st('UPDATE alerts SET superseded_by = ? WHERE id = ?').run(id, old.id);
    if (old.status !== 'withdrawn') this.outbox.enqueue(old.id, 'withdrawn', now);
    this.outbox.enqueue(id, 'created', now);
    return { change: 'created', id, superseded: old.id };
  }

  /**
   * Stores one recomputation of an IP's alerts: each episode's document is
   * upserted — taking over an earlier alert of another id when its anchor moved,
   * but never one that another episode of this recomputation is or has already
   * taken — and the IP's open alerts in `scope` it did not produce are withdrawn
   * with `reason`. Returns every change, in order (a re-keyed alert's old id as
   * withdrawn before the new one).
   */
  storeRecomputation(ip: string, docs: ReadonlyArray<AlertDocument | SigmaAlertDocument>, now: string, reason: string, scope: WithdrawScope = {}): Array<[UpsertResult['change'] | 'withdrawn', string]> {
    const changes: Array<[UpsertResult['change'] | 'withdrawn', string]> = [];
    const produced = new Set<string>();
    const taken = new Set(docs.map((d) => d.event.id));
    for (const doc of docs) {
      taken.delete(doc.event.id);
      const r = this.upsertAlert(doc, now, taken);
      taken.add(doc.event.id);
      taken.add(r.id);
      produced.add(r.id);
      if (r.superseded) changes.push(['withdrawn', r.superseded]);
      changes.push([r.change, r.id]);
    }
    for (const id of this.withdrawAlertsExcept(ip, produced, reason, now, scope)) changes.push(['withdrawn', id]);
    return changes;
  }

  /**
   * Withdraws this IP's alerts that the latest recomputation did not produce
   * (and that nobody has triaged yet). Returns the withdrawn ids.
   */
  withdrawAlertsExcept(ip: string, keep: ReadonlySet<string>, reason: string, now: string, scope: WithdrawScope = {}): string[] {
    // Alerts whose evidence reaches back before evicted events cannot be recomputed: they stand.
    const horizon = scope.horizonMs ?? this.events.horizon(ip);
    return this.s.db.transaction(() => {
      const rows = this.s.st("SELECT id, rule, start_ms, end_ms FROM alerts WHERE ip = ? AND status = 'open'").all(ip) as Array<{ id: string; rule: string; start_ms: number; end_ms: number }>;
      const w = scope.within;
      const gone = rows.filter((r) => r.start_ms >= horizon && (!scope.rules || scope.rules.has(r.rule)) && (!w || (r.start_ms >= w.fromMs && r.end_ms <= w.toMs)))
        .map((r) => r.id).filter((id) => !keep.has(id));
      for (const id of gone) {
        this.appendTriage(id, 'withdrawn', 'crosswatch', reason, now);
        this.outbox.enqueue(id, 'withdrawn', now);
      }
      return gone;
    })();
  }

  private appendTriage(id: string, status: AlertStatus, by: string | undefined, note: string | undefined, now: string): void {
    const row = this.s.st('SELECT triage FROM alerts WHERE id = ?').get(id) as { triage: string } | undefined;
    if (!row) return;
    const triage = JSON.parse(row.triage) as StoredAlert['triage'];
    triage.push({ at: now, status, ...(by ? { by } : {}), ...(note ? { note } : {}) });
    this.s.st('UPDATE alerts SET status = ?, triage = ?, version = version + 1, updated_at = ? WHERE id = ?')
      .run(status, JSON.stringify(triage), now, id);
  }

  getAlert(id: string): StoredAlert | null {
    const row = this.s.st('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
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
    const rows = this.s.st(sql).all(...args, f.limit + 1) as AlertRow[];
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { alerts: page.map(toStored), next: rows.length > f.limit && last ? encodeCursor(last.end_ms, last.id) : null };
  }

  /** Triage: set the status with a note and who; returns the updated alert or null if unknown. */
  setStatus(id: string, status: AlertStatus, by: string | undefined, note: string | undefined, now: string): StoredAlert | null {
    return this.s.db.transaction(() => {
      // Triage of an id the alert had before it was re-keyed goes to the alert (ids chain at most a few times).
      let row: { id: string; superseded_by: string | null } | undefined;
      for (let next: string | null = id, hops = 0; next !== null && hops < 16; hops++) {
        row = this.s.st('SELECT id, superseded_by FROM alerts WHERE id = ?').get(next) as typeof row;
        next = row?.superseded_by ?? null;
      }
      if (!row) return null;
      this.appendTriage(row.id, status, by, note, now);
      return toStored(this.s.st('SELECT * FROM alerts WHERE id = ?').get(row.id) as AlertRow);
    })();
  }

  alertCounts(): Array<{ rule: string; status: string; n: number }> {
    return this.s.st('SELECT rule, status, count(*) AS n FROM alerts GROUP BY rule, status').all() as Array<{ rule: string; status: string; n: number }>;
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
    ...(row.superseded_by ? { supersededBy: row.superseded_by } : {}),
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
