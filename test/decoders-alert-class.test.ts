// What counts as a network alert, per vendor (docs/formats.md, "alert or not"):
// PAN-OS CSV and CEF — THREAT entries of the threat subtypes; TRAFFIC, HIPMATCH,
// IPTAG, GLOBALPROTECT, USERID, SYSTEM, CONFIG, AUTHENTICATION, DECRYPTION and
// CORRELATION are status/audit logs. FortiGate key=value and CEF — UTM detections;
// traffic and event logs are not. Other CEF vendors — cefRole. Zeek — notice.log
// only; conn, dns, http, ssl, weird, files, x509 are read and counted. Non-alerts
// carry their kind in crosswatch.category, which the run summary counts; and a
// remote worker's VPN login never "correlates" with their own sign-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecord } from '../src/decoders/index.js';
import { zeekLog } from '../src/decoders/zeek-log.js';
import { zeekNotice } from '../src/decoders/zeek-notice.js';
import type { RawRecord } from '../src/decoders/types.js';
import type { NormalizedEvent } from '../src/model/event.js';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch } from '../src/hunt/batch.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { huntSummary } from '../src/cli/summary.js';
import { CTX, fails, jsonRecord, ok } from './fixtures-helpers.js';
import { signinLine } from './scenario-lines.js';

function text(value: string): RawRecord {
  return { kind: 'text', value, origin: { source: 'class', line: 1 } };
}

function decoded(rec: RawRecord, decoder: string): NormalizedEvent {
  const d = decodeRecord(rec, CTX);
  assert.equal(d.decoder, decoder, `taken by ${d.decoder}: ${JSON.stringify(rec.value).slice(0, 100)}`);
  return ok(d.result);
}

/** [role, crosswatch.category] of a line through the registry. */
function cls(line: string, decoder: string): [string, string | undefined] {
  const e = decoded(text(line), decoder);
  assert.equal(e.event.kind, e.crosswatch.role === 'network_alert' ? 'alert' : 'event');
  return [e.crosswatch.role, e.crosswatch.category];
}

// --- PAN-OS CSV --------------------------------------------------------------------------------

const SERIAL = '013201009876';
const HDR = (type: string, subtype: string): string[] => ['1', '2026/03/04 15:00:01', SERIAL, type, subtype, '2561', '2026/03/04 15:00:00'];
/** Session-layout fields 7..29 (addresses, rule, app, zones, ports, protocol). */
const SESSION = (src: string, dst: string): string[] => [
  src, dst, '0.0.0.0', '0.0.0.0', 'inbound-web', '', '', 'ssl', 'vsys1', 'untrust', 'dmz', 'ethernet1/1', 'ethernet1/2', 'Log-Fwd',
  '2026/03/04 15:00:01', '881234', '1', '51515', '443', '0', '0', '0x400000', 'tcp',
];
const csv = (fields: string[]): string => `<14>Mar  4 15:00:01 PA-3220 ${fields.join(',')}`;

/** A THREAT entry: action, misc, threat id, URL category, severity, direction. */
function threat(subtype: string, src: string, action: string, threatId: string, category: string, severity: string, direction = 'client-to-server'): string {
  return csv([...HDR('THREAT', subtype), ...SESSION(src, '10.40.2.15'), action, '"www.example-cdn.net/x"', threatId, category, severity, direction, '7345678999']);
}

