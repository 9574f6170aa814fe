// Microsoft Sentinel (KQL): the Log Analytics tables, read as crosswatch's
// decoders read their rows (entra-signin.ts, m365-audit.ts). Sign-ins are every
// Entra sign-in table and OfficeActivity's UserLoggedIn records of the
// AzureActiveDirectory workload (crosswatch's `product: azure, service:
// signinlogs` takes both). Network alerts are Microsoft's normalized model, as
// Splunk's are CIM's: no raw table holds them alone (CommonSecurityLog mixes
// alerts with traffic, audit and VPN records), so they are the ASIM network
// sessions (_Im_NetworkSession) that carry a threat. Not ASIM's Alert Event schema
// (_Im_AlertEvent): its one address is DvcIpAddr, the host the alert is about, and
// it sends alerts with source and destination addresses to the Network Session
// schema (learn.microsoft.com/azure/sentinel/normalization-schema-alert), whose
// SrcIpAddr, DstIpAddr and Threat* fields hold them
// (learn.microsoft.com/azure/sentinel/network-normalization-schema).
import { ABSENT, EXCHANGE_ROWS, O365_IDS, SIGNIN_PROPS, SIGNIN_ROWS, SP, absent, cases, expr, f, first, k, type Column, type Source } from './fields.js';

const SIGNIN_TABLES = ['SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AADServicePrincipalSignInLogs', 'AADManagedIdentitySignInLogs', 'ADFSSignInLogs'];
const AAD: Record<string, Column> = {
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
  ...absent(...O365_IDS),
};

const OK = '"succeeded", "success", "partiallysucceeded", "true"';
const FAILED = '"failed", "false", "failure"';
// OfficeActivity rows have no ErrorNumber, so crosswatch's outcome is: UserLoginFailed fails, else ResultStatus decides.
const OFFICE_OUTCOME = cases(
  ['success', `Operation !~ "UserLoginFailed" and ResultStatus in~ (${OK})`],
  ['failure', `Operation =~ "UserLoginFailed" or ResultStatus in~ (${FAILED})`],
  ['unknown', `Operation !~ "UserLoginFailed" and not(ResultStatus in~ (${OK}, ${FAILED}))`],
);
// Addresses may carry a port, brackets or a zone: stripped as crosswatch does (ClientIPAddress, ClientIP, ActorIpAddress in turn).
const OFFICE_IP = 'tolower(replace_regex(replace_regex(trim(@"\\s+", coalesce(Client_IPAddress, ClientIP, ActorIpAddress)), '
  + '@"^\\[([^\\]%]+)(?:%[^\\]]*)?\\](?::\\d+)?$|^(\\d{1,3}(?:\\.\\d{1,3}){3}):\\d+$|^([^%]+)%.*$", @"\\1\\2\\3"), @"^::ffff:(\\d{1,3}(?:\\.\\d{1,3}){3})$", @"\\1"))';
const OFFICE: Record<string, Column> = {
  'event.kind': k('event'), 'event.dataset': k('o365.audit'), 'event.module': k('o365'),
  'event.outcome': OFFICE_OUTCOME,
  'event.action': f('Operation'),
  'event.id': f('OfficeId'),
  'event.provider': f('OfficeWorkload'),
  'source.ip': expr(OFFICE_IP, 'ip'),
  'user.name': f('UserId'),
  'client.app': ABSENT,
  'client.client_app': f('ClientInfoString'),
  'o365.audit.ClientInfoString': f('ClientInfoString'),
  ...absent(...SIGNIN_PROPS),
};

const aad: Source = { key: 'kql:aad', label: 'SigninLogs', doc: SIGNIN_TABLES.join(', '), from: `union isfuzzy=true ${SIGNIN_TABLES.join(', ')}`, time: expr('coalesce(CreatedDateTime, TimeGenerated)', 'date'), fields: AAD };
const office = (guard?: string, rows?: string): Source => ({
  key: 'kql:office', label: 'OfficeActivity', doc: `OfficeActivity${rows ? `: ${rows}` : ''}`, from: 'OfficeActivity', ...(guard ? { guard } : {}), time: f('TimeGenerated', 'date'), fields: OFFICE,
});

// The network alert's threat side, crosswatch's source.ip: the destination when
// ASIM's ThreatField says the threat was identified there (a malicious server),
// else the session's source, as crosswatch's decoders take the client unless the
// threat is the server's.
const AT_DST = 'ThreatField == "DstIpAddr"';
const bySide = (ifDst: string, otherwise: string, type: 'ip' | 'number'): Column => expr(`iff(${AT_DST}, ${ifDst}, ${otherwise})`, type);
const THREATS: Record<string, Column> = {
  'event.kind': k('alert'),
  'source.ip': bySide('DstIpAddr', 'SrcIpAddr', 'ip'),
  'destination.ip': bySide('SrcIpAddr', 'DstIpAddr', 'ip'),
  'source.port': bySide('DstPortNumber', 'SrcPortNumber', 'number'),
  'destination.port': bySide('SrcPortNumber', 'DstPortNumber', 'number'),
  'rule.name': f('ThreatName'),
  'rule.id': f('ThreatId'),
  'rule.category': f('ThreatCategory'),
  // ASIM's names of the sensor ("Palo Alto"/"PanOS", "Fortinet"/"Fortigate"), not crosswatch's decoders'.
  'observer.vendor': f('EventVendor'),
  'observer.product': f('EventProduct'),
  // crosswatch writes both in lower case; ASIM's NetworkProtocol is upper case (TCP).
  'network.transport': expr('tolower(NetworkProtocol)'),
  'network.protocol': expr('tolower(NetworkApplicationProtocol)'),
  // No event.severity or event.action: crosswatch's are the sensor's own (a number on its
  // scale, its threat type or action); ASIM's EventSeverity is its four words, DvcAction its
  // verdict on the session.
};
// A session carries a threat when the parser named one or flagged an address. Zscaler ZIA's
// parser copies the NSS threat name as is, which reads "None" on sessions without a threat.
const HAS_THREAT = '(isnotempty(ThreatId) or isnotempty(ThreatIpAddr) or (isnotempty(ThreatName) and ThreatName !~ "None"))';
const threats: Source = {
  key: 'kql:asim-threats', label: '_Im_NetworkSession', from: '_Im_NetworkSession()', guard: HAS_THREAT,
  doc: '_Im_NetworkSession (ASIM Network Session): sessions with a ThreatId, a ThreatIpAddr or a ThreatName',
  time: f('TimeGenerated', 'date'), fields: THREATS,
};

/**
 * Sentinel's tables for a log source, or null. One sensor's alerts (`category: ids,
 * product: …`) have none: ASIM's parsers for the sensors crosswatch names bring no threat
 * rows (PAN-OS and FortiGate: traffic logs only; Zeek: conn logs only; Suricata, Snort: no
 * parser; CEF is a format, not a product), so a product guard would only ever match nothing.
 */
export function kqlSources(key: string, product: string | undefined): Source[] | null {
  switch (key) {
    case 'signin': return [aad, office('OfficeWorkload =~ "AzureActiveDirectory" and Operation in~ ("UserLoggedIn", "UserLoginFailed")', SIGNIN_ROWS)];
    case 'm365': return [office()];
    case 'exchange': return [office('(OfficeWorkload =~ "Exchange" or Operation =~ "MailItemsAccessed")', EXCHANGE_ROWS)];
    case 'ids': return product === undefined ? [threats] : null;
    default: return null;
  }
}
