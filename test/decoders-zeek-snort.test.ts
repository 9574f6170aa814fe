// zeek-notice, snort-json and fast-log: the Elastic zeek/notice and snort/log test
// vectors compared with the peer (with an explicit list of deliberate differences),
// then records as the products write them, bad input, and shape tests keeping each
// decoder off the others' records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { zeekNotice } from '../src/decoders/zeek-notice.js';
import { snortJson } from '../src/decoders/snort-json.js';
import { fastLog } from '../src/decoders/fast-log.js';
import { cef } from '../src/decoders/cef.js';
import { suricataEve } from '../src/decoders/suricata-eve.js';
import { ecsDocument } from '../src/decoders/ecs.js';
import { entraSignin } from '../src/decoders/entra-signin.js';
import { m365Audit } from '../src/decoders/m365-audit.js';
import { decodeRecord } from '../src/decoders/index.js';
import { MAX_FIELD_CHARS, field } from '../src/decoders/fields.js';
import type { DecodeContext, Decoder, RawRecord } from '../src/decoders/types.js';
import type { NormalizedEvent } from '../src/model/event.js';
import { formatInstant } from '../src/model/time.js';
import { CTX, fails, jsonRecord, loadExpected, loadRaw, ok, readFixture, textRecord, fixturesSkip, readCorpus } from './fixtures-helpers.js';

function ctxWith(zone: string | undefined, reference: string): DecodeContext {
  const ctx: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.parse(reference), ns: 0 } };
  if (zone !== undefined) ctx.zone = zone;
  return ctx;
}

/** A disagreement with the peer on one field of one record. */
interface Diff {
  index: number;
  field: string;
  ours: unknown;
  peer: unknown;
}

/** Compares field pairs; a pair counts when either side has a value. */
function diffs(index: number, pairs: Array<[string, unknown, unknown]>): Diff[] {
  return pairs
    .filter(([, ours, peer]) => (ours !== undefined || peer !== undefined) && !isDeepStrictEqual(ours, peer))
    .map(([f, ours, peer]) => ({ index, field: f, ours, peer }));
}

// --- zeek-notice fixtures ----------------------------------------------------------

// Deliberate differences from the peer on zeek-notice/test-notice.log: none.
const ZEEK_KNOWN: Diff[] = [];

test('zeek-notice fixtures: agree with the peer on source/destination ip, @timestamp, kind, rule.name, severity', { skip: fixturesSkip() }, (t) => {
  const records = loadRaw('zeek-notice', 'test-notice.log');
  const expected = loadExpected('zeek-notice', 'test-notice.log')!;
  assert.equal(records.length, expected.length);
  const found: Diff[] = [];
  let agreements = 0;
  records.forEach((record, index) => {
    const d = decodeRecord(record, CTX);
    assert.equal(d.decoder, 'zeek-notice', `record ${index} taken by ${d.decoder}`);
    const e = ok(d.result);
    const peer = expected[index]!;
    const at = d.result.ok ? d.result.event.at : { ms: 0, ns: 0 };
    const these = diffs(index, [
      ['source.ip', e.source?.ip, field(peer, 'source.ip')],
      ['destination.ip', e.destination?.ip, field(peer, 'destination.ip')],
      ['@timestamp', formatInstant({ ms: at.ms, ns: 0 }), field(peer, '@timestamp')],
      ['event.kind', e.event.kind, field(peer, 'event.kind')],
      ['event.category', e.event.category, field(peer, 'event.category')],
      ['event.id', e.event.id, field(peer, 'event.id')],
      ['rule.name', e.rule?.name, field(peer, 'rule.name')],
      ['event.severity', e.event.severity, field(peer, 'event.severity')],
      ['source.port', e.source?.port, field(peer, 'source.port')],
      ['destination.port', e.destination?.port, field(peer, 'destination.port')],
      ['network.transport', e.network?.transport, field(peer, 'network.transport')],
    ]);
    if (these.length === 0) agreements++;
    found.push(...these);
    assert.equal(e.crosswatch.role, 'network_alert');
    assert.equal(e.observer?.product, 'Zeek');
  });
  assert.deepEqual(found, ZEEK_KNOWN);
  t.diagnostic(`zeek-notice: ${records.length} records, ${agreements} agree, ${found.length} listed differences`);
});

// --- zeek-notice, hand-written ---------------------------------------------------------

const ZEEK_JSON = {
  ts: 1767261600.123456, uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '81.2.69.142', 'id.orig_p': 52110, 'id.resp_h': '10.1.1.20', 'id.resp_p': 22,
  proto: 'tcp', note: 'SSH::Password_Guessing', msg: '81.2.69.142 appears to be guessing SSH passwords (seen in 30 connections).',
  sub: 'Sampled servers:  10.1.1.20', src: '81.2.69.142', peer_descr: 'zeek-edge-1', actions: ['Notice::ACTION_LOG'], suppress_for: 3600.0,
};

