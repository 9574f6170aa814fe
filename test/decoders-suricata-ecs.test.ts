// suricata-eve and ecs: Elastic suricata/eve test vectors compared with the peer;
// the peer's own expected documents (Suricata, Entra, O365) read back as ECS
// documents; shape tests keeping the ECS decoder off raw vendor records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suricataEve } from '../src/decoders/suricata-eve.js';
import { ecsDocument } from '../src/decoders/ecs.js';
import { entraSignin } from '../src/decoders/entra-signin.js';
import { m365Audit } from '../src/decoders/m365-audit.js';
import { decodeRecord } from '../src/decoders/index.js';
import { MAX_FIELD_CHARS, field } from '../src/decoders/fields.js';
import type { RawRecord } from '../src/decoders/types.js';

import { CTX, compareFolder, expandKnown, jsonRecord, loadExpected, loadRaw, ok, peerIp, peerMs, rawFixtureFiles, sortDifferences, type KnownDifference, fixturesSkip } from './fixtures-helpers.js';

const FOLDER = 'suricata-eve';

// Where crosswatch deliberately differs from the peer: nowhere, for EVE.
const KNOWN: KnownDifference[] = [];

const ALERT = {
  timestamp: '2024-05-01T12:00:00.123456+0200',
  flow_id: 1234,
  event_type: 'alert',
  src_ip: '81.2.69.192',
  src_port: 51234,
  dest_ip: '10.0.0.5',
  dest_port: 443,
  proto: 'TCP',
  host: 'sensor-dmz-1',
  app_proto: 'tls',
  alert: { action: 'allowed', gid: 1, signature_id: 2019401, rev: 3, signature: 'ET SCAN Suspicious inbound to MSSQL port 1433', category: 'Potentially Bad Traffic', severity: 2 },
};

test('suricata-eve fixtures: agree with the peer (source.ip, outcome, action, @timestamp) and on rule/kind/severity', { skip: fixturesSkip() }, (t) => {
  const cmp = compareFolder(FOLDER);
  assert.deepEqual(cmp.differences, sortDifferences(expandKnown(KNOWN)));
  for (const d of cmp.decoded) {
    assert.equal(d.decoder, 'suricata-eve', `${d.file}[${d.index}] taken by ${d.decoder}`);
    const e = d.event.event;
    const peer = d.peer!;
    assert.equal(e.event.kind, field(peer, 'event.kind'));
    assert.deepEqual(e.event.category, field(peer, 'event.category'));
    assert.deepEqual(e.event.type, field(peer, 'event.type'));
    assert.equal(e.event.severity, field(peer, 'event.severity'));
    assert.equal(e.rule?.name, field(peer, 'rule.name'));
    assert.equal(e.rule?.id, field(peer, 'rule.id'));
    assert.equal(e.rule?.category, field(peer, 'rule.category'));
    assert.equal(e.destination?.ip, field(peer, 'destination.ip'));
    assert.equal(e.source?.port, field(peer, 'source.port'));
    assert.equal(e.destination?.port, field(peer, 'destination.port'));
    assert.equal(e.network?.transport, field(peer, 'network.transport'));
    assert.equal(e.network?.protocol, field(peer, 'network.protocol'));
    assert.equal(e.crosswatch.role, field(peer, 'event.kind') === 'alert' ? 'network_alert' : 'other');
    if (e.crosswatch.role === 'network_alert') {
      assert.deepEqual({ vendor: e.observer?.vendor, product: e.observer?.product, type: e.observer?.type }, { vendor: 'OISF', product: 'Suricata', type: 'ids' });
    }
  }
  t.diagnostic(`${FOLDER}: ${cmp.records} records, ${cmp.agreements} agree on source.ip/outcome/action/@timestamp, ${cmp.differences.length} listed differences`);
});

