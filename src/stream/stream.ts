// The streaming pipeline behind `crosswatch serve`: framed records → decoders →
// durable store → correlator → alerts. It runs the same decoders and the same
// Correlator as hunt, and gives the alerts hunt gives on the same records
// whatever the arrival order, retries and restarts: every IP whose state a
// commit can change is recomputed from its stored events.
//
// Decoding (stream-decode.ts) is apart from committing, so HTTP bodies can be
// decoded on worker threads; decoded batches that are ready together are
// committed together (group commit): one transaction — events, alerts, outbox —
// and one fsync for all of them, and each request's reply waits for it.
//
// Which IPs are recomputed: the pipeline keeps the times of the stored network
// alerts in memory, per IP. A new network alert makes its IP dirty; a new
// sign-in or mail access does only when it lies within [tA, tA + window] of one
// of its IP's alerts — outside every window an event neither matches nor counts
// towards the shared-infrastructure cap, so it cannot change an alert. Events
// of IPs without a network alert are only stored (a late alert finds them).
// Time comes from the events (the watermark is the latest event time seen),
// never the wall clock — but the wall clock bounds it: an event dated further
// ahead of the receiving clock than the skew (a sensor's clock a year off, or
// an attacker's record dated 9999) is held in the store's quarantine, apart from
// the events, so it moves no watermark, window or eviction horizon, and is
// released into the pipeline when the clock reaches it. An event older than the
// retention behind the watermark could match nothing: it is dropped and counted.
import type { RuleDefinition } from '../detect/rules.js';
import type { AlertDocument } from '../model/alert.js';
import { alertsOf } from '../detect/alerts.js';
import type { CorrelatorConfig } from '../detect/config.js';
import { Correlator, withinAWindow } from '../detect/correlator.js';
import type { DecodeContext } from '../decoders/types.js';
import type { FramedItem } from '../inputs/framing.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { Counters } from '../pipeline/counters.js';
import { DEFAULT_FUTURE_SKEW_MS, decodeBatch, type DecodedBatch } from './stream-decode.js';
import { ALERT_ROW_ROLE, pickRows, recordKey, type DecodedRows } from '../store/rows.js';
import { commitGeneral, settleGeneral, type GeneralSpec, type ServedGeneral } from './general-stream.js';

export { recordKey };

export const DEFAULT_ALLOWED_LATENESS_MS = 24 * 3_600_000;
/** How far behind the newest event overall an IP's events are kept at most (a quiet IP's last events). */
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;
export { DEFAULT_FUTURE_SKEW_MS };

export interface StreamOptions {
  config: CorrelatorConfig;
  rules: RuleDefinition[];
  decode: DecodeContext;
  /** How late (behind the newest event of its IP) an event may arrive and still match. */
  allowedLatenessMs: number;
  /** Events older than the newest event overall by more than this are dropped whatever their IP (default 30 days). */
  retentionMs?: number;
  /** Called for every alert created or updated (sinks, metrics), after its commit. */
  onAlert?: (change: 'created' | 'updated' | 'withdrawn', alert: AlertDocument) => void;
  now?: () => Date;
  /** How far past the receiving clock an event may be and still count as now (default 15 minutes); later ones are quarantined. */
  futureSkewMs?: number;
  /** Events held in quarantine at most (default 100,000); more are dropped and counted. */
  quarantineMax?: number;
  /** The general Sigma rules serve runs (general-stream.ts); none by default. */
  general?: ServedGeneral | null;
  /**
   * When the general rules' correlations are recomputed for the IPs a commit
   * touched: in the commit itself (default: its reply counts their alerts), or
   * later, by settleGeneral() (serve calls it on a timer: a busy IP is then
   * recomputed once per call, not once per commit).
   */
  generalSettle?: 'commit' | 'deferred';
}

export const DEFAULT_QUARANTINE_MAX = 100_000;
/** Why an accepted event was not stored (IngestResult.dropped, crosswatch_events_dropped_total). */
export type DropReason = 'older-than-retention' | 'quarantine-full' | 'general-future';

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** The first few rejects, with their place. */
  errors: Array<{ where: string; reason: string; message: string }>;
  /** Correlatable records stored by this batch (new ones). */
  stored: number;
  /** Correlatable records already stored before (a retry): counted once. */
  duplicates: number;
  /** Correlatable records dated ahead of the receiving clock, held in quarantine until their time (new ones). */
  quarantined: number;
  /** Correlatable records accepted but not stored, by reason. */
  dropped: Partial<Record<DropReason, number>>;
  alertsCreated: number;
  alertsUpdated: number;
}

