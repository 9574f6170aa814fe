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
//   quarantine-table.ts  records from the future, held apart until their time
//   alerts-table.ts      the alerts, their triage, and listing them
//   general-events-table.ts  the records the general Sigma path took, whole, and their eviction
//   outbox-table.ts      alert changes queued for the sinks
//   meta-table.ts        settings and positions by key (incl. the tailer's file offsets)
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertDocument, SigmaAlertDocument } from '../model/alert.js';
import type { DecodedEvent } from '../model/event.js';
import type { DecodedRows } from './rows.js';
import { Checkpointer } from './checkpointer.js';
import { Statements } from './statements.js';
import { openSchema } from './schema.js';
import { MetaTable } from './meta-table.js';
import { EventsTable, recordKeyHash } from './events-table.js';
import { QuarantineTable } from './quarantine-table.js';
import { GeneralEventsTable, type GeneralEventRow } from './general-events-table.js';
import { OutboxTable } from './outbox-table.js';
import { AlertsTable, type AlertFilter, type AlertStatus, type StoredAlert, type UpsertOptions, type UpsertResult, type WithdrawScope } from './alerts-table.js';

export { ALERT_STATUSES, TRIAGE_STATUSES, type AlertFilter, type AlertStatus, type StoredAlert } from './alerts-table.js';
export { recordKeyHash } from './events-table.js';
export type { GeneralEventRow } from './general-events-table.js';

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
  private readonly quarantine: QuarantineTable;
  private readonly general: GeneralEventsTable;
  private readonly outbox: OutboxTable;
  private readonly alerts: AlertsTable;

  constructor(dataDir: string, opts: StoreOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'crosswatch.sqlite'));
    this.s = new Statements(this.db);
    this.meta = new MetaTable(this.s);
    this.events = new EventsTable(this.s, this.meta, opts.keyHash ?? recordKeyHash);
    this.quarantine = new QuarantineTable(this.s);
    this.general = new GeneralEventsTable(this.s);
    this.outbox = new OutboxTable(this.s);
    this.alerts = new AlertsTable(this.s, this.events, this.outbox);
    // 16 KiB pages for a new store (an existing one keeps its own): shallower b-trees
    // for the events table and its indexes, and fewer pages per commit and per eviction step (a
    // 2-minute serve soak: 48.6k -> 52.0k records/s against 4 KiB).
    this.db.pragma('page_size = 16384');
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

  /** Runs fn in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.s.transaction(fn);
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
  eventCount(): number { return this.events.eventCount(); }

  // Eviction, step by step (events-table.ts; StreamPipeline.evictSteps): each write is a transaction of its own.

  evictionPage(after: string, limit: number, horizonMs: number, retentionBeforeMs: number): { stale: Array<{ ip: string; before: number }>; next: string | null } {
    return this.events.evictionPage(after, limit, horizonMs, retentionBeforeMs);
  }
  markEvicted(stale: ReadonlyArray<{ ip: string; before: number }>): void { this.events.markEvicted(stale); }
  staleRows(ip: string, before: number): number[] { return this.events.staleRows(ip, before); }
  deleteRows(seqs: ArrayLike<number>, from: number, to: number): number { return this.events.deleteRows(seqs, from, to); }
  settleEvicted(ips: ReadonlyArray<{ ip: string; deleted: number }>): void { this.events.settleEvicted(ips); }
  markEvictedBefore(beforeMs: number): void { this.events.markEvictedBefore(beforeMs); }

  // The general Sigma path's records (general-events-table.ts).

  insertGeneralEvents(rows: readonly GeneralEventRow[]): boolean[] { return this.general.insert(rows); }
  generalEventsForIp(ip: string, fromMs?: number, toMs?: number): DecodedEvent[] { return this.general.eventsForIp(ip, fromMs, toMs); }
  generalTimesForIp(ip: string): number[] { return this.general.timesForIp(ip); }
  generalHorizon(ip: string): number { return this.general.horizon(ip); }
  evictGeneralEvents(horizonMs: number, retentionBeforeMs: number): number { return this.general.evict(horizonMs, retentionBeforeMs); }
  generalEventCount(): number { return this.general.count(); }
  markGeneralDirty(ip: string, fromMs: number, toMs: number): void { this.general.markDirty(ip, fromMs, toMs); }
  generalDirty(limit: number): Array<{ ip: string; fromMs: number; toMs: number }> { return this.general.dirty(limit); }
  cleanGeneralDirty(ip: string): void { this.general.clean(ip); }
  generalDirtyCount(): number { return this.general.dirtyCount(); }

  // Records from the future (quarantine-table.ts).

  quarantineRows(rows: DecodedRows, which: ArrayLike<number>, room: number, receivedMs: number): { held: number; full: number; earliestMs: number } {
    return this.quarantine.quarantineRows(rows, which, room, receivedMs);
  }
  takeQuarantined(untilMs: number, max: number): DecodedRows { return this.quarantine.takeQuarantined(untilMs, max); }
  quarantineSummary(): { events: number; earliestMs: number | null; latestMs: number | null } { return this.quarantine.quarantineSummary(); }

  // Alerts and triage (alerts-table.ts); every change is queued for the sinks in its transaction.

  upsertAlert(doc: AlertDocument | SigmaAlertDocument, now: string, taken: ReadonlySet<string> = new Set(), opts: UpsertOptions = {}): UpsertResult {
    return this.alerts.upsertAlert(doc, now, taken, opts);
  }
  storeRecomputation(ip: string, docs: ReadonlyArray<AlertDocument | SigmaAlertDocument>, now: string, reason: string, scope?: WithdrawScope): Array<[UpsertResult['change'] | 'withdrawn', string]> {
    return this.alerts.storeRecomputation(ip, docs, now, reason, scope);
  }
  withdrawAlertsExcept(ip: string, keep: ReadonlySet<string>, reason: string, now: string, scope?: WithdrawScope): string[] {
    return this.alerts.withdrawAlertsExcept(ip, keep, reason, now, scope);
  }
  getAlert(id: string): StoredAlert | null { return this.alerts.getAlert(id); }
  listAlerts(f: AlertFilter): { alerts: StoredAlert[]; next: string | null } { return this.alerts.listAlerts(f); }
  setStatus(id: string, status: AlertStatus, by: string | undefined, note: string | undefined, now: string): StoredAlert | null {
    return this.alerts.setStatus(id, status, by, note, now);
  }
  alertCounts(): Array<{ rule: string; status: string; n: number }> { return this.alerts.alertCounts(); }

  // The sinks' outbox (outbox-table.ts).

  /** The sinks that get every alert change (OutboxTable.sinks). */
  get sinks(): string[] { return this.outbox.sinks; }
  set sinks(names: string[]) { this.outbox.sinks = names; }
  pendingOutbox(sink: string, nowMs: number, limit: number, maxWaitMs = Number.POSITIVE_INFINITY): Array<{ seq: number; alertId: string; change: string; body: string; attempts: number; nextAt: number }> {
    return this.outbox.pendingOutbox(sink, nowMs, limit, maxWaitMs);
  }
  outboxDelivered(seq: number): void { this.outbox.outboxDelivered(seq); }
  outboxFailed(seq: number, nextAt: number, error: string): void { this.outbox.outboxFailed(seq, nextAt, error); }
  outboxBacklog(): Array<{ sink: string; n: number }> { return this.outbox.outboxBacklog(); }

  // Meta (meta-table.ts): also the tailer's file offsets (inputs/tail.ts OffsetStore).

  getMeta(key: string): string | undefined { return this.meta.getMeta(key); }
  setMeta(key: string, value: string): void { this.meta.setMeta(key, value); }
}
