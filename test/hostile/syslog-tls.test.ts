// Syslog over TLS (RFC 5425) with client certificates (issue #15, item 7). The
// syslog ports need no token, so the TLS one takes only senders that present a
// certificate from the configured CA: a client with none, with one from another
// CA or an expired one, or plain TCP to the TLS port, is counted
// (crosswatch_syslog_tls_rejected_total), logged and closed, and nothing it sent
// is stored; the service goes on serving. --syslog-allow applies before the
// handshake. The certificates are made here with the openssl CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { ConfigError } from '../../src/detect/config.js';
import { serveSettings } from '../../src/cli/serve.js';
import type { FramedItem } from '../../src/inputs/framing.js';
import { SyslogServer } from '../../src/inputs/syslog-server.js';
import { signinLine } from '../scenario-lines.js';
import { BIN, allAlerts, startServe, waitFor, type Served } from '../serve-process.js';

const TOKEN = 't'.repeat(40);

function findOpenssl(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  return dirs.map((d) => join(d, 'openssl')).find((p) => existsSync(p));
}
const OPENSSL = findOpenssl();
const NO_OPENSSL = OPENSSL === undefined ? 'openssl not found (Debian package openssl): it makes the test certificates' : false;
const REQUIRE_SYSLOG = process.env.CROSSWATCH_REQUIRE_SYSLOG === '1';

/** rsyslogd as test/syslog-relay.test.ts finds it (CROSSWATCH_RSYSLOGD names another), and whether its GnuTLS driver is installed. */
function findRsyslogGtls(): { rsyslogd?: string; missing?: string } {
  const given = process.env.CROSSWATCH_RSYSLOGD;
  const rsyslogd = given !== undefined
    ? (existsSync(given) ? given : undefined)
    : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'].map((d) => join(d, 'rsyslogd')).find((p) => existsSync(p));
  if (!rsyslogd) return { missing: 'rsyslogd not found (Debian package rsyslog)' };
  // Debian puts the modules in /usr/lib/<triplet>/rsyslog; others in /usr/lib{,64}/rsyslog.
  const libs = ['/usr/lib', '/usr/lib64', '/usr/local/lib'].flatMap((d) => {
    let subs: string[] = [];
    try {
      subs = readdirSync(d);
    } catch {
      // no such folder
    }
    return [join(d, 'rsyslog'), ...subs.map((s) => join(d, s, 'rsyslog'))];
  });
  if (!libs.some((d) => existsSync(join(d, 'lmnsd_gtls.so')))) return { rsyslogd, missing: 'rsyslog\'s GnuTLS driver lmnsd_gtls.so not found (Debian package rsyslog-gnutls)' };
  return { rsyslogd };
}
const GTLS = findRsyslogGtls();

// --- certificates ------------------------------------------------------------

