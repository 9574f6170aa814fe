// Loading rule texts and folders: several documents a file, each judged alone;
// the rule metadata; the documents crosswatch refuses; and the 45 SigmaHQ rules
// for Entra ID sign-ins and Microsoft 365 (../shared/fixtures/sigmahq, DRL 1.1)
// parsed and run against events written with Microsoft's raw field names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadSigmaPath, loadSigmaText } from '../../src/sigma/load.js';
import { MAX_RULE_FILE_BYTES } from '../../src/sigma/source.js';
import { compileMatcher } from '../../src/sigma/match.js';
import type { DetectionRule, SigmaProblem } from '../../src/sigma/types.js';
import { fixturePath, fixturesSkip } from '../fixtures-helpers.js';
import { getter } from './sigma-helpers.js';

const GOOD = (n: number): string => `title: Rule ${n}
id: 00000000-0000-4000-8000-00000000000${n}
logsource:
    product: azure
    service: signinlogs
detection:
    selection:
        ResultType: 5005${n}
    condition: selection
level: high
`;

function brief(problems: SigmaProblem[]): string[] {
  return problems.map((p) => `${p.file}:${p.line} ${p.field ?? '-'}: ${p.message}`);
}

test('one file, several documents: every good rule loads, a bad one between them is a problem of its own', () => {
  const text = `${GOOD(1)}---
title: Broken
id: 00000000-0000-4000-8000-0000000000ff
logsource:
    product: azure
detection:
    selection:
        F|nope: x
    condition: selection
---
${GOOD(2)}`;
  const { rules, problems } = loadSigmaText(text, 'multi.yml');
  assert.deepEqual(rules.map((r) => r.id), ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']);
  assert.deepEqual(brief(problems), ["multi.yml:18 detection.selection.F|nope: unknown modifier 'nope'"]);
  const second = rules[1] as DetectionRule;
  assert.equal(second.line, 21);
  assert.equal(second.selections.get('selection')!.line, 27);
});

test('rule metadata: title, id, name, level, status, description, author, references, tags, falsepositives, raw', () => {
  const { rules, problems } = loadSigmaText(`title: Device Code Flow
id: 248649b7-d64f-46f0-9fb2-a52774166fb5
name: device_code
status: test
description: Device code sign-in
author: Somebody
references:
    - https://example.com/a
tags:
    - attack.t1078
date: 2022-06-01
level: critical
falsepositives:
    - Kiosks
x-custom: kept
logsource:
    product: azure
detection:
    selection:
        properties.message: Device Code
    condition: selection
`, 'meta.yml');
  assert.deepEqual(problems, []);
  const r = rules[0]!;
  assert.equal(r.kind, 'detection');
  assert.deepEqual(
    { title: r.title, id: r.id, name: r.name, status: r.status, description: r.description, author: r.author, references: r.references, tags: r.tags, level: r.level, falsepositives: r.falsepositives, generate: r.generate, file: r.file, line: r.line },
    { title: 'Device Code Flow', id: '248649b7-d64f-46f0-9fb2-a52774166fb5', name: 'device_code', status: 'test', description: 'Device code sign-in', author: 'Somebody', references: ['https://example.com/a'], tags: ['attack.t1078'], level: 'critical', falsepositives: ['Kiosks'], generate: true, file: 'meta.yml', line: 1 },
  );
  assert.equal(r.raw['x-custom'], 'kept', 'spec File Structure: "[arbitrary custom fields]"');
});

test('spec Level is optional: a rule without level is medium', () => {
  const { rules } = loadSigmaText(GOOD(3).replace('level: high\n', ''), 'x.yml');
  assert.equal(rules[0]!.level, 'medium');
});

test('missing or mistyped metadata is refused with file, line and field', () => {
  const body = 'logsource:\n    product: azure\ndetection:\n    s:\n        F: x\n    condition: s\n';
  const cases: Array<[string, string[]]> = [
    [`id: 00000000-0000-4000-8000-000000000001\n${body}`, ['m.yml:1 title: title is required (a string)']],
    [`title: T\n${body}`, ['m.yml:1 id: id is required: crosswatch derives alert ids from it']],
    [`title: T\nid: 42\n${body}`, ['m.yml:2 id: id must be a string of 1-128 letters, digits or . _ : - (a UUID in SigmaHQ)']],
    [`title: T\nid: has spaces in it\n${body}`, ['m.yml:2 id: id must be a string of 1-128 letters, digits or . _ : - (a UUID in SigmaHQ)']],
    [`title: ${'x'.repeat(257)}\nid: a1\n${body}`, ['m.yml:1 title: title is longer than 256 characters']],
    [`title: T\nid: a1\nlevel: severe\n${body}`, ['m.yml:3 level: level must be one of informational, low, medium, high, critical']],
    [`title: T\nid: a1\nstatus: beta\n${body}`, ['m.yml:3 status: status must be one of stable, test, experimental, deprecated, unsupported']],
    [`title: T\nid: a1\ntags: attack.t1078\n${body}`, ['m.yml:3 tags: tags must be a list of strings']],
    [`title: T\nid: a1\ntags:\n    - attack.t1078\n    - Bad Tag\n${body}`, ['m.yml:5 tags.1: tag "Bad Tag" is not namespace.name in lower case (a-z 0-9 _ - .)']],
    [`title: T\nid: a1\nreferences:\n    - 7\n${body}`, ['m.yml:4 references.0: references must be a list of strings']],
    [`title: T\nid: a1\nauthor:\n    - A\n${body}`, ['m.yml:3 author: author must be a string']],
    [`title: T\nid: a1\ndate: 2022/06/01\n${body}`, ['m.yml:3 date: date must be YYYY-MM-DD']],
    [`title: T\nid: a1\nrelated:\n    - id: a2\n      type: cousin\n${body}`, ['m.yml:5 related.0.type: related type must be one of derived, obsolete, merged, renamed, similar']],
  ];
  for (const [text, expected] of cases) {
    const { rules, problems } = loadSigmaText(text, 'm.yml');
    assert.deepEqual(brief(problems), expected, text);
    assert.equal(rules.length, 0);
  }
});

test('bad YAML is a problem with its line; the other documents of the file still load', () => {
  const { rules, problems } = loadSigmaText(`${GOOD(1)}---\ntitle: [unclosed\nid: x\n---\n${GOOD(2)}`, 'bad.yml');
  assert.equal(rules.length, 2);
  assert.equal(problems.length >= 1, true);
  assert.equal(problems[0]!.file, 'bad.yml');
  // Line 12 opens a flow list that is never closed; the parser notices on line 13.
  assert.equal(problems[0]!.line, 13);
  assert.match(problems[0]!.message, /^YAML: Flow sequence/);
  // A key given twice (two values for one field) is a YAML problem too, not a silent overwrite.
  const dup = loadSigmaText(GOOD(1).replace('        ResultType: 50051\n', '        ResultType: 50051\n        ResultType: 50052\n'), 'dup.yml');
  assert.deepEqual(brief(dup.problems), ['dup.yml:9 -: YAML: Map keys must be unique']);
  assert.equal(dup.rules.length, 0);
});

test('Sigma v1 collections (action: global / repeat / reset) are refused as not supported in Sigma v2', () => {
  const { rules, problems } = loadSigmaText(`action: global\ntitle: T\nlogsource:\n    product: azure\n---\n${GOOD(1)}---\naction: reset\n`, 'v1.yml');
  assert.deepEqual(rules.map((r) => r.id), ['00000000-0000-4000-8000-000000000001']);
  assert.deepEqual(brief(problems), [
    'v1.yml:1 action: action: global (a Sigma v1 rule collection) is not supported in Sigma v2: write each rule in full',
    'v1.yml:17 action: action: reset (a Sigma v1 rule collection) is not supported in Sigma v2: write each rule in full',
  ]);
});

test('a document that is neither a detection nor a correlation, a filter, or not a map, is refused', () => {
  const { problems } = loadSigmaText('title: T\nid: a1\nlevel: high\n---\ntitle: F\nfilter:\n    rules: [a]\n---\n- a\n- b\n', 'odd.yml');
  assert.deepEqual(brief(problems), [
    'odd.yml:1 -: a rule needs a detection: or a correlation: section',
    'odd.yml:6 filter: Sigma filters (filter:) are not supported; write the exclusion into the rule\'s condition',
    'odd.yml:9 -: a Sigma rule is a YAML map (key: value lines)',
  ]);
});

test('a correlation document becomes a correlation rule, with generate from its correlation block', () => {
  const { rules, problems } = loadSigmaText(`${GOOD(1).replace('title: Rule 1', 'title: Rule 1\nname: failed_signin')}---
title: Many failed sign-ins
id: 0e95725d-7320-415d-80f7-004da920fc11
level: high
correlation:
    type: event_count
    rules:
        - failed_signin
    group-by:
        - UserPrincipalName
    timespan: 1h
    condition:
        gte: 10
`, 'corr.yml');
  assert.deepEqual(brief(problems), []);
  assert.deepEqual(rules.map((r) => r.kind), ['detection', 'correlation']);
  const c = rules[1]!;
  assert.ok(c.kind === 'correlation');
  assert.equal(c.id, '0e95725d-7320-415d-80f7-004da920fc11');
  assert.equal(c.level, 'high');
  assert.equal(c.type, 'event_count');
  assert.deepEqual(c.rules, ['failed_signin']);
  // correlation.generate (default false) is about the referenced rules (ruleset.ts reads it); the correlation itself alerts.
  assert.equal(c.generate, true);
});

test('loadSigmaPath: a folder recursively (*.yml and *.yaml, sorted, hidden folders skipped), a too large file is a problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sigma-'));
  try {
    mkdirSync(join(dir, 'b', 'deep'), { recursive: true });
    mkdirSync(join(dir, '.github'));
    writeFileSync(join(dir, 'b', 'deep', 'one.yaml'), GOOD(1));
    writeFileSync(join(dir, 'a.yml'), GOOD(2));
    writeFileSync(join(dir, 'b', 'c.yml'), GOOD(3));
    writeFileSync(join(dir, 'notes.txt'), 'not a rule');
    writeFileSync(join(dir, '.github', 'ci.yml'), 'on: push\n');
    writeFileSync(join(dir, 'huge.yml'), `# ${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`);
    // A link to a file is read; a link to a folder is not followed (it could loop).
    symlinkSync(join(dir, 'a.yml'), join(dir, 'link.yml'));
    symlinkSync(dir, join(dir, 'b', 'loop'));
    const { rules, problems } = loadSigmaPath(dir);
    assert.deepEqual(rules.map((r) => [relative(dir, r.file), r.title]), [['a.yml', 'Rule 2'], [join('b', 'c.yml'), 'Rule 3'], [join('b', 'deep', 'one.yaml'), 'Rule 1'], ['link.yml', 'Rule 2']]);
    assert.deepEqual(problems.map((p) => [relative(dir, p.file), p.line, p.message]), [['huge.yml', 1, `rule file larger than ${MAX_RULE_FILE_BYTES} bytes`]]);
    // A single file is read the same way.
    assert.deepEqual(loadSigmaPath(join(dir, 'a.yml')).rules.map((r) => r.title), ['Rule 2']);
    const missing = loadSigmaPath(join(dir, 'nope'));
    assert.equal(missing.rules.length, 0);
    assert.match(missing.problems[0]!.message, /no such file or folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- The SigmaHQ rules ------------------------------------------------------------

/**
 * The only problems the 45 rules have: the placeholder rules use the `expand`
 * modifier, whose `%placeholder%` values a deployment must fill in; the spec says
 * "If the tool isn't able to handle placeholders, it must reject the rule".
 */
const EXPECTED_FIXTURE_PROBLEMS: ReadonlyArray<[file: string, line: number, field: string]> = [
  ['rules-placeholder/cloud/azure/signin_logs/azure_ad_auth_to_important_apps_using_single_factor_auth.yml', 22, 'detection.selection.properties.appId|expand'],
  ['rules-placeholder/cloud/azure/signin_logs/azure_ad_authentications_from_countries_you_do_not_operate_out_of.yml', 26, 'detection.filter_main_known_location.location|contains|expand'],
  ['rules-placeholder/cloud/azure/signin_logs/azure_ad_failed_auth_from_countries_you_do_not_operate_out_of.yml', 23, 'detection.filter.location|contains|expand'],
  ['rules-placeholder/cloud/azure/signin_logs/azure_privileged_account_sigin_expected_controls.yml', 23, 'detection.selection.location|expand'],
  ['rules-placeholder/cloud/azure/signin_logs/azure_privileged_account_sigin_expected_controls.yml', 24, 'detection.selection.callerIpAddress|expand'],
  ['rules-placeholder/cloud/azure/signin_logs/azure_privileged_account_sigin_expected_controls.yml', 26, 'detection.selection.properties.deviceDetail.deviceId|expand'],
  ['rules-placeholder/cloud/azure/signin_logs/azure_users_authenticating_to_other_azure_ad_tenants.yml', 22, 'detection.selection.homeTenantId|expand'],
  ['rules-placeholder/cloud/azure/signin_logs/azure_users_authenticating_to_other_azure_ad_tenants.yml', 24, 'detection.filter_main_hometenantid.resourceTenantId|contains|expand'],
];

function sigmahq(): { dir: string; rules: DetectionRule[]; problems: SigmaProblem[] } {
  const dir = fixturePath('sigmahq');
  const { rules, problems } = loadSigmaPath(dir);
  return { dir, rules: rules as DetectionRule[], problems };
}

test('the 45 SigmaHQ rules load; the only problems are the placeholder rules\' expand modifiers', { skip: fixturesSkip() }, () => {
  const { dir, rules, problems } = sigmahq();
  assert.deepEqual(
    problems.map((p) => [relative(dir, p.file), p.line, p.field]),
    EXPECTED_FIXTURE_PROBLEMS.map((e) => [...e]),
  );
  for (const p of problems) assert.match(p.message, /placeholder/);
  const refused = new Set(EXPECTED_FIXTURE_PROBLEMS.map((e) => e[0]));
  assert.equal(rules.length, 45 - refused.size);
  assert.ok(rules.every((r) => r.kind === 'detection'));
  assert.equal(new Set(rules.map((r) => r.id)).size, rules.length, 'ids are unique');
  // A rule's line numbers point into its file.
  const lockout = rules.find((r) => r.id === '2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a')!;
  const lines = readFileSync(lockout.file, 'utf8').split('\n');
  assert.equal(lines[lockout.selections.get('selection')!.anyOf[0]![0]!.line - 1]!.trim(), 'ResultType: 50053');
});

function real(id: string): (event: Record<string, unknown>) => boolean {
  const rule = sigmahq().rules.find((r) => r.id === id);
  assert.ok(rule, `rule ${id} is among the fixtures`);
  const m = compileMatcher(rule);
  return (event) => m(getter(event));
}

test('azure_app_device_code_authentication fires on properties.message "Device Code", not one word off', { skip: fixturesSkip() }, () => {
  const rule = real('248649b7-d64f-46f0-9fb2-a52774166fb5');
  assert.equal(rule({ properties: { message: 'Device Code' } }), true);
  assert.equal(rule({ 'properties.message': 'device code' }), true);
  assert.equal(rule({ properties: { message: 'Device Codes' } }), false);
  assert.equal(rule({ properties: { message: 'ROPC' } }), false);
});

test('azure_mfa_interrupted: 1 of selection_* with a numeric ResultType and a contains', { skip: fixturesSkip() }, () => {
  const rule = real('5496ff55-42ec-4369-81cb-00f417029e25');
  assert.equal(rule({ ResultType: 50074, ResultDescription: 'Strong Auth required.' }), true);
  assert.equal(rule({ ResultType: '500121', ResultDescription: 'Authentication failed during strong authentication request.' }), true);
  assert.equal(rule({ ResultType: 50074, ResultDescription: 'Authentication failed during strong authentication request.' }), false);
  assert.equal(rule({ ResultType: 50075, ResultDescription: 'Strong Auth required.' }), false);
});

test('microsoft365_bypass_conditional_access: selection and not 1 of filter_main_*', { skip: fixturesSkip() }, () => {
  const rule = real('13f2d3f5-6497-44a7-bf5f-dc13ffafe5dc');
  const event = { Operation: 'UserLoggedIn', ApplicationId: '9ba1a5c7-f17a-4de9-a1f1-6178c8d51223', ResultStatus: 'Success', RequestType: 'Cmsi:Cmsi', ObjectId: 'x' };
  assert.equal(rule(event), true);
  assert.equal(rule({ ...event, ObjectId: '0000000a-0000-0000-c000-000000000000' }), false);
  assert.equal(rule({ ...event, RequestType: 'Login:login' }), false);
});

test('azure_ad_risky_sign_ins_with_singlefactorauth_from_unknown_devices: empty string or null trust type', { skip: fixturesSkip() }, () => {
  const rule = real('572b12d4-9062-11ed-a1eb-0242ac120002');
  const event = { Status: 'Success', AuthenticationRequirement: 'singleFactorAuthentication', RiskState: 'atRisk' };
  assert.equal(rule({ ...event, DeviceDetail: { trusttype: '' } }), true);
  assert.equal(rule({ ...event, DeviceDetail: {} }), true);
  assert.equal(rule({ ...event, DeviceDetail: { trusttype: 'Azure AD joined' } }), false);
  assert.equal(rule({ ...event, RiskState: 'none', DeviceDetail: {} }), false);
});

test('microsoft365_pst_export_alert_using_new_compliancesearchaction: contains|all', { skip: fixturesSkip() }, () => {
  const rule = real('6897cd82-6664-11ed-9022-0242ac120002');
  assert.equal(rule({ eventSource: 'SecurityComplianceCenter', Payload: 'New-ComplianceSearchAction -SearchName x -Export -Format FxStream (pst)' }), true);
  assert.equal(rule({ eventSource: 'SecurityComplianceCenter', Payload: 'New-ComplianceSearchAction -SearchName x -Purge' }), false);
});

test('microsoft365_susp_email_forwarding_activity: a list of {Name, Value} Parameters, searched greedily', { skip: fixturesSkip() }, () => {
  const rule = real('c726e007-2cd0-4a55-abfb-79730fbedee5');
  const params = [{ Name: 'Identity', Value: 'bob' }, { Name: 'ForwardingSmtpAddress', Value: 'smtp:x@evil.example' }];
  assert.equal(rule({ Operation: 'Set-Mailbox', Parameters: params }), true);
  assert.equal(rule({ Operation: 'Set-Mailbox', Parameters: [{ Name: 'Identity', Value: 'bob' }] }), false);
  assert.equal(rule({ Operation: 'New-InboxRule', Parameters: [{ Name: 'RedirectTo', Value: 'x@evil.example' }] }), true);
});