test('suricata alert: colon-less offset, microseconds kept, observer name from host / sensor_name', () => {
  const d = decodeRecord(jsonRecord(ALERT), CTX);
  assert.equal(d.decoder, 'suricata-eve');
  const e = ok(d.result);
  assert.equal(e['@timestamp'], '2024-05-01T10:00:00.123456Z');
  assert.equal(e.crosswatch.role, 'network_alert');
  assert.equal(e.event.kind, 'alert');
  assert.equal(e.event.dataset, 'suricata.eve');
  assert.equal(e.source?.ip, '81.2.69.192');
  assert.equal(e.source?.port, 51234);
  assert.equal(e.destination?.ip, '10.0.0.5');
  assert.equal(e.rule?.name, ALERT.alert.signature);
  assert.equal(e.rule?.id, '2019401');
  assert.equal(e.rule?.category, 'Potentially Bad Traffic');
  assert.equal(e.event.severity, 2);
  assert.deepEqual(e.observer, { vendor: 'OISF', product: 'Suricata', type: 'ids', name: 'sensor-dmz-1' });
  const { host: _h, ...noHost } = ALERT;
  assert.equal(ok(suricataEve.decode(jsonRecord({ ...noHost, sensor_name: 'ids-2' }), CTX)).observer?.name, 'ids-2');
  assert.equal(ok(suricataEve.decode(jsonRecord(noHost), CTX)).observer?.name, undefined);
  // Blocked alerts (IPS mode) are still network alerts.
  const blocked = ok(suricataEve.decode(jsonRecord({ ...ALERT, alert: { ...ALERT.alert, action: 'blocked' } }), CTX));
  assert.deepEqual(blocked.event.type, ['denied']);
  assert.equal(blocked.crosswatch.role, 'network_alert');
  // IPv6 sources are canonical.
  assert.equal(ok(suricataEve.decode(jsonRecord({ ...ALERT, src_ip: '2A02:CF40:0000::0001' }), CTX)).source?.ip, '2a02:cf40::1');
  assert.equal(ok(suricataEve.decode(jsonRecord({ ...ALERT, timestamp: '2024-05-01T12:00:00.123456+0000' }), CTX))['@timestamp'], '2024-05-01T12:00:00.123456Z');
});

test('suricata: other event types are decoded as role other, kind event', () => {
  for (const event_type of ['flow', 'dns', 'http', 'tls', 'stats', 'anomaly', 'fileinfo']) {
    const e = ok(suricataEve.decode(jsonRecord({ ...ALERT, event_type, alert: undefined }), CTX));
    assert.equal(e.crosswatch.role, 'other', event_type);
    assert.equal(e.event.kind, 'event');
    assert.equal(e.rule, undefined);
    assert.equal(e.crosswatch.category, event_type);
  }
  const stats = ok(suricataEve.decode(jsonRecord({ timestamp: '2024-05-01T12:00:00.000000+0000', event_type: 'stats', stats: { uptime: 5 } }), CTX));
  assert.equal(stats.source, undefined);
});

test('suricata: bad time is an error naming the field; odd types never throw; bounded strings', () => {
  const bad = suricataEve.decode(jsonRecord({ ...ALERT, timestamp: 'not a time' }), CTX);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.error.reason, 'invalid-time');
    assert.match(bad.error.message, /timestamp/);
  }
  const missing = suricataEve.decode(jsonRecord({ ...ALERT, timestamp: null }), CTX);
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.equal(missing.error.reason, 'missing-time');
  // An EVE record without its timestamp is still recognised, and reported as missing-time.
  const { timestamp: _t, ...noTimestamp } = ALERT;
  const d = decodeRecord(jsonRecord(noTimestamp), CTX);
  assert.equal(d.decoder, 'suricata-eve');
  assert.equal(d.result.ok, false);
  if (!d.result.ok) assert.equal(d.result.error.reason, 'missing-time');
  const odd: unknown[] = [null, 1, [], { event_type: 5, timestamp: 1 }, { event_type: 'alert', timestamp: [] },
    { event_type: 'alert', timestamp: '2024-05-01T12:00:00Z', alert: 'x', src_ip: 5, src_port: 'abc', dest_port: 70000, proto: {} },
    { event_type: 'alert', timestamp: '2024-05-01T12:00:00Z', alert: { signature: ['x'], signature_id: {}, severity: 'high' } }];
  for (const value of odd) {
    const rec = { kind: 'json', value, origin: { source: 't', line: 1 } } as unknown as RawRecord;
    if (suricataEve.accepts(rec)) suricataEve.decode(rec, CTX);
  }
  const weird = ok(suricataEve.decode(jsonRecord({ event_type: 'alert', timestamp: '2024-05-01T12:00:00Z', src_ip: 5, src_port: 'abc', dest_port: 70000 }), CTX));
  assert.equal(weird.source, undefined);
  assert.equal(weird.destination, undefined);
  const long = 'S'.repeat(100_000);
  const big = ok(suricataEve.decode(jsonRecord({ ...ALERT, host: long, alert: { ...ALERT.alert, signature: long, category: long } }), CTX));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  assert.equal(big.rule?.category?.length, MAX_FIELD_CHARS);
  assert.equal(big.observer?.name?.length, MAX_FIELD_CHARS);
});

