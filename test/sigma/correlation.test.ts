// Correlation rules, compiled and resolved (Sigma correlation rules specification
// v2.1): every bad input is a problem naming file, line and field, and a rule set
// resolves references by id or name, orders chains, refuses cycles and duplicates,
// and decides which rules raise alerts of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRuleSet } from '../../src/sigma/ruleset.js';
import type { SigmaProblem } from '../../src/sigma/types.js';
import { brief, detection, parseRules } from './correlation-helpers.js';

/** A correlation document whose `correlation:` block is `body` (indented 4), starting on line 1. */
const corr = (body: string, head = 'title: C\nid: c1\n'): string => `${head}correlation:\n${body.replace(/^/gm, '    ')}\n`;

function problemsOf(text: string): SigmaProblem[] {
  return parseRules(text, 'mr.yml').problems;
}

function one(problems: SigmaProblem[], line: number, field: string, message: RegExp): void {
  assert.equal(problems.length, 1, brief(problems).join('\n'));
  const p = problems[0]!;
  assert.equal(p.file, 'mr.yml');
  assert.equal(p.line, line, brief(problems)[0]);
  assert.equal(p.field, field, brief(problems)[0]);
  assert.match(p.message, message);
}

const GOOD_BODY = 'type: event_count\nrules:\n    - failed_login\ngroup-by:\n    - User\ntimespan: 1h\ncondition:\n    gte: 5';

// The specification's own example ("Failed Logins Followed by Successful Login").
const SPEC_EXAMPLE = `title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
detection: {}
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
detection: {}
`;

test('the specification\'s example compiles and resolves: chain in dependency order, only the outermost alerts', () => {
  const { rules, problems } = parseRules(SPEC_EXAMPLE);
  assert.deepEqual(brief(problems), []);
  const outer = rules[0]!;
  assert.ok(outer.kind === 'correlation');
  assert.equal(outer.type, 'temporal_ordered');
  assert.deepEqual(outer.rules, ['multiple_failed_login', 'successful_login']);
  assert.deepEqual(outer.groupBy, ['User']);
  assert.equal(outer.timespanMs, 600_000);
  assert.equal(outer.timespanText, '10m');
  assert.equal(outer.condition, undefined, 'temporal: no condition means all of the rules');
  assert.equal(outer.fieldLines?.['correlation.rules[1]'], 7);
  const inner = rules[1]!;
  assert.ok(inner.kind === 'correlation');
  assert.deepEqual(inner.condition, { gte: 10 });

  const set = resolveRuleSet(rules, problems);
  assert.deepEqual(brief(problems), []);
  // "Refers to one or multiple Sigma or Correlations rules. Allowing the user to chain multiple correlations together."
  assert.deepEqual(set.correlations.map((c) => c.rule.name ?? c.rule.id), ['multiple_failed_login', 'b180ead8-d58f-40b2-ae54-c8940995b9b6']);
  assert.deepEqual(set.correlations[1]!.inputs.map((r) => r.id), ['a8418a5a-5fc4-46b5-b23b-6c73beb19d41', '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8']);
  // Generate: "defines if the rules referred from the correlation rule should be converted
  // as stand-alone rules or if only the correlation query should be generated (default)".
  assert.deepEqual(set.alerting.map((r) => r.id), ['b180ead8-d58f-40b2-ae54-c8940995b9b6']);
  assert.equal(set.lookup('failed_login')?.id, '53ba33fd-3a50-4468-a5ef-c583635cfa92');
  assert.deepEqual(set.referencedBy('53ba33fd-3a50-4468-a5ef-c583635cfa92').map((r) => r.name), ['multiple_failed_login']);
});

test('timespan: "number + letter"; 8x, a bare number, zero and fractions are problems on the timespan line', () => {
  for (const bad of ['8x', '8', '0m', '1.5h', 'h', '8 h', '10000000000s']) {
    one(problemsOf(corr(GOOD_BODY.replace('timespan: 1h', `timespan: ${bad}`))), 9, 'correlation.timespan', /timespan/);
  }
  // "Xs seconds, Xm minutes, Xh hours, Xd days" (and pySigma's w, M, y).
  const ok: Array<[string, number]> = [['30s', 30_000], ['90m', 5_400_000], ['8h', 28_800_000], ['2d', 172_800_000], ['1w', 604_800_000], ['1M', 2_629_746_000], ['1y', 31_556_952_000]];
  for (const [text, ms] of ok) {
    const { rules, problems } = parseRules(corr(GOOD_BODY.replace('timespan: 1h', `timespan: ${text}`)));
    assert.deepEqual(brief(problems), []);
    assert.equal(rules[0]!.kind === 'correlation' && rules[0]!.timespanMs, ms, text);
  }
});

