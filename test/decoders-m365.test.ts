// m365-audit: every Elastic o365/audit test vector compared with the peer's
// expected ECS output, plus roles, outcomes, Purview CSV rows and odd input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { m365Audit } from '../src/decoders/m365-audit.js';
import { ecsDocument } from '../src/decoders/ecs.js';
import { entraSignin } from '../src/decoders/entra-signin.js';
import { suricataEve } from '../src/decoders/suricata-eve.js';
import { decodeRecord } from '../src/decoders/index.js';
import { MAX_FIELD_CHARS, field } from '../src/decoders/fields.js';
import type { RawRecord } from '../src/decoders/types.js';
import { eventDetail, type NormalizedEvent } from '../src/model/event.js';
import { CTX, compareFolder, expandKnown, jsonRecord, listedKnown, loadRaw, ok, rawFixtureFiles, sortDifferences, type KnownDifference, fixturesSkip } from './fixtures-helpers.js';

const FOLDER = 'o365-audit';


// Where crosswatch deliberately differs from the peer: the one list in tools/conformance/differences.ts.
const KNOWN: KnownDifference[] = listedKnown(FOLDER);

function decodeJson(value: Record<string, unknown>): NormalizedEvent {
  const rec = jsonRecord(value);
  assert.equal(m365Audit.accepts(rec), true, 'm365-audit accepts');
  const d = decodeRecord(rec, CTX);
  assert.equal(d.decoder, 'm365-audit');
  return ok(d.result);
}

function csvRow(value: Record<string, string>): RawRecord {
  return { kind: 'csv', value, origin: { source: 'export.csv', line: 2 } };
}

const BASE = {
  CreationTime: '2024-03-01T08:00:00',
  Id: '0f6b1c3e-0000-4000-8000-000000000001',
  OrganizationId: 'b86ab9d4-fcf1-4b11-8a06-7a8f91b47fbd',
  UserId: 'alice@contoso.example',
  ClientIP: '81.2.69.160',
};

test('o365-audit fixtures: agree with the peer except the listed differences', { skip: fixturesSkip() }, (t) => {
  const cmp = compareFolder(FOLDER);
  assert.deepEqual(cmp.differences, sortDifferences(expandKnown(KNOWN)));
  for (const d of cmp.decoded) {
    assert.equal(d.decoder, 'm365-audit', `${d.file}[${d.index}] taken by ${d.decoder}`);
    const e = d.event.event;
    assert.equal(e.event.dataset, 'o365.audit');
    assert.equal(e.crosswatch.decoder, 'm365-audit');
    const peerId = d.peer ? field(d.peer, 'event.id') : undefined;
    // The peer keeps a numeric Id as a number; crosswatch ids are strings.
    if (peerId !== undefined) assert.equal(e.event.id, String(peerId), `${d.file}[${d.index}] event.id`);
    // The peer's user.id is UserId; crosswatch keeps it as user.name.
    const peerUser = d.peer ? field(d.peer, 'user.id') : undefined;
    if (peerUser !== undefined) assert.equal(e.user?.name, String(peerUser), `${d.file}[${d.index}] user`);
  }
  const files = rawFixtureFiles(FOLDER);
  t.diagnostic(`${FOLDER}: ${files.length} files, ${cmp.decoded.length} records decoded, ${cmp.records} with a peer document, ${cmp.agreements} agree on source.ip/outcome/action/@timestamp, ${cmp.differences.length} listed differences`);
});

test('MailItemsAccessed test vector: mail_access, success, ClientIPAddress, client, id', { skip: fixturesSkip() }, () => {
  const recs = loadRaw(FOLDER, 'test-exchange-access-event.json');
  const roles = recs.map((r) => ok(m365Audit.decode(r, CTX)).crosswatch.role);
  assert.deepEqual(roles, ['other', 'other', 'mail_access']);
  const e = ok(m365Audit.decode(recs[2]!, CTX));
  assert.equal(e['@timestamp'], '2025-09-26T22:32:29.000Z');
  assert.equal(e.event.action, 'MailItemsAccessed');
  assert.equal(e.event.outcome, 'success');
  assert.equal(e.event.id, 'aaaaaaaa-bbbb-cccc-dddd-123456789012');
  assert.equal(e.source?.ip, '203.0.113.145');
  assert.equal(e.user?.name, 'user@example.com');
  assert.equal(e.user?.email, 'user@example.com');
  // ClientInfoString is the client (as Entra's clientAppUsed is), not the app.
  assert.match(e.client?.client_app ?? '', /^Client=WebServices/);
  assert.equal(e.client?.app, undefined);
  assert.equal(e.crosswatch.category, 'MailItemsAccessed');
  assert.equal(e.event.code, 'ExchangeItemAggregated');
  assert.equal(e.event.provider, 'Exchange');
});

