// Where each target keeps what crosswatch calls a log source and its ECS fields.
// A field is listed for a source only where the target's schema carries the
// value crosswatch's decoder puts there for that source; anything else has no
// column and the conversion refuses (never a guess). Besides plain columns:
//   first of several   the first non-empty (crosswatch's user.name is the UPN, else
//                      the service principal's name)
//   expression         a target-native expression, written here (never rule text)
//   constant           every row of the source has the value (KQL/SPL have no
//                      event.dataset column: SigninLogs rows are all azure.signinlogs)
//   cases              the field takes one of a few values, each a target-native
//                      test (event.outcome "success" is ResultType == "0")
// Elastic keeps ECS names (its integrations are where they come from), with the
// exceptions its pipelines make (user.name is the UPN's local part there, so
// crosswatch's user.name is the UPN field). Sentinel: the Log Analytics tables;
// Splunk: the add-ons' raw JSON fields (exact copies of what crosswatch reads), and
// the CIM Intrusion_Detection data model for IDS alerts of any product.
import type { LogSource } from '../types.js';
import { cannot } from './escape.js';

export type Family = 'elastic' | 'sentinel' | 'splunk';
export type ValueType = 'string' | 'ip' | 'number' | 'date';

export type Column =
  | { kind: 'field'; names: readonly string[]; type: ValueType; multi?: boolean }
  | { kind: 'expr'; expr: string; type: ValueType }
  | { kind: 'const'; values: readonly string[] }
  | { kind: 'enum'; cases: ReadonlyArray<readonly [value: string, test: string]> };

export interface Source {
  /** Sources with the same key read the same rows (one sub-query serves them in a correlation). */
  key: string;
  /** The table, index pattern or search, as messages name it. */
  label: string;
  /** ES|QL/EQL: index patterns (comma-separated); KQL: a tabular expression; SPL: search terms. */
  from: string;
  /** SPL: an eval test that a row came from `from` (a correlation searches several). */
  is?: string;
  /** A target-native test narrowing `from` to exactly the log source. */
  guard?: string;
  time: Column;
  fields: Readonly<Record<string, Column>>;
  /**
   * Where the target keeps only part of the log source: its rows all have `field` =
   * `value`, and the log source's other rows (`field` = `missing`) are elsewhere. A rule
   * converts only when it cannot match those other rows.
   */
  covers?: { field: string; value: string; missing: string };
}

const f = (name: string, type: ValueType = 'string'): Column => ({ kind: 'field', names: [name], type });
const multi = (name: string): Column => ({ kind: 'field', names: [name], type: 'string', multi: true });
const first = (...names: string[]): Column => ({ kind: 'field', names, type: 'string' });
const expr = (e: string, type: ValueType = 'string'): Column => ({ kind: 'expr', expr: e, type });
const k = (...values: string[]): Column => ({ kind: 'const', values });
const cases = (...c: Array<readonly [string, string]>): Column => ({ kind: 'enum', cases: c });
const same = (...names: string[]): Record<string, Column> => Object.fromEntries(names.map((n) => [n, f(n)]));

// --- Elastic (ES|QL and EQL share names, guards and indices) -----------------------------

