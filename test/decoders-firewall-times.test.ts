// Every time form the firewall sensors write, one test per form, from the vendors'
// documentation: FortiGate key=value (eventtime in s / ms / µs / ns by FortiOS
// version; date + time in tz; with or without devname/devid), Fortinet CEF
// (FTNTFGTeventtime, FortinetFortiGateeventtime, FTNTFGTdate + FTNTFGTtime +
// FTNTFGTtz), CEF rt / start / end in each of the ArcSight spec's "Date formats"
// plus ISO 8601, and PAN-OS CSV generated / receive times. The samples are our own:
// invented devices and users, public-looking addresses outside the documentation
// ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord } from '../src/decoders/index.js';
import { fortigate } from '../src/decoders/fortigate.js';
import type { DecodeContext, RawRecord } from '../src/decoders/types.js';
import type { NormalizedEvent } from '../src/model/event.js';
import { writtenZone } from '../src/model/time.js';
import { CTX, fails, ok } from './fixtures-helpers.js';

function text(value: string): RawRecord {
  return { kind: 'text', value, origin: { source: 'times', line: 1 } };
}

/** Decodes through the registry, checking which decoder took the line. */
function decoded(line: string, decoder: string, ctx: DecodeContext = CTX): NormalizedEvent {
  const d = decodeRecord(text(line), ctx);
  assert.equal(d.decoder, decoder, `taken by ${d.decoder}: ${line.slice(0, 80)}`);
  return ok(d.result);
}

function rejection(line: string, decoder: string, reason: string, ctx: DecodeContext = CTX): string {
  const d = decodeRecord(text(line), ctx);
  assert.equal(d.decoder, decoder, `taken by ${d.decoder}: ${line.slice(0, 80)}`);
  fails(d.result, reason);
  return d.result.ok ? '' : d.result.error.message;
}

function ctxAt(reference: string, zone?: string): DecodeContext {
  const c: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.parse(reference), ns: 0 } };
  if (zone !== undefined) c.zone = zone;
  return c;
}

// --- FortiGate key=value ---------------------------------------------------------------------

// One IPS detection at 2026-03-04T15:00:00Z (10:00:00 on a device at -0500).
const FGT_DEV = 'devname="FGT-BRANCH7" devid="FG100FTK21004417"';
const FGT_BODY = 'logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="critical" ' +
  'srcip=185.220.101.7 srcport=44120 srcintf="wan1" dstip=10.40.2.15 dstport=443 dstintf="dmz" sessionid=71123 action="dropped" proto=6 ' +
  'service="HTTPS" policyid=12 attack="Fortinet.FortiOS.SSL.VPN.Heap.Buffer.Overflow" attackid=53289 direction="outgoing" msg="vpn: Fortinet.FortiOS.SSL.VPN.Heap.Buffer.Overflow"';

test('fortigate: eventtime in seconds (FortiOS 6.0), milliseconds, microseconds and nanoseconds (6.2+), by magnitude', () => {
  const forms: Array<[string, string]> = [
    ['1772636400', '2026-03-04T15:00:00.000Z'],
    ['1772636400123', '2026-03-04T15:00:00.123Z'],
    ['1772636400123456', '2026-03-04T15:00:00.123456Z'],
    ['1772636400123456789', '2026-03-04T15:00:00.123456789Z'],
  ];
  for (const [eventtime, iso] of forms) {
    const e = decoded(`<185>date=2026-03-04 time=10:00:00 ${FGT_DEV} eventtime=${eventtime} tz="-0500" ${FGT_BODY}`, 'fortigate');
    assert.equal(e['@timestamp'], iso, `eventtime=${eventtime}`);
    assert.equal(e.crosswatch.role, 'network_alert');
  }
});

