// One folder mixing every network-alert format, written as the products write
// them, with Entra sign-ins an hour after each alert: hunt must alert on exactly
// the alert formats' IPs, and never on traffic logs. The data is from 2024, so a
// year-less fast.log stamp must take its year from the data, not from today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch } from '../src/hunt/batch.js';
import { expandInputs } from '../src/inputs/inputs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SIGNIN = JSON.parse(readFileSync(join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan', 'signins.json'), 'utf8')) as {
  time: string; callerIpAddress: string; properties: { id: string; createdDateTime: string; ipAddress: string };
};

function signin(ip: string, n: number): string {
  const s = structuredClone(SIGNIN);
  s.callerIpAddress = ip;
  s.properties.ipAddress = ip;
  s.properties.id = `7d1c0e52-0000-4000-8000-${String(n).padStart(12, '0')}`;
  s.properties.createdDateTime = '2024-03-04T11:00:00.1234567+00:00';
  s.time = '2024-03-04T11:02:13.0000000Z';
  return JSON.stringify(s);
}

function panos(type: 'THREAT' | 'TRAFFIC', subtype: string, src: string, tail: string[]): string {
  return [
    '1', '2024/03/04 10:00:01', '013201001234', type, subtype, '2561', '2024/03/04 10:00:00', src, '10.20.0.15',
    '0.0.0.0', '0.0.0.0', 'allow-web', '', '', 'web-browsing', 'vsys1', 'untrust', 'dmz', 'ethernet1/1', 'ethernet1/2',
    'Log-Fwd', '2024/03/04 10:00:01', '551234', '1', '44321', '443', '0', '0', '0x2000', 'tcp', ...tail,
  ].join(',');
}

const ALERTS: Record<string, string> = {
  '81.2.69.181': `<14>Mar  4 10:00:01 PA-5220 ${panos('THREAT', 'vulnerability', '81.2.69.181', [
    'reset-both', '"/cgi-bin/luci/;stok=/locale"', 'Apache Struts2 Remote Code Execution Vulnerability(33343)', 'any', 'critical',
    'client-to-server', '7345678912', '0x2000000000000000', 'Russian Federation', '10.0.0.0-10.255.255.255', '0', '', '0', '', '', '0',
    '', '', '', '', '', '', '', '0', '0', '0', '0', '0', '', 'PA-5220', '', '', '', '', '0', '', '0', '', 'N/A', 'code-execution',
    'AppThreat-8790-8431', '0x0', '0', '4294967295', '', '', '', '', ''])}`,
  '81.2.69.182': '<185>date=2024-03-04 time=10:00:00 devname="FGT-EDGE" devid="FG200F0000000001" eventtime=1709546400000000000 tz="+0000" ' +
    'logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="critical" srcip=81.2.69.182 ' +
    'srccountry="Netherlands" dstip=10.20.0.15 srcintf="wan1" dstintf="dmz" sessionid=998877 action="dropped" proto=6 service="HTTPS" ' +
    'policyid=3 attack="Apache.Log4j.Error.Log.Remote.Code.Execution" srcport=50123 dstport=443 direction="outgoing" attackid=51006 ' +
    'profile="default" ref="http://www.fortinet.com/ids/VID51006" incidentserialno=123456789 msg="applications3: Apache.Log4j.Error.Log.Remote.Code.Execution,"',
  '81.2.69.183': '<134>Mar 04 2024 10:00:00 ids01 CEF:0|Trend Micro|Deep Security Agent|20.0|1001234|Detect SQL Injection Attempt|8|' +
    'cn1=1 cn1Label=Host ID dvchost=web01 src=81.2.69.183 spt=44321 dst=10.20.0.15 dpt=443 act=reset rt=Mar 04 2024 10:00:00 UTC cat=Intrusion Prevention',
  '81.2.69.184': '03/04-10:00:00.123456  [**] [1:2010935:3] ET SCAN Suspicious inbound to MSSQL port 1433 [**] ' +
    '[Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 81.2.69.184:51515 -> 10.20.0.15:1433',
  '81.2.69.185': JSON.stringify({
    ts: 1709546400.123, note: 'Scan::Port_Scan', msg: '81.2.69.185 scanned at least 15 unique ports of host 10.20.0.15 in 0m12s',
    sub: 'local', src: '81.2.69.185', dst: '10.20.0.15', peer_descr: 'zeek-edge', actions: ['Notice::ACTION_LOG'], suppress_for: 3600, dropped: false,
  }),
  '81.2.69.186': JSON.stringify({
    seconds: 1709546400, timestamp: '03/04/24-10:00:00.000000', pkt_num: 4411, proto: 'TCP', pkt_gen: 'raw', pkt_len: 60, dir: 'C2S',
    src_ap: '81.2.69.186:44321', dst_ap: '10.20.0.15:22', rule: '1:2001219:20', action: 'allow', msg: 'ET SCAN Potential SSH Scan',
    class: 'Attempted Information Leak', priority: 2, src_addr: '81.2.69.186', dst_addr: '10.20.0.15', src_port: 44321, dst_port: 22,
    gid: 1, sid: 2001219, rev: 20,
  }),
};

