// The service's HTTP app (DESIGN.md §4): ingest, alerts API, triage, health and
// metrics. Built apart from `listen` so tests can also call app.inject().
// Every route but /healthz, /readyz and the sign-in form needs a scoped API token
// (access.ts) as a bearer token, or a browser session signed in with one
// (sessions.ts): alerts name users and addresses.
//
// Each part is a Fastify plugin of its own file; the order below matters. The
// first three act on every route, so they are the root's (root-plugin.ts) and come
// first: each route's plugin copies the root's error handler, content-type parser
// and hooks when it loads.
import Fastify, { type FastifyInstance } from 'fastify';
import type { RuleDefinition } from '../detect/rules.js';
import type { CorrelatorConfig } from '../detect/config.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { StreamPipeline } from '../stream/stream.js';
import { apiToken, SCOPES, type ApiToken } from './access.js';
import { alertsApi } from './alerts-api.js';
import { explainApi, pipelineConfig } from './explain-api.js';
import { authentication, sessionRoutes } from './auth.js';
import { BodyBuffers } from './body-buffers.js';
import { StoreHealth, storeFaults } from './faults.js';
import { ingestRoute, rawBodies } from './ingest.js';
import type { IngestPool } from './ingest-pool.js';
import { healthRoutes, metricsFor, observability } from './metrics.js';
import { SessionStore } from './sessions.js';
import { uiRoutes } from './ui-routes.js';

export { metricsFor } from './metrics.js';
export { guideHtml } from './ui-routes.js';
export { storeFault } from './faults.js';

export interface AppOptions {
  rules?: RuleDefinition[];
  /** The correlator settings, for GET /api/v1/explain/:ip (default: the pipeline's own). */
  config?: CorrelatorConfig;
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

export function buildApp(o: AppOptions): FastifyInstance {
  // (Over HTTPS the instance is typed for https.Server; the routes do not care which.)
  const app = (o.https
    ? Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimit, https: o.https })
    : Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimit })) as unknown as FastifyInstance;
  const tokens = [...(o.tokens ?? []), ...(o.token !== undefined ? [apiToken('default', { token: o.token }, SCOPES)] : [])];
  if (tokens.length === 0) throw new Error('buildApp: no API token');
  const sessions = o.sessions ?? new SessionStore(o.store.db);
  const { registry, ingestLatency } = metricsFor(o.pipeline, o.store, o.syslogRefused, o.syslogTlsRejected);
  const health = new StoreHealth();
  const buffers = new BodyBuffers();
  const startedAt = Date.now();

  // The root's: the error handler (store faults), the body reader, the token or session check.
  app.register(storeFaults, { health, file: o.store.db.name });
  app.register(rawBodies, { bodyLimit: o.bodyLimit, buffers });
  app.register(authentication, { tokens, sessions });
  // The routes.
  app.register(uiRoutes, { rules: o.rules ?? [], general: () => o.pipeline.servedGeneral });
  app.register(sessionRoutes, { tokens, sessions });
  app.register(healthRoutes, { store: o.store, health });
  app.register(ingestRoute, { pipeline: o.pipeline, pool: o.pool, bodyLimit: o.bodyLimit, buffers, ingestLatency, health });
  app.register(alertsApi, { store: o.store });
  app.register(explainApi, { store: o.store, rules: o.rules ?? [], config: () => o.config ?? pipelineConfig(o.pipeline), general: () => o.pipeline.servedGeneral });
  app.register(observability, { pipeline: o.pipeline, store: o.store, registry, startedAt });
  return app;
}
