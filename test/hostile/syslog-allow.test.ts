// The syslog listeners need no token (issue #15, item 7): only senders in the
// allowed networks (--syslog-allow; default loopback only) are read; anyone else
// is counted and dropped, a TCP connection closed at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CidrSet } from '../../src/model/ip.js';
import type { FramedItem } from '../../src/inputs/framing.js';
import { SyslogServer } from '../../src/inputs/syslog-server.js';
import { BIN, startServe } from '../serve-process.js';

const CEF = '<134>Mar  4 10:00:00 fw01 CEF:0|Trend Micro|Deep Security Agent|20.0|1000552|Generic XSS|10|src=81.2.69.241 dst=10.0.0.5 rt=Mar 04 2026 10:00:00 UTC';

async function sendUdp(port: number, to: string, text: string, from?: string): Promise<void> {
  const udp = createSocket('udp4');
  if (from) await new Promise<void>((r) => udp.bind(0, from, r));
  await new Promise<void>((resolve, reject) => udp.send(text, port, to, (err) => (err ? reject(err) : resolve())));
  udp.close();
}

async function sendTcp(port: number, text: string): Promise<'closed' | 'open'> {
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`${text}\n`);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { sock.destroy(); resolve('open'); }, 1500);
    sock.once('close', () => { clearTimeout(timer); resolve('closed'); });
  });
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

test('senders outside the allowed networks are counted and dropped (UDP and TCP); allowed ones are read', async () => {
  for (const [allow, expectRead] of [[new CidrSet(['10.0.0.0/8']), false], [undefined, true]] as const) {
    const got: FramedItem[] = [];
    const warnings: string[] = [];
    const server = new SyslogServer({
      host: '127.0.0.1', udpPort: 0, tcpPort: 0, ingest: (items) => got.push(...items), onSenderProblem: (m) => warnings.push(m),
      ...(allow ? { allow } : {}),
    });
    await server.start();
    try {
      await sendUdp(server.udpAddress!.port, '127.0.0.1', CEF);
      const tcp = await sendTcp(server.tcpAddress!.port, CEF);
      if (expectRead) {
        await until(() => got.length >= 2);
        assert.equal(got.length, 2, 'loopback is allowed by default');
        assert.equal(server.refused, 0);
      } else {
        await until(() => server.refused >= 2);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(got.length, 0);
        assert.equal(server.refused, 2);
        assert.equal(tcp, 'closed', 'the connection is closed at once');
        assert.match(warnings[0] ?? '', /syslog (udp|tcp) from 127\.0\.0\.1 refused: not in the allowed sender networks \(--syslog-allow 10\.0\.0\.0\/8\)/);
      }
    } finally {
      await server.stop();
    }
  }
});

/** A non-loopback IPv4 address of this machine, if it has one. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

test('serve: by default a sender from another address is refused and counted in /metrics; --syslog-allow admits it', { timeout: 60_000, skip: outsideAddress() ? false : 'this machine has no non-loopback IPv4 address' }, async () => {
  const ip = outsideAddress()!;
  const token = 'syslog-allow-token-0123456789abcdef01';
  for (const extra of [[], ['--syslog-allow', `${ip}/32`]]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-syslog-allow-'));
    const served = await startServe(['--data-dir', dataDir, '--host', '0.0.0.0', '--syslog-udp', '0', ...extra], { ...process.env, CROSSWATCH_TOKEN: token });
    try {
      const port = Number(/syslog udp (\d+)/.exec(served.line)?.[1]);
      await sendUdp(port, ip, CEF, ip);
      const want = extra.length === 0 ? /crosswatch_syslog_refused_total 1/ : /crosswatch_records_total\{source="syslog udp [^"]+",decoder="cef"\} 1/;
      let metrics = '';
      const end = Date.now() + 10_000;
      while (Date.now() < end && !want.test(metrics)) {
        await new Promise((r) => setTimeout(r, 100));
        metrics = await (await fetch(`http://127.0.0.1:${new URL(served.base).port}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      }
      assert.match(metrics, want);
      if (extra.length === 0) assert.doesNotMatch(metrics, /decoder="cef"/);
    } finally {
      served.proc.kill('SIGTERM');
      await new Promise((r) => served.proc.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
});

test('a wrong --syslog-allow is a configuration error naming the flag', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--syslog-udp', '0', '--syslog-allow', '10.0.0.0/8,not-a-net'], {
    encoding: 'utf8', env: { ...process.env, CROSSWATCH_TOKEN: 'syslog-allow-token-0123456789abcdef01' }, timeout: 20_000,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--syslog-allow: not an IP address or CIDR range: "not-a-net"/);
});
