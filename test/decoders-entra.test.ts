// entra-signin: every Elastic azure/signinlogs test vector and the Graph signIn
// example, compared with the peer's expected ECS output, plus the semantics
// crosswatch relies on (outcome, role, ids, time forms, odd input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entraSignin } from '../src/decoders/entra-signin.js';
import { ecsDocument } from '../src/decoders/ecs.js';
import { m365Audit } from '../src/decoders/m365-audit.js';
import { suricataEve } from '../src/decoders/suricata-eve.js';
import { decodeRecord } from '../src/decoders/index.js';
import { MAX_FIELD_CHARS, field } from '../src/decoders/fields.js';
import type { DecodeResult, RawRecord } from '../src/decoders/types.js';

import { formatInstant } from '../src/model/time.js';
import { MAX_AUTH_STEPS, eventDetail } from '../src/model/event.js';
import { CTX, compareFolder, expandKnown, jsonRecord, listedKnown, loadExpected, loadGraphSignIns, loadRaw, ok, rawFixtureFiles, sortDifferences, type KnownDifference, fixturesSkip } from './fixtures-helpers.js';

const FOLDER = 'azure-signinlogs';

// Where crosswatch deliberately differs from the peer: the one list in tools/conformance/differences.ts.
const KNOWN: KnownDifference[] = listedKnown(FOLDER);

function decodeJson(value: Record<string, unknown>): DecodeResult {
  const rec = jsonRecord(value);
  assert.equal(entraSignin.accepts(rec), true, 'entra-signin accepts');
  return entraSignin.decode(rec, CTX);
}

test('azure-signinlogs fixtures: agree with the peer except the listed differences', { skip: fixturesSkip() }, (t) => {
  const cmp = compareFolder(FOLDER);
  assert.deepEqual(cmp.differences, sortDifferences(expandKnown(KNOWN)));
  for (const d of cmp.decoded) {
    assert.equal(d.decoder, 'entra-signin', `${d.file}[${d.index}] taken by ${d.decoder}`);
    const e = d.event.event;
    assert.equal(e.crosswatch.role, 'signin');
    assert.equal(e.crosswatch.decoder, 'entra-signin');
    assert.equal(e.event.dataset, 'azure.signinlogs');
    assert.deepEqual(e.event.category, ['authentication']);
    assert.equal(e.cloud?.provider, 'azure');
    assert.equal(e['@timestamp'], formatInstant(d.event.at));
    // Record ids: the peer's event.id is properties.id.
    const peerId = d.peer ? field(d.peer, 'event.id') : undefined;
    if (peerId !== undefined) assert.equal(e.event.id, peerId, `${d.file}[${d.index}] event.id`);
    // The peer's user.id is properties.userId.
    const peerUserId = d.peer ? field(d.peer, 'user.id') : undefined;
    if (peerUserId !== undefined) assert.equal(e.user?.id, peerUserId, `${d.file}[${d.index}] user.id`);
  }
  t.diagnostic(`${FOLDER}: ${cmp.records} records, ${cmp.agreements} agree on source.ip/outcome/action/@timestamp, ${cmp.differences.length} listed differences`);
});

