// More Microsoft input shapes: Log Analytics / Sentinel sign-in rows (JSON and the
// portal's CSV export), the Entra admin center's sign-in CSV download, Purview CSV
// column variants, Sentinel OfficeActivity rows, and the M365 source-IP fallback.
// CSV inputs go through the real framing (frameFile), as `crosswatch normalize` reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecord } from '../src/decoders/index.js';
import type { RawRecord } from '../src/decoders/types.js';
import { eventDetail, type NormalizedEvent } from '../src/model/event.js';
import { frameFile } from '../src/inputs/framing.js';
import { CTX, jsonRecord } from './fixtures-helpers.js';

async function frameText(name: string, text: string): Promise<RawRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-ms-'));
  try {
    const p = join(dir, name);
    writeFileSync(p, text);
    const out: RawRecord[] = [];
    for await (const batch of frameFile(p, name)) {
      for (const it of batch) {
        if (it.kind === 'problem') assert.fail(`framing problem: ${it.message}`);
        out.push(it);
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function decodeAll(records: RawRecord[], decoder: string): NormalizedEvent[] {
  return records.map((r) => {
    const d = decodeRecord(r, CTX);
    assert.equal(d.decoder, decoder, `taken by ${d.decoder}`);
    if (!d.result.ok) assert.fail(`${d.result.error.reason}: ${d.result.error.message}`);
    return d.result.event.event;
  });
}

// The header and value forms of the Log Analytics portal's "Export to CSV" (datetime
// columns "X [UTC]", "9/19/2023, 1:45:17.287 PM", dynamic columns as JSON text).
const LA_CSV = [
  'TenantId,SourceSystem,TimeGenerated [UTC],OperationName,Category,ResultType,ResultDescription,AppDisplayName,CreatedDateTime [UTC],DeviceDetail,Id,IPAddress,Status,UserPrincipalName,AADTenantId,Type',
  '81a662b5-0000-4000-8000-000000000001,Azure AD,"9/19/2023, 1:45:17.287 PM",Sign-in activity,SignInLogs,0,,Azure Portal,"9/19/2023, 1:42:37.848 PM","{""operatingSystem"":""Windows10""}",56b9bd55-0000-4000-8000-000000000001,81.2.69.142,"{""errorCode"":0}",alice@contoso.example,4b2462a4-0000-4000-8000-000000000001,SigninLogs',
  '81a662b5-0000-4000-8000-000000000001,Azure AD,"9/19/2023, 1:46:55.434 PM",Sign-in activity,NonInteractiveUserSignInLogs,50140,Keep me signed in interrupt,Azure Portal,"9/19/2023, 11:21:02.145 AM",,b069bb58-0000-4000-8000-000000000001,81.2.69.143,"{""errorCode"":50140}",bob@contoso.example,4b2462a4-0000-4000-8000-000000000001,AADNonInteractiveUserSignInLogs',
].join('\r\n');

test('Log Analytics CSV export of SigninLogs / AADNonInteractiveUserSignInLogs (no .csv name: sniffed)', async () => {
  const events = decodeAll(await frameText('query_data.txt', LA_CSV), 'entra-signin');
  assert.equal(events.length, 2);
  const [a, b] = events as [NormalizedEvent, NormalizedEvent];
  // Sign-in time (CreatedDateTime), not TimeGenerated; the "[UTC]" header makes it UTC.
  assert.equal(a['@timestamp'], '2023-09-19T13:42:37.848Z');
  assert.equal(a.event.outcome, 'success');
  assert.equal(a.source?.ip, '81.2.69.142');
  assert.equal(a.user?.name, 'alice@contoso.example');
  assert.equal(a.event.id, '56b9bd55-0000-4000-8000-000000000001');
  assert.equal(a.cloud?.account?.id, '4b2462a4-0000-4000-8000-000000000001', 'AADTenantId, not the workspace TenantId');
  assert.equal(a.crosswatch.role, 'signin');
  assert.equal(b['@timestamp'], '2023-09-19T11:21:02.145Z');
  assert.equal(b.event.outcome, 'failure');
  assert.equal(b.event.code, '50140');
});

test('Log Analytics CSV: a configured device zone does not move "[UTC]" columns', () => {
  const rec: RawRecord = {
    kind: 'csv', origin: { source: 'x.csv', line: 2 },
    value: { 'TimeGenerated [UTC]': '3/2/2026, 10:11:12.123 AM', Type: 'AADServicePrincipalSignInLogs', ResultType: '0', IPAddress: '81.2.69.144', ServicePrincipalName: 'backup-app' },
  };
  const d = decodeRecord(rec, { ...CTX, defaultOffsetMinutes: 570, zone: '+09:30' });
  assert.equal(d.decoder, 'entra-signin');
  assert.ok(d.result.ok);
  assert.equal(d.result.event.event['@timestamp'], '2026-03-02T10:11:12.123Z');
  assert.equal(d.result.event.event.user?.name, 'backup-app');
  assert.equal(d.result.event.event.event.outcome, 'success');
});

test('Log Analytics JSON rows (API / az CLI): PascalCase, ResultType "0", Status as JSON text, 7-digit times', () => {
  const d = decodeRecord(jsonRecord({
    TenantId: 'workspace-id', TimeGenerated: '2026-03-02T10:15:00.0000000Z', CreatedDateTime: '2026-03-02T10:11:12.1234567Z',
    IPAddress: '[2a02:cf40::1]:443', ResultType: '0', ResultDescription: '', UserPrincipalName: 'carol@contoso.example',
    AppDisplayName: 'Office 365 Exchange Online', Id: 'id-1', Type: 'AADManagedIdentitySignInLogs', Status: '{"errorCode":0}',
    LocationDetails: '{"city":"Oslo"}', DeviceDetail: '{}', AADTenantId: 'tenant-1', TableName: 'PrimaryResult',
  }), CTX);
  assert.equal(d.decoder, 'entra-signin');
  assert.ok(d.result.ok);
  const e = d.result.event.event;
  assert.equal(e['@timestamp'], '2026-03-02T10:11:12.1234567Z');
  assert.equal(e.source?.ip, '2a02:cf40::1');
  assert.equal(e.event.outcome, 'success');
  assert.equal(e.cloud?.account?.id, 'tenant-1');
  assert.equal(e.crosswatch.category, 'AADManagedIdentitySignInLogs');
});

// The admin center's header (verified against public scripts that parse these files),
// with its trailing spaces ("Application ID ") and repeated "Incoming token type".
const PORTAL_HEADER = '"Date (UTC)","Request ID","User agent","Correlation ID","User ID","User","Username","User type","Cross tenant access type","Incoming token type","Authentication Protocol","Unique token identifier","Original transfer method","Client credential type","Token Protection - Sign In Session","Token Protection - Sign In Session StatusCode","Application","Application ID ","Resource","Resource ID ","Resource tenant ID","Home tenant ID","Home tenant name","IP address","Location","Status","Sign-in error code","Failure reason","Client app","Device ID","Browser","Operating System","Compliant","Managed","Join Type","Multifactor authentication result","Multifactor authentication auth method","Multifactor authentication auth detail","Authentication requirement","Sign-in identifier","Session ID","IP address (seen by resource)","Through Global Secure Access","Global Secure Access IP address","Autonomous system  number","Flagged for review","Token issuer type","Incoming token type","Token issuer name","Latency","Conditional Access","Managed Identity type","Associated Resource Id","Federated Token Id","Federated Token Issuer"';
const COLS = PORTAL_HEADER.split('","').length;

function portalRow(values: Record<number, string>): string {
  const cells: string[] = [];
  for (let i = 0; i < COLS; i++) cells.push(`"${(values[i] ?? '').replace(/"/g, '""')}"`);
  return cells.join(',');
}

test('Entra admin center sign-in CSV download (InteractiveSignIns_*.csv): sniffed by header, decoded', async () => {
  const text = [
    PORTAL_HEADER,
    portalRow({ 0: '2026-03-02T10:11:12Z', 1: 'req-1', 2: 'Mozilla/5.0', 4: 'uid-1', 5: 'Dana', 6: 'dana@contoso.example', 16: 'Office 365 Exchange Online', 20: 'tenant-1', 23: '81.2.69.145', 24: 'Oslo, Oslo, NO', 25: 'Success', 26: '0', 28: 'Browser' }),
    portalRow({ 0: '2026-03-02T10:20:00Z', 1: 'req-2', 6: 'erin@contoso.example', 23: '81.2.69.146:50000', 25: 'Failure', 26: '50126', 27: 'Invalid username or password.' }),
    portalRow({ 0: '2026-03-02T10:30:00Z', 1: 'req-3', 6: 'erin@contoso.example', 23: '81.2.69.146', 25: 'Interrupted', 26: '50074' }),
  ].join('\r\n');
  const events = decodeAll(await frameText('InteractiveSignIns_2026-03-01_2026-03-02.txt', text), 'entra-portal-csv');
  assert.equal(events.length, 3);
  const [a, b, c] = events as [NormalizedEvent, NormalizedEvent, NormalizedEvent];
  assert.equal(a['@timestamp'], '2026-03-02T10:11:12.000Z');
  assert.equal(a.event.outcome, 'success');
  assert.equal(a.source?.ip, '81.2.69.145');
  assert.equal(a.user?.name, 'dana@contoso.example');
  assert.equal(a.user?.email, 'dana@contoso.example');
  assert.equal(a.user?.id, 'uid-1');
  assert.equal(a.event.id, 'req-1');
  assert.equal(a.client?.app, 'Office 365 Exchange Online');
  assert.equal(a.crosswatch.role, 'signin');
  assert.equal(a.event.dataset, 'azure.signinlogs');
  assert.equal(b.event.outcome, 'failure');
  assert.equal(b.event.code, '50126');
  assert.equal(b.source?.ip, '81.2.69.146');
  assert.equal(c.event.outcome, 'failure');
});

test('Entra admin center CSV: "Date (UTC)" is UTC whatever zone is configured; bad dates are invalid-time', () => {
  const rec = (date: string): RawRecord => ({
    kind: 'csv', origin: { source: 'x.csv', line: 2 },
    value: { 'Date (UTC)': date, 'Request ID': 'r', 'IP address': '81.2.69.147', Status: 'Success', 'Sign-in error code': '0', Username: 'f@contoso.example' },
  });
  const d = decodeRecord(rec('2026-03-02T10:11:12Z'), { ...CTX, zone: 'America/Chicago', defaultOffsetMinutes: -360 });
  assert.equal(d.decoder, 'entra-portal-csv');
  assert.ok(d.result.ok);
  assert.equal(d.result.event.event['@timestamp'], '2026-03-02T10:11:12.000Z');
  const bad = decodeRecord(rec('yesterday'), CTX);
  assert.equal(bad.decoder, 'entra-portal-csv');
  assert.equal(bad.result.ok, false);
  if (!bad.result.ok) assert.equal(bad.result.error.reason, 'invalid-time');
});

test('Purview CSV: old (UserIds/Operations) and new (RecordId/RecordType/Operation/UserId) column sets', async () => {
  const audit = (op: string, ip: string): string =>
    JSON.stringify({ CreationTime: '2026-03-02T10:11:12', Id: 'x', Operation: op, Workload: 'Exchange', RecordType: 50, ResultStatus: 'Succeeded', UserId: 'gus@contoso.example', ClientIPAddress: ip }).replace(/"/g, '""');
  const oldCsv = `CreationDate,UserIds,Operations,AuditData\r\n2026-03-02T10:11:12.0000000Z,gus@contoso.example,MailItemsAccessed,"${audit('MailItemsAccessed', '81.2.69.148')}"`;
  const newCsv = `RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\nrec-1,"3/2/2026, 10:11:12 AM",ExchangeItemAggregated,MailItemsAccessed,gus@contoso.example,"${audit('MailItemsAccessed', 'mail.contoso.example')}",,`;
  const [o] = decodeAll(await frameText('audit.csv', oldCsv), 'm365-audit');
  assert.equal(o!.crosswatch.role, 'mail_access');
  assert.equal(o!.source?.ip, '81.2.69.148');
  assert.equal(o!.event.outcome, 'success');
  const [n] = decodeAll(await frameText('audit_new.csv', newCsv), 'm365-audit');
  assert.equal(n!.crosswatch.role, 'mail_access');
  assert.equal(n!['@timestamp'], '2026-03-02T10:11:12.000Z');
  assert.equal(n!.source, undefined, 'a host name is no IP');
});

test('M365: a non-IP ClientIPAddress falls back to ClientIP (every true case found)', () => {
  const d = decodeRecord(jsonRecord({
    CreationTime: '2026-03-02T10:11:12', Id: 'y', Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50,
    ResultStatus: 'Succeeded', UserId: 'hal@contoso.example', ClientIPAddress: 'EXCH-FE01', ClientIP: '[2a02:cf40::7]:443',
  }), CTX);
  assert.ok(d.result.ok);
  assert.equal(d.result.event.event.source?.ip, '2a02:cf40::7');
});

test('Sentinel OfficeActivity rows (JSON and CSV export) are M365 audit records', async () => {
  const j = decodeRecord(jsonRecord({
    TimeGenerated: '2026-03-02T10:11:12.5Z', Operation: 'MailItemsAccessed', OfficeWorkload: 'Exchange', RecordType: 'ExchangeItemAggregated',
    ResultStatus: 'Succeeded', UserId: 'ivy@contoso.example', Client_IPAddress: '81.2.69.149', ClientIP: '', Type: 'OfficeActivity', OfficeId: 'o-1',
  }), CTX);
  assert.equal(j.decoder, 'm365-audit');
  assert.ok(j.result.ok);
  assert.equal(j.result.event.event.crosswatch.role, 'mail_access');
  assert.equal(j.result.event.event.source?.ip, '81.2.69.149');
  assert.equal(j.result.event.event['@timestamp'], '2026-03-02T10:11:12.500Z');
  const csv = 'TimeGenerated [UTC],Operation,OfficeWorkload,ResultStatus,UserId,ClientIP,Type\r\n"3/2/2026, 10:11:12.000 AM",UserLoggedIn,AzureActiveDirectory,Succeeded,ivy@contoso.example,81.2.69.150,OfficeActivity';
  const [e] = decodeAll(await frameText('office.csv', csv), 'm365-audit');
  assert.equal(e!.crosswatch.role, 'signin');
  assert.equal(e!.event.outcome, 'success');
  assert.equal(e!['@timestamp'], '2026-03-02T10:11:12.000Z');
});

test('Log Analytics CSV export: MFA steps, conditional access, risk and LocationDetails from their JSON-text columns', async () => {
  const steps = JSON.stringify([
    { authenticationStepDateTime: '2026-04-07T09:00:01Z', authenticationMethod: 'Password', succeeded: true, authenticationStepResultDetail: 'Correct password', authenticationStepRequirement: 'Primary authentication' },
    { authenticationStepDateTime: '2026-04-07T09:00:20Z', authenticationMethod: 'OATH verification code', succeeded: true, authenticationStepResultDetail: 'MFA successfully completed', authenticationStepRequirement: 'Multi-factor authentication' },
  ]);
  const q = (v: string): string => `"${v.replace(/"/g, '""')}"`;
  const csv = [
    'TimeGenerated [UTC],CreatedDateTime [UTC],Type,Id,IPAddress,ResultType,UserPrincipalName,AppId,AppDisplayName,ClientAppUsed,AuthenticationRequirement,AuthenticationDetails,ConditionalAccessStatus,RiskLevelDuringSignIn,RiskState,Location,LocationDetails',
    ['"4/7/2026, 9:01:00.000 AM"', '"4/7/2026, 9:00:21.500 AM"', 'SigninLogs', 'la-csv-1', '81.2.69.143', '0', 'omar@fabrikam-labs.example',
      'fc780465-2017-40d4-a0c5-307022471b92', 'Azure Portal', 'Browser', 'multiFactorAuthentication', q(steps), 'notApplied', 'low', 'remediated', 'NL',
      q('{"city":"Utrecht","state":"Utrecht","countryOrRegion":"NL","geoCoordinates":{}}')].join(','),
  ].join('\r\n');
  const [e] = decodeAll(await frameText('query_data.csv', csv), 'entra-signin');
  assert.equal(e!.event.outcome, 'success');
  assert.deepEqual(eventDetail(e!), {
    app_id: 'fc780465-2017-40d4-a0c5-307022471b92',
    authentication: { requirement: 'multiFactorAuthentication', methods: ['Password', 'OATH verification code'], results: ['Correct password', 'MFA successfully completed'] },
    conditional_access_status: 'notApplied',
    risk: { level_during_signin: 'low', state: 'remediated' },
    location: { city: 'Utrecht', region: 'Utrecht', country: 'NL' },
  });
  assert.equal(e!.client?.client_app, 'Browser');
});

test('Entra admin center CSV: requirement, MFA columns, Conditional Access and Location read as the API words them', async () => {
  const text = [
    PORTAL_HEADER,
    portalRow({ 0: '2026-04-07T09:10:00Z', 1: 'req-mfa', 6: 'pia@fabrikam-labs.example', 16: 'Microsoft Teams', 17: '1fec8e78-bce4-4aaf-ab1b-5451cc387264', 23: '45.33.32.156',
      24: 'Fremont, California, US', 25: 'Success', 26: '0', 28: 'Mobile Apps and Desktop clients',
      35: 'MFA successfully completed', 36: 'Mobile app notification', 37: 'pia-phone', 38: 'Multifactor authentication', 50: 'Success' }),
    portalRow({ 0: '2026-04-07T09:20:00Z', 1: 'req-sfa', 6: 'pia@fabrikam-labs.example', 16: 'Azure Portal', 23: '45.33.32.156',
      24: 'Saint-Denis, Île-de-France, Paris, FR', 25: 'Success', 26: '0', 38: 'Single-factor authentication', 50: 'Not Applied' }),
  ].join('\r\n');
  const [mfa, sfa] = decodeAll(await frameText('InteractiveSignIns_2026-04-07_2026-04-08.csv', text), 'entra-portal-csv');
  const p = mfa!.azure?.signinlogs?.properties;
  assert.equal(p?.authentication_requirement, 'multiFactorAuthentication');
  assert.equal(p?.conditional_access_status, 'success');
  assert.equal(p?.app_id, '1fec8e78-bce4-4aaf-ab1b-5451cc387264');
  assert.deepEqual(p?.mfa_detail, { auth_method: 'Mobile app notification', auth_detail: 'pia-phone' });
  assert.deepEqual(mfa!.source, { ip: '45.33.32.156', geo: { city_name: 'Fremont', region_name: 'California', country_iso_code: 'US' } });
  assert.deepEqual(eventDetail(mfa!)?.authentication, {
    requirement: 'multiFactorAuthentication', methods: ['Mobile app notification'], results: ['MFA successfully completed'], mfa_detail: 'pia-phone',
  });
  assert.equal(mfa!.client?.client_app, 'Mobile Apps and Desktop clients');
  assert.equal(sfa!.azure?.signinlogs?.properties?.authentication_requirement, 'singleFactorAuthentication');
  assert.equal(sfa!.azure?.signinlogs?.properties?.conditional_access_status, 'notApplied');
  // A city name with a comma in it: the last part is the country, the one before the state.
  assert.deepEqual(sfa!.source?.geo, { city_name: 'Saint-Denis, Île-de-France', region_name: 'Paris', country_iso_code: 'FR' });
  assert.equal(eventDetail(sfa!)?.authentication?.methods, undefined, 'no MFA columns, no methods');
});

test('ECS azure.signinlogs documents: Elastic\'s property names and source.geo are read back', () => {
  const doc = {
    '@timestamp': '2026-04-07T09:30:00.000Z',
    event: { dataset: 'azure.signinlogs', kind: 'event', outcome: 'success', action: 'Sign-in activity', id: 'ecs-signin-1' },
    source: { ip: '2a02:cf40::1', geo: { city_name: 'Zurich', region_name: 'Zurich', country_iso_code: 'CH', country_name: 'Switzerland' } },
    geo: { city_name: 'Ignored', country_name: 'Zurich' },
    'azure.signinlogs.properties': {
      user_principal_name: 'rui@fabrikam-labs.example', app_display_name: 'My Apps', app_id: '2793995e-0a7d-40d7-bd35-6968ba142197', client_app_used: 'Browser',
      authentication_requirement: 'multiFactorAuthentication', conditional_access_status: 'failure', risk_level_during_signin: 'high', risk_state: 'confirmedCompromised',
      authentication_details: [
        { authentication_method: 'Password', succeeded: true, authentication_step_result_detail: 'Correct password' },
        { authentication_method: 'Text message', succeeded: 'false', authentication_step_result_detail: 'User did not pass the MFA challenge (non interactive).' },
        { authentication_method: 'FIDO2 security key', succeeded: true },
      ],
      mfa_detail: { auth_method: 'FIDO2 security key' },
    },
  };
  const d = decodeRecord(jsonRecord(doc), CTX);
  assert.equal(d.decoder, 'ecs');
  assert.ok(d.result.ok);
  const e = d.result.event.event;
  assert.equal(e.crosswatch.role, 'signin');
  assert.equal(e.client?.app, 'My Apps');
  assert.equal(e.client?.client_app, 'Browser');
  assert.deepEqual(eventDetail(e), {
    app_id: '2793995e-0a7d-40d7-bd35-6968ba142197',
    authentication: { requirement: 'multiFactorAuthentication', methods: ['Password', 'FIDO2 security key'], results: ['Correct password'] },
    conditional_access_status: 'failure',
    risk: { level_during_signin: 'high', state: 'confirmedCompromised' },
    location: { city: 'Zurich', region: 'Zurich', country: 'CH' },
  });
  // Without source.geo, Elastic's geo.* (Entra's own location) stands in, but not its geo.country_name (some versions wrote the state there).
  const { source: _s, ...noSourceGeo } = doc;
  const f = decodeRecord(jsonRecord({ ...noSourceGeo, 'source.ip': '2a02:cf40::1' }), CTX);
  assert.ok(f.result.ok);
  assert.deepEqual(f.result.event.event.source, { ip: '2a02:cf40::1', geo: { city_name: 'Ignored' } });
});