test('zeek-notice: JSON notice as Zeek writes it', () => {
  const d = decodeRecord(jsonRecord(ZEEK_JSON), CTX);
  assert.equal(d.decoder, 'zeek-notice');
  const e = ok(d.result);
  assert.equal(e['@timestamp'], '2026-01-01T10:00:00.123456Z');
  assert.equal(e.event.kind, 'alert');
  assert.equal(e.event.dataset, 'zeek.notice');
  assert.equal(e.crosswatch.role, 'network_alert');
  assert.deepEqual(e.rule, { name: 'SSH::Password_Guessing', category: 'SSH' });
  assert.deepEqual(e.source, { ip: '81.2.69.142', port: 52110 });
  assert.deepEqual(e.destination, { ip: '10.1.1.20', port: 22 });
  assert.deepEqual(e.observer, { vendor: 'Zeek', product: 'Zeek', type: 'ids', name: 'zeek-edge-1' });
  assert.equal(e.event.id, 'CHhAvVGS1DHFjwGM9');
  assert.equal(e.event.severity, undefined);
  // ISO timestamps (LogAscii::json_timestamps=JSON::TS_ISO8601), src absent -> id.orig_h, IPv6 canonical.
  const { src: _s, ...noSrc } = ZEEK_JSON;
  const iso = ok(zeekNotice.decode(jsonRecord({ ...noSrc, ts: '2026-01-01T10:00:00.123456Z', 'id.orig_h': '2A02:CF40::0001' }), CTX));
  assert.equal(iso['@timestamp'], '2026-01-01T10:00:00.123456Z');
  assert.equal(iso.source?.ip, '2a02:cf40::1');
  // Nested id object (some shippers re-nest dotted keys).
  const nested = ok(zeekNotice.decode(jsonRecord({ ts: 1767261600, note: 'Scan::Port_Scan', msg: 'scan', id: { orig_h: '81.2.69.143' } }), CTX));
  assert.equal(nested.source?.ip, '81.2.69.143');
});

test('zeek-notice: TSV-derived record (string values, _path notice) and a notice without any address', () => {
  const tsv = {
    _path: 'notice', ts: '1767261600.500000', uid: 'C1', 'id.orig_h': '81.2.69.144', 'id.orig_p': '40000', 'id.resp_h': '10.0.0.2', 'id.resp_p': '443',
    proto: 'tcp', note: 'SSL::Invalid_Server_Cert', msg: 'SSL certificate validation failed with (self signed certificate)',
    src: '81.2.69.144', dst: '10.0.0.2', p: '443', actions: ['Notice::ACTION_LOG'], suppress_for: '3600.000000', dropped: 'F',
  };
  const e = ok(decodeRecord(jsonRecord(tsv), CTX).result);
  assert.equal(e['@timestamp'], '2026-01-01T10:00:00.500Z');
  assert.deepEqual(e.source, { ip: '81.2.69.144', port: 40000 });
  assert.deepEqual(e.destination, { ip: '10.0.0.2', port: 443 });
  assert.deepEqual(e.event.type, ['info', 'allowed']);
  assert.equal(e.network?.transport, 'tcp');
  const loss = decodeRecord(jsonRecord({ _path: 'notice', ts: '1767261600.0', note: 'CaptureLoss::Too_Much_Loss', msg: 'loss 12%' }), CTX);
  assert.equal(loss.decoder, 'zeek-notice');
  const l = ok(loss.result);
  assert.equal(l.source, undefined);
  assert.equal(l.crosswatch.role, 'network_alert');
  assert.equal(l.event.kind, 'alert');
  // notice_alarm.log has the notice columns too.
  assert.equal(zeekNotice.accepts(jsonRecord({ ...tsv, _path: 'notice_alarm' })), true);
});

