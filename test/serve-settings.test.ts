// serve's settings: flags over the config file's `serve:` section over defaults,
// and a wrong value names the flag or the key it came from.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../src/detect/config.js';
import { defaultIngestThreads, serveSettings } from '../src/cli/serve.js';
import { BIN } from './serve-process.js';

const ENV = { CROSSWATCH_TOKEN: 'a-test-token-0123456789abcdef0123456' };

function configFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cw-settings-')), 'crosswatch.yaml');
  writeFileSync(file, yaml);
  return file;
}

test('ingest threads and durability: defaults, config file, flags over the file', () => {
  const d = serveSettings({}, ENV);
  assert.equal(d.ingestThreads, defaultIngestThreads());
  assert.equal(d.synchronous, 'full');
  const config = configFile('serve:\n  ingestThreads: 0\n  synchronous: normal\n');
  const f = serveSettings({ config }, ENV);
  assert.equal(f.ingestThreads, 0);
  assert.equal(f.synchronous, 'normal');
  const both = serveSettings({ config, ingestThreads: '3', synchronous: 'FULL' }, ENV);
  assert.equal(both.ingestThreads, 3);
  assert.equal(both.synchronous, 'full');
});

test('a wrong thread count or durability names where it came from', () => {
  const config = configFile('serve:\n  ingestThreads: -1\n');
  assert.throws(() => serveSettings({ config }, ENV), (e: unknown) => e instanceof ConfigError && e.message.includes(`${config}: serve.ingestThreads`));
  assert.throws(() => serveSettings({ ingestThreads: 'two' }, ENV), (e: unknown) => e instanceof ConfigError && e.message.includes('--ingest-threads'));
  assert.throws(() => serveSettings({ synchronous: 'sometimes' }, ENV), (e: unknown) => e instanceof ConfigError && e.message.includes('--synchronous'));
});

test('the command line takes --ingest-threads and --synchronous, and refuses a bad one before starting', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--ingest-threads', '1', '--synchronous', 'sometimes'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...ENV } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--synchronous/);
  assert.match(r.stderr, /expected full or normal, got "sometimes"/);
});

test('the future skew: 15 minutes by default, from the config file or --future-skew, a wrong one named', () => {
  assert.equal(serveSettings({}, ENV).futureSkewMs, 15 * 60_000);
  const config = configFile('serve:\n  futureSkew: 2h\n');
  assert.equal(serveSettings({ config }, ENV).futureSkewMs, 2 * 3_600_000);
  assert.equal(serveSettings({ config, futureSkew: '3650d' }, ENV).futureSkewMs, 3650 * 86_400_000);
  assert.throws(() => serveSettings({ futureSkew: 'soon' }, ENV), (e: unknown) => e instanceof ConfigError && e.message.includes('--future-skew'));
  assert.throws(() => serveSettings({ config: configFile('serve:\n  futureSkew: later\n') }, ENV), (e: unknown) => e instanceof ConfigError && e.message.includes('serve.futureSkew'));
});