const PANOS_NOT_ALERTS: Record<string, string> = {
  TRAFFIC: csv([...HDR('TRAFFIC', 'end'), ...SESSION('81.2.69.144', '10.40.2.15'), 'allow', '6042', '1720', '4322', '24', '2026/03/04 14:59:44', '16',
    'computer-and-internet-info', '0', '7365012399', '0x0', 'Germany', '10.0.0.0-10.255.255.255', '0', '12', '12', 'tcp-fin']),
  HIPMATCH: csv([...HDR('HIPMATCH', '0'), 'corp\\jdoe', 'vsys1', 'LT-JDOE-01', 'Windows', '81.2.69.144', 'corp-compliant', '1', 'profile', '0', '0',
    '7301234560', '0x0', '0', '0', '0', '0', '', 'PA-3220', '1', '0.0.0.0', 'a0:ce:c8:11:22:33', '5CG1234XYZ']),
  IPTAG: csv([...HDR('IPTAG', '0'), 'vsys1', '81.2.69.144', 'gp-connected', '1', '3600', 'globalprotect', 'GP-Gateway-EU', 'vpn-client',
    'globalprotect', '7301234561', '0x0', '0', '0', '0', '0', '', 'PA-3220', '1']),
  GLOBALPROTECT: csv([...HDR('GLOBALPROTECT', '0'), 'vsys1', 'gateway-auth', 'login', 'SAML', 'IPSec', 'corp\\jdoe', 'DE', 'LT-JDOE-01', '81.2.69.144',
    '0.0.0.0', '10.99.0.12', '0.0.0.0', '4f6c2a10-7d1e-4b7e-9a1c-3f5e2d1c0b9a', '5CG1234XYZ', '6.2.1', 'Windows', '"Microsoft Windows 11 Enterprise , 64-bit"',
    '1', '', '', '""', 'success', 'Frankfurt', '0', 'user-logon', '0', 'GP-Gateway-EU', '7301234562', '0x0']),
  USERID: csv([...HDR('USERID', 'login'), 'vsys1', '81.2.69.144', 'corp\\jdoe', '', '0', '1', '10800', '0', '0', 'vpn-client', 'globalprotect',
    '7301234563', '0x0', '0', '0', '0', '0', '', 'PA-3220', '1', '', '2026/03/04 15:00:00', '1', '0x80000000', 'jdoe']),
  SYSTEM: csv([...HDR('SYSTEM', 'globalprotect'), '', 'globalprotectgateway-auth-succ', 'GP-Gateway-EU', '0', '0', 'general', 'informational',
    '"GlobalProtect gateway user authentication succeeded. Login from: 81.2.69.144, Source region: DE, User name: corp\\jdoe, Auth type: SAML."', '7301234564', '0x0']),
  CONFIG: csv([...HDR('CONFIG', '0'), '81.2.69.144', 'vsys1', 'edit', 'admin', 'Web', 'Succeeded', '" vsys  vsys1 rulebase security rules  allow-web"', '7301234565', '0x0']),
  AUTHENTICATION: csv([...HDR('AUTHENTICATION', '0'), 'vsys1', '81.2.69.144', 'jdoe', 'corp-ldap', '0', '0', '1', '0x0', '7301234566', 'Auth-Policy', 'browser',
    'authenticated', 'LDAP', '']),
  DECRYPTION: csv([...HDR('DECRYPTION', '0'), ...SESSION('81.2.69.144', '10.40.2.15'), 'allow', 'TLS1.3', 'ECDHE', 'AES_256_GCM', 'SHA384', '', 'x25519', 'no-decrypt']),
  CORRELATION: csv([...HDR('CORRELATION', ''), '10.40.2.15', 'jdoe', 'vsys1', 'compromised-host', 'high', '0', '0', '0', '0', '', 'PA-3220', '1', '', '40004', '1',
    '"Host visited known malware URL (100 times)."']),
};

test('PAN-OS CSV: status and audit log types are read, counted by type, never network alerts', () => {
  for (const [type, line] of Object.entries(PANOS_NOT_ALERTS)) {
    assert.deepEqual(cls(line, 'panos-threat'), ['other', type], type);
  }
});

test('PAN-OS CSV: THREAT subtypes, and url / file / wildfire only when they name a threat', () => {
  const A = '81.2.69.143';
  const alerts: Array<[string, string]> = [
    ['vulnerability', threat('vulnerability', A, 'reset-both', 'Apache HTTP Server Path Traversal Vulnerability(91784)', 'any', 'critical')],
    ['spyware', threat('spyware', A, 'reset-both', 'Cobalt Strike.Gen Command and Control Traffic(86273)', 'any', 'critical')],
    ['virus', threat('virus', A, 'reset-both', 'Virus/Win32.WGeneric.dlxkmj(412313790)', 'any', 'medium', 'server-to-client')],
    ['wildfire-virus', threat('wildfire-virus', A, 'reset-both', 'WildFire/Win32.Malware.abc(521344)', 'any', 'high', 'server-to-client')],
    ['flood', threat('flood', A, 'drop', 'TCP Flood(8501)', 'any', 'critical')],
    ['scan', threat('scan', A, 'drop', 'TCP Port scan(8001)', 'any', 'critical')],
    ['packet', threat('packet', A, 'drop', 'Spoofed IP address(8704)', 'any', 'high')],
    ['url', threat('url', '10.40.2.15', 'block-url', '(9999)', 'phishing', 'informational')],
    ['wildfire', threat('wildfire', A, 'alert', 'Windows Executable (EXE)(52020)', 'any', 'high', 'server-to-client')],
  ];
  for (const [sub, line] of alerts) assert.deepEqual(cls(line, 'panos-threat'), ['network_alert', `THREAT/${sub}`], sub);
  const notAlerts: Array<[string, string]> = [
    ['url', threat('url', '10.40.2.15', 'alert', '(9999)', 'search-engines', 'informational')],
    ['file', threat('file', A, 'alert', 'Microsoft PE File(52020)', 'any', 'low')],
    ['wildfire', threat('wildfire', A, 'alert', 'Windows Executable (EXE)(52020)', 'any', 'informational')],
    ['data', threat('data', '10.40.2.15', 'alert', 'Credit Card Number(60000)', 'any', 'high')],
  ];
  for (const [sub, line] of notAlerts) assert.deepEqual(cls(line, 'panos-threat'), ['other', `THREAT/${sub}`], sub);
});

