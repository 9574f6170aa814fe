// The syslog header in front of firewall and IDS payloads: RFC 5424, RFC 3164
// with and without PRI, the year-first form some senders use, and none at all;
// and the lines exactly as rsyslog (8.2302, captured from its standard templates)
// and syslog-ng (its default file template, ts-format(iso) and the syslog()
// driver, from its writer's source) write them after relaying a device's message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSyslog } from '../src/decoders/syslog.js';
import { decodeRecord } from '../src/decoders/index.js';
import type { DecodeContext } from '../src/decoders/types.js';

type Case = [string, ReturnType<typeof splitSyslog>];

function check(cases: Case[]): void {
  for (const [line, want] of cases) assert.deepEqual(splitSyslog(line), want, line);
}

const CEF = 'CEF:0|Acme|NGFW|9.1|3001|Port scan|7|src=45.33.32.156';
const PANOS = '1,2024/03/04 09:59:59,012801096514,THREAT,vulnerability,2049,2024/03/04 09:59:59,45.33.32.156,81.2.69.143';
const FORTI = 'date=2024-03-04 time=09:59:59 devname="FGT60E" logid="0419016384" type="utm" subtype="ips" srcip=45.33.32.156';
const SNORT = '[1:2010937:3] ET SCAN Suspicious inbound to mySQL port 3306 [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 45.33.32.156:51234 -> 81.2.69.143:3306';

test('splitSyslog separates header fields from the vendor payload', () => {
  check([
    ['Nov 30 16:44:36 PA-220 1,2018/11/30 16:44:36,012801096514,THREAT',
      { message: '1,2018/11/30 16:44:36,012801096514,THREAT', timestamp: 'Nov 30 16:44:36', host: 'PA-220' }],
    ['<185>date=2026-03-31 time=07:48:26 devname="MYDEV"', { message: 'date=2026-03-31 time=07:48:26 devname="MYDEV"', pri: 185 }],
    ['<134>1 2026-03-02T10:00:00.123Z fw01 CheckPoint 123 - - CEF:0|a|b|c|d|e|5|src=1.2.3.4',
      { message: 'CEF:0|a|b|c|d|e|5|src=1.2.3.4', pri: 134, timestamp: '2026-03-02T10:00:00.123Z', host: 'fw01', app: 'CheckPoint' }],
    ['<134>1 2026-03-02T10:00:00Z fw01 app - ID47 [exampleSDID@32473 iut="3" eventSource="App"] CEF:0|x',
      { message: 'CEF:0|x', pri: 134, timestamp: '2026-03-02T10:00:00Z', host: 'fw01', app: 'app' }],
    ['<13>Mar  2 10:00:00 sensor snort[1234]: [1:2:3] sig', { message: '[1:2:3] sig', pri: 13, timestamp: 'Mar  2 10:00:00', host: 'sensor', app: 'snort' }],
    ['<14>2026-03-02T10:00:00+01:00 host CEF:0|Vendor|x', { message: 'CEF:0|Vendor|x', pri: 14, timestamp: '2026-03-02T10:00:00+01:00', host: 'host' }],
    ['<134>Mar 04 2024 10:00:00 ids01 CEF:0|Trend Micro|x', { message: 'CEF:0|Trend Micro|x', pri: 134, timestamp: 'Mar 04 10:00:00 2024', host: 'ids01' }],
    ['CEF:0|Elastic|Vaporware|1.0.0-alpha|18|Web request|low|eventId=3457', { message: 'CEF:0|Elastic|Vaporware|1.0.0-alpha|18|Web request|low|eventId=3457' }],
  ]);
});