/** How long a commit waits for bodies still being decoded (submit's moreComing). */
const GROUP_COMMIT_WAIT_MS = 4;
/** IPs looked at per eviction step. */
const EVICT_PAGE = 256;
/** Events deleted per eviction step (one transaction) at most. */
const EVICT_ROWS = 20_000;
/** Stale events gathered before they are deleted in row order. */
const EVICT_GROUP_ROWS = 500_000;
/** Quarantined events released per commit at most (releaseDue() goes on until none is due). */
const RELEASE_ROWS = 20_000;


/** Index of the first element >= x in a sorted array. */
function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(a: number[], x: number): void {
  a.splice(lowerBound(a, x), 0, x);
}

/** What eviction has done, for /metrics: that it keeps running shows here. */
export interface EvictionStats {
  /** Runs finished. */
  runs: number;
  /** Events removed by all runs. */
  rowsRemoved: number;
  /** Wall-clock time (ms) the last run finished, 0 before the first. */
  lastRunMs: number;
}

export class StreamPipeline {
  readonly counters = new Counters();
  readonly eviction: EvictionStats = { runs: 0, rowsRemoved: 0, lastRunMs: 0 };
  private watermarkMs: number;
  /** Per IP, the sorted times (ms) of its stored network alerts. */
  private readonly alertTimes: Map<string, number[]>;
  private queue: Array<{ batch: DecodedBatch; resolve(r: IngestResult): void; reject(e: Error): void }> = [];
  private flushScheduled = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private evicting: Promise<number> | null = null;
  /** Events since start dated further ahead of the receiving clock than the skew (they do not move the watermark). */
  private future = 0;
  /** Events since start released from quarantine. */
  private released = 0;
  /** Events since start accepted but not stored, by reason. */
  private readonly dropped: Record<DropReason, number> = { 'older-than-retention': 0, 'quarantine-full': 0, 'general-future': 0 };
  private general: ServedGeneral | null;
  /** Events held in quarantine now, and the earliest of their times (Infinity when none). */
  private held: number;
  private heldEarliest: number;

  constructor(private readonly store: SqliteStore, private readonly opts: StreamOptions) {
    const wm = store.getMeta('watermark_ms');
    // A store whose watermark a record from the future moved (before it was bounded) is brought back.
    this.watermarkMs = wm === undefined ? Number.NEGATIVE_INFINITY : Math.min(Number(wm), this.timeLimit());
    this.alertTimes = store.networkAlertTimes();
    const q = store.quarantineSummary();
    this.held = q.events;
    this.heldEarliest = q.earliestMs ?? Number.POSITIVE_INFINITY;
    this.general = opts.general ?? null;
  }

  /** The general Sigma rules run from the next commit on (a reload); null: none. */
  setGeneral(served: ServedGeneral | null): void {
    this.general = served;
  }

  /** The general rules as texts, for the ingest workers (BodyTask.general); undefined when none. */
  get generalSpec(): GeneralSpec | undefined {
    return this.general?.spec;
  }

  /** The general rules serve runs now, or null. */
  get servedGeneral(): ServedGeneral | null {
    return this.general;
  }

  /** The latest time an event may move the watermark to: the receiving clock plus the skew. */
  private timeLimit(): number {
    return (this.opts.now?.() ?? new Date()).getTime() + (this.opts.futureSkewMs ?? DEFAULT_FUTURE_SKEW_MS);
  }

  /** Events since start dated beyond the receiving clock plus the skew (crosswatch_events_future_total). */
  get futureEvents(): number {
    return this.future;
  }

  /** Events since start released from quarantine (crosswatch_quarantine_released_total). */
  get releasedEvents(): number {
    return this.released;
  }

  /** Events held in quarantine now (crosswatch_quarantine_events). */
  get quarantinedEvents(): number {
    return this.held;
  }

  /** Events since start accepted but not stored, by reason (crosswatch_events_dropped_total). */
  get droppedEvents(): Readonly<Record<DropReason, number>> {
    return this.dropped;
  }

