// generic-json and parseMapSpec: a user-mapped JSON alert feed (--map), active only
// with a mapping, never taking other formats' records when the registry runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { genericJson, parseMapSpec } from '../src/decoders/generic-json.js';
import { decodeRecord } from '../src/decoders/index.js';
import { MAX_FIELD_CHARS } from '../src/decoders/fields.js';
import type { DecodeContext, GenericMapping, RawRecord } from '../src/decoders/types.js';

import { CTX, jsonRecord, ok } from './fixtures-helpers.js';

const SPEC = 'ip=attacker.address,time=detected_at,name=threat.name,severity=level,sensor=sensor.id,dataset=acme.alerts';
const MAP: GenericMapping = parseMapSpec(SPEC);
const MCTX: DecodeContext = { ...CTX, genericMap: MAP };

// An "Acme NDR" alert as its webhook export writes it.
const ACME = {
  alert_id: 'a-19f3',
  detected_at: '2024-05-01T12:00:00.250+02:00',
  attacker: { address: '81.2.69.192', port: 40123, asn: 20738 },
  victim: { address: '10.1.2.3' },
  threat: { name: 'Password spray against OWA', family: 'credential-access' },
  level: 'high',
  sensor: { id: 'ndr-dmz-2' },
};

test('parseMapSpec: the full spec, spaces, and the minimal one', () => {
  assert.deepEqual(MAP, {
    ip: 'attacker.address', time: 'detected_at', name: 'threat.name', severity: 'level', sensor: 'sensor.id', dataset: 'acme.alerts',
  });
  assert.deepEqual(parseMapSpec(' ip = src , time = ts '), { ip: 'src', time: 'ts' });
  assert.deepEqual(parseMapSpec('TIME=@timestamp,IP=client.ip'), { ip: 'client.ip', time: '@timestamp' });
});

test('parseMapSpec: errors name the bad part', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty mapping/],
    ['   ', /empty mapping/],
    ['time=ts', /missing "ip=FIELD"/],
    ['ip=src', /missing "time=FIELD"/],
    ['ip=src,time=ts,host=h', /unknown key "host" in "host=h" \(known: ip, time, name, severity, sensor, dataset\)/],
    ['ip=src,,time=ts', /empty part/],
    ['ip=src,time=ts,', /empty part/],
    ['ip=src,time', /"time" is not KEY=FIELD/],
    ['ip=,time=ts', /"ip=" has no field name/],
    ['ip=src,time=ts,ip=dst', /"ip" is given twice/],
    ['ip=src addr,time=ts', /ip="src addr" is not a field path/],
    ['ip=src,time=a=b', /time="a=b" is not a field path/],
    ['ip=src,time=ts,dataset=acme alerts!', /dataset "acme alerts!" must be/],
  ];
  for (const [spec, re] of cases) assert.throws(() => parseMapSpec(spec), re, spec);
});

test('generic-json: maps a JSON alert to a network alert', () => {
  const rec = jsonRecord(ACME);
  assert.equal(genericJson.accepts(rec, MCTX), true);
  const e = ok(genericJson.decode(rec, MCTX));
  assert.equal(e['@timestamp'], '2024-05-01T10:00:00.250Z');
  assert.equal(e.crosswatch.role, 'network_alert');
  assert.equal(e.crosswatch.decoder, 'generic-json');
  assert.equal(e.event.kind, 'alert');
  assert.equal(e.event.dataset, 'acme.alerts');
  assert.deepEqual(e.source, { ip: '81.2.69.192' });
  assert.deepEqual(e.rule, { name: 'Password spray against OWA' });
  assert.equal(e.event.severity, 2);
  assert.deepEqual(e.observer, { name: 'ndr-dmz-2' });
  // Through the registry: last, and taken.
  assert.equal(decodeRecord(rec, MCTX).decoder, 'generic-json');
});

