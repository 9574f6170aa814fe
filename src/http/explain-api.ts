// GET /api/v1/explain/:ip: why each rule did or did not fire for one source IP
// (issue #17 item 8), over the IP's stored events — detect/explain.ts, as
// `crosswatch explain` prints it, with serve's rules and settings. Needs the
// read scope (access.ts: every GET reads), as the alerts do: it names users.
//
// What serve can explain is what it stores: network alerts and successful
// sign-ins and mail accesses, from the IP's eviction horizon on. Failed sign-ins
// are never stored (stream-decode.ts), so, unlike the CLI over the exports,
// the answer cannot list them; the reply says so (source.note).
//
// The general Sigma rules serve runs (`general`, src/stream/general-stream.ts)
// are explained over the records of the IP they took (stored whole, from the
// IP's general eviction horizon on); those serve does not run (correlations not
// grouped by source.ip) are listed as not run by serve, with why.
import type { FastifyPluginAsync } from 'fastify';
import type { CorrelatorConfig } from '../detect/config.js';
import { explainIp, type IpExplanation } from '../detect/explain.js';
import type { RuleDefinition } from '../detect/rules.js';
import { canonicalIp } from '../model/ip.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { StreamPipeline } from '../stream/stream.js';
import type { ServedGeneral } from '../stream/general-stream.js';

export interface ExplainApiOptions {
  store: SqliteStore;
  rules: readonly RuleDefinition[];
  /** The correlator settings serve runs with (read at each request). */
  config: () => CorrelatorConfig;
  /** The general Sigma rules serve runs (read at each request: a reload changes them). */
  general?: () => ServedGeneral | null;
}

/** The address: /api/v1/explain/:ip (any spelling canonicalIp reads, URL-encoded). */
export const explainParams = {
  type: 'object',
  properties: { ip: { type: 'string', minLength: 1, maxLength: 256, description: 'The source IP (IPv4, or IPv6 URL-encoded or not)' } },
  required: ['ip'],
} as const;

export const STORED_NOTE =
  'serve stores only network alerts and successful sign-ins and mail accesses (and the records its general Sigma rules take), ' +
  'from the IP\'s eviction horizon on: other records (failed sign-ins no rule takes, events already evicted) are not here; ' +
  'crosswatch explain over the exported logs lists them';

/** `events`: the correlator's stored events of the IP; `generalEvents`: the general rules' stored records of it. */
export type ExplainReply = IpExplanation & { source: { kind: 'stored'; events: number; generalEvents?: number; note: string } };

/**
 * The correlator settings serve runs with, when the app was not given them:
 * the pipeline's own (StreamPipeline keeps them in its options, which it does
 * not expose), so the explanation is made with exactly what made the alerts.
 */
export function pipelineConfig(pipeline: StreamPipeline): CorrelatorConfig {
  return (pipeline as unknown as { opts: { config: CorrelatorConfig } }).opts.config;
}

export const explainApi: FastifyPluginAsync<ExplainApiOptions> = async (app, o) => {
  app.get<{ Params: { ip: string } }>('/api/v1/explain/:ip', { schema: { params: explainParams }, attachValidation: true }, async (req, reply) => {
    const given = typeof req.params.ip === 'string' ? req.params.ip : '';
    const ip = canonicalIp(given);
    if (ip === null) return reply.code(400).send({ error: `not an IP address: ${JSON.stringify(given.slice(0, 100))}` });
    const events = o.store.eventsForIp(ip);
    const served = o.general?.() ?? null;
    const generalEvents = served ? o.store.generalEventsForIp(ip) : [];
    const x = explainIp(ip, events, o.rules, o.config(), served ? { general: served.rules, generalEvents } : {});
    if (x.general && served) {
      const notRun = new Map(served.notServed.map((n) => [n.id, n]));
      x.general = x.general.map((g) => {
        const n = notRun.get(g.id);
        return n ? { kind: 'not-run', id: g.id, name: g.name, fired: null, summary: `not run by serve: ${n.why}`, reasons: [] } : g;
      });
    }
    const out: ExplainReply = { ...x, source: { kind: 'stored', events: events.length, ...(served ? { generalEvents: generalEvents.length } : {}), note: STORED_NOTE } };
    return out;
  });
};
