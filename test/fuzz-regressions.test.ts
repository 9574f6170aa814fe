// Records `npm run fuzz` (bench/fuzz.ts) found that crashed or hung a decoder,
// inline, each with the behaviour that must hold now (docs/reliability.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { DecodeContext, DecodeResult, Decoder, RawRecord } from '../src/decoders/types.js';
import { fastLog, MAX_FAST_LINE } from '../src/decoders/fast-log.js';
import { cef } from '../src/decoders/cef.js';
import { formatInstant, parseEpoch, parseTime } from '../src/model/time.js';

const CTX: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 10), ns: 0 } };

function textRecord(value: string): RawRecord {
  return { kind: 'text', value, origin: { source: 'fuzz', line: 1 } };
}

/** The fastest of three decodes, and its result: a hang is slow every time, a GC pause once. */
function timedDecode(d: Decoder, r: RawRecord): { ms: number; result: DecodeResult } {
  let best = Infinity;
  let result: DecodeResult | undefined;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    result = d.decode(r, CTX);
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result: result! };
}

test('fast-log: a long run of spaces before a damaged "{PROTO} SRC -> DST" tail is rejected at once (was 300+ ms: quadratic tail regex)', () => {
  const head = '04/16-08:01:12.000913  [Drop] [**] [1:2010935:3] ET SCAN Suspicious inbound to MSSQL port 1433 [**] [Classification: Potentially Bad Traffic] [Priority: 2]';
  const tail = '{TCP} 185.220.101.7:40000 \u{2B8C6}> 10.20.0.9:1433';
  const line = head + ' '.repeat(MAX_FAST_LINE - head.length - tail.length - 1) + tail;
  assert.ok(line.length < MAX_FAST_LINE);
  assert.equal(fastLog.accepts(textRecord(line), CTX), true);
  const { ms, result } = timedDecode(fastLog, textRecord(line));
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error.reason, 'invalid-field');
  assert.ok(ms < 100, `decode took ${ms.toFixed(1)} ms`);
  // The same spaces before a good tail still decode.
  const good = timedDecode(fastLog, textRecord(head + ' '.repeat(8000) + '{TCP} 185.220.101.7:40000 -> 10.20.0.9:1433'));
  assert.equal(good.result.ok && good.result.event.event.source?.ip, '185.220.101.7');
  assert.ok(good.ms < 100, `decode took ${good.ms.toFixed(1)} ms`);
});

test('time: an epoch of 22 digits is no time (was year +058142 in @timestamp, found by npm run fuzz in a CEF start=)', () => {
  const line = 'CEF:0|Acme|Sentinel IPS|1.2.1|2001219|ET SCAN Potential SSH Scan|8|src=81.2.69.143 spt=51515 dst=10.40.2.15 dpt=80 start=1772636460456636460456';
  assert.equal(cef.accepts(textRecord(line), CTX), true);
  const res = cef.decode(textRecord(line), CTX);
  if (res.ok) assert.match(res.event.event['@timestamp'], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,9}Z$/);
  assert.equal(parseTime('1772636460456636460456'), null);
  assert.equal(parseEpoch(Number('1772636460456636460456')), null);
  // Every instant parsed prints as a four-digit-year ISO time: the edges of 0000–9999 hold, past them is null.
  // (Epochs of 18 digits or more are nanoseconds: the only unit that reaches past year 5138.)
  assert.equal(formatInstant(parseTime('253402300799999999999')!), '9999-12-31T23:59:59.999999999Z');
  assert.equal(parseTime('253402300800000000000'), null);
  assert.equal(formatInstant(parseTime('-62167219200000000000')!), '0000-01-01T00:00:00.000Z');
  assert.equal(parseTime('-62167219200000000001'), null);
  assert.equal(parseTime('9999-12-31T23:59:59-01:00'), null);
  assert.equal(parseTime('0000-01-01T00:00:00+01:00'), null);
  assert.equal(formatInstant(parseTime('9999-12-31T23:59:59.9999999Z')!), '9999-12-31T23:59:59.9999999Z');
});