test('generic-json: flattened dotted keys, default dataset, epoch and zone-less times, severity forms', () => {
  const map = parseMapSpec('ip=src.ip,time=ts,severity=sev');
  const ctx: DecodeContext = { ...CTX, genericMap: map };
  const flat = (o: Record<string, unknown>) => ok(genericJson.decode(jsonRecord({ 'src.ip': '::ffff:81.2.69.193', ...o }), ctx));
  const e = flat({ ts: 1714557600123 });
  assert.equal(e.source?.ip, '81.2.69.193');
  assert.equal(e.event.dataset, 'generic.alert');
  assert.equal(e['@timestamp'], '2024-05-01T10:00:00.123Z');
  assert.equal(e.rule, undefined);
  assert.equal(e.observer, undefined);
  assert.equal(flat({ ts: 1714557600 })['@timestamp'], '2024-05-01T10:00:00.000Z');
  assert.equal(flat({ ts: '1714557600.5' })['@timestamp'], '2024-05-01T10:00:00.500Z');
  // Zone-less: UTC by default, the configured zone otherwise.
  assert.equal(flat({ ts: '2024-05-01 12:00:00' })['@timestamp'], '2024-05-01T12:00:00.000Z');
  const zoned = ok(genericJson.decode(jsonRecord({ 'src.ip': '81.2.69.193', ts: '2024-05-01 12:00:00' }), { ...ctx, zone: '+09:30' }));
  assert.equal(zoned['@timestamp'], '2024-05-01T02:30:00.000Z');
  assert.equal(flat({ ts: '5/1/2024 12:00:00 PM' })['@timestamp'], '2024-05-01T12:00:00.000Z');
  // Severity: numbers as written; words numbered 1 = most severe.
  assert.equal(flat({ ts: 1714557600, sev: 7 }).event.severity, 7);
  assert.equal(flat({ ts: 1714557600, sev: '3' }).event.severity, 3);
  assert.equal(flat({ ts: 1714557600, sev: 'CRITICAL' }).event.severity, 1);
  assert.equal(flat({ ts: 1714557600, sev: 'low' }).event.severity, 4);
  assert.equal(flat({ ts: 1714557600, sev: 'info' }).event.severity, 5);
  assert.equal(flat({ ts: 1714557600, sev: 'weird' }).event.severity, undefined);
  // Arrays (as ECS exports write single values) and IPv6.
  const arr = ok(genericJson.decode(jsonRecord({ src: { ip: ['2A02:CF40::0001'] }, ts: ['2024-05-01T10:00:00Z'] }), ctx));
  assert.equal(arr.source?.ip, '2a02:cf40::1');
  assert.equal(arr['@timestamp'], '2024-05-01T10:00:00.000Z');
});

test('generic-json: inactive without a mapping; only JSON objects with values at the mapped ip and time', () => {
  const rec = jsonRecord(ACME);
  assert.equal(genericJson.accepts(rec), false);
  assert.equal(genericJson.accepts(rec, CTX), false);
  assert.equal(decodeRecord(rec, CTX).decoder, null);
  assert.equal(genericJson.decode(rec, CTX).ok, false);
  const { detected_at: _t, ...noTime } = ACME;
  assert.equal(genericJson.accepts(jsonRecord(noTime), MCTX), false);
  const { attacker: _a, ...noIp } = ACME;
  assert.equal(genericJson.accepts(jsonRecord(noIp), MCTX), false);
  assert.equal(genericJson.accepts(jsonRecord({ ...ACME, detected_at: '  ' }), MCTX), false);
  const textRec: RawRecord = { kind: 'text', value: JSON.stringify(ACME), origin: { source: 't', line: 1 } };
  assert.equal(genericJson.accepts(textRec, MCTX), false);
  const csvRec: RawRecord = { kind: 'csv', value: { 'attacker.address': '81.2.69.192', detected_at: '2024-05-01T10:00:00Z' }, origin: { source: 't', line: 2 } };
  assert.equal(genericJson.accepts(csvRec, MCTX), false);
});

