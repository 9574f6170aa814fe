// The crosswatch-microsoft processing pipeline (src/sigma/pipeline.ts,
// src/sigma/pipelines/microsoft.ts) over SigmaHQ's 45 rules for Entra ID sign-ins
// and Microsoft 365 (../shared/fixtures/sigmahq: unchanged copies, rules by their
// authors, SigmaHQ, DRL 1.1): which load and run, which are rejected and why, kept
// as test/sigma/golden/sigmahq-compat.json; the loaded ones run against events the
// decoders make of real records. The generated parts of docs/rules-sigmahq.md (the
// field table, the table of rules) are checked against what this test computes.
//   UPDATE_GOLDEN=1 node --import tsx --test test/sigma/sigmahq.test.ts
// rewrites the golden file and those parts (review the diff before committing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSigmaPath, loadSigmaText } from '../../src/sigma/load.js';
import { readSigmaText } from '../../src/sigma/source.js';
import { compileMatcher } from '../../src/sigma/match.js';
import { applyPipeline, applyPipelineToRules, lookupField, tableFor, type FieldMapping, type Pipeline } from '../../src/sigma/pipeline.js';
import { microsoft, pipelineByName } from '../../src/sigma/pipelines/index.js';
import type { CorrelationRule, DetectionRule, FieldMatch, LogSource, SigmaRule } from '../../src/sigma/types.js';
import type { NormalizedEvent } from '../../src/model/event.js';
import { decodeRecord } from '../../src/decoders/index.js';
import type { RawRecord } from '../../src/decoders/types.js';
import { getter } from './sigma-helpers.js';
import { CTX, fixturePath, fixturesSkip, jsonRecord, loadGraphSignIns, loadRaw, rawFixtureFiles } from '../fixtures-helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(HERE, 'golden', 'sigmahq-compat.json');
const DOC = join(HERE, '..', '..', 'docs', 'rules-sigmahq.md');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
/** The commit of SigmaHQ/sigma the fixtures copy (../shared/fixtures/sigmahq/README.md). */
const SIGMAHQ_COMMIT = '8eaafff1f2845a696050e05e72ba1140ee190698';

// --- helpers -------------------------------------------------------------------------------

function detectionOf(text: string, file = 'test.yml'): DetectionRule {
  const { rules, problems } = loadSigmaText(text, file);
  assert.deepEqual(problems, []);
  assert.equal(rules.length, 1);
  return rules[0] as DetectionRule;
}

let n = 0;
function ruleText(logsource: LogSource, detection: string, extra = ''): string {
  const ls = Object.entries(logsource).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  const body = detection.trim().split('\n').map((l) => `    ${l}`).join('\n');
  n++;
  return `title: T${n}\nid: 00000000-0000-4000-8000-${String(n).padStart(12, '0')}\n${extra}logsource:\n${ls}\ndetection:\n${body}\nlevel: low\n`;
}

const SIGNIN: LogSource = { product: 'azure', service: 'signinlogs' };
const AUDIT: LogSource = { product: 'm365', service: 'audit' };

function mapped(rule: SigmaRule, pipeline: Pipeline = microsoft): SigmaRule {
  const o = applyPipeline(rule, pipeline);
  if ('rejected' in o) assert.fail(`rejected: ${o.rejected}`);
  return o.rule;
}

function rejected(rule: SigmaRule, pipeline: Pipeline = microsoft): string {
  const o = applyPipeline(rule, pipeline);
  if ('rule' in o) assert.fail('expected a rejection');
  return o.rejected;
}

/** A selection's AND lists as "field|mods=values" strings. */
function shape(rule: SigmaRule, selection = 'selection'): string[][] {
  const sel = (rule as DetectionRule).selections.get(selection)!;
  return sel.anyOf.map((and) => and.map((fm: FieldMatch) =>
    `${fm.field}${fm.modifiers.map((m) => `|${m}`).join('')}=${fm.values.map((v) => (v.kind === 'string' ? v.pattern : v.kind === 'null' ? 'null' : String(v.value))).join(',')}`));
}

