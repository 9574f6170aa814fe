// Elastic (ES|QL and EQL): the integrations' data streams, read as crosswatch's
// ECS decoder (src/decoders/ecs.ts) reads their documents: the same roles (a
// network alert is an `alert` or `signal` document of a non-identity dataset; an
// o365 UserLoggedIn of the AzureActiveDirectory workload is a sign-in), the same
// outcome rules and the same fallbacks (user.name is the UPN, Elastic's being its
// local part). Fallbacks the integrations never need are left out, so every name
// here is one the integration maps (ES|QL refuses a query naming an unmapped
// one): source.ip only (the decoder's client.ip and source.address repeat it),
// @timestamp (kibana.alert.original_time is on Elastic Security's own alert
// indices, which are not searched).
import { ABSENT, EXCHANGE_ROWS, O365_IDS, SIGNIN_PROPS, SIGNIN_ROWS, SP, absent, f, first, multi, same, cases, type Column, type Source } from './fields.js';
import { allOf, anyOf, isOneOf, negate, present, startsWithOneOf, type Pred } from './ir.js';

const TIME = f('@timestamp', 'date');
const BASE: Record<string, Column> = {
  '@timestamp': TIME,
  ...same('event.kind', 'event.dataset', 'event.module', 'event.action', 'event.id', 'event.provider', 'event.code', 'user.id', 'user_agent.original', 'cloud.provider'),
  'event.category': multi('event.category'),
  'event.type': multi('event.type'),
  'event.severity': f('event.severity', 'number'),
  'source.ip': f('source.ip', 'ip'),
};

const alertKind = isOneOf('event.kind', 'alert', 'signal');
// The document's own event.outcome, under an internal name (the table's event.outcome is crosswatch's).
const OUTCOME = 'elastic.event.outcome';
const word = (w: string): Pred => isOneOf(OUTCOME, w);
const aWord = isOneOf(OUTCOME, 'success', 'failure', 'unknown');

// signinOutcome: event.outcome when it is one of the three words, else status.error_code, else result_type.
const EC = `${SP}.status.error_code`;
const RT = 'azure.signinlogs.result_type';
const ecZero: Pred = { k: 'atom', field: EC, test: { t: 'num', value: 0 } };
const rtZero = isOneOf(RT, '0');
const SIGNIN_OUTCOME = cases(
  ['success', anyOf(word('success'), allOf(negate(aWord), anyOf(allOf(present(EC), ecZero), allOf(negate(present(EC)), rtZero))))],
  ['failure', anyOf(word('failure'), allOf(negate(aWord), anyOf(allOf(present(EC), negate(ecZero)), allOf(negate(present(EC)), present(RT), negate(rtZero)))))],
  ['unknown', anyOf(word('unknown'), allOf(negate(aWord), negate(present(EC)), negate(present(RT))))],
);

// o365Outcome: UserLoginFailed fails; else ResultStatus decides; else event.outcome's word.
const ST = 'o365.audit.ResultStatus';
const failedLogin = isOneOf('event.action', 'UserLoginFailed');
const ok = isOneOf(ST, 'succeeded', 'success', 'partiallysucceeded', 'true');
const bad = isOneOf(ST, 'failed', 'false', 'failure');
const O365_OUTCOME = cases(
  ['success', allOf(negate(failedLogin), anyOf(ok, allOf(negate(present(ST)), word('success'))))],
  ['failure', anyOf(failedLogin, bad, allOf(negate(present(ST)), word('failure')))],
  ['unknown', allOf(negate(failedLogin), anyOf(allOf(present(ST), negate(ok), negate(bad)), allOf(negate(present(ST)), negate(word('success')), negate(word('failure')))))],
);

