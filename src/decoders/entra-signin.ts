// Microsoft Entra ID sign-in records, in the three shapes they are exported in:
//  - Azure Monitor diagnostic settings (Event Hub / storage): top-level `category`
//    (SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs,
//    ManagedIdentitySignInLogs, ADFSSignInLogs, ...) and the sign-in in `properties`;
//    some exporters write the top-level keys in PascalCase (`Category`, `CreatedDateTime`).
//  - Log Analytics / Microsoft Sentinel rows (`Type`: SigninLogs,
//    AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs,
//    AADManagedIdentitySignInLogs), flat PascalCase columns, `TimeGenerated`, as JSON
//    (API / `az monitor log-analytics query`) or as the portal's "Export to CSV" (CSV rows:
//    datetime columns headed "TimeGenerated [UTC]", values "9/19/2023, 1:45:17.287 PM";
//    Status, DeviceDetail, LocationDetails as JSON text).
//  - Microsoft Graph `signIn` resources (auditLogs/signIns): flat camelCase.
// The event time is the sign-in's createdDateTime, not the time the record was written.
import { MAX_AUTH_STEPS, type AuthenticationStep, type Geo, type Outcome, type SigninProperties } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import type { DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { isObject, jsonish, num, present, readTime, str } from './fields.js';
import type { JsonObject } from './fields.js';
import { countryGeo, signinEvent } from './common/signin.js';

const NAME = 'entra-signin';

/**
 * A Log Analytics "Export to CSV" header names a datetime column with its display
 * zone: "TimeGenerated [UTC]", "CreatedDateTime [UTC]" (or "[UTC+01:00]" when the
 * portal showed another zone). Returns the bare column name and the zone, if any.
 */
function splitZoneHeader(key: string): { name: string; zone?: string } {
  const m = /^(.*?)\s*\[(UTC|GMT)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\]$/i.exec(key);
  if (!m) return { name: key };
  const [, name = key, , sign, hh, mm] = m;
  if (sign === undefined) return { name, zone: '+00:00' };
  return { name, zone: `${sign}${(hh ?? '0').padStart(2, '0')}:${mm ?? '00'}` };
}

/** A CSV row seen as a JSON record: "X [UTC]" columns renamed X (zone kept aside), blanks dropped. */
function csvView(row: Record<string, string>): { o: JsonObject; zones: ReadonlyMap<string, string> } {
  const o: JsonObject = {};
  const zones = new Map<string, string>();
  for (const [k, v] of Object.entries(row)) {
    const { name, zone } = splitZoneHeader(k);
    if (typeof v === 'string' && v.trim() === '') continue;
    o[name] = v;
    if (zone !== undefined) zones.set(name, zone);
  }
  return { o, zones };
}

/** A JSON record's zones: none (only a CSV export's "[UTC]" headers name one). Shared: nothing writes to it. */
const NO_ZONES: ReadonlyMap<string, string> = new Map();

/**
 * The record as a JSON object (CSV rows converted), or undefined for text.
 * (accepts asks this of every JSON record the decoders before m365-audit see:
 * a map made for each was ~17 MB of a 1M-record hunt's ~500 MB of garbage.)
 */
function asObject(record: RawRecord): { o: JsonObject; zones: ReadonlyMap<string, string> } | undefined {
  if (record.kind === 'json') return isObject(record.value) ? { o: record.value, zones: NO_ZONES } : undefined;
  if (record.kind === 'csv') return csvView(record.value);
  return undefined;
}

/**
 * Log Analytics' CSV export writes "9/19/2023, 1:45:17.287 PM" (a comma after the
 * date) and, under a "[UTC]" header, no zone: give it the header's zone.
 */
function exportTime(v: unknown, zone: string | undefined): unknown {
  if (typeof v !== 'string') return v;
  let t = v.trim().replace(/^(\d{1,2}\/\d{1,2}\/\d{4}),\s*/, '$1 ');
  if (zone !== undefined && !/(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)$/i.test(t)) t = `${t} ${zone}`;
  return t;
}

/** "SignInLogs", "NonInteractiveUserSignInLogs", "AADManagedIdentitySignInLogs", "SigninLogs"... */
function isSignInCategory(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 128 && /signinlogs$/i.test(v.trim());
}

function categoryOf(o: JsonObject): string | undefined {
  for (const k of ['category', 'Category', 'Type', 'type']) {
    const v = o[k];
    if (isSignInCategory(v)) return v.trim();
  }
  return undefined;
}

/** A Microsoft Graph signIn resource: flat, createdDateTime plus sign-in fields. */
function isGraphSignIn(o: JsonObject): boolean {
  if (typeof o['createdDateTime'] !== 'string') return false;
  if ('@timestamp' in o || 'event_type' in o) return false;
  const odata = o['@odata.type'];
  if (typeof odata === 'string' && /signin$/i.test(odata)) return true;
  const hasWho = 'userPrincipalName' in o || 'servicePrincipalId' in o || 'appDisplayName' in o;
  const hasWhat = isObject(o['status']) || 'ipAddress' in o;
  return hasWho && hasWhat;
}

/**
 * The PascalCase spelling of a property name, made once per name: the getter
 * below asks for it of every property a diagnostic record lacks, and a string
 * made afresh each time must be hashed anew to look up (a quarter of the
 * decoder's time went to that).
 */
const PASCAL = new Map<string, string>();
function pascal(name: string): string {
  let p = PASCAL.get(name);
  if (p === undefined) {
    p = name.charAt(0).toUpperCase() + name.slice(1);
    if (PASCAL.size < 256) PASCAL.set(name, p);
  }
  return p;
}

/**
 * Reads a sign-in property wherever this export put it: `properties.x`, top-level
 * `x`, or top-level `X` (Log Analytics / PascalCase exports).
 */
function getter(o: JsonObject, props: JsonObject | undefined): (name: string) => unknown {
  return (name: string) => {
    if (props && present(props[name])) return props[name];
    if (present(o[name])) return o[name];
    const p = pascal(name);
    if (present(o[p])) return o[p];
    if (props && present(props[p])) return props[p];
    return undefined;
  };
}

/** status.errorCode 0 (number or "0") is success; else resultType "0"; else unknown. */
function outcomeOf(get: (name: string) => unknown): { outcome: Outcome; code?: string } {
  const status = jsonish(get('status'));
  const errorCode = isObject(status) ? num(status['errorCode'] ?? status['ErrorCode']) : undefined;
  if (errorCode !== undefined) {
    return { outcome: errorCode === 0 ? 'success' : 'failure', code: String(errorCode) };
  }
  const resultType = str(get('resultType'), 32);
  if (resultType !== undefined) {
    return { outcome: resultType === '0' ? 'success' : 'failure', code: resultType };
  }
  return { outcome: 'unknown' };
}

/** Enumeration-like values (requirement, risk, CA status) are short; longer text is not one of them. */
const ENUM_CHARS = 64;
/** Method names, step results, place names. */
const DETAIL_CHARS = 256;

/** A boolean written as true/false or "true"/"false". */
function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return undefined;
}