/** What the detect layer feeds a rule of each log source (src/detect/logsource.ts). */
function inLogSource(ls: LogSource, ev: NormalizedEvent): boolean {
  if (ls.product === 'azure' && ls.service === 'signinlogs') return ev.crosswatch.role === 'signin';
  if (ls.product === 'm365' && ls.service === 'audit') return ev.event.dataset === 'o365.audit';
  if (ls.product === 'm365' && ls.service === 'exchange') return ev.event.dataset === 'o365.audit' && (ev.crosswatch.role === 'mail_access' || ev.event.provider?.toLowerCase() === 'exchange');
  return false;
}

function decode(record: RawRecord): NormalizedEvent {
  const d = decodeRecord(record, CTX);
  if (!d.result.ok) assert.fail(`decode failed: ${d.result.error.reason}: ${d.result.error.message}`);
  return d.result.event.event;
}

/** A rule run as the detect layer would: only on its log source's events. */
function runner(rule: SigmaRule): (ev: NormalizedEvent) => boolean {
  const r = rule as DetectionRule;
  const m = compileMatcher(r);
  return (ev) => inLogSource(r.logsource, ev) && m(fieldsOf(ev));
}

/** The event's fields by dotted name, as the detect layer reads them (src/model/fields.ts eventField). */
function fieldsOf(ev: NormalizedEvent): ReturnType<typeof getter> {
  return getter(ev as unknown as Record<string, unknown>);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

// --- the engine, on small rules --------------------------------------------------------

test('names are looked up as written, ignoring case, and under the properties. prefix of diagnostic records', () => {
  const rule = mapped(detectionOf(ruleText(SIGNIN, `
selection:
    properties.authenticationRequirement: singleFactorAuthentication
    conditionalAccessStatus: success
    RISKSTATE: atRisk
    userAgent|contains: python
    properties.appId: 00000003-0000-0000-c000-000000000000
condition: selection`)));
  assert.deepEqual(shape(rule), [[
    'azure.signinlogs.properties.authentication_requirement=singleFactorAuthentication',
    'azure.signinlogs.properties.conditional_access_status=success',
    'azure.signinlogs.properties.risk_state=atRisk',
    'user_agent.original|contains=python',
    'azure.signinlogs.properties.app_id=00000003-0000-0000-c000-000000000000',
  ]]);
});

test('ResultType and Status.errorCode are event.code beside a test that the event is an Entra sign-in, written once per AND', () => {
  const rule = mapped(detectionOf(ruleText(SIGNIN, `
selection:
    ResultType: 50126
    properties.status.errorCode: 50126
filter:
    - resultType: 0
    - userAgent: x
condition: selection and not filter`)));
  assert.deepEqual(shape(rule), [['event.code=50126', 'event.code=50126', 'event.dataset=azure.signinlogs']]);
  assert.deepEqual(shape(rule, 'filter'), [['event.code=0', 'event.dataset=azure.signinlogs'], ['user_agent.original=x']]);
});

test('a test true of an absent field cannot stand beside the Entra-sign-in test: rejected, naming the field', () => {
  assert.match(rejected(detectionOf(ruleText(SIGNIN, 'selection:\n    ResultType: null\ncondition: selection'))), /^field ResultType: ResultType is event\.code only where event\.dataset is azure\.signinlogs/);
  assert.match(rejected(detectionOf(ruleText(SIGNIN, 'selection:\n    ResultType|exists: false\ncondition: selection'))), /field ResultType\|exists/);
  // exists: true is fine: the field is there and the event is a sign-in.
  assert.deepEqual(shape(mapped(detectionOf(ruleText(SIGNIN, 'selection:\n    ResultType|exists: true\ncondition: selection')))), [['event.code|exists=true', 'event.dataset=azure.signinlogs']]);
});

test('values that translate: Status Success is event.outcome success; other values and modifiers are rejected', () => {
  assert.deepEqual(shape(mapped(detectionOf(ruleText(SIGNIN, "selection:\n    Status: 'success'\ncondition: selection")))), [['event.outcome=success']]);
  assert.equal(
    rejected(detectionOf(ruleText(SIGNIN, "selection:\n    Status: 'Interrupted'\ncondition: selection"))),
    'field Status: value Interrupted has no equivalent in event.outcome (only Success translate)',
  );
  assert.match(rejected(detectionOf(ruleText(SIGNIN, "selection:\n    Status|contains: 'MFA'\ncondition: selection"))), /^field Status\|contains: .*a modifier cannot be translated/);
  assert.match(rejected(detectionOf(ruleText(SIGNIN, "selection:\n    Status: 'Succ*'\ncondition: selection"))), /value Succ\* has no equivalent/);
  // RecordType: numbers (and the names themselves) become the names event.code holds.
  assert.deepEqual(
    shape(mapped(detectionOf(ruleText(AUDIT, 'selection:\n    RecordType:\n        - 15\n        - ExchangeItem\ncondition: selection')))),
    [['event.code=AzureActiveDirectoryStsLogon,ExchangeItem']],
  );
  assert.match(rejected(detectionOf(ruleText(AUDIT, 'selection:\n    RecordType: 999\ncondition: selection'))), /value 999 has no equivalent in event\.code/);
});

test('a field with no equivalent, or unknown to the table, rejects the rule with every such field named', () => {
  const reason = rejected(detectionOf(ruleText(SIGNIN, `
selection:
    ResultDescription|contains: locked
    DeviceDetail.isCompliant: 'false'
    NoSuchField: 1
condition: selection`)));
  assert.equal(reason, [
    "field ResultDescription is not kept by the decoders (the result's text; event.code keeps its code)",
    'field DeviceDetail.isCompliant is not kept by the decoders (the device: id, trust type, compliance, operating system, browser)',
    "field NoSuchField is not in crosswatch-microsoft's table for azure/signinlogs",
  ].join('; '));
});

test('normalized names pass as they are; rules of products the pipeline does not name are left alone', () => {
  assert.deepEqual(shape(mapped(detectionOf(ruleText(SIGNIN, 'selection:\n    event.outcome: success\n    source.ip|cidr: 10.0.0.0/8\ncondition: selection')))), [['event.outcome=success', 'source.ip|cidr=10.0.0.0/8']]);
  const ids = detectionOf(ruleText({ category: 'ids' }, 'selection:\n    ResultType: 1\ncondition: selection'));
  const o = applyPipeline(ids, microsoft);
  assert.ok('rule' in o && o.rule === ids);
  assert.match(rejected(detectionOf(ruleText({ product: 'azure', service: 'auditlogs' }, 'selection:\n    x: 1\ncondition: selection'))),
    /^log source product azure, service auditlogs has no field table in crosswatch-microsoft \(it has azure\/signinlogs, m365\/audit, m365\/exchange\)$/);
});

test('a field reference is mapped on both sides; keyword searches are left as they are; the rule given is not changed', () => {
  const rule = detectionOf(ruleText(AUDIT, `
selection:
    UserId|fieldref: MailboxOwnerUPN
condition: selection`));
  assert.match(rejected(rule), /field MailboxOwnerUPN is not kept/);
  const ok = detectionOf(ruleText(AUDIT, `
selection:
    ClientIP|fieldref: ActorIpAddress
keywords:
    - New-InboxRule
condition: selection and keywords`));
  const before = JSON.stringify([...ok.selections.values()]);
  const out = mapped(ok);
  assert.deepEqual(shape(out), [['source.ip|fieldref=source.ip']]);
  assert.deepEqual(shape(out, 'keywords'), [['null=New-InboxRule']]);
  assert.equal(JSON.stringify([...ok.selections.values()]), before);
});

const CORRELATION = (ls: LogSource, body: string): string => `${ruleText(ls, 'selection:\n    ResultType: 50126\ncondition: selection', 'name: failed\n')}---
title: Correlated
id: 00000000-0000-4000-8000-ffffffffffff
correlation:
${body.trim().split('\n').map((l) => `    ${l}`).join('\n')}
level: high
`;

test('correlations: group-by, aliases and the value_count field are read under the referenced rules\' tables', () => {
  const { rules, problems } = loadSigmaText(CORRELATION(SIGNIN, `
type: value_count
rules:
    - failed
group-by:
    - UserPrincipalName
    - ip
aliases:
    ip:
        failed: IPAddress
timespan: 1h
condition:
    gte: 5
    field: properties.appDisplayName`), 'c.yml');
  assert.deepEqual(problems, []);
  const out = applyPipelineToRules(rules, microsoft);
  assert.deepEqual(out.rejected, []);
  const c = out.rules.find((r): r is CorrelationRule => r.kind === 'correlation')!;
  assert.deepEqual(c.groupBy, ['user.name', 'ip']);
  assert.deepEqual([...c.aliases.get('ip')!], [['failed', 'source.ip']]);
  assert.equal(c.condition?.field, 'client.app');
});

test('correlations: a field that is a different thing per table, or only on some events, is rejected', () => {
  // UserId is the object id in sign-ins but the UPN in audit records: without the referenced rules, ambiguous.
  const { rules } = loadSigmaText(CORRELATION(SIGNIN, 'type: event_count\nrules:\n    - failed\ngroup-by:\n    - UserId\ntimespan: 1h\ncondition:\n    gte: 5'), 'c.yml');
  const corr = rules.find((r) => r.kind === 'correlation')!;
  assert.equal(rejected(corr), 'group-by[0]: field UserId is user.id (azure/signinlogs) but user.name (m365/audit, m365/exchange): the referenced rules\' log sources disagree');
  // With the referenced rule known, it is the sign-in's.
  const out = applyPipelineToRules(rules, microsoft);
  assert.deepEqual((out.rules.find((r) => r.kind === 'correlation') as CorrelationRule).groupBy, ['user.id']);
  const byCode = loadSigmaText(CORRELATION(SIGNIN, 'type: event_count\nrules:\n    - failed\ngroup-by:\n    - ResultType\ntimespan: 1h\ncondition:\n    gte: 5'), 'c.yml').rules;
  assert.match(applyPipelineToRules(byCode, microsoft).rejected[0]!.reason, /^group-by\[0\]: field ResultType is event\.code only on some events/);
});

test('the shipped pipeline is found by name; every raw name maps to a normalized field or says why not', () => {
  assert.equal(pipelineByName('crosswatch-microsoft'), microsoft);
  assert.equal(pipelineByName('nope'), undefined);
  for (const ls of microsoft.logsources) {
    for (const [raw, m] of Object.entries(ls.fields)) {
      const r = lookupField(ls, raw.endsWith('.*') ? raw.slice(0, -2) : raw);
      assert.ok(r, raw);
      if (r.rule.to === null) assert.match(r.rule.reason ?? '', /^is not (kept by the decoders|a field of)/, raw);
      if (typeof m === 'object' && m !== null && m.kind === 'copy') assert.ok(m.note, `${raw}: a copy says which wins`);
    }
  }
});

// --- the 45 SigmaHQ rules ----------------------------------------------------------------

interface Compat {
  file: string;
  id: string;
  title: string;
  author: string;
  result: 'loads' | 'rejected';
  /** Where it was refused: the loader, or the pipeline. */
  stage?: 'load' | 'pipeline';
  reason?: string;
  /** Loads: the normalized fields it reads. */
  fields?: string[];
  /** Placeholder rules: what the pipeline says of their fields once the placeholders are filled in. */
  onceFilled?: string;
}

interface CompatFile {
  source: string;
  pipeline: string;
  counts: { rules: number; loads: number; rejected: number };
  rules: Compat[];
  /** Raw fields the decoders do not keep, and how many rejected rules each blocks (alone or with others). */
  decoderCandidates: Array<{ field: string; rules: number }>;
}

function sigmahqFiles(dir: string): string[] {
  const { rules, problems } = loadSigmaPath(dir);
  return [...new Set([...rules.map((r) => r.file), ...problems.map((p) => p.file)])].sort();
}

function fieldsRead(rule: DetectionRule): string[] {
  return [...new Set([...rule.selections.values()].flatMap((s) => s.anyOf.flat().map((fm) => fm.field).filter((f): f is string => f !== null)))].sort();
}

/** The raw fields of a rule that the table says are not kept (not "not a field"), by their table spelling. */
function notKeptFields(rule: DetectionRule): string[] {
  const t = tableFor(microsoft, rule.logsource);
  if (typeof t === 'string' || 'problem' in t) return [];
  const out = new Set<string>();
  for (const f of fieldsRead(rule)) {
    const r = lookupField(t, f);
    if (r && r.rule.to === null && (r.rule.reason ?? '').startsWith('is not kept')) out.add(r.key);
  }
  return [...out];
}

function computeCompat(dir: string): CompatFile {
  const entries: Compat[] = [];
  const candidates = new Map<string, number>();
  for (const file of sigmahqFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    const data = readSigmaText(text, file).documents[0]!.data as Record<string, unknown>;
    const base = { file: relative(dir, file), id: String(data['id']), title: String(data['title']), author: String(data['author']) };
    const { rules, problems } = loadSigmaText(text, file);
    if (rules.length === 0) {
      const byMessage = new Map<string, string[]>();
      for (const p of problems) byMessage.set(p.message, [...(byMessage.get(p.message) ?? []), p.field ?? '-']);
      const reason = [...byMessage].map(([m, fields]) => `${m} (${fields.join(', ')})`).join('; ');
      // The same rule with its placeholders written as plain values: what the pipeline says of its fields.
      const filled = loadSigmaText(text.replace(/\|expand/g, ''), file).rules[0];
      const entry: Compat = { ...base, result: 'rejected', stage: 'load', reason };
      if (filled) {
        const o = applyPipeline(filled, microsoft);
        entry.onceFilled = 'rule' in o ? `loads (reads ${fieldsRead(o.rule as DetectionRule).join(', ')})` : `rejected: ${o.rejected}`;
        for (const f of notKeptFields(filled as DetectionRule)) candidates.set(f, (candidates.get(f) ?? 0) + 1);
      }
      entries.push(entry);
      continue;
    }
    assert.equal(rules.length, 1, file);
    const rule = rules[0] as DetectionRule;
    const o = applyPipeline(rule, microsoft);
    if ('rule' in o) {
      entries.push({ ...base, result: 'loads', fields: fieldsRead(o.rule as DetectionRule) });
    } else {
      entries.push({ ...base, result: 'rejected', stage: 'pipeline', reason: o.rejected });
      for (const f of notKeptFields(rule)) candidates.set(f, (candidates.get(f) ?? 0) + 1);
    }
  }
  const loads = entries.filter((e) => e.result === 'loads').length;
  return {
    source: `SigmaHQ/sigma at ${SIGMAHQ_COMMIT}: rules by their authors, SigmaHQ, Detection Rule License (DRL) 1.1`,
    pipeline: microsoft.name,
    counts: { rules: entries.length, loads, rejected: entries.length - loads },
    rules: entries,
    decoderCandidates: [...candidates].map(([field, rules]) => ({ field, rules })).sort((a, b) => b.rules - a.rules || (a.field < b.field ? -1 : 1)),
  };
}

/** The rules that load and run with crosswatch-microsoft (reviewed; the golden file has the reasons for the others). */
const LOADS = [
  'rules-threat-hunting/cloud/azure/signin_logs/azure_ad_signin_axios_user_agent.yml',
  'rules/cloud/azure/signin_logs/azure_account_lockout.yml',
  'rules/cloud/azure/signin_logs/azure_ad_azurehound_discovery.yml',
  'rules/cloud/azure/signin_logs/azure_ad_only_single_factor_auth_required.yml',
  'rules/cloud/azure/signin_logs/azure_ad_suspicious_signin_bypassing_mfa.yml',
  'rules/cloud/azure/signin_logs/azure_user_login_blocked_by_conditional_access.yml',
  'rules/cloud/m365/audit/microsoft365_disabling_mfa.yml',
  'rules/cloud/m365/audit/microsoft365_new_federated_domain_added_audit.yml',
];

let compatCache: CompatFile | undefined;
function compat(): CompatFile {
  return (compatCache ??= computeCompat(fixturePath('sigmahq')));
}

test('SigmaHQ\'s 45 rules with crosswatch-microsoft: the rules that load and run, and every rejection\'s reason, as the golden file says', { skip: fixturesSkip() }, () => {
  const c = compat();
  assert.equal(c.counts.rules, 45);
  assert.deepEqual(c.rules.filter((r) => r.result === 'loads').map((r) => r.file).sort(), LOADS);
  assert.equal(c.counts.loads, 8);
  assert.equal(c.counts.rejected, 37);
  // Every rejection names a field or the log source.
  for (const r of c.rules) if (r.result === 'rejected') assert.match(r.reason!, /field |log source |expand/, r.file);
  const text = `${JSON.stringify(c, null, 2)}\n`;
  if (UPDATE) writeFileSync(GOLDEN, text);
  assert.ok(existsSync(GOLDEN), 'no golden file: write it with UPDATE_GOLDEN=1 and review it');
  assert.deepEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')), c);
});

// --- the loaded rules on real records ----------------------------------------------------

interface Decoded {
  where: string;
  raw: Record<string, unknown>;
  event: NormalizedEvent;
}

function realEvents(): Decoded[] {
  const out: Decoded[] = [];
  for (const folder of ['azure-signinlogs', 'o365-audit']) {
    for (const file of rawFixtureFiles(folder)) {
      loadRaw(folder, file).forEach((record, i) => {
        out.push({ where: `${folder}/${file}#${i}`, raw: record.kind === 'json' ? record.value : {}, event: decode(record) });
      });
    }
  }
  loadGraphSignIns().forEach((g, i) => out.push({ where: `msgraph#${i}`, raw: g, event: decode(jsonRecord(g)) }));
  return out;
}

function loadedRules(): Map<string, DetectionRule> {
  const dir = fixturePath('sigmahq');
  const out = new Map<string, DetectionRule>();
  for (const rel of LOADS) {
    const { rules } = loadSigmaPath(join(dir, rel));
    out.set(rel.slice(rel.lastIndexOf('/') + 1, -'.yml'.length), mapped(rules[0]!) as DetectionRule);
  }
  return out;
}

function props(raw: Record<string, unknown>): Record<string, unknown> {
  return (raw['properties'] ?? {}) as Record<string, unknown>;
}

test('on every real record: only "Azure AD Only Single Factor Authentication Required" fires, on exactly the successful single-factor sign-ins', { skip: fixturesSkip() }, () => {
  const events = realEvents();
  assert.ok(events.length > 100);
  const hits: string[] = [];
  for (const [name, rule] of loadedRules()) {
    const run = runner(rule);
    for (const e of events) if (run(e.event)) hits.push(`${name} ${e.where}`);
  }
  // The same records read straight from Microsoft's fields: status.errorCode 0 and authenticationRequirement singleFactorAuthentication.
  const expected = events
    .filter((e) => e.where.startsWith('azure-signinlogs/'))
    .filter((e) => (props(e.raw)['status'] as Record<string, unknown> | undefined)?.['errorCode'] === 0 && props(e.raw)['authenticationRequirement'] === 'singleFactorAuthentication')
    .map((e) => `azure_ad_only_single_factor_auth_required ${e.where}`);
  assert.ok(expected.length >= 10, `${expected.length} single-factor successes among the fixtures`);
  assert.deepEqual(hits, expected);
});

test('ResultType rules fire on the sign-in whose code they name, not on another code, nor on an M365 sign-in whose event.code is its record type', { skip: fixturesSkip() }, () => {
  const rules = loadedRules();
  const blocked = runner(rules.get('azure_user_login_blocked_by_conditional_access')!);
  const lockout = runner(rules.get('azure_account_lockout')!);
  // A real failed sign-in (test-signinlogs.log line 1, code 50140) and the same record as Entra writes a Conditional Access block.
  const [record] = loadRaw('azure-signinlogs', 'test-signinlogs.log');
  const failed = decode(record!);
  assert.equal(failed.event.code, '50140');
  assert.equal(blocked(failed), false);
  const value = clone(record!.kind === 'json' ? record!.value : {}) as Record<string, unknown>;
  value['resultType'] = '53003';
  (props(value)['status'] as Record<string, unknown>)['errorCode'] = 53003;
  const ca = decode(jsonRecord(value));
  assert.equal(blocked(ca), true);
  assert.equal(lockout(ca), false);
  // A SigmaHQ-style rule on the fixtures' own code fires on exactly the records carrying it.
  const own = runner(mapped(detectionOf(ruleText(SIGNIN, 'selection:\n    ResultType: 50140\ncondition: selection'))));
  const withCode = realEvents().filter((e) => own(e.event)).map((e) => e.where);
  assert.deepEqual(withCode, [
    'azure-signinlogs/test-signinlogs-raw.log#0', 'azure-signinlogs/test-signinlogs-raw.log#1',
    'azure-signinlogs/test-signinlogs.log#0', 'azure-signinlogs/test-signinlogs.log#1',
  ]);
  // An M365 audit record made a UserLoggedIn (role signin, so in azure/signinlogs): event.code is the record
  // type's name, which a ResultType test must not read.
  const [audit] = loadRaw('o365-audit', 'test-bad-ips.json');
  const m365 = clone(audit!.kind === 'json' ? audit!.value : {}) as Record<string, unknown>;
  Object.assign(m365, { Operation: 'UserLoggedIn', Workload: 'AzureActiveDirectory', RecordType: 15, ResultStatus: 'Success' });
  const login = decode(jsonRecord(m365));
  assert.equal(login.crosswatch.role, 'signin');
  assert.equal(login.event.code, 'AzureActiveDirectoryStsLogon');
  const onCode = runner(mapped(detectionOf(ruleText(SIGNIN, 'selection:\n    ResultType|startswith: Azure\ncondition: selection'))));
  assert.equal(onCode(login), false);
  assert.equal(compileMatcher(detectionOf(ruleText(SIGNIN, 'selection:\n    event.code|startswith: Azure\ncondition: selection')))(fieldsOf(login)), true, 'unguarded, it would');
  // Status Success is the outcome, whoever signed in.
  assert.equal(runner(mapped(detectionOf(ruleText(SIGNIN, 'selection:\n    Status: Success\ncondition: selection'))))(login), true);
});

test('user-agent and M365 operation rules on real records changed in the one field they test', { skip: fixturesSkip() }, () => {
  const rules = loadedRules();
  const hound = runner(rules.get('azure_ad_azurehound_discovery')!);
  const axios = runner(rules.get('azure_ad_signin_axios_user_agent')!);
  const legacy = runner(rules.get('azure_ad_suspicious_signin_bypassing_mfa')!);
  const [ok] = loadRaw('azure-signinlogs', 'test-signinlogs-sample.log');
  const withUa = (ua: string, rec: RawRecord = ok!): NormalizedEvent => {
    const v = clone(rec.kind === 'json' ? rec.value : {}) as Record<string, unknown>;
    props(v)['userAgent'] = ua;
    return decode(jsonRecord(v));
  };
  assert.equal(hound(withUa('azurehound/v2.1.7')), true);
  assert.equal(axios(withUa('axios/1.6.8')), true);
  assert.equal(legacy(withUa('BAV2ROPC')), true);
  assert.equal(hound(decode(ok!)), false);
  // AzureHound's rule wants a success: the same user agent on a failed sign-in does not fire it.
  const [failed] = loadRaw('azure-signinlogs', 'test-signinlogs.log');
  assert.equal(hound(withUa('azurehound/v2.1.7', failed!)), false);
  assert.equal(legacy(withUa('BAV2ROPC', failed!)), false);

  const mfa = runner(rules.get('microsoft365_disabling_mfa')!);
  const domain = runner(rules.get('microsoft365_new_federated_domain_added_audit')!);
  const [audit] = loadRaw('o365-audit', 'test-bad-ips.json');
  const op = (operation: string): NormalizedEvent => {
    const v = clone(audit!.kind === 'json' ? audit!.value : {}) as Record<string, unknown>;
    v['Operation'] = operation;
    return decode(jsonRecord(v));
  };
  assert.equal(mfa(op('Disable Strong Authentication.')), true);
  assert.equal(domain(op('Add domain to company.')), true);
  assert.equal(domain(op('Set domain authentication.')), false);
  assert.equal(mfa(decode(audit!)), false);
  assert.equal(domain(decode(audit!)), false);
});

// --- docs/rules-sigmahq.md -------------------------------------------------------------

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function how(m: FieldMapping): { to: string; how: string; note: string } {
  if (m === null) return { to: '—', how: 'no equivalent: is not kept by the decoders', note: '' };
  if (typeof m === 'string') return { to: `\`${m}\``, how: 'same values', note: '' };
  if (m.to === null) return { to: '—', how: `no equivalent: ${m.reason ?? 'is not kept by the decoders'}`, note: m.note ?? '' };
  const parts = [m.values ? 'translated values' : m.kind === 'copy' ? 'one copy of the same value' : 'same values'];
  if (m.only) parts.push(`only where \`${m.only.field}\` is ${m.only.values.map((v) => `\`${v}\``).join(' or ')}`);
  if (m.values) {
    const entries = Object.entries(m.values);
    parts.push(entries.length <= 4 ? entries.map(([a, b]) => `\`${a}\` → \`${b}\``).join(', ') : `${entries.length / 2} record types, by number or name → the name`);
  }
  return { to: `\`${m.to}\``, how: parts.join('; '), note: m.note ?? '' };
}

