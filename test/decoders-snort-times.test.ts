// Every time form Snort 2, Snort 3 and Suricata write, in every alert output
// crosswatch reads (fast, full, CSV, JSON), and Snort's alert_csv / alert_full
// end to end. The forms, from the sources (Snort 2 util.c and Snort 3
// src/utils/util.cc ts_print; Suricata's fast.log):
//   MM/DD-hh:mm:ss.uuuuuu       Snort 2 and 3 by default (year inferred)
//   MM/DD/YY-hh:mm:ss.uuuuuu    Snort 2 -y
//   YY/MM/DD-hh:mm:ss.uuuuuu    Snort 3 -y (the year first)
//   MM/DD/YYYY-hh:mm:ss.uuuuuu  Suricata
// and `seconds` (epoch) in Snort 3's CSV and JSON, preferred where present since
// the timestamp is the sensor's local time unless -U. All addresses and names are
// made up for these tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastLog } from '../src/decoders/fast-log.js';
import { snortJson } from '../src/decoders/snort-json.js';
import { snortCsv } from '../src/decoders/snort-csv.js';
import { snortFull } from '../src/decoders/snort-full.js';
import { decodeRecord } from '../src/decoders/index.js';
import type { DecodeContext, DecodeResult, Decoder, RawRecord } from '../src/decoders/types.js';
import type { NormalizedEvent } from '../src/model/event.js';
import { frameFile, DEFAULT_FRAMING, type FramedItem } from '../src/inputs/framing.js';
import { fastFrameFile, NeedsFullFraming } from '../src/inputs/fast-frames.js';
import { ScanKernel } from '../src/inputs/scan-kernel.js';
import { mayBeNetworkAlert } from '../src/pipeline/alert-markers.js';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch } from '../src/hunt/batch.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { signinLine } from './scenario-lines.js';

/** Read in mid-2024: year-less stamps from April are this year's, December's last year's. */
const CTX: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2024, 5, 1), ns: 0 } };
const AT = '2024-04-16T08:00:07.123456Z';
const EPOCH = 1713254407; // 2024-04-16T08:00:07Z

const text = (value: string): RawRecord => ({ kind: 'text', value, origin: { source: 'test', line: 1 } });
const json = (value: Record<string, unknown>): RawRecord => ({ kind: 'json', value, origin: { source: 'test', line: 1 } });
const ctxWith = (over: Partial<DecodeContext>): DecodeContext => ({ ...CTX, ...over });

function ok(r: DecodeResult): NormalizedEvent {
  if (!r.ok) assert.fail(`rejected: ${r.error.reason}: ${r.error.message}`);
  return r.event.event;
}

function fails(r: DecodeResult, reason: string, message?: RegExp): void {
  assert.equal(r.ok, false, 'should be rejected');
  if (r.ok) return;
  assert.equal(r.error.reason, reason, r.error.message);
  if (message) assert.match(r.error.message, message);
}

/** Decoded through the registry: the decoder that took it, and the event. */
function via(record: RawRecord, ctx = CTX): { decoder: string | null; e: NormalizedEvent } {
  const d = decodeRecord(record, ctx);
  return { decoder: d.decoder, e: ok(d.result) };
}

// --- fast.log ---------------------------------------------------------------------------

const TAIL = '[Classification: Attempted Information Leak] [Priority: 2] {TCP} 81.2.69.143:51234 -> 10.0.0.5:22';
const SNORT2_FAST = `04/16-08:00:07.123456  [**] [1:2001219:20] ET SCAN Potential SSH Scan [**] ${TAIL}`;
const SNORT3_FAST = `04/16-08:00:07.123456 [**] [1:2001219:20] "ET SCAN Potential SSH Scan" [**] ${TAIL.replace('{TCP}', '[AppID: SSH] {TCP}')}`;

