// API tokens (issue #15, item 6): a 1-character token was accepted. serve now
// refuses a token shorter than 32 characters at start, naming where it came from,
// and `crosswatch token new` prints one of 32 random bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/detect/config.js';
import { MIN_TOKEN_CHARS, serveSettings } from '../../src/cli/serve.js';
import { runCli } from '../cli-run.js';
import { BIN } from '../serve-process.js';

test('serve refuses a short token from each place a token comes from, naming it', () => {
  const short = 'x'.repeat(MIN_TOKEN_CHARS - 1);
  const file = join(mkdtempSync(join(tmpdir(), 'cw-token-')), 'token');
  writeFileSync(file, `${short}\n`);
  for (const [flags, env, where] of [
    [{ token: short }, {}, '--token'],
    [{}, { CROSSWATCH_TOKEN: 'x' }, 'CROSSWATCH_TOKEN'],
    [{ tokenFile: file }, {}, '--token-file'],
  ] as const) {
    assert.throws(() => serveSettings(flags, env), (e: unknown) => e instanceof ConfigError && e.message.includes(where) && e.message.includes(`at least ${MIN_TOKEN_CHARS} characters`) && e.message.includes('crosswatch token new'), where);
  }
  assert.equal(serveSettings({ token: 'x'.repeat(MIN_TOKEN_CHARS) }, {}).token?.length, MIN_TOKEN_CHARS);
  // The process exits 1 with the message, before listening.
  const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'cw-token-d-'))], { encoding: 'utf8', env: { ...process.env, CROSSWATCH_TOKEN: 'x' }, timeout: 20_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /CROSSWATCH_TOKEN: .*at least 32 characters/);
  assert.doesNotMatch(r.stderr, /listening on/);
});

test('crosswatch token new prints 32 random bytes (base64url), a new one each time, long enough for serve', async () => {
  const a = await runCli(['token', 'new']);
  const b = await runCli(['token', 'new']);
  assert.equal(a.code, 0);
  const ta = a.stdout.trim();
  const tb = b.stdout.trim();
  assert.match(ta, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(ta, 'base64url').length, 32);
  assert.notEqual(ta, tb);
  assert.equal(serveSettings({ token: ta }, {}).token, ta);
});
