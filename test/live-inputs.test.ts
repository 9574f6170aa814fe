// Live inputs of the service with real files and sockets: folder tailing (partial
// lines, truncation, rotation, offsets across restarts) and syslog over UDP and
// TCP (octet-counted and newline framing), feeding the real store and pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { FolderTailer } from '../src/inputs/tail.js';
import { SyslogServer } from '../src/inputs/syslog-server.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { FramedItem } from '../src/inputs/framing.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIO = join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
const EVE = readFileSync(join(SCENARIO, 'eve.json'), 'utf8').trim();
const SIGNIN = readFileSync(join(SCENARIO, 'signins.json'), 'utf8').trim();

function setup(dir = mkdtempSync(join(tmpdir(), 'cw-live-'))): { store: SqliteStore; pipeline: StreamPipeline; dir: string; seen: FramedItem[] } {
  const store = new SqliteStore(join(dir, 'data'));
  const pipeline = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules(),
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
    allowedLatenessMs: 24 * 3_600_000,
  });
  return { store, pipeline, dir, seen: [] };
}

test('tailing: complete lines only, offsets survive a restart, truncation and rotation start over', async () => {
  const { store, pipeline, dir, seen } = setup();
  const logs = join(dir, 'logs');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(logs);
  const file = join(logs, 'feed.log');
  const ingest = (items: FramedItem[]): void => {
    seen.push(...items);
    pipeline.ingest(items);
  };
  writeFileSync(file, `${EVE}\n${SIGNIN.slice(0, 100)}`); // the sign-in line is still being written
  const t1 = new FolderTailer({ dir: logs, pattern: /\.log$/, offsets: store, ingest });
  await t1.poll();
  assert.equal(seen.length, 1);
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 0);
  appendFileSync(file, `${SIGNIN.slice(100)}\n`);
  await t1.poll();
  assert.equal(seen.length, 2);
  assert.equal(seen[1]!.origin.line, 2);
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
  writeFileSync(join(logs, 'ignored.txt'), `${EVE}\n`);

  // A new tailer on the same store (a restart) reads nothing again.
  const t2 = new FolderTailer({ dir: logs, pattern: /\.log$/, offsets: store, ingest });
  await t2.poll();
  assert.equal(seen.length, 2);

  // Truncated and rewritten: read from the start; the same records count once.
  writeFileSync(file, `${EVE}\n`);
  await t2.poll();
  assert.equal(seen.length, 3);
  assert.equal(seen[2]!.origin.line, 1);
  // Rotated: the old file moves away, a new one appears at the path.
  renameSync(file, join(logs, 'feed.log.1'));
  writeFileSync(file, `${SIGNIN}\n`);
  await t2.poll();
  assert.equal(seen.length, 4);
  assert.equal(store.eventCount(), 2, 'records read twice are stored once');
  assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
  store.close();
});

test('syslog: UDP datagrams and TCP with octet counting and newline framing', async () => {
  const { store, pipeline } = setup();
  const got: FramedItem[] = [];
  const server = new SyslogServer({
    host: '127.0.0.1', udpPort: 0, tcpPort: 0,
    ingest: (items) => {
      got.push(...items);
      pipeline.ingest(items);
    },
  });
  await server.start();
  try {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(Buffer.from(`<134>${EVE}`), server.udpAddress!.port, '127.0.0.1', () => r()));
    udp.close();
    const tcp = connect(server.tcpAddress!.port, '127.0.0.1');
    await new Promise<void>((r) => tcp.once('connect', () => r()));
    const framed = Buffer.from(SIGNIN, 'utf8');
    // One octet-counted frame split across two writes, then two newline-framed lines.
    tcp.write(`${framed.length} ${framed.subarray(0, 50).toString('latin1')}`, 'latin1');
    await new Promise((r) => setTimeout(r, 30));
    tcp.write(Buffer.concat([framed.subarray(50), Buffer.from(`hello world\n{"broken":\n`)]));
    tcp.end();
    for (let i = 0; i < 100 && got.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, 4, JSON.stringify(got.map((g) => g.kind)));
    const kinds = got.map((g) => g.kind).sort();
    assert.deepEqual(kinds, ['json', 'json', 'problem', 'text']);
    // The EVE alert came in behind a PRI, the sign-in in an octet-counted frame: together, an alert.
    assert.equal(store.listAlerts({ limit: 10 }).alerts.length, 1);
  } finally {
    await server.stop();
    store.close();
  }
});