test('fast.log: Snort 2 without and with -y (MM/DD/YY), drops and would-drops', () => {
  const plain = via(text(SNORT2_FAST));
  assert.equal(plain.decoder, 'fast-log');
  assert.equal(plain.e['@timestamp'], AT);
  assert.deepEqual(plain.e.rule, { id: '2001219', name: 'ET SCAN Potential SSH Scan', category: 'Attempted Information Leak' });
  assert.equal(plain.e.event.code, '1:2001219:20');
  assert.equal(plain.e.event.severity, 2);
  assert.deepEqual(plain.e.source, { ip: '81.2.69.143', port: 51234 });
  assert.equal(plain.e.crosswatch.role, 'network_alert');

  const y = ok(fastLog.decode(text(SNORT2_FAST.replace('04/16-', '04/16/24-')), CTX));
  assert.equal(y['@timestamp'], AT);
  // Snort 2 writes " [Drop]" / " [WDrop]" after its time's trailing space.
  const drop = ok(fastLog.decode(text(SNORT2_FAST.replace('  [**]', '  [Drop] [**]')), CTX));
  assert.deepEqual([drop.event.action, drop.event.type], ['drop', ['denied']]);
  assert.notEqual(drop.observer?.product, 'Suricata', 'no four-digit year: not Suricata');
  const wdrop = ok(fastLog.decode(text(SNORT2_FAST.replace('  [**]', '  [WDrop] [**]')), CTX));
  assert.deepEqual([wdrop.event.action, wdrop.event.type, wdrop.observer?.product], ['would_drop', ['allowed'], 'Snort']);
  // A year-less stamp from December read in June is last year's; 12/11/10 is Snort 2's MM/DD/YY.
  assert.equal(ok(fastLog.decode(text(SNORT2_FAST.replace('04/16-', '12/31-')), CTX))['@timestamp'], '2023-12-31T08:00:07.123456Z');
  assert.equal(ok(fastLog.decode(text(SNORT2_FAST.replace('04/16-', '12/11/10-')), CTX))['@timestamp'], '2010-12-11T08:00:07.123456Z');
});

test('fast.log: Snort 3 without and with -y (YY/MM/DD), quoted msg, AppID, action words', () => {
  const plain = via(text(SNORT3_FAST));
  assert.equal(plain.decoder, 'fast-log');
  assert.equal(plain.e['@timestamp'], AT);
  assert.equal(plain.e.rule?.name, 'ET SCAN Potential SSH Scan', 'Snort 3 writes the rule\'s quotes');
  assert.equal(plain.e.observer?.product, 'Snort', 'a quoted msg is Snort 3\'s');
  assert.equal(plain.e.rule?.category, 'Attempted Information Leak');
  assert.equal(plain.e.event.severity, 2);
  assert.deepEqual(plain.e.destination, { ip: '10.0.0.5', port: 22 });

  const y = ok(fastLog.decode(text(SNORT3_FAST.replace('04/16-', '24/04/16-')), CTX));
  assert.equal(y['@timestamp'], AT, 'year first');
  assert.equal(y.observer?.product, 'Snort');
  // Only years from 2013 on can be told from Snort 2's month; Snort 3 was first released in 2014.
  assert.equal(ok(fastLog.decode(text(SNORT3_FAST.replace('04/16-', '13/01/02-')), CTX))['@timestamp'], '2013-01-02T08:00:07.123456Z');
  const block = ok(fastLog.decode(text(SNORT3_FAST.replace(' [**] [1:', ' [block] [**] [1:')), CTX));
  assert.deepEqual([block.event.action, block.event.type], ['block', ['denied']]);
  const would = ok(fastLog.decode(text(SNORT3_FAST.replace(' [**] [1:', ' [would_block] [**] [1:')), CTX));
  assert.deepEqual([would.event.action, would.event.type], ['would_block', ['allowed']]);
  // -I: the interface between the rule and the message.
  assert.equal(ok(fastLog.decode(text(SNORT3_FAST.replace('[1:2001219:20] ', '[1:2001219:20]  <eth1> ')), CTX)).rule?.name, 'ET SCAN Potential SSH Scan');
  // A configured zone (the sensor's, since Snort writes local time without -U).
  assert.equal(ok(fastLog.decode(text(SNORT3_FAST.replace('04/16-', '24/04/16-')), ctxWith({ zone: 'Europe/Berlin' })))['@timestamp'], '2024-04-16T06:00:07.123456Z');
});

test('fast.log: Suricata with its four-digit year, and the year-less form', () => {
  const line = `04/16/2024-08:00:07.123456  [wDrop] [**] [1:2010935:3] ET SCAN Suspicious inbound to MSSQL port 1433 [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 185.220.101.7:40000 -> 10.0.0.9:1433`;
  const s = via(text(line));
  assert.equal(s.e['@timestamp'], AT);
  assert.deepEqual([s.e.observer?.product, s.e.event.action, s.e.event.type], ['Suricata', 'would_drop', ['allowed']]);
  assert.equal(s.e.source?.ip, '185.220.101.7');
  assert.equal(ok(fastLog.decode(text(line.replace('04/16/2024-', '04/16-')), CTX))['@timestamp'], AT);
});