test('categories: every *SignInLogs category is a sign-in, crosswatch.category keeps it', { skip: fixturesSkip() }, () => {
  const cmp = compareFolder(FOLDER);
  const cats = new Set(cmp.decoded.map((d) => d.event.event.crosswatch.category));
  for (const c of ['SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'ADFSSignInLogs']) {
    assert.ok(cats.has(c), `category ${c} seen`);
  }
});

test('sign-in time: createdDateTime with 7 digits wins over `time`, 100 ns digits kept', { skip: fixturesSkip() }, () => {
  const [first] = loadRaw(FOLDER, 'test-created-datetime-timestamp.log');
  const r = entraSignin.decode(first!, CTX);
  assert.ok(r.ok);
  assert.equal(r.event.event['@timestamp'], '2026-07-10T20:01:51.9248761Z');
  assert.deepEqual(r.event.at, { ms: Date.parse('2026-07-10T20:01:51.924Z'), ns: 876100 });
  // Offsets are applied: 04:45:48.0729893-05:00 is 09:45:48.0729893Z.
  const [raw] = loadRaw(FOLDER, 'test-signinlogs-raw.log');
  assert.equal(ok(entraSignin.decode(raw!, CTX))['@timestamp'], '2019-10-18T09:45:48.0729893Z');
});

test('time forms of test-time-formats-corner-cases.log (all 09:41 UTC on 9 Jan 2007)', { skip: fixturesSkip() }, () => {
  const expected = [
    '2007-01-09T09:41:00.000Z', // 01/09/2007 09:41:00 (zone-less = UTC)
    '2007-01-09T09:41:00.000Z', // 1/9/2007 09:41:00
    '2007-01-09T09:41:00.000Z', // 01/09/2007 09:41:00 AM
    '2007-01-09T09:41:00.000Z', // 1/9/2007 9:41:00 AM
    '2007-01-09T09:41:00.000Z', // 1/9/2007 10:41:00 AM +01:00
    '2007-01-09T09:41:00.000Z', // 2007-01-09T09:41:00
    '2007-01-09T09:41:00.220Z', // .22Z
    '2007-01-09T09:41:00.6816663Z', // 7 digits kept
    '2007-01-09T09:41:00.535404056Z', // 9 digits kept
    '2007-01-09T09:41:00.992099Z', // +00:00
    '2007-01-09T09:41:00.000Z', // 11:41:00+02:00
  ];
  const recs = loadRaw(FOLDER, 'test-time-formats-corner-cases.log');
  assert.equal(recs.length, expected.length);
  recs.forEach((r, i) => {
    const e = ok(entraSignin.decode(r, CTX));
    assert.equal(e['@timestamp'], expected[i], `line ${i + 1}: ${JSON.stringify((r.value as Record<string, unknown>)['time'])}`);
    assert.equal(e.source, undefined);
    assert.equal(e.event.outcome, 'unknown');
  });
});

test('Microsoft Graph signIn objects (docs example, trailing comma fixed in memory)', { skip: fixturesSkip() }, () => {
  const [signIn] = loadGraphSignIns();
  const rec = jsonRecord(signIn!);
  const d = decodeRecord(rec, CTX);
  assert.equal(d.decoder, 'entra-signin');
  const e = ok(d.result);
  assert.equal(e['@timestamp'], '2020-03-13T19:15:41.6195833Z');
  assert.equal(e.source?.ip, '131.107.159.37');
  assert.equal(e.event.outcome, 'success');
  assert.equal(e.event.id, '66ea54eb-6301-4ee5-be62-ff5a759b0100');
  assert.equal(e.event.action, 'Sign-in activity');
  assert.equal(e.user?.name, 'testaccount1@contoso.com');
  assert.equal(e.user?.email, 'testaccount1@contoso.com');
  assert.equal(e.user?.id, '26be570a-ae82-4189-b4e2-a37c6808512d');
  assert.equal(e.client?.app, 'Graph explorer');
  assert.equal(e.client?.client_app, 'Browser');
  assert.equal(e.crosswatch.role, 'signin');
  assert.equal(e.crosswatch.category, 'Graph signIn');
  // A failed Graph sign-in.
  const failed = ok(decodeJson({ ...signIn!, status: { errorCode: 50126, failureReason: 'Invalid username or password' } }));
  assert.equal(failed.event.outcome, 'failure');
});

test('outcome: status.errorCode 0 / "0" success, non-zero failure, else resultType, else unknown', () => {
  const base = { category: 'SignInLogs', time: '2024-05-01T10:00:00Z', properties: { createdDateTime: '2024-05-01T09:59:59.1234567Z', ipAddress: '81.2.69.160' } };
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ properties: { ...base.properties, status: { errorCode: 0 } } }, 'success'],
    [{ properties: { ...base.properties, status: { errorCode: '0' } } }, 'success'],
    [{ properties: { ...base.properties, status: { errorCode: 50126 } } }, 'failure'],
    [{ properties: { ...base.properties, status: { errorCode: '50140' } }, resultType: '0' }, 'failure'],
    [{ properties: { ...base.properties, status: { errorCode: 0 } }, resultType: '50140' }, 'success'],
    [{ resultType: '0' }, 'success'],
    [{ resultType: 0 }, 'success'],
    [{ resultType: '50126' }, 'failure'],
    [{ properties: { ...base.properties, status: {} } }, 'unknown'],
    [{}, 'unknown'],
  ];
  for (const [extra, want] of cases) {
    const e = ok(decodeJson({ ...base, ...extra }));
    assert.equal(e.event.outcome, want, JSON.stringify(extra));
    assert.equal(e.crosswatch.role, 'signin');
  }
});

