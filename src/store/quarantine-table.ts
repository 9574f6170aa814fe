// The quarantine: records dated ahead of the receiving clock (StreamPipeline),
// held apart from the events so that they move no watermark, window or
// eviction horizon, until their time comes and the pipeline takes them back.
import { ROW_ROLES, type DecodedRows, type RowRole } from './rows.js';
import type { Statements } from './statements.js';

export class QuarantineTable {
  constructor(private readonly s: Statements) {}

  /**
   * Holds rows from the future apart (the rows at `which`, at most `room` new ones);
   * the same record held already is not held twice. Returns how many were new, and
   * how many did not fit.
   */
  quarantineRows(rows: DecodedRows, which: ArrayLike<number>, room: number, receivedMs: number): { held: number; full: number; earliestMs: number } {
    const ins = this.s.st('INSERT OR IGNORE INTO quarantine (record_key, ip, role, at_ms, at_ns, doc, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let held = 0;
    let full = 0;
    let earliestMs = Number.POSITIVE_INFINITY;
    this.s.transaction(() => {
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
    const rows = this.s.st('SELECT seq, record_key, ip, role, at_ms, at_ns, doc FROM quarantine WHERE at_ms <= ? ORDER BY at_ms LIMIT ?')
      .all(untilMs, max) as Array<{ seq: number; record_key: string; ip: string; role: RowRole; at_ms: number; at_ns: number; doc: string }>;
    const del = this.s.st('DELETE FROM quarantine WHERE seq = ?');
    this.s.transaction(() => {
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
    const r = this.s.st('SELECT count(*) AS n, min(at_ms) AS lo, max(at_ms) AS hi FROM quarantine').get() as { n: number; lo: number | null; hi: number | null };
    return { events: r.n, earliestMs: r.lo, latestMs: r.hi };
  }
}