test('zeek-notice: not other Zeek logs, not ECS, not EVE; bad fields are errors; bounded strings', () => {
  const conn = { ts: 1767261600.1, uid: 'C1', 'id.orig_h': '81.2.69.142', 'id.orig_p': 1, 'id.resp_h': '10.0.0.1', 'id.resp_p': 80, proto: 'tcp', service: 'http', duration: 1.2 };
  assert.equal(zeekNotice.accepts(jsonRecord(conn)), false);
  assert.equal(zeekNotice.accepts(jsonRecord({ ...conn, _path: 'conn' })), false);
  assert.equal(zeekNotice.accepts(jsonRecord({ ...ZEEK_JSON, _path: 'weird' })), false);
  assert.equal(zeekNotice.accepts(jsonRecord({ ...ZEEK_JSON, '@timestamp': '2026-01-01T00:00:00Z', event: { kind: 'alert' } })), false);
  assert.equal(zeekNotice.accepts(jsonRecord({ ...ZEEK_JSON, event_type: 'alert' })), false);
  assert.equal(zeekNotice.accepts(jsonRecord({ ...ZEEK_JSON, note: 5 })), false);
  assert.equal(zeekNotice.accepts(jsonRecord({ note: 'remember the milk', ts: 1 })), false);
  assert.equal(zeekNotice.accepts(textRecord('note=x ts=1')), false);
  fails(zeekNotice.decode(jsonRecord({ ...ZEEK_JSON, ts: 'yesterday' }), CTX), 'invalid-time', /ts/);
  fails(zeekNotice.decode(jsonRecord({ ...ZEEK_JSON, ts: [] }), CTX), 'invalid-time');
  const { ts: _ts, ...noTs } = ZEEK_JSON;
  fails(zeekNotice.decode(jsonRecord({ ...noTs, _path: 'notice' }), CTX), 'missing-time');
  fails(zeekNotice.decode(jsonRecord({ ...ZEEK_JSON, note: '   ' }), CTX), 'invalid-field');
  const weird = ok(zeekNotice.decode(jsonRecord({ ...ZEEK_JSON, src: 'Unknown', 'id.orig_h': 42, 'id.orig_p': 'x', p: 70000, 'id.resp_p': -1, proto: {} }), CTX));
  assert.equal(weird.source, undefined);
  assert.equal(weird.destination?.port, undefined);
  const long = 'N'.repeat(50_000);
  const big = ok(zeekNotice.decode(jsonRecord({ ...ZEEK_JSON, note: long, peer_descr: long }), CTX));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  assert.ok((big.observer?.name?.length ?? 0) <= MAX_FIELD_CHARS);
});

// --- snort-json ------------------------------------------------------------------------

// Snort 3 alert_json with its default fields (timestamp pkt_num proto pkt_gen pkt_len dir src_ap dst_ap rule action).
const SNORT_DEFAULT = {
  timestamp: '02/21-10:11:12.123456', pkt_num: 1234, proto: 'TCP', pkt_gen: 'raw', pkt_len: 60, dir: 'C2S',
  src_ap: '81.2.69.142:51234', dst_ap: '10.0.0.5:22', rule: '1:2000001:3', action: 'allow',
};
// ... and with the optional fields most deployments add.
const SNORT_FULL = {
  seconds: 1771668672, timestamp: '02/21/26-10:11:12.123456', pkt_num: 98, proto: 'TCP', pkt_gen: 'raw', pkt_len: 74, dir: 'C2S',
  src_addr: '81.2.69.145', src_port: 40222, dst_addr: '10.0.0.7', dst_port: 445, src_ap: '81.2.69.145:40222', dst_ap: '10.0.0.7:445',
  rule: '1:2024218:5', gid: 1, sid: 2024218, rev: 5, msg: 'ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Request', class: 'Attempted Administrator Privilege Gain',
  priority: 1, action: 'would_block', service: 'netbios-ssn', iface: 'eth1',
};

test('snort-json: default alert_json fields (year-less timestamp, src_ap)', () => {
  const d = decodeRecord(jsonRecord(SNORT_DEFAULT), CTX);
  assert.equal(d.decoder, 'snort-json');
  const e = ok(d.result);
  // Year from the reference (2026-01-01): 02/21 would be 50 days ahead, so 2025.
  assert.equal(e['@timestamp'], '2025-02-21T10:11:12.123456Z');
  assert.equal(e.event.kind, 'alert');
  assert.equal(e.crosswatch.role, 'network_alert');
  assert.deepEqual(e.source, { ip: '81.2.69.142', port: 51234 });
  assert.deepEqual(e.destination, { ip: '10.0.0.5', port: 22 });
  assert.deepEqual(e.rule, { id: '2000001' });
  assert.equal(e.event.code, '1:2000001:3');
  assert.deepEqual(e.event.type, ['allowed']);
  assert.equal(e.network?.transport, 'tcp');
  assert.deepEqual(e.observer, { vendor: 'Cisco', product: 'Snort', type: 'ids' });
  // A configured zone applies to the zone-less timestamp.
  const chicago = ok(snortJson.decode(jsonRecord(SNORT_DEFAULT), ctxWith('America/Chicago', '2026-03-01T00:00:00Z')));
  assert.equal(chicago['@timestamp'], '2026-02-21T16:11:12.123456Z');
});

