// crosswatch-microsoft: Microsoft's own field names for Entra ID sign-ins (Azure
// Monitor diagnostic records, Log Analytics / Sentinel SigninLogs columns, Graph
// signIn properties, the admin center's CSV columns) and Microsoft 365 audit
// records (Management Activity API, Purview exports, Sentinel OfficeActivity), as
// SigmaHQ's `product: azure, service: signinlogs` and `product: m365` rules write
// them, mapped to the normalized event's fields.
//
// Each entry was checked against what the decoders keep (src/decoders/
// entra-signin.ts, entra-portal-csv.ts, common/signin.ts, m365-audit.ts, ecs.ts)
// and against events decoded from real records (test/sigma/sigmahq.test.ts): a raw
// field maps only where the decoders fill the normalized field with its values.
// A raw field they do not keep is null, with the reason a rejected rule shows.
import type { FieldMapping, Pipeline } from '../pipeline.js';

const NOT_KEPT = 'is not kept by the decoders';

const notKept = (why: string): FieldMapping => ({ to: null, reason: `${NOT_KEPT} (${why})` });
const notAField = (where: string, why?: string): FieldMapping => ({
  to: null,
  reason: `is not a field of ${where}${why === undefined ? '' : ` (${why})`}`,
});

/** Only Entra's own sign-in records: M365 UserLoggedIn events (also role signin) hold other things there. */
const ENTRA_SIGNINS = { field: 'event.dataset', values: ['azure.signinlogs'] } as const;

const TENANT = 'cloud.account.id is the record\'s tenant: tenantId or AADTenantId, else the resource tenant, else the home tenant';

const RESULT_CODE: FieldMapping = {
  to: 'event.code',
  only: ENTRA_SIGNINS,
  note: 'the result code as text ("0", "50126"): status.errorCode, else resultType (they are equal in every export); the admin center\'s "Sign-in error code". ' +
    'Only on azure.signinlogs events: on an M365 UserLoggedIn event event.code is the record type. ' +
    'ECS documents of Elastic\'s azure integration have no event.code, so these tests do not match them',
};