/** authenticationDetails[] (an array, or JSON text in Log Analytics rows), bounded in count and size. */
function authenticationSteps(v: unknown): AuthenticationStep[] | undefined {
  const list = jsonish(v);
  if (!Array.isArray(list)) return undefined;
  const out: AuthenticationStep[] = [];
  for (const item of list.slice(0, MAX_AUTH_STEPS)) {
    if (!isObject(item)) continue;
    const at = (name: string): unknown => item[name] ?? item[pascal(name)];
    const step: AuthenticationStep = {};
    const method = str(at('authenticationMethod'), DETAIL_CHARS);
    const methodDetail = str(at('authenticationMethodDetail'), DETAIL_CHARS);
    const requirement = str(at('authenticationStepRequirement'), DETAIL_CHARS);
    const result = str(at('authenticationStepResultDetail'), DETAIL_CHARS);
    const succeeded = bool(at('succeeded'));
    if (method !== undefined) step.authentication_method = method;
    if (methodDetail !== undefined) step.authentication_method_detail = methodDetail;
    if (requirement !== undefined) step.authentication_step_requirement = requirement;
    if (result !== undefined) step.authentication_step_result_detail = result;
    if (succeeded !== undefined) step.succeeded = succeeded;
    if (Object.keys(step).length > 0) out.push(step);
  }
  return out.length > 0 ? out : undefined;
}