test('type: mandatory, one of the four; Sigma 2.1 metrics are named as unsupported', () => {
  one(problemsOf(corr(GOOD_BODY.replace('event_count', 'event_sum'))), 4, 'correlation.type', /unknown correlation type "event_sum"/);
  one(problemsOf(corr(GOOD_BODY.replace('event_count', 'value_sum'))), 4, 'correlation.type', /value_sum.*not supported/);
  one(problemsOf(corr(GOOD_BODY.replace('type: event_count\n', ''))), 3, 'correlation.type', /required/);
});

test('condition: required for the count types, value_count needs field, ranges combine, impossible ones are refused', () => {
  one(problemsOf(corr(GOOD_BODY.replace(/condition:[^]*/, ''))), 3, 'correlation.condition', /required for event_count/);
  one(problemsOf(corr(GOOD_BODY.replace('event_count', 'value_count'))), 10, 'correlation.condition', /needs field/);
  one(problemsOf(corr(GOOD_BODY.replace('gte: 5', 'gte: 5\n    field: User'))), 12, 'correlation.condition.field', /for value_count/);
  one(problemsOf(corr(GOOD_BODY.replace('gte: 5', 'gte: five'))), 11, 'correlation.condition.gte', /whole number/);
  one(problemsOf(corr(GOOD_BODY.replace('gte: 5', 'gte: 2.5'))), 11, 'correlation.condition.gte', /whole number/);
  one(problemsOf(corr(GOOD_BODY.replace('gte: 5', 'most: 5'))), 11, 'correlation.condition.most', /unknown condition key/);
  one(problemsOf(corr(GOOD_BODY.replace('gte: 5', 'gt: 10\n    lt: 5'))), 10, 'correlation.condition', /never hold/);
  one(problemsOf(corr(GOOD_BODY.replace('event_count', 'value_count').replace('gte: 5', 'field: User'))), 10, 'correlation.condition', /needs one of/);
  one(problemsOf(corr(GOOD_BODY.replace('condition:\n    gte: 5', 'condition: 5'))), 10, 'correlation.condition', /must be a map/);
  // "To define a range, you can use the conjunction 'AND' in the mapping."
  const { rules, problems } = parseRules(corr(GOOD_BODY.replace('gte: 5', 'gt: 100\n    lte: 200')));
  assert.deepEqual(brief(problems), []);
  assert.deepEqual(rules[0]!.kind === 'correlation' && rules[0]!.condition, { gt: 100, lte: 200 });
  const vc = parseRules(corr(GOOD_BODY.replace('event_count', 'value_count').replace('gte: 5', 'field: [User]\n    neq: 3')));
  assert.deepEqual(brief(vc.problems), []);
  assert.deepEqual(vc.rules[0]!.kind === 'correlation' && vc.rules[0]!.condition, { field: 'User', neq: 3 });
  one(problemsOf(corr(GOOD_BODY.replace('event_count', 'value_count').replace('gte: 5', 'gte: 5\n    field: [User, Host]'))), 12,
    'correlation.condition.field', /several fields is not supported/);
});

test('temporal: the condition counts distinct rules (optional); temporal_ordered takes only "all of them"', () => {
  const temporal = 'type: temporal\nrules: [a, b, c]\ngroup-by: [User]\ntimespan: 5m';
  assert.deepEqual(brief(problemsOf(corr(temporal))), []);
  assert.deepEqual(brief(problemsOf(corr(`${temporal}\ncondition:\n    gte: 2`))), []);
  one(problemsOf(corr(`${temporal}\ncondition:\n    gte: 4`)), 8, 'correlation.condition', /between 1 and 3 distinct rules/);
  const ordered = temporal.replace('temporal', 'temporal_ordered');
  assert.deepEqual(brief(problemsOf(corr(`${ordered}\ncondition:\n    gte: 3`))), []);
  one(problemsOf(corr(`${ordered}\ncondition:\n    gte: 2`)), 8, 'correlation.condition', /only the condition "all of its rules"/);
});

