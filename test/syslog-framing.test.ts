// Syslog framing as senders and relays really send it (RFC 6587 over TCP: octet
// counting as rsyslog's omfwd TCP_Framing="octet-counted" and syslog-ng's
// syslog() driver write it, newline framing as everything else does; RFC 5426
// over UDP), and as broken senders send it: frames split anywhere, newlines
// inside frames, counts that lie, frames and lines over the size limit. The
// framer must report, skip and carry on; the server must never crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { SyslogServer, TcpSyslogFramer, type TcpFrame } from '../src/inputs/syslog-server.js';
import type { FramedItem } from '../src/inputs/framing.js';

const CEF = '<134>2026-03-04T09:59:59+00:00 fw01 CEF: 0|Acme|NGFW|9.1|3001|Port scan|7|src=45.33.32.156';
const SNORT = '<33>Mar  4 09:59:59 sensor01 snort[1234]: [1:2010937:3] ET SCAN x [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 81.2.69.143:51234 -> 45.33.32.156:3306';
// syslog-ng's syslog() driver: IETF message with a line end inside the frame.
const IETF = '<189>1 2024-03-04T09:59:59+00:00 FGT60E date=2024-03-04 - - - time=09:59:59 devname="FGT60E" srcip=185.220.101.7\n';

const octet = (m: string): string => `${Buffer.byteLength(m)} ${m}`;

function frames(chunks: Array<string | Buffer>, max = 65536, close = true): TcpFrame[] {
  const f = new TcpSyslogFramer(max);
  const out: TcpFrame[] = [];
  for (const c of chunks) f.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c, out);
  if (close) f.end(out);
  return out;
}

const texts = (fs: TcpFrame[]): string[] => fs.filter((f) => f.kind === 'message').map((f) => (f as { text: string }).text);
const problems = (fs: TcpFrame[]): string[] => fs.filter((f) => f.kind === 'problem').map((f) => (f as { message: string }).message);

test('octet counting and newline framing, told apart per message; newlines inside a frame stay in it', () => {
  const multi = '<13>Mar  4 09:59:59 host app: first line\nsecond line\nthird';
  const stream = `${octet(CEF)}${octet(multi)}${SNORT}\n${octet(IETF)}${octet('<13>Mar  4 09:59:59 h app: caf\u00e9 \u2713')}`;
  const got = frames([stream]);
  assert.deepEqual(problems(got), []);
  assert.deepEqual(texts(got), [CEF, multi, SNORT, IETF, '<13>Mar  4 09:59:59 h app: caf\u00e9 \u2713']);
});

test('a frame split at every byte (and multi-byte characters split) reads the same as whole', () => {
  const stream = Buffer.from(`${octet(CEF)}${SNORT}\n${octet('<13>Mar  4 09:59:59 h app: \u00e9\u2713\u{1F600}')}${octet(IETF)}`, 'utf8');
  const whole = frames([stream]);
  const bytes: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) bytes.push(stream.subarray(i, i + 1));
  assert.deepEqual(frames(bytes), whole);
  assert.equal(texts(whole).length, 4);
  // The count itself split ("12" + "3 <…"), and a last newline-framed message without a line end.
  const n = String(Buffer.byteLength(CEF));
  const split = frames([n.slice(0, 1), n.slice(1), ` ${CEF}`, SNORT]);
  assert.deepEqual(texts(split), [CEF, SNORT]);
});

test('a count that lies is reported, its frame dropped, and the stream recovers', () => {
  const short = `${Buffer.byteLength(CEF) - 20} ${CEF}`;
  const long = `${Buffer.byteLength(CEF) + 7} ${CEF}`;
  // Octet-counted streams have no newlines to fall back on: recovery finds the next "LEN <".
  const a = frames([`${octet(SNORT)}${short}${octet(SNORT)}${octet(IETF)}`]);
  assert.equal(problems(a).length, 1, JSON.stringify(a));
  assert.match(problems(a)[0]!, /octet count \d+ does not match/);
  assert.deepEqual(texts(a), [SNORT, SNORT, IETF]);
  const b = frames([`${long}${octet(SNORT)}${octet(IETF)}`]);
  assert.equal(problems(b).length, 1, JSON.stringify(b));
  // The lying frame swallowed the start of the next one: reading resumes inside it, at that frame's count.
  assert.deepEqual(texts(b), [SNORT, IETF]);
  // Newline-framed after a lying frame: recovery at the next line.
  const c = frames([`${short}\n${SNORT}\n`]);
  assert.equal(problems(c).length, 1);
  assert.deepEqual(texts(c), [SNORT]);
});

