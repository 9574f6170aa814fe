// The service's HTTP app (DESIGN.md §4): ingest, alerts API, triage, health and
// metrics. Built apart from `listen` so tests can also call app.inject().
// Every route but /healthz and /readyz needs the bearer token: alerts name users
// and addresses.
import { timingSafeEqual, createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { decodeBody, type BodyError, type BodyTask, type DecodedBatch } from '../pipeline/stream-decode.js';
import { BodyBuffers } from './body-buffers.js';
import type { IngestPool } from './ingest-pool.js';
import type { RuleDefinition } from '../alerts/rules.js';
import { LOGIN_HTML, UI_CSP, UI_HTML, UI_JS } from './ui.js';
import type { StreamPipeline } from '../pipeline/stream.js';
import { ALERT_STATUSES, TRIAGE_STATUSES, type AlertStatus, type SqliteStore, type StoredAlert } from '../store/sqlite-store.js';

export interface AppOptions {
  rules?: RuleDefinition[];
  store: SqliteStore;
  pipeline: StreamPipeline;
  token: string;
  /** Largest request body accepted, compressed or not (413 beyond). */
  bodyLimit: number;
  /** Ingest workers that decode request bodies; without, bodies are decoded on the main thread. */
  pool?: IngestPool | null;
  logger?: boolean | object;
  /** Syslog senders refused so far (outside --syslog-allow), for /metrics. */
  syslogRefused?: () => number;
}

const OPEN_ROUTES = new Set(['/healthz', '/readyz']);
/** Methods that change nothing: the browser session may use them from anywhere it is sent. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Largest sign-in form body: a token and its field name. */
const LOGIN_BODY_LIMIT = 4096;
/** Sign-in attempts per address per minute, right or wrong. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;
/** The browser UI authenticates with this cookie (HttpOnly, SameSite=Strict), set by POST /login. */
const COOKIE = 'crosswatch_token';

/**
 * Whether a request's Origin names this service's host. (By host, not scheme: behind
 * a proxy that ends TLS the page is https while the service sees http.)
 */
function sameHost(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function cookieToken(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return null;
      }
    }
  }
  return null;
}