test('snort-json: optional fields: msg, class, priority, sid, src_addr, seconds', () => {
  const e = ok(decodeRecord(jsonRecord(SNORT_FULL), CTX).result);
  // seconds (epoch) is authoritative; the timestamp's sub-second digits are kept.
  assert.equal(e['@timestamp'], '2026-02-21T10:11:12.123456Z');
  assert.deepEqual(e.rule, { name: 'ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Request', id: '2024218', category: 'Attempted Administrator Privilege Gain' });
  assert.equal(e.event.severity, 1);
  assert.deepEqual(e.source, { ip: '81.2.69.145', port: 40222 });
  assert.deepEqual(e.destination, { ip: '10.0.0.7', port: 445 });
  assert.deepEqual(e.event.type, ['allowed'], 'would_block did not block');
  assert.equal(e.event.action, 'would_block');
  assert.equal(e.network?.protocol, 'netbios-ssn');
  // seconds wins over a local-time timestamp written in another zone (sensor on CET, no zone configured).
  const cet = ok(snortJson.decode(jsonRecord({ ...SNORT_FULL, timestamp: '02/21/26-11:11:12.123456' }), CTX));
  assert.equal(cet['@timestamp'], '2026-02-21T10:11:12.123456Z');
  // Blocked.
  assert.deepEqual(ok(snortJson.decode(jsonRecord({ ...SNORT_FULL, action: 'block' }), CTX)).event.type, ['denied']);
  // Quoted msg (Snort keeps the rule's quotes in some builds).
  assert.equal(ok(snortJson.decode(jsonRecord({ ...SNORT_FULL, msg: '"ET SCAN nmap"' }), CTX)).rule?.name, 'ET SCAN nmap');
  // class "none" is no category.
  assert.equal(ok(snortJson.decode(jsonRecord({ ...SNORT_FULL, class: 'none' }), CTX)).rule?.category, undefined);
});

test('snort-json: IPv6 src_ap / dst_ap, ICMP (port 0), only seconds', () => {
  const v6 = ok(snortJson.decode(jsonRecord({ ...SNORT_DEFAULT, src_ap: '2a02:cf40:0:0::1:51234', dst_ap: '2001:4860:4860::8888:443' }), CTX));
  assert.deepEqual(v6.source, { ip: '2a02:cf40::1', port: 51234 });
  assert.deepEqual(v6.destination, { ip: '2001:4860:4860::8888', port: 443 });
  const icmp = ok(snortJson.decode(jsonRecord({ ...SNORT_DEFAULT, proto: 'ICMP', src_ap: '81.2.69.142:0', dst_ap: '10.0.0.5:0' }), CTX));
  assert.deepEqual(icmp.source, { ip: '81.2.69.142' });
  assert.equal(icmp.network?.transport, 'icmp');
  const { timestamp: _t, ...noTs } = SNORT_FULL;
  assert.equal(ok(snortJson.decode(jsonRecord(noTs), CTX))['@timestamp'], '2026-02-21T10:11:12.000Z');
  // No address at all (non-IP packet): still an alert, without source.ip.
  const noIp = ok(snortJson.decode(jsonRecord({ ...SNORT_DEFAULT, src_ap: ':0', dst_ap: ':0', proto: 'ARP' }), CTX));
  assert.equal(noIp.source, undefined);
  assert.equal(noIp.crosswatch.role, 'network_alert');
});

test('snort-json: bad input is rejected, never thrown; strings bounded', { skip: fixturesSkip() }, () => {
  fails(snortJson.decode(jsonRecord({ ...SNORT_DEFAULT, timestamp: '21/02/26-10:11' }), CTX), 'invalid-time', /timestamp/);
  fails(snortJson.decode(jsonRecord({ ...SNORT_DEFAULT, timestamp: '13/45-10:11:12.000000' }), CTX), 'invalid-time');
  fails(snortJson.decode(jsonRecord({ ...SNORT_DEFAULT, timestamp: 12 }), CTX), 'invalid-time');
  fails(snortJson.decode(jsonRecord({ ...SNORT_FULL, seconds: 'soon' }), CTX), 'invalid-time', /seconds/);
  const { timestamp: _t, ...noTime } = SNORT_DEFAULT;
  fails(snortJson.decode(jsonRecord(noTime), CTX), 'missing-time');
  fails(snortJson.decode(jsonRecord({ ...SNORT_DEFAULT, rule: '1:2000001' }), CTX), 'invalid-field', /rule/);
  fails(snortJson.decode(jsonRecord({ ...SNORT_FULL, sid: 'abc' }), CTX), 'invalid-field', /sid/);
  const weird = ok(snortJson.decode(jsonRecord({ ...SNORT_FULL, src_addr: 42, src_ap: 'nonsense', src_port: 'x', priority: 'high', proto: { a: 1 } }), CTX));
  assert.equal(weird.source, undefined);
  assert.equal(weird.event.severity, undefined);
  assert.equal(weird.network?.transport, undefined);
  const long = 'M'.repeat(100_000);
  const big = ok(snortJson.decode(jsonRecord({ ...SNORT_FULL, msg: long, class: long }), CTX));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  assert.equal(big.rule?.category?.length, MAX_FIELD_CHARS);
  for (const value of [null, [], { rule: 5 }, { rule: '1:2:3', pkt_num: 1, timestamp: {} }, { gid: 1, sid: 2, pkt_gen: 'raw', seconds: -5 }]) {
    const rec = { kind: 'json', value, origin: { source: 't', line: 1 } } as unknown as RawRecord;
    if (snortJson.accepts(rec)) assert.equal(snortJson.decode(rec, CTX).ok, false);
  }
});