// --- ECS documents -------------------------------------------------------

test('ecs: accepts() never takes raw EVE, raw Entra or raw O365 records', { skip: fixturesSkip() }, () => {
  const raw: RawRecord[] = [
    ...loadRaw('suricata-eve', 'test-eve-metadata.log'),
    ...rawFixtureFiles('azure-signinlogs').flatMap((f) => loadRaw('azure-signinlogs', f)),
    ...rawFixtureFiles('o365-audit').flatMap((f) => loadRaw('o365-audit', f)),
    jsonRecord(ALERT),
  ];
  for (const r of raw) assert.equal(ecsDocument.accepts(r), false, `${r.origin.source}[${r.origin.index ?? r.origin.line}]`);
  // ... while the pre-decoded suricata `events` items (ECS with @timestamp) are ECS documents.
  const items = (JSON.parse(JSON.stringify(loadExpected('suricata-eve', 'test-events.json'))) as Record<string, unknown>[]);
  for (const doc of items) assert.equal(ecsDocument.accepts(jsonRecord(doc)), true);
});

test('ecs: the peer’s Suricata documents are network alerts with the same IP and time', { skip: fixturesSkip() }, () => {
  for (const file of rawFixtureFiles(FOLDER)) {
    for (const doc of loadExpected(FOLDER, file) ?? []) {
      const d = decodeRecord(jsonRecord(doc), CTX);
      assert.equal(d.decoder, 'ecs');
      const e = ok(d.result);
      const alert = field(doc, 'event.kind') === 'alert';
      assert.equal(e.crosswatch.role, alert ? 'network_alert' : 'other');
      assert.equal(e.source?.ip, peerIp(doc));
      assert.equal(Date.parse(e['@timestamp']), peerMs(doc));
      if (alert) assert.equal(e.rule?.name, field(doc, 'rule.name'));
    }
  }
});

test('ecs: the peer’s Entra documents (with event.dataset as the agent adds it) are sign-ins', { skip: fixturesSkip() }, () => {
  let n = 0;
  for (const file of rawFixtureFiles('azure-signinlogs')) {
    for (const doc of loadExpected('azure-signinlogs', file) ?? []) {
      const withDataset = { ...doc, event: { ...(doc['event'] as object), dataset: 'azure.signinlogs' } };
      const d = decodeRecord(jsonRecord(withDataset), CTX);
      assert.equal(d.decoder, 'ecs');
      const e = ok(d.result);
      assert.equal(e.crosswatch.role, 'signin');
      assert.equal(e.event.outcome, field(doc, 'event.outcome'));
      assert.equal(e.source?.ip, peerIp(doc));
      assert.equal(Date.parse(e['@timestamp']), peerMs(doc));
      const upn = field(doc, 'azure.signinlogs.properties.user_principal_name');
      if (typeof upn === 'string') assert.equal(e.user?.name, upn, 'user.name is the full UPN');
      n++;
    }
  }
  assert.ok(n >= 80);
});