test('fortigate: an epoch eventtime is zone-free; tz="-0500" places date + time on the same instant', () => {
  // eventtime and date/time in tz describe the same moment: reading either gives 15:00Z.
  const both = decoded(`date=2026-03-04 time=10:00:00 ${FGT_DEV} eventtime=1772636400 tz="-0500" ${FGT_BODY}`, 'fortigate');
  const dateOnly = decoded(`date=2026-03-04 time=10:00:00 ${FGT_DEV} tz="-0500" ${FGT_BODY}`, 'fortigate');
  assert.equal(both['@timestamp'], '2026-03-04T15:00:00.000Z');
  assert.equal(dateOnly['@timestamp'], '2026-03-04T15:00:00.000Z');
  // A device zone configured for zone-less devices never moves an epoch.
  const configured = decoded(`date=2026-03-04 time=10:00:00 ${FGT_DEV} eventtime=1772636400 ${FGT_BODY}`, 'fortigate', { ...CTX, zone: 'Asia/Tokyo' });
  assert.equal(configured['@timestamp'], '2026-03-04T15:00:00.000Z');
  // eventtime=0 (some FortiOS builds) is no time: date + time in tz is used.
  assert.equal(decoded(`date=2026-03-04 time=10:00:00 ${FGT_DEV} eventtime=0 tz="-0500" ${FGT_BODY}`, 'fortigate')['@timestamp'], '2026-03-04T15:00:00.000Z');
});

test('fortigate: date + time in every tz form FortiOS writes; no tz = configured zone, else UTC', () => {
  const at = (tz: string | null, ctx: DecodeContext = CTX): string =>
    decoded(`date=2026-03-04 time=10:00:00 ${FGT_DEV}${tz === null ? '' : ` tz="${tz}"`} ${FGT_BODY}`, 'fortigate', ctx)['@timestamp'];
  assert.equal(at('-0500'), '2026-03-04T15:00:00.000Z');
  assert.equal(at('+01:00'), '2026-03-04T09:00:00.000Z');
  assert.equal(at('UTC+2:00'), '2026-03-04T08:00:00.000Z');
  assert.equal(at('GMT-3'), '2026-03-04T13:00:00.000Z');
  assert.equal(at('+0000'), '2026-03-04T10:00:00.000Z');
  assert.equal(at('CET'), '2026-03-04T09:00:00.000Z');
  assert.equal(at('America/New_York'), '2026-03-04T15:00:00.000Z');
  assert.equal(at(null), '2026-03-04T10:00:00.000Z');
  assert.equal(at(null, { ...CTX, zone: '+09:30' }), '2026-03-04T00:30:00.000Z');
  // FortiOS 5.x slashes in the date.
  assert.equal(decoded(`date=2026/03/04 time=10:00:00 ${FGT_DEV} tz="-0500" ${FGT_BODY}`, 'fortigate')['@timestamp'], '2026-03-04T15:00:00.000Z');
  assert.match(rejection(`date=2026-03-04 time=10:00:00 ${FGT_DEV} tz="Mars/Olympus" ${FGT_BODY}`, 'fortigate', 'invalid-time'), /tz is not a zone/);
});

test('fortigate: lines without devname/devid (FortiAnalyzer, syslog relays) are still FortiGate lines', () => {
  // Bare, after a PRI, after RFC 3164 and RFC 5424 headers; with eventtime only, with date + time only.
  const lines = [
    `eventtime=1772636400123456789 tz="-0500" ${FGT_BODY}`,
    `<185>date=2026-03-04 time=10:00:00 tz="-0500" ${FGT_BODY}`,
    `<185>Mar  4 15:00:01 faz-relay01 date=2026-03-04 time=10:00:00 tz="-0500" ${FGT_BODY}`,
    `<185>1 2026-03-04T15:00:01Z faz-relay01 - - - - date=2026-03-04 time=10:00:00 tz="-0500" ${FGT_BODY}`,
  ];
  for (const l of lines) {
    assert.equal(fortigate.accepts(text(l), CTX), true, l.slice(0, 60));
    const e = decoded(l, 'fortigate');
    assert.ok(e['@timestamp'].startsWith('2026-03-04T15:00:00'), `${e['@timestamp']} for ${l.slice(0, 50)}`);
    assert.equal(e.crosswatch.role, 'network_alert');
    assert.equal(e.source?.ip, '185.220.101.7');
  }
  // No time at all: FortiGate's all the same, rejected for its missing time (not as an unknown format).
  assert.match(rejection(`${FGT_DEV} ${FGT_BODY}`, 'fortigate', 'missing-time'), /no eventtime and no date\/time/);
  assert.match(rejection(FGT_BODY, 'fortigate', 'missing-time'), /no eventtime/);
  assert.match(rejection(`${FGT_DEV} eventtime=yesterday ${FGT_BODY}`, 'fortigate', 'invalid-time'), /eventtime is not an epoch/);
  // A key=value line with a logid but nothing else FortiOS writes is no FortiGate line.
  assert.equal(fortigate.accepts(text('logid="0419016384" type="utm" foo=bar'), CTX), false);
});

