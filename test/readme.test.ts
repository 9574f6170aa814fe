// The README's examples run as written: every ```sh block marked
// `<!-- runnable -->` runs, in order, in one empty folder, with `npx crosswatch`
// meaning this checkout's built bin/crosswatch.js (what `npx` finds in a clone
// after `npm ci`). The Quick start is not marked: CI itself runs its two commands
// (`npm ci && npm test`, and the demo in test/cli-tty.test.ts). docs/rules.md's
// worked example is run the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crosswatch.js');

/** The runnable blocks of a markdown text, in order. */
export function runnableBlocks(markdown: string): string[] {
  const out: string[] = [];
  const re = /<!-- runnable -->\n```sh\n([\s\S]*?)```/g;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) out.push(m[1]!);
  return out;
}

test('runnableBlocks finds marked blocks only', () => {
  const md = '```sh\nnot marked\n```\n<!-- runnable -->\n```sh\necho one\n```\ntext\n<!-- runnable -->\n```sh\necho two\necho three\n```\n';
  assert.deepEqual(runnableBlocks(md), ['echo one\n', 'echo two\necho three\n']);
});

/**
 * Runs a document's runnable blocks in order, as one bash script, in `dir`, with
 * `npx crosswatch` this checkout's bin.
 */
function runBlocks(blocks: string[], dir: string, label: string, url?: string): SpawnSyncReturns<string> {
  // `npx crosswatch` is this checkout's bin; the shim execs node, so a job the
  // README puts in the background (serve) is node itself, and `kill %1` stops it.
  const shims = join(dir, '.bin');
  mkdirSync(shims);
  const npx = join(shims, 'npx');
  writeFileSync(npx, `#!/bin/sh\nif [ "$1" = crosswatch ]; then shift; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; fi\necho "README test: only npx crosswatch is shimmed" >&2; exit 127\n`);
  chmodSync(npx, 0o755);
  const script = [
    'set -euo pipefail',
    // Anything a block leaves running in the background (serve) is stopped at the end, even on failure.
    'trap \'kill $(jobs -p) 2>/dev/null || true\' EXIT',
    ...blocks.map((b, i) => `echo "=== ${label} block ${i + 1}" >&2\n${b}`),
    'wait',
  ].join('\n');
  const env = { ...process.env, PATH: `${shims}:${process.env.PATH ?? ''}`, CROSSWATCH_TOKEN: undefined, CROSSWATCH_URL: url };
  return spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env, timeout: 280_000, maxBuffer: 64 * 1024 * 1024 });
}

/** A port nothing listens on now, TCP or UDP (the system's choice). */
async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test("the README's runnable examples run as written", { timeout: 300_000, skip: existsSync('/usr/bin/curl') ? false : 'curl is not installed' }, async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'bundle', 'main.js')), 'run npm run build first (npm test does)');
  // As written but for the ports: another copy of this suite on the machine (a CI run
  // beside a fresh clone's) has its own serve on 8470, with another token.
  const [http, syslog] = [await freePort('tcp'), await freePort('udp')];
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes('--port 8470 --syslog-udp 5514') && readme.includes('http://127.0.0.1:8470/'), 'the serve example names its ports');
  const blocks = runnableBlocks(readme).map((b) => b.replaceAll('--port 8470', `--port ${http}`).replaceAll('127.0.0.1:8470/', `127.0.0.1:${http}/`)
    .replaceAll('--syslog-udp 5514', `--syslog-udp ${syslog}`));
  assert.ok(blocks.length >= 2, 'the README marks its examples runnable');
  assert.ok(!blocks.some((b) => /\b(8470|5514)\b/.test(b)), 'every port of the examples replaced');
  const dir = mkdtempSync(join(tmpdir(), 'cw-readme-'));
  try {
    // (`crosswatch status` asks 8470 unless told: the service's place, as the port moved.)
    const r = runBlocks(blocks, dir, 'README', `http://127.0.0.1:${http}`);
    assert.equal(r.status, 0, `README examples failed (exit ${r.status}):\n${r.stderr.slice(-8000)}`);
    // What the examples say they do, they did.
    assert.ok(existsSync(join(dir, 'alerts', 'found.ndjson')), '--out made its folder');
    const found = readFileSync(join(dir, 'alerts', 'found.ndjson'), 'utf8').trim().split('\n');
    assert.ok(found.length > 5);
    assert.match(r.stdout, /"rule":\{"id":"cw-/, 'the service answered with alerts');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("docs/rules.md's worked example runs as written, and says what it prints", { timeout: 120_000 }, () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'bundle', 'main.js')), 'run npm run build first (npm test does)');
  const doc = readFileSync(join(ROOT, 'docs', 'rules.md'), 'utf8');
  const blocks = runnableBlocks(doc);
  assert.ok(blocks.length >= 5, 'docs/rules.md marks its example runnable');
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-doc-'));
  try {
    const r = runBlocks(blocks, dir, 'docs/rules.md');
    assert.equal(r.status, 0, `docs/rules.md examples failed (exit ${r.status}):\n${r.stderr.slice(-8000)}`);
    // The outputs the page shows (stdout is piped here: rules test prints columns, not the table).
    assert.match(r.stdout, /^4 rules, 3 correlations, all valid\n/);
    assert.ok(doc.includes('```text\n4 rules, 3 correlations, all valid\n```'));
    assert.match(r.stdout, /\nlocal-legacy-protocol-signin-after-network-alert {2}1\/1 {3}1\/1 {4}pass\n3 rules tested: 8 samples, all passed\n/);
    assert.ok(doc.includes('│ local-legacy-protocol-signin-after-network-alert │ 1/1  │ 1/1   │ pass   │\n└') && doc.includes('\n3 rules tested: 8 samples, all passed\n```'));
    const alerts = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { rule: { id: string }; message: string; event: { risk_score: number } });
    assert.deepEqual(alerts.map((a) => a.rule.id), ['cw-entra-signin-after-network-alert', 'local-legacy-protocol-signin-after-network-alert']);
    const shown = /the message\n`([^`]+) \(…\)`/.exec(doc)?.[1];
    assert.ok(shown && alerts[1]!.message.startsWith(shown), `${alerts[1]!.message} / ${shown}`);
    assert.equal(alerts[1]!.event.risk_score, 91);
    const eql = /```text\n(\/\/ local-legacy-protocol-signin-after-network-alert:[^\n]*\n[^\n]*\n[^\n]*)\n/.exec(doc)?.[1];
    assert.ok(eql && r.stdout.includes(eql), 'the EQL lines shown are the ones printed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
