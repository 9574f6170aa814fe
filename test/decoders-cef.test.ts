// cef: the Elastic cef/log test vectors compared with the peer's decoded documents
// (with an explicit list of deliberate differences), CEF escaping, time forms, the
// network-alert rule, bad input, and shape tests against the other text formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { cef, cefRole, cefSeverity, cefTime, parseCef } from '../src/decoders/cef.js';
import { fastLog } from '../src/decoders/fast-log.js';
import { zeekNotice } from '../src/decoders/zeek-notice.js';
import { snortJson } from '../src/decoders/snort-json.js';
import { decodeRecord } from '../src/decoders/index.js';
import { MAX_FIELD_CHARS, field } from '../src/decoders/fields.js';
import type { DecodeContext, DecodeResult } from '../src/decoders/types.js';

import { formatInstant } from '../src/model/time.js';
import { CTX, fails, jsonRecord, loadExpected, ok, readFixture, textRecord, readCorpus, fixturesSkip } from './fixtures-helpers.js';

function decodeText(line: string, ctx: DecodeContext = CTX): DecodeResult {
  const rec = textRecord(line);
  assert.equal(cef.accepts(rec), true, `cef accepts ${line.slice(0, 80)}`);
  return cef.decode(rec, ctx);
}

function ctxWith(zone: string | undefined, reference: string): DecodeContext {
  const ctx: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.parse(reference), ns: 0 } };
  if (zone !== undefined) ctx.zone = zone;
  return ctx;
}

// --- fixtures ------------------------------------------------------------------------------

interface Diff {
  file: string;
  index: number;
  field: string;
  ours: unknown;
  peer: unknown;
}

/**
 * Deliberate differences from the peer. The four fixture lines carry no time at all
 * (no rt/end/start, no syslog header): the peer stamps them with the ingest time,
 * crosswatch never uses arrival time (DESIGN.md §3.1) and rejects them as
 * missing-time. They are compared below after a syslog header (as CEF travels).
 */
const CEF_KNOWN: Diff[] = [0, 1, 2, 3].flatMap((index) => [
  { file: 'test-cef.log', index, field: 'decode', ours: 'missing-time', peer: 'ingest time' },
  { file: 'test-cef.json', index, field: 'decode', ours: 'missing-time', peer: 'ingest time' },
]);

const HEADER = '<134>Feb 21 10:11:12 vaporware-01 ';

function compareCef(): { found: Diff[]; agreements: number; records: number } {
  const logLines = readFixture('cef', 'test-cef.log').split('\n').filter((l) => l.trim() !== '');
  const events = (JSON.parse(readFixture('cef', 'test-cef.json')) as { events: Record<string, unknown>[] }).events;
  const expected = loadExpected('cef', 'test-cef.json')!;
  assert.equal(logLines.length, expected.length);
  assert.equal(events.length, expected.length);
  const found: Diff[] = [];
  let agreements = 0;
  let records = 0;
  const sources: Array<[string, string[]]> = [
    ['test-cef.log', logLines],
    ['test-cef.json', events.map((e) => field(e, 'event.original') as string)],
  ];
  for (const [file, lines] of sources) {
    lines.forEach((line, index) => {
      records++;
      const peer = expected[index]!;
      const decoded = events[index]!; // the peer's decoded CEF (cef.name, cef.extensions.*)
      assert.equal(field(peer, 'event.original'), line, `${file}[${index}] pairs with expected[${index}]`);
      // As in the file: no time -> rejected.
      const bare = decodeRecord(textRecord(line), CTX);
      assert.equal(bare.decoder, 'cef');
      if (!bare.result.ok) found.push({ file, index, field: 'decode', ours: bare.result.error.reason, peer: 'ingest time' });
      // As sent over syslog: compared field by field.
      const d = decodeRecord(textRecord(HEADER + line), CTX);
      assert.equal(d.decoder, 'cef');
      const e = ok(d.result);
      const pairs: Array<[string, unknown, unknown]> = [
        ['source.ip', e.source?.ip, field(peer, 'source.ip')],
        ['destination.ip', e.destination?.ip, field(peer, 'destination.ip')],
        ['source.port', e.source?.port, field(peer, 'source.port')],
        ['destination.port', e.destination?.port, field(peer, 'destination.port')],
        ['event.severity', e.event.severity, field(peer, 'event.severity')],
        ['event.code', e.event.code, field(peer, 'event.code')],
        ['event.id', e.event.id, field(peer, 'event.id')],
        ['rule.name', e.rule?.name, field(decoded, 'cef.name')],
        ['rule.id', e.rule?.id, field(decoded, 'cef.device.event_class_id')],
        ['observer.vendor', e.observer?.vendor, field(peer, 'observer.vendor')],
        ['observer.product', e.observer?.product, field(peer, 'observer.product')],
        ['user.name', e.user?.name, field(peer, 'source.user.name') ?? field(peer, 'destination.user.name')],
        ['network.transport', e.network?.transport, field(peer, 'network.transport')],
      ];
      let agree = true;
      for (const [f, ours, theirs] of pairs) {
        if ((ours !== undefined || theirs !== undefined) && !isDeepStrictEqual(ours, theirs)) {
          agree = false;
          found.push({ file, index, field: f, ours, peer: theirs });
        }
      }
      if (agree) agreements++;
      assert.equal(e['@timestamp'], '2025-02-21T10:11:12.000Z');
      // "Web request" and "Authentication" records of a fictitious product are logs, not threats.
      assert.equal(e.crosswatch.role, 'other');
      assert.equal(e.event.kind, 'event');
    });
  }
  return { found, agreements, records };
}