// --- fast-log fixtures -----------------------------------------------------------------

// The peer's test ran with timezone America/Chicago (a config not saved) in 2021 (event.ingested
// 2021-09-08): decoded with that zone and a reference at the end of 2021, every record agrees.
const SNORT_CTX = ctxWith('America/Chicago', '2021-12-31T23:59:59Z');
// With the reference at the peer's ingest time, the 12/30 alert is more than a day in the future:
// crosswatch infers the previous year (as syslog daemons do at New Year); the peer took the current year.
const INGEST_CTX = ctxWith('America/Chicago', '2021-09-08T12:47:04Z');
const INGEST_KNOWN: Diff[] = [
  { index: 3, field: '@timestamp', ours: '2020-12-30T20:09:21.116Z', peer: '2021-12-30T20:09:21.116Z' },
];

function fastFixture(): { lines: string[]; expected: Record<string, unknown>[] } {
  const lines = readFixture('snort', 'test-log-fast.log').split('\n').filter((l) => l.trim() !== '');
  const expected = loadExpected('snort', 'test-log-fast.log')!;
  assert.equal(lines.length, expected.length);
  return { lines, expected };
}

function compareFast(ctx: DecodeContext): { found: Diff[]; agreements: number; records: number } {
  const { lines, expected } = fastFixture();
  const found: Diff[] = [];
  let agreements = 0;
  lines.forEach((line, index) => {
    const d = decodeRecord(textRecord(line), ctx);
    assert.equal(d.decoder, 'fast-log', `line ${index} taken by ${d.decoder}`);
    const e = ok(d.result);
    const peer = expected[index]!;
    assert.equal(field(peer, 'event.original'), line);
    const at = d.result.ok ? d.result.event.at : { ms: 0, ns: 0 };
    const peerAt = Date.parse(field(peer, '@timestamp') as string);
    const these = diffs(index, [
      ['source.ip', e.source?.ip, field(peer, 'source.ip')],
      ['destination.ip', e.destination?.ip, field(peer, 'destination.ip')],
      ['source.port', e.source?.port, field(peer, 'source.port')],
      ['destination.port', e.destination?.port, field(peer, 'destination.port')],
      ['@timestamp', formatInstant({ ms: at.ms, ns: 0 }), formatInstant({ ms: peerAt, ns: 0 })],
      ['event.kind', e.event.kind, field(peer, 'event.kind')],
      // The peer (ECS 1.11) put the signature message in rule.description.
      ['rule.name', e.rule?.name, field(peer, 'rule.description')],
      ['rule.id', e.rule?.id, field(peer, 'rule.id')],
      ['rule.category', e.rule?.category, field(peer, 'rule.category')],
      ['event.severity', e.event.severity, field(peer, 'event.severity')],
      ['network.transport', e.network?.transport, field(peer, 'network.transport')],
    ]);
    if (these.length === 0) agreements++;
    found.push(...these);
    assert.equal(e.crosswatch.role, 'network_alert');
  });
  return { found, agreements, records: lines.length };
}

test('fast-log fixtures: agree with the peer (zone America/Chicago, year 2021)', { skip: fixturesSkip() }, (t) => {
  const r = compareFast(SNORT_CTX);
  assert.deepEqual(r.found, []);
  t.diagnostic(`snort/test-log-fast.log: ${r.records} records, ${r.agreements} agree, 0 listed differences`);
});