test('service principal and managed identity sign-ins: user is the principal, no IP is not an error', { skip: fixturesSkip() }, () => {
  const [sp] = loadRaw(FOLDER, 'test-service-principal-signinlogs-sample.log');
  const e = ok(entraSignin.decode(sp!, CTX));
  assert.equal(e.user?.name, 'Terraform-Datadog-CLI');
  assert.equal(e.user?.id, 'b029d485-a308-4311-8720-fb3192e5284e');
  assert.equal(e.user?.email, undefined);
  assert.equal(e.event.outcome, 'success');
  const [mi] = loadRaw(FOLDER, 'test-managed-identity-sample.log');
  const m = ok(entraSignin.decode(mi!, CTX));
  assert.equal(m.source, undefined, 'empty ipAddress is no IP');
  assert.equal(m.event.outcome, 'success');
  assert.equal(m.crosswatch.category, 'ManagedIdentitySignInLogs');
  assert.equal(m.event.id, 'a08869a8-3b15-46e4-8de3-273849e60100');
});

test('interactive sign-in fields: user, app, user agent, tenant', { skip: fixturesSkip() }, () => {
  const [s] = loadRaw(FOLDER, 'test-signinlogs-sample.log');
  const e = ok(entraSignin.decode(s!, CTX));
  const props = (s!.value as Record<string, Record<string, unknown>>)['properties']!;
  assert.equal(e.user?.name, props['userPrincipalName']);
  assert.equal(e.client?.app, props['appDisplayName']);
  assert.equal(e.user_agent?.original, props['userAgent']);
  assert.equal(e.cloud?.account?.id, (s!.value as Record<string, unknown>)['tenantId']);
  assert.equal(e.source?.ip, '1.128.3.4');
});

test('Log Analytics rows (PascalCase, TimeGenerated, Status as JSON text)', () => {
  const e = ok(decodeJson({
    TimeGenerated: '2024-05-01T10:00:05Z', Type: 'AADNonInteractiveUserSignInLogs', CreatedDateTime: '2024-05-01T10:00:00.5Z',
    IPAddress: '[2a02:cf40:0:0::1]:443', ResultType: '0', UserPrincipalName: 'Bob@Example.ORG', AppDisplayName: 'Outlook', Id: 'abc',
    Status: '{"errorCode":0}',
  }));
  assert.equal(e['@timestamp'], '2024-05-01T10:00:00.500Z');
  assert.equal(e.source?.ip, '2a02:cf40::1');
  assert.equal(e.event.outcome, 'success');
  assert.equal(e.user?.name, 'Bob@Example.ORG');
  assert.equal(e.event.id, 'abc');
  assert.equal(e.crosswatch.category, 'AADNonInteractiveUserSignInLogs');
  // Write time only when the sign-in time is absent.
  const w = ok(decodeJson({ TimeGenerated: '2024-05-01T10:00:05Z', Type: 'SigninLogs', ResultType: '50126' }));
  assert.equal(w['@timestamp'], '2024-05-01T10:00:05.000Z');
  assert.equal(w.event.outcome, 'failure');
});

test('IP choice: properties.ipAddress, then callerIpAddress; canonical forms', () => {
  const rec = (props: Record<string, unknown>, caller?: unknown) =>
    ({ category: 'SignInLogs', time: '2024-01-01T00:00:00Z', ...(caller === undefined ? {} : { callerIpAddress: caller }), properties: props });
  assert.equal(ok(decodeJson(rec({ ipAddress: '81.2.69.160' }, '8.8.8.8'))).source?.ip, '81.2.69.160');
  assert.equal(ok(decodeJson(rec({ ipAddress: '' }, '8.8.8.8:5050'))).source?.ip, '8.8.8.8');
  assert.equal(ok(decodeJson(rec({ ipAddress: '2001:0DB8:0000::0001' }))).source?.ip, '2001:db8::1');
  assert.equal(ok(decodeJson(rec({ ipAddress: '::ffff:81.2.69.160' }))).source?.ip, '81.2.69.160');
  assert.equal(ok(decodeJson(rec({ ipAddress: 'Unknown' }))).source, undefined);
  assert.equal(ok(decodeJson(rec({ ipAddress: 12345 }))).source, undefined);
});