test('roles: MailItemsAccessed, UserLoggedIn/UserLoginFailed of AzureActiveDirectory, everything else other', () => {
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50, ResultStatus: 'Succeeded' }, 'mail_access', 'success'],
    [{ Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50, ResultStatus: 'Failed' }, 'mail_access', 'failure'],
    [{ Operation: 'UserLoggedIn', Workload: 'AzureActiveDirectory', RecordType: 15, ResultStatus: 'Success' }, 'signin', 'success'],
    [{ Operation: 'UserLoggedIn', Workload: 'AzureActiveDirectory', RecordType: '15', ResultStatus: 'Success', ErrorNumber: '0' }, 'signin', 'success'],
    [{ Operation: 'UserLoggedIn', Workload: 'AzureActiveDirectory', RecordType: 15, ResultStatus: 'Success', ErrorNumber: '50140' }, 'signin', 'failure'],
    [{ Operation: 'UserLoginFailed', Workload: 'AzureActiveDirectory', RecordType: 15, ResultStatus: 'Success' }, 'signin', 'failure'],
    [{ Operation: 'UserLoginFailed', Workload: 'AzureActiveDirectory', RecordType: 15 }, 'signin', 'failure'],
    [{ Operation: 'UserLoggedIn', Workload: 'SharePoint', RecordType: 4, ResultStatus: 'Succeeded' }, 'other', 'success'],
    [{ Operation: 'UserLoggedIn', RecordType: 15, ResultStatus: 'Succeeded' }, 'signin', 'success'],
    [{ Operation: 'FileAccessed', Workload: 'OneDrive', RecordType: 6, ResultStatus: 'Succeeded' }, 'other', 'success'],
    [{ Operation: 'Send', Workload: 'Exchange', RecordType: 2, ResultStatus: 'PartiallySucceeded' }, 'other', 'success'],
    [{ Operation: 'Set-Mailbox', Workload: 'Exchange', RecordType: 1, ResultStatus: 'True' }, 'other', 'success'],
    [{ Operation: 'Set-Mailbox', Workload: 'Exchange', RecordType: 1, ResultStatus: 'False' }, 'other', 'failure'],
    [{ Operation: 'CreateArtifact', Workload: 'PowerBI', RecordType: 20, ResultStatus: 'InProgress' }, 'other', 'unknown'],
    [{ Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50 }, 'mail_access', 'unknown'],
  ];
  for (const [extra, role, outcome] of cases) {
    const e = decodeJson({ ...BASE, ...extra });
    assert.equal(e.crosswatch.role, role, JSON.stringify(extra));
    assert.equal(e.event.outcome, outcome, JSON.stringify(extra));
    assert.equal(e.event.action, extra['Operation']);
  }
});

test('time: CreationTime without zone is UTC; offsets and fractions honoured', () => {
  assert.equal(decodeJson({ ...BASE, Operation: 'X' })['@timestamp'], '2024-03-01T08:00:00.000Z');
  assert.equal(decodeJson({ ...BASE, CreationTime: '2024-03-01T08:00:00.1234567', Operation: 'X' })['@timestamp'], '2024-03-01T08:00:00.1234567Z');
  assert.equal(decodeJson({ ...BASE, CreationTime: '2024-03-01T08:00:00+01:00', Operation: 'X' })['@timestamp'], '2024-03-01T07:00:00.000Z');
  const bad = m365Audit.decode(jsonRecord({ ...BASE, CreationTime: 'yesterday', Operation: 'X' }), CTX);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.error.reason, 'invalid-time');
    assert.match(bad.error.message, /CreationTime/);
    assert.match(bad.error.message, /yesterday/);
  }
});

