// hunt parses a record of an alerted IP with only the keys a decoder reads
// (hunt/pruned-records.ts): the kernel checks the record is JSON as JSON.parse
// reads it and writes its kept members again (ScanKernel.prune), and the
// registry hands the result only to a decoder that reads no other key
// (decoders/index.ts takesPruned). Held here: the kernel against JSON.parse on
// hand-made and mutated records, the decoders' declared keys against what they
// read, and a pruned record's decoding against the whole one's, on the project's
// corpus, generated exports and the peer's vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanKernel } from '../src/inputs/scan-kernel.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { frameFile } from '../src/inputs/framing.js';
import { prunedRecords } from '../src/hunt/pruned-records.js';
import { DECODERS, decodeRecord, prunedKeys, takesPruned } from '../src/decoders/index.js';
import type { JsonKeys, RawRecord } from '../src/decoders/types.js';
import { generate } from '../src/generate/generator.js';
import { Rng } from '../src/generate/rng.js';
import { CTX, fixturesSkip, loadGraphSignIns, loadRaw, rawFixtureFiles } from './fixtures-helpers.js';

const kernel = new ScanKernel();
const readPruned = prunedRecords(kernel, CTX);

/** The record's bytes into the kernel's buffer. */
function load(bytes: Buffer): void {
  kernel.ensure(bytes.length + 64);
  bytes.copy(kernel.buffer, 0);
  kernel.pad(bytes.length);
}

function pruneText(text: string | Buffer): string | null {
  const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  load(b);
  return kernel.prune(0, b.length);
}

function prunedValue(text: string): Record<string, unknown> | null {
  const b = Buffer.from(text, 'utf8');
  load(b);
  return readPruned(0, b.length);
}

const KEYS = prunedKeys();
const TOP = new Set(KEYS.top);
const INNER = new Map(Object.entries(KEYS.inner ?? {}).map(([k, v]) => [k, new Set(v)]));

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the pruned text must parse to: the whole record's value with only the kept keys (the specification, in JavaScript). */
function project(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!TOP.has(k) && !(KEYS.prefixes ?? []).some((p) => k.startsWith(p))) continue;
    const within = INNER.get(k);
    out[k] = within && isPlainObject(v) ? Object.fromEntries(Object.entries(v).filter(([i]) => within.has(i))) : v;
  }
  return out;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The one property the kernel must have: when it answers, the record is JSON
 * that JSON.parse reads, and the answer reads as the whole record's kept keys,
 * in their order. (It may decline a valid record: then it is parsed whole.)
 */
function assertSound(bytes: Buffer, why: string): 'pruned' | 'declined' {
  const out = pruneText(bytes);
  if (out === null) return 'declined';
  const whole = tryParse(bytes.toString('utf8'));
  assert.ok(whole.ok, `${why}: pruned a record JSON.parse rejects: ${JSON.stringify(bytes.toString('utf8').slice(0, 200))}`);
  assert.ok(isPlainObject(whole.value), `${why}: not an object`);
  assert.equal(JSON.stringify(JSON.parse(out)), JSON.stringify(project(whole.value)), `${why}: pruned text reads differently`);
  return 'pruned';
}