test('ecs: the peer’s O365 documents keep roles and IPs; MailItemsAccessed / UserLoggedIn classify', { skip: fixturesSkip() }, () => {
  for (const file of rawFixtureFiles('o365-audit')) {
    for (const doc of loadExpected('o365-audit', file) ?? []) {
      const withDataset = { ...doc, event: { ...(doc['event'] as object), dataset: 'o365.audit' } };
      const e = ok(ecsDocument.decode(jsonRecord(withDataset), CTX));
      assert.equal(e.crosswatch.role, 'other');
      assert.equal(e.source?.ip, peerIp(doc));
    }
  }
  // Flattened dotted keys, as some exports write them.
  const mail = ok(decodeRecord(jsonRecord({
    '@timestamp': '2025-09-26T22:32:29.000Z', 'event.dataset': 'o365.audit', 'event.action': 'MailItemsAccessed', 'event.outcome': 'success',
    'event.id': 'aaaaaaaa', 'source.ip': '81.2.69.145', 'client.ip': '81.2.69.145', 'user.id': 'user@example.com', 'o365.audit.ResultStatus': 'Succeeded',
    'o365.audit.Workload': 'Exchange', 'o365.audit.UserId': 'user@example.com',
  }), CTX).result);
  assert.equal(mail.crosswatch.role, 'mail_access');
  assert.equal(mail.event.outcome, 'success');
  assert.equal(mail.user?.name, 'user@example.com');
  assert.equal(mail.event.id, 'aaaaaaaa');
  // ResultStatus wins over the peer's defaulted event.outcome.
  const noStatus = ok(ecsDocument.decode(jsonRecord({
    '@timestamp': '2025-09-26T22:32:29Z', event: { dataset: 'o365.audit', action: 'MailItemsAccessed', outcome: 'success' },
    o365: { audit: { ResultStatus: 'InProgress' } }, source: { ip: '81.2.69.145' } }), CTX));
  assert.equal(noStatus.event.outcome, 'unknown');
  const login = ok(ecsDocument.decode(jsonRecord({
    '@timestamp': '2025-09-26T22:32:29Z', event: { dataset: 'o365.audit', action: 'UserLoggedIn', outcome: 'success', provider: 'AzureActiveDirectory' },
    client: { ip: '81.2.69.146' } }), CTX));
  assert.equal(login.crosswatch.role, 'signin');
  assert.equal(login.source?.ip, '81.2.69.146');
  const spLogin = ok(ecsDocument.decode(jsonRecord({
    '@timestamp': '2025-09-26T22:32:29Z', event: { dataset: 'o365.audit', action: 'UserLoggedIn', outcome: 'success', provider: 'SharePoint' } }), CTX));
  assert.equal(spLogin.crosswatch.role, 'other');
});

test('ecs: alerts — original time, rule names, identity datasets are not network alerts', () => {
  const kibanaAlert = {
    '@timestamp': '2024-05-01T13:00:00.000Z',
    'kibana.alert.original_time': '2024-05-01T12:00:00.500Z',
    'kibana.alert.rule.name': 'Threat Intel IP Address Indicator Match',
    'kibana.alert.uuid': 'abc123',
    event: { kind: 'signal', dataset: 'panw.panos' },
    source: { ip: ['81.2.69.200'] },
    host: { name: 'fw-1' },
  };
  const k = ok(decodeRecord(jsonRecord(kibanaAlert), CTX).result);
  assert.equal(k.crosswatch.role, 'network_alert');
  assert.equal(k['@timestamp'], '2024-05-01T12:00:00.500Z');
  assert.equal(k.rule?.name, 'Threat Intel IP Address Indicator Match');
  assert.equal(k.source?.ip, '81.2.69.200');
  assert.equal(k.event.id, 'abc123');
  assert.equal(k.event.kind, 'alert');
  assert.equal(k.observer?.name, 'fw-1');
  // A signature in rule.name wins over the detection rule's name.
  const sig = ok(ecsDocument.decode(jsonRecord({ ...kibanaAlert, rule: { name: 'ET SCAN Nmap' } }), CTX));
  assert.equal(sig.rule?.name, 'ET SCAN Nmap');
  for (const dataset of ['azure.identity_protection', 'o365.audit', 'okta.system', 'entityanalytics_entra_id.user', 'google_workspace.login', 'microsoft_entra.risk', 'azure.signinlogs']) {
    const e = ok(ecsDocument.decode(jsonRecord({ ...kibanaAlert, event: { kind: 'alert', dataset } }), CTX));
    assert.equal(e.crosswatch.role, 'other', dataset);
  }
  // Plain events of network datasets are not alerts.
  const flow = ok(ecsDocument.decode(jsonRecord({ '@timestamp': '2024-05-01T12:00:00Z', event: { kind: 'event', dataset: 'suricata.eve' }, source: { ip: '81.2.69.1' } }), CTX));
  assert.equal(flow.crosswatch.role, 'other');
  // Sign-in outcome from error code when event.outcome is absent.
  const s = ok(ecsDocument.decode(jsonRecord({ '@timestamp': '2024-05-01T12:00:00Z', 'event.dataset': 'azure.signinlogs',
    'azure.signinlogs.properties.status.error_code': 50126, 'source.ip': '81.2.69.3' }), CTX));
  assert.equal(s.event.outcome, 'failure');
  const rt = ok(ecsDocument.decode(jsonRecord({ '@timestamp': '2024-05-01T12:00:00Z', 'event.dataset': 'azure.signinlogs', 'azure.signinlogs.result_type': '0' }), CTX));
  assert.equal(rt.event.outcome, 'success');
  // ECS CSV export rows (dotted column names).
  const row: RawRecord = { kind: 'csv', value: { '@timestamp': '2024-05-01T12:00:00.000Z', 'event.kind': 'alert', 'event.dataset': 'fortinet_fortigate.log', 'source.ip': '81.2.69.4', 'rule.name': 'X' }, origin: { source: 'e.csv', line: 2 } };
  assert.equal(ecsDocument.accepts(row), true);
  assert.equal(ok(ecsDocument.decode(row, CTX)).crosswatch.role, 'network_alert');
});