test('cef fixtures: agree with the peer except the listed differences', { skip: fixturesSkip() }, (t) => {
  const r = compareCef();
  const key = (d: Diff): string => `${d.file}#${d.index}#${d.field}`;
  assert.deepEqual([...r.found].sort((a, b) => key(a).localeCompare(key(b))), [...CEF_KNOWN].sort((a, b) => key(a).localeCompare(key(b))));
  t.diagnostic(`cef: ${r.records} records (4 lines x 2 files), ${r.agreements} agree on every compared field once syslog-wrapped, ${r.found.length} listed differences (missing-time)`);
});

// --- parsing and escaping ---------------------------------------------------------------------

test('cef: header and extension escaping, spaces in values, trailing spaces', () => {
  const p = parseCef('CEF:0|Ven\\|dor|Pro\\\\duct|1.0|sig\\|1|Name \\| with pipe|7|msg=a\\=b c\\\\d\\nline2\\rx request=https://x.example/?a=b&c=d cs1Label=Rule Name cs1=my rule  with  spaces   ');
  assert.equal(p.ok, true);
  if (!p.ok) return;
  assert.equal(p.cef.vendor, 'Ven|dor');
  assert.equal(p.cef.product, 'Pro\\duct');
  assert.equal(p.cef.signatureId, 'sig|1');
  assert.equal(p.cef.name, 'Name | with pipe');
  assert.equal(p.cef.severity, '7');
  assert.equal(p.cef.extensions.get('msg'), 'a=b c\\d\nline2\rx');
  // An unescaped "=" not preceded by " key" stays in the value (lenient, as real senders need).
  assert.equal(p.cef.extensions.get('request'), 'https://x.example/?a=b&c=d');
  assert.equal(p.cef.extensions.get('cs1Label'), 'Rule Name');
  assert.equal(p.cef.extensions.get('cs1'), 'my rule  with  spaces');
  // Pipes need no escaping in the extension.
  const q = parseCef('CEF:0|V|P|1|100|N|5|msg=a|b src=81.2.69.142');
  assert.ok(q.ok && q.cef.extensions.get('msg') === 'a|b' && q.cef.extensions.get('src') === '81.2.69.142');
  // Header-only (empty extension), with and without the final pipe.
  for (const h of ['CEF:0|V|P|1|100|N|5|', 'CEF:0|V|P|1|100|N|5']) {
    const r = parseCef(h);
    assert.ok(r.ok && r.cef.extensions.size === 0 && r.cef.name === 'N', h);
  }
});

