// Splunk (SPL): the add-ons' raw JSON fields, which are the records crosswatch's
// decoders read (Microsoft Cloud Services' azure:monitor:aad: Azure Monitor
// diagnostic sign-in records; Microsoft Office 365's o365:management:activity:
// Management Activity API records), so each field is crosswatch's own rule for it
// (its fallbacks, its outcome). Network alerts of any product: the CIM
// Intrusion_Detection data model (tags ids and attack), whose events are all
// alerts; Suricata alone also by its EVE sourcetype. Field names with dots are
// quoted for eval ('properties.ipAddress').
import { ABSENT, EXCHANGE_ROWS, O365_IDS, SIGNIN_PROPS, SIGNIN_ROWS, SP, absent, cases, expr, f, first, k, type Column, type Source } from './fields.js';

const EC = "tonumber('properties.status.errorCode')";
const AAD: Record<string, Column> = {
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
  ...absent(...O365_IDS),
};

// crosswatch's m365 outcome, rule for rule: UserLoginFailed fails; a success status is a
// failure for a UserLoggedIn with a non-zero ErrorNumber; then the status decides.
const OP = 'lower(coalesce(Operation, ""))';
const ST = 'lower(coalesce(ResultStatus, ""))';
const STS_ERROR = `(${OP}=="userloggedin" AND coalesce(tonumber(ErrorNumber), 0)!=0)`;
const OK = `in(${ST}, "succeeded", "success", "partiallysucceeded", "true")`;
const FAILED = `in(${ST}, "failed", "false", "failure")`;
// Addresses may carry a port, brackets or a zone: stripped as crosswatch does (ClientIPAddress, ClientIP, ActorIpAddress in turn).
const OFFICE_IP = 'lower(replace(replace(trim(coalesce(ClientIPAddress, ClientIP, ActorIpAddress)), '
  + '"^\\\\[([^\\\\]%]+)(?:%[^\\\\]]*)?\\\\](?::\\\\d+)?$|^(\\\\d{1,3}(?:\\\\.\\\\d{1,3}){3}):\\\\d+$|^([^%]+)%.*$", "\\\\1\\\\2\\\\3"), '
  + '"^::ffff:(\\\\d{1,3}(?:\\\\.\\\\d{1,3}){3})$", "\\\\1"))';
// The user agent: the UserAgent field, else the ExtendedProperties entry named UserAgent.
const OFFICE_UA = 'coalesce(UserAgent, mvindex(\'ExtendedProperties{}.Value\', mvfind(\'ExtendedProperties{}.Name\', "^UserAgent$")))';
const OFFICE: Record<string, Column> = {
  'event.kind': k('event'), 'event.dataset': k('o365.audit'), 'event.module': k('o365'),
  'event.outcome': cases(
    ['success', `${OP}!="userloginfailed" AND ${OK} AND NOT ${STS_ERROR}`],
    ['failure', `${OP}=="userloginfailed" OR (${OK} AND ${STS_ERROR}) OR (NOT ${OK} AND ${FAILED})`],
    ['unknown', `${OP}!="userloginfailed" AND NOT ${OK} AND NOT ${FAILED}`]),
  'event.action': f('Operation'),
  'event.id': f('Id'),
  'event.provider': f('Workload'),
  'source.ip': expr(OFFICE_IP, 'ip'),
  'user.name': f('UserId'),
  'user_agent.original': expr(OFFICE_UA),
  'client.app': ABSENT,
  'client.client_app': f('ClientInfoString'),
  ...Object.fromEntries(O365_IDS.map((n) => [n, f(n.slice('o365.audit.'.length))])),
  ...absent(...SIGNIN_PROPS),
};
const CIM_IDS: Record<string, Column> = {
  'event.kind': k('alert'),
  'source.ip': f('src', 'ip'),
  'destination.ip': f('dest', 'ip'),
  'rule.name': f('signature'),
  'rule.id': f('signature_id'),
  'rule.category': f('category'),
};
const SURICATA: Record<string, Column> = {
  'event.kind': k('alert'), 'event.dataset': k('suricata.eve'), 'event.module': k('suricata'),
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

const TIME = f('_time', 'date');
const aad: Source = {
  key: 'spl:aad', label: 'sourcetype azure:monitor:aad', doc: 'sourcetype azure:monitor:aad: its sign-in categories', from: 'sourcetype="azure:monitor:aad"', is: 'sourcetype=="azure:monitor:aad"',
  guard: 'match(category, "(?i)signinlogs$")', time: TIME, fields: AAD,
};
const o365 = (guard?: string, rows?: string): Source => ({
  key: 'spl:o365', label: 'sourcetype o365:management:activity', doc: `sourcetype o365:management:activity${rows ? `: ${rows}` : ''}`, from: 'sourcetype="o365:management:activity"', is: 'sourcetype=="o365:management:activity"',
  ...(guard ? { guard } : {}), time: TIME, fields: OFFICE,
});
const WORKLOAD = 'lower(coalesce(Workload, ""))';

export function splSources(key: string, product: string | undefined): Source[] | null {
  switch (key) {
    // A UserLoggedIn record is a sign-in when its workload is AzureActiveDirectory (or, without one, its RecordType is 15 or 9).
    case 'signin': return [aad, o365(`in(${OP}, "userloggedin", "userloginfailed") AND (${WORKLOAD}=="azureactivedirectory" OR (isnull(Workload) AND in(RecordType, "15", "9")))`, SIGNIN_ROWS)];
    case 'm365': return [o365()];
    case 'exchange': return [o365(`(${WORKLOAD}=="exchange" OR ${OP}=="mailitemsaccessed")`, EXCHANGE_ROWS)];
    case 'ids':
      if (product === undefined) {
        return [{ key: 'spl:ids', label: 'the Intrusion_Detection data model (tag=ids tag=attack)', from: 'tag=ids tag=attack',
          is: 'isnotnull(mvfind(tag, "^ids$")) AND isnotnull(mvfind(tag, "^attack$"))', time: TIME, fields: CIM_IDS }];
      }
      if (product === 'suricata') {
        return [{ key: 'spl:suricata', label: 'sourcetype suricata', from: 'sourcetype="suricata"', is: 'sourcetype=="suricata"',
          doc: 'sourcetype suricata: event_type alert', guard: 'event_type=="alert"', time: TIME, fields: SURICATA }];
      }
      return null;
    default: return null;
  }
}