test('a frame over the size limit is skipped as its bytes arrive, then reading goes on', () => {
  const big = `<13>Mar  4 09:59:59 h app: ${'x'.repeat(5000)}`;
  const stream = Buffer.from(`${octet(big)}${octet(SNORT)}${octet(CEF)}`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 333) chunks.push(stream.subarray(i, i + 333));
  const got = frames(chunks, 1024);
  assert.deepEqual(problems(got), ['octet-counted frame of 5027 bytes is over the 1024-byte limit; skipped']);
  assert.deepEqual(texts(got), [SNORT, CEF]);
  // A newline-framed line over the limit: its continuation never turns into a message.
  const line = frames([`${big.slice(0, 3000)}`, `${big.slice(3000)}\n${SNORT}\n`], 1024);
  assert.deepEqual(problems(line), ['line longer than 1024 bytes; skipped']);
  assert.deepEqual(texts(line), [SNORT]);
  // A bogus count near the 7-digit maximum does not buffer megabytes: it is skipped, not held.
  const f = new TcpSyslogFramer(1024);
  const out: TcpFrame[] = [];
  f.push(Buffer.from('9999999 <13>'), out);
  for (let i = 0; i < 20; i++) f.push(Buffer.alloc(65536, 0x61), out);
  assert.equal(problems(out).length, 1);
  assert.equal(texts(out).length, 0);
});

test('closing inside an octet-counted frame is reported; a last unterminated line is kept', () => {
  const cut = frames([`${octet(SNORT)}${octet(CEF).slice(0, 40)}`]);
  assert.deepEqual(texts(cut), [SNORT]);
  assert.match(problems(cut)[0]!, /connection closed inside an octet-counted frame \(\d+ of \d+ bytes\)/);
  assert.deepEqual(texts(frames([`${SNORT}\n${CEF}`])), [SNORT, CEF]);
  // NUL-delimited (some Java senders).
  assert.deepEqual(texts(frames([`${SNORT}\0${CEF}\0`])), [SNORT, CEF]);
});