test('generic-json: other decoders\' samples go to their decoders, and generic-json does not take them', () => {
  // A mapping that happens to name fields other formats also have.
  const ctx: DecodeContext = { ...CTX, genericMap: parseMapSpec('ip=src_ip,time=timestamp') };
  const eve = jsonRecord({ timestamp: '2024-05-01T12:00:00.123456+0200', flow_id: 1, event_type: 'alert', src_ip: '81.2.69.192', dest_ip: '10.0.0.5', alert: { signature: 'ET SCAN x', signature_id: 1, severity: 2 } });
  assert.equal(decodeRecord(eve, ctx).decoder, 'suricata-eve');
  const lines = [
    '1,2024/05/01 12:00:01,013201001234,THREAT,scan,2561,2024/05/01 12:00:00,81.2.69.192,10.1.2.3',
    'date=2024-05-01 time=12:00:00 devname="FGT" devid="FG1" logid="0419016384" type="utm" subtype="ips" srcip=81.2.69.192',
    'CEF:0|Vendor|Product|1|100|Name|5|src=81.2.69.192',
    '05/01-12:00:00.123456  [**] [1:2010935:3] ET SCAN x [**] [Priority: 2] {TCP} 81.2.69.192:51234 -> 10.0.0.5:1433',
  ];
  for (const l of lines) assert.equal(genericJson.accepts({ kind: 'text', value: l, origin: { source: 't', line: 1 } }, MCTX), false);
  for (const o of [
    { time: '2024-05-01T12:00:00Z', category: 'SignInLogs', callerIpAddress: '81.2.69.192', properties: {} },
    { CreationTime: '2024-05-01T12:00:00', Operation: 'MailItemsAccessed', ClientIPAddress: '81.2.69.192' },
    { '@timestamp': '2024-05-01T12:00:00Z', event: { kind: 'alert' }, source: { ip: '81.2.69.192' } },
  ]) assert.equal(genericJson.accepts(jsonRecord(o), MCTX), false);
});

test('generic-json bad input: bad times, non-IPs, huge and hostile strings', () => {
  const dec = (o: Record<string, unknown>) => genericJson.decode(jsonRecord({ ...ACME, ...o }), MCTX);
  const bad = dec({ detected_at: 'yesterday-ish' });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.error.reason, 'invalid-time');
    assert.match(bad.error.message, /^detected_at is not a time: "yesterday-ish"/);
  }
  for (const t of [{ at: 1 }, true, '2024-02-31T00:00:00Z', 'x'.repeat(10_000)]) {
    const r = dec({ detected_at: t });
    assert.equal(r.ok, false, JSON.stringify(t).slice(0, 40));
    if (!r.ok) assert.equal(r.error.reason, 'invalid-time');
  }
  const missing = genericJson.decode(jsonRecord({ attacker: { address: '81.2.69.192' } }), MCTX);
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.equal(missing.error.reason, 'missing-time');
  // Not an IP is no IP: counted, never keyed.
  for (const ip of ['Unknown', '-', 'attacker.example', 12345, { v: 1 }]) {
    const e = ok(dec({ attacker: { address: ip } }));
    assert.equal(e.source, undefined);
    assert.equal(e.crosswatch.role, 'network_alert');
  }
  assert.equal(ok(dec({ attacker: { address: '[2a02:cf40::1]:443' } })).source?.ip, '2a02:cf40::1');
  const big = ok(dec({ threat: { name: 'N'.repeat(5000) }, sensor: { id: 'S'.repeat(5000) } }));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  assert.equal(big.observer?.name?.length, 255);
  const hostile = ok(dec({ threat: { name: '<script>alert(1)</script>${jndi:ldap://x}' } }));
  assert.equal(hostile.rule?.name, '<script>alert(1)</script>${jndi:ldap://x}');
  // Odd values never throw.
  for (const v of [null, [], {}, -1, NaN, 'x']) {
    assert.doesNotThrow(() => genericJson.accepts(jsonRecord({ attacker: { address: v }, detected_at: v }), MCTX));
    assert.doesNotThrow(() => genericJson.decode(jsonRecord({ attacker: { address: v }, detected_at: v, level: v, threat: { name: v } }), MCTX));
  }
});
