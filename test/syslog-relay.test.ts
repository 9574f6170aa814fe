// A real rsyslog relay in front of crosswatch. rsyslogd (non-daemon, its own
// config and work folder, loopback only, no imklog/imuxsock) takes device lines
// (CEF, PAN-OS THREAT, FortiGate IPS, Snort alert_syslog, an RFC 5424 CEF with
// structured data and a BOM, and a message another relay already wrapped) on
// one imtcp input per route, and
//   (a) forwards them to `crosswatch serve`'s syslog listeners with omfwd: TCP
//       octet-counted, TCP newline-framed and UDP, each in RSYSLOG_ForwardFormat,
//       RSYSLOG_SyslogProtocol23Format and RSYSLOG_TraditionalForwardFormat;
//   (b) files them with omfile in RSYSLOG_FileFormat and
//       RSYSLOG_TraditionalFileFormat, which `crosswatch hunt` then reads.
// A sign-in from each device line's source IP follows; every one must alert,
// with the device's time (not the relay's, not the arrival time) as evidence.
//
// Skipped with the reason when rsyslogd is not installed, unless
// CROSSWATCH_REQUIRE_SYSLOG=1 (CI), where its absence fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCli, type Run } from './cli-run.js';
import { signinLine } from './scenario-lines.js';
import { allAlerts, startServe, waitFor, type Served } from './serve-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'relay-test-token-0123456789abcdef01234';
const REQUIRE = process.env.CROSSWATCH_REQUIRE_SYSLOG === '1';

/** rsyslogd on PATH or in the sbin folders; CROSSWATCH_RSYSLOGD names another binary (or, when it does not exist, none). */
function findRsyslogd(): string | undefined {
  const given = process.env.CROSSWATCH_RSYSLOGD;
  if (given !== undefined) return existsSync(given) ? given : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.map((d) => join(d, 'rsyslogd')).find((p) => existsSync(p));
}
const RSYSLOGD = findRsyslogd();
const MISSING = RSYSLOGD === undefined ? 'rsyslogd not found (Debian package rsyslog)' : undefined;

// --- device lines ------------------------------------------------------------

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');
/** RFC 3164 time, UTC: "Mar  4 09:59:59". */
const bsd = (ms: number): string => {
  const d = new Date(ms);
  return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
};
/** "2024/03/04 09:59:59" (PAN-OS) and "2024-03-04" / "09:59:59" (FortiGate), UTC. */
const ymd = (ms: number, sep: string): string => new Date(ms).toISOString().slice(0, 10).replace(/-/g, sep);
const hms = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

type Kind = 'cef' | 'panos' | 'fortigate' | 'snort' | 'cef5424' | 'wrapped';
const KINDS: Kind[] = ['cef', 'panos', 'fortigate', 'snort', 'cef5424', 'wrapped'];

interface Device {
  kind: Kind;
  ip: string;
  line: string;
  /** The network alert's time as crosswatch must read it, by whether the relay wrote a traditional (3164, zone-less) header. */
  at(traditional: boolean): string;
  /** The sensor crosswatch must name, when the header is where it comes from. */
  sensor?: string;
}

function panosThreat(t: number, src: string, r: number): string {
  const f = [
    '1', `${ymd(t, '/')} ${hms(t)}`, '016201028374', 'THREAT', 'vulnerability', '2561', `${ymd(t, '/')} ${hms(t)}`,
    src, '81.2.69.143', '0.0.0.0', '0.0.0.0', 'inbound-web', '', '', 'web-browsing', 'vsys1', 'untrust', 'dmz',
    'ethernet1/1', 'ethernet1/3', 'log-fwd', `${ymd(t, '/')} ${hms(t)}`, '442211', '1', '50312', '443', '0', '0', '0x2000',
    'tcp', 'reset-both', '"/cgi-bin/luci"', 'OpenWrt LuCI Command Injection Vulnerability(93877)', 'any', 'critical',
    // The sequence number is the record id: one per route, or the copies would be one record.
    'client-to-server', String(7301122334 + r), '0x2000000000000000', 'Netherlands', 'Netherlands', '0', '', '0', '', '', '0',
  ];
  return f.join(',');
}

