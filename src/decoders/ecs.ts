// ECS documents, as exported from Elasticsearch / Kibana (nested, flattened dotted
// keys or a mix; also CSV exports with dotted column names): Entra sign-ins and
// O365 audit documents of Elastic's integrations, and alerts (`event.kind` alert
// or signal) of non-identity datasets, which are network alerts here.
import { MAX_AUTH_STEPS, type AuthenticationStep, type Geo, type NormalizedEvent, type O365AuditIds, type Outcome, type Role, type SigninProperties } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant } from '../model/time.js';
import type { DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { field, first, isObject, looksLikeEmail, num, port, present, readTime, str } from './fields.js';

const NAME = 'ecs';

// Identity-provider datasets: their alerts (risky sign-ins, impossible travel) are
// not network alerts (DESIGN.md §1.4).
const IDENTITY_DATASET_PREFIXES = ['azure.', 'o365.', 'o365_metrics.', 'okta.', 'entityanalytics', 'google_workspace.', 'microsoft_entra', 'm365_defender.', 'jumpcloud.', 'onelogin.', 'duo.', 'ping_one.', 'auth0.'];
const IDENTITY_MODULES = new Set(['azure', 'o365', 'okta', 'google_workspace', 'entityanalytics_entra_id', 'entityanalytics_okta', 'microsoft_entra']);

function isIdentity(dataset: string | undefined, module: string | undefined): boolean {
  if (dataset !== undefined) {
    const d = dataset.toLowerCase();
    if (IDENTITY_DATASET_PREFIXES.some((p) => d.startsWith(p))) return true;
    if (d === 'azure' || d === 'o365' || d === 'okta' || d === 'google_workspace') return true;
  }
  return module !== undefined && IDENTITY_MODULES.has(module.toLowerCase());
}

/** Reads a string from a field that an export may have written as a one-element array. */
function s(doc: unknown, path: string, max?: number): string | undefined {
  return str(first(field(doc, path)), max);
}

function sFirst(doc: unknown, paths: readonly string[], max?: number): string | undefined {
  for (const p of paths) {
    const v = s(doc, p, max);
    if (v !== undefined) return v;
  }
  return undefined;
}

function ipOf(doc: unknown, paths: readonly string[]): string | undefined {
  for (const p of paths) {
    const ip = canonicalIp(first(field(doc, p)));
    if (ip !== null) return ip;
  }
  return undefined;
}

function strList(v: unknown): string[] | undefined {
  const list = (Array.isArray(v) ? v : [v]).map((x) => str(x, 64)).filter((x): x is string => x !== undefined);
  return list.length > 0 ? list.slice(0, 16) : undefined;
}

function outcomeWord(v: string | undefined): Outcome | undefined {
  const o = v?.toLowerCase();
  return o === 'success' || o === 'failure' || o === 'unknown' ? o : undefined;
}

const O365_SUCCESS = new Set(['succeeded', 'success', 'partiallysucceeded', 'true']);
const O365_FAILURE = new Set(['failed', 'false', 'failure']);

function signinOutcome(doc: unknown): Outcome {
  const o = outcomeWord(s(doc, 'event.outcome'));
  if (o !== undefined) return o;
  const code = num(first(field(doc, 'azure.signinlogs.properties.status.error_code')));
  if (code !== undefined) return code === 0 ? 'success' : 'failure';
  const rt = s(doc, 'azure.signinlogs.result_type', 32);
  if (rt !== undefined) return rt === '0' ? 'success' : 'failure';
  return 'unknown';
}

function o365Outcome(doc: unknown, action: string | undefined): Outcome {
  if (action?.toLowerCase() === 'userloginfailed') return 'failure';
  const status = s(doc, 'o365.audit.ResultStatus', 64)?.toLowerCase();
  if (status !== undefined) {
    if (O365_SUCCESS.has(status)) return 'success';
    if (O365_FAILURE.has(status)) return 'failure';
    return 'unknown';
  }
  return outcomeWord(s(doc, 'event.outcome')) ?? 'unknown';
}

const SIGNIN = 'azure.signinlogs.properties.';

/** A boolean written as true/false or "true"/"false" (CSV exports). */
function bool(v: unknown): boolean | undefined {
  const x = first(v);
  if (typeof x === 'boolean') return x;
  if (typeof x === 'string' && /^(true|false)$/i.test(x.trim())) return x.trim().toLowerCase() === 'true';
  return undefined;
}

/** Elastic's azure.signinlogs.properties.*: MFA requirement and steps, conditional access, risk, app id. */
function signinProperties(doc: unknown): SigninProperties | undefined {
  const p: SigninProperties = {};
  const set = (key: Exclude<keyof SigninProperties, 'authentication_details' | 'mfa_detail'>, max = 64): void => {
    const v = s(doc, SIGNIN + key, max);
    if (v !== undefined) p[key] = v;
  };
  set('authentication_requirement');
  const list = field(doc, `${SIGNIN}authentication_details`);
  if (Array.isArray(list)) {
    const steps: AuthenticationStep[] = [];
    for (const item of list.slice(0, MAX_AUTH_STEPS)) {
      const step: AuthenticationStep = {};
      for (const k of ['authentication_method', 'authentication_method_detail', 'authentication_step_requirement', 'authentication_step_result_detail'] as const) {
        const v = s(item, k, 256);
        if (v !== undefined) step[k] = v;
      }
      const ok = bool(field(item, 'succeeded'));
      if (ok !== undefined) step.succeeded = ok;
      if (Object.keys(step).length > 0) steps.push(step);
    }
    if (steps.length > 0) p.authentication_details = steps;
  }
  const method = s(doc, `${SIGNIN}mfa_detail.auth_method`, 256);
  const detail = s(doc, `${SIGNIN}mfa_detail.auth_detail`, 256);
  if (method !== undefined || detail !== undefined) {
    p.mfa_detail = {};
    if (method !== undefined) p.mfa_detail.auth_method = method;
    if (detail !== undefined) p.mfa_detail.auth_detail = detail;
  }
  set('conditional_access_status');
  set('risk_level_during_signin');
  set('risk_state');
  set('risk_level_aggregated');
  set('risk_detail');
  set('app_id', 256);
  return Object.keys(p).length > 0 ? p : undefined;
}

/**
 * source.geo.*; for an Entra document, else Elastic's geo.* (Entra's own location;
 * some pipeline versions wrote the state as geo.country_name, so that one is not read).
 */
function geoOf(doc: unknown, signin: boolean): Geo | undefined {
  const geo: Geo = {};
  for (const k of ['city_name', 'region_name', 'country_iso_code', 'country_name'] as const) {
    const v = s(doc, `source.geo.${k}`, 256) ?? (signin && k !== 'country_name' ? s(doc, `geo.${k}`, 256) : undefined);
    if (v !== undefined) geo[k] = v;
  }
  return Object.keys(geo).length > 0 ? geo : undefined;
}

/** Elastic's o365.audit application ids and ClientInfoString, bounded. */
function o365Ids(doc: unknown): O365AuditIds | undefined {
  const ids: O365AuditIds = {};
  for (const k of ['AppId', 'ClientAppId', 'ApplicationId'] as const) {
    const v = s(doc, `o365.audit.${k}`, 256);
    if (v !== undefined) ids[k] = v;
  }
  const info = s(doc, 'o365.audit.ClientInfoString');
  if (info !== undefined) ids.ClientInfoString = info;
  return Object.keys(ids).length > 0 ? ids : undefined;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind === 'text') return reject('unknown-format', 'ecs reads JSON documents and CSV rows only');
  const doc: Record<string, unknown> = record.value;

  const dataset = sFirst(doc, ['event.dataset', 'data_stream.dataset'], 128);
  const module = s(doc, 'event.module', 64);
  const kindWord = s(doc, 'event.kind', 32)?.toLowerCase();
  const action = s(doc, 'event.action');
  const isAlertKind = kindWord === 'alert' || kindWord === 'signal';
  const ds = dataset?.toLowerCase();

  let role: Role = 'other';
  let outcome: Outcome | undefined = outcomeWord(s(doc, 'event.outcome'));
  let category: string | undefined;
  if (isAlertKind) {
    // Alerts raised on identity data (risky sign-in, impossible travel) are neither
    // network alerts nor the sign-ins themselves.
    if (!isIdentity(dataset, module)) role = 'network_alert';
    category = dataset;
  } else if (ds === 'azure.signinlogs') {
    role = 'signin';
    outcome = signinOutcome(doc);
    category = s(doc, 'azure.signinlogs.category', 128) ?? 'SignInLogs';
  } else if (ds === 'o365.audit') {
    const op = action?.toLowerCase();
    const workload = sFirst(doc, ['o365.audit.Workload', 'event.provider'], 64)?.toLowerCase();
    if (op === 'mailitemsaccessed') role = 'mail_access';
    else if ((op === 'userloggedin' || op === 'userloginfailed') && workload === 'azureactivedirectory') role = 'signin';
    outcome = o365Outcome(doc, action);
    category = action;
  }

  // An alert's event time is when the source event happened, not when the rule ran.
  const candidates: Array<readonly [string, unknown]> = [];
  if (isAlertKind) {
    candidates.push(['kibana.alert.original_time', first(field(doc, 'kibana.alert.original_time'))]);
    candidates.push(['signal.original_time', first(field(doc, 'signal.original_time'))]);
  }
  candidates.push(['@timestamp', first(field(doc, '@timestamp'))]);
  const time = readTime(candidates, ctx);
  if (!time.ok) return time.result;

  const event: NormalizedEvent = {
    '@timestamp': formatInstant(time.at),
    event: { kind: isAlertKind ? 'alert' : 'event', dataset: dataset ?? 'ecs' },
    crosswatch: { role, decoder: NAME },
  };
  if (category !== undefined) event.crosswatch.category = category;
  if (module !== undefined) event.event.module = module;
  if (action !== undefined) event.event.action = action;
  if (outcome !== undefined) event.event.outcome = outcome;
  const cat = strList(field(doc, 'event.category'));
  if (cat) event.event.category = cat;
  const typ = strList(field(doc, 'event.type'));
  if (typ) event.event.type = typ;
  const id = sFirst(doc, ['event.id', 'kibana.alert.uuid', '_id'], 256);
  if (id !== undefined) event.event.id = id;
  const severity = num(first(field(doc, 'event.severity')));
  if (severity !== undefined) event.event.severity = severity;
  const provider = s(doc, 'event.provider', 128);
  if (provider !== undefined) event.event.provider = provider;
  const code = s(doc, 'event.code', 128);
  if (code !== undefined) event.event.code = code;

  const sip = ipOf(doc, role === 'network_alert' ? ['source.ip', 'source.address'] : ['source.ip', 'client.ip', 'source.address']);
  const sport = port(first(field(doc, 'source.port')));
  // Where a sign-in or mail access came from is evidence; a network alert's is not shown.
  const geo = role === 'signin' || role === 'mail_access' ? geoOf(doc, ds === 'azure.signinlogs') : undefined;
  if (sip !== undefined || sport !== undefined || geo !== undefined) {
    event.source = {};
    if (sip !== undefined) event.source.ip = sip;
    if (sport !== undefined) event.source.port = sport;
    if (geo !== undefined) event.source.geo = geo;
  }
  const dip = ipOf(doc, ['destination.ip', 'destination.address']);
  const dport = port(first(field(doc, 'destination.port')));
  if (dip !== undefined || dport !== undefined) {
    event.destination = {};
    if (dip !== undefined) event.destination.ip = dip;
    if (dport !== undefined) event.destination.port = dport;
  }

  const user: NonNullable<NormalizedEvent['user']> = {};
  let userName = s(doc, 'user.name');
  const domain = s(doc, 'user.domain', 256);
  const email = s(doc, 'user.email');
  if (ds === 'azure.signinlogs') {
    // Elastic splits the UPN into user.name + user.domain; crosswatch keys users by the full UPN.
    userName = s(doc, 'azure.signinlogs.properties.user_principal_name') ?? (userName && domain ? `${userName}@${domain}` : userName);
  } else if (ds === 'o365.audit') {
    userName = s(doc, 'o365.audit.UserId') ?? s(doc, 'user.id') ?? userName;
  }
  if (userName !== undefined) user.name = userName;
  if (email !== undefined) user.email = email;
  else if (looksLikeEmail(userName)) user.email = userName;
  if (domain !== undefined) user.domain = domain;
  const uid = s(doc, 'user.id', 256);
  if (uid !== undefined) user.id = uid;
  if (Object.keys(user).length > 0) event.user = user;

  const ua = s(doc, 'user_agent.original');
  if (ua !== undefined) event.user_agent = { original: ua };

  const ruleName = sFirst(doc, ['rule.name', 'kibana.alert.rule.name', 'signal.rule.name', 'suricata.eve.alert.signature', 'snort.alert.signature', 'threat.indicator.description']);
  const ruleId = sFirst(doc, ['rule.id', 'kibana.alert.rule.rule_id', 'signal.rule.rule_id', 'suricata.eve.alert.signature_id'], 256);
  const ruleCat = sFirst(doc, ['rule.category', 'suricata.eve.alert.category'], 256);
  if (ruleName !== undefined || ruleId !== undefined || ruleCat !== undefined) {
    event.rule = {};
    if (ruleName !== undefined) event.rule.name = ruleName;
    if (ruleId !== undefined) event.rule.id = ruleId;
    if (ruleCat !== undefined) event.rule.category = ruleCat;
  }

  const observer: NonNullable<NormalizedEvent['observer']> = {};
  const ov = s(doc, 'observer.vendor', 128);
  const op = s(doc, 'observer.product', 128);
  const on = sFirst(doc, ['observer.name', 'observer.hostname', ...(role === 'network_alert' ? ['host.name', 'agent.name'] : [])], 256);
  const ot = s(doc, 'observer.type', 64);
  if (ov !== undefined) observer.vendor = ov;
  if (op !== undefined) observer.product = op;
  if (on !== undefined) observer.name = on;
  if (ot !== undefined) observer.type = ot;
  if (Object.keys(observer).length > 0) event.observer = observer;

  const transport = s(doc, 'network.transport', 32);
  const protocol = s(doc, 'network.protocol', 64);
  if (transport !== undefined || protocol !== undefined) {
    event.network = {};
    if (transport !== undefined) event.network.transport = transport;
    if (protocol !== undefined) event.network.protocol = protocol;
  }

  const cloudProvider = s(doc, 'cloud.provider', 64);
  const cloudAccount = sFirst(doc, ['cloud.account.id', 'azure.tenant_id', 'organization.id'], 256);
  if (cloudProvider !== undefined || cloudAccount !== undefined) {
    event.cloud = {};
    if (cloudProvider !== undefined) event.cloud.provider = cloudProvider;
    if (cloudAccount !== undefined) event.cloud.account = { id: cloudAccount };
  }

  // The app by name, the client as the source words it (see m365-audit.ts for the o365 ids).
  const ids = ds === 'o365.audit' ? o365Ids(doc) : undefined;
  const app = s(doc, `${SIGNIN}app_display_name`);
  const clientApp = s(doc, `${SIGNIN}client_app_used`, 256) ?? ids?.ClientInfoString;
  if (app !== undefined || clientApp !== undefined) {
    event.client = {};
    if (app !== undefined) event.client.app = app;
    if (clientApp !== undefined) event.client.client_app = clientApp;
  }
  if (ds === 'azure.signinlogs') {
    const props = signinProperties(doc);
    if (props !== undefined) event.azure = { signinlogs: { properties: props } };
  }
  if (ids !== undefined) event.o365 = { audit: ids };
  return { ok: true, event: { at: time.at, event } };
}