test('fast-log fixtures: with the reference at the peer ingest time, only the listed year inference differs', { skip: fixturesSkip() }, (t) => {
  const r = compareFast(INGEST_CTX);
  assert.deepEqual(r.found, INGEST_KNOWN);
  t.diagnostic(`snort/test-log-fast.log @ ingest time: ${r.records} records, ${r.agreements} agree, ${r.found.length} listed difference (year inference)`);
});

// --- fast-log, hand-written --------------------------------------------------------------

const FAST_SNORT = '02/21-10:11:12.123456  [**] [1:2001219:20] ET SCAN Potential SSH Scan [**] [Classification: Attempted Information Leak] [Priority: 2] {TCP} 81.2.69.142:51234 -> 10.0.0.5:22';
const FAST_SURICATA = '02/21/2026-10:11:12.654321  [Drop] [**] [1:2010935:3] ET SCAN Suspicious inbound to MSSQL port 1433 [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 81.2.69.146:40000 -> 10.0.0.9:1433';

test('fast-log: Snort and Suricata lines, syslog-wrapped, Snort alert_syslog', () => {
  const s = ok(decodeRecord(textRecord(FAST_SNORT), CTX).result);
  assert.equal(s['@timestamp'], '2025-02-21T10:11:12.123456Z');
  assert.deepEqual(s.source, { ip: '81.2.69.142', port: 51234 });
  assert.deepEqual(s.destination, { ip: '10.0.0.5', port: 22 });
  assert.deepEqual(s.rule, { id: '2001219', name: 'ET SCAN Potential SSH Scan', category: 'Attempted Information Leak' });
  assert.equal(s.event.severity, 2);
  assert.equal(s.event.kind, 'alert');
  assert.equal(s.crosswatch.role, 'network_alert');

  const d = decodeRecord(textRecord(FAST_SURICATA), CTX);
  assert.equal(d.decoder, 'fast-log');
  const su = ok(d.result);
  assert.equal(su['@timestamp'], '2026-02-21T10:11:12.654321Z');
  assert.deepEqual(su.event.type, ['denied']);
  assert.equal(su.event.action, 'drop');
  assert.equal(su.observer?.product, 'Suricata');
  assert.equal(su.source?.ip, '81.2.69.146');
  const w = ok(fastLog.decode(textRecord(FAST_SURICATA.replace('[Drop]', '[wDrop]')), CTX));
  assert.deepEqual(w.event.type, ['allowed']);
  // Snort -y: two-digit year.
  assert.equal(ok(fastLog.decode(textRecord(FAST_SNORT.replace('02/21-', '02/21/26-')), CTX))['@timestamp'], '2026-02-21T10:11:12.123456Z');

  // The same line relayed by syslog (RFC 3164 and RFC 5424): the line's own time wins.
  for (const wrapped of [`<33>Feb 21 10:11:13 ids01 snort[2211]: ${FAST_SNORT}`, `<33>1 2026-02-21T10:11:13Z ids01 snort 2211 - - ${FAST_SNORT}`]) {
    const r = decodeRecord(textRecord(wrapped), CTX);
    assert.equal(r.decoder, 'fast-log', wrapped);
    const e = ok(r.result);
    assert.equal(e['@timestamp'], '2025-02-21T10:11:12.123456Z');
    assert.equal(e.observer?.name, 'ids01');
    assert.equal(e.observer?.product, 'Snort');
    assert.equal(e.source?.ip, '81.2.69.142');
  }
  // Snort's alert_syslog output: no time of its own, no "[**]"; the header time is used.
  const sys = decodeRecord(textRecord('<33>Feb 21 10:11:13 ids01 snort[2211]: [1:2001219:20] ET SCAN Potential SSH Scan [Classification: Attempted Information Leak] [Priority: 2] {TCP} 81.2.69.142:51234 -> 10.0.0.5:22'), CTX);
  assert.equal(sys.decoder, 'fast-log');
  const se = ok(sys.result);
  assert.equal(se['@timestamp'], '2025-02-21T10:11:13.000Z');
  assert.equal(se.rule?.name, 'ET SCAN Potential SSH Scan');
  assert.equal(se.source?.ip, '81.2.69.142');
  // Header with a year ("Mmm dd hh:mm:ss yyyy") and a configured zone.
  const yr = ok(fastLog.decode(textRecord('Feb 21 10:11:13 2026 ids01 snort[2211]: [1:1:1] X [Priority: 3] {UDP} 81.2.69.142:53 -> 10.0.0.5:5353'), ctxWith('+09:30', '2026-06-01T00:00:00Z')));
  assert.equal(yr['@timestamp'], '2026-02-21T00:41:13.000Z');
});