/** Entra ID sign-ins: product azure, service signinlogs. */
const SIGNIN_FIELDS: Readonly<Record<string, FieldMapping>> = {
  // Result
  ResultType: RESULT_CODE,
  'Status.errorCode': RESULT_CODE,
  Status: {
    to: 'event.outcome',
    values: { Success: 'success' },
    note: 'the admin center\'s Status column: "Success" is event.outcome success (error code 0). ' +
      '"Failure" and "Interrupted" are both event.outcome failure, so they do not translate; in the other exports Status is an object',
  },
  'Status.failureReason': notKept('the result\'s text; event.code keeps its code'),
  'Status.additionalDetails': notKept('the result\'s text; event.code keeps its code'),
  ResultDescription: notKept('the result\'s text; event.code keeps its code'),
  ResultSignature: notKept('the envelope\'s result signature'),
  // Who
  UserPrincipalName: {
    to: 'user.name',
    note: 'a service principal\'s sign-in, which has no UPN, keeps the service principal\'s name here',
  },
  Username: { to: 'user.name', note: 'the admin center\'s "Username" column (the UPN)' },
  UserId: {
    to: 'user.id',
    note: 'the user\'s object id; a service principal\'s sign-in keeps the service principal\'s id here',
  },
  UserDisplayName: notKept('the display name; user.name keeps the UPN'),
  HomeTenantId: notKept(TENANT),
  ResourceTenantId: notKept(TENANT),
  // From where
  IPAddress: { to: 'source.ip', note: 'canonical form (IPv4-mapped IPv6 as IPv4)' },
  callerIpAddress: {
    to: 'source.ip',
    kind: 'copy',
    note: 'the diagnostic envelope\'s copy of properties.ipAddress; source.ip is properties.ipAddress when the record has one ' +
      '(test-signinlogs.log line 2: callerIpAddress 8.8.8.8, ipAddress and so source.ip 81.171.241.231)',
  },
  'LocationDetails.countryOrRegion': { to: 'source.geo.country_iso_code', note: 'upper case; a value that is not a two-letter code is source.geo.country_name' },
  'LocationDetails.city': 'source.geo.city_name',
  'LocationDetails.state': 'source.geo.region_name',
  'location.countryOrRegion': { to: 'source.geo.country_iso_code', note: 'diagnostic records and Graph: as LocationDetails.countryOrRegion' },
  'location.city': 'source.geo.city_name',
  'location.state': 'source.geo.region_name',
  Location: {
    to: 'source.geo.country_iso_code',
    kind: 'copy',
    note: 'the country code alone (diagnostic envelope, Log Analytics column); the location details\' countryOrRegion wins when the record has both ' +
      '(test-alternative-time-and-duration-as-string.log: location AU, countryOrRegion and so source.geo.country_iso_code ZZ)',
  },
  'LocationDetails.geoCoordinates.*': notKept('coordinates'),
  'location.geoCoordinates.*': notKept('coordinates'),
  'NetworkLocationDetails.*': notKept('named networks'),
  // Which app, which client
  AppDisplayName: {
    to: 'client.app',
    note: 'a service principal\'s sign-in without one keeps the service principal\'s name here',
  },
  AppId: 'azure.signinlogs.properties.app_id',
  ClientAppUsed: {
    to: 'client.client_app',
    only: ENTRA_SIGNINS,
    note: '"Browser", "Exchange ActiveSync", "IMAP4"…; only on azure.signinlogs events: on an M365 event client.client_app is the ClientInfoString',
  },
  ClientApp: notAField('Entra\'s sign-in records', 'the admin center shows clientAppUsed as "Client app", with values such as "IMAP4" and "Other clients"'),
  UserAgent: 'user_agent.original',
  ResourceDisplayName: notKept('the resource signed in to'),
  ResourceId: notKept('the resource signed in to'),
  'DeviceDetail.*': notKept('the device: id, trust type, compliance, operating system, browser'),
  AuthenticationProtocol: notKept('deviceCode, ropc…'),
  IsInteractive: notKept('interactive or not; crosswatch.category says which log'),
  // How it was authenticated
  AuthenticationRequirement: 'azure.signinlogs.properties.authentication_requirement',
  'MfaDetail.authMethod': 'azure.signinlogs.properties.mfa_detail.auth_method',
  'MfaDetail.authDetail': 'azure.signinlogs.properties.mfa_detail.auth_detail',
  ConditionalAccessStatus: 'azure.signinlogs.properties.conditional_access_status',
  AppliedConditionalAccessPolicies: notKept('the policies and their results'),
  RiskState: 'azure.signinlogs.properties.risk_state',
  RiskLevelDuringSignIn: 'azure.signinlogs.properties.risk_level_during_signin',
  RiskLevelAggregated: 'azure.signinlogs.properties.risk_level_aggregated',
  RiskDetail: 'azure.signinlogs.properties.risk_detail',
  // Names SigmaHQ rules use that no Entra export has
  message: notAField('Entra\'s sign-in records', 'Entra says a sign-in used the device code flow or ROPC in authenticationProtocol, which is not kept either'),
  ActivityDetails: notAField('Entra\'s sign-in records'),
};

/**
 * RecordType numbers and the names crosswatch keeps for them in event.code (the
 * m365-audit decoder's table; Elastic's o365 documents carry the same names).
 */
const RECORD_TYPES: Readonly<Record<string, string>> = {
  1: 'ExchangeAdmin', 2: 'ExchangeItem', 3: 'ExchangeItemGroup', 4: 'SharePoint', 6: 'SharePointFileOperation', 7: 'OneDrive',
  8: 'AzureActiveDirectory', 9: 'AzureActiveDirectoryAccountLogon', 14: 'SharePointSharingOperation', 15: 'AzureActiveDirectoryStsLogon',
  18: 'SecurityComplianceCenterEOPCmdlet', 20: 'PowerBIAudit', 22: 'Yammer', 25: 'MicrosoftTeams', 28: 'ThreatIntelligence',
  40: 'SecurityComplianceAlerts', 50: 'ExchangeItemAggregated', 64: 'AirInvestigation',
};

const RECORD_TYPE_VALUES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(RECORD_TYPES).flatMap(([n, name]) => [[n, name], [name, name]]),
);

const NOT_AUDIT = 'Microsoft 365 audit records';