// --- PAN-OS CEF ------------------------------------------------------------------------------------

const PCEF = (sig: string, name: string, sev: string, ext: string): string =>
  `<14>Mar  4 15:00:01 PA-3220 CEF:0|Palo Alto Networks|PAN-OS|10.2.8|${sig}|${name}|${sev}|rt=Mar 04 2026 15:00:00 GMT deviceExternalId=${SERIAL} ${ext} dvchost=PA-3220`;
/** The GlobalProtect login of a remote worker from home: their public IP is `src`. */
export const GP_CEF = (ip: string): string => PCEF('gateway-auth', 'GLOBALPROTECT', '1',
  `cs3Label=Virtual System cs3=vsys1 cs4Label=Stage cs4=login cs5Label=Authentication Method cs5=SAML cs6Label=Tunnel Type cs6=IPSec ` +
  `suser=corp\\\\jdoe shost=LT-JDOE-01 src=${ip} c6a2= cs1Label=Private IP cs1=10.99.0.12 outcome=success ` +
  'msg=GlobalProtect gateway user authentication succeeded. externalId=7301234562');
const THREAT_CEF = (ip: string, sub = 'vulnerability', more = ''): string => PCEF(sub, 'THREAT', '5',
  `src=${ip} dst=10.40.2.15 spt=51515 dpt=443 cs1Label=Rule cs1=inbound-web suser= app=web-browsing act=reset-both proto=tcp ` +
  `request=/cgi-bin/.%2e/.%2e/bin/sh cs2Label=URL Category cs2=any flexString2Label=Direction flexString2=client-to-server ` +
  `externalId=7345678999 cat=Apache HTTP Server Path Traversal Vulnerability(91784) PanOSThreatCategory=code-execution${more}`);

const PANOS_CEF_NOT_ALERTS: Record<string, string> = {
  TRAFFIC: PCEF('end', 'TRAFFIC', '1', 'src=81.2.69.144 dst=10.40.2.15 spt=51515 dpt=443 cs1Label=Rule cs1=allow-web app=ssl act=allow proto=tcp reason=tcp-fin cat=from-policy'),
  HIPMATCH: PCEF('object', 'HIPMATCH', '1', 'suser=corp\\\\jdoe cs3Label=Virtual System cs3=vsys1 shost=LT-JDOE-01 src=81.2.69.144 cnt=1 externalId=7301234560 cat=corp-compliant cs2Label=Operating System cs2=Windows'),
  IPTAG: PCEF('register', 'IPTAG', '1', 'src=81.2.69.144 cs1Label=Tag Name cs1=gp-connected cs3Label=Virtual System cs3=vsys1 externalId=7301234561'),
  GLOBALPROTECT: GP_CEF('81.2.69.144'),
  USERID: PCEF('login', 'USERID', '1', 'cs3Label=Virtual System cs3=vsys1 cs4Label=Data Source Name cs4=GP-Gateway-EU src=81.2.69.144 duser=corp\\\\jdoe externalId=7301234563 cat=login'),
  SYSTEM: PCEF('globalprotect', 'SYSTEM', '1', 'cs3Label=Virtual System cs3=vsys1 fname=GP-Gateway-EU msg=GlobalProtect gateway user authentication succeeded. Login from: 81.2.69.144 externalId=7301234564 cat=globalprotectgateway-auth-succ'),
  CONFIG: PCEF('Succeeded', 'CONFIG', '1', 'shost=81.2.69.144 cs3Label=Virtual System cs3=vsys1 act=edit duser=admin destinationServiceName=Web msg= vsys  vsys1 rulebase security rules  allow-web externalId=7301234565'),
  AUTHENTICATION: PCEF('0', 'AUTHENTICATION', '1', 'cs1Label=Server Profile cs1=corp-ldap src=81.2.69.144 duser=jdoe msg=authenticated externalId=7301234566'),
  DECRYPTION: PCEF('0', 'DECRYPTION', '1', 'src=81.2.69.144 dst=10.40.2.15 spt=51515 dpt=443 app=ssl act=allow proto=tcp'),
  // The correlation engine names our own (compromised) host, with the severity word in the header.
  CORRELATION: PCEF('compromised-host', 'CORRELATION', 'high', 'start=Mar 04 2026 15:00:00 GMT src=10.40.2.15 suser=jdoe severity=high msg=Host visited known malware URL (100 times).'),
};