  /**
   * Releases the quarantined events whose time has come (within the skew of the
   * receiving clock) into the pipeline: stored, correlated, alerting as if they
   * had arrived now. The service calls it on a timer; every commit does it too.
   * Returns how many were released.
   */
  releaseDue(): number {
    const before = this.released;
    for (let last = -1; this.heldEarliest <= this.timeLimit() && this.released !== last;) {
      last = this.released;
      this.commit([]);
    }
    return this.released - before;
  }

  /** The latest event time seen (ms), or -Infinity before any event. */
  get watermark(): number {
    return this.watermarkMs;
  }

  /** The decode settings (for decoding on workers). */
  get decodeContext(): DecodeContext {
    return this.opts.decode;
  }

  /** How many IPs have stored network alerts (kept in memory). */
  get alertedIps(): number {
    return this.alertTimes.size;
  }

  /**
   * Decodes, stores and correlates one batch of framed records on this thread
   * (tailed files, syslog). Synchronous: when it returns, accepted records are
   * committed and alerts are queryable. `source` names the counters' source
   * (default: each record's own origin).
   */
  ingest(items: FramedItem[], source?: string): IngestResult {
    return this.commit([decodeBatch(items, this.opts.decode, this.watermarkMs, source, this.general)])[0]!;
  }

  /**
   * Commits a batch decoded elsewhere (an HTTP body on a worker). Batches that
   * are submitted while a commit runs go into the next one together. Resolves
   * once the batch is committed and its alerts are queryable.
   */
  submit(batch: DecodedBatch, moreComing = false): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (moreComing) {
        // Other bodies are being decoded: wait a moment for them, so that they share
        // this commit and its fsync (a commit costs about as much as inserting a few
        // thousand rows). The wait is short next to a body's decoding.
        this.flushTimer ??= setTimeout(() => this.flush(), GROUP_COMMIT_WAIT_MS);
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        // After the I/O callbacks of this turn: the bodies decoded meanwhile join.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const q = this.queue;
    this.queue = [];
    if (q.length === 0) return;
    let results: IngestResult[];
    try {
      results = this.commit(q.map((x) => x.batch));
    } catch (err) {
      for (const x of q) x.reject(err as Error);
      return;
    }
    q.forEach((x, i) => x.resolve(results[i]!));
  }