test('source IP: ClientIPAddress, else ClientIP, else ActorIpAddress; canonical forms', () => {
  const ip = (extra: Record<string, unknown>) => decodeJson({ ...BASE, ClientIP: undefined, Operation: 'X', ...extra }).source?.ip;
  assert.equal(ip({ ClientIPAddress: '81.2.69.161', ClientIP: '81.2.69.162' }), '81.2.69.161');
  assert.equal(ip({ ClientIP: '81.2.69.162:50123' }), '81.2.69.162');
  assert.equal(ip({ ClientIP: '', ActorIpAddress: '81.2.69.163' }), '81.2.69.163');
  assert.equal(ip({ ClientIP: '[2A02:CF40::0:1]:443' }), '2a02:cf40::1');
  assert.equal(ip({ ClientIP: '::ffff:81.2.69.164' }), '81.2.69.164');
  assert.equal(ip({ ClientIPAddress: 'EXCH01 (81.2.69.165)' }), '81.2.69.165');
  assert.equal(ip({ ClientIPAddress: '[EXCH01 (81.2.69.166)]' }), '81.2.69.166');
  assert.equal(ip({ ClientIP: 'fe80::1%eth0' }), 'fe80::1');
  assert.equal(ip({ ClientIP: 'localhost' }), undefined);
  assert.equal(ip({ ClientIP: 42 }), undefined);
  // Unlike the peer, a written-but-broken ClientIPAddress falls through to ClientIP (every true case found).
  assert.equal(ip({ ClientIPAddress: 'NOTANIP (10.9000.0.1)', ClientIP: '81.2.69.162' }), '81.2.69.162');
  assert.equal(ip({ ClientIPAddress: 'mail.contoso.example', ClientIP: '81.2.69.162' }), '81.2.69.162');
});

test('numbery and stringly records: numeric ids and users become strings; RecordType as text', { skip: fixturesSkip() }, () => {
  const numbery = loadRaw(FOLDER, 'test-numbery-json-events.json');
  const last = ok(m365Audit.decode(numbery[4]!, CTX));
  assert.equal(last.event.id, '6');
  assert.equal(last.user?.name, '1');
  assert.equal(last.user?.email, undefined);
  const e = decodeJson({ ...BASE, Operation: 'UserLoggedIn', Workload: 'AzureActiveDirectory', RecordType: '15', ResultStatus: 'Success',
    ExtendedProperties: '[{"Name":"UserAgent","Value":"Mozilla/5.0 test"},{"Name":"RequestType","Value":"OAuth2:Token"}]', ApplicationId: 'app-1' });
  assert.equal(e.event.code, 'AzureActiveDirectoryStsLogon');
  assert.equal(e.user_agent?.original, 'Mozilla/5.0 test');
  assert.equal(e.o365?.audit?.ApplicationId, 'app-1');
  assert.equal(eventDetail(e)?.app_id, 'app-1');
  assert.equal(e.crosswatch.role, 'signin');
});

test('Elastic Agent envelope {"o365audit": {...}} is read as the record', () => {
  const d = decodeRecord(jsonRecord({ o365audit: { ...BASE, Operation: 'MailItemsAccessed', Workload: 'Exchange', ResultStatus: 'Succeeded' } }), CTX);
  assert.equal(d.decoder, 'm365-audit');
  const e = ok(d.result);
  assert.equal(e.crosswatch.role, 'mail_access');
  assert.equal(e.source?.ip, '81.2.69.160');
});