async function withServer(max: number, fn: (s: SyslogServer, got: FramedItem[], logs: string[]) => Promise<void>): Promise<void> {
  const got: FramedItem[] = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const server = new SyslogServer({
    host: '127.0.0.1', udpPort: 0, tcpPort: 0, maxMessageBytes: max,
    ingest: (items) => got.push(...items),
    // A sender's broken framing is its problem (a warning), never the service's error.
    onSenderProblem: (message) => logs.push(message),
    onError: (err) => errors.push(err.message),
  });
  await server.start();
  try {
    await fn(server, got, logs);
  } finally {
    await server.stop();
  }
  assert.deepEqual(errors, []);
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('TCP server: split packets, bad frames reported and logged once each, the same connection keeps working', async () => {
  await withServer(1024, async (server, got, logs) => {
    const sock: Socket = connect(server.tcpAddress!.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const write = (s: string): Promise<void> => new Promise((r) => sock.write(s, () => r()));
    const one = octet(CEF);
    await write(one.slice(0, 3)); // inside the count
    await sleep(20);
    await write(one.slice(3, 50));
    await sleep(20);
    await write(`${one.slice(50)}${octet(IETF).slice(0, 10)}`);
    await sleep(20);
    await write(`${octet(IETF).slice(10)}${Buffer.byteLength(SNORT) - 30} ${SNORT}${octet(`<13>Mar  4 09:59:59 h app: ${'y'.repeat(2000)}`)}`);
    await write(`${SNORT}\n`);
    await until(() => got.length >= 5);
    assert.equal(sock.destroyed, false, 'the connection stays open');
    const text = got.filter((g) => g.kind === 'text').map((g) => (g as { value: string }).value);
    // The IETF message's own line end is not part of the record.
    assert.deepEqual(text, [CEF, IETF.trimEnd(), SNORT]);
    const reasons = got.filter((g) => g.kind === 'problem').map((g) => (g as { reason: string }).reason);
    assert.deepEqual(reasons, ['invalid-field', 'record-too-large']);
    assert.equal(logs.length, 2, logs.join('\n'));
    assert.match(logs[0]!, /^syslog tcp from 127\.0\.0\.1:\d+: octet count \d+ does not match the data/);
    assert.match(logs[1]!, /^syslog tcp from 127\.0\.0\.1:\d+: octet-counted frame of 2027 bytes is over the 1024-byte limit; skipped$/);
    sock.end();
    await until(() => sock.closed);
  });
});

test('TCP server: a sender that never frames is bounded and logged at most a few times', async () => {
  await withServer(1024, async (server, got, logs) => {
    const sock = connect(server.tcpAddress!.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    for (let i = 0; i < 8; i++) sock.write(`${'z'.repeat(1500)}\n`);
    sock.end(`${SNORT}\n`);
    await until(() => got.some((g) => g.kind === 'text'));
    assert.equal(got.filter((g) => g.kind === 'problem').length, 8);
    assert.equal(logs.length, 5);
    assert.match(logs[4]!, /further framing problems on this connection are counted, not logged/);
    assert.deepEqual(got.filter((g) => g.kind === 'text').map((g) => (g as { value: string }).value), [SNORT]);
  });
});

test('UDP server: one message per datagram, line ends and NULs trimmed, newlines inside kept, oversize reported', async () => {
  await withServer(1024, async (server, got) => {
    const udp = createSocket('udp4');
    const send = (b: Buffer | string): Promise<void> => new Promise((r) => udp.send(b, server.udpAddress!.port, '127.0.0.1', () => r()));
    await send(`${CEF}\n`);
    await send(`${SNORT}\0`);
    await send(`${IETF}`);
    await send('<13>Mar  4 09:59:59 h app: one\ntwo\r\n');
    await send(`<13>Mar  4 09:59:59 h app: ${'q'.repeat(2000)}`);
    await send('\n');
    await until(() => got.length >= 5);
    await sleep(50);
    udp.close();
    const text = got.filter((g) => g.kind === 'text').map((g) => (g as { value: string }).value).sort();
    assert.deepEqual(text, [CEF, SNORT, IETF.trimEnd(), '<13>Mar  4 09:59:59 h app: one\ntwo'].sort());
    const p = got.filter((g) => g.kind === 'problem') as Array<{ reason: string; message: string }>;
    assert.equal(p.length, 1);
    assert.equal(p[0]!.reason, 'record-too-large');
    assert.match(p[0]!.message, /datagram of 2027 bytes is over the 1024-byte limit/);
  });
});

test('hostile streams stay linear: digit floods, endless lies, no line ends', () => {
  const cases: Array<[string, Buffer]> = [
    ['digits', Buffer.alloc(4 << 20, 0x39)],
    ['digits then " <1"', Buffer.concat([Buffer.alloc(2 << 20, 0x31), Buffer.from(' <1')])],
    ['lying counts', Buffer.from('5 <13>abcdef'.repeat(200_000))],
    ['no line ends', Buffer.alloc(4 << 20, 0x61)],
  ];
  for (const [name, data] of cases) {
    const t0 = Date.now();
    const out: TcpFrame[] = [];
    const f = new TcpSyslogFramer(65536);
    for (let i = 0; i < data.length; i += 65536) f.push(data.subarray(i, i + 65536), out);
    f.end(out);
    const ms = Date.now() - t0;
    assert.ok(ms < 3000, `${name}: ${ms} ms`);
    assert.ok(out.every((o) => o.kind === 'problem' || o.text.length <= 65536), name);
  }
});
