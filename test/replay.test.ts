// `npm run bench:replay` measures a hunt's tasks run again on one thread
// (bench/replay.ts): that is only a measure of the hunt if the tasks saved with
// CROSSWATCH_DUMP_TASKS are the hunt's and, replayed in their epochs, do the
// hunt's work. A pooled hunt of generated data saves its tasks; replayed, they
// find exactly the network alerts the hunt counted, and pack qualifying events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTask } from '../src/hunt/decode-worker.js';
import { epochOf, loadTasks } from '../bench/replay.js';

const BIN = fileURLToPath(new URL('../bin/crosswatch.js', import.meta.url));

test('a pooled hunt saves its tasks; replayed epoch by epoch they find the hunt\'s network alerts', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-replay-'));
  try {
    const gen = spawnSync(process.execPath, [BIN, 'generate', '--out', join(dir, 'data'), '--events', '20000', '--seed', '3'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    // (A folder not there yet: the hunt makes it.)
    const dump = join(dir, 'tasks');
    const hunt = spawnSync(process.execPath, [BIN, 'hunt', join(dir, 'data', 'logs'), '--threads', '2', '--format', 'ndjson', '--no-progress', '--out', join(dir, 'alerts.ndjson')], {
      encoding: 'utf8', env: { ...process.env, CROSSWATCH_DUMP_TASKS: dump },
    });
    assert.equal(hunt.status, 0, hunt.stderr);
    const counted = /events: ([\d,]+) network alerts/.exec(hunt.stderr);
    assert.ok(counted, hunt.stderr);
    const networkAlerts = Number(counted[1]!.replace(/,/g, ''));
    assert.ok(networkAlerts > 0);

    const tasks = loadTasks(dump);
    assert.equal(tasks.length, readdirSync(dump).length);
    // Both threads ran tasks (file names carry the thread), and each got every broadcast.
    assert.ok(new Set(readdirSync(dump).map((f) => f.split('-')[1])).size >= 2);
    assert.ok(tasks.some((t) => t.op === 'alerted'));

    let alerts = 0;
    let events = 0;
    const { epochs } = await epochOf(tasks, null);
    assert.ok(epochs >= 2);
    for (let e = 0; e < epochs; e++) {
      const { tasks: mine, state } = await epochOf(tasks, e);
      for (const t of mine) {
        const r = await runTask(t, state, () => {}) as { alerts?: unknown[]; events?: { n: number } } | unknown[] | null;
        if (Array.isArray(r)) alerts += r.length; // text alerts
        else {
          alerts += r?.alerts?.length ?? 0;
          events += r?.events?.n ?? 0;
        }
      }
    }
    assert.equal(alerts, networkAlerts);
    assert.ok(events > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
