// The Microsoft Entra admin center's sign-in log download (Sign-in logs → Download →
// CSV): InteractiveSignIns_*.csv, NonInteractiveSignIns_*.csv, and the service
// principal / managed identity files. One row per sign-in, human column names
// ("Date (UTC)", "Request ID", "IP address", "Status", "Sign-in error code", ...),
// times in UTC ("2024-10-14T12:34:56Z"). Framing hands the rows over keyed by the
// (trimmed) header; the admin center writes some names with a trailing space
// ("Application ID ") and some twice ("Incoming token type"). It writes enumerations
// as display text ("Single-factor authentication", "Not Applied"): they are read
// back to the values the other exports write (singleFactorAuthentication, notApplied).
import type { AuthenticationStep, Geo, Outcome, SigninProperties } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import type { DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { hasKey, reject } from './types.js';
import { num, present, readTime, str } from './fields.js';
import { countryGeo, signinEvent } from './common/signin.js';

const NAME = 'entra-portal-csv';

/** Column names, compared case- and space-insensitively. */
function norm(k: string): string {
  return k.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A row with its columns looked up by normalized name. */
function columns(row: Record<string, string>): (name: string) => string | undefined {
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(row)) {
    const key = norm(k);
    // The first non-blank value of a repeated column wins.
    if (typeof v === 'string' && v.trim() !== '' && !map.has(key)) map.set(key, v);
  }
  return (name: string) => map.get(norm(name));
}

function hasCol(row: Record<string, string>, name: string): boolean {
  const n = norm(name);
  return Object.keys(row).some((k) => norm(k) === n);
}

/** The admin center's header: "Date (UTC)" plus the sign-in columns it always writes. */
function isPortalRow(record: RawRecord): record is Extract<RawRecord, { kind: 'csv' }> {
  if (record.kind !== 'csv') return false;
  const row = record.value;
  if (!hasCol(row, 'Date (UTC)')) return false;
  const signinCols = ['Request ID', 'IP address', 'Status', 'Sign-in error code', 'Correlation ID', 'Username'];
  return signinCols.filter((c) => hasCol(row, c)).length >= 2;
}

/** Success iff Status is "Success" or the error code is 0 (DESIGN.md §1); "Failure" / "Interrupted" or a non-zero code is not. */
function outcomeOf(col: (name: string) => string | undefined): { outcome: Outcome; code?: string } {
  const code = num(col('Sign-in error code'));
  const status = str(col('Status'), 64)?.toLowerCase();
  const codeText = code !== undefined ? String(code) : undefined;
  if (status === 'success' || code === 0) return { outcome: 'success', code: codeText ?? '0' };
  if (code !== undefined || status === 'failure' || status === 'interrupted') {
    return codeText !== undefined ? { outcome: 'failure', code: codeText } : { outcome: 'failure' };
  }
  return { outcome: 'unknown' };
}

/** The admin center's display text of an enumeration, as the API writes it; other text as written. */
const DISPLAY_ENUMS: Record<string, string> = {
  singlefactorauthentication: 'singleFactorAuthentication',
  multifactorauthentication: 'multiFactorAuthentication',
  notapplied: 'notApplied',
  success: 'success',
  failure: 'failure',
};

function enumValue(v: string | undefined): string | undefined {
  const s = str(v, 64);
  if (s === undefined) return undefined;
  return DISPLAY_ENUMS[s.toLowerCase().replace(/[\s-]+/g, '')] ?? s;
}

/** "City, State, CC": the last part is the country, the one before it the state, the rest the city. */
function locationOf(v: string | undefined): Geo | undefined {
  const text = str(v, 256);
  if (text === undefined) return undefined;
  const parts = text.split(',').map((x) => x.trim());
  const country = str(parts.pop(), 128);
  const state = parts.length >= 2 ? str(parts.pop(), 128) : undefined;
  const city = str(parts.join(', '), 128);
  const geo: Geo = {};
  if (city !== undefined) geo.city_name = city;
  if (state !== undefined) geo.region_name = state;
  countryGeo(geo, country);
  return Object.keys(geo).length > 0 ? geo : undefined;
}

/** Authentication requirement, the MFA columns and Conditional Access, as the other exports name them. */
function propertiesOf(col: (name: string) => string | undefined): SigninProperties | undefined {
  const p: SigninProperties = {};
  const requirement = enumValue(col('Authentication requirement'));
  if (requirement !== undefined) p.authentication_requirement = requirement;
  const method = str(col('Multifactor authentication auth method'), 256);
  const detail = str(col('Multifactor authentication auth detail'), 256);
  const result = str(col('Multifactor authentication result'), 256);
  if (method !== undefined || detail !== undefined) {
    p.mfa_detail = {};
    if (method !== undefined) p.mfa_detail.auth_method = method;
    if (detail !== undefined) p.mfa_detail.auth_detail = detail;
  }
  // The MFA result is what the MFA step said of itself; whether it succeeded the file does not say.
  if (result !== undefined) {
    const step: AuthenticationStep = { authentication_step_result_detail: result };
    if (method !== undefined) step.authentication_method = method;
    p.authentication_details = [step];
  }
  const ca = enumValue(col('Conditional Access'));
  if (ca !== undefined) p.conditional_access_status = ca;
  const appId = str(col('Application ID'), 256);
  if (appId !== undefined) p.app_id = appId;
  return Object.keys(p).length > 0 ? p : undefined;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'csv') return reject('unknown-format', 'entra-portal-csv reads CSV rows only');
  const col = columns(record.value);
  // "Date (UTC)" says UTC: a configured device zone never applies to it.
  const time = readTime([['Date (UTC)', col('Date (UTC)')]], { ...ctx, defaultOffsetMinutes: 0, zone: undefined });
  if (!time.ok) return time.result;

  const { outcome, code } = outcomeOf(col);
  const ip = canonicalIp(col('IP address')) ?? undefined;
  const username = str(col('Username'));
  const display = str(col('User'));
  const userId = str(col('User ID'));
  const spName = str(col('Service principal name'));
  const userName = username ?? spName ?? display;
  // The file says which log it is only through its columns.
  const category = present(col('Service principal ID')) || present(col('Service principal name'))
    ? (present(col('Managed Identity type')) ? 'ManagedIdentitySignInLogs' : 'ServicePrincipalSignInLogs')
    : 'SignInLogs';
  return signinEvent({
    at: time.at, decoder: NAME, category, outcome, code, action: 'Sign-in activity',
    id: str(col('Request ID'), 256), ip, userName, upn: username,
    userId: userId ?? str(col('Service principal ID')),
    app: str(col('Application')) ?? spName, clientApp: str(col('Client app')), ua: str(col('User agent')),
    tenant: str(col('Resource tenant ID'), 256) ?? str(col('Home tenant ID'), 256),
    properties: propertiesOf(col), geo: locationOf(col('Location')),
  });
}

export const entraPortalCsv: Decoder = {
  roles: ['signin'],
  jsonKeys: { accepts: { top: [] } }, // (it takes CSV rows only)
  timeFields: ['Date (UTC)'],
  name: NAME,
  description: 'Microsoft Entra admin center sign-in log download (CSV: "Date (UTC)", "IP address", "Status", ...)',
  cues: [
    { label: 'is a CSV row', test: (r) => r.kind === 'csv' },
    hasKey('Date (UTC)'),
    { label: 'has two of "Request ID", "IP address", "Status", "Sign-in error code", "Correlation ID", "Username"', test: (r) => isPortalRow(r) },
  ],
  accepts(record: RawRecord): boolean {
    return isPortalRow(record);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
