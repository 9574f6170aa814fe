// The service's HTTP app (DESIGN.md §4): ingest, alerts API, triage, health and
// metrics. Built apart from `listen` so tests can also call app.inject().
// Every route but /healthz, /readyz and the sign-in form needs a scoped API token
// (access.ts) as a bearer token, or a browser session signed in with one
// (sessions.ts): alerts name users and addresses.
import fastifyCookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { decodeBody, type BodyError, type BodyTask, type DecodedBatch } from '../stream/stream-decode.js';
import { BodyBuffers } from './body-buffers.js';
import type { IngestPool } from './ingest-pool.js';
import { apiToken, findToken, hasScope, routeScope, SCOPES, type ApiToken, type Scope } from './access.js';
import { SessionStore } from './sessions.js';
import type { RuleDefinition } from '../detect/rules.js';
import { LOGIN_HTML, UI_CSP, UI_HTML, UI_JS } from './ui.js';
import type { StreamPipeline } from '../stream/stream.js';
import { ALERT_STATUSES, TRIAGE_STATUSES, type AlertStatus, type SqliteStore, type StoredAlert } from '../store/sqlite-store.js';

export interface AppOptions {
  rules?: RuleDefinition[];
  store: SqliteStore;
  pipeline: StreamPipeline;
  /** The API tokens, named and scoped (access.ts). */
  tokens?: readonly ApiToken[];
  /** One token with every scope, named `default` (tests; `--token`). */
  token?: string;
  /** Serve HTTPS with this certificate chain and key (PEM); the session cookie is then Secure. */
  https?: { cert: Buffer; key: Buffer };
  /** Browser sessions (default: kept in the store's SQLite file, 30 minutes idle, 12 hours at most). */
  sessions?: SessionStore;
  /** Largest request body accepted, compressed or not (413 beyond). */
  bodyLimit: number;
  /** Ingest workers that decode request bodies; without, bodies are decoded on the main thread. */
  pool?: IngestPool | null;
  logger?: boolean | object;
  /** Syslog senders refused so far (outside --syslog-allow), for /metrics. */
  syslogRefused?: () => number;
  /** Syslog TLS connections whose handshake failed (no or a foreign client certificate, not TLS), for /metrics. */
  syslogTlsRejected?: () => number;
}

/** Methods that change nothing: the browser session may use them from anywhere it is sent. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Largest sign-in form body: a token and its field name. */
const LOGIN_BODY_LIMIT = 4096;
/** Sign-in attempts per address per minute, right or wrong. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;
/** The browser session's cookie: its random id (sessions.ts), never a token. */
const SESSION_COOKIE = 'crosswatch_session';
/** The header that carries a session's CSRF token on every change the UI makes. */
const CSRF_HEADER = 'x-csrf-token';

/** Who made a request: a token (bearer) or a browser session signed in with one. */
interface Caller {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** The session's id and record, when it came with the session cookie. */
  session?: { id: string; csrf: string };
}
const callers = new WeakMap<FastifyRequest, Caller>();

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