// Traffic logs from IPs that then sign in: counted, never alerts.
const TRAFFIC: Record<string, string> = {
  '81.2.69.190': `<14>Mar  4 10:00:01 PA-5220 ${panos('TRAFFIC', 'end', '81.2.69.190', [
    'allow', '6042', '1720', '4322', '24', '2024/03/04 09:59:44', '16', 'computer-and-internet-info', '0', '7365012399', '0x0',
    'Germany', '10.0.0.0-10.255.255.255', '0', '12', '12', 'tcp-fin', '0', '0', '0', '0', '', 'PA-5220', 'from-policy', '', '', '0', '', '0', '', 'N/A',
  ])}`,
  '81.2.69.191': '<189>date=2024-03-04 time=10:00:00 devname="FGT-EDGE" devid="FG200F0000000001" tz="+0000" logid="0000000013" type="traffic" ' +
    'subtype="forward" level="notice" vd="root" srcip=81.2.69.191 srcport=50123 dstip=10.20.0.15 dstport=443 action="accept" policyid=3 service="HTTPS" proto=6 sentbyte=1234 rcvdbyte=5678',
  '81.2.69.192': '<134>Mar 04 2024 10:00:00 fw01 CEF:0|Check Point|VPN-1 & FireWall-1|R81|Accept|Accept|1|src=81.2.69.192 dst=10.20.0.15 dpt=443 act=Accept rt=Mar 04 2024 10:00:00 UTC',
};

test('hunt over every network-alert format alerts on exactly the alert IPs, in the data\'s own year', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-vendors-'));
  writeFileSync(join(dir, 'firewall-and-ids.log'), [...Object.values(ALERTS), ...Object.values(TRAFFIC)].join('\n') + '\n');
  const ips = [...Object.keys(ALERTS), ...Object.keys(TRAFFIC)];
  writeFileSync(join(dir, 'signins.json'), ips.map((ip, i) => signin(ip, i)).join('\n') + '\n');
  const inputs = await expandInputs([dir]);
  const run = (fastScan: boolean) => runBatch(inputs.files, {
    config: buildConfig({}),
    rules: loadRules(),
    fastScan,
    // Today is far from 2024: the year of the fast.log line must come from the data.
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 10, 27), ns: 0 } },
  });
  const res = await run(false);
  // The fast first pass finds the same alerts in every format.
  assert.deepEqual((await run(true)).alerts.map((a) => a.source.ip).sort(), Object.keys(ALERTS).sort());
  assert.equal(res.counters.totalRejected, 0, JSON.stringify(res.counters.rejectSamples));
  assert.deepEqual(res.alerts.map((a) => a.source.ip).sort(), Object.keys(ALERTS).sort());
  const decoders = res.counters.sources.get(join(dir, 'firewall-and-ids.log'))!.byDecoder;
  assert.deepEqual(Object.keys(decoders).sort(), ['cef', 'fast-log', 'fortigate', 'panos-threat', 'snort-json', 'zeek-notice']);
  const fast = res.alerts.find((a) => a.source.ip === '81.2.69.184')!;
  assert.equal(fast.crosswatch.evidence.network_alerts[0]!['@timestamp'], '2024-03-04T10:00:00.123456Z');
  assert.equal(fast.crosswatch.evidence.network_alerts[0]!.signature, 'ET SCAN Suspicious inbound to MSSQL port 1433');
});