test('errors: missing or unparseable time names the field and a bounded value', () => {
  const missing = decodeJson({ category: 'SignInLogs', properties: { ipAddress: '81.2.69.160' } });
  assert.equal(missing.ok, false);
  if (!missing.ok) {
    assert.equal(missing.error.reason, 'missing-time');
    assert.match(missing.error.message, /createdDateTime/);
  }
  const huge = 'x'.repeat(100_000);
  const bad = decodeJson({ category: 'SignInLogs', time: '2024-01-01T00:00:00Z', properties: { createdDateTime: huge } });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.error.reason, 'invalid-time');
    assert.match(bad.error.message, /properties\.createdDateTime/);
    assert.ok(bad.error.message.length < 200, `bounded message (${bad.error.message.length})`);
  }
  const odd = decodeJson({ category: 'SignInLogs', properties: { createdDateTime: { nested: true } } });
  assert.equal(odd.ok, false);
  if (!odd.ok) assert.equal(odd.error.reason, 'invalid-time');
  const feb31 = decodeJson({ category: 'SignInLogs', properties: { createdDateTime: '2024-02-31T00:00:00Z' } });
  assert.equal(feb31.ok, false);
});

test('odd types never throw; huge strings are bounded', () => {
  const odd: unknown[] = [null, 42, 'SignInLogs', [], {}, { category: 7 }, { category: null }, { category: ['SignInLogs'] },
    { category: 'SignInLogs', properties: [] }, { category: 'SignInLogs', properties: 'not json', time: 1_700_000_000 },
    { createdDateTime: 5, userPrincipalName: {}, status: [] }, { category: 'SignInLogs', properties: { status: 'x', createdDateTime: '2024-01-01T00:00:00Z', userPrincipalName: { a: 1 }, id: ['a'] } }];
  for (const value of odd) {
    const rec = { kind: 'json', value, origin: { source: 't', line: 1 } } as unknown as RawRecord;
    const accepted = entraSignin.accepts(rec);
    if (accepted) entraSignin.decode(rec, CTX); // must not throw
  }
  assert.equal(entraSignin.accepts({ kind: 'text', value: '{"category":"SignInLogs"}', origin: { source: 't', line: 1 } }), false);
  // A CSV row naming a sign-in table is a Log Analytics "Export to CSV" row (decoders-ms-shapes.test.ts); others are not taken.
  assert.equal(entraSignin.accepts({ kind: 'csv', value: { Category: 'SignInLogs' }, origin: { source: 't', line: 1 } }), true);
  assert.equal(entraSignin.accepts({ kind: 'csv', value: { Category: 'AuditLogs' }, origin: { source: 't', line: 1 } }), false);
  // Epoch seconds in `time` work.
  const epoch = ok(decodeJson({ category: 'SignInLogs', properties: 'not json', time: 1_700_000_000 }));
  assert.equal(epoch['@timestamp'], '2023-11-14T22:13:20.000Z');
  // Object-valued names are dropped, not stringified.
  const o = ok(decodeJson({ category: 'SignInLogs', properties: { status: 'x', createdDateTime: '2024-01-01T00:00:00Z', userPrincipalName: { a: 1 } } }));
  assert.equal(o.user, undefined);

  const long = 'A'.repeat(200_000);
  const big = ok(decodeJson({
    category: 'SignInLogs',
    properties: { createdDateTime: '2024-01-01T00:00:00Z', userAgent: long, userPrincipalName: `${long}@x.com`, appDisplayName: long, id: long },
  }));
  assert.equal(big.user_agent?.original?.length, MAX_FIELD_CHARS);
  assert.ok((big.user?.name?.length ?? 0) <= MAX_FIELD_CHARS);
  assert.ok((big.client?.app?.length ?? 0) <= MAX_FIELD_CHARS);
  assert.ok((big.event.id?.length ?? 0) <= MAX_FIELD_CHARS);
});