test('Purview audit export CSV rows: AuditData is the record; broken AuditData is rejected naming the column', () => {
  const audit = { ...BASE, CreationTime: '2024-03-01T08:00:00', Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50,
    ResultStatus: 'Succeeded', ClientIPAddress: '81.2.69.170', ClientInfoString: 'Client=OWA;Action=ViaProxy' };
  const row = csvRow({
    RecordId: 'r-1', CreationDate: '2024-03-01T08:00:00.0000000Z', RecordType: 'ExchangeItemAggregated', Operation: 'MailItemsAccessed',
    UserId: 'alice@contoso.example', AuditData: JSON.stringify(audit), AssociatedAdminUnits: '', AssociatedAdminUnitsNames: '',
  });
  assert.equal(m365Audit.accepts(row), true);
  assert.equal(ecsDocument.accepts(row), false);
  const d = decodeRecord(row, CTX);
  assert.equal(d.decoder, 'm365-audit');
  const e = ok(d.result);
  assert.equal(e.crosswatch.role, 'mail_access');
  assert.equal(e.event.outcome, 'success');
  assert.equal(e.source?.ip, '81.2.69.170');
  assert.equal(e.event.id, BASE.Id);
  assert.equal(e.user?.name, 'alice@contoso.example');
  assert.equal(e.client?.client_app, 'Client=OWA;Action=ViaProxy');
  assert.equal(e['@timestamp'], '2024-03-01T08:00:00.000Z');

  // Older export columns (UserIds, Operations) and an AuditData without CreationTime fall back to the row.
  const { CreationTime: _drop, ...noTime } = audit;
  const old = ok(m365Audit.decode(csvRow({ CreationDate: '2024-03-01T09:00:00.0000000Z', UserIds: 'bob@contoso.example', Operations: 'UserLoggedIn',
    AuditData: JSON.stringify({ ...noTime, Operation: undefined, UserId: undefined, Workload: 'AzureActiveDirectory', ResultStatus: 'Success' }) }), CTX));
  assert.equal(old['@timestamp'], '2024-03-01T09:00:00.000Z');
  assert.equal(old.user?.name, 'bob@contoso.example');
  assert.equal(old.event.action, 'UserLoggedIn');
  assert.equal(old.crosswatch.role, 'signin');

  const broken = m365Audit.decode(csvRow({ CreationDate: '2024-03-01T08:00:00Z', Operations: 'MailItemsAccessed', AuditData: '{"CreationTime":"2024-03-01T08:00:00",' }), CTX);
  assert.equal(broken.ok, false);
  if (!broken.ok) {
    assert.ok(broken.error.reason === 'invalid-json' || broken.error.reason === 'invalid-csv');
    assert.match(broken.error.message, /AuditData/);
    assert.ok(broken.error.message.length < 250);
  }
  const notObject = m365Audit.decode(csvRow({ CreationDate: '2024-03-01T08:00:00Z', Operations: 'X', AuditData: '[1,2]' }), CTX);
  assert.equal(notObject.ok, false);
  if (!notObject.ok) assert.match(notObject.error.message, /AuditData/);
  // JSON form of the same export.
  const jsonForm = decodeRecord(jsonRecord({ CreationDate: '2024-03-01T08:00:00Z', Operations: 'MailItemsAccessed', AuditData: JSON.stringify(audit) }), CTX);
  assert.equal(jsonForm.decoder, 'm365-audit');
  assert.equal(ok(jsonForm.result).crosswatch.role, 'mail_access');
  // A CSV row without AuditData is not an audit export row.
  assert.equal(m365Audit.accepts(csvRow({ CreationDate: 'x', Operations: 'y' })), false);
});

test('missing time is an error; a record without IP is not', () => {
  const r = m365Audit.decode(csvRow({ Operations: 'X', AuditData: '{"Operation":"X"}' }), CTX);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.reason, 'missing-time');
    assert.match(r.error.message, /CreationTime/);
  }
  const lost = decodeRecord(jsonRecord({ Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50, Id: 'x' }), CTX);
  assert.equal(lost.decoder, 'm365-audit');
  assert.equal(lost.result.ok, false);
  if (!lost.result.ok) assert.equal(lost.result.error.reason, 'missing-time');
  const noIp = decodeJson({ CreationTime: '2024-03-01T08:00:00', Operation: 'MailItemsAccessed', Workload: 'Exchange', ResultStatus: 'Succeeded' });
  assert.equal(noIp.source, undefined);
  assert.equal(noIp.crosswatch.role, 'mail_access');
});

test('odd types never throw; huge strings are bounded', () => {
  const odd: unknown[] = [null, 7, [], {}, { CreationTime: null, Operation: 'X' }, { CreationTime: 5, Operation: ['MailItemsAccessed'] },
    { CreationTime: '2024-01-01T00:00:00', Operation: { x: 1 }, ResultStatus: 12, ClientIP: ['1.2.3.4'], UserId: { a: 1 }, Id: null, RecordType: {} },
    { CreationTime: '2024-01-01T00:00:00', ResultStatus: true, Workload: 5, RecordType: 'abc' },
    { AuditData: 5, CreationDate: '2024-01-01' }, { AuditData: null, Operations: 'x' }, { o365audit: [] }, { o365audit: { CreationTime: [] , Id: 1 } }];
  for (const value of odd) {
    const rec = { kind: 'json', value, origin: { source: 't', line: 1 } } as unknown as RawRecord;
    if (m365Audit.accepts(rec)) m365Audit.decode(rec, CTX); // must not throw
  }
  const t = decodeJson({ CreationTime: '2024-01-01T00:00:00', ResultStatus: true, Operation: 'X' });
  assert.equal(t.event.outcome, 'success');
  assert.equal(m365Audit.accepts({ kind: 'text', value: 'CreationTime', origin: { source: 't', line: 1 } }), false);

  const long = 'B'.repeat(300_000);
  const big = decodeJson({ ...BASE, Operation: long, UserId: long, Id: long, ClientInfoString: long, UserAgent: long, ClientIP: long, AppId: long, ClientAppId: long });
  assert.equal(big.event.action?.length, MAX_FIELD_CHARS);
  assert.equal(big.user?.name?.length, MAX_FIELD_CHARS);
  assert.equal(big.event.id?.length, MAX_FIELD_CHARS);
  assert.equal(big.client?.client_app?.length, MAX_FIELD_CHARS);
  assert.ok((big.o365?.audit?.AppId?.length ?? 0) <= 256);
  assert.ok((big.o365?.audit?.ClientAppId?.length ?? 0) <= 256);
  assert.equal(big.user_agent?.original?.length, MAX_FIELD_CHARS);
  assert.equal(big.source, undefined);
});