test('fast.log: malformed times and lines are rejected with a reason', () => {
  fails(fastLog.decode(text(SNORT2_FAST.replace('04/16-', '24/13/16-')), CTX), 'invalid-time', /24\/13\/16/);
  fails(fastLog.decode(text(SNORT2_FAST.replace('04/16-', '02/30/24-')), CTX), 'invalid-time');
  fails(fastLog.decode(text(SNORT2_FAST.replace('08:00:07', '25:00:07')), CTX), 'invalid-time');
  fails(fastLog.decode(text(SNORT2_FAST.slice(0, 80)), CTX), 'invalid-field');
});

// --- alert_json ----------------------------------------------------------------------------

const JSON_ALERT = {
  timestamp: '04/16-08:00:07.123456', pkt_num: 412, proto: 'TCP', pkt_gen: 'raw', pkt_len: 60, dir: 'C2S',
  src_ap: '81.2.69.143:51234', dst_ap: '10.0.0.5:22', rule: '1:2001219:20', action: 'allow', msg: '"ET SCAN Potential SSH Scan"',
};

test('alert_json: Snort 3 -y (YY/MM/DD); seconds preferred, keeping the microseconds when they agree', () => {
  assert.equal(ok(snortJson.decode(json(JSON_ALERT), CTX))['@timestamp'], AT);
  const y = ok(snortJson.decode(json({ ...JSON_ALERT, timestamp: '24/04/16-08:00:07.123456' }), CTX));
  assert.equal(y['@timestamp'], AT);
  assert.equal(y.rule?.name, 'ET SCAN Potential SSH Scan');
  // A sensor on CEST without -U: local 10:00:07, seconds says 08:00:07 UTC.
  const local = ok(snortJson.decode(json({ ...JSON_ALERT, timestamp: '24/04/16-10:00:07.123456', seconds: EPOCH }), CTX));
  assert.equal(local['@timestamp'], AT);
  // A year-less timestamp inferred into the wrong year does not matter beside seconds.
  const old = ok(snortJson.decode(json({ ...JSON_ALERT, timestamp: '04/16-08:00:07.123456', seconds: EPOCH - 366 * 86400 }), CTX));
  assert.equal(old['@timestamp'], '2023-04-16T08:00:07.123456Z');
  // Disagreeing on the second: seconds alone.
  assert.equal(ok(snortJson.decode(json({ ...JSON_ALERT, seconds: EPOCH + 1 }), CTX))['@timestamp'], '2024-04-16T08:00:08.000Z');
  fails(snortJson.decode(json({ ...JSON_ALERT, timestamp: '24/13/16-08:00:07.123456' }), CTX), 'invalid-time', /timestamp/);
});

// --- alert_csv -----------------------------------------------------------------------------

const CSV3 = '04/16-08:00:07.123456, 412, TCP, raw, 60, C2S, 81.2.69.143:51234, 10.0.0.5:22, 1:2001219:20, allow';
const CSV2 = '04/16-08:00:07.123456 ,1,2001219,20,"ET SCAN Potential SSH Scan",TCP,81.2.69.143,51234,10.0.0.5,22,' +
  '00:0C:29:3A:4B:5C,00:50:56:C0:00:08,0x4A,******S*,0x1A2B3C4D,0x0,40,0x16D0,51,0,54321,60,20,,,,';