test('cef: severity words and numbers on the CEF 0-10 scale', () => {
  assert.deepEqual(cefSeverity('0'), { ok: true, value: 0 });
  assert.deepEqual(cefSeverity('10'), { ok: true, value: 10 });
  assert.deepEqual(cefSeverity('Low'), { ok: true, value: 0 });
  assert.deepEqual(cefSeverity('medium'), { ok: true, value: 4 });
  assert.deepEqual(cefSeverity('High'), { ok: true, value: 7 });
  assert.deepEqual(cefSeverity('Very-High'), { ok: true, value: 9 });
  assert.deepEqual(cefSeverity('Unknown'), { ok: true });
  assert.deepEqual(cefSeverity(''), { ok: true });
  assert.deepEqual(cefSeverity('11'), { ok: false });
  assert.deepEqual(cefSeverity('urgent'), { ok: false });
});

test('cef: time from rt (epoch ms, MMM dd yyyy HH:mm:ss[.SSS] [zone], year-less, ISO), end, start, syslog header', () => {
  const at = (v: string, ctx = CTX): string | null => {
    const t = cefTime(v, ctx);
    return t && formatInstant(t);
  };
  assert.equal(at('1771668672123'), '2026-02-21T10:11:12.123Z');
  assert.equal(at('Feb 21 2026 10:11:12'), '2026-02-21T10:11:12.000Z');
  assert.equal(at('Feb 21 2026 10:11:12.345 UTC'), '2026-02-21T10:11:12.345Z');
  assert.equal(at('Feb 21 2026 10:11:12 CET'), '2026-02-21T09:11:12.000Z');
  assert.equal(at('Jul 21 2026 10:11:12 PDT'), '2026-07-21T17:11:12.000Z');
  assert.equal(at('Feb 21 2026 10:11:12 GMT+05:30'), '2026-02-21T04:41:12.000Z');
  assert.equal(at('Feb 21 2026 10:11:12 +0100'), '2026-02-21T09:11:12.000Z');
  assert.equal(at('Jul 21 2026 10:11:12 Europe/Berlin'), '2026-07-21T08:11:12.000Z');
  assert.equal(at('Feb  1 2026 10:11:12'), '2026-02-01T10:11:12.000Z');
  assert.equal(at('Feb 21 10:11:12', ctxWith(undefined, '2026-03-01T00:00:00Z')), '2026-02-21T10:11:12.000Z');
  assert.equal(at('Feb 21 2026 10:11:12', ctxWith('America/Chicago', '2026-03-01T00:00:00Z')), '2026-02-21T16:11:12.000Z');
  assert.equal(at('2026-02-21T10:11:12.5+01:00'), '2026-02-21T09:11:12.500Z');
  assert.equal(at('Feb 21 2026 10:11:12 XYZT'), null);
  assert.equal(at('Foo 21 2026 10:11:12'), null);
  assert.equal(at('Feb 30 2026 10:11:12'), null);

  const base = 'CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=81.2.69.142 dst=10.0.0.5 spt=1232';
  assert.equal(ok(decodeText(`${base} rt=1771668672123`))['@timestamp'], '2026-02-21T10:11:12.123Z');
  assert.equal(ok(decodeText(`${base} end=1771668672000 start=1771668000000`))['@timestamp'], '2026-02-21T10:11:12.000Z');
  assert.equal(ok(decodeText(`${base} start=1771668000000`))['@timestamp'], '2026-02-21T10:00:00.000Z');
  assert.equal(ok(decodeText(`${base} deviceReceiptTime=1771668672123`))['@timestamp'], '2026-02-21T10:11:12.123Z');
  // rt wins over the syslog header (the header is when the relay wrote it).
  assert.equal(ok(decodeText(`<134>Feb 21 10:15:00 fw01 ${base} rt=Feb 21 2026 10:11:12`))['@timestamp'], '2026-02-21T10:11:12.000Z');
  // Header only: RFC 3164 (year inferred), with a year, RFC 5424.
  assert.equal(ok(decodeText(`<134>Feb 21 10:15:00 fw01 ${base}`, ctxWith(undefined, '2026-03-01T00:00:00Z')))['@timestamp'], '2026-02-21T10:15:00.000Z');
  assert.equal(ok(decodeText(`Feb 21 10:15:00 2026 fw01 ${base}`))['@timestamp'], '2026-02-21T10:15:00.000Z');
  assert.equal(ok(decodeText(`<134>1 2026-02-21T10:15:00.250+01:00 fw01 cef - - - ${base}`))['@timestamp'], '2026-02-21T09:15:00.250Z');
  assert.equal(ok(decodeText(`<134>1 2026-02-21T10:15:00.250+01:00 fw01 cef - - - \uFEFF${base}`))['@timestamp'], '2026-02-21T09:15:00.250Z');
  // A present but bad rt is an error naming it, not a silent fallback.
  fails(decodeText(`<134>Feb 21 10:15:00 fw01 ${base} rt=yesterday`), 'invalid-time', /rt/);
  fails(decodeText(base), 'missing-time');
});