test('rules and group-by: mandatory lists (a single string is a list of one), no repeats; unknown keys are named', () => {
  one(problemsOf(corr(GOOD_BODY.replace('rules:\n    - failed_login\n', ''))), 3, 'correlation.rules', /required/);
  one(problemsOf(corr(GOOD_BODY.replace('rules:\n    - failed_login', 'rules: []'))), 5, 'correlation.rules', /at least one/);
  one(problemsOf(corr(GOOD_BODY.replace('- failed_login', '- failed_login\n    - 7'))), 7, 'correlation.rules[1]', /non-empty strings/);
  one(problemsOf(corr(GOOD_BODY.replace('- failed_login', '- failed_login\n    - failed_login'))), 7, 'correlation.rules[1]', /listed twice/);
  one(problemsOf(corr(GOOD_BODY.replace('group-by:\n    - User\n', ''))), 3, 'correlation.group-by', /required/);
  one(problemsOf(corr(GOOD_BODY.replace('group-by:\n    - User', 'group-by: {User: 1}'))), 7, 'correlation.group-by', /list/);
  const typo = problemsOf(corr(GOOD_BODY.replace('group-by:', 'group_by:')));
  assert.deepEqual(brief(typo), [
    'mr.yml:7 correlation.group_by: unknown key "group_by" (a correlation has type, rules, group-by, timespan, condition, aliases, generate)',
    'mr.yml:3 correlation.group-by: correlation.group-by is required',
  ]);
  const single = parseRules(corr(GOOD_BODY.replace('rules:\n    - failed_login', 'rules: failed_login').replace('group-by:\n    - User', 'group-by: []')));
  assert.deepEqual(brief(single.problems), []);
  const c = single.rules[0]!;
  assert.ok(c.kind === 'correlation');
  assert.deepEqual([c.rules, c.groupBy], [['failed_login'], []]);
  one(problemsOf('title: C\nid: c1\ncorrelation: [event_count]\n'), 3, 'correlation', /must be a map/);
  const many = Array.from({ length: 31 }, (_, i) => `r${i}`).join(', ');
  one(problemsOf(corr(GOOD_BODY.replace('rules:\n    - failed_login', `rules: [${many}]`))), 5, 'correlation.rules', /at most 30/);
});

test('aliases and generate: shapes checked where they are written', () => {
  one(problemsOf(corr(`${GOOD_BODY}\naliases:\n    ip: source.ip`)), 13, 'correlation.aliases.ip', /must map rule names/);
  one(problemsOf(corr(`${GOOD_BODY}\naliases:\n    ip:\n        failed_login: [a]`)), 14, 'correlation.aliases.ip.failed_login', /field name/);
  one(problemsOf(corr(`${GOOD_BODY}\ngenerate: yes please`)), 12, 'correlation.generate', /true or false/);
  one(problemsOf(corr(`${GOOD_BODY}\ngenerate: true`, 'title: C\nid: c1\ngenerate: false\n')), 3, 'generate', /given twice/);
  // The JSON schema puts generate at the top level, pySigma in correlation:; both are read.
  for (const [text, flag] of [[corr(GOOD_BODY), false], [corr(`${GOOD_BODY}\ngenerate: true`), true], [corr(GOOD_BODY, 'title: C\nid: c1\ngenerate: true\n'), true]] as const) {
    const { rules, problems } = parseRules(text);
    assert.deepEqual(brief(problems), []);
    assert.equal(rules[0]!.generate, flag);
  }
});

// --- The rule set -----------------------------------------------------------------

function resolved(text: string, extra = [detection('d-failed', 'failed_login', 'det.yml', 1), detection('d-ok', 'successful_login', 'det.yml', 9)]) {
  const { rules, problems } = parseRules(text);
  assert.deepEqual(brief(problems), []);
  const set = resolveRuleSet([...extra, ...rules], problems);
  return { set, problems };
}

test('an unknown rule reference is a problem on its line, and the correlation is not loaded', () => {
  const { set, problems } = resolved(corr(GOOD_BODY.replace('- failed_login', '- failed_login\n    - no_such_rule')));
  one(problems, 7, 'correlation.rules[1]', /unknown rule "no_such_rule"/);
  assert.deepEqual(set.correlations, []);
  assert.deepEqual(set.alerting.map((r) => r.id), ['d-failed', 'd-ok'], 'no correlation uses them any more');
});

test('a cycle a → b → a is refused on both rules, naming the cycle; so is what depends on it', () => {
  const a = corr('type: temporal\nrules: [b, successful_login]\ngroup-by: [User]\ntimespan: 5m', 'title: A\nid: ca\nname: a\n');
  const b = corr('type: event_count\nrules: [a]\ngroup-by: [User]\ntimespan: 5m\ncondition:\n    gte: 2', 'title: B\nid: cb\nname: b\n');
  const c = corr('type: event_count\nrules: [b]\ngroup-by: [User]\ntimespan: 5m\ncondition:\n    gte: 2', 'title: C\nid: cc\nname: c\n');
  const { set, problems } = resolved(`${a}---\n${b}---\n${c}`);
  assert.deepEqual(brief(problems), [
    'mr.yml:6 correlation.rules[0]: correlation cycle a → b → a: a chain of correlations may not reach itself',
    'mr.yml:15 correlation.rules[0]: correlation cycle a → b → a: a chain of correlations may not reach itself',
    'mr.yml:26 correlation.rules[0]: correlation "c" (cc) is not loaded: it uses "b" (cb) (mr.yml:10), which has a problem',
  ]);
  assert.deepEqual(set.correlations, []);
  const self = resolved(corr('type: event_count\nrules: [a]\ngroup-by: [User]\ntimespan: 5m\ncondition:\n    gte: 2', 'title: A\nid: ca\nname: a\n'));
  one(self.problems, 6, 'correlation.rules[0]', /cycle a → a/);
});