test('the kernel declines every record JSON.parse rejects, and reads the rest as JSON.parse does', () => {
  const invalid = [
    '{"category":1,}', '{"category":01}', '{"category":1.}', '{"category":.5}', '{"category":-}', '{"category":1e}', '{"category":1e+}',
    '{"category":+1}', '{"category":tru}', '{"category":nulls}', '{"category":True}', '{"category":NaN}', '{"category":-Infinity}',
    '{"category":"x\\qy"}', '{"category":"x\\u12G4"}', '{"category":"x\\u12"}', '{"category":"tab\there"}', '{"category":"nl\nhere"}',
    '{"category" 1}', '{"category":1 "time":2}', '{category:1}', '{"category":[1,2}', '{"category":{"b":1]}', '{"category":1}}',
    '{"category":1} x', "{\"category\":'x'}", '{"category":1,"time":}', '{"category":[,1]}', '{"category":[1,]}', '{"category":"unterminated}',
    '{"category":1}\u00a0', '\ufeff{"category":1}', '{"category":1', '{', '{"', '{"category"', '{"category":', '{"properties":{"id":1,}}',
    '{"properties":{"id" 1}}', '{"x":{"y":[1,{"z":}]}}', '{"x":"\\', '{"x":"\\u"}', '{"x":1}{"y":2}', '{"x":[1 2]}', '{"x":{"a":1,"a"}}',
    '{"x":-01}', '{"x":0x10}', '{"x":1.5e}', '{"x":\u00a01}', '{"x"\u00a0:1}', '{"x":"a\u0000b"}', '{"x":[]]}', '{"x":{}}}', '{"x":[{]}',
  ];
  for (const text of invalid) {
    assert.equal(tryParse(text).ok, false, `the case itself must be invalid: ${JSON.stringify(text)}`);
    assert.equal(pruneText(text), null, `pruned invalid JSON ${JSON.stringify(text)}`);
  }
  const valid = [
    '{}', '{"category":"SignInLogs"}', ' \t\r\n{ "category" : "SignInLogs" , "time" : [ 1 , 2 ] , "x" : { } } \r\n',
    '{"category":-0,"time":0.5e-10,"Time":1E+2,"Type":123456789012345678901234567890,"type":-1.25E-3}',
    '{"category":"a","category":"b"}', '{"x":1,"category":"a","y":{"category":"nested, dropped"},"category":"last wins"}',
    '{"category":"\\ud800 lone surrogate","time":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"}', '{"category":"caf\u00e9 \u2028 \u{1f600}","time":"\u007f"}',
    '{"properties":{}}', '{"properties":"a string"}', '{"properties":[1,{"id":2}]}', '{"properties":null}',
    '{"properties":{"id":1,"deviceDetail":{"browser":"x","nested":[1,[2,[3]]]},"userAgent":"ua","id":2}}',
    '{"properties":{"id":1},"properties":{"userId":"u"}}', '{"TimeGenerated [UTC]":"9/19/2023, 1:45:17.287 PM","TimeGeneratedX":1,"event.kind":"alert"}',
    '{"big":"' + 'x'.repeat(20_000) + '","category":"kept after a long dropped string"}', '{"x":{"\\u0063ategory":"an escaped key inside a dropped value"}}',
    '{"x":[true,false,null,{"a":[{}]}],"time":true,"Time":false,"TimeGenerated":null}',
  ];
  for (const text of valid) assert.equal(assertSound(Buffer.from(text, 'utf8'), JSON.stringify(text.slice(0, 80))), 'pruned', `declined ${JSON.stringify(text.slice(0, 80))}`);
  // Invalid UTF-8 inside a string: JSON.parse of the decoded text reads U+FFFD there, and so does the pruned text.
  const bad = Buffer.concat([Buffer.from('{"category":"a'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('b","time":"t\xe9"}', 'latin1')]);
  assert.equal(assertSound(bad, 'invalid UTF-8 in strings'), 'pruned');
  // Outside strings it is a syntax error.
  assert.equal(pruneText(Buffer.concat([Buffer.from('{"category":1'), Buffer.from([0xc3, 0xa9]), Buffer.from('}')])), null);
});

test('the kernel declines what the pruned text could read differently: escaped keys where keys are looked at, envelopes, limits', () => {
  const nest = (d: number): string => '['.repeat(d) + ']'.repeat(d);
  // The record is level 1: a value nested 63 deep inside it is level 64, the limit (json-limits.ts).
  assert.equal(assertSound(Buffer.from(`{"x":${nest(63)}}`), 'depth 64'), 'pruned');
  assert.equal(pruneText(`{"x":${nest(64)}}`), null, 'depth 65: parsed whole, where the limit is reported');
  assert.equal(pruneText(`{"properties":{"x":${nest(63)}}}`), null, 'depth 65 inside a pruned object');
  assert.equal(pruneText('{"\\u0063ategory":"SignInLogs"}'), null, 'an escaped top-level key may spell a kept one');
  assert.equal(pruneText('{"properties":{"\\u0069d":"x"}}'), null, 'and inside a pruned object');
  assert.equal(pruneText('{"records":[{"category":"SignInLogs"}]}'), null, 'an envelope: the framing expands it');
  assert.equal(pruneText('{"value":[],"@odata.context":"x"}'), null);
  assert.equal(pruneText(`{"x":"${'y'.repeat(50_000)}"}`), null, 'a record of 50,000 bytes or more');
  assert.equal(pruneText('[{"category":"SignInLogs"}]'), null, 'not an object');
  assert.equal(pruneText('"category"'), null);
});

/** The JSON records of files or folders as the framing cuts them (lines, array elements, envelope items), as texts. */
async function framedTexts(roots: string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const f of (await expandInputs(roots)).files) {
    for await (const batch of frameFile(f.path, f.display)) {
      for (const item of batch) if (item.kind === 'json') texts.push(item.text ?? JSON.stringify(item.value));
    }
  }
  return texts;
}

