// The sinks' outbox: every alert change, queued per sink, until the sink took
// it (outputs/outbox.ts delivers the entries and reports back here).
import type { Statements } from './statements.js';

export class OutboxTable {
  /**
   * The sinks that get every alert change. Changes are queued in the outbox in
   * the same transaction as the alert itself, so a crash between the two cannot
   * lose a notification (delivery is at-least-once).
   */
  sinks: string[] = [];

  constructor(private readonly s: Statements) {}

  /** Queues an alert's change for every sink; the alerts table calls it inside its transaction. */
  enqueue(alertId: string, change: string, now: string): void {
    if (this.sinks.length === 0) return;
    const row = this.s.st('SELECT doc, status, version FROM alerts WHERE id = ?').get(alertId) as { doc: string; status: string; version: number } | undefined;
    if (!row) return;
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    const body = JSON.stringify({ change, status: row.status, version: row.version, at: now, alert: doc });
    const ins = this.s.st('INSERT INTO outbox (sink, alert_id, change, doc) VALUES (?, ?, ?, ?)');
    for (const sink of this.sinks) ins.run(sink, alertId, change, body);
  }

  /** Pending outbox entries of one sink that are due, oldest first. */
  pendingOutbox(sink: string, nowMs: number, limit: number, maxWaitMs = Number.POSITIVE_INFINITY): Array<{ seq: number; alertId: string; change: string; body: string; attempts: number; nextAt: number }> {
    const rows = this.s.st('SELECT seq, alert_id, change, doc, attempts, next_at FROM outbox WHERE sink = ? ORDER BY seq LIMIT ?').all(sink, limit) as Array<{ seq: number; alert_id: string; change: string; doc: string; attempts: number; next_at: number }>;
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
    this.s.st('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  outboxFailed(seq: number, nextAt: number, error: string): void {
    this.s.st('UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?').run(nextAt, error.slice(0, 500), seq);
  }

  outboxBacklog(): Array<{ sink: string; n: number }> {
    return this.s.st('SELECT sink, count(*) AS n FROM outbox GROUP BY sink').all() as Array<{ sink: string; n: number }>;
  }
}