test('fast-log: IPv6 forms (bracketed, plain without port, Snort 2 plain with port, Suricata full form)', () => {
  const line = (proto: string, src: string, dst: string): NormalizedEvent =>
    ok(fastLog.decode(textRecord(`02/21-10:11:12.000001  [**] [1:1:1] test [**] [Classification: Misc activity] [Priority: 3] {${proto}} ${src} -> ${dst}`), CTX));
  const b = line('TCP', '[2a02:cf40::1]:443', '[2001:4860:4860::8888]:51234');
  assert.deepEqual(b.source, { ip: '2a02:cf40::1', port: 443 });
  assert.deepEqual(b.destination, { ip: '2001:4860:4860::8888', port: 51234 });
  const icmp = line('IPV6-ICMP', '2a02:cf40::1', '2001:4860:4860::8888');
  assert.deepEqual(icmp.source, { ip: '2a02:cf40::1' });
  assert.equal(icmp.network?.transport, 'ipv6-icmp');
  const snort2 = line('TCP', '2a02:cf40::1:443', '2001:4860:4860::8888:51234');
  assert.deepEqual(snort2.source, { ip: '2a02:cf40::1', port: 443 });
  const full = line('UDP', '2a02:cf40:0000:0000:0000:0000:0000:0001:53', '2001:4860:4860:0000:0000:0000:0000:8888:5353');
  assert.deepEqual(full.source, { ip: '2a02:cf40::1', port: 53 });
  assert.deepEqual(full.destination, { ip: '2001:4860:4860::8888', port: 5353 });
  const v4icmp = line('ICMP', '81.2.69.142', '10.0.0.1');
  assert.deepEqual(v4icmp.source, { ip: '81.2.69.142' });
  // Suricata writes "(null)" for a rule without classtype.
  const nul = ok(fastLog.decode(textRecord('02/21/2026-10:11:12.000001  [**] [1:9:1] local rule [**] [Classification: (null)] [Priority: 3] {TCP} 81.2.69.142:1 -> 10.0.0.1:2'), CTX));
  assert.equal(nul.rule?.category, undefined);
  // A non-IP alert (no address part) is still an alert, without source.ip.
  const noIp = ok(fastLog.decode(textRecord('02/21-10:11:12.000001  [**] [116:150:1] (snort_decoder) WARNING: Loopback IP [**] [Priority: 3]'), CTX));
  assert.equal(noIp.source, undefined);
  assert.equal(noIp.crosswatch.role, 'network_alert');
});

test('fast-log: truncated and garbled lines are rejected with a reason', () => {
  fails(fastLog.decode(textRecord('05/30-19:09:10.917356  [**] [1:527:8] BAD-TRAF'), CTX), 'invalid-field', /truncated/);
  fails(fastLog.decode(textRecord('05/30-19:09:10.917356  [**] [1:527:8] BAD-TRAFFIC same SRC/DST [**] [Classification: Potentially Bad Traffic] [Priority: 2] {UDP} 0.0.0.0:68 -'), CTX), 'invalid-field');
  fails(fastLog.decode(textRecord('05/30-19:09:10.917356  [**] [1:527:8] BAD-TRAFFIC [**] [Classification: Potentially Bad Traffic] [Priority: 2] {UDP} 0.0.0.0:68 -> 255.2'), CTX), 'invalid-field', /destination/);
  fails(fastLog.decode(textRecord('05/30-19:09:10.917356  [**] [1:527:8] BAD [**] [Classification: Potentially Bad Tr'), CTX), 'invalid-field');
  fails(fastLog.decode(textRecord('05/30-19:09:10.917356  [**] [1:527:8] BAD [**] [Priority: 2] {TCP} 1.2.3.4:99999 -> 5.6.7.8:1'), CTX), 'invalid-field', /source/);
  fails(fastLog.decode(textRecord('13/45-19:09:10.917356  [**] [1:527:8] BAD [**] [Priority: 2] {TCP} 81.2.69.142:1 -> 5.6.7.8:1'), CTX), 'invalid-time');
  fails(fastLog.decode(textRecord('02/30/2026-19:09:10.917356  [**] [1:527:8] BAD [**] [Priority: 2] {TCP} 81.2.69.142:1 -> 5.6.7.8:1'), CTX), 'invalid-time');
  fails(fastLog.decode(textRecord('[**] [1:527:8] BAD [**] [Priority: 2] {TCP} 81.2.69.142:1 -> 5.6.7.8:1'), CTX), 'missing-time');
  fails(fastLog.decode(textRecord(`${FAST_SNORT} ${'x'.repeat(20_000)}`), CTX), 'record-too-large');
  // Huge message: bounded.
  const big = ok(fastLog.decode(textRecord(FAST_SNORT.replace('ET SCAN Potential SSH Scan', 'M'.repeat(8000))), CTX));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  // Wrong record kinds are refused.
  assert.equal(fastLog.accepts(jsonRecord({ message: FAST_SNORT })), false);
  assert.equal(fastLog.decode(jsonRecord({ message: FAST_SNORT }), CTX).ok, false);
});