// --- mapping and the network-alert rule --------------------------------------------------------

const TREND = '<134>Feb 21 10:11:12 dsa-web01 CEF:0|Trend Micro|Deep Security Agent|20.0.1.6860|1008610|Apache Log4j Remote Code Execution Vulnerability (CVE-2021-44228)|10|cn1=12 cn1Label=Host ID dvchost=web01.example.com act=Reset src=81.2.69.142 spt=51234 dst=10.0.0.5 dpt=443 proto=TCP cat=Intrusion Prevention rt=Feb 21 2026 10:11:12.345 UTC';
const FORTI_IPS = 'CEF:0|Fortinet|Fortigate|v7.0.12|16384|utm:ips signature|5|deviceExternalId=FGT60F0000000000 FTNTFGTlogid=0419016384 cat=utm:ips FTNTFGTsubtype=ips FTNTFGTlevel=alert act=dropped src=2a02:cf40::1 spt=443 dst=10.0.0.9 dpt=51000 proto=6 msg=web_misc: Nginx.Server.Range.Header.Integer.Overflow rt=1771668672000';
const PAN_TRAFFIC = '<14>Feb 21 10:11:12 PA-220 CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|1|rt=Feb 21 2026 10:11:12 GMT deviceExternalId=012801096514 src=81.2.69.142 dst=10.0.0.5 sourceTranslatedAddress=0.0.0.0 cs1Label=Rule cs1=allow-web suser= duser= app=ssl act=allow proto=tcp';
const PAN_THREAT = '<14>Feb 21 10:11:12 PA-220 CEF:0|Palo Alto Networks|PAN-OS|10.1.0|vulnerability|THREAT|4|rt=Feb 21 2026 10:11:12 GMT src=81.2.69.147 dst=10.0.0.5 act=reset-both cs1Label=Rule cs1=inbound proto=tcp';
const CHECKPOINT_ACCEPT = 'CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Accept src=81.2.69.142 dst=10.0.0.5 rt=1771668672000';

test('cef: an IDS/IPS alert is a network alert, with the ECS fields filled', () => {
  const d = decodeRecord(textRecord(TREND), CTX);
  assert.equal(d.decoder, 'cef');
  const e = ok(d.result);
  assert.equal(e['@timestamp'], '2026-02-21T10:11:12.345Z');
  assert.equal(e.crosswatch.role, 'network_alert');
  assert.equal(e.event.kind, 'alert');
  assert.equal(e.event.dataset, 'cef.log');
  assert.equal(e.event.severity, 10);
  assert.deepEqual(e.event.type, ['denied']);
  assert.equal(e.event.action, 'Reset');
  assert.deepEqual(e.rule, { name: 'Apache Log4j Remote Code Execution Vulnerability (CVE-2021-44228)', id: '1008610', category: 'Intrusion Prevention' });
  assert.deepEqual(e.observer, { vendor: 'Trend Micro', product: 'Deep Security Agent', name: 'web01.example.com' });
  assert.deepEqual(e.source, { ip: '81.2.69.142', port: 51234 });
  assert.deepEqual(e.destination, { ip: '10.0.0.5', port: 443 });
  assert.equal(e.network?.transport, 'tcp');

  const f = ok(decodeText(FORTI_IPS));
  assert.equal(f.crosswatch.role, 'network_alert');
  assert.equal(f.source?.ip, '2a02:cf40::1');
  assert.equal(f.event.severity, 5);
  // The spec's own example.
  const spec = ok(decodeText('Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=81.2.69.142 dst=2.1.2.2 spt=1232'));
  assert.equal(spec.crosswatch.role, 'network_alert');
  assert.equal(spec.source?.ip, '81.2.69.142');
  assert.equal(spec.observer?.name, 'host');
  // PAN-OS THREAT via CEF.
  assert.equal(ok(decodeText(PAN_THREAT)).crosswatch.role, 'network_alert');
  // An unnamed signature with a severity and no allow: still an alert (rule 4).
  assert.equal(ok(decodeText('CEF:1|Acme|NIDS|2.3|4711|Sig 4711|6|src=81.2.69.142 rt=1771668672000')).crosswatch.role, 'network_alert');
});

