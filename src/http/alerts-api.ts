// The alerts API: list (filtered, paged), one alert with its triage history, and
// triage (PATCH: status, note, who).
import type { FastifyPluginAsync } from 'fastify';
import { ALERT_STATUSES, TRIAGE_STATUSES, type AlertStatus, type SqliteStore, type StoredAlert } from '../store/sqlite-store.js';
import { callerOf } from './auth.js';

export interface AlertsApiOptions {
  store: SqliteStore;
}

type AlertQuery = Partial<Record<'limit' | 'cursor' | 'rule' | 'ip' | 'user' | 'status' | 'since' | 'until', string>>;
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
      ...(full ? { triage: a.triage } : {}),
    },
  };
}

/** What is wrong with a list query, as the 400 says it, or null. */
function queryError(q: AlertQuery): string | null {
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return 'limit must be a whole number from 1 to 1000';
  if (q.status !== undefined && !ALERT_STATUSES.includes(q.status as AlertStatus)) return `status must be one of ${ALERT_STATUSES.join(', ')}`;
  for (const k of ['since', 'until'] as const) {
    if (q[k] !== undefined && Number.isNaN(Date.parse(q[k]!))) return `${k} must be an ISO 8601 time`;
  }
  return null;
}

export const alertsApi: FastifyPluginAsync<AlertsApiOptions> = async (app, o) => {
  app.get<{ Querystring: AlertQuery }>('/api/v1/alerts', async (req, reply) => {
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
      return reply.code(400).send({ error: (err as Error).message });
    }
  });

  app.get<{ Params: AlertId }>('/api/v1/alerts/:id', async (req, reply) => {
    const a = o.store.getAlert(req.params.id);
    if (!a) return reply.code(404).send({ error: 'no such alert' });
    return apiAlert(a, true);
  });

  app.patch<{ Params: AlertId }>('/api/v1/alerts/:id', async (req, reply) => {
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
    const by = typeof b.by === 'string' && b.by.trim() !== '' ? b.by.slice(0, 200) : callerOf(req)?.name;
    const a = o.store.setStatus(req.params.id, b.status as AlertStatus, by, note, new Date().toISOString());
    if (!a) return reply.code(404).send({ error: 'no such alert' });
    return apiAlert(a, true);
  });
};