test('shape tests: o365 records are not taken by the other decoders', { skip: fixturesSkip() }, () => {
  for (const file of rawFixtureFiles(FOLDER)) {
    for (const r of loadRaw(FOLDER, file)) {
      assert.equal(ecsDocument.accepts(r), false, `ecs must not take raw ${file}`);
      assert.equal(entraSignin.accepts(r), false, `entra must not take ${file}`);
      assert.equal(suricataEve.accepts(r), false, `suricata must not take ${file}`);
    }
  }
});

test('MailItemsAccessed app and client, honestly named: AppId the app, ClientAppId the client app, ClientInfoString the client', () => {
  // A mailbox read through Microsoft Graph by a third-party client application (invented ids).
  const e = decodeJson({
    ...BASE, Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50, ResultStatus: 'Succeeded', ClientIPAddress: '185.220.101.7',
    AppId: '00000003-0000-0000-c000-000000000000', ClientAppId: '5c0f1d7e-8a2b-4c3d-9e4f-a1b2c3d4e5f6',
    ClientInfoString: 'Client=REST;Client=RESTSystem;;', MailboxOwnerUPN: 'alice@contoso.example',
  });
  assert.deepEqual(e.o365?.audit, {
    AppId: '00000003-0000-0000-c000-000000000000', ClientAppId: '5c0f1d7e-8a2b-4c3d-9e4f-a1b2c3d4e5f6', ClientInfoString: 'Client=REST;Client=RESTSystem;;',
  });
  assert.deepEqual(e.client, { client_app: 'Client=REST;Client=RESTSystem;;' });
  assert.deepEqual(eventDetail(e), { app_id: '00000003-0000-0000-c000-000000000000', client_app_id: '5c0f1d7e-8a2b-4c3d-9e4f-a1b2c3d4e5f6' });
  // No ids written: none invented.
  const bare = decodeJson({ ...BASE, Operation: 'MailItemsAccessed', Workload: 'Exchange', ResultStatus: 'Succeeded' });
  assert.equal(bare.o365, undefined);
  assert.equal(bare.client, undefined);
  assert.equal(eventDetail(bare), undefined);
});

test('ECS o365.audit MailItemsAccessed documents: the same names as the raw record', () => {
  const d = decodeRecord(jsonRecord({
    '@timestamp': '2026-04-07T10:00:00.000Z', 'event.dataset': 'o365.audit', 'event.action': 'MailItemsAccessed', 'event.id': 'ecs-mail-1',
    'source.ip': '81.2.69.143', 'source.geo': { city_name: 'London', country_iso_code: 'GB' },
    o365: { audit: { Operation: 'MailItemsAccessed', ResultStatus: 'Succeeded', Workload: 'Exchange', UserId: 'alice@contoso.example',
      AppId: '00000002-0000-0ff1-ce00-000000000000', ClientAppId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', ClientInfoString: 'Client=MSExchangeRPC' } },
  }), CTX);
  assert.equal(d.decoder, 'ecs');
  const e = ok(d.result);
  assert.equal(e.crosswatch.role, 'mail_access');
  assert.deepEqual(e.client, { client_app: 'Client=MSExchangeRPC' });
  assert.deepEqual(eventDetail(e), {
    app_id: '00000002-0000-0ff1-ce00-000000000000', client_app_id: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', location: { city: 'London', country: 'GB' },
  });
});
