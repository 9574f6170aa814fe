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
// serve does not run the rules of hunt's general Sigma path (serve names them
// when it starts): given them (`general`), the reply lists each as not run by
// serve, with `crosswatch explain` over the exports as the way to explain it.
import type { FastifyPluginAsync } from 'fastify';
import type { CorrelatorConfig } from '../detect/config.js';
import { explainIp, type IpExplanation } from '../detect/explain.js';
import { notRunBy } from '../detect/explain-general.js';
import type { GeneralRules } from '../detect/general.js';
import type { RuleDefinition } from '../detect/rules.js';
import { canonicalIp } from '../model/ip.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { StreamPipeline } from '../stream/stream.js';

export interface ExplainApiOptions {
  store: SqliteStore;
  rules: readonly RuleDefinition[];
  /** The correlator settings serve runs with (read at each request). */
  config: () => CorrelatorConfig;
  /** The general Sigma path's rules serve loaded and does not run (read at each request: a reload changes them). */
  general?: () => GeneralRules | null;
}

export const NOT_RUN_NOTE = 'it runs only the correlator\'s rules (a network alert, then a sign-in or mail access); ' +
  'hunt runs this one: crosswatch explain over the exported logs explains it';

/** The address: /api/v1/explain/:ip (any spelling canonicalIp reads, URL-encoded). */
export const explainParams = {
  type: 'object',
  properties: { ip: { type: 'string', minLength: 1, maxLength: 256, description: 'The source IP (IPv4, or IPv6 URL-encoded or not)' } },
  required: ['ip'],
} as const;

export const STORED_NOTE =
  'serve stores only network alerts and successful sign-ins and mail accesses, from the IP\'s eviction horizon on: ' +
  'failed sign-ins (and events already evicted) are not here; crosswatch explain over the exported logs lists them';

export type ExplainReply = IpExplanation & { source: { kind: 'stored'; events: number; note: string } };

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
    const x = explainIp(ip, events, o.rules, o.config());
    const general = o.general?.() ?? null;
    const out: ExplainReply = { ...x, ...(general ? { general: notRunBy(general, 'serve', NOT_RUN_NOTE) } : {}), source: { kind: 'stored', events: events.length, note: STORED_NOTE } };
    return out;
  });
};