const ECS_BASE = {
  '@timestamp': f('@timestamp', 'date'),
  ...same('event.kind', 'event.dataset', 'event.module', 'event.action'),
  'event.category': multi('event.category'),
  'event.type': multi('event.type'),
};
const SP = 'azure.signinlogs.properties';
const ELASTIC_SIGNIN: Record<string, Column> = {
  ...ECS_BASE,
  ...same('event.outcome', 'event.id', 'user.id', 'user_agent.original', 'cloud.provider'),
  'source.ip': f('source.ip', 'ip'),
  'user.name': first(`${SP}.user_principal_name`, `${SP}.service_principal_name`),
  'client.app': first(`${SP}.app_display_name`, `${SP}.service_principal_name`),
  'client.client_app': f(`${SP}.client_app_used`),
  // Entra's own location; Elastic's source.geo is its GeoIP lookup.
  'source.geo.country_iso_code': f('geo.country_iso_code'),
  'source.geo.city_name': f('geo.city_name'),
  ...same(...['authentication_requirement', 'conditional_access_status', 'risk_level_during_signin', 'risk_state',
    'risk_level_aggregated', 'risk_detail', 'app_id'].map((p) => `${SP}.${p}`)),
};
const ELASTIC_O365: Record<string, Column> = {
  ...ECS_BASE,
  ...same('event.outcome', 'event.id', 'event.provider', 'event.code', 'user.email', 'user_agent.original'),
  'source.ip': f('source.ip', 'ip'),
  // Elastic's user.name is the local part; user.id is the UserId crosswatch names the user by.
  'user.name': f('user.id'),
  'client.client_app': f('o365.audit.ClientInfoString'),
  ...same('o365.audit.AppId', 'o365.audit.ClientAppId', 'o365.audit.ApplicationId', 'o365.audit.ClientInfoString'),
};
const ELASTIC_IDS: Record<string, Column> = {
  ...ECS_BASE,
  'source.ip': f('source.ip', 'ip'),
  'destination.ip': f('destination.ip', 'ip'),
  'source.port': f('source.port', 'number'),
  'destination.port': f('destination.port', 'number'),
  'event.severity': f('event.severity', 'number'),
  ...same('rule.name', 'rule.id', 'rule.category', 'observer.vendor', 'observer.product', 'network.transport', 'network.protocol'),
};
/** product → [Elastic data stream dataset(s), index pattern]. */
const IDS_DATASETS: Record<string, [string[], string]> = {
  suricata: [['suricata.eve'], 'logs-suricata.eve-*'],
  zeek: [['zeek.notice'], 'logs-zeek.notice-*'],
  snort: [['snort.log', 'snort.alert'], 'logs-snort.log-*'],
  panos: [['panw.panos'], 'logs-panw.panos-*'],
  fortigate: [['fortinet_fortigate.log'], 'logs-fortinet_fortigate.log-*'],
  cef: [['cef.log'], 'logs-cef.log-*'],
};

function elasticIds(product: string | undefined): Source {
  const picked = product === undefined ? Object.values(IDS_DATASETS) : [IDS_DATASETS[product]];
  if (picked[0] === undefined) return cannot(`log source category: ids, product: ${product} has no Elastic data stream`);
  const datasets = picked.flatMap((p) => p![0]);
  const from = picked.map((p) => p![1]).join(', ');
  const guard = datasets.length === 1 ? `event.dataset == "${datasets[0]}"` : `event.dataset in (${datasets.map((d) => `"${d}"`).join(', ')})`;
  return { key: `elastic:ids:${product ?? '*'}`, label: from, from, guard, time: f('@timestamp', 'date'), fields: ELASTIC_IDS };
}

// --- Microsoft Sentinel (KQL) ------------------------------------------------------------------

const SIGNIN_TABLES = ['SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AADServicePrincipalSignInLogs', 'AADManagedIdentitySignInLogs', 'ADFSSignInLogs'];
const KQL_SIGNIN: Record<string, Column> = {
  'event.kind': k('event'), 'event.dataset': k('azure.signinlogs'), 'event.module': k('azure'),
  'event.category': k('authentication'), 'event.type': k('info'), 'cloud.provider': k('azure'),
  // crosswatch reads status.errorCode, else resultType; ResultType is the error code as text.
  'event.outcome': cases(['success', 'ResultType == "0"'], ['failure', 'isnotempty(ResultType) and ResultType != "0"'], ['unknown', 'isempty(ResultType)']),
  'event.action': f('OperationName'),
  'event.id': f('Id'),
  'source.ip': f('IPAddress', 'ip'),
  'user.name': first('UserPrincipalName', 'ServicePrincipalName'),
  'user.id': first('UserId', 'ServicePrincipalId'),
  'user_agent.original': f('UserAgent'),
  'client.app': first('AppDisplayName', 'ServicePrincipalName'),
  'client.client_app': f('ClientAppUsed'),
  [`${SP}.authentication_requirement`]: f('AuthenticationRequirement'),
  [`${SP}.conditional_access_status`]: f('ConditionalAccessStatus'),
  [`${SP}.risk_level_during_signin`]: f('RiskLevelDuringSignIn'),
  [`${SP}.risk_state`]: f('RiskState'),
  [`${SP}.risk_level_aggregated`]: f('RiskLevelAggregated'),
  [`${SP}.risk_detail`]: f('RiskDetail'),
  [`${SP}.app_id`]: f('AppId'),
};
const RESULT_OK = '"succeeded", "success", "partiallysucceeded", "true"';
const RESULT_FAILED = '"failed", "false", "failure"';
// OfficeActivity's addresses may carry a port, brackets or a zone: stripped as crosswatch does.
const KQL_OFFICE_IP = 'tolower(replace_regex(replace_regex(trim(@"\\s+", coalesce(Client_IPAddress, ClientIP, ActorIpAddress)), '
  + '@"^\\[([^\\]%]+)(?:%[^\\]]*)?\\](?::\\d+)?$|^(\\d{1,3}(?:\\.\\d{1,3}){3}):\\d+$|^([^%]+)%.*$", @"\\1\\2\\3"), @"^::ffff:(\\d{1,3}(?:\\.\\d{1,3}){3})$", @"\\1"))';