test('alert_csv: Snort 3 default fields, without and with -y', () => {
  const d = via(text(CSV3));
  assert.equal(d.decoder, 'snort-csv');
  assert.equal(d.e['@timestamp'], AT);
  assert.deepEqual(d.e.source, { ip: '81.2.69.143', port: 51234 });
  assert.deepEqual(d.e.destination, { ip: '10.0.0.5', port: 22 });
  assert.deepEqual(d.e.rule, { id: '2001219' });
  assert.equal(d.e.event.code, '1:2001219:20');
  assert.deepEqual([d.e.event.action, d.e.event.type, d.e.network?.transport], ['allow', ['allowed'], 'tcp']);
  assert.equal(d.e.crosswatch.role, 'network_alert');
  assert.deepEqual(d.e.observer, { vendor: 'Cisco', product: 'Snort', type: 'ids' });
  assert.equal(ok(snortCsv.decode(text(CSV3.replace('04/16-', '24/04/16-')), CTX))['@timestamp'], AT);
  // Tab as the separator (the Snort 3 manual's example), IPv6 pairs written unbracketed.
  const tab = ok(snortCsv.decode(text('24/04/16-08:00:07.123456\t1:2001219:20\t2a02:cf40::1:51234\t2a02:cf40:0:0::7:22\tblock'), CTX));
  assert.deepEqual([tab.source, tab.destination], [{ ip: '2a02:cf40::1', port: 51234 }, { ip: '2a02:cf40::7', port: 22 }]);
  assert.deepEqual([tab['@timestamp'], tab.event.type], [AT, ['denied']]);
  // A packet without IP: Snort writes ":0"; still an alert, without an address.
  const noIp = ok(snortCsv.decode(text('04/16-08:00:07.123456, 9, ARP, raw, 28, UNK, :0, :0, 112:1:1, allow'), CTX));
  assert.equal(noIp.source, undefined);
  assert.equal(noIp.rule?.id, '1');
});

test('alert_csv: Snort 3 optional fields: seconds preferred, msg, class, bare addresses with ports', () => {
  // fields = 'timestamp seconds msg class priority src_addr src_port dst_addr dst_port rule action', sensor on CEST without -U.
  const line = `24/04/16-10:00:07.123456, ${EPOCH}, "ET SCAN Potential SSH Scan", Attempted Information Leak, 2, 81.2.69.143, 51234, 10.0.0.5, 22, 1:2001219:20, would_block`;
  const e = ok(snortCsv.decode(text(line), CTX));
  assert.equal(e['@timestamp'], AT, 'seconds is the truth, the microseconds come from the timestamp');
  assert.deepEqual(e.rule, { id: '2001219', name: 'ET SCAN Potential SSH Scan', category: 'Attempted Information Leak' });
  assert.deepEqual([e.source, e.destination], [{ ip: '81.2.69.143', port: 51234 }, { ip: '10.0.0.5', port: 22 }]);
  assert.deepEqual([e.event.action, e.event.type], ['would_block', ['allowed']]);
  // seconds only (no timestamp field).
  assert.equal(ok(snortCsv.decode(text(`04/16-08:00:07.000000, ${EPOCH}, 81.2.69.143:1, 10.0.0.5:2, 1:1:1`), CTX))['@timestamp'], '2024-04-16T08:00:07.000Z');
  // A number that cannot be this timestamp's epoch second (not a whole quarter hour away) is not taken for it.
  const notSecs = ok(snortCsv.decode(text(`04/16-08:00:07.123456, ${EPOCH + 17}, 81.2.69.143:1, 10.0.0.5:2, 1:1:1`), CTX));
  assert.equal(notSecs['@timestamp'], AT);
});

test('alert_csv: Snort 2 default fields, without and with -y, quoted msg with escapes, ICMP, IPv6', () => {
  const d = via(text(CSV2));
  assert.equal(d.decoder, 'snort-csv');
  assert.equal(d.e['@timestamp'], AT);
  assert.deepEqual(d.e.rule, { id: '2001219', name: 'ET SCAN Potential SSH Scan' });
  assert.equal(d.e.event.code, '1:2001219:20');
  assert.deepEqual([d.e.source, d.e.destination], [{ ip: '81.2.69.143', port: 51234 }, { ip: '10.0.0.5', port: 22 }]);
  assert.equal(d.e.network?.transport, 'tcp');
  assert.equal(ok(snortCsv.decode(text(CSV2.replace('04/16-', '04/16/24-')), CTX))['@timestamp'], AT);
  // TextLog_Quote escapes " and \ with a backslash; a comma inside the quotes is the message's.
  const esc = ok(snortCsv.decode(text(CSV2.replace('"ET SCAN Potential SSH Scan"', '"POLICY \\"curl\\" agent, C:\\\\temp"')), CTX));
  assert.equal(esc.rule?.name, 'POLICY "curl" agent, C:\\temp');
  assert.equal(esc.source?.ip, '81.2.69.143');
  const icmp = ok(snortCsv.decode(text('04/16/24-08:00:07.123456 ,1,384,8,"PROTOCOL-ICMP PING",ICMP,45.33.32.156,,10.0.0.5,,,,,,,,,,64,0,4501,84,20,8,0,1234,1'), CTX));
  assert.deepEqual([icmp.source, icmp.destination, icmp.network?.transport], [{ ip: '45.33.32.156' }, { ip: '10.0.0.5' }, 'icmp']);
  // A bare IPv6 address followed by its port field is read as an address, not address:port.
  const v6 = ok(snortCsv.decode(text('04/16-08:00:07.123456 ,1,2001219,20,"ET SCAN",TCP,2a02:cf40::1:2,51234,2a02:cf40::7,22'), CTX));
  assert.deepEqual(v6.source, { ip: '2a02:cf40::1:2', port: 51234 });
});

