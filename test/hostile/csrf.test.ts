// Cross-site requests (issue #15, item 6): the UI's cookie is sent by the browser
// with any request to the service, also one a foreign web page makes. A
// cookie-authenticated POST /api/v1/ingest with a foreign Origin and a text/plain
// body (no CORS preflight) was accepted: any page an analyst visited could inject
// events. Now ingest takes the bearer token only, and every other state-changing
// request that comes with the session cookie must come from the service's own
// origin and carry the session's CSRF token (sessions.test.ts has the rest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertLine, signinLine } from '../scenario-lines.js';
import { startServe } from '../serve-process.js';

const TOKEN = 'csrf-test-token-0123456789abcdef0123';

test('cookie-authenticated writes need the same origin; ingest needs the bearer token', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-csrf-'));
  const served = await startServe(['--data-dir', dataDir], { ...process.env, CROSSWATCH_TOKEN: TOKEN });
  try {
    const login = await fetch(`${served.base}/login`, { method: 'POST', body: `token=${TOKEN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    assert.equal(login.status, 303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
    assert.ok(cookie.includes('='));
    const body = `${alertLine('81.2.69.231', '2026-03-02T10:00:00Z')}\n${signinLine('81.2.69.231', '2026-03-02T11:00:00Z')}\n`;

    // The attack: a foreign page's form or fetch, with the analyst's cookie, as text/plain.
    const foreign = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: { cookie, origin: 'https://evil.example', 'content-type': 'text/plain' }, body });
    assert.equal(foreign.status, 403);
    // Not with the cookie from the same origin either: ingest is for senders with the token.
    const sameOrigin = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: { cookie, origin: served.base, 'content-type': 'text/plain' }, body });
    assert.equal(sameOrigin.status, 403);
    assert.equal(((await (await fetch(`${served.base}/api/v1/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { alerts: unknown[] }).alerts.length, 0, 'nothing was ingested');

    const ok = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' }, body });
    assert.equal(ok.status, 200);
    const alerts = ((await (await fetch(`${served.base}/api/v1/alerts`, { headers: { cookie } })).json()) as { alerts: Array<{ event: { id: string } }> }).alerts;
    assert.equal(alerts.length, 1, 'reading with the cookie still works');
    const id = alerts[0]!.event.id;

    // Triage from the UI (cookie): only from the service's own origin, with the session's CSRF token.
    const { csrf } = (await (await fetch(`${served.base}/api/v1/session`, { headers: { cookie } })).json()) as { csrf: string };
    const triage = (origin: string | undefined, token = csrf): Promise<Response> => fetch(`${served.base}/api/v1/alerts/${encodeURIComponent(id)}`, {
      method: 'PATCH', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': token, ...(origin ? { origin } : {}) }, body: JSON.stringify({ status: 'acknowledged', by: 'analyst@soc' }),
    });
    assert.equal((await triage('https://evil.example')).status, 403);
    assert.equal((await triage(undefined)).status, 403, 'no Origin, no cookie write');
    assert.equal((await triage(served.base, 'guessed')).status, 403, 'a wrong CSRF token');
    assert.equal((await triage(served.base)).status, 200);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