test('cef: traffic, audit and allowed low-severity records are counted, not network alerts', () => {
  const traffic = ok(decodeText(PAN_TRAFFIC));
  assert.equal(traffic.crosswatch.role, 'other');
  assert.equal(traffic.event.kind, 'event');
  assert.equal(traffic.source?.ip, '81.2.69.142', 'sourceTranslatedAddress is never the source');
  assert.equal(traffic.user, undefined, 'empty suser/duser are no user');
  assert.equal(ok(decodeText(CHECKPOINT_ACCEPT)).crosswatch.role, 'other');
  const fortiTraffic = 'CEF:0|Fortinet|Fortigate|v7.0.12|00013|traffic:forward close|3|cat=traffic:forward act=close src=81.2.69.142 dst=10.0.0.9 rt=1771668672000';
  assert.equal(ok(decodeText(fortiTraffic)).crosswatch.role, 'other');
  const auth = ok(decodeText('CEF:0|Acme|VPN|1|200|Authentication|3|suser=alice outcome=success src=81.2.69.142 rt=1771668672000'));
  assert.equal(auth.crosswatch.role, 'other');
  assert.equal(auth.user?.name, 'alice');
  assert.equal(auth.event.outcome, 'success');
  // Allowed but high severity: an alert.
  assert.equal(ok(decodeText('CEF:0|Acme|NGFW|1|300|Suspicious DNS query|8|act=allow src=81.2.69.142 rt=1771668672000')).crosswatch.role, 'network_alert');
  assert.equal(ok(decodeText('CEF:0|Acme|NGFW|1|300|Some event|2|act=allow src=81.2.69.142 rt=1771668672000')).crosswatch.role, 'other');
  // The rule itself, for the documented cases.
  const role = (line: string): string => {
    const p = parseCef(line);
    assert.ok(p.ok);
    return p.ok ? cefRole(p.cef, cefSeverity(p.cef.severity).ok ? (cefSeverity(p.cef.severity) as { value?: number }).value : undefined).role : '';
  };
  assert.equal(role('CEF:0|X|Y|1|traffic|Port scan detected|3|act=allow'), 'network_alert');
  assert.equal(role('CEF:0|X|Y|1|1|Session end|1|'), 'other');
});

test('cef: user, IPv6 source fallbacks (c6a2), full extension names', () => {
  const e = ok(decodeText('CEF:0|Acme|WAF|1|942100|SQL Injection Attack Detected via libinjection|9|c6a2=2a02:cf40::7 c6a2Label=Source IPv6 Address c6a3=2001:4860:4860::8888 duser=bob suser=eve rt=1771668672000'));
  assert.equal(e.source?.ip, '2a02:cf40::7');
  assert.equal(e.destination?.ip, '2001:4860:4860::8888');
  assert.equal(e.user?.name, 'eve');
  const full = ok(decodeText('CEF:0|Acme|IDS|1|1|Exploit attempt|7|sourceAddress=81.2.69.142 sourcePort=4444 destinationAddress=10.0.0.5 destinationUserName=bob deviceReceiptTime=1771668672000'));
  assert.deepEqual(full.source, { ip: '81.2.69.142', port: 4444 });
  assert.equal(full.user?.name, 'bob');
  // src that is no address: no source.ip, not an error (DESIGN.md §2).
  assert.equal(ok(decodeText('CEF:0|Acme|IDS|1|1|Exploit attempt|7|src=Unknown rt=1771668672000')).source, undefined);
});