function sameToken(given: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** An alert as the API returns it: the ECS document with its triage state. */
function apiAlert(a: StoredAlert, full = false): Record<string, unknown> {
  const doc = a.doc;
  return {
    ...doc,
    crosswatch: {
      ...doc.crosswatch,
      status: a.status,
      version: a.version,
      updated_at: a.updatedAt,
      ...(full ? { triage: a.triage } : {}),
    },
  };
}

export function metricsFor(pipeline: StreamPipeline, store: SqliteStore, syslogRefused?: () => number): { registry: Registry; ingestLatency: Histogram } {
  const registry = new Registry();
  const c = pipeline.counters;
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
  new Gauge({
    name: 'crosswatch_state_events', help: 'Correlatable events held in the store.', registers: [registry],
    collect() {
      this.set(store.eventCount());
    },
  });
  new Counter({
    name: 'crosswatch_syslog_refused_total', help: 'Syslog datagrams and connections from senders outside --syslog-allow, dropped.', registers: [registry],
    collect() {
      this.reset();
      this.inc(syslogRefused?.() ?? 0);
    },
  });
  new Counter({
    name: 'crosswatch_events_future_total', help: 'Events dated further ahead of the receiving clock than the skew (15 min): held in quarantine until their time, moving nothing meanwhile.', registers: [registry],
    collect() {
      this.reset();
      this.inc(pipeline.futureEvents);
    },
  });
  new Gauge({
    name: 'crosswatch_quarantine_events', help: 'Events from the future held in quarantine now.', registers: [registry],
    collect() {
      this.set(pipeline.quarantinedEvents);
    },
  });
  new Counter({
    name: 'crosswatch_quarantine_released_total', help: 'Events released from quarantine when the clock reached them.', registers: [registry],
    collect() {
      this.reset();
      this.inc(pipeline.releasedEvents);
    },
  });
  new Counter({
    name: 'crosswatch_events_dropped_total', help: 'Events accepted but not stored, by reason (older than the retention; quarantine full).', labelNames: ['reason'], registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(pipeline.droppedEvents)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: 'crosswatch_eviction_last_run_timestamp_seconds', help: 'When the last eviction run finished (Unix time; 0 before the first).', registers: [registry],
    collect() {
      this.set(pipeline.eviction.lastRunMs / 1000);
    },
  });
  new Counter({
    name: 'crosswatch_eviction_rows_removed_total', help: 'Events removed by eviction (retention, per-IP window and lateness).', registers: [registry],
    collect() {
      this.reset();
      this.inc(pipeline.eviction.rowsRemoved);
    },
  });
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

// The investigation guides are markdown (rules/*.yaml): rendered here, once, and
// sanitised before the UI puts them on the page as HTML (the only HTML it takes
// from the server). Rule files are data users edit and share: raw HTML in them is
// shown as text (html: false), and whatever markdown makes is cut to a short
// allowlist, links to http(s) only.
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
const GUIDE_TAGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'ul', 'ol', 'li', 'code', 'pre', 'em', 'strong', 'a'];

/** A guide's markdown as sanitised HTML. */
export function guideHtml(text: string): string {
  return sanitizeHtml(markdown.render(text), {
    allowedTags: GUIDE_TAGS,
    allowedAttributes: { a: ['href', 'rel'] },
    allowedSchemes: ['http', 'https'],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ['href'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    // Every link opens without handing the page to the target.
    transformTags: { a: (tagName, attribs) => ({ tagName, attribs: { ...(attribs.href !== undefined ? { href: attribs.href } : {}), rel: 'noopener noreferrer' } }) },
  });
}

export function buildApp(o: AppOptions): FastifyInstance {
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimit });
  const { registry, ingestLatency } = metricsFor(o.pipeline, o.store, o.syslogRefused);

  // Bodies are framed by crosswatch itself (NDJSON, arrays, envelopes, CSV, syslog lines).
  // They are read into reused buffers (body-buffers.ts), each its own ArrayBuffer so it
  // can move to an ingest worker and back.
  const buffers = new BodyBuffers();
  /** Bodies on the ingest workers now (their commits are near). */
  let decoding = 0;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, payload, done) => {
    // The route's own limit: a few KiB for /login (read before anyone is signed in), else --body-limit.
    const limit = req.routeOptions.bodyLimit ?? o.bodyLimit;
    const tooLarge = (): Error => Object.assign(new Error(`request body larger than ${limit} bytes`), { statusCode: 413 });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      done(tooLarge(), undefined);
      return;
    }
    let ab = buffers.take(Number.isFinite(declared) && declared > 0 ? declared : Math.min(64 * 1024, limit));
    let buf = new Uint8Array(ab);
    let n = 0;
    let failed = false;
    payload.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (n + chunk.length > limit) {
        failed = true;
        done(tooLarge(), undefined);
        return;
      }
      if (n + chunk.length > buf.length) {
        // No (or a wrong) Content-Length: grow.
        const bigger = buffers.take(Math.max(n + chunk.length, buf.length * 2));
        new Uint8Array(bigger).set(buf.subarray(0, n));
        buffers.give(ab);
        ab = bigger;
        buf = new Uint8Array(ab);
      }
      buf.set(chunk, n);
      n += chunk.length;
    });
    payload.on('end', () => {
      if (!failed) done(null, Buffer.from(ab, 0, n));
    });
    payload.on('error', (err) => {
      if (!failed) {
        failed = true;
        done(err, undefined);
      }
    });
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?', 1)[0] ?? '';
    // /login takes the token in its body and checks it itself.
    if (OPEN_ROUTES.has(path) || (path === '/login' && req.method === 'POST')) return;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const given = m ? m[1]!.trim() : cookieToken(req.headers.cookie);
    if (given !== null && !m && sameToken(given, o.token) && !SAFE_METHODS.has(req.method)) {
      // The browser sends the cookie with any page's request, a foreign one's too (CSRF):
      // writes by cookie only from the service's own pages, and ingest never by cookie.
      if (path === '/api/v1/ingest') {
        await reply.code(403).send({ error: 'ingest takes the bearer token (Authorization: Bearer …), not the browser session' });
        return;
      }
      if (!sameHost(req.headers.origin, req.headers.host)) {
        await reply.code(403).send({ error: 'a change by the browser session must come from this service\'s own pages (Origin)' });
        return;
      }
    }
    if (given === null || !sameToken(given, o.token)) {
      // A person at the UI gets the sign-in form (it shows no data); programs get JSON.
      if (path === '/' && req.method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''))) {
        await reply.code(401).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', UI_CSP).send(LOGIN_HTML);
        return;
      }
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token' });
    }
  });

  app.get('/', async (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', UI_CSP).header('x-content-type-options', 'nosniff').send(UI_HTML));
  app.get('/ui.js', async (_req, reply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').header('x-content-type-options', 'nosniff').send(UI_JS));
  // Sign-in is the one route anyone may send a body to: a few KiB at most, and a few
  // attempts a minute per address (checked before the body is read). Registered in a
  // plugin of its own so that it loads after the rate limiter, whose route hook it needs.
  app.register(rateLimit, { global: false });
  app.register(async (scope) => {
    scope.post('/login', { bodyLimit: LOGIN_BODY_LIMIT, config: { rateLimit: { max: LOGIN_ATTEMPTS_PER_MINUTE, timeWindow: 60_000 } } }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const token = new URLSearchParams(body).get('token') ?? '';
      if (!token || !sameToken(token, o.token)) {
        return reply.code(401).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', UI_CSP).send(LOGIN_HTML);
      }
      return reply.code(303)
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
        .header('location', '/')
        .send();
    });
  });
  const rules = (o.rules ?? []).map((r) => ({
    id: r.id, name: r.name, description: r.description, severity: r.severity, risk_score: r.risk_score, threat: r.threat, guide: r.guide, guide_html: guideHtml(r.guide),
  }));
  app.get('/api/v1/rules', async () => ({ rules }));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      o.store.getMeta('watermark_ms');
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'not ready', error: (err as Error).message });
    }
  });

  app.post('/api/v1/ingest', async (req, reply) => {
    const started = process.hrtime.bigint();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(new ArrayBuffer(0));
    const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
    const gzip = enc === 'gzip' || enc === 'x-gzip';
    if (!gzip && enc !== '' && enc !== 'identity') return reply.code(415).send({ error: `unsupported Content-Encoding ${enc}` });
    // Framing and decoding run on an ingest worker when there are workers; the
    // main thread stores and correlates (grouped with the requests decoded meanwhile).
    const task: BodyTask = {
      body, gzip, display: `request ${req.id}`, source: 'http', decode: o.pipeline.decodeContext,
      watermarkMs: o.pipeline.watermark, maxBytes: o.bodyLimit * 8,
    };
    let decoded: DecodedBatch | BodyError;
    if (o.pool) {
      decoding++;
      const d = await o.pool.decode(task).finally(() => { decoding--; });
      if (d.body) buffers.give(d.body);
      decoded = d.result;
    } else {
      decoded = await decodeBody(task);
      buffers.give(body.buffer as ArrayBuffer);
    }
    if ('status' in decoded) return reply.code(decoded.status).send({ error: decoded.error });
    // Bodies still on the workers will want a commit soon: this one may wait for them.
    const res = await o.pipeline.submit(decoded, decoding > 0);
    ingestLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return reply.code(200).send({
      accepted: res.accepted,
      rejected: res.rejected,
      stored: res.stored,
      duplicates: res.duplicates,
      quarantined: res.quarantined,
      dropped: res.dropped,
      errors: res.errors,
      alerts: { created: res.alertsCreated, updated: res.alertsUpdated },
    });
  });

  app.get('/api/v1/alerts', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return reply.code(400).send({ error: 'limit must be a whole number from 1 to 1000' });
    if (q.status !== undefined && !ALERT_STATUSES.includes(q.status as AlertStatus)) {
      return reply.code(400).send({ error: `status must be one of ${ALERT_STATUSES.join(', ')}` });
    }
    for (const k of ['since', 'until'] as const) {
      if (q[k] !== undefined && Number.isNaN(Date.parse(q[k]!))) return reply.code(400).send({ error: `${k} must be an ISO 8601 time` });
    }
    try {
      const page = o.store.listAlerts({
        limit, rule: q.rule, ip: q.ip, user: q.user, status: q.status as AlertStatus | undefined,
        since: q.since, until: q.until, cursor: q.cursor,
      });
      return { alerts: page.alerts.map((a) => apiAlert(a)), next: page.next };
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });

  app.get('/api/v1/alerts/:id', async (req, reply) => {
    const a = o.store.getAlert((req.params as { id: string }).id);
    if (!a) return reply.code(404).send({ error: 'no such alert' });
    return apiAlert(a, true);
  });

  app.patch('/api/v1/alerts/:id', async (req, reply) => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    } catch {
      return reply.code(400).send({ error: 'expected a JSON body {"status": "acknowledged", "note": "...", "by": "..."}' });
    }
    const b = body as { status?: unknown; note?: unknown; by?: unknown };
    if (typeof b.status !== 'string' || !TRIAGE_STATUSES.includes(b.status as AlertStatus)) {
      return reply.code(400).send({ error: `status must be one of ${TRIAGE_STATUSES.join(', ')}` });
    }
    const note = typeof b.note === 'string' ? b.note.slice(0, 4000) : undefined;
    const by = typeof b.by === 'string' ? b.by.slice(0, 200) : undefined;
    const a = o.store.setStatus((req.params as { id: string }).id, b.status as AlertStatus, by, note, new Date().toISOString());
    if (!a) return reply.code(404).send({ error: 'no such alert' });
    return apiAlert(a, true);
  });

  const startedAt = Date.now();
  app.get('/api/v1/status', async () => {
    const c = o.pipeline.counters;
    const wm = o.pipeline.watermark;
    return {
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      watermark: Number.isFinite(wm) ? new Date(wm).toISOString() : null,
      watermark_lag_s: Number.isFinite(wm) ? Math.round((Date.now() - wm) / 1000) : null,
      records: { total: c.totalRecords, rejected: c.totalRejected, by_role: c.roles },
      rejects: Object.fromEntries(c.rejects),
      sources: Object.fromEntries([...c.sources].map(([k, v]) => [k, { records: v.records, rejected: v.rejected, by_decoder: v.byDecoder }])),
      state_events: o.store.eventCount(),
      quarantine: quarantineStatus(o.pipeline, o.store),
      dropped: Object.fromEntries(Object.entries(o.pipeline.droppedEvents).filter(([, n]) => n > 0)),
      alerted_ips: o.pipeline.alertedIps,
      memory_mb: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1e5) / 10])),
      alerts: o.store.alertCounts(),
      outbox: o.store.outboxBacklog(),
    };
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });

  return app;
}