test('RFC 5424: structured data (several elements, escapes), NILVALUEs, BOM, extra spaces, fractions and zones', () => {
  check([
    // Two SD elements, with an escaped "]" and '"' inside values, then a BOM before the message.
    [`<134>1 2024-03-04T09:59:59.123456+01:00 fw02 cefapp 77 ID1 [ex@32473 a="x\\]y" b="q\\"r"][two@32473 c="1"] \uFEFF${CEF}`,
      { message: CEF, pri: 134, timestamp: '2024-03-04T09:59:59.123456+01:00', host: 'fw02', app: 'cefapp' }],
    // An SD value holding "] " must not end the SD early.
    [`<134>1 2024-03-04T09:59:59Z fw02 - - - [x@1 m="a\\] b"] ${CEF}`, { message: CEF, pri: 134, timestamp: '2024-03-04T09:59:59Z', host: 'fw02' }],
    // Every field NIL.
    [`<134>1 - - - - - - ${CEF}`, { message: CEF, pri: 134 }],
    [`<134>1 2024-03-04T09:59:59Z - - - - - ${CEF}`, { message: CEF, pri: 134, timestamp: '2024-03-04T09:59:59Z' }],
    // No message at all.
    ['<134>1 2024-03-04T09:59:59Z fw02 app - - -', { message: '', pri: 134, timestamp: '2024-03-04T09:59:59Z', host: 'fw02', app: 'app' }],
    // Extra spaces before the message (rsyslog keeps the space after a 3164 tag in MSG).
    [`<33>1 2026-03-04T09:59:59+00:00 sensor01 snort 1234 - -  ${SNORT}`,
      { message: SNORT, pri: 33, timestamp: '2026-03-04T09:59:59+00:00', host: 'sensor01', app: 'snort' }],
    // An unterminated SD is not 5424: the line is kept whole after the PRI.
    ['<134>1 2024-03-04T09:59:59Z fw02 app - - [x@1 a="b" CEF:0|x', { message: '1 2024-03-04T09:59:59Z fw02 app - - [x@1 a="b" CEF:0|x', pri: 134 }],
  ]);
});