test('cef: bad input is rejected with a reason; strings bounded; never throws', () => {
  fails(decodeText('CEF:0|Acme|IDS|1.0'), 'invalid-field', /truncated/);
  fails(decodeText('<134>Feb 21 10:11:12 fw01 CEF:0|Acme|IDS'), 'invalid-field', /truncated/);
  // An unescaped pipe in the Name shifts the header: the severity slot holds text.
  fails(decodeText('CEF:0|Acme|IDS|1.0|100|Name with | pipe|5|src=81.2.69.142 rt=1771668672000'), 'invalid-field', /severity/);
  fails(decodeText('CEF:x|Acme|IDS|1.0|100|N|5|src=81.2.69.142'), 'invalid-field');
  fails(decodeText('CEF:0|Acme|IDS|1.0|100|N|5|garbage before src=81.2.69.142 rt=1771668672000'), 'invalid-field', /extension/);
  fails(decodeText('CEF:0|Acme|IDS|1.0|100|N|5|'), 'missing-time');
  fails(decodeText(`CEF:0|Acme|IDS|1.0|100|N|5|src=81.2.69.142 msg=${'x'.repeat(70_000)}`), 'record-too-large');
  const long = 'L'.repeat(8_000);
  const big = ok(decodeText(`CEF:0|${long}|${long}|1|${long}|${long}|5|src=81.2.69.142 suser=${long} cat=${long} rt=1771668672000`));
  assert.equal(big.rule?.name?.length, MAX_FIELD_CHARS);
  assert.equal(big.observer?.vendor?.length, MAX_FIELD_CHARS);
  assert.ok((big.rule?.id?.length ?? 0) <= MAX_FIELD_CHARS);
  assert.ok((big.user?.name?.length ?? 0) <= MAX_FIELD_CHARS);
  // Many pairs: bounded work.
  const many = Array.from({ length: 5000 }, (_, i) => `k${i}=v`).join(' ');
  assert.equal(ok(decodeText(`CEF:0|A|B|1|2|N|5|${many} rt=1771668672000`)).crosswatch.role, 'network_alert');
  assert.equal(cef.accepts(jsonRecord({ message: 'CEF:0|A|B|1|2|N|5|' })), false);
  assert.equal(cef.decode(jsonRecord({ message: 'CEF:0|A|B|1|2|N|5|' }), CTX).ok, false);
});

// --- shape ---------------------------------------------------------------------------------------

const PANOS = readCorpus('panos-threat/panos-csv-bare.log').split('\n')[0]!;
const FORTIGATE = readCorpus('fortigate/fortios7-eventtime-ns.log').split('\n')[0]!;
const FAST = '05/30-19:09:10.917356  [**] [1:527:8] BAD-TRAFFIC same SRC/DST [**] [Classification: Potentially Bad Traffic] [Priority: 2] {UDP} 0.0.0.0:68 -> 255.255.255.255:67';

test('shape: cef takes CEF lines only, and no one else takes them', () => {
  for (const line of [TREND, FORTI_IPS, PAN_TRAFFIC, PAN_THREAT, CHECKPOINT_ACCEPT, 'CEF: 0|A|B|1|2|N|5|src=81.2.69.142', '<134>Feb 21 10:11:12 host app[12]: CEF:0|A|B|1|2|N|5|']) {
    const rec = textRecord(line);
    assert.equal(cef.accepts(rec), true, line);
    assert.equal(fastLog.accepts(rec), false, line);
    assert.equal(decodeRecord(rec, CTX).decoder, 'cef', line);
  }
  const notCef = [
    PANOS,
    FORTIGATE,
    // FortiGate key=value with a CEF-looking value, and a fast.log message that mentions CEF.
    '<185>date=2026-03-31 time=07:48:26 devname="MYDEV" logid="0419016384" type="utm" subtype="ips" msg="CEF:0|a|b|c|d|e|5|"',
    '05/30-19:09:10.917356  [**] [1:527:8] CEF:0|x| [**] [Priority: 2] {UDP} 81.2.69.142:68 -> 10.0.0.1:67',
    FAST,
    'LEEF:1.0|Vendor|Product|1.0|100|src=81.2.69.142',
    'hello CEF world',
  ];
  for (const line of notCef) assert.equal(cef.accepts(textRecord(line)), false, line);
  for (const rec of [jsonRecord({ ts: 1, note: 'Scan::Port_Scan', msg: 'x' }), jsonRecord({ rule: '1:2:3', pkt_num: 1, timestamp: '01/01-00:00:00.000000' })]) {
    assert.equal(cef.accepts(rec), false);
  }
  assert.equal(zeekNotice.accepts(textRecord(TREND)), false);
  assert.equal(snortJson.accepts(textRecord(TREND)), false);
  assert.deepEqual(cef.cues.filter((c) => c.test(textRecord(TREND))).length, cef.cues.length);
});
