// Invariants over the whole rule set (every offender listed in one message), the
// loader's refusal of duplicates, and each rule's should-fire / should-not-fire
// samples run through the real batch pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules, loadRuleSet, RULES_DIR, RuleLoadError } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch } from '../src/hunt/batch.js';
import { expandInputs } from '../src/inputs/inputs.js';

const rules = loadRules();

test('every rule carries the contract fields of DESIGN.md §1', () => {
  const problems: string[] = [];
  const names: Record<string, string> = {
    'cw-entra-signin-after-network-alert': 'Detect Entra ID Sign-in After Network Alert',
    'cw-m365-mail-access-after-network-alert': 'Detect M365 Mail Access After Network Alert',
  };
  assert.deepEqual(rules.map((r) => r.id).sort(), Object.keys(names).sort());
  for (const r of rules) {
    if (r.name !== names[r.id]) problems.push(`${r.file}: name "${r.name}"`);
    if (r.severity !== 'high') problems.push(`${r.file}: severity ${r.severity}`);
    if (r.risk_score !== 73) problems.push(`${r.file}: risk_score ${r.risk_score}`);
    if (r.threat?.framework !== 'MITRE ATT&CK') problems.push(`${r.file}: framework`);
    if (r.threat?.tactic.id !== 'TA0001' || r.threat.tactic.name !== 'Initial Access') problems.push(`${r.file}: tactic`);
    if (r.threat?.technique.id !== 'T1078' || r.threat.technique.name !== 'Valid Accounts') problems.push(`${r.file}: technique`);
    if (r.correlation.windowMs !== 8 * 3_600_000) problems.push(`${r.file}: timespan ${r.correlation.windowMs} ms`);
    // The investigation guide covers the IP, the user, the device, the last 48 h and the response.
    for (const topic of [/\bIP\b/, /\buser\b/i, /device|client/i, /48 h/, /Respond/]) {
      if (!topic.test(r.guide)) problems.push(`${r.file}: guide does not cover ${topic}`);
    }
    const samples = join(RULES_DIR, 'samples', r.id);
    for (const kind of ['fire', 'quiet']) {
      if (!existsSync(join(samples, kind)) || readdirSync(join(samples, kind)).length === 0) problems.push(`${r.file}: no ${kind} samples`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the loader refuses a duplicate id, naming both files, and still loads the other rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-'));
  for (const f of readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml'))) cpSync(join(RULES_DIR, f), join(dir, f));
  const first = 'cw-entra-signin-after-network-alert.yml';
  writeFileSync(join(dir, 'zz-copy.yml'), readFileSync(join(dir, first), 'utf8'));
  assert.throws(() => loadRules({ paths: [dir] }), (err: unknown) => {
    assert.ok(err instanceof RuleLoadError);
    const dupes = err.problems.filter((p) => /cw-entra-signin-after-network-alert/.test(p) && /zz-copy\.yml/.test(p) && p.includes(first));
    assert.ok(dupes.length >= 1, err.message);
    return true;
  });
  // Not thrown by the lenient loader: the duplicated rule is left out, the other one runs.
  const loaded = loadRuleSet({ paths: [dir] });
  assert.deepEqual(loaded.rules.map((r) => r.id), ['cw-m365-mail-access-after-network-alert']);
  assert.ok(loaded.problems.length >= 1);
});

for (const r of rules) {
  for (const kind of ['fire', 'quiet'] as const) {
    const base = join(RULES_DIR, 'samples', r.id, kind);
    if (!existsSync(base)) continue;
    for (const scenario of readdirSync(base)) {
      test(`${r.id}: ${kind === 'fire' ? 'fires on' : 'stays quiet on'} ${scenario}`, async () => {
        const inputs = await expandInputs([join(base, scenario)]);
        const res = await runBatch(inputs.files, {
          config: buildConfig({}),
          rules,
          decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
        });
        assert.equal(res.counters.totalRejected, 0, JSON.stringify(res.counters.rejectSamples));
        const fired = res.alerts.map((a) => a.rule.id);
        if (kind === 'fire') assert.deepEqual(fired, [r.id]);
        else assert.deepEqual(fired, []);
      });
    }
  }
}
