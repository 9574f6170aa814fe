// The decode pool sends a busy worker its next task ahead of time (pool.ts): every
// result must still reach the caller that asked for it, a task that fails must not
// hold up the ones queued behind it, and the pool must not stall with tasks left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DecodePool } from '../src/hunt/pool.js';
import { affineIndex } from '../src/runtime/pool.js';
import { alertsFromJson, alertsToJson, runTask } from '../src/hunt/decode-worker.js';
import type { FileScan } from '../src/hunt/batch-file.js';
import { DEFAULT_FRAMING } from '../src/inputs/framing.js';
import { UnreadableInput, type InputFile } from '../src/inputs/inputs.js';
import type { DecodedEvent } from '../src/model/event.js';

const decode = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };

/** A file of the project's own sample corpus (test/corpus/). */
function corpus(rel: string): InputFile {
  const path = fileURLToPath(new URL(`./corpus/${rel}`, import.meta.url));
  return { path, display: rel, size: statSync(path).size };
}

/** A Snort fast.log of `n` alerts from 81.2.<k>.x: each file's alerts are its own. */
function fastLog(dir: string, k: number, n: number): InputFile {
  const path = join(dir, `fast-${k}.log`);
  writeFileSync(path, Array.from({ length: n }, (_, i) =>
    `05/30-19:${String(i % 60).padStart(2, '0')}:10.917356  [**] [1:2012811:2] ET DNS Query to a .tk domain [**] [Classification: Potentially Bad Traffic] [Priority: 2] {UDP} 81.2.${k}.${i + 1}:1029 -> 10.0.0.3:53`).join('\n') + '\n');
  return { path, display: `fast-${k}.log`, size: statSync(path).size };
}

// Text logs whose network alerts differ from file to file.
const dir = mkdtempSync(join(tmpdir(), 'cw-pool-'));
const FILES = [corpus('fast-log/snort2-fast.log'), corpus('fortigate/fortios7-eventtime-ns.log'), fastLog(dir, 1, 40), fastLog(dir, 2, 400)];

test('tasks sent ahead to busy workers: each result reaches its own caller; a failing task stalls none behind it', async () => {
  // What each file gives on this thread, the way the pool's main-thread slot runs it.
  const want = await Promise.all(FILES.map(async (file) =>
    await runTask({ id: 0, op: 'text', file, decode, framing: DEFAULT_FRAMING }, { collect: { ips: new Set(), tests: null } }, () => {}) as DecodedEvent[]));
  assert.ok(want.every((w) => w.length > 0), 'every file holds network alerts');
  assert.equal(new Set(want.map((w) => JSON.stringify(w))).size, FILES.length);

  const pool = new DecodePool(3);
  try {
    const missing: InputFile = { path: '/nonexistent/crosswatch/eve.json', display: 'gone/eve.json', size: 1 };
    // Many more tasks than threads (so workers get tasks ahead), the missing file among them.
    const order = Array.from({ length: 24 }, (_, i) => (i === 7 ? -1 : i % FILES.length));
    const runs = order.map((k) => pool.run<DecodedEvent[]>({ op: 'text', file: k < 0 ? missing : FILES[k]!, decode, framing: DEFAULT_FRAMING })
      .then((events) => ({ events }), (err: unknown) => ({ err })));
    const got = await Promise.all(runs);
    order.forEach((k, i) => {
      const r = got[i]!;
      if (k < 0) {
        assert.ok('err' in r && r.err instanceof UnreadableInput, `task ${i}: the missing file is reported as unreadable`);
        assert.match((r.err as Error).message, /gone\/eve\.json/);
      } else {
        assert.ok('events' in r, `task ${i} failed: ${'err' in r ? String(r.err) : ''}`);
        assert.deepEqual(r.events, want[k], `task ${i}: ${FILES[k]!.display}`);
      }
    });
    // The pool still takes work after a failure.
    assert.deepEqual(await pool.run<DecodedEvent[]>({ op: 'text', file: FILES[2]!, decode, framing: DEFAULT_FRAMING }), want[2]);
  } finally {
    await pool.close();
  }
});