/** Route `r`'s device lines: its own source IPs, all at device time `t` (UTC, whole seconds). */
function devices(r: number, t: number): Device[] {
  const ip = (k: number): string => `45.33.${40 + r}.${11 + k}`;
  const plain = (): string => new Date(t).toISOString();
  return [
    {
      kind: 'cef', ip: ip(0), at: plain, sensor: `fw${r}`,
      // No rt/end/start: the header's time is the only time.
      line: `<134>${bsd(t)} fw${r} CEF:0|Acme|EdgeWall|9.1|3001|Port scan detected|7|src=${ip(0)} dst=81.2.69.143 spt=51234 dpt=3306 act=blocked`,
    },
    { kind: 'panos', ip: ip(1), at: plain, sensor: 'PA-3260', line: `<14>${bsd(t)} PA-3260 ${panosThreat(t, ip(1), r)}` },
    {
      kind: 'fortigate', ip: ip(2), at: plain, sensor: 'FGT-EDGE',
      // FortiOS sends no syslog time or host: just "<PRI>" and its key=value pairs.
      line: `<189>date=${ymd(t, '-')} time=${hms(t)} devname="FGT-EDGE" devid="FG100FTK19004411" logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="high" srcip=${ip(2)} srcport=40110 dstip=81.2.69.143 dstport=443 action="dropped" proto=6 service="HTTPS" attack="Apache.Log4j.Error.Log.Remote.Code.Execution" attackid=51006 msg="applications3:\tApache.Log4j"`,
    },
    {
      kind: 'snort', ip: ip(3), at: plain, sensor: `ids${r}`,
      line: `<33>${bsd(t)} ids${r} snort[2231]: [1:2010937:3] ET SCAN Suspicious inbound to mySQL port 3306 [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} ${ip(3)}:51234 -> 81.2.69.143:3306`,
    },
    {
      kind: 'cef5424', ip: ip(4),
      // A zone-ful time with microseconds. A traditional (3164) header keeps the device's wall
      // clock and drops zone and fraction: read as UTC, it is an hour late (docs/formats.md).
      at: (traditional) => (traditional ? new Date(t + 3_600_000).toISOString() : `${new Date(t).toISOString().slice(0, 19)}.123456Z`),
      line: `<134>1 ${iso(t + 3_600_000).replace('Z', '.123456+01:00')} fw5424-${r} ngfw 77 THREAT [origin@32473 ip="81.2.69.143" note="x\\]y \\"q\\""][meta@32473 seq="9"] \uFEFFCEF:0|Acme|EdgeWall|9.1|3002|Exploit attempt blocked|9|src=${ip(4)} dst=81.2.69.143 act=blocked`,
      sensor: `fw5424-${r}`,
    },
    {
      kind: 'wrapped', ip: ip(5), at: plain, sensor: `fw-inner${r}`,
      // Another relay already forwarded it with the device's header kept inside, a minute later.
      line: `<134>${bsd(t + 60_000)} relay-up${r} <134>${bsd(t)} fw-inner${r} CEF:0|Acme|EdgeWall|9.1|3001|Port scan detected|7|src=${ip(5)} dst=81.2.69.143`,
    },
  ];
}

// --- routes ------------------------------------------------------------------

interface Route {
  name: string;
  traditional: boolean;
  /** rsyslog action for this route (TCP/UDP targets are filled in later). */
  action(o: { tcp: number; udp: number; dir: string }): string;
  file?: string;
}

const TEMPLATES = [
  ['fwd', 'RSYSLOG_ForwardFormat', false],
  ['ietf', 'RSYSLOG_SyslogProtocol23Format', false],
  ['tfwd', 'RSYSLOG_TraditionalForwardFormat', true],
] as const;