test('PAN-OS CEF: HIPMATCH, IPTAG, GLOBALPROTECT, USERID, SYSTEM, CONFIG, AUTHENTICATION, DECRYPTION, TRAFFIC, CORRELATION are not alerts', () => {
  for (const [type, line] of Object.entries(PANOS_CEF_NOT_ALERTS)) {
    assert.deepEqual(cls(line, 'cef'), ['other', type], type);
  }
  // Strata Logging Service (product LF) puts the type in Signature ID and the subtype in Name.
  const lf = '<14>1 2026-03-04T15:00:01.565Z logfwd20-eu-01 logforwarder - panwlogs - CEF:0|Palo Alto Networks|LF|2.0|GLOBALPROTECT|globalprotect|3|' +
    'dtz=UTC rt=Mar 04 2026 15:00:00 PanOSDeviceSN=013201009876 PanOSEventIDValue=gateway-auth PanOSStage=login PanOSAuthMethod=SAML ' +
    'PanOSTunnelType=ipsec PanOSSourceUserName=corp\\\\jdoe PanOSPublicIPv4=81.2.69.144 PanOSPrivateIPv4=10.99.0.12 PanOSEventStatus=success';
  assert.deepEqual(cls(lf, 'cef'), ['other', 'GLOBALPROTECT']);
  const lfSystem = 'CEF:0|Palo Alto Networks|LF|2.0|SYSTEM|globalprotect|1|rt=Mar 04 2026 15:00:00 PanOSSeverity=Informational msg=GlobalProtect portal user authentication succeeded.';
  assert.deepEqual(cls(lfSystem, 'cef'), ['other', 'SYSTEM']);
});

test('PAN-OS CEF: THREAT entries follow the PAN-OS list; URL and server-to-client threats key on the server', () => {
  const A = '81.2.69.143';
  for (const sub of ['vulnerability', 'spyware', 'virus', 'wildfire-virus', 'flood', 'scan', 'packet']) {
    const e = decoded(text(THREAT_CEF(A, sub)), 'cef');
    assert.equal(e.crosswatch.role, 'network_alert', sub);
    assert.equal(e.crosswatch.category, `THREAT/${sub}`);
    assert.equal(e.source?.ip, A);
  }
  // URL filtering: an informational allowed browse is a browsing log; a phishing site is the threat side.
  const url = (category: string, act: string): string => PCEF('url', 'THREAT', '1',
    `src=10.40.2.15 dst=81.2.69.145 spt=51515 dpt=443 app=ssl act=${act} request=login-microsoftonline.example-cdn.net/ cs2Label=URL Category cs2=${category} ` +
    'flexString2Label=Direction flexString2=client-to-server cat=(9999)');
  assert.deepEqual(cls(url('search-engines', 'alert'), 'cef'), ['other', 'THREAT/url']);
  const phish = decoded(text(url('phishing', 'alert')), 'cef');
  assert.equal(phish.crosswatch.role, 'network_alert');
  assert.deepEqual(phish.source, { ip: '81.2.69.145', port: 443 });
  assert.deepEqual(phish.destination, { ip: '10.40.2.15', port: 51515 });
  assert.equal(cls(url('search-engines', 'block-url'), 'cef')[0], 'network_alert');
  // Spyware answering from the server: the server is the threat side.
  const s2c = decoded(text(THREAT_CEF(A, 'spyware').replace('flexString2=client-to-server', 'flexString2=server-to-client')), 'cef');
  assert.equal(s2c.source?.ip, '10.40.2.15');
  // data never; file and wildfire by severity (a word when written, else the header from 4 up).
  assert.equal(cls(THREAT_CEF(A, 'data'), 'cef')[0], 'other');
  assert.equal(cls(PCEF('file', 'THREAT', '2', `src=${A} dst=10.40.2.15 act=alert cat=Microsoft PE File(52020)`), 'cef')[0], 'other');
  assert.equal(cls(PCEF('wildfire', 'THREAT', '2', `src=${A} dst=10.40.2.15 act=alert PanOSSeverity=high`), 'cef')[0], 'network_alert');
  assert.equal(cls(PCEF('wildfire', 'THREAT', '4', `src=${A} dst=10.40.2.15 act=alert`), 'cef')[0], 'network_alert');
  assert.equal(cls(PCEF('wildfire', 'THREAT', '3', `src=${A} dst=10.40.2.15 act=alert`), 'cef')[0], 'other');
  // LF: the type in Signature ID.
  const lf = `CEF:0|Palo Alto Networks|LF|2.0|THREAT|vulnerability|5|rt=Mar 04 2026 15:00:00 src=${A} dst=10.40.2.15 act=reset-both PanOSThreatCategory=code-execution`;
  assert.deepEqual(cls(lf, 'cef'), ['network_alert', 'THREAT/vulnerability']);
});

// --- FortiGate key=value and CEF ----------------------------------------------------------------------

const FGT = (type: string, subtype: string, rest: string): string =>
  `<189>date=2026-03-04 time=10:00:00 devname="FGT-BRANCH7" devid="FG100FTK21004417" eventtime=1772636400123456789 tz="-0500" ` +
  `logid="0419016384" type="${type}" subtype="${subtype}" level="notice" vd="root" ${rest}`;

