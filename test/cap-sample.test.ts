// A fast hunt judges the shared-infrastructure cap on a sample of the big
// NDJSON identity files first (batch.ts CapSample, Correlator.alertsOverCap),
// then reads the rest only in the windows of the alerts the sample did not put
// over the cap. The scenario: a busy address (a NAT'd office) whose first alert
// has 40 users in its window, a second alert six hours later inside that window
// but quiet (one sign-in, which falls in both windows), a third two days later;
// an attacker's address beside it; padding from addresses with no alert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch, type BatchOptions, type BatchResult } from '../src/hunt/batch.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { alertLine, signinLine } from './scenario-lines.js';

const rules = loadRules();
const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 2, 0, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const BUSY = '81.2.69.160';
const ATTACKER = '89.160.20.112';
const SIGNIN_RULE = 'cw-entra-signin-after-network-alert';

async function scenario(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cap-sample-'));
  writeFileSync(join(dir, 'eve.json'), [
    alertLine(BUSY, iso(T0)), alertLine(ATTACKER, iso(T0 + H)), alertLine(BUSY, iso(T0 + 6 * H)), alertLine(BUSY, iso(T0 + 48 * H)),
  ].join('\n') + '\n');
  const lines: Array<{ at: number; line: string }> = [];
  // The busy address's first five hours: 40 users, 12 sign-ins each, spread over them.
  for (let i = 0; i < 480; i++) {
    const at = T0 + 60_000 + Math.floor((i * 5 * H) / 480);
    lines.push({ at, line: signinLine(BUSY, iso(at), `user${i % 40}@fabrikam.com`, 'busy') });
  }
  // Padding: addresses with no alert, every few minutes over three days.
  for (let i = 0; i < 3000; i++) {
    const at = T0 + Math.floor((i * 72 * H) / 3000) + 7_000;
    lines.push({ at, line: signinLine(`81.2.70.${(i % 200) + 1}`, iso(at), `pad${i % 50}@fabrikam.com`, 'pad') });
  }
  // In both the first (over the cap) and the second (quiet) alert's windows: it must be read, and alert.
  lines.push({ at: T0 + 7 * H, line: signinLine(BUSY, iso(T0 + 7 * H), 'quiet@fabrikam.com', 'quiet') });
  lines.push({ at: T0 + 2 * H, line: signinLine(ATTACKER, iso(T0 + 2 * H), 'victim@fabrikam.com', 'attack') });
  for (const [k, user] of ['ann@fabrikam.com', 'ben@fabrikam.com'].entries()) {
    lines.push({ at: T0 + 49 * H + k, line: signinLine(BUSY, iso(T0 + 49 * H + k), user, 'later') });
  }
  lines.sort((a, b) => a.at - b.at);
  writeFileSync(join(dir, 'signins.json'), lines.map((l) => l.line).join('\n') + '\n');
  return dir;
}

const SMALL_SAMPLE = { minFileBytes: 64 * 1024, rangeBytes: 32 * 1024, share: 1 / 4 };

test('the cap judged on a sample: the same alerts as reading every window, fewer records read, whatever the threads and pieces', async () => {
  const files = (await expandInputs([await scenario()])).files;
  const run = (o: Partial<BatchOptions>): Promise<BatchResult> => runBatch(files, {
    config: buildConfig({}), rules, now: () => new Date('2026-06-01T00:00:00Z'),
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } }, ...o,
  });
  const straight = await run({ threads: 1, fastScan: false });
  const everyWindow = await run({ threads: 1, fastScan: true, capSample: false });
  assert.deepEqual(everyWindow.alerts, straight.alerts);
  assert.equal(everyWindow.capSample, undefined, 'no sample read');
  const starts = (r: BatchResult): string[] => r.alerts.map((a) => `${a.rule.id} ${a.source.ip} ${a.event.start}`).sort();
  // The busy address's first alert is over the cap; its quiet second one and its third fire, as does the attacker's.
  assert.deepEqual(starts(straight).filter((s) => s.startsWith(SIGNIN_RULE)), [
    `${SIGNIN_RULE} ${ATTACKER} ${iso(T0 + H)}`,
    `${SIGNIN_RULE} ${BUSY} ${iso(T0 + 6 * H)}`,
    `${SIGNIN_RULE} ${BUSY} ${iso(T0 + 48 * H)}`,
  ].sort());

  let first: BatchResult | null = null;
  for (const [threads, pieceBytes] of [[1, undefined], [2, undefined], [2, 48 * 1024]] as const) {
    const what = `${threads} thread(s)${pieceBytes ? `, pieces of ${pieceBytes}` : ''}`;
    const sampled = await run({ threads, fastScan: true, capSample: SMALL_SAMPLE, ...(pieceBytes ? { pieceBytes } : {}) });
    assert.deepEqual(sampled.alerts, straight.alerts, what);
    assert.ok(sampled.capSample && sampled.capSample.alerts >= 1 && sampled.capSample.ips >= 1, `${what}: the sample put the first alert over the cap`);
    assert.ok(sampled.capSample.bytes > 0 && sampled.capSample.bytes < files.find((f) => f.path.endsWith('signins.json'))!.size / 2, `${what}: a sample, not the file`);
    assert.ok(sampled.correlation.qualifyingEvents < everyWindow.correlation.qualifyingEvents, `${what}: records in its window alone were not read`);
    assert.equal(sampled.counters.totalRecords, straight.counters.totalRecords, `${what}: every record counted`);
    // The sample depends on the files alone: the same records read, counted alike, whatever the threads and pieces.
    if (first === null) first = sampled;
    else {
      assert.deepEqual(sampled.counters.toData(), first.counters.toData(), what);
      assert.deepEqual(sampled.correlation, first.correlation, what);
      assert.deepEqual(sampled.capSample, first.capSample, what);
    }
  }
});

test('no sample is read when no identity file is big enough, or with capSample false', async () => {
  const files = (await expandInputs([await scenario()])).files;
  const run = (capSample: BatchOptions['capSample']): Promise<BatchResult> => runBatch(files, {
    config: buildConfig({}), rules, threads: 1, fastScan: true, capSample, now: () => new Date('2026-06-01T00:00:00Z'),
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
  });
  const big = await run({ ...SMALL_SAMPLE, minFileBytes: 1 << 30 });
  const off = await run(false);
  assert.equal(big.capSample, undefined);
  assert.deepEqual(big.alerts, off.alerts);
  assert.deepEqual(big.correlation, off.correlation);
});