const SIGNIN: Record<string, Column> = {
  ...BASE,
  'event.outcome': SIGNIN_OUTCOME,
  'user.name': first(`${SP}.user_principal_name`, 'user.name'),
  'client.app': f(`${SP}.app_display_name`),
  'client.client_app': f(`${SP}.client_app_used`),
  // Elastic's source.geo is its GeoIP lookup, geo.* Entra's own place: crosswatch reads the first, then the second.
  'source.geo.country_iso_code': first('source.geo.country_iso_code', 'geo.country_iso_code'),
  'source.geo.city_name': first('source.geo.city_name', 'geo.city_name'),
  'source.geo.region_name': first('source.geo.region_name', 'geo.region_name'),
  ...same(...SIGNIN_PROPS),
  ...absent(...O365_IDS),
};
const O365: Record<string, Column> = {
  ...BASE,
  'event.outcome': O365_OUTCOME,
  'user.name': first('o365.audit.UserId', 'user.id', 'user.name'),
  'user.email': f('user.email'),
  'client.app': ABSENT,
  'client.client_app': f('o365.audit.ClientInfoString'),
  ...same('source.geo.country_iso_code', 'source.geo.city_name', 'source.geo.region_name', ...O365_IDS),
  ...absent(...SIGNIN_PROPS),
};
const INTERNAL: Record<string, Column> = {
  [EC]: f(EC, 'number'), [RT]: f(RT), [ST]: f(ST), [OUTCOME]: f('event.outcome'),
  // crosswatch reads o365.audit.Workload, else event.provider; the integration moves Workload to event.provider.
  workload: f('event.provider'),
};
const IDS: Record<string, Column> = {
  ...BASE,
  ...same('event.outcome', 'user.name', 'user.email', 'rule.name', 'rule.id', 'rule.category', 'observer.vendor', 'observer.product', 'observer.type',
    'network.transport', 'network.protocol'),
  'source.port': f('source.port', 'number'),
  'destination.ip': f('destination.ip', 'ip'),
  'destination.port': f('destination.port', 'number'),
};

const notAlert = negate(alertKind);
const o365Doc = allOf(isOneOf('event.dataset', 'o365.audit'), notAlert);
const o365Signin = allOf(o365Doc, isOneOf('event.action', 'UserLoggedIn', 'UserLoginFailed'), isOneOf('workload', 'AzureActiveDirectory'));
// Identity providers' alerts (risky sign-in, impossible travel) are not network alerts.
const identity = anyOf(
  startsWithOneOf('event.dataset', 'azure.', 'o365.', 'o365_metrics.', 'okta.', 'entityanalytics', 'google_workspace.', 'microsoft_entra', 'm365_defender.', 'jumpcloud.', 'onelogin.', 'duo.', 'ping_one.', 'auth0.'),
  isOneOf('event.dataset', 'azure', 'o365', 'okta', 'google_workspace'),
  isOneOf('event.module', 'azure', 'o365', 'okta', 'google_workspace', 'entityanalytics_entra_id', 'entityanalytics_okta', 'microsoft_entra'),
);
/** category ids products → the dataset prefixes crosswatch knows them by. */
const IDS_PRODUCTS: Record<string, string[]> = {
  suricata: ['suricata.'], zeek: ['zeek.'], snort: ['snort.'], panos: ['panw.'], fortigate: ['fortinet_fortigate.', 'fortinet.'], cef: ['cef.'],
};

const part = (key: string, from: string, filter: Pred, fields: Record<string, Column>, rows?: string): Source =>
  ({ key: `elastic:${key}`, label: from, ...(rows ? { doc: `${from}: ${rows}` } : {}), from, filter, time: TIME, fields, internal: INTERNAL });
const ALERT_ROWS = 'alert and signal documents';

export function elasticSources(key: string, product: string | undefined): Source[] | null {
  switch (key) {
    case 'signin': return [
      part('signin', 'logs-azure.signinlogs-*', allOf(isOneOf('event.dataset', 'azure.signinlogs'), notAlert), SIGNIN),
      part('o365-signin', 'logs-o365.audit-*', o365Signin, O365, SIGNIN_ROWS),
    ];
    case 'm365': return [part('m365', 'logs-o365.audit-*', o365Doc, O365)];
    case 'exchange': return [part('exchange', 'logs-o365.audit-*', allOf(o365Doc, anyOf(isOneOf('event.action', 'MailItemsAccessed'), isOneOf('event.provider', 'Exchange'))), O365, EXCHANGE_ROWS)];
    case 'ids': {
      if (product === undefined) return [part('ids', 'logs-*', allOf(alertKind, negate(identity)), IDS, `${ALERT_ROWS} of datasets other than identity providers'`)];
      const prefixes = IDS_PRODUCTS[product];
      if (prefixes === undefined) return null;
      const from = prefixes.map((p) => `logs-${p}*`).join(', ');
      return [part(`ids:${product}`, from, allOf(alertKind, startsWithOneOf('event.dataset', ...prefixes)), IDS, ALERT_ROWS)];
    }
    default: return null;
  }
}