test('FortiGate: UTM detections are alerts; traffic and event logs (SSL VPN logins included) are counted by type', () => {
  const rows: Array<[string, string, string]> = [
    ['network_alert', 'utm/ips', FGT('utm', 'ips', 'eventtype="signature" severity="high" srcip=185.220.101.7 dstip=10.40.2.15 action="dropped" attack="Bash.Function.Definitions.Remote.Code.Execution"')],
    ['network_alert', 'utm/anomaly', FGT('utm', 'anomaly', 'eventtype="anomaly" severity="critical" srcip=185.220.101.7 dstip=10.40.2.15 action="clear_session" attack="tcp_syn_flood"')],
    ['network_alert', 'utm/virus', FGT('utm', 'virus', 'eventtype="infected" srcip=10.40.2.15 dstip=185.220.101.7 direction="incoming" action="blocked" virus="EICAR_TEST_FILE"')],
    ['network_alert', 'utm/waf', FGT('utm', 'waf', 'eventtype="waf-signature" srcip=185.220.101.7 dstip=10.40.2.15 action="blocked"')],
    ['network_alert', 'utm/webfilter', FGT('utm', 'webfilter', 'eventtype="ftgd_blk" srcip=10.40.2.15 dstip=81.2.69.145 action="blocked" cat=61 catdesc="Phishing"')],
    ['network_alert', 'utm/app-ctrl', FGT('utm', 'app-ctrl', 'eventtype="signature" srcip=10.40.2.15 dstip=81.2.69.145 action="pass" appcat="Botnet" app="Mirai.Botnet"')],
    ['network_alert', 'ips/signature', FGT('ips', 'signature', 'srcip=185.220.101.7 dstip=10.40.2.15 action="dropped" attack="MS.SMB.Server.Trans.Peeking.Data.Information.Disclosure"')],
    ['other', 'utm/webfilter', FGT('utm', 'webfilter', 'eventtype="ftgd_allow" srcip=10.40.2.15 dstip=81.2.69.145 action="passthrough" cat=52 catdesc="Information Technology"')],
    ['other', 'utm/app-ctrl', FGT('utm', 'app-ctrl', 'srcip=10.40.2.15 dstip=81.2.69.145 action="pass" appcat="Video/Audio" app="YouTube"')],
    ['other', 'utm/dns', FGT('utm', 'dns', 'srcip=10.40.2.15 dstip=81.2.69.146 qname="example-cdn.net" action="pass"')],
    ['other', 'traffic', FGT('traffic', 'forward', 'srcip=81.2.69.144 srcport=51515 dstip=10.40.2.15 dstport=443 action="accept" proto=6 service="HTTPS"')],
    ['other', 'event', FGT('event', 'vpn', 'logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" remip=81.2.69.144 user="jdoe" status="success"')],
    ['other', 'event', FGT('event', 'user', 'logdesc="Authentication success" srcip=81.2.69.144 user="jdoe" action="authentication" status="success"')],
  ];
  for (const [role, category, line] of rows) assert.deepEqual(cls(line, 'fortigate'), [role, category], line.slice(150, 230));
});

const FCEF = (sig: string, name: string, cat: string, rest: string): string =>
  `CEF:0|Fortinet|Fortigate|v7.4.3|${sig}|${name}|5|deviceExternalId=FG100FTK21004417 FTNTFGTlogid=0${sig} cat=${cat} ` +
  `FTNTFGTsubtype=${cat.split(':')[1]} FTNTFGTlevel=notice FTNTFGTvd=root FTNTFGTeventtime=1772636400123456789 FTNTFGTtz=-0500 ${rest}`;

