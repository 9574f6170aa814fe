// What anyone who can reach the port can do before signing in (issue #15, item 4):
// POST /login reads at most a few KiB (it read up to the 32 MiB ingest limit, and
// 60 parallel 30 MB bodies took the service from 240 MB to 1.97 GB), and sign-in
// attempts are rate-limited per address. Authenticated ingest keeps its limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../serve-process.js';
import { alertLine } from '../scenario-lines.js';

const TOKEN = 'pre-auth-test-token-0123456789abcdef';

/** A POST whose body is streamed without a Content-Length (chunked), up to `bytes`; resolves to the status. */
function streamedPost(base: string, path: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE' ? resolve(413) : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

test('POST /login reads a few KiB at most, declared or streamed; ingest keeps its limit', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-preauth-'));
  const served = await startServe(['--data-dir', dataDir], { ...process.env, CROSSWATCH_TOKEN: TOKEN });
  try {
    const declared = await fetch(`${served.base}/login`, { method: 'POST', body: `token=${'a'.repeat(30 * 1024 * 1024)}` });
    assert.equal(declared.status, 413);
    assert.equal(await streamedPost(served.base, '/login', 30 * 1024 * 1024), 413);
    // A body within the limit is still a sign-in attempt (a wrong one here).
    const small = await fetch(`${served.base}/login`, { method: 'POST', body: 'token=wrong', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(small.status, 401);
    // Ingest with the token still takes a body well over the login limit.
    const lines = Array.from({ length: 2000 }, (_, i) => alertLine(`81.2.${(i >> 8) & 255}.${i & 255}`, '2026-03-02T10:00:00Z')).join('\n');
    assert.ok(lines.length > 500_000);
    const ingest = await fetch(`${served.base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: lines });
    assert.equal(ingest.status, 200);
    assert.equal(((await ingest.json()) as { accepted: number }).accepted, 2000);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('sign-in attempts are rate-limited per address: guessing stops, and the right token waits out the window too', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-preauth-rl-'));
  const served = await startServe(['--data-dir', dataDir], { ...process.env, CROSSWATCH_TOKEN: TOKEN });
  try {
    const attempt = (token: string): Promise<Response> =>
      fetch(`${served.base}/login`, { method: 'POST', body: `token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await attempt(`guess-${i}`)).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401), 'ten tries a minute');
    assert.deepEqual(statuses.slice(10), Array(5).fill(429), 'then refused');
    const limited = await attempt(TOKEN);
    assert.equal(limited.status, 429, 'even the right token waits: a guess that hits cannot be told apart');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // Requests with the bearer token are not limited by the sign-in counter.
    assert.equal((await fetch(`${served.base}/api/v1/rules`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
