// The decode worker bin/crosswatch.js starts before the CLI loads
// (src/hunt/early-worker.ts): started only for hunts that will use it, taken by
// the decode pool, ended when the hunt has no use for it, and never the cause
// of a lost answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, ftruncateSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { dropEarlyDecodeWorker, earlyWorkerPays, PARALLEL_MIN_BYTES, startEarlyDecodeWorker, takeEarlyDecodeWorker } from '../src/hunt/early-worker.js';
import { DecodePool } from '../src/hunt/pool.js';
import { DEFAULT_FRAMING } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { alertLine, signinLine } from './scenario-lines.js';

const parallel = availableParallelism() >= 2;

/** A file of `bytes` (sparse: its size is all the guess reads). */
function sized(path: string, bytes: number): string {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return path;
}

/** The worker waiting in the early slot, without taking it. */
function waiting(): Worker | undefined {
  return (globalThis as Record<symbol, { worker: Worker } | undefined>)[Symbol.for('crosswatch.earlyDecodeWorker')]?.worker;
}

test('a worker is started early only for a hunt of 2 files and 16 MB or more, as the hunt itself decides its threads', { skip: !parallel && 'one core: never' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-early-'));
  const half = PARALLEL_MIN_BYTES / 2;
  const big = sized(join(dir, 'big.json'), PARALLEL_MIN_BYTES + 1);
  const a = sized(join(dir, 'a.json'), half);
  const b = sized(join(dir, 'b.json'), half);
  const small = sized(join(dir, 'small.json'), 1000);
  mkdirSync(join(dir, 'tree', 'deep'), { recursive: true });
  sized(join(dir, 'tree', 'one.json'), half);
  sized(join(dir, 'tree', 'deep', 'two.json'), half);
  sized(join(dir, 'tree', '.hidden.json'), 10 * PARALLEL_MIN_BYTES);
  mkdirSync(join(dir, 'alone'));
  sized(join(dir, 'alone', 'one.json'), 10 * PARALLEL_MIN_BYTES);
  sized(join(dir, 'alone', '.swap'), 10 * PARALLEL_MIN_BYTES);

  assert.equal(earlyWorkerPays([a, b]), true, 'two files of 16 MB in all');
  assert.equal(earlyWorkerPays([join(dir, 'tree')]), true, 'files in folders, at any depth');
  assert.equal(earlyWorkerPays([big]), false, 'one file: one thread, however big');
  assert.equal(earlyWorkerPays([join(dir, 'alone')]), false, 'hidden files are not inputs');
  assert.equal(earlyWorkerPays([a, small]), false, 'under 16 MB');
  assert.equal(earlyWorkerPays(['--out', big, small]), false, 'the --out file is not an input');
  assert.equal(earlyWorkerPays([a, b, '--threads', '1']), false, '--threads 1');
  assert.equal(earlyWorkerPays([a, b, '--threads=1']), false, '--threads=1');
  assert.equal(earlyWorkerPays([`--out=${big}`, small]), false, 'the --out=file is not an input (nor a path)');
  assert.equal(earlyWorkerPays(['--window', '4h', a, '--format', 'ndjson', b]), true, 'options and their values between the paths');
  assert.equal(earlyWorkerPays(['-', join(dir, 'missing')]), false, 'stdin and missing paths count nothing');
});

test('the decode pool takes the worker started early, and its tasks run on it', { skip: !parallel && 'one core: never' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-early-pool-'));
  const eve = join(dir, 'eve.json');
  writeFileSync(eve, Array.from({ length: 50 }, (_, i) => alertLine(`81.2.3.${i + 1}`, new Date(Date.UTC(2026, 2, 2, 8, 0, i)).toISOString())).join('\n') + '\n');
  startEarlyDecodeWorker();
  const early = waiting();
  assert.ok(early, 'a worker waits');
  startEarlyDecodeWorker();
  assert.equal(waiting(), early, 'once: a second start keeps the first');
  const exited = new Promise<number>((resolve) => early.once('exit', resolve));
  const pool = new DecodePool(2);
  assert.equal(waiting(), undefined, 'taken by the pool');
  assert.equal(takeEarlyDecodeWorker(), undefined);
  const [file] = (await expandInputs([eve])).files;
  const decode = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
  // Two tasks at once: one on the main thread, one on the worker.
  const scans = await Promise.all([1, 2].map(() => pool.run<{ alerts: unknown[] }>({ op: 'scan', file: file!, decode, framing: DEFAULT_FRAMING, fast: false, collect: false })));
  for (const s of scans) assert.equal(s.alerts.length, 50);
  await pool.close();
  assert.equal(typeof (await exited), 'number', 'the pool ended the worker it took');
});

test('a worker started early and not taken is ended; one that failed to start is not handed over', async () => {
  startEarlyDecodeWorker();
  const early = waiting()!;
  // (It waits unref'd, never keeping a process alive: the test keeps this one alive to see it end.)
  early.ref();
  const exited = new Promise<number>((resolve) => early.once('exit', resolve));
  dropEarlyDecodeWorker();
  assert.equal(typeof (await exited), 'number');
  assert.equal(waiting(), undefined);

  // A worker that dies while it waits: the pool must start its own, not take a dead one.
  startEarlyDecodeWorker(() => new Worker('throw new Error("cannot start")', { eval: true }));
  const dying = waiting()!;
  dying.ref();
  await new Promise((resolve) => dying.once('exit', resolve));
  assert.equal(takeEarlyDecodeWorker(), undefined);
});

test('bin/crosswatch.js on a hunt big enough for two threads: the same alerts as in process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-early-bin-'));
  // Two files over 16 MB in all: alerts, and sign-ins from their IPs among many others.
  const alerts: string[] = [];
  for (let i = 0; i < 40; i++) alerts.push(alertLine(`81.2.${i}.7`, new Date(Date.UTC(2026, 2, 2, 8, i)).toISOString()));
  writeFileSync(join(dir, 'eve.json'), alerts.join('\n') + '\n');
  const signins: string[] = [];
  for (let i = 0; signins.length * 700 < PARALLEL_MIN_BYTES; i++) {
    const ip = i % 500 === 0 ? `81.2.${(i / 500) % 40}.7` : `93.184.${(i >> 8) & 255}.${i & 255}`;
    signins.push(signinLine(ip, new Date(Date.UTC(2026, 2, 2, 8, 30, 0, i)).toISOString()));
  }
  writeFileSync(join(dir, 'signins.json'), signins.join('\n') + '\n');
  const bin = fileURLToPath(new URL('../bin/crosswatch.js', import.meta.url));
  const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const args = ['hunt', dir, '--format', 'ndjson', '--quiet', '--no-progress'];
  const viaBin = spawnSync(process.execPath, [bin, ...args, '--out', join(dir, 'bin.ndjson')], { encoding: 'utf8' });
  assert.equal(viaBin.status, 0, viaBin.stderr);
  const inProcess = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(main)}).then((m) => m.main(${JSON.stringify([...args, '--threads', '1', '--out', join(dir, 'one.ndjson')])})).then((c) => { process.exitCode = c; })`], { encoding: 'utf8' });
  assert.equal(inProcess.status, 0, inProcess.stderr);
  const docs = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => {
    const d = JSON.parse(l) as Record<string, unknown>;
    delete d['@timestamp'];
    return JSON.stringify(d);
  }).sort();
  const one = docs('one.ndjson');
  assert.ok(one.length >= 30, `alerts for the IPs signed in from after their alerts (${one.length})`);
  assert.deepEqual(docs('bin.ndjson'), one);
});