export function metricsFor(pipeline: StreamPipeline, store: SqliteStore, syslogRefused?: () => number, syslogTlsRejected?: () => number): { registry: Registry; ingestLatency: Histogram } {
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
    name: 'crosswatch_syslog_tls_rejected_total', help: 'Syslog TLS connections whose handshake failed (no or a foreign client certificate, not TLS, too slow), closed.', registers: [registry],
    collect() {
      this.reset();
      this.inc(syslogTlsRejected?.() ?? 0);
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

/**
 * A store fault as a reply: the transaction was rolled back, so nothing of the
 * request was stored, and it may be sent again later. The store's disk full: 507
 * Insufficient Storage; the store read-only, its disk failing, or locked: 503.
 * Null for any other error (a bug stays a 500). With the store's file, a failed
 * write is told apart: SQLite says "disk I/O error" for a read-only file system too.
 */
export function storeFault(err: unknown, file?: string): { status: 503 | 507; error: string } | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const what = code === 'SQLITE_FULL' ? 'the disk holding the store is full'
    : /^SQLITE_READONLY/.test(code) ? 'the store cannot be written (read-only)'
      : /^SQLITE_(IOERR|CANTOPEN)/.test(code) ? 'the store\'s disk failed a read or write'
        : /^SQLITE_(BUSY|LOCKED)/.test(code) ? 'the store is locked by another process'
          : /^SQLITE_(CORRUPT|NOTADB)/.test(code) ? 'the store is damaged' : null;
  if (what === null) return null;
  let why = '';
  if (file && /^SQLITE_(IOERR|READONLY|CANTOPEN)/.test(code)) {
    const probe = join(dirname(file), '.crosswatch-write-probe');
    try {
      writeFileSync(probe, '');
      unlinkSync(probe);
    } catch (e) {
      why = (e as NodeJS.ErrnoException).code === 'EROFS' ? `; ${dirname(file)} is on a read-only file system` : `; ${(e as Error).message}`;
    }
  }
  return { status: code === 'SQLITE_FULL' ? 507 : 503, error: `${what} (${code}: ${(err as Error).message}${why}); nothing of this request was stored: send it again later` };
}

export function buildApp(o: AppOptions): FastifyInstance {
  // (Over HTTPS the instance is typed for https.Server; the routes do not care which.)
  const app = (o.https
    ? Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimit, https: o.https })
    : Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimit })) as unknown as FastifyInstance;
  const tokens = [...(o.tokens ?? []), ...(o.token !== undefined ? [apiToken('default', { token: o.token }, SCOPES)] : [])];
  if (tokens.length === 0) throw new Error('buildApp: no API token');
  const sessions = o.sessions ?? new SessionStore(o.store.db);
  const { registry, ingestLatency } = metricsFor(o.pipeline, o.store, o.syslogRefused, o.syslogTlsRejected);
  /** The last store fault (/readyz says not ready for 30 s after one, or until a commit goes through). */
  let faulted: { error: string; at: number } | null = null;
  app.setErrorHandler((err, req, reply) => {
    const f = storeFault(err, o.store.db.name);
    if (!f) throw err; // to Fastify's own handler
    faulted = { error: f.error, at: performance.now() };
    req.log.error({ err }, f.error);
    return reply.code(f.status).header('retry-after', '10').send({ error: f.error });
  });

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

  app.register(fastifyCookie);
  const signInPage = (reply: FastifyReply, code: number): FastifyReply =>
    reply.code(code).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', UI_CSP).send(LOGIN_HTML);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?', 1)[0] ?? '';
    const need = routeScope(req.method, path);
    if (need === null) return;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    let caller: Caller | null = null;
    if (bearer) {
      const t = findToken(bearer[1]!.trim(), tokens);
      if (t) caller = { name: t.name, scopes: t.scopes };
    } else {
      const id = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
      const s = id ? sessions.get(id) : null;
      if (s && id) caller = { name: s.name, scopes: s.scopes, session: { id, csrf: s.csrf } };
    }
    if (!caller) {
      // A person at the UI gets the sign-in form (it shows no data); programs get JSON.
      if (path === '/' && req.method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''))) {
        await signInPage(reply, 401);
        return;
      }
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token, or no browser session (sign in at /)' });
      return;
    }
    if (caller.session && !SAFE_METHODS.has(req.method)) {
      // The browser sends the cookie with any page's request, a foreign one's too (CSRF):
      // ingest never by cookie; other changes only from the service's own pages, with the
      // session's CSRF token, which only those pages can read.
      if (need === 'ingest') {
        await reply.code(403).send({ error: 'ingest takes a bearer token (Authorization: Bearer …), not the browser session' });
        return;
      }
      if (!sameHost(req.headers.origin, req.headers.host)) {
        await reply.code(403).send({ error: 'a change by the browser session must come from this service\'s own pages (Origin)' });
        return;
      }
      if (!SessionStore.csrfMatches(caller.session.csrf, req.headers[CSRF_HEADER])) {
        await reply.code(403).send({ error: `a change by the browser session needs its CSRF token (${CSRF_HEADER} header)` });
        return;
      }
    }
    if (need !== 'session' && !hasScope(caller.scopes, need)) {
      await reply.code(403).send({ error: `the token "${caller.name}" does not have the ${need} scope` });
      return;
    }
    callers.set(req, caller);
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
      const t = token ? findToken(token, tokens) : null;
      if (!t) return signInPage(reply, 401);
      // The UI shows alerts: a token that may only send records (a sensor's) cannot sign in.
      if (!hasScope(t.scopes, 'read')) return signInPage(reply, 403);
      // A new id at every sign-in (no session fixation); the old session, if any, ends.
      const old = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
      if (old) sessions.destroy(old);
      const { id } = sessions.create(t.name, t.scopes);
      return reply.code(303)
        .setCookie(SESSION_COOKIE, id, {
          httpOnly: true, sameSite: 'strict', path: '/', secure: req.protocol === 'https', maxAge: Math.floor(sessions.maxMs / 1000),
        })
        .header('location', '/')
        .send();
    });
  });
  // Sign-out: the session ends on the server, and the cookie is cleared.
  app.post('/logout', async (req, reply) => {
    const c = callers.get(req);
    if (c?.session) sessions.destroy(c.session.id);
    return reply.code(303).clearCookie(SESSION_COOKIE, { path: '/' }).header('location', '/').send();
  });
  // Who is signed in, and the session's CSRF token for the UI's changes.
  app.get('/api/v1/session', async (req) => {
    const c = callers.get(req)!;
    return { name: c.name, scopes: [...c.scopes], ...(c.session ? { csrf: c.session.csrf } : {}) };
  });
  const rules = (o.rules ?? []).map((r) => ({
    id: r.id, name: r.name, description: r.description, severity: r.severity, risk_score: r.risk_score, threat: r.threat, guide: r.guide, guide_html: guideHtml(r.guide),
  }));
  app.get('/api/v1/rules', async () => ({ rules }));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      o.store.getMeta('watermark_ms');
      if (faulted && performance.now() - faulted.at < 30_000) return reply.code(503).send({ status: 'not ready', error: faulted.error });
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'not ready', error: storeFault(err)?.error ?? (err as Error).message });
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
    faulted = null;
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
    // Who: as given (the analyst's name), else the token or session's name.
    const by = typeof b.by === 'string' && b.by.trim() !== '' ? b.by.slice(0, 200) : callers.get(req)?.name;
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