const ROUTES: Route[] = [
  ...TEMPLATES.flatMap(([short, template, traditional]): Route[] => [
    { name: `tcp-octet-${short}`, traditional, action: (o) => `action(type="omfwd" target="127.0.0.1" port="${o.tcp}" protocol="tcp" TCP_Framing="octet-counted" template="${template}")` },
    { name: `tcp-newline-${short}`, traditional, action: (o) => `action(type="omfwd" target="127.0.0.1" port="${o.tcp}" protocol="tcp" TCP_Framing="traditional" template="${template}")` },
    { name: `udp-${short}`, traditional, action: (o) => `action(type="omfwd" target="127.0.0.1" port="${o.udp}" protocol="udp" template="${template}")` },
  ]),
  { name: 'file-rfc3339', traditional: false, file: 'relay-fileformat.log', action: (o) => `action(type="omfile" file="${join(o.dir, 'out', 'relay-fileformat.log')}" template="RSYSLOG_FileFormat")` },
  { name: 'file-traditional', traditional: true, file: 'relay-traditional.log', action: (o) => `action(type="omfile" file="${join(o.dir, 'out', 'relay-traditional.log')}" template="RSYSLOG_TraditionalFileFormat")` },
];

function rsyslogConfig(dir: string, tcp: number, udp: number): string {
  const lines = [
    // permitSlashInProgramName: without it RSYSLOG_SyslogProtocol23Format cuts a PAN-OS line's
    // first word "1,2024/03/04" at the slash (see docs/formats.md).
    `global(workDirectory="${join(dir, 'work')}" maxMessageSize="64k" parser.permitSlashInProgramName="on")`,
    'module(load="imtcp")',
  ];
  ROUTES.forEach((r, i) => {
    lines.push(`input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="${join(dir, `port-${i}`)}" ruleset="${r.name}")`);
    lines.push(`ruleset(name="${r.name}") { ${r.action({ tcp, udp, dir })} }`);
  });
  return `${lines.join('\n')}\n`;
}

// --- helpers -----------------------------------------------------------------


function sendLines(port: number, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(`${lines.join('\n')}\n`));
    s.setTimeout(5000, () => s.destroy(new Error('send timed out')));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

function stopProcess(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      resolve();
    }, 3000);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

type Evidence = { '@timestamp': string; sensor?: string };
type ApiAlert = { source: { ip: string }; crosswatch: { evidence: { network_alerts: Evidence[] } } };

const alerts = (base: string): Promise<ApiAlert[]> => allAlerts<ApiAlert>(base, TOKEN);

function hunt(args: string[]): Promise<Run> {
  return runCli(['hunt', ...args, '--format', 'ndjson']);
}

/** Checks every device line of the given routes alerted, with its device time and sensor. */
function checkAlerts(got: ApiAlert[], routes: Array<[number, Route]>, t: number): void {
  const byIp = new Map(got.map((a) => [a.source.ip, a]));
  const problems: string[] = [];
  for (const [r, route] of routes) {
    for (const d of devices(r, t)) {
      const a = byIp.get(d.ip);
      const where = `${route.name} ${d.kind} (${d.ip})`;
      if (!a) {
        problems.push(`${where}: no alert`);
        continue;
      }
      const ev = a.crosswatch.evidence.network_alerts[0];
      if (ev?.['@timestamp'] !== d.at(route.traditional)) problems.push(`${where}: network alert at ${ev?.['@timestamp']}, expected ${d.at(route.traditional)}`);
      if (d.sensor !== undefined && ev?.sensor !== d.sensor) problems.push(`${where}: sensor ${ev?.sensor}, expected ${d.sensor}`);
    }
  }
  assert.deepEqual(problems, []);
}

// --- the test ----------------------------------------------------------------

if (MISSING && REQUIRE) {
  test('rsyslogd is installed (CROSSWATCH_REQUIRE_SYSLOG=1)', () => {
    assert.fail(MISSING);
  });
}