test('alert_csv: malformed lines are rejected with a reason, never thrown', () => {
  fails(snortCsv.decode(text(CSV2.replace('"ET SCAN Potential SSH Scan"', '"ET SCAN unterminated')), CTX), 'invalid-field', /unterminated/);
  fails(snortCsv.decode(text(CSV3.replace('04/16-', '13/45-')), CTX), 'invalid-time');
  fails(snortCsv.decode(text('04/16-08:00:07.123456, 412, TCP, raw, 60, C2S'), CTX), 'invalid-field', /neither a rule/);
  fails(snortCsv.decode(text(`${CSV3}, ${'x'.repeat(140_000)}`), CTX), 'record-too-large');
  fails(snortCsv.decode(text(`04/16-08:00:07.123456${', 1'.repeat(80)}`), CTX), 'invalid-field', /fields/);
  // The manual's "pkt_num gid sid rev" list has no time: no decoder can date it.
  assert.equal(snortCsv.accepts(text('1\t1\t2001219\t20')), false);
});

// --- alert_full ----------------------------------------------------------------------------

const FULL2 = [
  '[**] [1:2001219:20] ET SCAN Potential SSH Scan [**]',
  '[Classification: Attempted Information Leak] [Priority: 2] ',
  '04/16-08:00:07.123456 81.2.69.143:51234 -> 10.0.0.5:22',
  'TCP TTL:51 TOS:0x0 ID:54321 IpLen:20 DgmLen:60 DF',
  '******S* Seq: 0x1A2B3C4D  Ack: 0x0  Win: 0x16D0  TcpLen: 40',
  'TCP Options (5) => MSS: 1460 SackOK TS: 2244131 0 NOP WS: 7 ',
  '[Xref => http://doc.emergingthreats.net/2001219]',
].join('\n');
const FULL3 = [
  '[**] [1:2001219:20] "ET SCAN Potential SSH Scan" [**]',
  '[Classification: Attempted Information Leak] [Priority: 2] ',
  '[AppID: SSH] ',
  '24/04/16-08:00:07.123456 81.2.69.143:51234 -> 10.0.0.5:22',
  'TCP TTL:51 TOS:0x0 ID:54321 IpLen:20 DgmLen:60 DF',
  '******S* Seq: 0x1A2B3C4D  Ack: 0x0  Win: 0x16D0  TcpLen: 40',
].join('\n');