const KQL_OFFICE: Record<string, Column> = {
  'event.kind': k('event'), 'event.dataset': k('o365.audit'), 'event.module': k('o365'),
  'event.action': f('Operation'),
  'event.id': f('OfficeId'),
  'event.provider': f('OfficeWorkload'),
  'source.ip': expr(KQL_OFFICE_IP, 'ip'),
  'user.name': f('UserId'),
  'client.client_app': f('ClientInfoString'),
  'o365.audit.ClientInfoString': f('ClientInfoString'),
};
// Exchange records: crosswatch's outcome is ResultStatus alone (its UserLoggedIn rules concern another workload).
const KQL_EXCHANGE: Record<string, Column> = {
  ...KQL_OFFICE,
  'event.outcome': cases(['success', `ResultStatus in~ (${RESULT_OK})`], ['failure', `ResultStatus in~ (${RESULT_FAILED})`],
    ['unknown', `not(ResultStatus in~ (${RESULT_OK}, ${RESULT_FAILED}))`]),
};
// CommonSecurityLog holds every CEF record, alerts and traffic alike: crosswatch's alert test
// (event.kind) and its threat side (source.ip, swapped for server-side PAN-OS/FortiGate threats) are no column.
const KQL_CEF: Record<string, Column> = {
  'event.dataset': k('cef.log'), 'event.module': k('cef'),
  'event.action': f('DeviceAction'),
  'rule.name': f('Activity'),
  'rule.id': f('DeviceEventClassID'),
  'rule.category': f('DeviceEventCategory'),
  'observer.vendor': f('DeviceVendor'),
  'observer.product': f('DeviceProduct'),
};
const KQL_CEF_GUARD: Record<string, string | undefined> = {
  cef: undefined,
  panos: 'DeviceVendor == "Palo Alto Networks"',
  fortigate: 'DeviceVendor == "Fortinet"',
};

// --- Splunk (SPL) --------------------------------------------------------------------------------

const EC = "tonumber('properties.status.errorCode')";
const SPL_SIGNIN: Record<string, Column> = {
  'event.kind': k('event'), 'event.dataset': k('azure.signinlogs'), 'event.module': k('azure'),
  'event.category': k('authentication'), 'event.type': k('info'), 'cloud.provider': k('azure'),
  'event.outcome': cases(
    ['success', `(isnotnull(${EC}) AND ${EC}==0) OR (isnull(${EC}) AND coalesce(resultType, "")=="0")`],
    ['failure', `(isnotnull(${EC}) AND ${EC}!=0) OR (isnull(${EC}) AND coalesce(resultType, "0")!="0")`],
    ['unknown', `isnull(${EC}) AND isnull(resultType)`]),
  'event.action': f('operationName'),
  'event.id': f('properties.id'),
  'source.ip': { kind: 'field', names: ['properties.ipAddress', 'callerIpAddress'], type: 'ip' },
  'user.name': first('properties.userPrincipalName', 'properties.servicePrincipalName'),
  'user.id': first('properties.userId', 'properties.servicePrincipalId'),
  'user_agent.original': f('properties.userAgent'),
  'client.app': first('properties.appDisplayName', 'properties.servicePrincipalName'),
  'client.client_app': f('properties.clientAppUsed'),
  'source.geo.country_iso_code': f('properties.location.countryOrRegion'),
  'source.geo.city_name': f('properties.location.city'),
  [`${SP}.authentication_requirement`]: f('properties.authenticationRequirement'),
  [`${SP}.conditional_access_status`]: f('properties.conditionalAccessStatus'),
  [`${SP}.risk_level_during_signin`]: f('properties.riskLevelDuringSignIn'),
  [`${SP}.risk_state`]: f('properties.riskState'),
  [`${SP}.risk_level_aggregated`]: f('properties.riskLevelAggregated'),
  [`${SP}.risk_detail`]: f('properties.riskDetail'),
  [`${SP}.app_id`]: f('properties.appId'),
};
// crosswatch's m365 outcome, rule for rule: UserLoginFailed fails; a success status is a
// failure for a UserLoggedIn with a non-zero ErrorNumber; then the status decides.
const OP = 'lower(coalesce(Operation, ""))';
const ST = 'lower(coalesce(ResultStatus, ""))';
const STS_ERROR = `(${OP}=="userloggedin" AND coalesce(tonumber(ErrorNumber), 0)!=0)`;
const SPL_OK = `in(${ST}, ${RESULT_OK})`;
const SPL_FAILED = `in(${ST}, ${RESULT_FAILED})`;
const SPL_OFFICE_IP = 'lower(replace(replace(trim(coalesce(ClientIPAddress, ClientIP, ActorIpAddress)), '
  + '"^\\\\[([^\\\\]%]+)(?:%[^\\\\]]*)?\\\\](?::\\\\d+)?$|^(\\\\d{1,3}(?:\\\\.\\\\d{1,3}){3}):\\\\d+$|^([^%]+)%.*$", "\\\\1\\\\2\\\\3"), '
  + '"^::ffff:(\\\\d{1,3}(?:\\\\.\\\\d{1,3}){3})$", "\\\\1"))';