  /**
   * Stores decoded batches and recomputes the IPs whose alerts they can change,
   * all in one transaction. Returns one result per batch.
   */
  commit(batches: DecodedBatch[]): IngestResult[] {
    const results: IngestResult[] = batches.map((b) => ({
      accepted: b.accepted, rejected: b.rejected, errors: [...b.errors], stored: 0, duplicates: 0, quarantined: 0, dropped: {}, alertsCreated: 0, alertsUpdated: 0,
    }));
    const w = this.opts.config.windowMs;
    const newAlerts = new Map<string, number[]>();
    const notes: Array<['created' | 'updated' | 'withdrawn', string]> = [];
    let wm = this.watermarkMs;
    const receivedMs = (this.opts.now?.() ?? new Date()).getTime();
    const limit = this.timeLimit();
    const retentionMs = this.opts.retentionMs ?? DEFAULT_RETENTION_MS;
    const retentionBefore = Number.isFinite(wm) ? wm - retentionMs : Number.NEGATIVE_INFINITY;
    // Each batch's rows: those to store now, and those from the future (indexes into its rows).
    const current: DecodedRows[] = [];
    const ahead: number[][] = [];
    batches.forEach((b, bi) => {
      const rows = b.rows;
      // The usual batch: every row within bounds, stored as it is (no index lists made).
      let i = 0;
      while (i < rows.n && rows.atMs[i]! <= limit && rows.atMs[i]! >= retentionBefore) i++;
      if (i === rows.n) {
        current.push(rows);
        ahead.push([]);
        return;
      }
      const keep: number[] = [];
      const later: number[] = [];
      let old = 0;
      for (let i = 0; i < rows.n; i++) {
        const at = rows.atMs[i]!;
        if (at > limit) later.push(i);
        else if (at < retentionBefore) old++;
        else keep.push(i);
      }
      current.push(pickRows(rows, keep));
      ahead.push(later);
      if (old > 0) {
        results[bi]!.dropped['older-than-retention'] = old;
        results[bi]!.errors.push({
          where: 'batch', reason: 'older-than-retention',
          message: `${old} events dated before ${new Date(retentionBefore).toISOString()} (the retention, ${Math.round(retentionMs / 3_600_000)}h behind the newest event) were dropped: they can no longer match anything`,
        });
      }
    });
    // The general rules' records (general-stream.ts). Those from beyond the clock's skew are not held
    // (the quarantine keeps only the built-in rules' rows): dropped and counted, as older ones are.
    const general = this.general;
    const generalRows = batches.map((b, bi) => {
      if (!general || !b.general || b.general.length === 0) return [];
      const future = b.general.filter((r) => r.atMs > limit).length;
      if (future > 0) {
        results[bi]!.dropped['general-future'] = future;
        results[bi]!.errors.push({
          where: 'batch', reason: 'general-future',
          message: `${future} records dated more than ${Math.round((this.opts.futureSkewMs ?? DEFAULT_FUTURE_SKEW_MS) / 60_000)} minutes ahead of this service's clock were not given to the general Sigma rules`,
        });
      }
      return b.general.filter((r) => r.atMs <= limit && r.atMs >= retentionBefore);
    });
    const due = this.heldEarliest <= limit;
    let future = 0;
    let releasedNow = 0;
    let heldNow = 0;
    let heldEarliest = this.heldEarliest;
    if (due || current.some((r) => r.n > 0) || ahead.some((a) => a.length > 0) || generalRows.some((g) => g.length > 0)) {
      this.store.transaction(() => {
        // Quarantined events whose time has come join this commit (as one more batch, with no reply).
        const parts = current.slice();
        if (due) {
          const rel = this.store.takeQuarantined(limit, RELEASE_ROWS);
          releasedNow = rel.n;
          parts.push(rel);
        }
        // Which batch first touched each dirty IP (its reply counts the IP's alert changes).
        const dirty = new Map<string, number>();
        const fresh = parts.map((rows) => this.store.insertRows(rows));
        parts.forEach((rows, bi) => {
          const f = fresh[bi]!;
          let stored = 0;
          for (let i = 0; i < rows.n; i++) {
            if (!f[i]) continue;
            stored++;
            const at = rows.atMs[i]!;
            if (at > wm) wm = at;
            if (rows.roles[i] !== ALERT_ROW_ROLE) continue;
            const ip = rows.ips[i]!;
            let a = newAlerts.get(ip);
            if (!a) newAlerts.set(ip, (a = []));
            insertSorted(a, at);
            if (!dirty.has(ip)) dirty.set(ip, bi);
          }
          const r = results[bi];
          if (!r) return;
          r.stored = stored;
          r.duplicates = rows.n - stored;
        });
        // Records from the future wait apart (their resends count as duplicates).
        let room = (this.opts.quarantineMax ?? DEFAULT_QUARANTINE_MAX) - (this.held - releasedNow);
        ahead.forEach((which, bi) => {
          if (which.length === 0) return;
          const q = this.store.quarantineRows(batches[bi]!.rows, which, Math.max(0, room), receivedMs);
          room -= q.held;
          heldNow += q.held;
          future += q.held + q.full;
          if (q.earliestMs < heldEarliest) heldEarliest = q.earliestMs;
          const r = results[bi]!;
          r.quarantined = q.held;
          r.duplicates += which.length - q.held - q.full;
          if (q.full > 0) {
            r.dropped['quarantine-full'] = q.full;
            r.errors.push({
              where: 'batch', reason: 'quarantine-full',
              message: `${q.full} events dated more than ${Math.round((this.opts.futureSkewMs ?? DEFAULT_FUTURE_SKEW_MS) / 60_000)} minutes ahead of this service's clock were dropped: the quarantine for such events is full`,
            });
          }
        });
        // Sign-ins and mail accesses: dirty only within a window of one of their IP's alerts
        // (the correlator's own window test).
        const inWindow = (times: number[] | undefined, at: number): boolean => times !== undefined && withinAWindow(times, at, w);
        parts.forEach((rows, bi) => {
          const f = fresh[bi]!;
          for (let i = 0; i < rows.n; i++) {
            if (!f[i] || rows.roles[i] === ALERT_ROW_ROLE) continue;
            const ip = rows.ips[i]!;
            if (dirty.has(ip)) continue;
            const at = rows.atMs[i]!;
            if (inWindow(this.alertTimes.get(ip), at) || inWindow(newAlerts.get(ip), at)) dirty.set(ip, bi);
          }
        });
        if (wm !== this.watermarkMs) this.store.setMeta('watermark_ms', String(wm));
        for (const [ip, bi] of dirty) {
          const r = this.correlateIp(ip, notes);
          const res = results[bi];
          if (!res) continue; // (released from quarantine: no one's reply)
          res.alertsCreated += r.created;
          res.alertsUpdated += r.updated;
        }
        if (releasedNow > 0) heldEarliest = this.store.quarantineSummary().earliestMs ?? Number.POSITIVE_INFINITY;
        if (general && generalRows.some((g) => g.length > 0)) {
          const now = this.opts.now?.() ?? new Date();
          const g = commitGeneral(this.store, general, generalRows, now);
          if (this.opts.generalSettle !== 'deferred') {
            for (const [ip, changes] of settleGeneral(this.store, general, now)) {
              const bi = g.touched.get(ip);
              for (const [change, id] of changes) {
                if (change === 'unchanged') continue;
                if (change !== 'withdrawn' && bi !== undefined) {
                  if (change === 'created') g.created[bi]!++;
                  else g.updated[bi]!++;
                }
                g.notes.push([change, id]);
              }
            }
          }
          results.forEach((r, bi) => {
            r.alertsCreated += g.created[bi]!;
            r.alertsUpdated += g.updated[bi]!;
          });
          notes.push(...g.notes);
        }
      });
    }

    // Committed: now the in-memory state follows.
    this.watermarkMs = wm;
    this.future += future;
    this.released += releasedNow;
    this.held += heldNow - releasedNow;
    this.heldEarliest = heldEarliest;
    for (const r of results) for (const [k, n] of Object.entries(r.dropped) as Array<[DropReason, number]>) this.dropped[k] += n;
    for (const [ip, times] of newAlerts) {
      const a = this.alertTimes.get(ip);
      if (!a) this.alertTimes.set(ip, times);
      else for (const t of times) insertSorted(a, t);
    }
    for (const b of batches) this.counters.merge(b.counters);
    if (this.opts.onAlert) {
      for (const [change, id] of notes) {
        const stored = this.store.getAlert(id);
        if (stored) this.opts.onAlert(change, stored.doc);
      }
    }
    return results;
  }

