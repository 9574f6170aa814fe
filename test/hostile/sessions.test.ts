// Browser sessions and scoped tokens (issue #15, item 6). Before, the UI's cookie
// held the raw API token, with no expiry, no logout and no Secure flag under TLS,
// and one token could do everything, so a sensor that only sends records could
// read every alert. Now signing in makes a server-side session (random id,
// HttpOnly, SameSite=Strict, Secure under TLS, idle and absolute expiry,
// logout), changes by cookie need the session's CSRF token, and tokens are
// named with scopes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../../src/detect/rules.js';
import { buildConfig } from '../../src/detect/config.js';
import { StreamPipeline } from '../../src/stream/stream.js';
import { buildApp } from '../../src/http/app.js';
import { apiToken, tokenHash, type Scope } from '../../src/http/access.js';
import { SessionStore } from '../../src/http/sessions.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { serveSettings } from '../../src/cli/serve.js';
import { alertLine, signinLine } from '../scenario-lines.js';
import { startServe } from '../serve-process.js';

const ADMIN = 'admin-token-0123456789abcdef0123456789';
const SENSOR = 'sensor-token-0123456789abcdef012345678';
const ANALYST = 'analyst-token-0123456789abcdef01234567';
const VIEWER = 'viewer-token-0123456789abcdef012345678';
const M = 60_000;

function setup(clock: { now: number }): { app: ReturnType<typeof buildApp>; store: SqliteStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sessions-'));
  const store = new SqliteStore(join(dir, 'data'));
  const pipeline = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000,
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } },
  });
  const tokens = ([['admin', ADMIN, ['admin']], ['sensor-1', SENSOR, ['ingest']], ['analyst', ANALYST, ['read', 'triage']], ['viewer', VIEWER, ['read']]] as Array<[string, string, Scope[]]>)
    .map(([name, token, scopes]) => apiToken(name, { token }, scopes));
  const sessions = new SessionStore(store.db, { idleMs: 30 * M, maxMs: 12 * 60 * M, now: () => clock.now });
  const app = buildApp({ store, pipeline, pool: null, tokens, sessions, bodyLimit: 1 << 20, rules: loadRules() });
  return { app, store, dir };
}