interface Certs {
  dir: string;
  /** The CA client certificates must chain to, and the server's certificate and key (for 127.0.0.1). */
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Client certificates: from the CA (CN relay01), from another CA, and from the CA but expired in 2020. */
  good: { cert: string; key: string };
  foreign: { cert: string; key: string };
  expired: { cert: string; key: string };
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync(OPENSSL!, args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** P-256 keys (fast to make); a config of our own, so the system's openssl.cnf does not matter. */
function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'cw-syslog-tls-'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'openssl.cnf'), [
    '[ req ]', 'distinguished_name = dn', '[ dn ]',
    '[ ca_ext ]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash',
    '[ server_ext ]', 'basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth', 'subjectAltName = IP:127.0.0.1',
    '[ client_ext ]', 'basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = clientAuth',
    // `openssl ca` only for the expired certificate: x509 -req cannot date one in the past.
    '[ ca ]', 'default_ca = ca_default',
    '[ ca_default ]', `database = ${join(dir, 'index.txt')}`, `new_certs_dir = ${dir}`, 'rand_serial = yes', 'default_md = sha256', 'policy = policy_any',
    '[ policy_any ]', 'commonName = supplied',
    '',
  ].join('\n'));
  const cnf = ['-config', 'openssl.cnf'];
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const ca = (name: string, cn: string): void => openssl(dir, ['req', '-x509', ...cnf, '-extensions', 'ca_ext', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`]);
  let serial = 1;
  const leaf = (name: string, cn: string, by: string, ext: string): void => {
    openssl(dir, ['req', '-new', ...cnf, ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.pem`, '-CAkey', `${by}.key`, '-set_serial', String(serial++), '-days', '2', '-extfile', 'openssl.cnf', '-extensions', ext, '-out', `${name}.pem`]);
  };
  ca('ca', 'crosswatch test CA');
  ca('other-ca', 'someone else CA');
  leaf('server', '127.0.0.1', 'ca', 'server_ext');
  leaf('client', 'relay01', 'ca', 'client_ext');
  leaf('foreign', 'relay01', 'other-ca', 'client_ext');
  openssl(dir, ['req', '-new', ...cnf, ...ec, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=relay-old']);
  openssl(dir, ['ca', '-batch', ...cnf, '-extensions', 'client_ext', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext']);
  const p = (f: string): string => join(dir, f);
  return {
    dir, ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'),
    good: { cert: p('client.pem'), key: p('client.key') },
    foreign: { cert: p('foreign.pem'), key: p('foreign.key') },
    expired: { cert: p('expired.pem'), key: p('expired.key') },
  };
}

let made: Certs | undefined;
/** Made once, for every test of this file that needs them. */
function certs(): Certs {
  made ??= makeCerts();
  return made;
}
process.on('exit', () => {
  if (made) rmSync(made.dir, { recursive: true, force: true });
});

// --- senders -----------------------------------------------------------------

/** A network alert as a device sends it: CEF with an RFC 5424 header, dated `ms`. */
function cefLine(ip: string, ms: number): string {
  return `<134>1 ${new Date(ms).toISOString()} fw01 ngfw - - - CEF:0|Acme|EdgeWall|9.1|3001|Port scan detected|7|src=${ip} dst=81.2.69.143 spt=51234 dpt=3306 act=blocked`;
}

/** RFC 5425 / 6587 octet counting: "LEN SP MSG". */
function octetCounted(lines: string[]): string {
  return lines.map((l) => `${Buffer.byteLength(l)} ${l}`).join('');
}

/** Whether the client's side of the handshake finished, whether the server closed the connection (before `holdMs`), and the client's error. */
type Sent = { secured: boolean; closedByServer: boolean; error?: string };

/**
 * Connects over TLS (trusting the test CA for the server), writes `data` once the
 * client's side of the handshake is done, and waits for the server to close the
 * connection (or closes it after `holdMs`). A rejected client may get that far:
 * in TLS 1.3 the server checks the client certificate after the client is done.
 */
function sendTls(port: number, client: { cert: string; key: string } | undefined, data: string, holdMs = 1500): Promise<Sent> {
  const c = certs();
  const opts: ConnectionOptions = {
    host: '127.0.0.1', port, ca: readFileSync(c.ca),
    ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
  };
  return new Promise((resolve) => {
    const out: Sent = { secured: false, closedByServer: true };
    const sock = connectTls(opts, () => {
      out.secured = true;
      sock.write(data);
    });
    const timer = setTimeout(() => {
      out.closedByServer = false;
      sock.end();
    }, holdMs);
    sock.on('data', () => {});
    sock.on('error', (err: NodeJS.ErrnoException) => { out.error = err.code ?? err.message; });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Plain TCP to the TLS port: syslog as a TCP sender would write it. */
function sendPlain(port: number, data: string): Promise<'closed by the server' | 'left open'> {
  return new Promise((resolve) => {
    const sock = connectTcp(port, '127.0.0.1', () => sock.write(data));
    const timer = setTimeout(() => { sock.destroy(); resolve('left open'); }, 5000);
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve('closed by the server'); });
  });
}


async function metrics(served: Served): Promise<string> {
  const r = await fetch(`${served.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  return r.text();
}

const counter = (text: string, name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

async function stopServe(served: Served | undefined): Promise<void> {
  if (!served || served.proc.exitCode !== null) return;
  const exited = new Promise((r) => served.proc.once('exit', r));
  served.proc.kill('SIGTERM');
  await exited;
}

function tlsArgs(c: Certs): string[] {
  return ['--syslog-tls', '0', '--syslog-tls-cert', c.serverCert, '--syslog-tls-key', c.serverKey, '--syslog-tls-ca', c.ca];
}

type ApiAlert = { source: { ip: string }; crosswatch: { evidence: { network_alerts: Array<{ '@timestamp': string }> } } };

// --- the service -------------------------------------------------------------

test('serve: a client certificate from the CA sends over TLS and alerts; no certificate, a foreign or expired one, and plain TCP are counted, closed and stored nothing', { skip: NO_OPENSSL, timeout: 90_000 }, async () => {
  const c = certs();
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-syslog-tls-data-'));
  let served: Served | undefined;
  try {
    served = await startServe(['--data-dir', dataDir, '--token', TOKEN, ...tlsArgs(c)]);
    const port = Number(/syslog tls (\d+)/.exec(served.line)?.[1]);
    assert.ok(port > 0, served.line);

    // Device time two hours ago; each address signs in a minute ago.
    const t = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
    const signinAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, '.0000000Z');
    const ip = {
      good: '45.33.70.11', goodLater: '45.33.70.12', goodNewline: '45.33.70.13',
      noCert: '45.33.70.21', foreign: '45.33.70.22', expired: '45.33.70.23', plain: '45.33.70.24', plainOctet: '45.33.70.25',
    };
    const signins = Object.values(ip).map((a) => signinLine(a, signinAt, 'adele.vance@contoso.com', `tls-${a}`));
    const ingest = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: signins.join('\n') });
    assert.equal(ingest.status, 200, await ingest.text());

    // (1) The right certificate: octet-counted frames, and a newline-framed line after them.
    const good = await sendTls(port, c.good, `${octetCounted([cefLine(ip.good, t)])}${cefLine(ip.goodNewline, t)}\n`, 500);
    assert.equal(good.secured, true, `good client: ${good.error}`);
    await waitFor('the good client\'s alerts', 15_000, async () => {
      const got = new Set((await allAlerts<ApiAlert>(served!.base, TOKEN)).map((a) => a.source.ip));
      return got.has(ip.good) && got.has(ip.goodNewline) ? true : undefined;
    });

    // (2)–(4) The rejected ones, each writing a network alert of its own if it gets the chance.
    const noCert = await sendTls(port, undefined, octetCounted([cefLine(ip.noCert, t)]));
    const foreign = await sendTls(port, c.foreign, octetCounted([cefLine(ip.foreign, t)]));
    const expired = await sendTls(port, c.expired, octetCounted([cefLine(ip.expired, t)]));
    const plain = await sendPlain(port, `${cefLine(ip.plain, t)}\n`);
    const plainOctet = await sendPlain(port, octetCounted([cefLine(ip.plainOctet, t)]));
    for (const [name, r] of Object.entries({ noCert, foreign, expired })) {
      assert.ok(r.closedByServer, `${name}: the server closes the connection (${JSON.stringify(r)})`);
    }
    // Without a certificate the client is told why (a TLS alert); a refused certificate is just closed.
    assert.equal(noCert.error, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.equal(plain, 'closed by the server');
    assert.equal(plainOctet, 'closed by the server');
    const m = await waitFor('5 TLS rejections in /metrics', 10_000, async () => {
      const text = await metrics(served!);
      return counter(text, 'crosswatch_syslog_tls_rejected_total') >= 5 ? text : undefined;
    });
    assert.equal(counter(m, 'crosswatch_syslog_tls_rejected_total'), 5);
    assert.equal(counter(m, 'crosswatch_syslog_refused_total'), 0, 'loopback is allowed');

    // The service goes on: the right certificate still works after them.
    const later = await sendTls(port, c.good, octetCounted([cefLine(ip.goodLater, t)]), 500);
    assert.equal(later.secured, true, `good client after the rejected ones: ${later.error}`);
    const alerts = await waitFor('the later good client\'s alert', 15_000, async () => {
      const a = await allAlerts<ApiAlert>(served!.base, TOKEN);
      return a.some((x) => x.source.ip === ip.goodLater) ? a : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    const ips = new Set((await allAlerts<ApiAlert>(served.base, TOKEN)).map((a) => a.source.ip));
    assert.deepEqual([...ips].sort(), [ip.good, ip.goodLater, ip.goodNewline].sort(), 'only the right certificate\'s records are stored');
    const evidence = alerts.find((a) => a.source.ip === ip.good)!.crosswatch.evidence.network_alerts[0]!;
    assert.equal(evidence['@timestamp'], new Date(t).toISOString(), 'the device\'s time');
    const after = await metrics(served);
    // Three records over TLS, from the TLS source; none from any other.
    assert.match(after, /crosswatch_records_total\{source="syslog tls 127\.0\.0\.1",decoder="cef"\} 3/);
    assert.equal(counter(after, 'crosswatch_syslog_tls_rejected_total'), 5);
    assert.equal((await fetch(`${served.base}/healthz`)).status, 200);
  } finally {
    await stopServe(served);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('serve: --syslog-allow applies to TLS before the handshake: the right certificate from outside the networks is refused', { skip: NO_OPENSSL, timeout: 60_000 }, async () => {
  const c = certs();
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-syslog-tls-data-'));
  let served: Served | undefined;
  try {
    served = await startServe(['--data-dir', dataDir, '--token', TOKEN, '--syslog-allow', '10.0.0.0/8', ...tlsArgs(c)]);
    const port = Number(/syslog tls (\d+)/.exec(served.line)?.[1]);
    const t = Date.now() - 3_600_000;
    const r = await sendTls(port, c.good, octetCounted([cefLine('45.33.71.11', t)]));
    assert.equal(r.secured, false, 'no handshake with a refused sender');
    const m = await waitFor('the refusal in /metrics', 10_000, async () => {
      const text = await metrics(served!);
      return counter(text, 'crosswatch_syslog_refused_total') >= 1 ? text : undefined;
    });
    assert.equal(counter(m, 'crosswatch_syslog_refused_total'), 1);
    assert.equal(counter(m, 'crosswatch_syslog_tls_rejected_total'), 0, 'a refusal is not a failed handshake');
    assert.doesNotMatch(m, /source="syslog tls/);
  } finally {
    await stopServe(served);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// --- the listener on its own ---------------------------------------------------

test('SyslogServer: warnings name the peer and why (and the certificate CN of an accepted sender); a silent connection is closed at the handshake timeout', { skip: NO_OPENSSL, timeout: 30_000 }, async () => {
  const c = certs();
  const got: FramedItem[] = [];
  const warnings: string[] = [];
  const server = new SyslogServer({
    host: '127.0.0.1', ingest: (items) => got.push(...items), onSenderProblem: (w) => warnings.push(w), onError: (e) => warnings.push(`ERROR ${e.message}`),
    tls: { port: 0, cert: readFileSync(c.serverCert), key: readFileSync(c.serverKey), ca: readFileSync(c.ca), handshakeTimeoutMs: 300 },
  });
  await server.start();
  try {
    const port = server.tlsAddress!.port;
    // An accepted sender with a lying octet count: the framing warning names its certificate.
    await sendTls(port, c.good, `5 <134>1 2026-03-04T10:00:00Z fw01 x - - - hello\n`, 300);
    await waitFor('the framing warning', 3000, () => (warnings.some((w) => w.includes('octet count')) ? true : undefined));
    assert.match(warnings.find((w) => w.includes('octet count'))!, /^syslog tls from 127\.0\.0\.1:\d+ \(CN=relay01\): octet count \d+ does not match/);
    warnings.length = 0;

    await sendTls(port, undefined, 'x');
    await sendTls(port, c.foreign, 'x');
    await sendTls(port, c.expired, 'x');
    await sendPlain(port, '<134>hello\n');
    const silent = await sendPlain(port, '');
    assert.equal(silent, 'closed by the server', 'a connection that never starts its handshake is closed');
    await waitFor('5 rejections', 3000, () => (server.tlsRejected >= 5 ? true : undefined));
    assert.equal(server.tlsRejected, 5);
    assert.equal(server.refused, 0);
    const want = [
      /^syslog tls from 127\.0\.0\.1:\d+ rejected: no client certificate/,
      /^syslog tls from 127\.0\.0\.1:\d+ rejected: client certificate not accepted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
      /^syslog tls from 127\.0\.0\.1:\d+ rejected: client certificate not accepted \(CERT_HAS_EXPIRED\)/,
      /^syslog tls from 127\.0\.0\.1:\d+ rejected: not a TLS handshake \(ERR_SSL_WRONG_VERSION_NUMBER\)/,
      /^syslog tls from 127\.0\.0\.1:\d+ rejected: TLS handshake not finished within 0\.3 s/,
    ];
    assert.equal(warnings.length, want.length, warnings.join('\n'));
    want.forEach((re, i) => assert.match(warnings[i]!, re));
    // Only the accepted sender's frames (its bad one is a problem record, not a message).
    assert.ok(got.every((it) => it.kind === 'problem' || it.origin.source === 'syslog tls 127.0.0.1'));
    assert.ok(!got.some((it) => it.kind === 'text' && /hello$/.test(it.value) && !it.value.includes('fw01')));
  } finally {
    await server.stop();
  }
});

// --- settings ------------------------------------------------------------------

const ENV = { CROSSWATCH_TOKEN: TOKEN };

test('--syslog-tls without its certificate, key and CA is a configuration error naming the flags, before anything starts', { timeout: 30_000 }, () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--syslog-tls', '0'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...ENV } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--syslog-tls: syslog over TLS needs .*missing: --syslog-tls-cert, --syslog-tls-key, --syslog-tls-ca/);
  assert.doesNotMatch(r.stderr, /listening on/);
});

test('--syslog-tls with a certificate and key but no CA is refused: client certificates are required', { skip: NO_OPENSSL, timeout: 30_000 }, () => {
  const c = certs();
  const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--syslog-tls', '0', '--syslog-tls-cert', c.serverCert, '--syslog-tls-key', c.serverKey], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...ENV } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--syslog-tls: .*client certificate is required.*missing: --syslog-tls-ca$/m);
});

test('syslog TLS settings: unreadable or wrong files, and config keys, name the flag or key and the path', { skip: NO_OPENSSL }, () => {
  const c = certs();
  const fails = (flags: Parameters<typeof serveSettings>[0], re: RegExp): void => {
    assert.throws(() => serveSettings(flags, ENV), (e: unknown) => e instanceof ConfigError && re.test(e.message), `${JSON.stringify(flags)} should fail with ${re}`);
  };
  const all = { syslogTls: '0', syslogTlsCert: c.serverCert, syslogTlsKey: c.serverKey, syslogTlsCa: c.ca };
  const s = serveSettings(all, ENV);
  assert.equal(s.syslogTls?.port, 0);
  assert.deepEqual(s.syslogTls?.ca, readFileSync(c.ca));

  const missing = join(c.dir, 'no-such-ca.pem');
  fails({ ...all, syslogTlsCa: missing }, new RegExp(`^--syslog-tls-ca: cannot read ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
  fails({ ...all, syslogTlsCert: c.dir }, /^--syslog-tls-cert: cannot read .*EISDIR/);
  fails({ ...all, syslogTlsCa: c.serverKey }, /^--syslog-tls-ca: no PEM certificate .* in .*server\.key/);
  fails({ ...all, syslogTlsCert: c.serverKey }, /^--syslog-tls-cert: .*server\.key is not a PEM certificate/);
  fails({ ...all, syslogTlsKey: c.serverCert }, /^--syslog-tls-key: .*server\.pem is not a PEM private key/);
  fails({ ...all, syslogTlsKey: c.good.key }, /^--syslog-tls-key: .*client\.key does not go with the certificate .*server\.pem/);
  fails({ ...all, syslogTls: '70000' }, /^--syslog-tls: expected a port number, got "70000"/);
  fails({ syslogTlsCa: c.ca }, /^--syslog-tls-ca: given without --syslog-tls PORT/);

  // The config file: the same keys in camelCase under serve:, named with the file.
  const dir = mkdtempSync(join(tmpdir(), 'cw-syslog-tls-cfg-'));
  try {
    const config = join(dir, 'crosswatch.yaml');
    writeFileSync(config, `serve:\n  syslogTls: 6514\n  syslogTlsCert: ${c.serverCert}\n  syslogTlsKey: ${c.serverKey}\n  syslogTlsCa: ${c.ca}\n`);
    assert.equal(serveSettings({ config }, ENV).syslogTls?.port, 6514);
    writeFileSync(config, `serve:\n  syslogTls: 6514\n  syslogTlsCert: ${c.serverCert}\n  syslogTlsKey: ${c.serverKey}\n`);
    fails({ config }, new RegExp(`^${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: serve\\.syslogTls: .*missing: --syslog-tls-ca \\(serve\\.syslogTlsCa\\)`));
    writeFileSync(config, `serve:\n  syslogTls: 6514\n  syslogTlsCert: ${c.serverCert}\n  syslogTlsKey: ${c.serverKey}\n  syslogTlsCa: ${missing}\n`);
    fails({ config }, /serve\.syslogTlsCa: cannot read .*no-such-ca\.pem/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- a real relay --------------------------------------------------------------

if ((GTLS.missing || NO_OPENSSL) && REQUIRE_SYSLOG) {
  test('rsyslog with its GnuTLS driver, and openssl, are installed (CROSSWATCH_REQUIRE_SYSLOG=1)', () => {
    assert.fail([GTLS.missing, NO_OPENSSL].filter(Boolean).join('; '));
  });
}

test('rsyslog relays over TLS (omfwd, gtls driver, octet-counted) with its client certificate: the alert appears; the same relay with a foreign certificate is rejected', {
  skip: NO_OPENSSL || (GTLS.missing && `${GTLS.missing}; CROSSWATCH_REQUIRE_SYSLOG=1 makes this a failure`), timeout: 60_000,
}, async () => {
  const c = certs();
  const dir = mkdtempSync(join(tmpdir(), 'cw-syslog-tls-relay-'));
  mkdirSync(join(dir, 'work'));
  let served: Served | undefined;
  let rsyslog: ChildProcess | undefined;
  let rsyslogOut = '';
  try {
    served = await startServe(['--data-dir', join(dir, 'data'), '--token', TOKEN, ...tlsArgs(c)]);
    const port = Number(/syslog tls (\d+)/.exec(served.line)?.[1]);
    const t = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
    const signinAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, '.0000000Z');
    const goodIp = '45.33.72.11';
    const foreignIp = '45.33.72.12';
    const ingest = await fetch(`${served.base}/api/v1/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}` },
      body: [goodIp, foreignIp].map((a) => signinLine(a, signinAt, 'adele.vance@contoso.com', `tls-relay-${a}`)).join('\n'),
    });
    assert.equal(ingest.status, 200, await ingest.text());

    // Two routes: plain TCP in, TLS out to serve, one with the relay's certificate from the CA, one with a foreign one.
    const route = (name: string, client: { cert: string; key: string }): string[] => [
      `input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="${join(dir, `port-${name}`)}" ruleset="${name}")`,
      `ruleset(name="${name}") { action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"`
        + ` StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid" StreamDriver.CAFile="${c.ca}" StreamDriver.CertFile="${client.cert}" StreamDriver.KeyFile="${client.key}"`
        + ' action.resumeInterval="1") }',
    ];
    writeFileSync(join(dir, 'rsyslog.conf'), [
      `global(workDirectory="${join(dir, 'work')}" maxMessageSize="64k" defaultNetstreamDriverCAFile="${c.ca}")`,
      'module(load="imtcp")',
      ...route('good', c.good),
      ...route('foreign', c.foreign),
      '',
    ].join('\n'));
    rsyslog = spawn(GTLS.rsyslogd!, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', TZ: 'UTC' },
    });
    rsyslog.stdout!.on('data', (b: Buffer) => { rsyslogOut += b.toString(); });
    rsyslog.stderr!.on('data', (b: Buffer) => { rsyslogOut += b.toString(); });
    const ports = await waitFor('rsyslogd to listen', 10_000, () => {
      if (rsyslog!.exitCode !== null) throw new Error(`rsyslogd exited ${rsyslog!.exitCode}: ${rsyslogOut}`);
      const files = ['good', 'foreign'].map((n) => join(dir, `port-${n}`));
      if (!files.every((f) => existsSync(f))) return undefined;
      const ps = files.map((f) => Number(readFileSync(f, 'utf8').trim()));
      return ps.every((p) => p > 0) ? ps : undefined;
    });
    const device = (ip: string): string => `<134>${new Date(t).toUTCString().slice(8, 11)} ${String(new Date(t).getUTCDate()).padStart(2, ' ')} ${new Date(t).toISOString().slice(11, 19)} fw01 CEF:0|Acme|EdgeWall|9.1|3001|Port scan detected|7|src=${ip} dst=81.2.69.143 act=blocked`;
    await Promise.all([[ports[0]!, goodIp], [ports[1]!, foreignIp]].map(([p, ip]) => sendPlain(p as number, `${device(ip as string)}\n`)));

    const alerts = await waitFor('the relayed alert', 20_000, async () => {
      const a = await allAlerts<ApiAlert>(served!.base, TOKEN);
      return a.some((x) => x.source.ip === goodIp) ? a : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nrsyslogd: ${rsyslogOut}`);
    });
    assert.equal(alerts.find((a) => a.source.ip === goodIp)!.crosswatch.evidence.network_alerts[0]!['@timestamp'], new Date(t).toISOString(), 'the device\'s time');
    const m = await waitFor('the foreign relay\'s rejection', 15_000, async () => {
      const text = await metrics(served!);
      return counter(text, 'crosswatch_syslog_tls_rejected_total') >= 1 ? text : undefined;
    });
    assert.match(m, /crosswatch_records_total\{source="syslog tls 127\.0\.0\.1",decoder="cef"\} 1$/m, 'only the good relay\'s record');
    assert.ok(!(await allAlerts<ApiAlert>(served.base, TOKEN)).some((a) => a.source.ip === foreignIp), 'nothing from the foreign certificate');
  } finally {
    if (rsyslog && rsyslog.exitCode === null) {
      const exited = new Promise((r) => rsyslog!.once('exit', r));
      rsyslog.kill('SIGTERM');
      await exited;
    }
    await stopServe(served);
    rmSync(dir, { recursive: true, force: true });
  }
});
