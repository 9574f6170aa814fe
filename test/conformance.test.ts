// The conformance suite (docs/conformance.md): every shared vendor test vector,
// framed and decoded as `crosswatch normalize` does, agrees with the peer's expected
// document except where tools/conformance/differences.ts lists a deliberate difference;
// every listed difference still occurs; docs/conformance.md names each of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runConformance, formatReport } from '../tools/conformance/compare.js';
import { LISTED_DIFFERENCES } from '../tools/conformance/differences.js';
import { fixturesSkip } from './fixtures-helpers.js';

test('conformance: no unexplained difference, no stale listed difference', { skip: fixturesSkip() }, async (t) => {
  const report = await runConformance();
  t.diagnostic(`\n${formatReport(report)}`);
  assert.deepEqual(
    report.unexplained.map((u) => `${u.folder}/${u.file}[${u.index}] ${u.field}: ours ${JSON.stringify(u.ours)} peer ${JSON.stringify(u.peer)}`),
    [],
    'unexplained differences',
  );
  assert.deepEqual(report.stale.map((s) => `${s.folder}/${s.file}[${s.index}] ${s.field}`), [], 'stale listed differences');
  // Every folder ran and compared something (a folder without peer output, or
  // whose records are all listed as deliberately not decoded, excepted).
  for (const s of report.sources) {
    if (s.withPeer > 0 && s.listed < s.withPeer) assert.ok(s.fieldsCompared > 0, `${s.folder}: nothing compared`);
  }
});

test('docs/conformance.md mentions every listed difference', () => {
  const doc = readFileSync(new URL('../docs/conformance.md', import.meta.url), 'utf8');
  for (const l of LISTED_DIFFERENCES) {
    const key = `${l.folder}/${l.file}`;
    assert.ok(doc.includes(key), `docs/conformance.md does not mention ${key}`);
    assert.ok(doc.includes(`[${l.indexes.join(', ')}]`) && doc.includes(l.field), `docs/conformance.md lacks ${key} [${l.indexes.join(', ')}] ${l.field}`);
  }
});

test('a listed difference with other values is not a match (values are pinned)', { skip: fixturesSkip() }, async () => {
  const tampered = LISTED_DIFFERENCES.map((l) =>
    l.folder === 'azure-signinlogs' && l.file === 'test-signinlogs.log' ? { ...l, ours: '81.2.69.1' } : l,
  );
  const report = await runConformance({ folders: ['azure-signinlogs'], listed: tampered });
  assert.equal(report.unexplained.length, 1);
  assert.equal(report.unexplained[0]!.field, 'source.ip');
  assert.equal(report.stale.length, 1);
});