  /**
   * Recomputes the general rules' correlations of up to `maxIps` IPs that
   * commits touched (generalSettle 'deferred'), in one transaction; their alert
   * changes go to onAlert. Returns how many IPs were recomputed (0: none waits).
   */
  settleGeneral(maxIps = 64): number {
    const general = this.general;
    if (!general) return 0;
    const now = this.opts.now?.() ?? new Date();
    const settled = this.store.transaction(() => settleGeneral(this.store, general, now, maxIps));
    if (this.opts.onAlert) {
      for (const changes of settled.values()) {
        for (const [change, id] of changes) {
          if (change === 'unchanged') continue;
          const stored = this.store.getAlert(id);
          if (stored) this.opts.onAlert(change, stored.doc);
        }
      }
    }
    return settled.size;
  }

  /**
   * Recomputes one IP's episodes from its stored events and stores their alerts
   * (call inside the commit's transaction). Changes are noted for onAlert.
   */
  private correlateIp(ip: string, notes: Array<['created' | 'updated' | 'withdrawn', string]>): { created: number; updated: number } {
    const c = new Correlator(this.opts.config, this.opts.rules.map((r) => r.correlation));
    for (const d of this.store.eventsForIp(ip)) c.add(d);
    const now = (this.opts.now ?? (() => new Date()))();
    let created = 0;
    let updated = 0;
    const docs = alertsOf(c.finish(), this.opts.rules, now);
    // Alerts raised earlier that the full evidence no longer supports (the IP
    // turned out to be shared infrastructure, say) are withdrawn, not left open.
    const scope = { rules: new Set(this.opts.rules.map((r) => r.id)) };
    for (const [change, id] of this.store.storeRecomputation(ip, docs, now.toISOString(), 'withdrawn: later events no longer support it (e.g. the IP is shared by too many users)', scope)) {
      if (change === 'unchanged') continue;
      if (change === 'created') created++;
      else if (change === 'updated') updated++;
      notes.push([change, id]);
    }
    return { created, updated };
  }

