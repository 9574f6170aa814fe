// The records the rules of the general Sigma path took, for serve
// (src/stream/general-stream.ts): stored whole, since those rules may read any
// field, once per record (time and key), by source IP ('' for none), so that an
// IP's correlations can be recomputed from them whatever the arrival order.
// Eviction is per IP, relative to that IP's newest record (two feeds of
// different dates never evict each other's), and by the retention overall.
import type { DecodedEvent, NormalizedEvent } from '../model/event.js';
import type { Statements } from './statements.js';

/** A record as the general path stores it. */
export interface GeneralEventRow {
  /** The record's identity (detect/general.ts eventKey). */
  key: string;
  /** Its source IP, canonical; '' when it has none. */
  ip: string;
  atMs: number;
  atNs: number;
  /** The normalized event, JSON. */
  doc: string;
}

export class GeneralEventsTable {
  constructor(private readonly s: Statements) {}

  /** Stores the rows; per row, whether it was new (a record met before is stored once). */
  insert(rows: readonly GeneralEventRow[]): boolean[] {
    const ins = this.s.st('INSERT OR IGNORE INTO general_events (record_key, ip, at_ms, at_ns, doc) VALUES (?, ?, ?, ?, ?)');
    return this.s.transaction(() => rows.map((r) => ins.run(r.key, r.ip, r.atMs, r.atNs, r.doc).changes === 1));
  }

  /** An IP's stored records, in time order; only those from `fromMs` to `toMs` (inclusive) when given. */
  eventsForIp(ip: string, fromMs = Number.MIN_SAFE_INTEGER, toMs = Number.MAX_SAFE_INTEGER): DecodedEvent[] {
    const rows = this.s.st('SELECT at_ms, at_ns, doc FROM general_events WHERE ip = ? AND at_ms >= ? AND at_ms <= ? ORDER BY at_ms, at_ns, seq')
      .all(ip, fromMs, toMs) as Array<{ at_ms: number; at_ns: number; doc: string }>;
    return rows.map((r) => ({ at: { ms: r.at_ms, ns: r.at_ns }, event: JSON.parse(r.doc) as NormalizedEvent }));
  }

  /** The times (ms) of an IP's stored records, ascending (from the index alone). */
  timesForIp(ip: string): number[] {
    return (this.s.st('SELECT at_ms FROM general_events WHERE ip = ? ORDER BY at_ms').pluck().all(ip) as number[]);
  }

  /** Before this time (ms) the IP's general records were evicted; -Infinity when never. */
  horizon(ip: string): number {
    const r = this.s.st('SELECT before_ms FROM general_evicted WHERE ip = ?').get(ip) as { before_ms: number } | undefined;
    return r?.before_ms ?? Number.NEGATIVE_INFINITY;
  }

  /**
   * Evicts, per IP, the records older than its newest by more than `horizonMs`,
   * and everything before `retentionBeforeMs`; the IPs' horizons are recorded
   * first, in the same transaction. Returns how many records went.
   */
  evict(horizonMs: number, retentionBeforeMs: number): number {
    return this.s.transaction(() => {
      this.s.st(`INSERT INTO general_evicted (ip, before_ms)
          SELECT ip, max(MAX(at_ms) - ?, ?) FROM general_events GROUP BY ip HAVING MIN(at_ms) < max(MAX(at_ms) - ?, ?)
          ON CONFLICT (ip) DO UPDATE SET before_ms = max(before_ms, excluded.before_ms)`).run(horizonMs, retentionBeforeMs, horizonMs, retentionBeforeMs);
      return this.s.st(`DELETE FROM general_events WHERE at_ms < ? OR at_ms < (SELECT before_ms FROM general_evicted e WHERE e.ip = general_events.ip)`)
        .run(retentionBeforeMs).changes;
    });
  }

  /** Notes that the IP's records from `fromMs` to `toMs` changed and its correlations are to be recomputed there. */
  markDirty(ip: string, fromMs: number, toMs: number): void {
    this.s.st(`INSERT INTO general_dirty (ip, from_ms, to_ms) VALUES (?, ?, ?)
        ON CONFLICT (ip) DO UPDATE SET from_ms = min(from_ms, excluded.from_ms), to_ms = max(to_ms, excluded.to_ms)`).run(ip, fromMs, toMs);
  }

  /** Up to `limit` IPs waiting for their recomputation, with their ranges. */
  dirty(limit: number): Array<{ ip: string; fromMs: number; toMs: number }> {
    return (this.s.st('SELECT ip, from_ms, to_ms FROM general_dirty LIMIT ?').all(limit) as Array<{ ip: string; from_ms: number; to_ms: number }>)
      .map((r) => ({ ip: r.ip, fromMs: r.from_ms, toMs: r.to_ms }));
  }

  clean(ip: string): void {
    this.s.st('DELETE FROM general_dirty WHERE ip = ?').run(ip);
  }

  /** IPs waiting for their recomputation. */
  dirtyCount(): number {
    return (this.s.st('SELECT count(*) AS n FROM general_dirty').get() as { n: number }).n;
  }

  count(): number {
    return (this.s.st('SELECT count(*) AS n FROM general_events').get() as { n: number }).n;
  }
}
