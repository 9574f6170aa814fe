// GET /api/v1/explain/:ip: the explanation over serve's stored events, with
// serve's own rules and settings (the allowlist here), behind the read scope;
// the episodes are the stored alerts' ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { buildApp } from '../src/http/app.js';
import { apiToken } from '../src/http/access.js';
import { STORED_NOTE, type ExplainReply } from '../src/http/explain-api.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { alertLine, items, signinLine } from './scenario-lines.js';

const READ = 'explain-read-token-0123456789abcdef0123';
const SENSOR = 'explain-ingest-token-0123456789abcdef01';

test('GET /api/v1/explain/:ip: why each rule fired or not, from the stored events; read scope; 400 for no IP', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-explain-api-'));
  const store = new SqliteStore(join(dir, 'data'));
  const rules = loadRules();
  const pipeline = new StreamPipeline(store, {
    config: buildConfig({ allow: '81.2.70.0/24' }), rules, allowedLatenessMs: 24 * 3_600_000,
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } },
  });
  const failed = JSON.parse(signinLine('81.2.69.170', '2026-03-02T10:30:00Z')) as { resultType: string; properties: { status: { errorCode: number } } };
  failed.resultType = '50126';
  failed.properties.status = { errorCode: 50126 };
  pipeline.ingest(items(
    alertLine('81.2.69.170', '2026-03-02T10:00:00Z'), JSON.stringify(failed), signinLine('81.2.69.170', '2026-03-02T11:00:00Z'),
    signinLine('81.2.69.170', '2026-03-02T19:30:00Z', 'late@contoso.com'),
    alertLine('81.2.70.5', '2026-03-02T10:00:00Z'), signinLine('81.2.70.5', '2026-03-02T11:00:00Z'),
  ));
  const app = buildApp({
    store, pipeline, pool: null, bodyLimit: 1 << 20, rules,
    tokens: [apiToken('analyst', { token: READ }, ['read']), apiToken('sensor', { token: SENSOR }, ['ingest'])],
  });
  const get = async (url: string, token = READ) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  try {
    const r = await get('/api/v1/explain/81.2.69.170');
    assert.equal(r.statusCode, 200, r.body);
    const x = r.json() as ExplainReply;
    assert.equal(x.ip, '81.2.69.170');
    assert.deepEqual(x.source, { kind: 'stored', events: 3, note: STORED_NOTE });
    const signin = x.rules.find((y) => y.id === 'cw-entra-signin-after-network-alert')!;
    assert.equal(signin.fired, true);
    // The episode is the stored alert.
    const stored = store.listAlerts({ limit: 10, ip: '81.2.69.170' }).alerts.map((a) => a.doc.event.id);
    assert.deepEqual(signin.episodes.map((e) => e.id), stored);
    // The failed sign-in was never stored: not listed. The late one is, outside the window.
    assert.deepEqual(signin.verdicts, { matched: 1, 'outside-window': 1 });
    assert.match(signin.events[1]!.reason, /^outside the window: 2026-03-02T19:30:00\.000Z is 9h30m after the last network alert before it \(2026-03-02T10:00:00\.000Z\); window 8h$/);
    assert.equal(x.rules.find((y) => y.id === 'cw-m365-mail-access-after-network-alert')!.summary, 'did not fire: no mail access from this IP');

    // serve's allowlist (the pipeline's settings) is the one applied.
    const allowed = (await get('/api/v1/explain/81.2.70.5')).json() as ExplainReply;
    assert.deepEqual([allowed.excluded?.reason, allowed.excluded?.range], ['allowlist', '81.2.70.0/24']);
    assert.ok(allowed.rules.every((y) => !y.fired));

    // Any spelling of an IP (URL-encoded IPv6, IPv4-mapped); an IP with nothing stored.
    const mapped = (await get(`/api/v1/explain/${encodeURIComponent('::ffff:81.2.69.170')}`)).json() as ExplainReply;
    assert.equal(mapped.ip, '81.2.69.170');
    const v6 = (await get(`/api/v1/explain/${encodeURIComponent('2A02:CF40::0:1')}`)).json() as ExplainReply;
    assert.deepEqual([v6.ip, v6.source.events, v6.rules[0]!.summary], ['2a02:cf40::1', 0, 'did not fire: no network alert for this IP']);

    const bad = await get('/api/v1/explain/not-an-ip');
    assert.deepEqual([bad.statusCode, bad.json()], [400, { error: 'not an IP address: "not-an-ip"' }]);
    // A sensor's token may send records, not read what they say.
    const sensor = await get('/api/v1/explain/81.2.69.170', SENSOR);
    assert.deepEqual([sensor.statusCode, sensor.json()], [403, { error: 'the token "sensor" does not have the read scope' }]);
    const none = await app.inject({ method: 'GET', url: '/api/v1/explain/81.2.69.170' });
    assert.equal(none.statusCode, 401);
  } finally {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
