// Load held (issue #15, "what already holds and must keep holding"): a thousand
// ingest requests at once against a started `serve`, each answered for itself,
// every acknowledged record stored once, and the alerts exactly those the records
// make; while the same thousand are sent again (a shipper retrying), nothing is
// counted twice. Loopback only, bounded in count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertLine, signinLine } from '../scenario-lines.js';
import { allAlerts, startServe } from '../serve-process.js';

const TOKEN = 'load-test-token-0123456789abcdef0123456';
const REQUESTS = 1000;

test(`serve: ${REQUESTS} concurrent ingest requests, then the same again: all answered, every record stored once, every alert raised once`, { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-load-'));
  const served = await startServe(['--data-dir', dataDir, '--synchronous', 'normal'], { ...process.env, CROSSWATCH_TOKEN: TOKEN });
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    const base = Date.parse('2026-03-02T10:00:00Z');
    // Request i: an alert and a sign-in for its own address (one alert each), every tenth also a
    // sign-in for a shared address that has one network alert (one alert, its evidence growing).
    const bodies = Array.from({ length: REQUESTS }, (_, i) => {
      const ip = `81.${2 + (i >> 8)}.${i & 255}.7`;
      const lines = [alertLine(ip, new Date(base + i * 1000).toISOString()), signinLine(ip, new Date(base + i * 1000 + 60_000).toISOString(), `user${i}@contoso.com`, `load-${i}`)];
      if (i % 10 === 0) lines.push(signinLine('45.33.32.200', new Date(base + 3_600_000 + i).toISOString(), 'megan.bowen@contoso.com', `shared-${i}`));
      return `${lines.join('\n')}\n`;
    });
    const shared = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: auth, body: `${alertLine('45.33.32.200', new Date(base + 3_000_000).toISOString())}\n` });
    assert.equal(shared.status, 200);
    const send = (): Promise<Array<{ status: number; stored: number; duplicates: number }>> => Promise.all(bodies.map(async (body) => {
      const r = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: auth, body });
      const j = (await r.json()) as { stored: number; duplicates: number };
      return { status: r.status, stored: j.stored, duplicates: j.duplicates };
    }));
    const first = await send();
    assert.deepEqual([...new Set(first.map((r) => r.status))], [200]);
    const records = REQUESTS * 2 + REQUESTS / 10;
    assert.equal(first.reduce((n, r) => n + r.stored, 0), records, 'every record stored');
    const again = await send();
    assert.deepEqual([...new Set(again.map((r) => r.status))], [200]);
    assert.equal(again.reduce((n, r) => n + r.stored, 0), 0, 'a resend stores nothing');
    assert.equal(again.reduce((n, r) => n + r.duplicates, 0), records);

    const status = (await (await fetch(`${served.base}/api/v1/status`, { headers: auth })).json()) as { state_events: number };
    assert.equal(status.state_events, records + 1);
    const alerts = await allAlerts<{ source: { ip: string }; user: { name: string[] }; crosswatch: { version: number } }>(served.base, TOKEN);
    assert.equal(alerts.length, REQUESTS + 1, 'one alert per address');
    assert.equal(new Set(alerts.map((a) => a.source.ip)).size, REQUESTS + 1);
    const sharedAlert = alerts.find((a) => a.source.ip === '45.33.32.200')!;
    assert.deepEqual(sharedAlert.user.name, ['megan.bowen@contoso.com']);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