const SPL_OFFICE: Record<string, Column> = {
  'event.kind': k('event'), 'event.dataset': k('o365.audit'), 'event.module': k('o365'),
  'event.outcome': cases(
    ['success', `${OP}!="userloginfailed" AND ${SPL_OK} AND NOT ${STS_ERROR}`],
    ['failure', `${OP}=="userloginfailed" OR (${SPL_OK} AND ${STS_ERROR}) OR (NOT ${SPL_OK} AND ${SPL_FAILED})`],
    ['unknown', `${OP}!="userloginfailed" AND NOT ${SPL_OK} AND NOT ${SPL_FAILED}`]),
  'event.action': f('Operation'),
  'event.id': f('Id'),
  'event.provider': f('Workload'),
  'source.ip': expr(SPL_OFFICE_IP, 'ip'),
  'user.name': f('UserId'),
  'client.client_app': f('ClientInfoString'),
  ...Object.fromEntries(['AppId', 'ClientAppId', 'ApplicationId', 'ClientInfoString'].map((n) => [`o365.audit.${n}`, f(n)])),
};
// Every event of the CIM Intrusion_Detection data model (tags ids and attack) is an alert.
const SPL_CIM_IDS: Record<string, Column> = {
  'event.kind': k('alert'),
  'source.ip': f('src', 'ip'),
  'destination.ip': f('dest', 'ip'),
  'rule.name': f('signature'),
  'rule.id': f('signature_id'),
  'rule.category': f('category'),
};
const SPL_SURICATA: Record<string, Column> = {
  'event.kind': cases(['alert', 'coalesce(event_type, "")=="alert"'], ['event', 'coalesce(event_type, "")!="alert"']),
  'event.dataset': k('suricata.eve'), 'event.module': k('suricata'),
  'source.ip': f('src_ip', 'ip'),
  'destination.ip': f('dest_ip', 'ip'),
  'source.port': f('src_port', 'number'),
  'destination.port': f('dest_port', 'number'),
  'rule.name': f('alert.signature'),
  'rule.id': f('alert.signature_id'),
  'rule.category': f('alert.category'),
  'network.transport': expr('lower(proto)'),
  'network.protocol': expr('lower(app_proto)'),
};

// --- log sources -----------------------------------------------------------------------------------

type Key = 'signin' | 'exchange' | 'm365' | 'ids';

function keyOf(ls: LogSource): { key: Key; product?: string } | null {
  const p = ls.product?.toLowerCase();
  const s = ls.service?.toLowerCase();
  const c = ls.category?.toLowerCase();
  if (c === undefined && p === 'azure' && s === 'signinlogs') return { key: 'signin' };
  if (c === undefined && p === 'm365' && s === 'exchange') return { key: 'exchange' };
  if (c === undefined && p === 'm365' && (s === undefined || s === 'audit')) return { key: 'm365' };
  if (c === 'ids' && s === undefined) return p === undefined ? { key: 'ids' } : { key: 'ids', product: p };
  return null;
}

