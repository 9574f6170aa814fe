// One record dated 9999-12-31 (issue #15, item 1): it moved the service's
// watermark to the year 9999, so after a restart eviction deleted every older
// event and no sign-in/alert pair alerted again; anyone who could send one UDP
// datagram could switch detection off. Now no record moves the watermark further
// than a small skew past the receiving clock; such records are counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../../src/detect/rules.js';
import { buildConfig } from '../../src/detect/config.js';
import { DEFAULT_FUTURE_SKEW_MS, StreamPipeline } from '../../src/stream/stream.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { alertLine, items, signinLine } from '../scenario-lines.js';
import { allAlerts, startServe } from '../serve-process.js';

const DECODE = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } };
const NOW = Date.parse('2026-03-02T12:00:00Z');

function pipeline(dir: string, now = NOW): { store: SqliteStore; p: StreamPipeline } {
  const store = new SqliteStore(join(dir, 'data'));
  const p = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000, decode: DECODE, now: () => new Date(now),
  });
  return { store, p };
}

test('a record from the future moves neither the watermark nor eviction; detection goes on, across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-future-'));
  try {
    let { store, p } = pipeline(dir);
    p.ingest(items(alertLine('81.2.69.221', '2026-03-02T10:00:00Z'), signinLine('81.2.69.221', '2026-03-02T11:00:00Z')));
    assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
    const r = p.ingest(items(alertLine('45.33.32.160', '9999-12-31T23:59:59Z'), signinLine('45.33.32.161', '9999-12-31T23:00:00Z')));
    assert.equal(r.accepted, 2);
    assert.ok(p.watermark <= NOW + DEFAULT_FUTURE_SKEW_MS, `watermark ${new Date(p.watermark).toISOString()}`);
    assert.equal(p.watermark, Date.parse('2026-03-02T11:00:00Z'), 'still the newest sane event');
    assert.equal(p.futureEvents, 2);
    assert.equal(p.evict(), 0, 'nothing evicted by a date from the future');
    // Within the skew, a sensor clock a little ahead still counts as now.
    p.ingest(items(alertLine('81.2.69.223', '2026-03-02T12:10:00Z')));
    assert.equal(p.watermark, Date.parse('2026-03-02T12:10:00Z'));
    assert.equal(p.futureEvents, 2);
    store.close();

    // Restarted: the same; and a store that an older version let reach the year 9999 is brought back.
    ({ store, p } = pipeline(dir));
    store.setMeta('watermark_ms', String(Date.parse('9999-12-31T23:59:59Z')));
    store.close();
    ({ store, p } = pipeline(dir));
    assert.equal(p.watermark, NOW + DEFAULT_FUTURE_SKEW_MS, 'brought back to the receiving clock plus the skew');
    assert.equal(p.evict(), 0);
    p.ingest(items(alertLine('81.2.69.222', '2026-03-02T11:10:00Z'), signinLine('81.2.69.222', '2026-03-02T11:20:00Z')));
    assert.deepEqual(store.listAlerts({ limit: 10 }).alerts.map((a) => a.doc.source.ip).sort(), ['81.2.69.221', '81.2.69.222']);
    assert.equal(p.futureEvents, 0, 'counted since this start');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: one UDP datagram dated 9999 does not switch detection off; it is counted in /metrics', { timeout: 60_000 }, async () => {
  const token = 'future-record-token-0123456789abcdef';
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-future-serve-'));
  let served = await startServe(['--data-dir', dataDir, '--syslog-udp', '0'], { ...process.env, CROSSWATCH_TOKEN: token });
  const auth = { authorization: `Bearer ${token}` };
  try {
    const port = Number(/syslog udp (\d+)/.exec(served.line)?.[1]);
    assert.ok(port > 0, served.line);
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => udp.send(`<134>1 9999-12-31T23:59:59Z fw01 - - - - ${alertLine('45.33.32.162', '9999-12-31T23:59:59Z')}`, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    udp.close();
    const deadline = Date.now() + 10_000;
    let metrics = '';
    while (Date.now() < deadline && !/crosswatch_events_future_total 1/.test(metrics)) {
      await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(`${served.base}/metrics`, { headers: auth })).text();
    }
    assert.match(metrics, /crosswatch_events_future_total 1/);
    assert.match(metrics, /crosswatch_watermark_lag_seconds -?\d/);
    const lag = Number(/crosswatch_watermark_lag_seconds (-?[\d.e+-]+)/.exec(metrics)?.[1]);
    assert.ok(lag > -DEFAULT_FUTURE_SKEW_MS / 1000 - 5, `watermark lag ${lag} s: not in the future`);

    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    served = await startServe(['--data-dir', dataDir], { ...process.env, CROSSWATCH_TOKEN: token });
    // Events of the last hour, as a sensor and Entra would send them now.
    const t0 = new Date(Date.now() - 3_600_000).toISOString();
    const t1 = new Date(Date.now() - 1_800_000).toISOString();
    const res = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: auth, body: `${alertLine('81.2.69.224', t0)}\n${signinLine('81.2.69.224', t1)}\n` });
    assert.equal(res.status, 200);
    const alerts = await allAlerts<{ source: { ip: string } }>(served.base, token);
    assert.deepEqual(alerts.map((a) => a.source.ip), ['81.2.69.224']);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