test('Fortinet CEF: the FortiGate list (not CEF name guessing): traffic and event logs are counted, UTM detections alert', () => {
  const rows: Array<[string, string, string]> = [
    ['network_alert', 'utm/ips', FCEF('419016384', 'utm:ips signature dropped', 'utm:ips', 'FTNTFGTeventtype=signature src=185.220.101.7 dst=10.40.2.15 act=dropped FTNTFGTattack=Bash.Function.Definitions.Remote.Code.Execution')],
    ['network_alert', 'utm/anomaly', FCEF('720018432', 'utm:anomaly anomaly clear_session', 'utm:anomaly', 'src=185.220.101.7 dst=10.40.2.15 act=clear_session FTNTFGTattack=tcp_syn_flood')],
    ['network_alert', 'utm/virus', FCEF('211008192', 'utm:virus infected blocked', 'utm:virus', 'FTNTFGTeventtype=infected src=10.40.2.15 dst=185.220.101.7 act=blocked FTNTFGTvirus=EICAR_TEST_FILE')],
    ['other', 'utm/virus', FCEF('211009235', 'utm:virus analytics passthrough', 'utm:virus', 'FTNTFGTeventtype=analytics src=10.40.2.15 dst=185.220.101.7 act=passthrough')],
    ['other', 'utm/webfilter', FCEF('316013056', 'utm:webfilter ftgd_allow passthrough', 'utm:webfilter', 'FTNTFGTeventtype=ftgd_allow src=10.40.2.15 dst=81.2.69.145 act=passthrough FTNTFGTcat=52 FTNTFGTcatdesc=Information Technology')],
    ['other', 'utm/app-ctrl', FCEF('1059028704', 'utm:app-ctrl signature pass', 'utm:app-ctrl', 'src=10.40.2.15 dst=81.2.69.145 act=pass FTNTFGTappcat=Video/Audio FTNTFGTapp=YouTube')],
    ['network_alert', 'utm/app-ctrl', FCEF('1059028704', 'utm:app-ctrl signature pass', 'utm:app-ctrl', 'src=10.40.2.15 dst=81.2.69.145 act=pass FTNTFGTappcat=Botnet FTNTFGTapp=Mirai.Botnet')],
    ['other', 'traffic', FCEF('0000000013', 'traffic:forward close', 'traffic:forward', 'src=81.2.69.144 spt=51515 dst=10.40.2.15 dpt=443 act=close proto=6')],
    ['other', 'event', FCEF('0101039947', 'event:vpn ssl-login-success', 'event:vpn', 'FTNTFGTaction=tunnel-up FTNTFGTremip=81.2.69.144 duser=jdoe outcome=success')],
  ];
  for (const [role, category, line] of rows) assert.deepEqual(cls(line, 'cef'), [role, category], line.slice(40, 100));
  // A phishing site blocked by the web filter: the site is the threat side (source.ip), as for key=value lines.
  const phish = decoded(text(FCEF('316013056', 'utm:webfilter ftgd_blk blocked', 'utm:webfilter', 'FTNTFGTeventtype=ftgd_blk src=10.40.2.15 spt=51515 dst=81.2.69.145 dpt=443 act=blocked FTNTFGTcat=61 FTNTFGTcatdesc=Phishing')), 'cef');
  assert.equal(phish.crosswatch.role, 'network_alert');
  assert.deepEqual(phish.source, { ip: '81.2.69.145', port: 443 });
});

test('CEF from other vendors: cefRole, now also taking VPN and identity status logs for what they are', () => {
  assert.deepEqual(cls('CEF:0|Acme|SSL VPN Gateway|3.1|1001|VPN Login|3|suser=jdoe src=81.2.69.144 outcome=success rt=1772636400000', 'cef'), ['other', 'log']);
  assert.deepEqual(cls('CEF:0|Acme|NGFW|5.0|hip|HIP Match|1|suser=jdoe src=81.2.69.144 rt=1772636400000', 'cef'), ['other', 'log']);
  assert.deepEqual(cls('CEF:0|Acme|NGFW|5.0|200|Tunnel|1|src=81.2.69.144 rt=1772636400000', 'cef'), ['other', 'log']);
  // A threat word still wins: a VPN brute force is an attack.
  assert.deepEqual(cls('CEF:0|Acme|SSL VPN Gateway|3.1|1002|VPN brute force detected|8|src=81.2.69.144 rt=1772636400000', 'cef'), ['network_alert', 'threat']);
  assert.deepEqual(cls('CEF:0|Trend Micro|Deep Security Agent|20.0|1008610|Apache Log4j Remote Code Execution Vulnerability|10|src=81.2.69.143 act=Reset rt=1772636400000', 'cef'), ['network_alert', 'threat']);
  // A vendor named like Palo Alto but writing no PAN-OS log type falls back to cefRole.
  assert.deepEqual(cls('CEF:0|Palo Alto Networks|Traps|7.0|1|Exploit blocked|8|src=81.2.69.143 rt=1772636400000', 'cef'), ['network_alert', 'threat']);
});

// --- Zeek -----------------------------------------------------------------------------------------------