test('shape tests: other decoders do not take Entra records, entra does not take the others', { skip: fixturesSkip() }, () => {
  for (const file of ['test-signinlogs-sample.log', 'test-invalid-time.log', 'test-managed-identity-sample.log', 'test-time-formats-corner-cases.log']) {
    for (const r of loadRaw(FOLDER, file)) {
      assert.equal(ecsDocument.accepts(r), false, `ecs must not take raw ${file}`);
      assert.equal(m365Audit.accepts(r), false, `m365 must not take ${file}`);
      assert.equal(suricataEve.accepts(r), false, `suricata must not take ${file}`);
    }
  }
  const graph = jsonRecord(loadGraphSignIns()[0]!);
  assert.equal(ecsDocument.accepts(graph), false);
  assert.equal(m365Audit.accepts(graph), false);
  // ECS documents with @timestamp are not raw sign-ins.
  assert.equal(entraSignin.accepts(jsonRecord({ '@timestamp': '2024-01-01T00:00:00Z', category: 'SignInLogs' })), false);
  assert.equal(entraSignin.accepts(jsonRecord({ CreationTime: '2024-01-01T00:00:00', Operation: 'UserLoggedIn' })), false);
  assert.equal(entraSignin.accepts(jsonRecord({ timestamp: '2024-01-01T00:00:00Z', event_type: 'alert' })), false);
  assert.equal(entraSignin.accepts(jsonRecord({ category: 'AuditLogs', time: '2024-01-01T00:00:00Z' })), false);
});

// What an analyst asks first about a sign-in (MFA, conditional access, risk, place),
// in each sign-in shape. Our own records: an invented tenant and users.
const ANALYST_PROPS = {
  id: '7d1e0c2a-4b6f-4e21-9c3d-5a8b7f6e0d11',
  createdDateTime: '2026-04-07T08:15:30.1234567+00:00',
  userPrincipalName: 'lena.fischer@fabrikam-labs.example',
  appId: '00000002-0000-0ff1-ce00-000000000000',
  appDisplayName: 'Office 365 Exchange Online',
  clientAppUsed: 'Browser',
  ipAddress: '185.220.101.7',
  status: { errorCode: 0 },
  authenticationRequirement: 'multiFactorAuthentication',
  // A wrong password first, then the right one, then a push approved: the methods used are the last two.
  authenticationDetails: [
    { authenticationStepDateTime: '2026-04-07T08:15:01Z', authenticationMethod: 'Password', authenticationMethodDetail: 'Password Hash Sync', succeeded: false, authenticationStepResultDetail: 'Invalid username or password or Invalid on-premise username or password.', authenticationStepRequirement: 'Primary authentication' },
    { authenticationStepDateTime: '2026-04-07T08:15:12Z', authenticationMethod: 'Password', authenticationMethodDetail: 'Password Hash Sync', succeeded: true, authenticationStepResultDetail: 'Correct password', authenticationStepRequirement: 'Primary authentication' },
    { authenticationStepDateTime: '2026-04-07T08:15:29Z', authenticationMethod: 'Mobile app notification', succeeded: true, authenticationStepResultDetail: 'MFA successfully completed', authenticationStepRequirement: 'Multi-factor authentication' },
  ],
  conditionalAccessStatus: 'success',
  riskLevelDuringSignIn: 'medium',
  riskState: 'atRisk',
  riskLevelAggregated: 'high',
  riskDetail: 'none',
  location: { city: 'Tallinn', state: 'Harjumaa', countryOrRegion: 'EE', geoCoordinates: { latitude: 59.43, longitude: 24.75 } },
};

