// The registry is the one guard against a decoder that throws: a record whose
// fields blow up on access becomes a located rejection naming the decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODERS, decodeRecord, explainRecord } from '../src/decoders/index.js';
import type { RawRecord } from '../src/decoders/types.js';

const ctx = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };

test('a decoder that throws while decoding gives a rejection naming it', () => {
  const value: Record<string, unknown> = { timestamp: '2026-03-02T10:00:00.000000+0000', event_type: 'alert', src_ip: '81.2.69.160' };
  Object.defineProperty(value, 'alert', { enumerable: true, get: () => { throw new Error('boom'); } });
  const record: RawRecord = { kind: 'json', value, origin: { source: 'x', line: 1 } };
  const { decoder, result } = decodeRecord(record, ctx);
  assert.equal(decoder, 'suricata-eve');
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.error.reason === 'invalid-field' && /^suricata-eve: boom/.test(result.error.message));
});

test('a record that makes every accepts() throw is unknown, not a crash', () => {
  const value = new Proxy({}, { get: () => { throw new Error('no'); }, has: () => { throw new Error('no'); }, ownKeys: () => [] });
  const record = { kind: 'json', value, origin: { source: 'x', line: 1 } } as RawRecord;
  assert.equal(decodeRecord(record, ctx).result.ok, false);
  assert.equal(explainRecord(record, ctx).decoder, null);
  assert.ok(DECODERS.length >= 12);
});