/** Records of the project's own corpus and of two generated exports (every clone has them). */
async function ownRecords(): Promise<string[]> {
  const corpus = fileURLToPath(new URL('./corpus/', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'cw-pruned-'));
  try {
    const gen = await generate({ outDir: dir, events: 4000, seed: 11 });
    const genNd = await generate({ outDir: join(dir, 'nd'), events: 4000, seed: 12, mix: 'ndjson' });
    return await framedTexts([...['entra-signin', 'm365-audit', 'ecs', 'suricata-eve'].map((d) => join(corpus, d)), gen.logsDir, genNd.logsDir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The peer's JSON records (sign-ins, audit records, EVE) as the decoder tests load them. */
function fixtureRecords(): string[] {
  const texts: string[] = [];
  for (const folder of ['azure-signinlogs', 'o365-audit', 'suricata-eve']) {
    for (const file of rawFixtureFiles(folder)) for (const r of loadRaw(folder, file)) if (r.kind === 'json') texts.push(r.text ?? JSON.stringify(r.value));
  }
  return [...texts, ...loadGraphSignIns().map((v) => JSON.stringify(v))];
}

/** A deterministic generator of numbers in [0, 1): the sample data's own. */
function random(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

const ALPHABET = Buffer.from('{}[],:"\\ \t\n0123456789eE.+-tfnulr/u\u00e9x', 'utf8');

test('mutated records: the kernel never prunes one JSON.parse rejects, and reads every one it prunes as JSON.parse does', async () => {
  const texts = (await ownRecords()).filter((t) => t.length < 8000);
  assert.ok(texts.length > 1000, 'records to mutate');
  const rnd = random(2026);
  let pruned = 0;
  let rejectedByParse = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = Buffer.from(texts[Math.floor(rnd() * texts.length)]!, 'utf8');
    let bytes = b;
    for (let m = 1 + Math.floor(rnd() * 3); m > 0; m--) {
      const at = Math.floor(rnd() * bytes.length);
      const c = rnd() < 0.9 ? ALPHABET[Math.floor(rnd() * ALPHABET.length)]! : Math.floor(rnd() * 256);
      const op = rnd();
      if (op < 0.33) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
      else if (op < 0.66) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([c]), bytes.subarray(at)]);
      else {
        bytes = Buffer.from(bytes);
        bytes[at] = c;
      }
    }
    if (!tryParse(bytes.toString('utf8')).ok) rejectedByParse++;
    if (assertSound(bytes, `mutation ${i}`) === 'pruned') pruned++;
  }
  // Both sides are exercised: many mutants are invalid, many others valid and pruned.
  assert.ok(rejectedByParse > 5000 && pruned > 3000, `${rejectedByParse} rejected by JSON.parse, ${pruned} pruned`);
});

/** Every record's decoding, whole and pruned: equal wherever the registry takes the pruned one; how many it took, per decoder. */
function comparePruned(texts: readonly string[], where: string): Map<string, number> {
  const taken = new Map<string, number>();
  for (const [i, text] of texts.entries()) {
    const record = (value: Record<string, unknown>): RawRecord => ({ kind: 'json', value, origin: { source: where, line: i + 1 } });
    const pruned = prunedValue(text);
    if (pruned === null) continue;
    const whole = decodeRecord(record(JSON.parse(text) as Record<string, unknown>), CTX);
    const part = decodeRecord(record(pruned), CTX);
    assert.deepEqual(part, whole, `${where} record ${i + 1}: decoded differently pruned`);
    taken.set(whole.decoder!, (taken.get(whole.decoder!) ?? 0) + 1);
  }
  return taken;
}

/** Records changed where the registry and the decoders look: keys removed, renamed, repeated, added, the shapes' markers. */
function reshaped(texts: readonly string[], seed: number): string[] {
  const rnd = random(seed);
  const extra: Array<[string, unknown]> = [
    ['@timestamp', '2026-03-01T00:00:00Z'], ['event_type', 'alert'], ['event', { kind: 'alert' }], ['event.kind', 'alert'], ['TimeGenerated [UTC]', '9/19/2023, 1:45:17.287 PM'],
    ['TimeGenerated', '2026-03-01T00:00:00Z'], ['Type', 'OfficeActivity'], ['Type', 'SigninLogs'], ['OfficeWorkload', 'Exchange'], ['AuditData', '{"CreationTime":"2026-03-01T00:00:00"}'],
    ['o365audit', { CreationTime: '2026-03-01T00:00:00', Operation: 'UserLoggedIn' }], ['properties', '{"createdDateTime":"2026-03-01T00:00:00Z"}'], ['status', { errorCode: 50126 }],
    ['@odata.type', '#microsoft.graph.signIn'], ['createdDateTime', 'not a time'], ['Category', 'NonInteractiveUserSignInLogs'], ['ClientIP', '203.0.113.9'], ['__proto__', { polluted: true }],
  ];
  return texts.map((text) => {
    const v = JSON.parse(text) as Record<string, unknown>;
    const entries = Object.entries(v);
    const op = rnd();
    let out: Array<[string, unknown]>;
    if (op < 0.25 && entries.length > 1) out = entries.filter((_, j) => j !== Math.floor(rnd() * entries.length));
    else if (op < 0.5) out = [...entries, extra[Math.floor(rnd() * extra.length)]!];
    else if (op < 0.75 && entries.length > 0) {
      const [k] = entries[Math.floor(rnd() * entries.length)]!;
      out = [...entries, [k, rnd() < 0.5 ? null : 'repeated']];
    } else {
      out = entries.map(([k, x]) => [rnd() < 0.2 ? k.charAt(0).toUpperCase() + k.slice(1) : k, x]);
    }
    // Written by hand: JSON.stringify of an object would drop the repeated keys.
    return `{${out.map(([k, x]) => `${JSON.stringify(k)}:${JSON.stringify(x)}`).join(',')}}`;
  });
}

test('a pruned record decodes exactly as the whole one: the corpus and generated exports, as written and reshaped', async () => {
  const texts = await ownRecords();
  const taken = comparePruned(texts, 'own records');
  assert.ok((taken.get('entra-signin') ?? 0) > 100 && (taken.get('m365-audit') ?? 0) > 100, JSON.stringify([...taken]));
  for (const seed of [1, 2, 3]) comparePruned(reshaped(texts, seed), `reshaped (seed ${seed})`);
});

test('a pruned record decodes exactly as the whole one: the peer\'s vectors', { skip: fixturesSkip() }, () => {
  const texts = fixtureRecords();
  const taken = comparePruned(texts, 'fixtures');
  assert.ok((taken.get('entra-signin') ?? 0) > 10 && (taken.get('m365-audit') ?? 0) > 10, JSON.stringify([...taken]));
  for (const seed of [4, 5]) comparePruned(reshaped(texts, seed), `fixtures reshaped (seed ${seed})`);
});

/**
 * A record that notes which keys are read (at the top, and inside the objects
 * under declared inner keys) and whether its keys are walked.
 */
function recording(value: Record<string, unknown>, reads: Set<string>, path = ''): Record<string, unknown> {
  const inner = path === '' ? INNER : new Map<string, Set<string>>();
  return new Proxy(value, {
    get(t, k, r) {
      if (typeof k === 'string') reads.add(path + k);
      const v = Reflect.get(t, k, r) as unknown;
      return typeof k === 'string' && inner.has(k) && isPlainObject(v) ? recording(v, reads, `${path}${k}.`) : v;
    },
    has(t, k) {
      if (typeof k === 'string') reads.add(path + k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      reads.add(`${path}*`);
      return Reflect.ownKeys(t);
    },
  });
}

function declared(keys: JsonKeys | undefined, read: string): boolean {
  if (!keys) return false;
  if (read.endsWith('*')) return read === '*' && (keys.prefixes ?? []).length > 0;
  const dot = read.indexOf('.');
  const [head, rest] = dot > 0 && keys.inner?.[read.slice(0, dot)] ? [read.slice(0, dot), read.slice(dot + 1)] : [read, null];
  if (rest !== null) return keys.inner![head]!.includes(rest);
  return keys.top.includes(read) || (keys.prefixes ?? []).some((p) => read.startsWith(p));
}

test('decoders read only the keys they declare (Decoder.jsonKeys), on every record they take', async () => {
  const texts = [...(await ownRecords())];
  if (fixturesSkip() === false) texts.push(...fixtureRecords());
  const pruning = DECODERS.filter((d) => d.jsonKeys?.decode);
  assert.deepEqual(pruning.map((d) => d.name), ['entra-signin', 'm365-audit']);
  let checked = 0;
  for (const text of [...texts, ...reshaped(texts, 9)]) {
    const value = JSON.parse(text) as Record<string, unknown>;
    const whole = decodeRecord({ kind: 'json', value, origin: { source: 't', line: 1 } }, CTX);
    const d = DECODERS.find((x) => x.name === whole.decoder);
    if (!d?.jsonKeys?.decode) continue;
    // What accepts() of it and of every decoder before it, and its decode(), read.
    for (const before of DECODERS.slice(0, DECODERS.indexOf(d) + 1)) {
      const reads = new Set<string>();
      const record: RawRecord = { kind: 'json', value: recording(value, reads), origin: { source: 't', line: 1 } };
      try {
        before.accepts(record, CTX);
      } catch {
        // (the registry reads a throw as "no")
      }
      const keys = [before.jsonKeys!.accepts];
      if (before === d) {
        d.decode(record, CTX);
        keys.push(d.jsonKeys!.decode!);
      }
      for (const r of reads) assert.ok(keys.some((k) => declared(k, r)), `${before.name} reads "${r}", which it does not declare (record: ${text.slice(0, 120)})`);
    }
    checked++;
  }
  assert.ok(checked > 1000, `${checked} records checked`);
  // Every pruned record is one of those decoders'.
  assert.equal(takesPruned({ event_type: 'alert', src_ip: '203.0.113.9', timestamp: '2026-03-01T00:00:00Z', alert: { signature: 'x' } }, CTX), false);
});