export function describe(ls: LogSource): string {
  return Object.entries(ls).filter(([, v]) => v !== undefined).map(([k2, v]) => `${k2}: ${String(v)}`).join(', ') || '(none)';
}

/** The target's rows for a log source; refuses a log source it has no table for. */
export function sourceFor(family: Family, ls: LogSource): Source {
  const which = keyOf(ls);
  const none = (): never => cannot(`log source ${describe(ls)} has no ${family === 'elastic' ? 'Elastic data stream' : family === 'sentinel' ? 'Sentinel table' : 'Splunk source'}`);
  if (which === null) return none();
  const { key, product } = which;
  if (family === 'elastic') {
    if (key === 'signin') return { key: 'elastic:signin', label: 'logs-azure.signinlogs-*', from: 'logs-azure.signinlogs-*', guard: 'event.dataset == "azure.signinlogs"', time: f('@timestamp', 'date'), fields: ELASTIC_SIGNIN };
    if (key === 'exchange') return { key: 'elastic:exchange', label: 'logs-o365.audit-*', from: 'logs-o365.audit-*', guard: 'event.dataset == "o365.audit" and event.provider == "Exchange"', time: f('@timestamp', 'date'), fields: ELASTIC_O365 };
    if (key === 'm365') return { key: 'elastic:m365', label: 'logs-o365.audit-*', from: 'logs-o365.audit-*', guard: 'event.dataset == "o365.audit"', time: f('@timestamp', 'date'), fields: ELASTIC_O365 };
    return elasticIds(product);
  }
  if (family === 'sentinel') {
    if (key === 'signin') return { key: 'kql:signin', label: 'SigninLogs', from: `union isfuzzy=true ${SIGNIN_TABLES.join(', ')}`, time: expr('coalesce(CreatedDateTime, TimeGenerated)', 'date'), fields: KQL_SIGNIN };
    if (key === 'exchange') return { key: 'kql:office', label: 'OfficeActivity', from: 'OfficeActivity', guard: 'OfficeWorkload == "Exchange"', time: f('TimeGenerated', 'date'), fields: KQL_EXCHANGE };
    if (key === 'm365') return { key: 'kql:office', label: 'OfficeActivity', from: 'OfficeActivity', time: f('TimeGenerated', 'date'), fields: KQL_OFFICE };
    // No one table holds every IDS product's events: only those Sentinel receives as CEF.
    if (product === undefined || !(product in KQL_CEF_GUARD)) return none();
    const guard = KQL_CEF_GUARD[product];
    return { key: 'kql:cef', label: 'CommonSecurityLog', from: 'CommonSecurityLog', ...(guard ? { guard } : {}), time: f('TimeGenerated', 'date'), fields: KQL_CEF };
  }
  if (key === 'signin') return { key: 'spl:aad', label: 'sourcetype azure:monitor:aad', from: 'sourcetype="azure:monitor:aad"', is: 'sourcetype=="azure:monitor:aad"', guard: 'match(category, "(?i)signinlogs$")', time: f('_time', 'date'), fields: SPL_SIGNIN };
  if (key === 'exchange' || key === 'm365') {
    return { key: 'spl:o365', label: 'sourcetype o365:management:activity', from: 'sourcetype="o365:management:activity"', is: 'sourcetype=="o365:management:activity"', ...(key === 'exchange' ? { guard: 'Workload=="Exchange"' } : {}), time: f('_time', 'date'), fields: SPL_OFFICE };
  }
  if (product === undefined) {
    return { key: 'spl:ids', label: 'the Intrusion_Detection data model (tag=ids tag=attack)', from: 'tag=ids tag=attack',
      is: 'isnotnull(mvfind(tag, "^ids$")) AND isnotnull(mvfind(tag, "^attack$"))', time: f('_time', 'date'), fields: SPL_CIM_IDS,
      covers: { field: 'event.kind', value: 'alert', missing: 'event' } };
  }
  if (product === 'suricata') return { key: 'spl:suricata', label: 'sourcetype suricata', from: 'sourcetype="suricata"', is: 'sourcetype=="suricata"', time: f('_time', 'date'), fields: SPL_SURICATA };
  return none();
}

/** The column of an ECS field in a source, or a refusal naming both. */
export function columnOf(src: Source, field: string): Column {
  return Object.prototype.hasOwnProperty.call(src.fields, field) ? src.fields[field]! : cannot(`field ${field} has no column in ${src.label}`);
}
