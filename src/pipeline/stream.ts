// The streaming pipeline behind `crosswatch serve`: framed records → decoders →
// durable store → correlator → alerts. It runs the same decoders and the same
// Correlator as hunt: after each ingest, every IP the batch touched that has a
// network alert is recomputed from its stored events, so arrival order, retries
// and restarts give the alerts hunt gives on the same records. Time comes from
// the events (the watermark is the latest event time seen), never the wall clock.
import { createHash } from 'node:crypto';
import type { RuleDefinition } from '../alerts/rules.js';
import { alertDocument } from '../alerts/document.js';
import type { CorrelatorConfig } from '../correlate/config.js';
import { Correlator } from '../correlate/correlator.js';
import { decodeRecord } from '../decoders/index.js';
import type { DecodeContext } from '../decoders/types.js';
import { formatOrigin } from '../decoders/types.js';
import type { DecodedEvent } from '../events/event.js';
import type { FramedItem } from '../sources/framing.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { Counters } from './counters.js';

export const DEFAULT_ALLOWED_LATENESS_MS = 24 * 3_600_000;
/** How far behind the newest event overall an IP's events are kept at most (a quiet IP's last events). */
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;

export interface StreamOptions {
  config: CorrelatorConfig;
  rules: RuleDefinition[];
  decode: DecodeContext;
  /** How late (behind the newest event of its IP) an event may arrive and still match. */
  allowedLatenessMs: number;
  /** Events older than the newest event overall by more than this are dropped whatever their IP (default 30 days). */
  retentionMs?: number;
  /** Called for every alert created or updated (sinks, metrics). */
  onAlert?: (change: 'created' | 'updated' | 'withdrawn', alert: import('../alerts/document.js').AlertDocument) => void;
  now?: () => Date;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** The first few rejects, with their place. */
  errors: Array<{ where: string; reason: string; message: string }>;
  /** Accepted records already stored before (a retry): counted once. */
  duplicates: number;
  alertsCreated: number;
  alertsUpdated: number;
}

const MAX_ERRORS_REPORTED = 10;

/** A stable key for "the same source record": its id when it has one, else its content. */
function recordKey(d: DecodedEvent): string {
  const ev = d.event;
  const role = ev.crosswatch.role;
  if (ev.event.id !== undefined) return `${role}:${ev.event.dataset}:${ev.event.id}`;
  return `${role}:h:${createHash('sha256').update(JSON.stringify(ev)).digest('base64url')}`;
}

export class StreamPipeline {
  readonly counters = new Counters();
  private watermarkMs: number;

  constructor(private readonly store: SqliteStore, private readonly opts: StreamOptions) {
    const wm = store.getMeta('watermark_ms');
    this.watermarkMs = wm === undefined ? Number.NEGATIVE_INFINITY : Number(wm);
  }

  /** The latest event time seen (ms), or -Infinity before any event. */
  get watermark(): number {
    return this.watermarkMs;
  }