function assertAnalystFields(e: ReturnType<typeof ok>, what: string): void {
  const p = e.azure?.signinlogs?.properties;
  assert.equal(p?.authentication_requirement, 'multiFactorAuthentication', what);
  assert.equal(p?.authentication_details?.length, 3, what);
  assert.deepEqual(p?.authentication_details?.[2], {
    authentication_method: 'Mobile app notification', authentication_step_requirement: 'Multi-factor authentication',
    authentication_step_result_detail: 'MFA successfully completed', succeeded: true,
  }, what);
  assert.equal(p?.authentication_details?.[0]?.succeeded, false, what);
  assert.equal(p?.conditional_access_status, 'success', what);
  assert.equal(p?.risk_level_during_signin, 'medium', what);
  assert.equal(p?.risk_state, 'atRisk', what);
  assert.equal(p?.risk_level_aggregated, 'high', what);
  assert.equal(p?.risk_detail, 'none', what);
  assert.equal(p?.app_id, '00000002-0000-0ff1-ce00-000000000000', what);
  assert.deepEqual(e.source?.geo, { city_name: 'Tallinn', region_name: 'Harjumaa', country_iso_code: 'EE' }, what);
  assert.equal(e.client?.app, 'Office 365 Exchange Online', what);
  assert.equal(e.client?.client_app, 'Browser', what);
  // The evidence: the failed password step is not a method used; each method once.
  assert.deepEqual(eventDetail(e), {
    app_id: '00000002-0000-0ff1-ce00-000000000000',
    authentication: { requirement: 'multiFactorAuthentication', methods: ['Password', 'Mobile app notification'], results: ['Correct password', 'MFA successfully completed'] },
    conditional_access_status: 'success',
    risk: { level_during_signin: 'medium', state: 'atRisk', level_aggregated: 'high', detail: 'none' },
    location: { city: 'Tallinn', region: 'Harjumaa', country: 'EE' },
  }, what);
}

test('MFA, conditional access, risk and location: Azure Monitor diagnostic record and Graph signIn', () => {
  const diag = ok(decodeJson({
    time: '2026-04-07T08:15:31.0000000Z', category: 'SignInLogs', operationName: 'Sign-in activity', resultType: '0',
    callerIpAddress: '185.220.101.7', tenantId: 'c0ffee00-1111-4222-8333-444455556666', location: 'EE', properties: ANALYST_PROPS,
  }));
  assertAnalystFields(diag, 'diagnostic record');
  const graph = ok(decodeJson({ '@odata.type': '#microsoft.graph.signIn', ...ANALYST_PROPS, createdDateTime: '2026-04-07T08:15:30.1234567Z' }));
  assert.equal(graph.crosswatch.category, 'Graph signIn');
  assertAnalystFields(graph, 'Graph signIn');
});

test('MFA, conditional access, risk and location: Log Analytics JSON row (AuthenticationDetails, LocationDetails, MfaDetail as JSON text)', () => {
  const p = ANALYST_PROPS;
  const e = ok(decodeJson({
    TenantId: 'workspace-0001', TimeGenerated: '2026-04-07T08:16:00.0000000Z', Type: 'SigninLogs', OperationName: 'Sign-in activity',
    CreatedDateTime: p.createdDateTime, Id: p.id, UserPrincipalName: p.userPrincipalName, AppId: p.appId, AppDisplayName: p.appDisplayName,
    ClientAppUsed: p.clientAppUsed, IPAddress: p.ipAddress, ResultType: '0', Status: '{"errorCode":0}',
    AuthenticationRequirement: p.authenticationRequirement, AuthenticationDetails: JSON.stringify(p.authenticationDetails),
    ConditionalAccessStatus: p.conditionalAccessStatus, RiskLevelDuringSignIn: p.riskLevelDuringSignIn, RiskState: p.riskState,
    RiskLevelAggregated: p.riskLevelAggregated, RiskDetail: p.riskDetail,
    Location: 'EE', LocationDetails: JSON.stringify(p.location), AADTenantId: 'c0ffee00-1111-4222-8333-444455556666',
  }));
  assertAnalystFields(e, 'Log Analytics row');
  // An older export: mfaDetail instead of authentication steps; the country code column alone.
  const old = ok(decodeJson({
    TimeGenerated: '2021-06-01T10:00:00Z', Type: 'SigninLogs', CreatedDateTime: '2021-06-01T09:59:58Z', IPAddress: '81.2.69.143', ResultType: '0',
    UserPrincipalName: 'old@fabrikam-labs.example', AuthenticationRequirement: 'multiFactorAuthentication',
    MfaDetail: '{"authMethod":"Text message","authDetail":"+X XXXXXXXX47"}', Location: 'de', AuthenticationDetails: '[]',
  }));
  assert.deepEqual(old.azure?.signinlogs?.properties?.mfa_detail, { auth_method: 'Text message', auth_detail: '+X XXXXXXXX47' });
  assert.deepEqual(old.source?.geo, { country_iso_code: 'DE' });
  assert.deepEqual(eventDetail(old)?.authentication, { requirement: 'multiFactorAuthentication', methods: ['Text message'], mfa_detail: '+X XXXXXXXX47' });
});

