// The installed command as a user runs it: the bundled bin/crosswatch.js (what
// `npx crosswatch` runs; a bundler can break an import that the sources get
// right) on a pseudo-terminal, where the progress bar, colours and the table
// show, and piped, where none of them may. `script` (util-linux) gives the
// pseudo-terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crosswatch.js');
const BUNDLE = join(ROOT, 'dist', 'bundle', 'main.js');
const SCRIPT = '/usr/bin/script';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/;
const GROUND_TRUTH = /ground truth: (\d+) expected, (\d+) found, 0 missed, 0 unexpected/;

const noPty = !existsSync(SCRIPT) ? `${SCRIPT} (util-linux) is not installed` : false;
function needBundle(): void {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build (npm test does)`);
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs the bin on a pseudo-terminal; returns everything the terminal received (stdout and stderr mixed). */
function onTerminal(args: string[], timeoutMs = 120_000): { code: number | null; screen: string } {
  const cmd = [process.execPath, BIN, ...args].map(quote).join(' ');
  const r = spawnSync(SCRIPT, ['-qec', cmd, '/dev/null'], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined, COLUMNS: '160' },
  });
  return { code: r.status, screen: (r.stdout ?? '').replace(/\r/g, '') };
}

test('demo on a terminal: progress bar, colours, the alert table and exact ground truth', { skip: noPty, timeout: 180_000 }, () => {
  needBundle();
  const { code, screen } = onTerminal(['demo']);
  assert.equal(code, 0, screen.slice(-2000));
  assert.doesNotMatch(screen, /TypeError|is not a constructor|\n\s+at /, 'no stack trace');
  assert.match(screen, /hunting \[[=-]+\] \d+% \| \d+\/\d+ MB/, 'the progress bar was drawn');
  assert.match(screen, ANSI, 'colours on a terminal');
  assert.match(screen, /┌─+┬/, 'the alert table');
  assert.match(screen, /Detect Entra ID Sign-in After Network Alert/);
  const m = GROUND_TRUTH.exec(screen);
  assert.ok(m, `ground truth line: ${screen.slice(-600)}`);
  assert.equal(m[1], m[2]);
  assert.ok(Number(m[1]) > 10);
});

test('a large hunt on a terminal draws the bar and ends with the summary and a table', { skip: noPty, timeout: 180_000 }, () => {
  needBundle();
  const dir = mkdtempSync(join(tmpdir(), 'cw-tty-'));
  try {
    const gen = spawnSync(process.execPath, [BIN, 'generate', '--out', dir, '--events', '30000', '--seed', '3'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    const { code, screen } = onTerminal(['hunt', join(dir, 'logs')]);
    assert.equal(code, 0, screen.slice(-2000));
    assert.match(screen, /hunting \[/, 'the progress bar was drawn (inputs over 8 MB)');
    assert.match(screen, /crosswatch hunt: 30,000 records from \d+ file\(s\)/);
    assert.match(screen, /┌─+┬/);
    assert.match(screen, /alerts: \d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('piped: NDJSON alerts, no bar, no colour, no table', { timeout: 180_000 }, () => {
  needBundle();
  const r = spawnSync(process.execPath, [BIN, 'demo', '--events', '20000'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, ANSI);
  assert.doesNotMatch(r.stderr, /hunting \[/);
  assert.doesNotMatch(r.stdout, /┌/);
  const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: { kind: string } });
  assert.ok(alerts.length > 10);
  assert.ok(alerts.every((a) => a.event.kind === 'alert'));
  assert.match(r.stderr, GROUND_TRUTH);
});

test('output closed early (| head -1): the command ends quietly with exit 0', { timeout: 120_000 }, () => {
  needBundle();
  const dir = mkdtempSync(join(tmpdir(), 'cw-epipe-'));
  try {
    const gen = spawnSync(process.execPath, [BIN, 'generate', '--out', dir, '--events', '5000'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    for (const args of [['normalize', join(dir, 'logs')], ['hunt', join(dir, 'logs'), '--format', 'ndjson', '--window', '30d']]) {
      // PIPESTATUS[0] is crosswatch's own exit code; its stderr goes to a file.
      const errFile = join(dir, 'stderr.txt');
      const line = `${[process.execPath, BIN, ...args].map(quote).join(' ')} 2>${quote(errFile)} | head -c 200 >/dev/null; ` + 'echo "${PIPESTATUS[0]}"; ' + `cat ${quote(errFile)}`;
      const r = spawnSync('bash', ['-c', line], { encoding: 'utf8' });
      const [code, ...err] = r.stdout.split('\n');
      assert.equal(code, '0', `${args[0]}: exit ${code}: ${err.join('\n')}`);
      assert.doesNotMatch(err.join('\n'), /EPIPE|Error|\n\s+at /, args[0]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