  /**
   * Decodes, stores and correlates one batch of framed records. Synchronous after
   * framing: when it returns, accepted records are committed and alerts are
   * queryable.
   */
  ingest(items: FramedItem[]): IngestResult {
    const res: IngestResult = { accepted: 0, rejected: 0, errors: [], duplicates: 0, alertsCreated: 0, alertsUpdated: 0 };
    const toStore: Array<{ key: string; decoded: DecodedEvent }> = [];
    const note = (where: string, reason: string, message: string): void => {
      res.rejected++;
      if (res.errors.length < MAX_ERRORS_REPORTED) res.errors.push({ where, reason, message });
    };
    // Dated records first: year-less text stamps (fast.log, syslog) take their
    // year from the data's own time — this batch's when it has dated records
    // (one export replayed), else the watermark — never from the wall clock.
    let latest = Number.NEGATIVE_INFINITY;
    const decoded = new Map<FramedItem, ReturnType<typeof decodeRecord>>();
    for (const item of items) {
      if (item.kind !== 'json' && item.kind !== 'csv') continue;
      const d = decodeRecord(item, this.opts.decode);
      decoded.set(item, d);
      if (d.result.ok && d.result.event.at.ms > latest) latest = d.result.event.at.ms;
    }
    if (!Number.isFinite(latest)) latest = this.watermarkMs;
    const textCtx = Number.isFinite(latest) ? { ...this.opts.decode, reference: { ms: latest, ns: 0 } } : this.opts.decode;
    for (const item of items) {
      if (item.kind === 'problem') {
        if (item.reason === 'empty-file') continue;
        this.counters.rejected(item.origin, null, item.reason, item.message);
        note(formatOrigin(item.origin), item.reason, item.message);
        continue;
      }
      const { decoder, result } = decoded.get(item) ?? decodeRecord(item, textCtx);
      if (!result.ok) {
        this.counters.rejected(item.origin, decoder, result.error.reason, result.error.message);
        note(formatOrigin(item.origin), result.error.reason, result.error.message);
        continue;
      }
      const role = result.event.event.crosswatch.role;
      this.counters.decoded(item.origin.source, decoder ?? 'unknown', role);
      res.accepted++;
      if (role !== 'other' && result.event.event.source?.ip) toStore.push({ key: recordKey(result.event), decoded: result.event });
    }
    if (toStore.length === 0) return res;
    const fresh = this.store.insertEvents(toStore);
    res.duplicates = toStore.length - fresh.length;
    let wm = this.watermarkMs;
    const touched = new Set<string>();
    for (const d of fresh) {
      if (d.at.ms > wm) wm = d.at.ms;
      touched.add(d.event.source!.ip!);
    }
    if (wm !== this.watermarkMs) {
      this.watermarkMs = wm;
      this.store.setMeta('watermark_ms', String(wm));
    }
    for (const ip of touched) {
      const r = this.correlateIp(ip);
      res.alertsCreated += r.created;
      res.alertsUpdated += r.updated;
    }
    return res;
  }

  /** Recomputes one IP's episodes from its stored events and stores their alerts. */
  correlateIp(ip: string): { created: number; updated: number } {
    if (!this.store.hasNetworkAlert(ip)) return { created: 0, updated: 0 };
    const c = new Correlator(this.opts.config);
    for (const d of this.store.eventsForIp(ip)) c.add(d);
    const byId = new Map(this.opts.rules.map((r) => [r.id, r]));
    const now = (this.opts.now ?? (() => new Date()))();
    let created = 0;
    let updated = 0;
    const produced = new Set<string>();
    for (const ep of c.finish()) {
      const rule = byId.get(ep.rule);
      if (!rule) continue;
      const doc = alertDocument(ep, rule, this.opts.config.windowMs, now);
      const r = this.store.upsertAlert(doc, this.opts.config.windowMs, now.toISOString());
      produced.add(r.id);
      if (r.change === 'unchanged') continue;
      if (r.change === 'created') created++;
      else updated++;
      const stored = this.store.getAlert(r.id);
      if (stored) this.opts.onAlert?.(r.change, stored.doc);
    }
    // Alerts raised earlier that the full evidence no longer supports (the IP
    // turned out to be shared infrastructure, say) are withdrawn, not left open.
    for (const id of this.store.withdrawAlertsExcept(ip, produced, 'withdrawn: later events no longer support it (e.g. the IP is shared by too many users)', now.toISOString())) {
      const stored = this.store.getAlert(id);
      if (stored) this.opts.onAlert?.('withdrawn', stored.doc);
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
   */
  evict(): number {
    const perIp = this.store.evictPerIp(this.opts.config.windowMs + this.opts.allowedLatenessMs);
    if (!Number.isFinite(this.watermarkMs)) return perIp;
    return perIp + this.store.evictBefore(this.watermarkMs - (this.opts.retentionMs ?? DEFAULT_RETENTION_MS));
  }
}
