// The syslog header in front of firewall and IDS payloads: RFC 5424, RFC 3164
// with and without PRI, the year-first form some senders use, and none at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSyslog } from '../src/decoders/syslog.js';

test('splitSyslog separates header fields from the vendor payload', () => {
  const cases: Array<[string, ReturnType<typeof splitSyslog>]> = [
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
  ];
  for (const [line, want] of cases) assert.deepEqual(splitSyslog(line), want, line);
});