test('alert_full: Snort 2 and Snort 3 blocks, without and with -y, with -e, without IP', () => {
  for (const [name, block] of [['Snort 2', FULL2], ['Snort 2 -y', FULL2.replace('04/16-', '04/16/24-')], ['Snort 3 -y', FULL3], ['Snort 3', FULL3.replace('24/04/16-', '04/16-')]] as const) {
    const d = via(text(block));
    assert.equal(d.decoder, 'snort-full', name);
    assert.equal(d.e['@timestamp'], AT, name);
    assert.deepEqual(d.e.rule, { id: '2001219', name: 'ET SCAN Potential SSH Scan', category: 'Attempted Information Leak' }, name);
    assert.deepEqual([d.e.event.code, d.e.event.severity], ['1:2001219:20', 2], name);
    assert.deepEqual([d.e.source, d.e.destination, d.e.network?.transport], [{ ip: '81.2.69.143', port: 51234 }, { ip: '10.0.0.5', port: 22 }, 'tcp'], name);
    assert.equal(d.e.crosswatch.role, 'network_alert');
  }
  // -e: the Ethernet header on the time line, the addresses and IP header on the next.
  const ether = ok(snortFull.decode(text([
    '[**] [1:384:8] PROTOCOL-ICMP PING [**]', '[Classification: Misc activity] [Priority: 3] ',
    '04/16/24-08:00:07.123456 00:0C:29:3A:4B:5C -> 00:50:56:C0:00:08 type:0x800 len:0x62',
    '45.33.32.156 -> 10.0.0.5 ICMP TTL:64 TOS:0x0 ID:4501 IpLen:20 DgmLen:84', 'Type:8  Code:0  ID:1234   Seq:1  ECHO',
  ].join('\n')), CTX));
  assert.deepEqual([ether['@timestamp'], ether.source, ether.network?.transport], [AT, { ip: '45.33.32.156' }, 'icmp']);
  // IPv6 with ports on a TCP line (Snort prints "addr:port" unbracketed).
  const v6 = ok(snortFull.decode(text(FULL2.replace('81.2.69.143:51234 -> 10.0.0.5:22', '2a02:cf40::1:51234 -> 2a02:cf40::7:22')), CTX));
  assert.deepEqual(v6.source, { ip: '2a02:cf40::1', port: 51234 });
  // A decoder event on a packet without IP: the first line and the time only.
  const noIp = ok(snortFull.decode(text('[**] [116:150:1] (snort_decoder) WARNING: Loopback IP [**]\n04/16-08:00:07.123456 '), CTX));
  assert.deepEqual([noIp['@timestamp'], noIp.source, noIp.rule?.id], [AT, undefined, '150']);
});

test('alert_full: malformed blocks are rejected with a reason', () => {
  fails(snortFull.decode(text(FULL2.split('\n').slice(0, 2).join('\n')), CTX), 'missing-time');
  fails(snortFull.decode(text(FULL2.replace('04/16-', '24/13/16-')), CTX), 'invalid-time');
  fails(snortFull.decode(text(FULL2.replace('81.2.69.143:51234 -> 10.0.0.5:22', '81.2.69.143:51234 => nowhere')), CTX), 'invalid-field', /SRC -> DST/);
  fails(snortFull.decode(text(FULL2.replace(' [**]\n', '\n')), CTX), 'invalid-field', /\[\*\*\]/);
  fails(snortFull.decode(text(`${FULL2}\n${'x'.repeat(70_000)}`), CTX), 'record-too-large');
  fails(snortFull.decode(text('TCP TTL:51 TOS:0x0 ID:54321'), CTX), 'invalid-field');
});

test('decoders never throw and stay fast on hostile lines', () => {
  // Deterministic mutations of every sample: cut, duplicated, bytes swapped for separators, quotes and brackets.
  const samples = [SNORT2_FAST, SNORT3_FAST, CSV2, CSV3, FULL2, FULL3];
  const decoders: Decoder[] = [fastLog, snortCsv, snortFull];
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const noise = ['"', '\\', ',', '\t', '[', ']', ':', ' ', '\n', '**', '->'];
  for (let i = 0; i < 1500; i++) {
    let s = samples[rand(samples.length)]!;
    const at = rand(s.length);
    s = rand(2) === 0 ? s.slice(0, at) + noise[rand(noise.length)]! + s.slice(at + 1) : s.slice(0, at);
    for (const d of decoders) {
      const r = d.decode(text(s), CTX);
      assert.ok(r.ok || r.error.message.length > 0);
    }
  }
  // Long runs of what the regular expressions look for: linear time.
  const hostile = [
    `04/16-08:00:07.123456, ${'"\\'.repeat(60_000)}`,
    `04/16-08:00:07.123456  [**] [1:1:1] ${'[**] '.repeat(3000)}${' '.repeat(3000)}`,
    `[**] [1:1:1] ${'[Priority: 1] '.repeat(4000)}\n04/16-08:00:07.123456 ${'a -> '.repeat(10_000)}`,
    `04/16-08:00:07.123456,${' ,'.repeat(60_000)}`,
  ];
  const t0 = performance.now();
  for (const s of hostile) for (const d of decoders) d.decode(text(s), CTX);
  assert.ok(performance.now() - t0 < 2000, `hostile lines took ${Math.round(performance.now() - t0)} ms`);
});

// --- framing and hunt ---------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'cw-snort-times-'));