  /**
   * Drops events that can no longer match anything: per IP, those older than the
   * IP's newest event by more than window + allowed lateness; and, so that quiet
   * IPs do not keep their last events forever, anything older than the newest
   * event overall by more than the retention. Keying the first rule per IP means
   * two feeds (or replayed exports) of different dates never evict each other's
   * state. Disk and memory stay bounded on an endless stream.
   *
   * In steps, so ingest goes on between them: the IPs' new horizons are recorded
   * first (from then on their older events no longer count, so a recomputation
   * in between sees what it will see after the eviction), then the stale rows are
   * deleted in row order, EVICT_ROWS per transaction (rows of one IP are spread
   * over the table; in row order each page is written once), then each IP's
   * count and oldest time are settled. evict() runs all the steps at once.
   */
  *evictSteps(): Generator<number, number> {
    const horizon = this.opts.config.windowMs + this.opts.allowedLatenessMs;
    const retentionBefore = Number.isFinite(this.watermarkMs)
      ? this.watermarkMs - (this.opts.retentionMs ?? DEFAULT_RETENTION_MS)
      : Number.MIN_SAFE_INTEGER;
    if (Number.isFinite(this.watermarkMs)) this.store.markEvictedBefore(retentionBefore);
    // The general rules' records: per IP, those further back than its longest chain of timespans (plus the lateness).
    let total = this.store.evictGeneralEvents((this.general?.spanMs ?? 0) + this.opts.allowedLatenessMs, retentionBefore);
    if (total > 0) yield total;
    let after: string | null = '';
    while (after !== null) {
      // A group of stale IPs, up to EVICT_GROUP_ROWS rows (or one IP's, however many).
      const group: Array<{ ip: string; before: number; deleted: number }> = [];
      const rows: number[] = [];
      const owner: number[] = [];
      while (after !== null && rows.length < EVICT_GROUP_ROWS) {
        const page = this.store.evictionPage(after, EVICT_PAGE, horizon, retentionBefore);
        after = page.next;
        for (const st of page.stale) {
          for (const seq of this.store.staleRows(st.ip, st.before)) {
            rows.push(seq);
            owner.push(group.length);
          }
          group.push({ ...st, deleted: 0 });
        }
        if (page.stale.length > 0) yield 0;
      }
      if (group.length === 0) continue;
      this.store.markEvicted(group);
      // Marked (committed): the alert times in memory follow.
      for (const { ip, before } of group) {
        const a = this.alertTimes.get(ip);
        if (!a) continue;
        const keep = lowerBound(a, before);
        if (keep === a.length) this.alertTimes.delete(ip);
        else if (keep > 0) a.splice(0, keep);
      }
      const order = rows.map((_, i) => i).sort((x, y) => rows[x]! - rows[y]!);
      const seqs = Float64Array.from(order, (i) => rows[i]!);
      for (let i = 0; i < seqs.length; i += EVICT_ROWS) {
        const end = Math.min(seqs.length, i + EVICT_ROWS);
        const n = this.store.deleteRows(seqs, i, end);
        total += n;
        yield n;
      }
      for (const i of order) group[owner[i]!]!.deleted++;
      this.store.settleEvicted(group);
    }
    this.eviction.runs++;
    this.eviction.rowsRemoved += total;
    this.eviction.lastRunMs = Date.now();
    return total;
  }

  /** Waits for a background eviction run to finish (before closing the store). */
  async drain(): Promise<void> {
    await this.evicting?.catch(() => 0);
  }

  /** Evicts everything due now, synchronously; returns how many events went. */
  evict(): number {
    const it = this.evictSteps();
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
    }
  }

  /**
   * Evicts in steps, yielding to the event loop between them so ingest goes on.
   * One run at a time; resolves to how many events went.
   */
  evictInBackground(): Promise<number> {
    if (this.evicting) return this.evicting;
    const it = this.evictSteps();
    const run = new Promise<number>((resolve, reject) => {
      const step = (): void => {
        try {
          const r = it.next();
          if (r.done) resolve(r.value);
          else setImmediate(step);
        } catch (err) {
          reject(err as Error);
        }
      };
      step();
    });
    this.evicting = run;
    // Cleared when this run settles, and only if it is still the current one. (Clearing
    // inside the steps ran before the assignment above when a run ended in its first
    // step, so that settled run was kept and eviction never ran again.)
    const settled = (): void => {
      if (this.evicting === run) this.evicting = null;
    };
    run.then(settled, settled);
    return run;
  }
}
