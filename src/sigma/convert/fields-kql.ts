// Microsoft Sentinel (KQL): the Log Analytics tables, read as crosswatch's
// decoders read their rows (entra-signin.ts, m365-audit.ts). Sign-ins are every
// Entra sign-in table and OfficeActivity's UserLoggedIn records of the
// AzureActiveDirectory workload (crosswatch's `product: azure, service:
// signinlogs` takes both). No table holds crosswatch's network alerts:
// CommonSecurityLog mixes alerts with traffic, audit and VPN records, and both
// crosswatch's alert test and its threat side (source.ip, swapped for server-side
// PAN-OS and FortiGate threats) follow vendor rules no column carries.
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

export function kqlSources(key: string): Source[] | null {
  switch (key) {
    case 'signin': return [aad, office('OfficeWorkload =~ "AzureActiveDirectory" and Operation in~ ("UserLoggedIn", "UserLoginFailed")', SIGNIN_ROWS)];
    case 'm365': return [office()];
    case 'exchange': return [office('(OfficeWorkload =~ "Exchange" or Operation =~ "MailItemsAccessed")', EXCHANGE_ROWS)];
    default: return null;
  }
}
