// Records `npm run fuzz` (bench/fuzz.ts) found that crashed or hung a decoder,
// inline, each with the behaviour that must hold now (docs/reliability.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { DecodeContext, DecodeResult, Decoder, RawRecord } from '../src/decoders/types.js';
import { fastLog, MAX_FAST_LINE } from '../src/decoders/fast-log.js';

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