// --- shape tests: each decoder takes only its own records ---------------------------------

const PANOS = readCorpus('panos-threat/panos-csv-bare.log').split('\n')[0]!;
const FORTIGATE = readCorpus('fortigate/fortios7-eventtime-ns.log').split('\n')[0]!;
const CEF_LINE = '<134>Feb 21 10:11:12 ids01 CEF:0|Trend Micro|Deep Security Agent|20.0|1000552|Generic Cross Site Scripting(XSS) Prevention|10|src=81.2.69.142 dst=10.0.0.5 act=Reset';
const EVE = { timestamp: '2026-02-21T10:11:12.123456+0000', flow_id: 1, event_type: 'alert', src_ip: '81.2.69.142', dest_ip: '10.0.0.5', alert: { signature_id: 1, signature: 'x', severity: 2 } };
const ENTRA = jsonRecord(JSON.parse(readCorpus('entra-signin/azure-monitor-diagnostic.ndjson').split('\n')[0]!) as Record<string, unknown>);
const O365 = jsonRecord((JSON.parse(readCorpus('m365-audit/management-activity-api.json')) as Record<string, unknown>[])[0]!);
const ECS = { '@timestamp': '2026-02-21T10:11:12Z', event: { kind: 'alert', dataset: 'zeek.notice' }, source: { ip: '81.2.69.142' }, note: 'Scan::Port_Scan', ts: 1 };

test('shape: zeek-notice, snort-json and fast-log take only their own records', () => {
  const samples: Array<[string, RawRecord]> = [
    ['zeek-notice', jsonRecord(ZEEK_JSON)],
    ['snort-json', jsonRecord(SNORT_DEFAULT)],
    ['snort-json', jsonRecord(SNORT_FULL)],
    ['fast-log', textRecord(FAST_SNORT)],
    ['fast-log', textRecord(FAST_SURICATA)],
    ['cef', textRecord(CEF_LINE)],
    ['panos', textRecord(PANOS)],
    ['fortigate', textRecord(FORTIGATE)],
    ['suricata-eve', jsonRecord(EVE)],
    ['entra-signin', ENTRA],
    ['m365-audit', O365],
    ['ecs', jsonRecord(ECS)],
  ];
  const mine: Array<[string, Decoder]> = [['zeek-notice', zeekNotice], ['snort-json', snortJson], ['fast-log', fastLog], ['cef', cef]];
  for (const [owner, rec] of samples) {
    for (const [name, dec] of mine) {
      assert.equal(dec.accepts(rec), owner === name, `${name}.accepts(${owner} sample)`);
    }
  }
  // And the JSON decoders before them in the registry leave theirs alone.
  for (const rec of [jsonRecord(ZEEK_JSON), jsonRecord(SNORT_DEFAULT), jsonRecord(SNORT_FULL), textRecord(FAST_SNORT)]) {
    for (const dec of [suricataEve, ecsDocument, entraSignin, m365Audit]) assert.equal(dec.accepts(rec), false, `${dec.name} takes ${JSON.stringify(rec.value).slice(0, 60)}`);
  }
  // Through the registry.
  assert.equal(decodeRecord(jsonRecord(ZEEK_JSON), CTX).decoder, 'zeek-notice');
  assert.equal(decodeRecord(jsonRecord(SNORT_FULL), CTX).decoder, 'snort-json');
  assert.equal(decodeRecord(textRecord(FAST_SURICATA), CTX).decoder, 'fast-log');
  assert.equal(decodeRecord(textRecord(`<33>Feb 21 10:11:13 ids01 snort[2211]: ${FAST_SNORT}`), CTX).decoder, 'fast-log');
});

test('cues describe what accepts() checks', () => {
  const holds = (d: Decoder, r: RawRecord): string[] => d.cues.filter((c) => c.test(r)).map((c) => c.label);
  assert.equal(holds(zeekNotice, jsonRecord(ZEEK_JSON)).length, zeekNotice.cues.length);
  assert.equal(holds(snortJson, jsonRecord(SNORT_FULL)).length, snortJson.cues.length);
  assert.equal(holds(fastLog, textRecord(FAST_SNORT)).length, fastLog.cues.length);
  assert.deepEqual(holds(fastLog, jsonRecord(ZEEK_JSON)), []);
  assert.ok(holds(snortJson, jsonRecord(EVE)).length < snortJson.cues.length);
});
