// What a fast hunt learns from a file's first records before it plans the work
// (batch-file.ts sniffFile): whether the file can hold network alerts, and how
// many of the records it looked at are alerts — a file of alerts is parsed
// record by record, so the hunt starts it first (batch.ts, ALERT_PARSE_COST).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sniffFile } from '../src/hunt/batch-file.js';
import { executorFor } from '../src/hunt/executor.js';
import { DEFAULT_FRAMING } from '../src/inputs/framing.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-sniff-'));
const ctx = { defaultOffsetMinutes: 0, reference: { ms: Date.parse('2026-03-03T00:00:00Z'), ns: 0 } };

// Records shaped as Suricata EVE and the Management Activity API write them.
const eveAlert = (i: number): string => JSON.stringify({
  timestamp: `2026-03-02T10:00:0${i % 10}.123456+0000`, flow_id: 1000 + i, event_type: 'alert', src_ip: `81.2.69.${i}`, src_port: 40000 + i,
  dest_ip: '10.1.0.5', dest_port: 443, proto: 'TCP',
  alert: { action: 'allowed', gid: 1, signature_id: 2013028, rev: 7, signature: 'ET POLICY curl User-Agent Outbound', category: 'Attempted Information Leak', severity: 2 },
});
const eveFlow = (i: number): string => JSON.stringify({
  timestamp: `2026-03-02T10:00:0${i % 10}.123456+0000`, flow_id: 2000 + i, event_type: 'flow', src_ip: `10.1.0.${i}`, src_port: 50000 + i,
  dest_ip: '81.2.69.200', dest_port: 443, proto: 'TCP', flow: { pkts_toserver: 4, pkts_toclient: 3, bytes_toserver: 400, bytes_toclient: 300, state: 'closed' },
});
const mailAccess = (i: number): string => JSON.stringify({
  CreationTime: `2026-03-02T10:00:0${i % 10}`, Id: `971b5114-871e-4492-9ac6-a36aa50725${String(i).padStart(2, '0')}`, Operation: 'MailItemsAccessed',
  RecordType: 50, ResultStatus: 'Succeeded', Workload: 'Exchange', UserId: `user${i}@contoso.com`, ClientIPAddress: `81.2.69.${i}`,
});

async function sniff(name: string, lines: string[]): Promise<Awaited<ReturnType<typeof sniffFile>>> {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return sniffFile({ path, display: name, size: statSync(path).size }, ctx, DEFAULT_FRAMING);
}

test('a file of network alerts is all alerts to the sniff', async () => {
  const s = await sniff('alerts.json', Array.from({ length: 30 }, (_, i) => eveAlert(i)));
  assert.deepEqual(s, { mayHoldAlerts: true, ndjson: true, alertShare: 1, decoder: 'suricata-eve' });
});

test('a sensor log of flows with a few alerts: the share of the records looked at', async () => {
  const lines = Array.from({ length: 30 }, (_, i) => (i === 2 || i === 7 ? eveAlert(i) : eveFlow(i)));
  const s = await sniff('flows.json', lines);
  assert.equal(s.mayHoldAlerts, true);
  assert.equal(s.alertShare, 2 / 10);
});

test('an audit log holds no alerts and costs no parsing', async () => {
  const s = await sniff('audit.json', Array.from({ length: 30 }, (_, i) => mailAccess(i)));
  assert.deepEqual(s, { mayHoldAlerts: false, ndjson: true, alertShare: 0, decoder: 'm365-audit' });
});

test('an audit log that turns to alerts within the records looked at may hold alerts', async () => {
  const s = await sniff('mixed.json', [mailAccess(1), mailAccess(2), eveAlert(3), mailAccess(4)]);
  assert.equal(s.mayHoldAlerts, true);
  assert.equal(s.alertShare, 1 / 4);
  // The kind of records the file holds, for the threads' affinity (runtime/pool.ts): most of those looked at.
  assert.equal(s.decoder, 'm365-audit');
});

test('the hunt sniffs its files on both threads, a few to a task: each answer is its own file\'s, in the files\' order', async () => {
  // Files of every verdict, more of them than a task takes (batch.ts SNIFF_TASKS_PER_THREAD),
  // in an order whose answers differ from neighbour to neighbour.
  const kinds: Array<[string, () => string[]]> = [
    ['alerts', () => Array.from({ length: 30 }, (_, i) => eveAlert(i))],
    ['audit', () => Array.from({ length: 30 }, (_, i) => mailAccess(i))],
    ['flows', () => Array.from({ length: 30 }, (_, i) => (i % 5 === 0 ? eveAlert(i) : eveFlow(i)))],
    ['array', () => [`[${Array.from({ length: 12 }, (_, i) => mailAccess(i)).join(',')}]`]],
    ['mixed', () => [mailAccess(1), eveAlert(2), mailAccess(3)]],
  ];
  const files = Array.from({ length: 23 }, (_, i) => {
    const [kind, lines] = kinds[(i * 3) % kinds.length]!;
    const path = join(dir, `pool-${i}-${kind}.json`);
    writeFileSync(path, `${lines().join('\n')}\n`);
    return { path, display: path, size: statSync(path).size };
  });
  files.push({ path: join(dir, 'vanished.json'), display: 'vanished.json', size: 1000 });
  const one = [];
  for (const f of files) one.push(await sniffFile(f, ctx, DEFAULT_FRAMING));
  const exec = executorFor(2, DEFAULT_FRAMING);
  try {
    const per = 3;
    const groups = Array.from({ length: Math.ceil(files.length / per) }, (_, g) => files.slice(g * per, g * per + per));
    const pooled = (await Promise.all(groups.map((g) => exec.sniff(g, ctx)))).flat();
    assert.deepEqual(pooled, one);
    // (Not all alike: the test would pass a sniff that answered every file the same.)
    assert.ok(new Set(one.map((s) => JSON.stringify(s))).size >= 4);
  } finally {
    await exec.close();
  }
});
