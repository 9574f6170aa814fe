// The stored events (the events table) and, per IP, their count and time span
// (the ips table), which eviction reads instead of scanning the events: insert
// with dedup by (time, key hash), lookups by IP, and the steps of an eviction
// (StreamPipeline.evictSteps: markEvictedBefore for the retention, then per group
// of IPs evictionPage and staleRows, markEvicted, deleteRows, settleEvicted).
import type { DecodedEvent } from '../model/event.js';
import { ROW_ROLES, storedEvent, type DecodedRows } from './rows.js';
import type { MetaTable } from './meta-table.js';
import type { Statements } from './statements.js';

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

/** Rows deleted by one statement (deleteRows). */
const DELETE_PER_STATEMENT = 1000;

interface EventRow { role: string; doc: string; at_ms: number; at_ns: number }

export class EventsTable {
  constructor(
    private readonly s: Statements,
    private readonly meta: MetaTable,
    private readonly keyHash: (key: string) => number,
  ) {}

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
    this.s.transaction(() => {
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
      const up = this.s.st(
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
   * where a copy of it would have gone too. (Also the migration's insert, schema.ts,
   * which keeps the old rows' seq; it leaves the ips table to the migration.)
   */
  insertEvent(key: string, ip: string, role: string, atMs: number, atNs: number, doc: string, seq: number | null = null): boolean {
    const insert = this.s.st('INSERT OR IGNORE INTO events (seq, record_key, key_hash, ip, role, at_ms, at_ns, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (let h = this.keyHash(key); ; h++) {
      if (insert.run(seq, key, h, ip, role, atMs, atNs, doc).changes === 1) return true;
      if (this.s.st('SELECT record_key FROM events WHERE at_ms = ? AND key_hash = ?').pluck().get(atMs, h) === key) return false;
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
    const rows = this.s.st(`${HOURS}SELECT role, doc, at_ms, at_ns FROM events WHERE ${IP_IN_HOURS} AND at_ms >= ? ORDER BY at_ms, at_ns, seq`)
      .all(hourOf(from), hourOf(span.max), ip, from) as EventRow[];
    return rows.map((r) => storedEvent(r.role, ip, r.at_ms, r.at_ns, r.doc));
  }

  /** The times of an IP's oldest and newest stored events, or wider (the ips table); null when it has none. */
  private span(ip: string): { min: number; max: number } | null {
    const r = this.s.st('SELECT min_ms, max_ms FROM ips WHERE ip = ?').get(ip) as { min_ms: number; max_ms: number } | undefined;
    return r ? { min: r.min_ms, max: r.max_ms } : null;
  }

  /** Before this time (ms) an IP's events are evicted, or about to be. */
  horizon(ip: string): number {
    const ipHorizon = (this.s.st('SELECT before_ms FROM evicted WHERE ip = ?').get(ip) as { before_ms: number } | undefined)?.before_ms;
    return Math.max(Number(this.meta.getMeta('evicted_before_ms') ?? Number.MIN_SAFE_INTEGER), ipHorizon ?? Number.MIN_SAFE_INTEGER);
  }

  /** The times (ms) of every stored network alert, by IP: the pipeline keeps them in memory. */
  networkAlertTimes(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const r of this.s.st("SELECT ip, at_ms FROM events WHERE role = 'network_alert' ORDER BY ip, at_ms").iterate() as IterableIterator<{ ip: string; at_ms: number }>) {
      let a = out.get(r.ip);
      if (!a) out.set(r.ip, (a = []));
      a.push(r.at_ms);
    }
    return out;
  }

  eventCount(): number {
    return (this.s.st('SELECT coalesce(sum(n), 0) AS n FROM ips').get() as { n: number }).n;
  }

  /**
   * One page of the IPs (in IP order, after `after`) that hold events older
   * than their horizon: per IP, `horizonMs` behind its newest event, and never
   * before `retentionBeforeMs`. `next` is the cursor for the next page, null at
   * the end.
   */
  evictionPage(after: string, limit: number, horizonMs: number, retentionBeforeMs: number): { stale: Array<{ ip: string; before: number }>; next: string | null } {
    const rows = this.s.st('SELECT ip, min_ms, max_ms FROM ips WHERE ip > ? ORDER BY ip LIMIT ?').all(after, limit) as Array<{ ip: string; min_ms: number; max_ms: number }>;
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
    const up = this.s.st('INSERT INTO evicted (ip, before_ms) VALUES (?, ?) ON CONFLICT(ip) DO UPDATE SET before_ms = max(before_ms, excluded.before_ms)');
    this.s.transaction(() => {
      for (const { ip, before } of stale) up.run(ip, before);
    });
  }

  /** The row ids of one IP's events before `before`. */
  staleRows(ip: string, before: number): number[] {
    const span = this.span(ip);
    if (!span || span.min >= before) return [];
    return this.s.st(`${HOURS}SELECT seq FROM events WHERE ${IP_IN_HOURS} AND at_ms < ?`).pluck()
      .all(hourOf(span.min), hourOf(Math.min(span.max, before - 1)), ip, before) as number[];
  }

  /**
   * Deletes events by row id (in one transaction; sorted ids touch each page once) and
   * takes them off their IPs' counts in the same transaction, so that a process killed
   * between two steps of an eviction leaves the counts right. Returns how many went.
   */
  deleteRows(seqs: ArrayLike<number>, from: number, to: number): number {
    // A thousand rows a statement (their ids as one JSON array): a statement per
    // row cost more in calls from JavaScript than in SQLite's own work.
    const del = this.s.st('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?)) RETURNING ip').pluck();
    const dec = this.s.st('UPDATE ips SET n = max(0, n - ?) WHERE ip = ?');
    return this.s.transaction(() => {
      const gone = new Map<string, number>();
      for (let i = from; i < to; i += DELETE_PER_STATEMENT) {
        const ids: number[] = [];
        for (let j = i; j < Math.min(to, i + DELETE_PER_STATEMENT); j++) ids.push(seqs[j]!);
        for (const ip of del.all(JSON.stringify(ids)) as string[]) gone.set(ip, (gone.get(ip) ?? 0) + 1);
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
    this.s.transaction(() => {
      for (const { ip } of ips) {
        const span = this.span(ip);
        const min = span && (this.s.st(`${HOURS}SELECT min(at_ms) AS m FROM events WHERE ${IP_IN_HOURS}`)
          .get(hourOf(span.min), hourOf(span.max), ip) as { m: number | null }).m;
        if (min === null) this.s.st('DELETE FROM ips WHERE ip = ?').run(ip);
        else this.s.st('UPDATE ips SET min_ms = ? WHERE ip = ?').run(min, ip);
      }
    });
  }

  /**
   * Records that nothing before `beforeMs` is kept for any IP (the retention). The
   * IPs' own horizons at or before it say nothing more and go: the evicted table
   * holds one row per IP with a horizon of its own, not one per IP ever evicted.
   */
  markEvictedBefore(beforeMs: number): void {
    const prev = Number(this.meta.getMeta('evicted_before_ms') ?? Number.NEGATIVE_INFINITY);
    if (beforeMs > prev) {
      this.s.transaction(() => {
        this.meta.setMeta('evicted_before_ms', String(beforeMs));
        this.s.st('DELETE FROM evicted WHERE before_ms <= ?').run(beforeMs);
      });
    }
  }
}