/** Entra's own idea of where the sign-in came from: location / LocationDetails {city, state, countryOrRegion}. */
function locationOf(get: (name: string) => unknown): Geo | undefined {
  const details = jsonish(get('locationDetails'));
  const location = jsonish(get('location'));
  const loc = isObject(details) ? details : isObject(location) ? location : undefined;
  const geo: Geo = {};
  const city = str(loc?.['city'], DETAIL_CHARS);
  const state = str(loc?.['state'], DETAIL_CHARS);
  if (city !== undefined) geo.city_name = city;
  if (state !== undefined) geo.region_name = state;
  // A Log Analytics row's Location column (and the diagnostic envelope's) is the country code alone.
  countryGeo(geo, str(loc?.['countryOrRegion'], DETAIL_CHARS) ?? str(location, DETAIL_CHARS));
  return Object.keys(geo).length > 0 ? geo : undefined;
}

/** MFA requirement and methods, conditional access, risk, app id: what an analyst asks first. */
function propertiesOf(get: (name: string) => unknown): SigninProperties | undefined {
  const p: SigninProperties = {};
  const set = (key: Exclude<keyof SigninProperties, 'authentication_details' | 'mfa_detail'>, name: string, max = ENUM_CHARS): void => {
    const v = str(get(name), max);
    if (v !== undefined) p[key] = v;
  };
  set('authentication_requirement', 'authenticationRequirement');
  const steps = authenticationSteps(get('authenticationDetails'));
  if (steps) p.authentication_details = steps;
  const mfa = jsonish(get('mfaDetail'));
  if (isObject(mfa)) {
    const method = str(mfa['authMethod'] ?? mfa['AuthMethod'], DETAIL_CHARS);
    const detail = str(mfa['authDetail'] ?? mfa['AuthDetail'], DETAIL_CHARS);
    if (method !== undefined || detail !== undefined) {
      p.mfa_detail = {};
      if (method !== undefined) p.mfa_detail.auth_method = method;
      if (detail !== undefined) p.mfa_detail.auth_detail = detail;
    }
  }
  set('conditional_access_status', 'conditionalAccessStatus');
  set('risk_level_during_signin', 'riskLevelDuringSignIn');
  set('risk_state', 'riskState');
  set('risk_level_aggregated', 'riskLevelAggregated');
  set('risk_detail', 'riskDetail');
  set('app_id', 'appId', DETAIL_CHARS);
  return Object.keys(p).length > 0 ? p : undefined;
}

function firstIp(values: readonly unknown[]): string | undefined {
  for (const v of values) {
    const ip = canonicalIp(v);
    if (ip !== null) return ip;
  }
  return undefined;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  const view = asObject(record);
  if (!view) return reject('unknown-format', 'entra-signin reads JSON records and CSV rows only');
  const { o, zones } = view;
  const category = categoryOf(o);
  const graph = category === undefined && isGraphSignIn(o);
  const rawProps = jsonish(o['properties'] ?? o['Properties']);
  const props = isObject(rawProps) ? rawProps : undefined;
  const get = getter(o, props);

  // The sign-in time first; the record's write time only when the sign-in time is absent.
  const time = readTime(
    graph
      ? [['createdDateTime', o['createdDateTime']]]
      : [
          [props && present(props['createdDateTime']) ? 'properties.createdDateTime' : 'createdDateTime', exportTime(get('createdDateTime'), zones.get('CreatedDateTime'))],
          ['time', o['time'] ?? o['Time']],
          ['TimeGenerated', exportTime(o['TimeGenerated'], zones.get('TimeGenerated'))],
        ],
    ctx,
  );
  if (!time.ok) return time.result;

  // properties.ipAddress is the sign-in's own client address (Elastic's current
  // pipeline reads it first); callerIpAddress is the diagnostic envelope's copy.
  const ip = firstIp([get('ipAddress'), o['callerIpAddress'], o['CallerIpAddress'], o['IPAddress']]);
  const { outcome, code } = outcomeOf(get);

  const upn = str(get('userPrincipalName'));
  const spName = str(get('servicePrincipalName'));
  const userId = str(get('userId'));
  const spId = str(get('servicePrincipalId'));
  const userName = upn ?? spName;
  const uid = userId ?? (upn === undefined ? spId : undefined);
  const action = str(o['operationName'] ?? o['OperationName']) ?? (graph ? 'Sign-in activity' : undefined);
  // In Log Analytics rows `TenantId` is the workspace id; the Entra tenant is AADTenantId.
  const logAnalytics = isSignInCategory(o['Type']) || 'TimeGenerated' in o;
  return signinEvent({
    at: time.at, decoder: NAME, category: category ?? 'Graph signIn', outcome, code, action,
    id: str(get('id')), ip, userName, upn, userId: uid,
    app: str(get('appDisplayName')) ?? spName, clientApp: str(get('clientAppUsed')), ua: str(get('userAgent')),
    tenant: str(o['AADTenantId'] ?? o['tenantId'] ?? (logAnalytics ? undefined : o['TenantId'])) ?? str(get('resourceTenantId')) ?? str(get('homeTenantId')),
    properties: propertiesOf(get), geo: locationOf(get),
  });
}

