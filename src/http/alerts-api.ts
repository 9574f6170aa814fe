// The alerts API: list (filtered, paged), one alert with its triage history, and
// triage (PATCH: status, note, who).
//
// The schemas document the API (they could make an OpenAPI page) and turn limit
// into a number. The 400s and their messages are the handlers' checks, in their
// order: the routes validate with attachValidation, so a schema's refusal never
// answers by itself, and a query the schema refuses but the checks let through (a
// repeated rule=) is served as it was before there were schemas. PATCH has no
// body schema: every body arrives as bytes (ingest.ts) and is read as JSON here.
import type { FastifyPluginAsync } from 'fastify';
import { ALERT_STATUSES, TRIAGE_STATUSES, type AlertStatus, type SqliteStore, type StoredAlert } from '../store/sqlite-store.js';
import { callerOf } from './auth.js';

export interface AlertsApiOptions {
  store: SqliteStore;
}

/** GET /api/v1/alerts's query. */
export const alertListQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Alerts per page' },
    cursor: { type: 'string', description: 'Where the page starts: the previous page\'s next' },
    rule: { type: 'string', description: 'Only this rule (its id or name)' },
    ip: { type: 'string', description: 'Only this source IP' },
    user: { type: 'string', description: 'Only alerts naming this user (any case)' },
    status: { type: 'string', enum: [...ALERT_STATUSES], description: 'Only this status (default: all but withdrawn)' },
    since: { type: 'string', description: 'Only alerts that end at or after this time (ISO 8601)' },
    until: { type: 'string', description: 'Only alerts that end at or before this time (ISO 8601)' },
  },
} as const;

/** An alert's address: /api/v1/alerts/:id. */
export const alertParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'The alert\'s id (its event.id)' } },
  required: ['id'],
} as const;

/** What PATCH /api/v1/alerts/:id reads from its JSON body (documentation: checked by the handler). */
export const triageBody = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: [...TRIAGE_STATUSES] },
    note: { type: 'string', description: 'Kept to its first 4,000 characters' },
    by: { type: 'string', description: 'Who (default: the token or session\'s name), to its first 200 characters' },
  },
  required: ['status'],
} as const;

/** The query as the handler gets it: limit is a number once the schema coerced it. */
type AlertQuery = Partial<Record<'cursor' | 'rule' | 'ip' | 'user' | 'status' | 'since' | 'until', string>> & { limit?: number | string };
type AlertId = { id: string };

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
      ...(a.supersededBy ? { superseded_by: a.supersededBy } : {}),
      ...(full ? { triage: a.triage } : {}),
    },
  };
}

/** What is wrong with a list query, as the 400 says it, or null. */
function queryError(q: AlertQuery): string | null {
  // A filter given twice (?rule=a&rule=b) arrives as a list: say so, rather than let SQLite's message out.
  for (const [k, v] of Object.entries(q)) if (Array.isArray(v)) return `${k} may be given once`;
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return 'limit must be a whole number from 1 to 1000';
  if (q.status !== undefined && !ALERT_STATUSES.includes(q.status as AlertStatus)) return `status must be one of ${ALERT_STATUSES.join(', ')}`;
  for (const k of ['since', 'until'] as const) {
    if (q[k] !== undefined && Number.isNaN(Date.parse(q[k]!))) return `${k} must be an ISO 8601 time`;
  }
  return null;
}

export const alertsApi: FastifyPluginAsync<AlertsApiOptions> = async (app, o) => {
  app.get<{ Querystring: AlertQuery }>('/api/v1/alerts', { schema: { querystring: alertListQuery }, attachValidation: true }, async (req, reply) => {
    const q = req.query;
    const bad = queryError(q);
    if (bad !== null) return reply.code(400).send({ error: bad });
    try {
      const page = o.store.listAlerts({
        limit: q.limit === undefined ? 100 : Number(q.limit), rule: q.rule, ip: q.ip, user: q.user, status: q.status as AlertStatus | undefined,
        since: q.since, until: q.until, cursor: q.cursor,
      });
      return { alerts: page.alerts.map((a) => apiAlert(a)), next: page.next };
    } catch (err) {
      // A cursor that is not one of ours is the caller's mistake; anything else (a full or
      // locked store) is the store's, for the fault handler (507/503, /readyz).
      if ((err as Error).message === 'invalid cursor') return reply.code(400).send({ error: 'invalid cursor' });
      throw err;
    }
  });

  app.get<{ Params: AlertId }>('/api/v1/alerts/:id', { schema: { params: alertParams }, attachValidation: true }, async (req, reply) => {
    const a = o.store.getAlert(req.params.id);
    if (!a) return reply.code(404).send({ error: 'no such alert' });
    return apiAlert(a, true);
  });

  app.patch<{ Params: AlertId }>('/api/v1/alerts/:id', { schema: { params: alertParams }, attachValidation: true }, async (req, reply) => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    } catch {
      return reply.code(400).send({ error: 'expected a JSON body {"status": "acknowledged", "note": "...", "by": "..."}' });
    }
    const b = (typeof body === 'object' && body !== null ? body : {}) as { status?: unknown; note?: unknown; by?: unknown };
    if (typeof b.status !== 'string' || !TRIAGE_STATUSES.includes(b.status as AlertStatus)) {
      return reply.code(400).send({ error: `status must be one of ${TRIAGE_STATUSES.join(', ')}` });
    }
    const note = typeof b.note === 'string' ? b.note.slice(0, 4000) : undefined;
    // Who: as given (the analyst's name), else the token or session's name.
    const by = typeof b.by === 'string' && b.by.trim() !== '' ? b.by.slice(0, 200) : callerOf(req)?.name;
    const a = o.store.setStatus(req.params.id, b.status as AlertStatus, by, note, new Date().toISOString());
    if (!a) return reply.code(404).send({ error: 'no such alert' });
    return apiAlert(a, true);
  });
};