test('ecs: bad time is an error naming the field; odd types never throw; bounded strings', () => {
  const bad = ecsDocument.decode(jsonRecord({ '@timestamp': 'soon', event: { kind: 'alert' } }), CTX);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.error.reason, 'invalid-time');
    assert.match(bad.error.message, /@timestamp/);
  }
  const badOriginal = ecsDocument.decode(jsonRecord({ '@timestamp': '2024-05-01T12:00:00Z', 'kibana.alert.original_time': 'x', event: { kind: 'signal' } }), CTX);
  assert.equal(badOriginal.ok, false);
  const odd: unknown[] = [null, 3, [], { '@timestamp': null, event: {} }, { '@timestamp': 5, event: 'x' }, { '@timestamp': '2024-05-01T12:00:00Z', event: [] },
    { '@timestamp': '2024-05-01T12:00:00Z', event: { kind: 7, dataset: {}, category: [1, null, {}], outcome: ['success'] }, source: 'x', user: [] },
    { '@timestamp': ['2024-05-01T12:00:00Z'], 'event.kind': ['alert'], 'source.ip': [null] }];
  for (const value of odd) {
    const rec = { kind: 'json', value, origin: { source: 't', line: 1 } } as unknown as RawRecord;
    if (ecsDocument.accepts(rec)) ecsDocument.decode(rec, CTX);
  }
  assert.equal(ecsDocument.accepts({ kind: 'text', value: '@timestamp event', origin: { source: 't', line: 1 } }), false);
  const long = 'E'.repeat(100_000);
  const big = ok(ecsDocument.decode(jsonRecord({ '@timestamp': '2024-05-01T12:00:00Z', event: { kind: 'alert', dataset: 'x.y', action: long }, rule: { name: long }, user: { name: long }, user_agent: { original: long } }), CTX));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  assert.equal(big.user?.name?.length, MAX_FIELD_CHARS);
  assert.equal(big.event.action?.length, MAX_FIELD_CHARS);
  assert.equal(big.user_agent?.original?.length, MAX_FIELD_CHARS);
});

test('shape tests: EVE records are not taken by Entra or M365', { skip: fixturesSkip() }, () => {
  for (const r of [...loadRaw(FOLDER, 'test-eve-metadata.log'), ...loadRaw(FOLDER, 'test-events.json'), jsonRecord(ALERT)]) {
    assert.equal(entraSignin.accepts(r), false);
    assert.equal(m365Audit.accepts(r), false);
    assert.equal(suricataEve.accepts(r), true);
  }
});
