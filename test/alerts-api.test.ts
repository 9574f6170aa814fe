// The alerts API's answers to odd requests: each a 400 that says what is wrong,
// never a 500 or a database's own message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { buildApp } from '../src/http/app.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { alertLine, items, signinLine } from './scenario-lines.js';

const TOKEN = 'alerts-api-token-0123456789abcdef012345';

test('a filter given twice, a foreign cursor, a PATCH body that is not an object: 400 with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-alerts-api-'));
  const store = new SqliteStore(join(dir, 'data'));
  const pipeline = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000,
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } },
  });
  pipeline.ingest(items(alertLine('81.2.69.170', '2026-03-02T10:00:00Z'), signinLine('81.2.69.170', '2026-03-02T11:00:00Z')));
  const app = buildApp({ store, pipeline, pool: null, token: TOKEN, bodyLimit: 1 << 20, rules: loadRules() });
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    const twice = await app.inject({ method: 'GET', url: '/api/v1/alerts?rule=a&rule=b', headers: auth });
    assert.deepEqual([twice.statusCode, twice.json()], [400, { error: 'rule may be given once' }]);
    const cursor = await app.inject({ method: 'GET', url: '/api/v1/alerts?cursor=bm90LW91cnM', headers: auth });
    assert.deepEqual([cursor.statusCode, cursor.json()], [400, { error: 'invalid cursor' }]);
    const id = encodeURIComponent(store.listAlerts({ limit: 1 }).alerts[0]!.doc.event.id);
    for (const body of ['null', '[]', '42', '"acknowledged"']) {
      const r = await app.inject({ method: 'PATCH', url: `/api/v1/alerts/${id}`, headers: { ...auth, 'content-type': 'application/json' }, payload: body });
      assert.equal(r.statusCode, 400, body);
      assert.match((r.json() as { error: string }).error, /^status must be one of open, acknowledged, closed$/, body);
    }
    const ok = await app.inject({ method: 'GET', url: '/api/v1/alerts?rule=cw-entra-signin-after-network-alert', headers: auth });
    assert.equal((ok.json() as { alerts: unknown[] }).alerts.length, 1);
  } finally {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