// --- Fortinet CEF ---------------------------------------------------------------------------------

const FCEF_HEAD = '<189>Mar  4 15:00:02 fgt-branch7 CEF:0|Fortinet|Fortigate|v7.4.3|16384|utm:ips signature dropped|7|deviceExternalId=FG100FTK21004417 FTNTFGTlogid=0419016384 cat=utm:ips FTNTFGTsubtype=ips FTNTFGTeventtype=signature FTNTFGTlevel=alert FTNTFGTvd=root';
const FCEF_BODY = 'src=185.220.101.7 spt=44120 dst=10.40.2.15 dpt=443 act=dropped proto=6 app=HTTPS FTNTFGTattack=Fortinet.FortiOS.SSL.VPN.Heap.Buffer.Overflow FTNTFGTseverity=critical msg=vpn: Fortinet.FortiOS.SSL.VPN.Heap.Buffer.Overflow';

test('fortinet CEF: FTNTFGTeventtime (ns, and s / ms / µs) when it is the only time in the record', () => {
  const bare = FCEF_HEAD.replace(/^<189>Mar {2}4 15:00:02 fgt-branch7 /, '');
  for (const [et, iso] of [
    ['1772636400123456789', '2026-03-04T15:00:00.123456789Z'],
    ['1772636400', '2026-03-04T15:00:00.000Z'],
    ['1772636400123', '2026-03-04T15:00:00.123Z'],
    ['1772636400123456', '2026-03-04T15:00:00.123456Z'],
  ] as const) {
    const e = decoded(`${bare} FTNTFGTeventtime=${et} FTNTFGTtz=-0500 ${FCEF_BODY}`, 'cef');
    assert.equal(e['@timestamp'], iso, et);
    assert.equal(e.crosswatch.role, 'network_alert');
  }
  // The eventtime wins over the relay's syslog header (written later, by another clock).
  assert.equal(decoded(`${FCEF_HEAD} FTNTFGTeventtime=1772636400123456789 ${FCEF_BODY}`, 'cef')['@timestamp'], '2026-03-04T15:00:00.123456789Z');
  // FortiOS 6.2 spelled the prefix out.
  const long = `${bare.replace('FTNTFGTlogid', 'FortinetFortiGatelogid')} FortinetFortiGateeventtime=1772636400123456789 FortinetFortiGatetz=+0100 ${FCEF_BODY}`;
  assert.equal(decoded(long, 'cef')['@timestamp'], '2026-03-04T15:00:00.123456789Z');
  assert.match(rejection(`${bare} FTNTFGTeventtime=soon ${FCEF_BODY}`, 'cef', 'invalid-time'), /FTNTFGTeventtime/);
});

test('fortinet CEF: FTNTFGTdate + FTNTFGTtime in FTNTFGTtz; rt, when written, wins; nothing at all is missing-time', () => {
  const bare = FCEF_HEAD.replace(/^<189>Mar {2}4 15:00:02 fgt-branch7 /, '');
  assert.equal(decoded(`${bare} FTNTFGTdate=2026-03-04 FTNTFGTtime=10:00:00 FTNTFGTtz=-0500 ${FCEF_BODY}`, 'cef')['@timestamp'], '2026-03-04T15:00:00.000Z');
  assert.equal(decoded(`${bare} FTNTFGTdate=2026-03-04 FTNTFGTtime=10:00:00 ${FCEF_BODY}`, 'cef', { ...CTX, zone: '-05:00' })['@timestamp'], '2026-03-04T15:00:00.000Z');
  // rt is CEF's own time field: it is read first, as for every CEF record.
  assert.equal(decoded(`${bare} rt=1772636399000 FTNTFGTeventtime=1772636400123456789 ${FCEF_BODY}`, 'cef')['@timestamp'], '2026-03-04T14:59:59.000Z');
  assert.match(rejection(`${bare} ${FCEF_BODY}`, 'cef', 'missing-time'), /no rt, end or start/);
  // Only the syslog header: its time, as for any CEF record.
  assert.equal(decoded(`${FCEF_HEAD} ${FCEF_BODY}`, 'cef', ctxAt('2026-03-10T00:00:00Z'))['@timestamp'], '2026-03-04T15:00:02.000Z');
  // Another vendor's FTNTFGTeventtime-like key means nothing.
  assert.match(rejection('CEF:0|Acme|NIDS|1.0|100|Port scan|5|src=185.220.101.7 FTNTFGTeventtime=1772636400', 'cef', 'missing-time'), /no rt/);
});

