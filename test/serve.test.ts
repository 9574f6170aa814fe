// The service end to end on loopback, as a real process: token checks, ingest of
// generated raw records in shuffled order over many requests (some gzipped, some
// sent twice), a SIGKILL in the middle and a restart on the same data folder,
// then the alerts API must list exactly the ground truth, each episode once —
// the same pairs hunt finds on the same records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { expandInputs } from '../src/inputs/inputs.js';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch } from '../src/hunt/batch.js';
import { generatedLines } from './scenario-lines.js';
import { BIN, allAlerts as listAlerts, startServe, type Served } from './serve-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'test-token-0123456789abcdef0123456789';

function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'serve.js'))) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
  }
}

function startServer(dataDir: string, extra: string[] = []): Promise<Served> {
  return startServe(['--data-dir', dataDir, '--token', TOKEN, ...extra], { ...process.env, TZ: 'America/New_York' });
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** Deterministic shuffle (mulberry32). */
function shuffle<T>(xs: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

type ApiAlert = { rule: { id: string }; source: { ip: string }; event: { id: string; start: string; end: string } };

/** Small pages, so paging is exercised too. */
const allAlerts = (base: string): Promise<ApiAlert[]> => listAlerts<ApiAlert>(base, TOKEN, 7);

test('serve: shuffled ingest across requests, SIGKILL and restart, retries: exactly the ground truth', { timeout: 180_000 }, async () => {
  ensureBuilt();
  // Every raw record as one NDJSON/text line, in shuffled order.
  const gen = await generatedLines(mkdtempSync(join(tmpdir(), 'cw-serve-gen-')), 6000, 5);
  const shuffled = shuffle(gen.lines, 99);
  const chunks: string[][] = [];
  for (let i = 0; i < shuffled.length; i += 150) chunks.push(shuffled.slice(i, i + 150));
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-serve-data-'));

  let { proc, base } = await startServer(dataDir);
  try {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/api/v1/alerts`)).status, 401);
    assert.equal((await fetch(`${base}/api/v1/alerts`, { headers: { authorization: 'Bearer wrong-token-xx' } })).status, 401);
    assert.equal((await fetch(`${base}/metrics`)).status, 401);

    const post = async (chunk: string[], gzip: boolean): Promise<{ accepted: number; rejected: number }> => {
      const body = chunk.join('\n') + '\n';
      const r = await fetch(`${base}/api/v1/ingest`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-ndjson', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
        body: gzip ? gzipSync(body) : body,
      });
      assert.equal(r.status, 200, await r.clone().text());
      return (await r.json()) as { accepted: number; rejected: number };
    };
    const half = Math.floor(chunks.length / 2);
    let accepted = 0;
    for (let i = 0; i < half; i++) accepted += (await post(chunks[i]!, i % 3 === 0)).accepted;
    // Killed without warning, restarted on the same data folder.
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    ({ proc, base } = await startServer(dataDir));
    for (let i = half; i < chunks.length; i++) accepted += (await post(chunks[i]!, i % 3 === 0)).accepted;
    assert.equal(accepted, gen.lines.length, 'every record accepted');
    // Client retries: the same requests again raise nothing new.
    const before = await allAlerts(base);
    for (const i of [0, 1, half, chunks.length - 1]) await post(chunks[i]!, false);
    const alerts = await allAlerts(base);
    assert.deepEqual(alerts.map((a) => a.event.id).sort(), before.map((a) => a.event.id).sort());

    const truth = JSON.parse(readFileSync(gen.truthPath, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
    const found = [...new Set(alerts.map((a) => `${a.rule.id} ${a.source.ip}`))].sort();
    assert.deepEqual(found, truth.pairs.map((p) => `${p.rule} ${p.ip}`).sort());
    // Parity: hunt over the same records gives the same alerts (rule, IP and first network alert).
    const hunted = await runBatch((await expandInputs([gen.logsDir])).files, {
      config: buildConfig({}), rules: loadRules(), decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
    });
    const key = (a: { rule: { id: string }; source: { ip: string }; event: { start: string } }): string => `${a.rule.id} ${a.source.ip} ${a.event.start}`;
    assert.deepEqual(alerts.map(key).sort(), hunted.alerts.map(key).sort());
    assert.equal(new Set(alerts.map((a) => a.event.id)).size, alerts.length);
    // Newest first.
    const ends = alerts.map((a) => Date.parse(a.event.end));
    assert.deepEqual(ends, [...ends].sort((x, y) => y - x));

    // Triage and filters.
    const one = alerts[0]!;
    const p = await fetch(`${base}/api/v1/alerts/${one.event.id}`, {
      method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'acknowledged', note: 'looking', by: 'analyst@soc' }),
    });
    assert.equal(p.status, 200);
    const got = (await (await fetch(`${base}/api/v1/alerts/${one.event.id}`, { headers: auth })).json()) as { crosswatch: { status: string; triage: Array<{ by: string }> } };
    assert.equal(got.crosswatch.status, 'acknowledged');
    assert.equal(got.crosswatch.triage[0]!.by, 'analyst@soc');
    const ack = (await (await fetch(`${base}/api/v1/alerts?status=acknowledged`, { headers: auth })).json()) as { alerts: Array<{ event: { id: string } }> };
    assert.deepEqual(ack.alerts.map((a) => a.event.id), [one.event.id]);
    const byIp = (await (await fetch(`${base}/api/v1/alerts?ip=${encodeURIComponent(one.source.ip)}`, { headers: auth })).json()) as { alerts: Array<{ source: { ip: string } }> };
    assert.ok(byIp.alerts.length >= 1 && byIp.alerts.every((a) => a.source.ip === one.source.ip));
    assert.equal((await fetch(`${base}/api/v1/alerts/nope`, { headers: auth })).status, 404);

    // Bad input in a request is counted and reported, valid records still accepted.
    const mixed = await post(['{"broken": ', chunks[0]![0]!], false);
    assert.equal(mixed.rejected, 1);
    assert.equal(mixed.accepted, 1);
    const status = spawnSync(process.execPath, [BIN, 'status', '--url', base], { encoding: 'utf8', env: { ...process.env, CROSSWATCH_TOKEN: TOKEN } });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /watermark: 2026-03-0\d/);
    assert.match(status.stdout, /rejected invalid-json: 1/);
    assert.match(status.stdout, /cw-entra-signin-after-network-alert open: \d+/);
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    assert.match(metrics, /crosswatch_records_rejected_total\{reason="invalid-json"\} 1/);
    assert.match(metrics, /crosswatch_alerts\{rule="cw-m365-mail-access-after-network-alert",status="open"\} \d+/);
    assert.match(metrics, /^crosswatch_eviction_last_run_timestamp_seconds \d/m);
    assert.match(metrics, /^crosswatch_eviction_rows_removed_total \d+$/m);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
});

test('serve: syslog and tailed files feed it; body limit, gzip errors and configuration errors', { timeout: 60_000 }, async () => {
  ensureBuilt();
  const noToken = spawnSync(process.execPath, [BIN, 'serve', '--data-dir', mkdtempSync(join(tmpdir(), 'cw-serve-x-')), '--port', '0'], {
    encoding: 'utf8', env: { ...process.env, CROSSWATCH_TOKEN: '' }, timeout: 20_000,
  });
  assert.equal(noToken.status, 1);
  assert.match(noToken.stderr, /token/);
  const badPort = spawnSync(process.execPath, [BIN, 'serve', '--port', 'eighty', '--token', TOKEN], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(badPort.status, 1);
  assert.match(badPort.stderr, /--port: expected a port number/);

  const root = mkdtempSync(join(tmpdir(), 'cw-serve-lim-'));
  const tailDir = join(root, 'feeds');
  mkdirSync(tailDir);
  const { proc, base, line } = await startServer(join(root, 'data'), ['--tail', tailDir, '--tail-match', '*.log', '--syslog-udp', '0', '--syslog-tcp', '0']);
  try {
    // A network alert arrives by syslog (UDP), the sign-in is appended to a tailed file.
    const udpPort = Number(/syslog udp (\d+)/.exec(line)![1]);
    const scenario = join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(Buffer.from(`<134>${readFileSync(join(scenario, 'eve.json'), 'utf8').trim()}`), udpPort, '127.0.0.1', () => r()));
    udp.close();
    writeFileSync(join(tailDir, 'signins.log'), readFileSync(join(scenario, 'signins.json'), 'utf8'));
    let live: Array<{ source: { ip: string } }> = [];
    for (let i = 0; i < 100 && live.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      live = ((await (await fetch(`${base}/api/v1/alerts`, { headers: auth })).json()) as { alerts: typeof live }).alerts;
    }
    assert.deepEqual(live.map((a) => a.source.ip), ['81.2.69.160']);

    // Bodies in every export shape: a pretty-printed Graph page, a JSON array blob, a Purview CSV.
    const graphPage = JSON.stringify({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns', value: [
      { id: 'g-1', createdDateTime: '2026-03-02T10:30:00Z', userPrincipalName: 'a@contoso.com', appDisplayName: 'Azure Portal', ipAddress: '81.2.69.160', status: { errorCode: 0 } },
    ] }, null, 2);
    const blob = JSON.stringify([{ CreationTime: '2026-03-02T10:40:00', Id: 'm-1', Operation: 'MailItemsAccessed', Workload: 'Exchange', RecordType: 50, ResultStatus: 'Succeeded', UserId: 'a@contoso.com', ClientIPAddress: '81.2.69.160' }]);
    const csv = '\uFEFFCreationDate,UserIds,Operations,AuditData\r\n2026-03-02T10:50:00.0000000Z,b@contoso.com,MailItemsAccessed,"' +
      JSON.stringify({ CreationTime: '2026-03-02T10:50:00', Id: 'm-2', Operation: 'MailItemsAccessed', Workload: 'Exchange', ResultStatus: 'Succeeded', UserId: 'b@contoso.com', ClientIPAddress: '81.2.69.160:443' }).replace(/"/g, '""') + '"\r\n';
    for (const [body, type] of [[graphPage, 'application/json'], [blob, 'application/json'], [csv, 'text/csv']] as const) {
      const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
      const j = (await r.json()) as { accepted: number; rejected: number };
      assert.deepEqual([r.status, j.accepted, j.rejected], [200, 1, 0], body.slice(0, 60));
    }
    const both = ((await (await fetch(`${base}/api/v1/alerts`, { headers: auth })).json()) as { alerts: Array<{ rule: { id: string }; user: { name: string[] } }> }).alerts;
    assert.deepEqual(both.map((a) => a.rule.id).sort(), ['cw-entra-signin-after-network-alert', 'cw-m365-mail-access-after-network-alert']);
    assert.deepEqual(both.find((a) => a.rule.id === 'cw-m365-mail-access-after-network-alert')!.user.name, ['a@contoso.com', 'b@contoso.com']);

    // A body over the limit is refused from its Content-Length, before it is sent
    // (sending it anyway races the server's early reply into EPIPE).
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(new URL('/api/v1/ingest', base), {
        method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson', 'content-length': String(40 * 1024 * 1024) },
      }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (err) => { if (!req.destroyed) reject(err); });
      req.flushHeaders();
    });
    assert.equal(status, 413);
    const g = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-encoding': 'gzip' }, body: 'not gzip' });
    assert.equal(g.status, 400);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
});

test('serve: SIGTERM drains a request in flight; its records are there after a restart', { timeout: 60_000 }, async () => {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-serve-term-'));
  const { proc, base } = await startServer(dataDir);
  const scenario = join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
  const eve = readFileSync(join(scenario, 'eve.json'), 'utf8').trim();
  const signin = readFileSync(join(scenario, 'signins.json'), 'utf8').trim();
  const url = new URL('/api/v1/ingest', base);
  // The body is sent in two parts; SIGTERM arrives between them.
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' } }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => { b += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.write(`${eve}\n`);
    // Once connected (and the first part is on its way), SIGTERM; then the rest of the body.
    req.on('socket', (sock) => sock.once('connect', () => setTimeout(() => {
      proc.kill('SIGTERM');
      setTimeout(() => req.end(`${signin}\n`), 300);
    }, 300)));
  });
  const r = await reply;
  assert.equal(r.status, 200, r.body);
  assert.equal((JSON.parse(r.body) as { accepted: number }).accepted, 2);
  const code = await new Promise<number | null>((res) => proc.once('exit', (c) => res(c)));
  assert.equal(code, 0);
  const again = await startServer(dataDir);
  try {
    const alerts = (await (await fetch(`${again.base}/api/v1/alerts`, { headers: auth })).json()) as { alerts: Array<{ source: { ip: string } }> };
    assert.deepEqual(alerts.alerts.map((a) => a.source.ip), ['81.2.69.160']);
  } finally {
    again.proc.kill('SIGTERM');
    await new Promise((r) => again.proc.once('exit', r));
  }
});

