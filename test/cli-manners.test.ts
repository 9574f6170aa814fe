// CLI manners: --out into a missing folder, inputs that are skipped (broken links,
// FIFOs, unreadable files) named with their reason, control characters from the
// input escaped on stderr, --help showing defaults, --explain never printing an
// empty list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type Run } from './cli-run.js';
import { terminalSafe } from '../src/cli/terminal.js';
import { DEFAULT_MAX_USERS_PER_IP, DEFAULT_WINDOW_MS } from '../src/detect/config.js';
import { DEFAULT_ALLOWED_LATENESS_MS, DEFAULT_RETENTION_MS } from '../src/stream/stream.js';
import { formatDuration, parseDuration } from '../src/model/time.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIRE = join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');

const cli = (args: string[]): Promise<Run> => runCli(args);

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'cw-manners-'));
}

test('--out into a folder that does not exist makes it; a path through a file is named with the reason', async () => {
  const dir = scratch();
  try {
    const out = join(dir, 'not', 'yet', 'there', 'alerts.ndjson');
    const r = await cli(['hunt', FIRE, '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const alerts = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { rule: { id: string } });
    assert.deepEqual(alerts.map((a) => a.rule.id), ['cw-entra-signin-after-network-alert']);

    writeFileSync(join(dir, 'a-file'), 'x');
    const bad = join(dir, 'a-file', 'alerts.ndjson');
    const r2 = await cli(['hunt', FIRE, '--out', bad, '--quiet']);
    assert.equal(r2.code, 1);
    assert.equal(r2.stderr, `crosswatch: --out ${bad}: cannot write: a part of the path is a file, not a folder\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('entries of an input folder that are not read are named with their reason; links to files are followed', async () => {
  const dir = scratch();
  try {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    // The scenario's alert through a symbolic link, its sign-in as a plain file: the alert needs the link followed.
    copyFileSync(join(FIRE, 'eve.json'), join(dir, 'eve-real.json'));
    symlinkSync(join(dir, 'eve-real.json'), join(logs, 'eve.json'));
    copyFileSync(join(FIRE, 'signins.json'), join(logs, 'signins.json'));
    symlinkSync(join(dir, 'gone.json'), join(logs, 'broken.json'));
    symlinkSync(logs, join(logs, 'loop'));
    const fifo = spawnSync('mkfifo', [join(logs, 'pipe.json')]);
    assert.equal(fifo.status, 0, 'mkfifo');
    let unreadable = false;
    if (process.getuid?.() !== 0) {
      writeFileSync(join(logs, 'secret.json'), '{}\n');
      chmodSync(join(logs, 'secret.json'), 0o000);
      unreadable = true;
    }
    const r = await cli(['hunt', logs, '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'the alert from the linked file');
    assert.match(r.stderr, new RegExp(`skipped inputs: ${unreadable ? 4 : 3}\\n`));
    assert.ok(r.stderr.includes(`  ${join(logs, 'broken.json')}: broken symbolic link\n`), r.stderr);
    assert.ok(r.stderr.includes(`  ${join(logs, 'pipe.json')}: a named pipe (FIFO)\n`), r.stderr);
    assert.ok(r.stderr.includes(`  ${join(logs, 'loop')}: a link to a folder already read (loop)\n`), r.stderr);
    if (unreadable) assert.ok(r.stderr.includes(`  ${join(logs, 'secret.json')}: permission denied\n`), r.stderr);

    const n = await cli(['normalize', logs]);
    assert.equal(n.code, 0);
    assert.match(n.stderr, /crosswatch: skipped .*broken\.json: broken symbolic link\n/);
    assert.match(n.stderr, /, \d input\(s\) skipped\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('control characters from the input reach the terminal escaped (rejected lines, file names)', async () => {
  const dir = scratch();
  try {
    const name = join(dir, 'evil\u001b[2J.log');
    writeFileSync(name, 'not a record \u001b]0;owned\u0007 \u001b[31mred\u009b31m \u202eevil\n');
    const r = await cli(['hunt', dir, '--format', 'ndjson']);
    assert.equal(r.code, 0);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, 'no raw control character on stderr');
    assert.ok(r.stderr.includes('evil\\x1b[2J.log'), r.stderr);
    assert.ok(r.stderr.includes('\\x1b]0;owned\\x07'), r.stderr);
    const n = await cli(['normalize', '--explain', dir]);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(n.stdout + n.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('terminalSafe escapes C0, C1, DEL and bidi overrides, keeping newlines and tabs unless asked', () => {
  assert.equal(terminalSafe('a\u001b[1mb\u009bc\u007fd\u202ee\tf\ng'), 'a\\x1b[1mb\\x9bc\\x7fd\\u202ee\tf\ng');
  assert.equal(terminalSafe('a\tb\nc', false), 'a\\x09b\\x0ac');
  assert.equal(terminalSafe('Zürich – 東京 🙂'), 'Zürich – 東京 🙂');
});

test('--help shows the default of every option that takes a value', async () => {
  for (const cmd of ['hunt', 'normalize', 'serve', 'status', 'generate', 'demo']) {
    const r = await cli([cmd, '--help']);
    assert.equal(r.code, 0);
    // One entry per option: a line starting with "  -" and its wrapped continuation lines.
    const entries = r.stdout.split('\nOptions:\n')[1]!.split(/\n(?= {2}-)/);
    for (const e of entries) {
      const flag = /^\s*(?:-\w, )?(--[\w-]+)( <)?/.exec(e);
      assert.ok(flag, e);
      if (!flag[2] || flag[1] === '--token-file') continue; // switches, and a file named only when wanted
      assert.match(e.replace(/\s+/g, ' '), /\(default: .+\)|\(required\)/, `${cmd} ${flag[1]} shows its default`);
    }
  }
  const hunt = (await cli(['hunt', '--help'])).stdout.replace(/\s+/g, ' ');
  assert.ok(hunt.includes(`(default: ${formatDuration(DEFAULT_WINDOW_MS)})`));
  assert.ok(hunt.includes(`(default: ${DEFAULT_MAX_USERS_PER_IP})`));
  // The service's defaults are written out in main.ts (it does not load the service to print help): they must agree.
  const serve = (await cli(['serve', '--help'])).stdout.replace(/\s+/g, ' ');
  assert.equal(parseDuration(/still match \(default: (\w+)\)/.exec(serve)?.[1] ?? ''), DEFAULT_ALLOWED_LATENESS_MS);
  assert.equal(parseDuration(/by more than this \(default: (\w+)\)/.exec(serve)?.[1] ?? ''), DEFAULT_RETENTION_MS);
});

test('normalize --explain never prints an empty list of what a decoder lacks', async () => {
  const dir = scratch();
  try {
    // Records that come close to several decoders without being taken.
    writeFileSync(join(dir, 'near.json'), [
      '{"event_type":"alert"}',
      '{"time":"2024-05-01T00:00:00Z","category":"SignInLogs"}',
      '{"CreationTime":"2024-05-01T00:00:00","Operation":"MailItemsAccessed"}',
      '{"note":"Scan::Port_Scan"}',
      '{"@timestamp":"2024-05-01T00:00:00Z","event":{"kind":"alert"}}',
    ].join('\n') + '\n');
    const r = await cli(['normalize', '--explain', dir]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 5);
    for (const l of lines) assert.doesNotMatch(l, /lacks: \)|lacks: ;|has: ;/, l);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