test('rsyslog relays CEF, PAN-OS, FortiGate and Snort to serve and to files for hunt; each alerts with the device time', { skip: MISSING && `${MISSING}; CROSSWATCH_REQUIRE_SYSLOG=1 makes this a failure`, timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-relay-'));
  mkdirSync(join(dir, 'work'));
  mkdirSync(join(dir, 'out'));
  // Device time: two hours ago in whole seconds, so rsyslog's year for a 3164 time and crosswatch's agree.
  const t = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
  const signinAt = new Date(t + 3_600_000 * 2 - 60_000).toISOString().replace(/\.\d{3}Z$/, '.0000000Z');

  // serve from the sources (dist/ may be another build), with both syslog listeners.
  const entry = join(dir, 'serve-entry.mjs');
  writeFileSync(entry, [
    `import { main } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'cli', 'main.ts')).href)};`,
    'main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 1; });',
  ].join('\n'));
  let served: Served | undefined;
  let rsyslog: ChildProcess | undefined;
  let rsyslogErr = '';
  try {
    served = await startServe(
      ['--host', '127.0.0.1', '--data-dir', join(dir, 'data'), '--token', TOKEN, '--syslog-tcp', '0', '--syslog-udp', '0'],
      { ...process.env, TZ: 'UTC' }, ['--import', import.meta.resolve('tsx')], entry,
    );
    const tcp = Number(/syslog tcp (\d+)/.exec(served.line)?.[1]);
    const udp = Number(/syslog udp (\d+)/.exec(served.line)?.[1]);
    assert.ok(tcp > 0 && udp > 0, served.line);

    writeFileSync(join(dir, 'rsyslog.conf'), rsyslogConfig(dir, tcp, udp));
    // TZ=UTC: a relay stamps zone-less 3164 times with its own zone; crosswatch reads them as UTC.
    rsyslog = spawn(RSYSLOGD!, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', TZ: 'UTC' },
    });
    rsyslog.stdout!.on('data', (c: Buffer) => { rsyslogErr += c.toString(); });
    rsyslog.stderr!.on('data', (c: Buffer) => { rsyslogErr += c.toString(); });
    const ports = await waitFor('rsyslogd to listen', 10_000, () => {
      if (rsyslog!.exitCode !== null) throw new Error(`rsyslogd exited ${rsyslog!.exitCode}: ${rsyslogErr}`);
      const files = ROUTES.map((_, i) => join(dir, `port-${i}`));
      if (!files.every((f) => existsSync(f))) return undefined;
      const ps = files.map((f) => Number(readFileSync(f, 'utf8').trim()));
      return ps.every((p) => p > 0) ? ps : undefined;
    });

    // The sign-ins first (an alert raised when the network alert arrives later is the same alert).
    const forwarded = ROUTES.map((r, i) => [i, r] as [number, Route]).filter(([, r]) => r.file === undefined);
    const filed = ROUTES.map((r, i) => [i, r] as [number, Route]).filter(([, r]) => r.file !== undefined);
    const signins = forwarded.flatMap(([i]) => devices(i, t).map((d) => signinLine(d.ip, signinAt, 'adele.vance@contoso.com', `relay-${d.ip}`)));
    const ingest = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: signins.join('\n') });
    assert.equal(ingest.status, 200, await ingest.text());

    await Promise.all(ROUTES.map((_, i) => sendLines(ports[i]!, devices(i, t).map((d) => d.line))));

    // (a) serve: one alert per device line, for every transport and template.
    const want = forwarded.length * KINDS.length;
    const got = await waitFor(`${want} alerts from serve`, 12_000, async () => {
      const a = await alerts(served!.base);
      return a.length >= want ? a : undefined;
    }).catch(async (err: Error) => {
      // Name what is missing rather than only that something is.
      checkAlerts(await alerts(served!.base), forwarded, t);
      throw err;
    });
    checkAlerts(got, forwarded, t);

    // (b) files: hunt reads each file rsyslog wrote, with the sign-ins beside it.
    const signinFile = join(dir, 'signins.json');
    writeFileSync(signinFile, `${filed.flatMap(([i]) => devices(i, t).map((d) => signinLine(d.ip, signinAt, 'adele.vance@contoso.com', `relay-${d.ip}`))).join('\n')}\n`);
    for (const [i, route] of filed) {
      const file = join(dir, 'out', route.file!);
      await waitFor(`${route.file} to hold ${KINDS.length} lines`, 8_000, () =>
        existsSync(file) && readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= KINDS.length ? true : undefined);
      const run = await hunt([file, signinFile]);
      assert.equal(run.code, 0, run.stderr);
      const found = run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ApiAlert);
      checkAlerts(found, [[i, route]], t);
      assert.equal(found.length, KINDS.length, `${route.name}: ${run.stdout}\n${readFileSync(file, 'utf8')}`);
    }
  } finally {
    await stopProcess(rsyslog);
    if (served) await stopProcess(served.proc);
    rmSync(dir, { recursive: true, force: true });
  }
});