const CONN = {
  ts: 1772636400.123456, uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '81.2.69.144', 'id.orig_p': 51515, 'id.resp_h': '10.40.2.15', 'id.resp_p': 443,
  proto: 'tcp', service: 'ssl', duration: 12.5, orig_bytes: 1720, resp_bytes: 4322, conn_state: 'SF', missed_bytes: 0, history: 'ShADadFf',
  orig_pkts: 12, orig_ip_bytes: 2352, resp_pkts: 12, resp_ip_bytes: 4954,
};
const ZEEK_OTHERS: Record<string, Record<string, unknown>> = {
  conn: CONN,
  dns: { ts: 1772636400.2, uid: 'C1x', 'id.orig_h': '10.40.2.15', 'id.orig_p': 53211, 'id.resp_h': '81.2.69.146', 'id.resp_p': 53, proto: 'udp', trans_id: 4711, query: 'example-cdn.net', qtype_name: 'A', rcode_name: 'NOERROR', answers: ['81.2.69.145'] },
  http: { ts: 1772636400.3, uid: 'C2x', 'id.orig_h': '10.40.2.15', 'id.orig_p': 51000, 'id.resp_h': '81.2.69.145', 'id.resp_p': 80, trans_depth: 1, method: 'GET', host: 'example-cdn.net', uri: '/', status_code: 200, request_body_len: 0 },
  ssl: { ts: 1772636400.4, uid: 'C3x', 'id.orig_h': '81.2.69.144', 'id.orig_p': 51515, 'id.resp_h': '10.40.2.15', 'id.resp_p': 443, version: 'TLSv13', cipher: 'TLS_AES_256_GCM_SHA384', server_name: 'vpn.contoso-branch.net', established: true },
  weird: { ts: 1772636400.5, uid: 'C4x', 'id.orig_h': '81.2.69.144', 'id.orig_p': 51515, 'id.resp_h': '10.40.2.15', 'id.resp_p': 443, name: 'truncated_tcp_payload', addl: '', notice: false, peer: 'zeek-edge' },
  files: { ts: 1772636400.6, fuid: 'FhWbEE3dN4xfBxtTYe', source: 'HTTP', analyzers: ['MD5', 'SHA1'], mime_type: 'application/x-dosexec', seen_bytes: 73802, total_bytes: 73802 },
  x509: { ts: 1772636400.7, id: 'FfR8Wd4FVeDf5v6LAg', 'certificate.version': 3, 'certificate.serial': '0A1B2C', 'certificate.subject': 'CN=vpn.contoso-branch.net' },
};

test('Zeek: conn, dns, http, ssl, weird, files and x509 records are read and counted as zeek-log <log>, never alerts', () => {
  for (const [kind, o] of Object.entries(ZEEK_OTHERS)) {
    const e = decoded(jsonRecord(o), 'zeek-log');
    assert.equal(e.crosswatch.role, 'other', kind);
    assert.equal(e.crosswatch.category, kind);
    assert.equal(e.event.dataset, `zeek.${kind}`);
    assert.equal(e.event.kind, 'event');
    assert.ok(e['@timestamp'].startsWith('2026-03-04T15:00:00.'), e['@timestamp']);
  }
  const conn = decoded(jsonRecord(CONN), 'zeek-log');
  assert.equal(conn['@timestamp'], '2026-03-04T15:00:00.123456Z');
  assert.deepEqual(conn.source, { ip: '81.2.69.144', port: 51515 });
  assert.deepEqual(conn.destination, { ip: '10.40.2.15', port: 443 });
  assert.equal(conn.network?.transport, 'tcp');
  assert.equal(conn.event.id, 'CHhAvVGS1DHFjwGM9');
  // TSV: framing gives string values and _path from the #path header; any log name is kept.
  const tsv = { _path: 'conn', ts: '1772636400.123456', uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '81.2.69.144', 'id.orig_p': '51515', 'id.resp_h': '10.40.2.15', 'id.resp_p': '443', proto: 'tcp', conn_state: 'SF' };
  const t = decoded(jsonRecord(tsv), 'zeek-log');
  assert.deepEqual([t.crosswatch.category, t['@timestamp'], t.source?.port], ['conn', '2026-03-04T15:00:00.123456Z', 51515]);
  assert.equal(decoded(jsonRecord({ _path: 'known_services', ts: '1772636400.0', host: '10.40.2.15', port_num: '443' }), 'zeek-log').crosswatch.category, 'known_services');
  // ISO 8601 ts (LogAscii::json_timestamps).
  assert.equal(decoded(jsonRecord({ ...CONN, ts: '2026-03-04T15:00:00.123456Z' }), 'zeek-log')['@timestamp'], '2026-03-04T15:00:00.123456Z');
});