/** An ECS document: `@timestamp` and some `event.*` field, nested or dotted. */
function looksEcs(v: Record<string, unknown>): boolean {
  if (!present(first(field(v, '@timestamp')))) return false;
  if (isObject(v['event'])) return true;
  for (const k of Object.keys(v)) if (k.startsWith('event.')) return true;
  return false;
}

export const ecsDocument: Decoder = {
  roles: ['network_alert', 'signin', 'mail_access', 'other'],
  // event.kind "alert" or "signal" (any case), nested or dotted.
  alertMarkers: ['"alert"', '"signal"'],
  timeFields: ['kibana.alert.original_time', 'signal.original_time', '@timestamp'],
  cues: [
    { label: 'is a JSON object', test: (r) => r.kind === 'json' },
    { label: 'has "@timestamp"', test: (r) => r.kind === 'json' && '@timestamp' in r.value },
    { label: 'has an "event" object or "event.*" fields', test: (r) => r.kind === 'json' && (isObject(r.value['event']) || Object.keys(r.value).some((k) => k.startsWith('event.'))) },
  ],
  name: NAME,
  description: 'ECS documents (Elasticsearch/Kibana exports): Entra sign-ins, O365 audit, alerts of network datasets',
  jsonKeys: { accepts: { top: ['@timestamp', 'event'], prefixes: ['event.'] } },
  accepts(record: RawRecord): boolean {
    if (record.kind === 'text') return false;
    const v: unknown = record.value;
    if (!isObject(v)) return false;
    return looksEcs(v);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