test('sign-in detail is bounded: step count, string sizes; odd shapes are dropped, never thrown on', () => {
  const long = 'M'.repeat(100_000);
  const steps = Array.from({ length: 5000 }, (_, i) => ({ authenticationMethod: `${long}${i}`, succeeded: true }));
  const e = ok(decodeJson({ category: 'SignInLogs', properties: {
    createdDateTime: '2026-04-07T08:15:30Z', ipAddress: '45.33.32.156', authenticationDetails: steps, authenticationRequirement: long,
    riskState: long, location: { city: long, state: { nested: 1 }, countryOrRegion: ['EE'] }, mfaDetail: { authMethod: long },
  } }));
  const p = e.azure?.signinlogs?.properties;
  assert.equal(p?.authentication_details?.length, MAX_AUTH_STEPS);
  for (const s of p?.authentication_details ?? []) assert.ok((s.authentication_method?.length ?? 0) <= 256);
  assert.ok((p?.authentication_requirement?.length ?? 0) <= 64);
  assert.ok((p?.risk_state?.length ?? 0) <= 64);
  assert.ok((p?.mfa_detail?.auth_method?.length ?? 0) <= 256);
  assert.ok((e.source?.geo?.city_name?.length ?? 0) <= 256);
  assert.equal(e.source?.geo?.region_name, undefined, 'an object is no state');
  assert.equal(e.source?.geo?.country_iso_code, undefined, 'an array is no country');
  for (const odd of ['not json', 42, { a: 1 }, [null, 7, 'x', []], '[{"broken"']) {
    const o = ok(decodeJson({ category: 'SignInLogs', properties: { createdDateTime: '2026-04-07T08:15:30Z', authenticationDetails: odd, mfaDetail: odd, location: odd } }));
    assert.equal(o.azure?.signinlogs?.properties?.authentication_details, undefined, JSON.stringify(odd));
    assert.equal(o.azure?.signinlogs?.properties?.mfa_detail, undefined, JSON.stringify(odd));
  }
});

test('sign-in detail agrees with the peer (authentication requirement and methods, CA, risk, app id, Entra location)', { skip: fixturesSkip() }, () => {
  let compared = 0;
  for (const file of rawFixtureFiles(FOLDER)) {
    const expected = loadExpected(FOLDER, file);
    if (!expected) continue;
    loadRaw(FOLDER, file).forEach((r, i) => {
      const peer = expected[i];
      const d = decodeRecord(r, CTX);
      if (!peer || !d.result.ok) return;
      const e = d.result.event.event;
      const p = e.azure?.signinlogs?.properties;
      const where = `${file}[${i}]`;
      for (const k of ['authentication_requirement', 'conditional_access_status', 'risk_level_during_signin', 'risk_state', 'risk_level_aggregated', 'risk_detail', 'app_id'] as const) {
        const want = field(peer, `azure.signinlogs.properties.${k}`);
        assert.equal(p?.[k], typeof want === 'string' && want !== '' ? want : undefined, `${where} ${k}`);
      }
      const peerSteps = field(peer, 'azure.signinlogs.properties.authentication_details');
      const peerMethods = Array.isArray(peerSteps) ? peerSteps.map((x) => field(x, 'authentication_method')) : [];
      assert.deepEqual((p?.authentication_details ?? []).map((x) => x.authentication_method), peerMethods.slice(0, MAX_AUTH_STEPS), `${where} methods`);
      // The peer writes Entra's location as geo.* (source.geo is its own GeoIP look-up).
      const city = field(peer, 'geo.city_name');
      assert.equal(e.source?.geo?.city_name, typeof city === 'string' && city !== '' ? city : undefined, `${where} city`);
      const region = field(peer, 'geo.region_name');
      if (typeof region === 'string' && region !== '') assert.equal(e.source?.geo?.region_name, region, `${where} region`);
      // Country: crosswatch reads the sign-in's own location.countryOrRegion; the peer the
      // envelope's `location` (they differ only in a placeholder record, "ZZ" against "AU").
      compared++;
    });
  }
  assert.ok(compared > 30, `compared ${compared} records`);
});
