// Alert sinks: changes queued in the store's outbox are delivered in order to a
// real webhook receiver on loopback (failing at first: retried with backoff,
// signed with HMAC), to an NDJSON file, and survive a restart of the dispatcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { frameLine, type FramedItem } from '../src/inputs/framing.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { NdjsonFileSink, OutboxDispatcher, WebhookSink, signBody } from '../src/outputs/outbox.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIO = join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
const EVE = readFileSync(join(SCENARIO, 'eve.json'), 'utf8').trim();
const SIGNIN = readFileSync(join(SCENARIO, 'signins.json'), 'utf8').trim();

function items(...lines: string[]): FramedItem[] {
  const out: FramedItem[] = [];
  lines.forEach((l, i) => frameLine(l, { source: 'test', line: i + 1 }, out));
  return out;
}

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req) s += String(c);
  return s;
}

test('webhook and file sinks: at-least-once, in order, signed, retried, across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sinks-'));
  const received: Array<{ event: string; id: string; delivery: string; body: string; signature: string }> = [];
  let failFirst = 2;
  const server = createServer((req, res) => {
    void body(req).then((b) => {
      if (failFirst > 0) {
        failFirst--;
        res.writeHead(500).end('busy');
        return;
      }
      received.push({
        event: String(req.headers['x-crosswatch-event']), id: String(req.headers['x-crosswatch-alert-id']),
        delivery: String(req.headers['x-crosswatch-delivery']), body: b, signature: String(req.headers['x-crosswatch-signature']),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const file = join(dir, 'alerts.ndjson');
  const store = new SqliteStore(join(dir, 'data'));
  const sinks = () => [new WebhookSink({ url: `http://127.0.0.1:${port}/hook`, secret: 's3cret' }), new NdjsonFileSink(file)];
  try {
    let dispatcher = new OutboxDispatcher(store, sinks(), { baseBackoffMs: 10 });
    const pipeline = new StreamPipeline(store, {
      config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 86_400_000,
      decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
    });
    pipeline.ingest(items(EVE, SIGNIN));
    // Two failures: the webhook's first delivery waits, the file sink is not held up by it.
    await dispatcher.drain();
    await new Promise((r) => setTimeout(r, 30)); // past the first backoff (10 ms)
    await dispatcher.drain();
    assert.equal(failFirst, 0, 'the webhook was tried twice');
    assert.equal(received.length, 0);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
    // "Restart": a new dispatcher on the same store delivers what is pending.
    await new Promise((r) => setTimeout(r, 50));
    dispatcher = new OutboxDispatcher(store, sinks(), { baseBackoffMs: 10 });
    await dispatcher.drain();
    assert.equal(received.length, 1);
    const first = received[0]!;
    assert.equal(first.event, 'created');
    assert.equal(first.signature, signBody('s3cret', first.body));
    const doc = JSON.parse(first.body) as { change: string; alert: { event: { id: string }; source: { ip: string } } };
    assert.equal(doc.alert.event.id, first.id);
    assert.equal(doc.alert.source.ip, '81.2.69.160');
    // A late event adds evidence: an update of the same alert id, not a new alert.
    const later = JSON.parse(SIGNIN) as { properties: { id: string; createdDateTime: string } };
    later.properties.id = 'late-record-0001';
    later.properties.createdDateTime = '2026-03-02T12:00:00.0000000+00:00';
    pipeline.ingest(items(JSON.stringify(later)));
    await dispatcher.drain();
    assert.deepEqual(received.map((r) => r.event), ['created', 'updated']);
    assert.equal(received[1]!.id, first.id);
    assert.ok(Number(received[1]!.delivery) > Number(first.delivery));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { change: string });
    assert.deepEqual(lines.map((l) => l.change), ['created', 'updated']);
    assert.deepEqual(store.outboxBacklog(), []);
  } finally {
    store.close();
    server.close();
  }
});

test('a retry time set while the clock ran far ahead does not hold a sink once the clock is back', async () => {
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'cw-sinks-clock-')), 'data'));
  const file = join(mkdtempSync(join(tmpdir(), 'cw-sinks-clock-out-')), 'alerts.ndjson');
  const sink = new NdjsonFileSink(file);
  store.sinks = [sink.name];
  const p = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000,
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } },
  });
  p.ingest(items(EVE, SIGNIN));
  const [entry] = store.pendingOutbox(sink.name, Date.now(), 10);
  assert.ok(entry);
  // Failed once while the clock was 400 days ahead: due 400 days from now by today's clock.
  store.outboxFailed(entry.seq, Date.now() + 400 * 86_400_000, 'failed while the clock was ahead');
  assert.equal(store.pendingOutbox(sink.name, Date.now(), 10).length, 0, 'without a bound it would wait 400 days');
  assert.equal(store.pendingOutbox(sink.name, Date.now(), 10, 300_000).length, 1, 'further ahead than any backoff: due now');
  // A backoff within the bound still waits.
  store.outboxFailed(entry.seq, Date.now() + 60_000, 'failed a minute ago');
  assert.equal(store.pendingOutbox(sink.name, Date.now(), 10, 300_000).length, 0);
  // The dispatcher applies its longest backoff as the bound.
  store.outboxFailed(entry.seq, Date.now() + 400 * 86_400_000, 'failed while the clock was ahead');
  const d = new OutboxDispatcher(store, [sink], { maxBackoffMs: 300_000 });
  await d.drain();
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
  assert.equal(store.pendingOutbox(sink.name, Date.now() + 86_400_000, 10).length, 0, 'delivered and gone');
  store.close();
});
