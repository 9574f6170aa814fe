// Runs a command with TMPDIR set to a folder of its own, and removes that
// folder when the command ends, whatever its exit. Why: the tests make ~3,000
// temporary folders a run (generated data sets, stores, spools — up to 60 MB
// each) and many do not remove their own; run after run, they filled the disk of
// the machine CI runs on. Every test, the CLIs it spawns and the browser take
// os.tmpdir() from TMPDIR, so one folder per run holds them all.
//
//   node scripts/with-temp-dir.mjs node --test …
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-temp-dir.mjs <command> [args…]');
  process.exit(2);
}

const root = mkdtempSync(join(tmpdir(), 'crosswatch-test-'));
const cleanUp = () => rmSync(root, { recursive: true, force: true, maxRetries: 3 });
const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, TMPDIR: root } });

// Ctrl-C reaches the child through the terminal; pass on what is sent to us alone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

child.on('error', (err) => {
  cleanUp();
  console.error(`${command}: ${err.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  cleanUp();
  process.exit(code ?? (signal ? 128 : 1));
});