test('Zeek: notices stay zeek-notice alerts; bad times are errors; other JSON is not a Zeek log', () => {
  const notice = { ts: 1772636400.1, note: 'Scan::Port_Scan', msg: '81.2.69.143 scanned at least 15 unique ports', src: '81.2.69.143', actions: ['Notice::ACTION_LOG'] };
  assert.equal(decoded(jsonRecord(notice), 'zeek-notice').crosswatch.role, 'network_alert');
  assert.equal(decoded(jsonRecord({ ...notice, _path: 'notice' }), 'zeek-notice').crosswatch.role, 'network_alert');
  assert.equal(zeekLog.accepts(jsonRecord({ ...notice, _path: 'notice' }), CTX), false);
  assert.equal(zeekLog.accepts(jsonRecord({ ts: '1', _path: 'notice_alarm', msg: 'x' }), CTX), false);
  assert.equal(zeekNotice.accepts(jsonRecord(CONN), CTX), false);
  const noTs: Record<string, unknown> = { _path: 'conn', ...CONN };
  delete noTs['ts'];
  assert.equal(zeekLog.accepts(jsonRecord(noTs), CTX), false, 'no ts: no Zeek log');
  fails(zeekLog.decode(jsonRecord({ ...CONN, ts: '' }), CTX), 'missing-time');
  fails(zeekLog.decode(jsonRecord({ ...CONN, ts: 'later' }), CTX), 'invalid-time');
  for (const o of [
    { ts: 1772636400, id: 'a1', status_code: 200 }, // an API log with an id
    { '@timestamp': '2026-03-04T15:00:00Z', ts: 1, uid: 'C1', 'id.orig_h': '81.2.69.144', event: { kind: 'event' } }, // ECS
    { timestamp: '2026-03-04T15:00:00.000000+0000', event_type: 'flow', src_ip: '81.2.69.144', ts: 1, uid: 'C1', 'id.orig_h': '81.2.69.144' }, // EVE
    { ts: 1772636400, _path: 42 }, { ts: 1772636400, _path: 'conn log; rm -rf /' },
  ]) {
    assert.equal(zeekLog.accepts(jsonRecord(o), CTX), false, JSON.stringify(o));
  }
  assert.equal(zeekLog.cues.filter((c) => c.test(jsonRecord(CONN))).length, zeekLog.cues.length);
});

// --- Through the batch pipeline ------------------------------------------------------------------------

const SIGNIN_AT = '2026-03-04T16:00:00.1234567Z';

test('false positive: a GlobalProtect VPN login from X, then X signs in: no alert; a PAN-OS THREAT from Y, then Y signs in: alert', async () => {
  const X = '81.2.69.144'; // the remote worker's home address (GlobalProtect CEF)
  const Z = '81.2.69.147'; // another one, GlobalProtect in PAN-OS CSV
  const W = '81.2.69.148'; // FortiGate SSL VPN login (event log) and traffic
  const V = '81.2.69.149'; // only seen by Zeek conn.log
  const Y = '81.2.69.143'; // an attacker: PAN-OS THREAT via CEF
  const dir = mkdtempSync(join(tmpdir(), 'cw-alert-class-'));
  writeFileSync(join(dir, 'firewall.log'), [
    GP_CEF(X),
    PANOS_NOT_ALERTS['GLOBALPROTECT']!.replaceAll('81.2.69.144', Z),
    PANOS_CEF_NOT_ALERTS['HIPMATCH']!.replaceAll('81.2.69.144', X),
    FGT('event', 'vpn', `logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" remip=${W} srcip=${W} user="jdoe" status="success"`),
    FGT('traffic', 'forward', `srcip=${W} srcport=51515 dstip=10.40.2.15 dstport=443 action="accept" proto=6 service="HTTPS"`),
    THREAT_CEF(Y),
  ].join('\n') + '\n');
  writeFileSync(join(dir, 'conn.log'), [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn', '#open\t2026-03-04-15-00-00',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\tconn_state',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tstring',
    `1772636400.123456\tCHhAvVGS1DHFjwGM9\t${V}\t51515\t10.40.2.15\t443\ttcp\tssl\t12.5\tSF`,
    '#close\t2026-03-04-16-00-00',
  ].join('\n') + '\n');
  writeFileSync(join(dir, 'signins.json'), [X, Z, W, V, Y].map((ip, i) => signinLine(ip, SIGNIN_AT, `user${i}@contoso.com`)).join('\n') + '\n');
  const inputs = await expandInputs([dir]);
  for (const fastScan of [false, true]) {
    const res = await runBatch(inputs.files, {
      config: buildConfig({}), rules: loadRules(), fastScan, threads: 1,
      decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 10), ns: 0 } },
    });
    assert.equal(res.counters.totalRejected, 0, JSON.stringify(res.counters.rejectSamples));
    assert.deepEqual(res.alerts.map((a) => a.source.ip), [Y], `fastScan ${fastScan}`);
    assert.equal(res.counters.roles.network_alert, 1);
    if (fastScan) continue;
    // The summary names what was read and skipped, by decoder and kind, once each.
    const summary = huntSummary(res, 1000, new Map());
    const line = summary.split('\n').find((l) => l.startsWith('not alerts, counted and skipped: '));
    assert.ok(line, summary);
    const kinds = new Map(line.slice('not alerts, counted and skipped: '.length).split(', ').map((kv) => {
      const at = kv.lastIndexOf(' ');
      return [kv.slice(0, at), Number(kv.slice(at + 1))] as const;
    }));
    assert.deepEqual(Object.fromEntries(kinds), {
      'cef GLOBALPROTECT': 1, 'cef HIPMATCH': 1, 'panos-threat GLOBALPROTECT': 1, 'fortigate event': 1, 'fortigate traffic': 1, 'zeek-log conn': 1,
    });
  }
});