/**
 * The sign-in properties decode() reads through getter(): at `properties.x`,
 * `properties.X`, top-level `x` and `X` alike.
 */
const PROPERTY_NAMES = [
  'createdDateTime', 'ipAddress', 'status', 'resultType', 'userPrincipalName', 'servicePrincipalName', 'userId', 'servicePrincipalId', 'id',
  'appDisplayName', 'clientAppUsed', 'userAgent', 'resourceTenantId', 'homeTenantId', 'authenticationRequirement', 'authenticationDetails',
  'mfaDetail', 'conditionalAccessStatus', 'riskLevelDuringSignIn', 'riskState', 'riskLevelAggregated', 'riskDetail', 'appId', 'locationDetails', 'location',
].flatMap((n) => [n, pascal(n)]);

export const entraSignin: Decoder = {
  roles: ['signin'],
  jsonKeys: {
    accepts: {
      top: ['@timestamp', 'category', 'Category', 'Type', 'type', 'createdDateTime', 'event_type', '@odata.type', 'userPrincipalName', 'servicePrincipalId', 'appDisplayName', 'status', 'ipAddress'],
    },
    decode: {
      top: [
        ...PROPERTY_NAMES, 'properties', 'Properties', 'time', 'Time', 'TimeGenerated', 'callerIpAddress', 'CallerIpAddress', 'IPAddress',
        'operationName', 'OperationName', 'AADTenantId', 'tenantId', 'TenantId',
      ],
      inner: { properties: PROPERTY_NAMES, Properties: PROPERTY_NAMES },
    },
  },
  timeFields: ['properties.createdDateTime', 'CreatedDateTime', 'createdDateTime', 'time', 'TimeGenerated'],
  cues: [
    { label: 'is a JSON object or CSV row', test: (r) => r.kind !== 'text' },
    { label: 'category/Category/Type names a *SignInLogs category', test: (r) => { const v = asObject(r); return v !== undefined && categoryOf(v.o) !== undefined; } },
    { label: 'or is a Graph signIn (createdDateTime, userPrincipalName/appDisplayName, status/ipAddress)', test: (r) => r.kind === 'json' && isGraphSignIn(r.value) },
    { label: 'has no "@timestamp" (not ECS)', test: (r) => r.kind !== 'text' && !('@timestamp' in r.value) },
  ],
  name: NAME,
  description: 'Microsoft Entra ID sign-ins: Azure Monitor diagnostic records (*SignInLogs), Log Analytics / Sentinel rows (JSON or CSV export), Graph signIn objects',
  accepts(record: RawRecord): boolean {
    const view = asObject(record);
    if (!view) return false;
    const { o } = view;
    if ('@timestamp' in o) return false; // ECS documents belong to the ecs decoder
    if (record.kind === 'csv') return categoryOf(o) !== undefined;
    return categoryOf(o) !== undefined || isGraphSignIn(o);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