test('RFC 3164: with and without PRI, host and tag; space-padded and unpadded days; ISO and fractional times', () => {
  check([
    [`<33>Mar  4 09:59:59 sensor01 snort[1234]: ${SNORT}`, { message: SNORT, pri: 33, timestamp: 'Mar  4 09:59:59', host: 'sensor01', app: 'snort' }],
    [`Mar  4 09:59:59 sensor01 snort[1234]: ${SNORT}`, { message: SNORT, timestamp: 'Mar  4 09:59:59', host: 'sensor01', app: 'snort' }],
    // No host: the first word is the tag.
    [`<33>Mar  4 09:59:59 snort[1234]: ${SNORT}`, { message: SNORT, pri: 33, timestamp: 'Mar  4 09:59:59', app: 'snort' }],
    ['Mar  4 09:59:59 sshd: hello', { message: 'hello', timestamp: 'Mar  4 09:59:59', app: 'sshd' }],
    // "app:" without a PID; a tag with a slash (postfix/smtpd).
    ['<22>Mar 14 09:59:59 mx1 postfix/smtpd[88]: connect', { message: 'connect', pri: 22, timestamp: 'Mar 14 09:59:59', host: 'mx1', app: 'postfix/smtpd' }],
    ['<13>Mar  4 09:59:59 fw04 app: hello   with spaces', { message: 'hello   with spaces', pri: 13, timestamp: 'Mar  4 09:59:59', host: 'fw04', app: 'app' }],
    // No host and no tag: the payload follows the time.
    [`<134>Mar  4 09:59:59 ${CEF}`, { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59' }],
    [`<14>Mar  4 09:59:59 ${PANOS}`, { message: PANOS, pri: 14, timestamp: 'Mar  4 09:59:59' }],
    [`Mar  4 09:59:59 ${FORTI}`, { message: FORTI, timestamp: 'Mar  4 09:59:59' }],
    // Unpadded and zero-padded days are normalised to the space-padded form.
    [`<134>Mar 4 09:59:59 fw05 ${CEF}`, { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59', host: 'fw05' }],
    [`<134>Mar 04 09:59:59 fw05 ${CEF}`, { message: CEF, pri: 134, timestamp: 'Mar 04 09:59:59', host: 'fw05' }],
    // A year after the time; fractions; a space after the PRI.
    [`<134>Mar  4 09:59:59 2024 fw05 ${CEF}`, { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59 2024', host: 'fw05' }],
    [`<134>Mar  4 09:59:59.250 fw05 ${CEF}`, { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59.250', host: 'fw05' }],
    [`<134> Mar  4 09:59:59 fw05 ${CEF}`, { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59', host: 'fw05' }],
    // IPv4 and IPv6 hosts.
    [`<134>Mar  4 09:59:59 81.2.69.143 ${CEF}`, { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59', host: '81.2.69.143' }],
    [`<134>2024-03-04T09:59:59Z 2a02:cf40::1 ${CEF}`, { message: CEF, pri: 134, timestamp: '2024-03-04T09:59:59Z', host: '2a02:cf40::1' }],
    // A PRI out of range is not kept; the header is still read.
    [`<999>Mar  4 09:59:59 fw05 ${CEF}`, { message: CEF, timestamp: 'Mar  4 09:59:59', host: 'fw05' }],
  ]);
});

test('rsyslog output: its standard templates, captured from rsyslogd 8.2302 relaying device messages', () => {
  check([
    // RSYSLOG_FileFormat: RFC 3339 time in the 3164 position; "CEF:" taken for a tag, a space added after it.
    [`2026-03-04T09:59:59+00:00 fw01 CEF: 0|Acme|NGFW|9.1|3001|Port scan|7|src=45.33.32.156`,
      { message: 'CEF: 0|Acme|NGFW|9.1|3001|Port scan|7|src=45.33.32.156', timestamp: '2026-03-04T09:59:59+00:00', host: 'fw01' }],
    [`2026-03-04T09:59:59+00:00 PA-220 ${PANOS}`, { message: PANOS, timestamp: '2026-03-04T09:59:59+00:00', host: 'PA-220' }],
    [`2026-12-04T17:34:50.899287+00:00 localhost ${FORTI}`, { message: FORTI, timestamp: '2026-12-04T17:34:50.899287+00:00', host: 'localhost' }],
    // A 5424 message with NIL host and app, filed: "-" for both.
    [`2024-03-04T09:59:59Z - - ${CEF}`, { message: CEF, timestamp: '2024-03-04T09:59:59Z' }],
    [`2024-03-04T09:59:59.5Z PA-220 - ${PANOS}`, { message: PANOS, timestamp: '2024-03-04T09:59:59.5Z', host: 'PA-220' }],
    // A 5424 message with a PROCID, filed: "app[pid]" without a colon, the BOM kept.
    [`2024-03-04T09:59:59.123456+01:00 fw02 cefapp[77] \uFEFF${CEF}`, { message: CEF, timestamp: '2024-03-04T09:59:59.123456+01:00', host: 'fw02', app: 'cefapp' }],
    // RSYSLOG_TraditionalFileFormat.
    [`Mar  4 09:59:59 sensor01 snort[1234]: ${SNORT}`, { message: SNORT, timestamp: 'Mar  4 09:59:59', host: 'sensor01', app: 'snort' }],
    // RSYSLOG_ForwardFormat and RSYSLOG_TraditionalForwardFormat (the same with a PRI).
    [`<134>2026-03-04T09:59:59+00:00 localhost CEF: 0|Acme|x|1|2|y|5|src=45.33.32.156`,
      { message: 'CEF: 0|Acme|x|1|2|y|5|src=45.33.32.156', pri: 134, timestamp: '2026-03-04T09:59:59+00:00', host: 'localhost' }],
    [`<189>Dec  4 17:34:50 localhost ${FORTI}`, { message: FORTI, pri: 189, timestamp: 'Dec  4 17:34:50', host: 'localhost' }],
    // RSYSLOG_SyslogProtocol23Format from 3164 input: the first word became the APP-NAME and goes back.
    ['<134>1 2026-03-04T09:59:59+00:00 fw08 CEF - - - 0|Acme|x|1|2|y|5|src=45.33.32.156',
      { message: 'CEF:0|Acme|x|1|2|y|5|src=45.33.32.156', pri: 134, timestamp: '2026-03-04T09:59:59+00:00', host: 'fw08' }],
    ['<189>1 2026-03-04T09:59:59+00:00 FGT60E date=2024-03-04 - - -  time=09:59:59 devname="FGT60E" logid="0419016384" type="utm" subtype="ips" srcip=45.33.32.156',
      { message: FORTI, pri: 189, timestamp: '2026-03-04T09:59:59+00:00', host: 'FGT60E' }],
    // ... with parser.permitSlashInProgramName="on" (without it rsyslog drops "/03/04": see docs/formats.md).
    ['<14>1 2026-03-04T09:59:59+00:00 PA-220 1,2024/03/04 - - -  09:59:59,012801096514,THREAT,vulnerability,2049,2024/03/04 09:59:59,45.33.32.156,81.2.69.143',
      { message: PANOS, pri: 14, timestamp: '2026-03-04T09:59:59+00:00', host: 'PA-220' }],
    [`<33>1 2026-03-04T09:59:59+01:00 localhost snort 99 - -  ${SNORT}`, { message: SNORT, pri: 33, timestamp: '2026-03-04T09:59:59+01:00', host: 'localhost', app: 'snort' }],
  ]);
});

test('syslog-ng output: default file template, ts-format(iso), syslog() driver', () => {
  check([
    // file(): "$DATE $HOST $MSGHDR$MSG" where MSGHDR is the original program part as received (CEF: kept as sent).
    [`Mar  4 09:59:59 fw08 ${CEF}`, { message: CEF, timestamp: 'Mar  4 09:59:59', host: 'fw08' }],
    [`Mar  4 09:59:59 PA-220 ${PANOS}`, { message: PANOS, timestamp: 'Mar  4 09:59:59', host: 'PA-220' }],
    [`Dec  4 17:34:50 127.0.0.1 ${FORTI}`, { message: FORTI, timestamp: 'Dec  4 17:34:50', host: '127.0.0.1' }],
    // A 5424 message filed: MSGHDR is "PROGRAM[PID]: ".
    [`Mar  4 09:59:59 fw07 snort: ${SNORT}`, { message: SNORT, timestamp: 'Mar  4 09:59:59', host: 'fw07', app: 'snort' }],
    // file() with ts-format(iso) frac-digits(3).
    [`2024-03-04T09:59:59.123+01:00 sensor01 snort[1234]: ${SNORT}`, { message: SNORT, timestamp: '2024-03-04T09:59:59.123+01:00', host: 'sensor01', app: 'snort' }],
    // syslog(): IETF with the program as APP-NAME (its ": " skipped), a BOM when the message was
    // validated as UTF-8, and a meta sequenceId element.
    ['<134>1 2024-03-04T09:59:59+00:00 fw08 CEF - - [meta sequenceId="1"] \uFEFF0|Acme|NGFW|9.1|3001|Port scan|7|src=45.33.32.156',
      { message: CEF, pri: 134, timestamp: '2024-03-04T09:59:59+00:00', host: 'fw08' }],
    ['<189>1 2024-03-04T09:59:59+00:00 127.0.0.1 date=2024-03-04 - - - time=09:59:59 devname="FGT60E" logid="0419016384" type="utm" subtype="ips" srcip=45.33.32.156\n'.trimEnd(),
      { message: FORTI, pri: 189, timestamp: '2024-03-04T09:59:59+00:00', host: '127.0.0.1' }],
    ['<14>1 2024-03-04T09:59:59+00:00 PA-220 1,2024/03/04 - - - 09:59:59,012801096514,THREAT,vulnerability,2049,2024/03/04 09:59:59,45.33.32.156,81.2.69.143',
      { message: PANOS, pri: 14, timestamp: '2024-03-04T09:59:59+00:00', host: 'PA-220' }],
    [`<33>1 2024-03-04T09:59:59+00:00 sensor01 snort 1234 - [meta sequenceId="7"] ${SNORT}`,
      { message: SNORT, pri: 33, timestamp: '2024-03-04T09:59:59+00:00', host: 'sensor01', app: 'snort' }],
  ]);
});

test('a relay that kept the device header: the inner header is the device\'s (time, host), the relay is noted', () => {
  check([
    [`<134>Mar 4 10:00:00 relay01 <134>Mar 4 09:59:59 fw01 ${CEF}`,
      { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59', host: 'fw01', relays: ['relay01'] }],
    // As rsyslog files it (RSYSLOG_FileFormat) and forwards it in 5424 (the inner "<134>Mar" became APP-NAME).
    [`2026-03-04T10:00:00+01:00 relay01 <134>Mar  4 09:59:59 fw01 ${CEF}`,
      { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59', host: 'fw01', relays: ['relay01'] }],
    [`<134>1 2026-03-04T10:00:00+01:00 relay01 <134>Mar - - -   4 09:59:59 fw01 ${CEF}`,
      { message: CEF, pri: 134, timestamp: 'Mar  4 09:59:59', host: 'fw01', relays: ['relay01'] }],
    // Two relays; the device's PRI wins.
    [`<13>2024-03-04T10:00:01Z relay02 <14>2024-03-04T10:00:00Z relay01 <33>Mar  4 09:59:59 sensor01 snort[1234]: ${SNORT}`,
      { message: SNORT, pri: 33, timestamp: 'Mar  4 09:59:59', host: 'sensor01', app: 'snort', relays: ['relay02', 'relay01'] }],
    // The device sent no time (FortiGate's bare "<189>"): the relay's time is the best there is; no host.
    [`<189>Mar  4 10:00:00 relay01 <189>${FORTI}`, { message: FORTI, pri: 189, timestamp: 'Mar  4 10:00:00', relays: ['relay01'] }],
    // An inner header without a PRI (a relay that prefixes its own header to the device's line).
    [`<134>Mar  4 10:00:00 relay01 2024-03-04T09:59:59.5+01:00 fw01 ${CEF}`,
      { message: CEF, pri: 134, timestamp: '2024-03-04T09:59:59.5+01:00', host: 'fw01', relays: ['relay01'] }],
    // A relay that wrote the TCP frame it received, octet count included (Palo Alto's cloud log forwarder, as documented).
    [`Mar  4 15:01:02 81.2.69.160 1544 <14>1 2026-03-04T15:01:02.565Z logfwd20 logforwarder - panwlogs - ${CEF}`,
      { message: CEF, pri: 14, timestamp: '2026-03-04T15:01:02.565Z', host: 'logfwd20', app: 'logforwarder', relays: ['81.2.69.160'] }],
    // A message text that happens to start with a date after a tag is not a header.
    ['<13>Mar  4 10:00:00 host app: 2024-03-04T09:00:00Z backup finished',
      { message: '2024-03-04T09:00:00Z backup finished', pri: 13, timestamp: 'Mar  4 10:00:00', host: 'host', app: 'app' }],
  ]);
});

test('bad headers never throw and stay linear on long lines', () => {
  const big = 'x'.repeat(1 << 20);
  const hostile = [
    `<134>1 ${'a '.repeat(1 << 19)}`,
    `<134>1 2024-03-04T09:59:59Z h a - - ${'[x@1 a="'.repeat(1 << 16)}`,
    `<134>1 2024-03-04T09:59:59Z h a - - [x@1 a="${'\\'.repeat(1 << 20)}`,
    `${'<134>'.repeat(1 << 17)}${CEF}`,
    `${'<134>Mar  4 09:59:59 h '.repeat(1 << 15)}${CEF}`,
    `Mar  4 09:59:59 ${' '.repeat(1 << 20)}x`,
    `Mar  4 09:59:59 h ${'a'.repeat(1 << 20)}`,
    `2024-03-04T09:59:59${'9'.repeat(1 << 20)}`,
    `<1>${big}`, big, '', '<', '<>', '<1', '<134>1', '<134>1 ', 'Mar', 'Mar  4', 'Mar  4 09:59:59', '2024-03-04T09:59:59Z',
    '\uFEFF', '<134>1 - - - - - -', '<134>1 - - - - - - \uFEFF', 'Mar  4 09:59:59 - - ', '<134>Mar  4 09:59:59 h app[: x',
  ];
  for (const line of hostile) {
    const t0 = process.hrtime.bigint();
    const h = splitSyslog(line);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(typeof h.message, 'string');
    assert.ok(h.message.length <= line.length + 1, 'the message is never longer than the line');
    assert.ok(ms < 250, `${ms.toFixed(1)} ms for a ${line.length}-character line starting ${JSON.stringify(line.slice(0, 30))}`);
  }
  // Random header-ish text (seeded): never throws, PRI only in range.
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const parts = ['<', '>', '134', '1 ', ' ', '-', '[', ']', '\\', '"', '=', 'Mar', ' 4', '09:59:59', '2024-03-04T09:59:59Z', 'host', 'app[1]:', ':', 'CEF:0|', '\uFEFF', '\n'];
  for (let i = 0; i < 5000; i++) {
    let s = '';
    for (let j = rnd(12); j >= 0; j--) s += parts[rnd(parts.length)];
    const h = splitSyslog(s);
    if (h.pri !== undefined) assert.ok(h.pri >= 0 && h.pri <= 191, s);
  }
});

test('decoders read the device time and source IP through relayed headers', () => {
  const ctx: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2024, 5, 1), ns: 0 } };
  const cases: Array<[string, string, string, string?]> = [
    // [line, @timestamp, source.ip, observer.name]
    ['<134>1 2024-03-04T09:59:59.123456+01:00 fw02 cefapp 77 ID1 [ex@32473 a="x\\]y"] \uFEFFCEF:0|Acme|NGFW|9.1|3001|Port scan|7|src=45.33.32.156',
      '2024-03-04T08:59:59.123456Z', '45.33.32.156'],
    ['2024-03-04T09:59:59+01:00 fw01 CEF: 0|Acme|NGFW|9.1|3001|Port scan|7|src=81.2.69.143', '2024-03-04T08:59:59.000Z', '81.2.69.143'],
    ['<134>1 2024-03-04T09:59:59Z fw08 CEF - - - 0|Acme|NGFW|9.1|3001|Port scan|7|src=185.220.101.7', '2024-03-04T09:59:59.000Z', '185.220.101.7'],
    [`<134>Mar 4 10:00:00 relay01 <134>Mar 4 09:59:59 fw01 CEF:0|Acme|NGFW|9.1|3001|Port scan|7|src=45.33.32.156`, '2024-03-04T09:59:59.000Z', '45.33.32.156'],
    [`Mar  4 09:59:59 sensor01 snort[1234]: ${SNORT}`, '2024-03-04T09:59:59.000Z', '45.33.32.156', 'sensor01'],
    [`<33>1 2024-03-04T10:59:59+01:00 sensor01 snort 1234 - -  ${SNORT}`, '2024-03-04T09:59:59.000Z', '45.33.32.156', 'sensor01'],
    [`<33>Mar  4 10:00:00 relay01 <33>Mar  4 09:59:59 sensor01 snort[1234]: ${SNORT}`, '2024-03-04T09:59:59.000Z', '45.33.32.156', 'sensor01'],
    ['<189>1 2026-03-04T09:59:59+00:00 localhost date=2024-03-04 - - -  time=09:59:59 devname="FGT60E" devid="FGT60E0000000001" logid="0419016384" type="utm" subtype="ips" level="alert" srcip=45.33.32.156 dstip=81.2.69.143 action="dropped" attack="MySQL.Login.Brute.Force"',
      '2024-03-04T09:59:59.000Z', '45.33.32.156', 'FGT60E'],
  ];
  for (const [line, at, ip, observer] of cases) {
    const { result: r } = decodeRecord({ kind: 'text', value: line, origin: { source: 't', line: 1 } }, ctx);
    assert.ok(r.ok, `${line}: ${JSON.stringify(r)}`);
    const e = r.event.event as unknown as { '@timestamp': string; source?: { ip?: string }; observer?: { name?: string } };
    assert.equal(e['@timestamp'], at, line);
    assert.equal(e.source?.ip, ip, line);
    if (observer !== undefined) assert.equal(e.observer?.name, observer, line);
  }
});