async function signIn(app: ReturnType<typeof buildApp>, token: string): Promise<{ status: number; setCookie: string; cookie: string }> {
  const r = await app.inject({ method: 'POST', url: '/login', payload: `token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'cw.test' } });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  return { status: r.statusCode, setCookie, cookie: setCookie.split(';', 1)[0]! };
}

test('scopes: a sensor sends but cannot read; a viewer reads but cannot triage or send', async () => {
  const clock = { now: Date.parse('2026-03-02T12:00:00Z') };
  const { app, store, dir } = setup(clock);
  try {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const body = `${alertLine('81.2.69.250', '2026-03-02T10:00:00Z')}\n${signinLine('81.2.69.250', '2026-03-02T11:00:00Z')}\n`;
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ingest', headers: as(SENSOR), payload: body })).statusCode, 200);
    for (const url of ['/api/v1/alerts', '/api/v1/status', '/metrics', '/api/v1/rules', '/']) {
      const r = await app.inject({ method: 'GET', url, headers: as(SENSOR) });
      assert.equal(r.statusCode, 403, url);
      assert.equal((r.json() as { error: string }).error, 'the token "sensor-1" does not have the read scope');
    }
    const alerts = (await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: as(VIEWER) })).json() as { alerts: Array<{ event: { id: string } }> };
    assert.equal(alerts.alerts.length, 1);
    const id = encodeURIComponent(alerts.alerts[0]!.event.id);
    const patch = (token: string) => app.inject({ method: 'PATCH', url: `/api/v1/alerts/${id}`, headers: { ...as(token), 'content-type': 'application/json' }, payload: JSON.stringify({ status: 'acknowledged' }) });
    assert.equal((await patch(VIEWER)).statusCode, 403);
    assert.equal((await patch(SENSOR)).statusCode, 403);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ingest', headers: as(VIEWER), payload: body })).statusCode, 403);
    const ok = await patch(ANALYST);
    assert.equal(ok.statusCode, 200);
    assert.equal((ok.json() as { crosswatch: { triage: Array<{ by: string }> } }).crosswatch.triage.at(-1)!.by, 'analyst', 'the token\'s name stands for who, when none is given');
    assert.equal((await patch(ADMIN)).statusCode, 200, 'admin may do everything');
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: as('wrong-token-0123456789abcdef0123456') })).statusCode, 401);
    // A sensor's token cannot open a UI session either.
    assert.equal((await signIn(app, SENSOR)).status, 403);
  } finally {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sessions: random id (not the token), HttpOnly, SameSite=Strict; CSRF token; logout; idle and absolute expiry; bounded', async () => {
  const clock = { now: Date.parse('2026-03-02T12:00:00Z') };
  const { app, store, dir } = setup(clock);
  try {
    const s = await signIn(app, ANALYST);
    assert.equal(s.status, 303);
    assert.match(s.setCookie, /^crosswatch_session=[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.ok(!s.setCookie.includes(ANALYST) && !s.setCookie.includes(encodeURIComponent(ANALYST)), 'the cookie does not carry the token');
    assert.ok(!s.setCookie.includes('Secure'), 'plain HTTP: no Secure flag (the browser would drop the cookie)');
    // Only the id's hash is stored.
    const id = s.cookie.split('=')[1]!;
    const rows = store.db.prepare('SELECT id_sha256 FROM sessions').pluck().all() as string[];
    assert.deepEqual(rows, [tokenHash(id).toString('hex')]);
    const other = await signIn(app, ANALYST);
    assert.notEqual(other.cookie, s.cookie, 'a new id at every sign-in');

    const get = (url: string, cookie: string) => app.inject({ method: 'GET', url, headers: { cookie, host: 'cw.test' } });
    const me = (await get('/api/v1/session', s.cookie)).json() as { name: string; scopes: string[]; csrf: string };
    assert.deepEqual([me.name, me.scopes.sort()], ['analyst', ['read', 'triage']]);
    assert.match(me.csrf, /^[\w-]{43}$/);

    // A change with the session: same origin AND the CSRF token.
    await app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${ADMIN}` }, payload: `${alertLine('81.2.69.251', '2026-03-02T10:00:00Z')}\n${signinLine('81.2.69.251', '2026-03-02T11:00:00Z')}\n` });
    const alertId = encodeURIComponent(((await get('/api/v1/alerts', s.cookie)).json() as { alerts: Array<{ event: { id: string } }> }).alerts[0]!.event.id);
    const patch = (headers: Record<string, string>) => app.inject({
      method: 'PATCH', url: `/api/v1/alerts/${alertId}`, payload: JSON.stringify({ status: 'acknowledged' }),
      headers: { cookie: s.cookie, host: 'cw.test', 'content-type': 'application/json', ...headers },
    });
    assert.equal((await patch({ origin: 'http://cw.test' })).statusCode, 403, 'no CSRF token');
    assert.equal((await patch({ origin: 'http://cw.test', 'x-csrf-token': other.cookie })).statusCode, 403, 'a wrong CSRF token');
    assert.equal((await patch({ origin: 'https://evil.example', 'x-csrf-token': me.csrf })).statusCode, 403, 'a foreign origin');
    assert.equal((await patch({ origin: 'http://cw.test', 'x-csrf-token': me.csrf })).statusCode, 200);

    // Idle expiry: 29 minutes apart is fine, 31 without a request ends it.
    clock.now += 29 * M;
    assert.equal((await get('/api/v1/alerts', s.cookie)).statusCode, 200);
    clock.now += 31 * M;
    assert.equal((await get('/api/v1/alerts', s.cookie)).statusCode, 401);
    // Absolute expiry: busy all day, it still ends 12 hours after sign-in.
    const day = await signIn(app, VIEWER);
    for (let h = 0; h < 12 * 4 - 1; h++) {
      clock.now += 15 * M;
      assert.equal((await get('/api/v1/rules', day.cookie)).statusCode, 200, `after ${(h + 1) * 15} minutes`);
    }
    clock.now += 16 * M;
    assert.equal((await get('/api/v1/rules', day.cookie)).statusCode, 401, 'after 12 hours');

    // Logout ends the session on the server: the cookie, kept by anyone, no longer works.
    const l = await signIn(app, VIEWER);
    const csrf = ((await get('/api/v1/session', l.cookie)).json() as { csrf: string }).csrf;
    const out = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: l.cookie, host: 'cw.test', origin: 'http://cw.test', 'x-csrf-token': csrf } });
    assert.equal(out.statusCode, 303);
    assert.match(String(out.headers['set-cookie']), /crosswatch_session=;.*Expires=Thu, 01 Jan 1970/);
    assert.equal((await get('/api/v1/alerts', l.cookie)).statusCode, 401);
    // The old cookie that held the token is not a way in any more.
    assert.equal((await get('/api/v1/alerts', `crosswatch_token=${ADMIN}`)).statusCode, 401);

    // Sessions are bounded (the oldest go).
    const few = new SessionStore(store.db, { maxSessions: 3, now: () => clock.now });
    const ids = Array.from({ length: 5 }, (_, i) => { clock.now += 1000 * (i + 1); return few.create('viewer', new Set(['read'])).id; });
    assert.equal(store.db.prepare('SELECT count(*) FROM sessions').pluck().get(), 3);
    assert.equal(few.get(ids[0]!), null);
    assert.notEqual(few.get(ids[4]!), null);
  } finally {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve over HTTPS: the session cookie is Secure; named tokens from the config file', { timeout: 60_000 }, async (t) => {
  if (!existsSync('/usr/bin/openssl')) {
    t.skip('openssl is not installed: cannot make a certificate for the HTTPS test');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cw-https-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const sha = tokenHash(SENSOR).toString('hex');
  writeFileSync(join(dir, 'crosswatch.yaml'), `serve:\n  tokens:\n    - {name: analyst, token: ${ANALYST}, scopes: [read, triage]}\n    - {name: sensor-1, sha256: ${sha}, scopes: [ingest]}\n`);
  const served = await startServe(['--data-dir', join(dir, 'data'), '--config', join(dir, 'crosswatch.yaml'), '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], { ...process.env, CROSSWATCH_TOKEN: '' });
  try {
    assert.match(served.base, /^https:\/\/127\.0\.0\.1:\d+$/);
    const send = (method: string, path: string, headers: Record<string, string>, body?: string) => new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = request(`${served.base}${path}`, { method, headers, rejectUnauthorized: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const login = await send('POST', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, `token=${ANALYST}`);
    assert.equal(login.status, 303);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /; Secure/);
    assert.match(setCookie, /; HttpOnly; Secure; SameSite=Strict$/);
    const cookie = setCookie.split(';', 1)[0]!;
    assert.equal((await send('GET', '/api/v1/alerts', { cookie })).status, 200);
    // The sensor's token, known to the service only by its hash, sends but does not read.
    assert.equal((await send('POST', '/api/v1/ingest', { authorization: `Bearer ${SENSOR}` }, `${alertLine('81.2.69.252', '2026-03-02T10:00:00Z')}\n`)).status, 200);
    assert.equal((await send('GET', '/api/v1/alerts', { authorization: `Bearer ${SENSOR}` })).status, 403);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve.tokens in the config: each mistake names its key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-tokens-cfg-'));
  try {
    const cfg = (yaml: string): string => {
      const p = join(dir, `c${Math.random()}.yaml`);
      writeFileSync(p, yaml);
      return p;
    };
    const bad: Array<[string, RegExp]> = [
      ['serve:\n  tokens: {name: a}\n', /serve\.tokens.*expected a list/],
      [`serve:\n  tokens:\n    - {name: a, token: short, scopes: [read]}\n`, /serve\.tokens\[0\]\.token.*at least 32/],
      [`serve:\n  tokens:\n    - {name: a, token: ${ADMIN}, scopes: [read, root]}\n`, /serve\.tokens\[0\]\.scopes.*ingest, read, triage, admin/],
      [`serve:\n  tokens:\n    - {name: a, token: ${ADMIN}, sha256: ${'0'.repeat(64)}, scopes: [read]}\n`, /serve\.tokens\[0\].*exactly one of token, tokenFile or sha256/],
      [`serve:\n  tokens:\n    - {name: a, sha256: abc, scopes: [read]}\n`, /serve\.tokens\[0\]\.sha256/],
      [`serve:\n  tokens:\n    - {name: a, token: ${ADMIN}, scopes: [read]}\n    - {name: a, token: ${VIEWER}, scopes: [read]}\n`, /serve\.tokens\[1\]\.name.*twice/],
      [`serve:\n  tokens:\n    - {name: "a b", token: ${ADMIN}, scopes: [read]}\n`, /serve\.tokens\[0\]\.name/],
      [`serve:\n  tokens:\n    - {name: a, tokenFile: /nonexistent/t, scopes: [read]}\n`, /serve\.tokens\[0\]\.tokenFile.*cannot read/],
      [`serve:\n  sessionIdle: soon\n  token: ${ADMIN}\n`, /serve\.sessionIdle.*duration/],
    ];
    for (const [yaml, re] of bad) assert.throws(() => serveSettings({ config: cfg(yaml) }, {}), (err: Error) => re.test(`${(err as { where?: string }).where ?? ''} ${err.message}`), yaml);
    const ok = serveSettings({ config: cfg(`serve:\n  tokens:\n    - {name: sensor-1, token: ${SENSOR}, scopes: [ingest]}\n`) }, {});
    assert.deepEqual(ok.tokens.map((x) => [x.name, [...x.scopes]]), [['sensor-1', ['ingest']]]);
    assert.equal(ok.token, undefined);
    // --token (or CROSSWATCH_TOKEN) is the `default` token with every scope, beside the named ones.
    const both = serveSettings({ config: cfg(`serve:\n  tokens:\n    - {name: sensor-1, token: ${SENSOR}, scopes: [ingest]}\n`), token: ADMIN }, {});
    assert.deepEqual(both.tokens.map((x) => [x.name, [...x.scopes].sort()]), [['default', ['admin', 'ingest', 'read', 'triage']], ['sensor-1', ['ingest']]]);
    assert.throws(() => serveSettings({}, {}), /set an API token/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
