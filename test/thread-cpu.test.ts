// bench/thread-cpu.ts, which bench:profile uses to see the CPU of V8's own threads
// (compiling, collecting) beside the JavaScript ones: /proc's stat lines read
// right, and a real child's threads found, its busy main thread the busiest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWithThreadCpu, statCpuSeconds, threadCpuAvailable } from '../bench/thread-cpu.js';

test('a /proc stat line: user + system CPU in seconds, whatever the thread\'s name holds', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
  const line = (comm: string): string => `4242 (${comm}) R 1 4242 4242 0 -1 4194304 900 0 3 0 137 41 0 0 20 0 7 0 100 0 0`;
  assert.equal(statCpuSeconds(line('node')), 1.78);
  // A name may hold spaces and parentheses (a thread can be named anything): the fields start after the last ')'.
  assert.equal(statCpuSeconds(line('a) (b c')), 1.78);
  assert.equal(statCpuSeconds('not a stat line'), null);
  assert.equal(statCpuSeconds('1 (x) R 1'), null);
});

test('a child\'s threads: its main thread, busy for 0.3 s of CPU, is found and is the busiest', { skip: !threadCpuAvailable() && 'no /proc/<pid>/task on this system' }, async () => {
  // Spins until it has used 0.3 s of CPU (its own count), so the figure does not depend on the machine's speed or load.
  const spin = 'const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) < 300000) {}';
  const run = await runWithThreadCpu(process.execPath, ['-e', spin], { stdio: 'ignore' });
  const pid = run.pid;
  assert.equal(run.status, 0);
  assert.ok(pid !== undefined);
  const main = run.threads.find((t) => t.tid === pid);
  assert.ok(main, `the main thread (${pid}) among ${run.threads.map((t) => t.tid).join(', ')}`);
  // At most one sampling interval (50 ms) of its work can fall after the last sample.
  assert.ok(main.cpuS >= 0.2, `main thread ${main.cpuS} s`);
  assert.equal(run.threads[0], main, 'busiest first');
  assert.ok(run.threads.length > 1, 'V8 and libuv threads beside it');
});