function fieldTable(pipeline: Pipeline): string {
  const out: string[] = [];
  const seen = new Map<object, string[]>();
  for (const ls of pipeline.logsources) {
    const label = `${ls.match.product}/${ls.match.service ?? '*'}`;
    seen.set(ls.fields, [...(seen.get(ls.fields) ?? []), label]);
  }
  for (const [fields, labels] of seen) {
    const ls = pipeline.logsources.find((l) => l.fields === fields)!;
    out.push(`### ${labels.map((l) => `\`${l}\``).join(', ')}`, '');
    if (ls.prefixes?.length) out.push(`Names are also read after ${ls.prefixes.map((p) => `\`${p}\``).join(', ')} (the diagnostic record's nesting).`, '');
    out.push('| Microsoft field | normalized field | how | note |', '| --- | --- | --- | --- |');
    for (const [raw, m] of Object.entries(fields)) {
      const h = how(m);
      out.push(`| \`${raw}\` | ${h.to} | ${cell(h.how)} | ${cell(h.note)} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

function rulesTable(c: CompatFile): string {
  const out = [
    `${c.counts.rules} rules: **${c.counts.loads} load and run**, ${c.counts.rejected} are rejected ` +
      `(${c.rules.filter((r) => r.stage === 'load').length} by the loader, ${c.rules.filter((r) => r.stage === 'pipeline').length} by the pipeline).`,
    '',
    '| rule | author | result | reason, or the fields it reads |',
    '| --- | --- | --- | --- |',
  ];
  for (const r of c.rules) {
    const link = `[${cell(r.title)}](https://github.com/SigmaHQ/sigma/blob/${SIGMAHQ_COMMIT}/${r.file})`;
    const detail = r.result === 'loads'
      ? r.fields!.map((f) => `\`${f}\``).join(', ')
      : `${r.stage === 'load' ? 'loader' : 'pipeline'}: ${r.reason}${r.onceFilled === undefined ? '' : `. With the placeholders filled in: ${r.onceFilled}`}`;
    out.push(`| ${link} | ${cell(r.author)} | ${r.result === 'loads' ? '**loads**' : 'rejected'} | ${cell(detail)} |`);
  }
  out.push('', 'Fields the decoders do not keep, by the number of rejected rules that need them (alone or with others):', '');
  out.push(c.decoderCandidates.map((d) => `\`${d.field}\` (${d.rules})`).join(', ') + '.');
  return out.join('\n');
}

function section(doc: string, name: string): { before: string; body: string; after: string } {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  assert.ok(a >= 0 && b > a, `docs/rules-sigmahq.md has ${open} … ${close}`);
  return { before: doc.slice(0, a + open.length), body: doc.slice(a + open.length, b).trim(), after: doc.slice(b) };
}

function checkSection(name: string, generated: string): void {
  const doc = readFileSync(DOC, 'utf8');
  const s = section(doc, name);
  if (UPDATE) {
    writeFileSync(DOC, `${s.before}\n${generated}\n${s.after}`);
    return;
  }
  assert.equal(s.body, generated, `docs/rules-sigmahq.md's ${name} section is not what the pipeline says: UPDATE_GOLDEN=1 rewrites it`);
}

test('docs/rules-sigmahq.md: the field table is the pipeline\'s', () => {
  checkSection('fields', fieldTable(microsoft));
});

test('docs/rules-sigmahq.md: the table of rules is the golden file\'s, with the credit', { skip: fixturesSkip() }, () => {
  checkSection('rules', rulesTable(compat()));
  assert.match(readFileSync(DOC, 'utf8'), /rules by their authors, SigmaHQ, DRL 1\.1/);
});