async function frame(name: string, content: string): Promise<FramedItem[]> {
  const p = join(dir, name);
  writeFileSync(p, content);
  const out: FramedItem[] = [];
  for await (const b of frameFile(p, name, DEFAULT_FRAMING)) out.push(...b);
  return out;
}

test('framing: alert_full blocks are one record each (a missing blank line too); Snort 2 alert.csv is lines, not a CSV export', async () => {
  const full = await frame('alert', `${FULL2}\n\n${FULL3}\n${FULL2}\n\n\n`);
  assert.deepEqual(full.map((i) => `${i.kind}@${i.origin.line}`), ['text@1', 'text@9', 'text@15']);
  const first = full[0]!;
  assert.equal(first.kind === 'text' && first.value, FULL2.split('\n').map((l) => l.trimEnd()).join('\n'));
  const csv = await frame('alert.csv', `${CSV2}\n${CSV2.replace('04/16-', '04/17-')}\n`);
  assert.deepEqual(csv.map((i) => `${i.kind}@${i.origin.line}`), ['text@1', 'text@2']);
  // hunt's first pass decodes every such record (text is never skipped as "no alert marker").
  for (const item of [...full, ...csv]) assert.ok(item.kind === 'text' && mayBeNetworkAlert(item.value));
  // The byte-level fast path hands both back to the full framing.
  const kernel = new ScanKernel();
  kernel.configure(['"alert"'], []);
  for (const name of ['alert', 'alert.csv']) {
    const gen = fastFrameFile(join(dir, name), name, { kernel, maxRecordBytes: 1 << 20, sample: 10, frameDamaged: true, csvHits: false, onSkip: () => {} });
    await assert.rejects(gen.next(), NeedsFullFraming, name);
  }
});

test('hunt reads alert_full and alert_csv (Snort 2 and 3, with and without -y) beside an Entra export, fast and full scan', async () => {
  const hunt = mkdtempSync(join(tmpdir(), 'cw-snort-hunt-'));
  const ips = { full2: '81.2.69.171', full3: '81.2.69.172', csv2: '81.2.69.173', csv3: '81.2.69.174', quiet: '81.2.69.175' };
  // More alerts than hunt decodes as a sample, each ending in an "[Xref => ...]" line (which looks like the end of a JSON array).
  const others = Array.from({ length: 12 }, (_, i) => FULL2.replaceAll('81.2.69.143', `81.2.69.${200 + i}`));
  writeFileSync(join(hunt, 'alert'), `${[...others, FULL2.replaceAll('81.2.69.143', ips.full2), FULL3.replaceAll('81.2.69.143', ips.full3)].join('\n\n')}\n\n`);
  writeFileSync(join(hunt, 'alert.csv'), `${CSV2.replace('04/16-', '04/16/24-').replaceAll('81.2.69.143', ips.csv2)}\n`);
  writeFileSync(join(hunt, 'alert_csv.txt'), `${CSV3.replaceAll('81.2.69.143', ips.csv3)}\n`);
  writeFileSync(join(hunt, 'signins.json'), Object.values(ips).map((ip) => signinLine(ip, '2024-04-16T09:00:00.1234567Z')).join('\n') + '\n');
  const inputs = await expandInputs([hunt]);
  for (const fastScan of [true, false]) {
    const res = await runBatch(inputs.files, {
      config: buildConfig({}),
      rules: loadRules(),
      fastScan,
      // Read long after: the year-less stamps must take 2024 from the data.
      decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 10, 27), ns: 0 } },
    });
    assert.equal(res.counters.totalRejected, 0, JSON.stringify(res.counters.rejectSamples));
    assert.deepEqual(res.alerts.map((a) => a.source.ip).sort(), [ips.full2, ips.full3, ips.csv2, ips.csv3].sort(), `fastScan ${fastScan}`);
    // Every block decoded (none skipped as "cannot be an alert" by the first pass).
    assert.deepEqual(res.counters.sources.get(join(hunt, 'alert'))!.byDecoder, { 'snort-full': 14 });
    assert.deepEqual(res.counters.sources.get(join(hunt, 'alert.csv'))!.byDecoder, { 'snort-csv': 1 });
    const full = res.alerts.find((a) => a.source.ip === ips.full2)!;
    assert.equal(full.crosswatch.evidence.network_alerts[0]!['@timestamp'], AT);
    assert.equal(full.crosswatch.evidence.network_alerts[0]!.signature, 'ET SCAN Potential SSH Scan');
  }
});