/** Microsoft 365 unified audit records: product m365, services audit and exchange. */
const AUDIT_FIELDS: Readonly<Record<string, FieldMapping>> = {
  Operation: { to: 'event.action', note: 'a Purview export row\'s Operations column when the record has none' },
  Workload: { to: 'event.provider', note: 'Sentinel\'s OfficeWorkload column' },
  OfficeWorkload: 'event.provider',
  RecordType: {
    to: 'event.code',
    values: RECORD_TYPE_VALUES,
    note: 'event.code holds the type\'s name ("AzureActiveDirectoryStsLogon" for 15): the 18 types crosswatch names translate, as numbers or names; other numbers do not (no one form)',
  },
  Id: { to: 'event.id', note: 'a Purview export row\'s RecordId when the record has none' },
  OrganizationId: 'cloud.account.id',
  UserId: { to: 'user.name', note: 'the UPN (or a service\'s name: "S-1-5-18"); a Purview export row\'s UserIds when the record has none' },
  ClientIP: {
    to: 'source.ip',
    kind: 'copy',
    note: 'canonical, port and brackets removed ("[10.11.12.13]:12345" is 10.11.12.13). source.ip is the first of ClientIPAddress, Client_IPAddress, ClientIP, ActorIpAddress that holds an address ' +
      '(test-bad-ips.json record 2: ClientIP 67.43.156.13:12345, ClientIPAddress and so source.ip 10.90.0.1)',
  },
  ClientIPAddress: { to: 'source.ip', kind: 'copy', note: 'as ClientIP' },
  Client_IPAddress: { to: 'source.ip', kind: 'copy', note: 'as ClientIP' },
  ActorIpAddress: { to: 'source.ip', kind: 'copy', note: 'as ClientIP' },
  UserAgent: { to: 'user_agent.original', note: 'or the UserAgent entry of ExtendedProperties' },
  ClientInfoString: { to: 'o365.audit.ClientInfoString', note: 'also client.client_app' },
  AppId: 'o365.audit.AppId',
  ClientAppId: 'o365.audit.ClientAppId',
  ApplicationId: 'o365.audit.ApplicationId',
  ResultStatus: notKept('event.outcome is read from it: Succeeded, PartiallySucceeded, True and Success are success, except a UserLoggedIn with an ErrorNumber'),
  ErrorNumber: notKept('it only makes a UserLoggedIn a failure'),
  LogonError: notKept('the sign-in error\'s name'),
  ObjectId: notKept('the object acted on'),
  RequestType: notKept('Azure AD STS request type'),
  UserKey: notKept('the user\'s id; user.name keeps UserId'),
  UserType: notKept('regular, admin, system…'),
  Parameters: notKept('cmdlet parameters'),
  OperationProperties: notKept('operation properties'),
  ExtendedProperties: notKept('only its UserAgent entry, as user_agent.original'),
  ModifiedProperties: notKept('old and new values'),
  'Target.*': notKept('targets'),
  'Actor.*': notKept('actors'),
  MailboxOwnerUPN: notKept('the mailbox owner'),
  Directionality: notKept('Defender for Office 365 mail direction'),
  DeliveryAction: notKept('Defender for Office 365 delivery action'),
  // Names SigmaHQ's m365 rules use that are no Management Activity API field
  eventSource: notAField(NOT_AUDIT, 'a collector\'s name for the workload'),
  eventName: notAField(NOT_AUDIT, 'a collector\'s name for the operation or the alert'),
  status: notAField(NOT_AUDIT),
  Payload: notAField(NOT_AUDIT),
};

export const microsoft: Pipeline = {
  name: 'crosswatch-microsoft',
  description: 'Microsoft\'s field names for Entra ID sign-ins (diagnostic records, Log Analytics columns, Graph signIn, admin center CSV) and Microsoft 365 audit records, as SigmaHQ\'s azure/signinlogs and m365 rules write them, mapped to the normalized event\'s fields',
  logsources: [
    { match: { product: 'azure', service: 'signinlogs' }, prefixes: ['properties.'], fields: SIGNIN_FIELDS },
    { match: { product: 'm365', service: 'audit' }, fields: AUDIT_FIELDS },
    { match: { product: 'm365', service: 'exchange' }, fields: AUDIT_FIELDS },
  ],
};
