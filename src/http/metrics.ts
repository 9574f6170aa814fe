// What the service tells about itself: Prometheus metrics (GET /metrics), the
// status page (GET /api/v1/status), and liveness and readiness for an
// orchestrator (GET /healthz, GET /readyz: no token needed).
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { StreamPipeline } from '../stream/stream.js';
import { storeFault, type StoreHealth } from './faults.js';

/** The metrics registry: what is counted lives in the pipeline and the store, read at each scrape. */
export function metricsFor(pipeline: StreamPipeline, store: SqliteStore, syslogRefused?: () => number, syslogTlsRejected?: () => number): { registry: Registry; ingestLatency: Histogram } {
  const registry = new Registry();
  const c = pipeline.counters;
  // A number read at each scrape, as a gauge or as a counter (a total kept elsewhere).
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  };
  const total = (name: string, help: string, read: () => number): void => {
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  };
  new Counter({
    name: 'crosswatch_records_total', help: 'Records decoded, by source and decoder.', labelNames: ['source', 'decoder'], registers: [registry],
    collect() {
      this.reset();
      for (const [source, s] of c.sources) for (const [decoder, n] of Object.entries(s.byDecoder)) this.inc({ source, decoder }, n);
    },
  });
  new Counter({
    name: 'crosswatch_records_rejected_total', help: 'Records rejected, by reason.', labelNames: ['reason'], registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of c.rejects) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'crosswatch_events_total', help: 'Decoded events, by role.', labelNames: ['role'], registers: [registry],
    collect() {
      this.reset();
      for (const [role, n] of Object.entries(c.roles)) this.inc({ role }, n);
    },
  });
  new Gauge({
    name: 'crosswatch_alerts', help: 'Stored alerts, by rule and status.', labelNames: ['rule', 'status'], registers: [registry],
    collect() {
      this.reset();
      for (const r of store.alertCounts()) this.set({ rule: r.rule, status: r.status }, r.n);
    },
  });
  new Gauge({
    name: 'crosswatch_watermark_lag_seconds', help: 'Wall clock minus the latest event time seen.', registers: [registry],
    collect() {
      const wm = pipeline.watermark;
      this.set(Number.isFinite(wm) ? (Date.now() - wm) / 1000 : 0);
    },
  });
  new Gauge({
    name: 'crosswatch_outbox_pending', help: 'Alert changes waiting for delivery, by sink.', labelNames: ['sink'], registers: [registry],
    collect() {
      this.reset();
      for (const r of store.outboxBacklog()) this.set({ sink: r.sink }, r.n);
    },
  });
  gauge('crosswatch_state_events', 'Correlatable events held in the store.', () => store.eventCount());
  total('crosswatch_syslog_refused_total', 'Syslog datagrams and connections from senders outside --syslog-allow, dropped.', () => syslogRefused?.() ?? 0);
  total('crosswatch_syslog_tls_rejected_total', 'Syslog TLS connections whose handshake failed (no or a foreign client certificate, not TLS, too slow), closed.', () => syslogTlsRejected?.() ?? 0);
  total('crosswatch_events_future_total', 'Events dated further ahead of the receiving clock than the skew (15 min): held in quarantine until their time, moving nothing meanwhile.', () => pipeline.futureEvents);
  gauge('crosswatch_quarantine_events', 'Events from the future held in quarantine now.', () => pipeline.quarantinedEvents);
  total('crosswatch_quarantine_released_total', 'Events released from quarantine when the clock reached them.', () => pipeline.releasedEvents);
  new Counter({
    name: 'crosswatch_events_dropped_total', help: 'Events accepted but not stored, by reason (older than the retention; quarantine full).', labelNames: ['reason'], registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(pipeline.droppedEvents)) this.inc({ reason }, n);
    },
  });
  gauge('crosswatch_eviction_last_run_timestamp_seconds', 'When the last eviction run finished (Unix time; 0 before the first).', () => pipeline.eviction.lastRunMs / 1000);
  total('crosswatch_eviction_rows_removed_total', 'Events removed by eviction (retention, per-IP window and lateness).', () => pipeline.eviction.rowsRemoved);
  gauge('crosswatch_general_records', 'Records kept for the general Sigma rules (whole, until eviction).', () => store.generalEventCount());
  gauge('crosswatch_general_pending_ips', 'IPs whose general Sigma correlations wait for their recomputation (a growing number: it falls behind).', () => store.generalDirtyCount());
  const ingestLatency = new Histogram({
    name: 'crosswatch_ingest_seconds', help: 'Time to accept one ingest request (decode, commit, correlate).',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  return { registry, ingestLatency };
}

/** What the quarantine holds (records dated ahead of this service's clock), for status. */
function quarantineStatus(pipeline: StreamPipeline, store: SqliteStore): Record<string, unknown> {
  const q = store.quarantineSummary();
  const when = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return { events: q.events, earliest: when(q.earliestMs), latest: when(q.latestMs), arrived: pipeline.futureEvents, released: pipeline.releasedEvents };
}

export interface ObservabilityOptions {
  pipeline: StreamPipeline;
  store: SqliteStore;
  registry: Registry;
  /** When the service started (Date.now()), for uptime. */
  startedAt: number;
}

/** GET /api/v1/status and GET /metrics. */
export const observability: FastifyPluginAsync<ObservabilityOptions> = async (app, o) => {
  app.get('/api/v1/status', async () => {
    const c = o.pipeline.counters;
    const wm = o.pipeline.watermark;
    return {
      uptime_s: Math.round((Date.now() - o.startedAt) / 1000),
      watermark: Number.isFinite(wm) ? new Date(wm).toISOString() : null,
      watermark_lag_s: Number.isFinite(wm) ? Math.round((Date.now() - wm) / 1000) : null,
      records: { total: c.totalRecords, rejected: c.totalRejected, by_role: c.roles },
      rejects: Object.fromEntries(c.rejects),
      sources: Object.fromEntries([...c.sources].map(([k, v]) => [k, { records: v.records, rejected: v.rejected, by_decoder: v.byDecoder }])),
      state_events: o.store.eventCount(),
      quarantine: quarantineStatus(o.pipeline, o.store),
      dropped: Object.fromEntries(Object.entries(o.pipeline.droppedEvents).filter(([, n]) => n > 0)),
      alerted_ips: o.pipeline.alertedIps,
      general: o.pipeline.servedGeneral ? { records: o.store.generalEventCount(), pending_ips: o.store.generalDirtyCount() } : null,
      memory_mb: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1e5) / 10])),
      alerts: o.store.alertCounts(),
      outbox: o.store.outboxBacklog(),
    };
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', o.registry.contentType).send(await o.registry.metrics());
  });
};

export interface HealthOptions {
  store: SqliteStore;
  health: StoreHealth;
}

const healthReply = { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] } as const;
const readyReply = { type: 'object', properties: { status: { type: 'string', enum: ['ready'] } }, required: ['status'] } as const;
const notReadyReply = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['not ready'] }, error: { type: 'string', description: 'Why: the store fault' } },
} as const;

/**
 * GET /healthz (the process answers) and GET /readyz (the store can be read, and
 * no store fault in the last 30 s unless a commit went through since: 503 else).
 */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, o) => {
  app.get('/healthz', { schema: { response: { 200: healthReply } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: readyReply, 503: notReadyReply } } }, async (_req, reply) => {
    try {
      o.store.getMeta('watermark_ms');
      const fault = o.health.recentFault();
      if (fault !== null) return reply.code(503).send({ status: 'not ready', error: fault });
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'not ready', error: storeFault(err)?.error ?? (err as Error).message });
    }
  });
};