test('affinity: each thread keeps to the kind of records it started on, and the queue still drains whatever the kinds', () => {
  // Two threads take turns, as a hunt's would over pieces queued biggest file first:
  // the Exchange file's pieces, then the Entra file's, then small files of each kind and one of no known kind.
  const queue: Array<{ affinity?: string; name: string }> = [
    ...Array.from({ length: 6 }, (_, i) => ({ affinity: 'm365-audit', name: `exchange#${i}` })),
    ...Array.from({ length: 4 }, (_, i) => ({ affinity: 'entra-signin', name: `entra#${i}` })),
    { affinity: 'm365-audit', name: 'sharepoint' },
    { name: 'unknown' },
    { affinity: 'entra-signin', name: 'graph' },
  ];
  const owners = new Map<string, string>();
  const ran: Record<string, string[]> = { main: [], worker: [] };
  for (let turn = 0; queue.length > 0; turn++) {
    const thread = turn % 2 === 0 ? 'main' : 'worker';
    const i = affineIndex(queue, owners, thread, () => true);
    ran[thread]!.push(queue.splice(i, 1)[0]!.name);
  }
  // The first thread takes the oldest (the biggest file's first piece), the second the first of another kind;
  // each then keeps to its own until its kind runs out, and takes what is left.
  assert.deepEqual(ran.main, ['exchange#0', 'exchange#1', 'exchange#2', 'exchange#3', 'exchange#4', 'exchange#5', 'sharepoint']);
  assert.deepEqual(ran.worker, ['entra#0', 'entra#1', 'entra#2', 'entra#3', 'graph', 'unknown']);
  assert.deepEqual(Object.fromEntries(owners), { 'm365-audit': 'main', 'entra-signin': 'worker' });

  // A kind whose thread died is free for another to own.
  const again = [{ affinity: 'm365-audit' }, { affinity: 'entra-signin' }];
  assert.equal(affineIndex(again, owners, 'worker2', (t) => t !== 'main'), 0);
  assert.equal(owners.get('m365-audit'), 'worker2');
  // With only other live threads' kinds queued, a thread takes the oldest and owns nothing new.
  assert.equal(affineIndex([{ affinity: 'entra-signin' }, { affinity: 'm365-audit' }], owners, 'main', () => true), 0);
  assert.equal(owners.get('entra-signin'), 'worker');
});

test('a worker\'s scan hands its network alerts over as JSON: the same alerts as its own thread\'s, every field', async () => {
  // JSON network alerts of four formats, scanned the way a worker scans them (op 'scan'), then sent
  // through a real worker pool and through alertsToJson / a structured clone / alertsFromJson.
  const files = ['suricata-eve/eve.json', 'snort-json/snort3-alert-json.json', 'snort-json/snort3-alert-json-year.json', 'zeek-notice/notice.json', 'zeek-notice/notice-json-timestamps.json'].map(corpus);
  const state = { collect: { ips: new Set<string>(), tests: null } };
  const pool = new DecodePool(2);
  try {
    let alerts = 0;
    for (const file of files) {
      const task = { op: 'scan' as const, file, decode, framing: DEFAULT_FRAMING, fast: true, collect: false };
      const local = await runTask({ id: 0, ...task }, state, () => {}) as FileScan;
      const sent = alertsToJson(local);
      if (local.alerts.length > 0) assert.equal(sent.alerts.length, 0, `${file.display}: sent as JSON`);
      assert.deepEqual(alertsFromJson(structuredClone(sent)).alerts, local.alerts, file.display);
      // On a worker: each file again, until the worker (not this thread) has taken it.
      const viaPool = await Promise.all([1, 2, 3, 4].map(() => pool.run<FileScan>(task)));
      for (const r of viaPool) {
        assert.deepEqual(r.alerts, local.alerts, file.display);
        assert.equal((r as { alertsJson?: string }).alertsJson, undefined);
      }
      alerts += local.alerts.length;
    }
    assert.ok(alerts >= 8, `only ${alerts} alerts in the corpus files`);
  } finally {
    await pool.close();
  }
});

test('alerts holding a number JSON cannot write (NaN, Infinity) go as objects', () => {
  const alert = (severity: number): DecodedEvent => ({
    at: { ms: 1, ns: 0 },
    event: { '@timestamp': '1970-01-01T00:00:00.001Z', event: { kind: 'alert', dataset: 'suricata.eve', severity }, crosswatch: { role: 'network_alert', decoder: 'suricata-eve' } },
  });
  for (const bad of [Number.POSITIVE_INFINITY, Number.NaN]) {
    const scan = { alerts: [alert(2), alert(bad)] };
    const sent = alertsToJson(scan);
    assert.equal(sent.alertsJson, undefined);
    assert.equal(sent.alerts.length, 2);
    assert.ok(Object.is(alertsFromJson(structuredClone(sent)).alerts[1]!.event.event.severity, bad));
  }
  assert.equal(typeof alertsToJson({ alerts: [alert(2)] }).alertsJson, 'string');
});
