// Hostile JSON (issue #15, item 3): records nested thousands deep, with huge
// strings or with tens of thousands of keys are rejected alone, with their
// reason and place; every other record of the same file or body is processed.
// Before, one array nested 5,000 deep made JSON.stringify throw: hunt ended with
// 0 alerts and an HTTP body got a 500 with nothing of it stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSON_LIMITS, jsonLimitProblem, surelyWithinLimits } from '../../src/inputs/json-limits.js';
import { runCli } from '../cli-run.js';
import { alertLine, signinLine } from '../scenario-lines.js';
import { startServe } from '../serve-process.js';

const DEEP_ARRAY = `${'['.repeat(6000)}${']'.repeat(6000)}`;
const deepObject = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
/** An object of `n` keys. */
const manyKeys = (n: number): string => `{"event_type":"alert",${Array.from({ length: n - 1 }, (_, i) => `"k${i}":1`).join(',')}}`;

/** The firing scenario, with hostile records between its lines. */
function hostileLines(ip: string): string[] {
  return [
    alertLine(ip, '2026-03-02T10:00:00Z'),
    `{"event_type":"alert","timestamp":"2026-03-02T10:00:00Z","src_ip":"45.33.32.156","payload":${DEEP_ARRAY}}`,
    DEEP_ARRAY,
    `[${alertLine('45.33.32.157', '2026-03-02T10:00:00Z')},${DEEP_ARRAY}]`,
    deepObject(5000),
    manyKeys(JSON_LIMITS.keysPerObject + 1),
    `{"event_type":"alert","timestamp":"2026-03-02T10:00:00Z","src_ip":"45.33.32.158","alert":{"signature":"${'x'.repeat(JSON_LIMITS.stringChars + 1)}"}}`,
    signinLine(ip, '2026-03-02T11:00:00Z'),
  ];
}

test('jsonLimitProblem: depth, string length and keys per object, without recursion', () => {
  assert.equal(jsonLimitProblem({ a: [1, { b: 'c' }] }), null);
  assert.match(jsonLimitProblem(JSON.parse(DEEP_ARRAY)) ?? '', /nested deeper than 64 levels/);
  assert.match(jsonLimitProblem(JSON.parse(deepObject(200_000))) ?? '', /nested deeper than/);
  assert.match(jsonLimitProblem(JSON.parse(manyKeys(JSON_LIMITS.keysPerObject + 1))) ?? '', /keys \(at most/);
  assert.match(jsonLimitProblem({ s: 'x'.repeat(JSON_LIMITS.stringChars + 1) }) ?? '', /a string of [\d,]+ characters/);
  assert.match(jsonLimitProblem({ ['k'.repeat(JSON_LIMITS.stringChars + 1)]: 1 }) ?? '', /a key of [\d,]+ characters/);
  // Exactly at the limits is fine.
  let atDepth: unknown = 1;
  for (let i = 0; i < JSON_LIMITS.depth; i++) atDepth = [atDepth];
  assert.equal(jsonLimitProblem(atDepth), null);
  assert.match(jsonLimitProblem([atDepth]) ?? '', /deeper/);
});

test('surelyWithinLimits: says yes only for texts whose parsed value jsonLimitProblem passes (the walk it saves)', () => {
  const small = { depth: 4, stringChars: 40, keysPerObject: 3 };
  const texts = [
    '{"a":1}', '[]', '{"a":[{"b":[1]}]}', '{"a":[{"b":[[1]]}]}', '{"a":"{[{[{["}', '{"k0":1,"k1":2,"k2":3}', '{"a":1,"b":2,"c":3,"d":4}',
    `{"s":"${'x'.repeat(30)}"}`, `{"s":"${'x'.repeat(41)}"}`, `{"${'k'.repeat(41)}":1}`, '{"a":1,"a":2,"a":3,"a":4}', '[[[[1]]]]', '[[[[[1]]]]]',
    '{"a":"\\u0041\\u0042"}', `["${'\\u0041'.repeat(12)}"]`,
    ...DEEP_ARRAY.slice(0, 12).split('').map((_, i) => `${'['.repeat(i)}${']'.repeat(i)}`),
    ...hostileLines('81.2.3.4').filter((l) => l.length < 5_000_000),
    signinLine('81.2.3.4', '2026-03-02T09:00:00Z'), alertLine('81.2.3.4', '2026-03-02T08:00:00Z'),
  ];
  let yes = 0;
  for (const limits of [small, JSON_LIMITS]) {
    for (const text of texts) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      if (!surelyWithinLimits(text, limits)) continue;
      yes++;
      assert.equal(jsonLimitProblem(value, limits), null, `${text.slice(0, 80)} (limits ${JSON.stringify(limits)})`);
    }
  }
  assert.ok(yes > texts.length / 2, 'most ordinary records pass without the walk');
  // Each limit, just over it: the walk decides.
  assert.equal(surelyWithinLimits('[[[[[1]]]]]', small), false);
  assert.equal(surelyWithinLimits(`{"s":"${'x'.repeat(41)}"}`, small), false);
  assert.equal(surelyWithinLimits(manyKeys(JSON_LIMITS.keysPerObject + 1)), false);
  assert.equal(surelyWithinLimits(DEEP_ARRAY), false);
});

test('hunt: hostile records are rejected alone with file:line; the scenario still alerts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-hostile-json-'));
  try {
    writeFileSync(join(dir, 'mixed.json'), `${hostileLines('81.2.69.201').join('\n')}\n`);
    for (const extra of [[], ['--full-scan'], ['--threads', '1']]) {
      const r = await runCli(['hunt', dir, '--format', 'ndjson', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      const alerts = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { source: { ip: string } });
      assert.deepEqual(alerts.map((a) => a.source.ip), ['81.2.69.201'], extra.join(' '));
      assert.match(r.stderr, /rejected: .*json-limit 6/, r.stderr);
      assert.match(r.stderr, /mixed\.json:2: json-limit: nested deeper than 64 levels/);
      assert.match(r.stderr, /mixed\.json:4\[1\]: json-limit: nested deeper than 64 levels/);
      assert.match(r.stderr, /mixed\.json:6: json-limit: an object with 10,001 keys/);
      assert.match(r.stderr, /mixed\.json:7: json-limit: a string of 1,048,577 characters/);
    }
    const n = await runCli(['normalize', join(dir, 'mixed.json')]);
    assert.equal(n.code, 0);
    const lines = n.stdout.trim().split('\n').map((l) => JSON.parse(l) as { error?: { code: string }; event?: { original?: string } });
    assert.equal(lines.length, 9, 'one line per record (the array holds two)');
    assert.equal(lines.filter((l) => l.error?.code === 'json-limit').length, 6);
    assert.ok(lines.every((l) => (l.event?.original ?? '').length <= 4097), 'originals are bounded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: a body with hostile records is answered, its valid records stored and alerting', { timeout: 60_000 }, async () => {
  const token = 'hostile-json-token-0123456789abcdef';
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-hostile-serve-'));
  const served = await startServe(['--data-dir', dataDir], { ...process.env, CROSSWATCH_TOKEN: token });
  try {
    const res = await fetch(`${served.base}/api/v1/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${token}` }, body: `${hostileLines('81.2.69.202').join('\n')}\n`,
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { accepted: number; rejected: number };
    assert.deepEqual([body.accepted, body.rejected], [3, 6]);
    const alerts = (await (await fetch(`${served.base}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } })).json()) as { alerts: Array<{ source: { ip: string } }> };
    assert.deepEqual(alerts.alerts.map((a) => a.source.ip), ['81.2.69.202']);
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