test('duplicate ids and names: both rules are dropped, each problem naming the other\'s file:line', () => {
  const { rules, problems } = parseRules(corr(GOOD_BODY, 'title: C\nid: d-failed\n'));
  const set = resolveRuleSet([detection('d-failed', 'failed_login', 'det.yml', 4), ...rules, detection('x', 'failed_login', 'other.yml', 2)], problems);
  assert.deepEqual(brief(problems), [
    'det.yml:4 id: duplicate id "d-failed": also at mr.yml:1 (its id); rule "failed_login" (d-failed) is not loaded',
    'mr.yml:1 id: duplicate id "d-failed": also at det.yml:4 (its id); rule "d-failed" is not loaded',
    'other.yml:2 name: duplicate name "failed_login": also at det.yml:4 (its name); rule "failed_login" (x) is not loaded',
  ]);
  assert.deepEqual([set.detections.length, set.correlations.length, set.alerting.length], [0, 0, 0]);
  assert.equal(set.lookup('d-failed'), undefined);
});

test('aliases must name rules of the correlation; the same rule twice (by id and by name) is refused', () => {
  const base = 'type: temporal\nrules: [failed_login, successful_login]\ngroup-by: [ip]\ntimespan: 5m\naliases:\n    ip:\n        failed_login: source.ip\n';
  one(resolved(corr(`${base}        nobody: client.ip`)).problems, 11, 'correlation.aliases.ip.nobody', /unknown rule "nobody"/);
  const extra = [detection('d-failed', 'failed_login'), detection('d-ok', 'successful_login'), detection('d-other', 'other')];
  one(resolved(corr(`${base}        other: client.ip`), extra).problems, 11, 'correlation.aliases.ip.other', /not one of this correlation's rules/);
  one(resolved(corr('type: temporal\nrules: [failed_login, d-failed]\ngroup-by: [ip]\ntimespan: 5m')).problems, 5, 'correlation.rules[1]',
    /"d-failed" and "failed_login" are the same rule/);
  // Resolved aliases: per rule, the field each group-by entry reads ("resolved to their respective field names").
  const ok = resolved(corr(`${base}        successful_login: client.ip`));
  assert.deepEqual(ok.set.correlations[0]!.groupFields, [['source.ip'], ['client.ip']]);
});

test('a chained correlation may group only by fields its inner correlation groups by', () => {
  const inner = corr('type: event_count\nrules: [failed_login]\ngroup-by: [Host]\ntimespan: 5m\ncondition:\n    gte: 2', 'title: I\nid: ci\nname: many_failed\n');
  const outer = corr('type: temporal_ordered\nrules: [many_failed, successful_login]\ngroup-by: [User]\ntimespan: 5m', 'title: O\nid: co\n');
  one(resolved(`${outer}---\n${inner}`).problems, 6, 'correlation.group-by[0]', /"User" is not among the group-by fields of correlation "many_failed" \(ci\) \(Host\)/);
  // Through an alias, the inner correlation's field is named for it.
  const aliased = outer.replace('timespan: 5m', 'timespan: 5m\n    aliases:\n        User:\n            many_failed: Host');
  const { set, problems } = resolved(`${aliased}---\n${inner}`);
  assert.deepEqual(brief(problems), []);
  assert.deepEqual(set.correlations.map((c) => c.rule.id), ['ci', 'co']);
  assert.deepEqual(set.correlations[1]!.groupFields, [['Host'], ['User']]);
});

test('generate: a referenced rule raises no alert of its own unless a correlation using it says generate: true', () => {
  const c1 = corr('type: event_count\nrules: [failed_login]\ngroup-by: [User]\ntimespan: 5m\ncondition:\n    gte: 2', 'title: A\nid: c1\n');
  const c2 = corr('type: event_count\nrules: [failed_login, successful_login]\ngroup-by: [User]\ntimespan: 5m\ncondition:\n    gte: 2\ngenerate: true', 'title: B\nid: c2\n');
  assert.deepEqual(resolved(c1).set.alerting.map((r) => r.id), ['d-ok', 'c1']);
  // One correlation asking for the referenced rules is enough (pySigma would let any generate: false win).
  assert.deepEqual(resolved(`${c1}---\n${c2}`).set.alerting.map((r) => r.id), ['d-failed', 'd-ok', 'c1', 'c2']);
  const top = corr('type: event_count\nrules: [failed_login]\ngroup-by: [User]\ntimespan: 5m\ncondition:\n    gte: 2', 'title: A\nid: c1\ngenerate: true\n');
  assert.deepEqual(resolved(top).set.alertingIds, new Set(['d-failed', 'd-ok', 'c1']));
});