// --- CEF rt / start / end: the ArcSight "Date formats" ----------------------------------------------

const CEF_ALERT = 'CEF:0|Acme|Sentinel IPS|4.2|2100498|GPL ATTACK_RESPONSE id check returned root|8|src=81.2.69.143 spt=51515 dst=10.40.2.15 dpt=80 act=blocked';

test('cef: rt in each ArcSight date format, with and without zone names and offsets', () => {
  const forms: Array<[string, string]> = [
    // Milliseconds since January 1, 1970
    ['1772636400123', '2026-03-04T15:00:00.123Z'],
    // MMM dd yyyy HH:mm:ss[.SSS] [zzz]
    ['Mar 04 2026 15:00:00', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 15:00:00.123', '2026-03-04T15:00:00.123Z'],
    ['Mar 04 2026 15:00:00 UTC', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 15:00:00 GMT', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 07:00:00 PST', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 10:00:00 EST', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 16:00:00 CET', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 16:00:00 GMT+01:00', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 20:30:00 +0530', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 16:00:00 Europe/Paris', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 2026 07:00:00.123 PST', '2026-03-04T15:00:00.123Z'],
    ['Mar 04 2026 15:00:00.123 UTC', '2026-03-04T15:00:00.123Z'],
    // MMM dd HH:mm:ss[.SSS] [zzz]: the year is inferred from when the data was read
    ['Mar 04 15:00:00', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 15:00:00.123', '2026-03-04T15:00:00.123Z'],
    ['Mar 04 07:00:00 PST', '2026-03-04T15:00:00.000Z'],
    ['Mar 04 07:00:00.123 PST', '2026-03-04T15:00:00.123Z'],
    ['Mar  4 15:00:00 GMT', '2026-03-04T15:00:00.000Z'],
    // ISO 8601, as some vendors send
    ['2026-03-04T15:00:00Z', '2026-03-04T15:00:00.000Z'],
    ['2026-03-04T16:00:00.123+01:00', '2026-03-04T15:00:00.123Z'],
    ['2026-03-04T10:00:00.123456-0500', '2026-03-04T15:00:00.123456Z'],
    ['2026-03-04 15:00:00', '2026-03-04T15:00:00.000Z'],
  ];
  const ctx = ctxAt('2026-03-10T00:00:00Z');
  for (const [rt, iso] of forms) {
    assert.equal(decoded(`${CEF_ALERT} rt=${rt}`, 'cef', ctx)['@timestamp'], iso, `rt=${rt}`);
  }
  // A zone-less form takes the configured device zone.
  assert.equal(decoded(`${CEF_ALERT} rt=Mar 04 2026 10:00:00`, 'cef', { ...ctx, zone: 'America/New_York' })['@timestamp'], '2026-03-04T15:00:00.000Z');
  // A year-less stamp just after New Year belongs to the year before the reference.
  assert.equal(decoded(`${CEF_ALERT} rt=Dec 31 23:59:59 UTC`, 'cef', ctxAt('2027-01-01T00:10:00Z'))['@timestamp'], '2026-12-31T23:59:59.000Z');
  // Unreadable values are errors naming the field.
  for (const bad of ['Mar 04 2026 15:00:00 Mars/Olympus', 'Smarch 04 2026 15:00:00', 'Feb 30 2026 15:00:00', 'yesterday']) {
    assert.match(rejection(`${CEF_ALERT} rt=${bad}`, 'cef', 'invalid-time'), /^rt is not a time/, bad);
  }
});

test('cef: start and end (and their long names) in the same forms; rt, then end, then start', () => {
  const ctx = ctxAt('2026-03-10T00:00:00Z');
  for (const [key, value] of [
    ['start', 'Mar 04 2026 07:00:00.123 PST'], ['startTime', '1772636400123'], ['end', 'Mar 04 15:00:00.123 UTC'],
    ['endTime', '2026-03-04T15:00:00.123Z'], ['deviceReceiptTime', 'Mar 04 2026 15:00:00.123'],
  ] as const) {
    assert.equal(decoded(`${CEF_ALERT} ${key}=${value}`, 'cef', ctx)['@timestamp'], '2026-03-04T15:00:00.123Z', key);
  }
  assert.equal(decoded(`${CEF_ALERT} start=Mar 04 2026 14:00:00 end=Mar 04 2026 14:30:00 rt=Mar 04 2026 15:00:00`, 'cef')['@timestamp'], '2026-03-04T15:00:00.000Z');
  assert.equal(decoded(`${CEF_ALERT} start=Mar 04 2026 14:00:00 end=Mar 04 2026 14:30:00`, 'cef')['@timestamp'], '2026-03-04T14:30:00.000Z');
  assert.match(rejection(`${CEF_ALERT} end=Mar 04 2026 25:00:00`, 'cef', 'invalid-time'), /^end is not a time/);
});

test('writtenZone: the zone spellings devices put next to a time', () => {
  assert.equal(writtenZone('UTC'), '+00:00');
  assert.equal(writtenZone('pst'), '-08:00');
  assert.equal(writtenZone('CEST'), '+02:00');
  assert.equal(writtenZone('-0500'), '-05:00');
  assert.equal(writtenZone('+05:30'), '+05:30');
  assert.equal(writtenZone('GMT+01:00'), '+01:00');
  assert.equal(writtenZone('UTC+2:00'), '+02:00');
  assert.equal(writtenZone('GMT-3'), '-03:00');
  assert.equal(writtenZone('Europe/Berlin'), 'Europe/Berlin');
  for (const bad of ['', 'XYZT', '+25:00', 'Mars/Olympus', 'GMT+01:75', 'a'.repeat(80)]) assert.equal(writtenZone(bad), null, bad);
});

// --- PAN-OS CSV (as today) ----------------------------------------------------------------------

test('panos CSV: generated time, else receive time; zone-less = configured zone, else UTC; ISO receive time', () => {
  const line = (receive: string, generated: string): string => [
    '1', receive, '013201009876', 'THREAT', 'vulnerability', '2561', generated, '81.2.69.143', '10.40.2.15', '0.0.0.0', '0.0.0.0',
    'inbound-web', '', '', 'web-browsing', 'vsys1', 'untrust', 'dmz', 'ethernet1/1', 'ethernet1/2', 'Log-Fwd', '2026/03/04 15:00:01', '771234',
    '1', '51515', '443', '0', '0', '0x2000', 'tcp', 'reset-both', '"/cgi-bin/.%2e/.%2e/bin/sh"', 'Apache HTTP Server Path Traversal Vulnerability(91784)',
    'any', 'critical', 'client-to-server', '7345678999',
  ].join(',');
  assert.equal(decoded(line('2026/03/04 15:00:02', '2026/03/04 15:00:00'), 'panos-threat')['@timestamp'], '2026-03-04T15:00:00.000Z');
  assert.equal(decoded(line('2026/03/04 15:00:02', ''), 'panos-threat')['@timestamp'], '2026-03-04T15:00:02.000Z');
  assert.equal(decoded(line('2026/03/04 10:00:02', '2026/03/04 10:00:00'), 'panos-threat', { ...CTX, zone: 'America/New_York' })['@timestamp'], '2026-03-04T15:00:00.000Z');
  assert.equal(decoded(line('2026-03-04T15:00:02.000000Z', '2026-03-04T15:00:00.000000Z'), 'panos-threat')['@timestamp'], '2026-03-04T15:00:00.000Z');
  assert.match(rejection(line('2026/03/04 15:00:02', '2026/13/04 15:00:00'), 'panos-threat', 'invalid-time'), /generated time/);
});
