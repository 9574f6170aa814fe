// The Sigma converter (src/sigma/convert/) against golden queries: every case is
// converted to the four targets and compared with test/sigma/golden/convert/
// <case>.<target>.txt (a query, or the refusal). A missing or different golden
// fails; `UPDATE_GOLDEN=1` writes them instead (review the diff before committing).
// The built-in rules are loaded from rules/ as they are (loadSigmaPath,
// resolveRuleSet) and converted through convertRules, the CLI's entry point;
// the modifier, escaping and refusal cases are built by hand below.
// docs/rules-convert.md is generated from the built-ins' golden files and the
// decision table, and checked like a golden (UPDATE_GOLDEN=1 rewrites it).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ALWAYS_REFUSED, CORRELATION_DECISIONS, CORRELATION_TYPES, TARGET_NAMES, TARGETS, convertRule, convertRules, isTarget, sourceTables, type Conversion, type Target,
} from '../../src/sigma/convert/index.js';
import { loadSigmaPath } from '../../src/sigma/load.js';
import { resolveRuleSet } from '../../src/sigma/ruleset.js';
import type {
  ConditionNode, CorrelationRule, CorrelationType, CountCondition, DetectionRule, FieldMatch, LogSource, Modifier, Selection, SigmaRule, SigmaValue,
} from '../../src/sigma/types.js';

// --- building parsed rules by hand ------------------------------------------------------

type Raw = string | number | boolean | null;

const value = (v: Raw): SigmaValue =>
  v === null ? { kind: 'null' } : typeof v === 'string' ? { kind: 'string', pattern: v } : typeof v === 'number' ? { kind: 'number', value: v } : { kind: 'boolean', value: v };

/** `field|mod|mod` and its values; an empty field is a keyword search. */
function fm(spec: string, ...values: Raw[]): FieldMatch {
  const [field, ...mods] = spec.split('|');
  return { file: 'test.yml', line: 1, field: field === '' ? null : field!, modifiers: mods as Modifier[], values: values.map(value) };
}

/** A selection: each argument is one map (AND of its field matches); several maps are ORed. */
function sel(name: string, ...maps: FieldMatch[][]): Selection {
  return { file: 'test.yml', line: 1, name, anyOf: maps };
}

const ref = (name: string): ConditionNode => ({ op: 'ref', name });
const and = (...args: ConditionNode[]): ConditionNode => ({ op: 'and', args });
const or = (...args: ConditionNode[]): ConditionNode => ({ op: 'or', args });
const not = (arg: ConditionNode): ConditionNode => ({ op: 'not', arg });
const oneOf = (pattern: string, names: string[]): ConditionNode => ({ op: 'of', quantifier: 'one', pattern, names });
const allOf = (pattern: string, names: string[]): ConditionNode => ({ op: 'of', quantifier: 'all', pattern, names });

function detection(o: { id: string; name?: string; logsource: LogSource; selections: Selection[]; condition?: ConditionNode }): DetectionRule {
  return {
    kind: 'detection', file: 'test.yml', line: 1, id: o.id, ...(o.name ? { name: o.name } : {}), title: o.id, level: 'high', generate: true, raw: {},
    logsource: o.logsource,
    selections: new Map(o.selections.map((s) => [s.name, s])),
    condition: o.condition ?? ref(o.selections[0]!.name),
    conditionText: ['(built by hand)'],
  };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function correlation(o: {
  id: string; name?: string; type: CorrelationType; rules: string[]; groupBy: string[]; timespan: string;
  condition?: CountCondition; aliases?: Record<string, Record<string, string>>;
}): CorrelationRule {
  const m = /^(\d+)([smhd])$/.exec(o.timespan)!;
  return {
    kind: 'correlation', file: 'test.yml', line: 1, id: o.id, ...(o.name ? { name: o.name } : {}), title: o.id, level: 'high', generate: false, raw: {},
    type: o.type, rules: o.rules, groupBy: o.groupBy, timespanMs: Number(m[1]) * UNITS[m[2]!]!, timespanText: o.timespan,
    ...(o.condition ? { condition: o.condition } : {}),
    aliases: new Map(Object.entries(o.aliases ?? {}).map(([a, m2]) => [a, new Map(Object.entries(m2))])),
  };
}

/** A lookup over rules by id and name, as the ruleset gives the converter. */
function lookupOf(rules: SigmaRule[]): (ref: string) => SigmaRule | undefined {
  const by = new Map<string, SigmaRule>();
  for (const r of rules) {
    by.set(r.id, r);
    if (r.name) by.set(r.name, r);
  }
  return (ref) => by.get(ref);
}

// --- cases -----------------------------------------------------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const GOLDEN = join(HERE, 'golden', 'convert');
const DOC = join(ROOT, 'docs', 'rules-convert.md');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

const SIGNIN = { product: 'azure', service: 'signinlogs' };
const EXCHANGE = { product: 'm365', service: 'exchange' };
const IDS = { category: 'ids' };

// Base rules of the hand-built correlations below, the same as the built-in ones (which are loaded from rules/ further down).
const networkAlert = detection({ id: 'hand-network-alert', name: 'network_alert', logsource: IDS, selections: [sel('selection', [fm('event.kind', 'alert')])] });
const signinSuccess = detection({ id: 'hand-entra-signin-success', name: 'entra_signin_success', logsource: SIGNIN, selections: [sel('selection', [fm('event.outcome', 'success')])] });
const mailAccess = detection({
  id: 'hand-m365-mail-access', name: 'm365_mail_access', logsource: EXCHANGE,
  selections: [sel('selection', [fm('event.action', 'MailItemsAccessed'), fm('event.outcome', 'success')])],
});
const signinFailure = detection({ id: 'hand-entra-signin-failure', name: 'entra_signin_failure', logsource: SIGNIN, selections: [sel('selection', [fm('event.outcome', 'failure')])] });

const signinRule = (id: string, ...selections: Parameters<typeof detection>[0]['selections']): SigmaRule =>
  detection({ id, logsource: SIGNIN, selections });

interface Case { name: string; rule: SigmaRule }

const CASES: Case[] = [
  { name: 'mod-equals-list', rule: signinRule('eq', sel('selection', [fm('user.name', 'Alice@Contoso.com'), fm('client.client_app', 'IMAP4', 'POP3', 'Authenticated SMTP')])) },
  { name: 'mod-contains', rule: signinRule('contains', sel('selection', [fm('client.client_app|contains', 'python-requests')])) },
  { name: 'mod-startswith', rule: signinRule('startswith', sel('selection', [fm('user.name|startswith', 'admin')])) },
  { name: 'mod-endswith', rule: signinRule('endswith', sel('selection', [fm('user.name|endswith', '@contoso.com')])) },
  { name: 'mod-contains-all', rule: signinRule('all', sel('selection', [fm('client.client_app|contains|all', 'Mozilla', 'Windows NT')])) },
  { name: 'mod-wildcards', rule: signinRule('wild', sel('selection', [fm('client.app', 'Azure*Power?hell', 'Office 365\\*')])) },
  { name: 'mod-cased', rule: signinRule('cased', sel('selection', [fm('client.client_app|contains|cased', 'Python'), fm('client.client_app|cased', 'Browser')])) },
  { name: 'mod-re', rule: signinRule('re', sel('selection', [fm('client.client_app|re', '^python-requests/\\d+\\.\\d+')])) },
  { name: 'mod-re-flags', rule: signinRule('re-i', sel('selection', [fm('user.name|re|i', 'adm(in)?[0-9]{2,3}@'), fm('client.client_app|re|s', 'curl.+x$')])) },
  { name: 'mod-cidr', rule: signinRule('cidr', sel('selection', [fm('source.ip|cidr', '192.0.2.0/24', '2001:db8::/32', '::ffff:10.1.2.3/104')])) },
  { name: 'mod-exists', rule: signinRule('exists', sel('selection', [fm('azure.signinlogs.properties.risk_level_during_signin|exists', true), fm('client.client_app|exists', false)])) },
  { name: 'mod-null', rule: signinRule('null', sel('selection', [fm('client.client_app', null)])) },
  { name: 'mod-fieldref', rule: signinRule('fieldref', sel('selection', [fm('client.client_app|fieldref', 'user.name')])) },
  { name: 'mod-base64offset', rule: signinRule('b64', sel('selection', [fm('client.client_app|base64offset|contains', 'powershell')])) },
  {
    name: 'mod-numbers',
    rule: detection({ id: 'numbers', logsource: { category: 'ids', product: 'suricata' }, selections: [sel('selection', [fm('event.kind', 'alert'), fm('destination.port|gte', 1024), fm('source.port|lt', 1024), fm('rule.id', 2100498)])] }),
  },
  {
    name: 'cond-not-of',
    rule: signinRule('cond', sel('selection', [fm('event.outcome', 'success')], [fm('client.client_app', 'IMAP4')]), sel('filter_a', [fm('user.name|endswith', '@partner.example')]),
      sel('filter_b', [fm('source.ip|cidr', '203.0.113.0/24')]), sel('risky', [fm('azure.signinlogs.properties.risk_state', 'atRisk')])),
  },
  {
    name: 'const-fold',
    rule: signinRule('fold', sel('selection', [fm('event.dataset', 'azure.signinlogs'), fm('user.name|contains', 'svc')]), sel('filter', [fm('event.kind', 'alert')])),
  },
  { name: 'refuse-keyword', rule: signinRule('kw', sel('keywords', [fm('', 'mimikatz')])) },
  // A column in one of the log source's tables and not the other: Sentinel's OfficeActivity sign-ins keep no user agent column.
  { name: 'refuse-column-in-one-table', rule: signinRule('ua', sel('selection', [fm('user_agent.original|contains', 'python-requests')])) },
  { name: 'refuse-no-column', rule: signinRule('nocol', sel('selection', [fm('crosswatch.role', 'signin')])) },
  { name: 'refuse-logsource', rule: detection({ id: 'ls', logsource: { product: 'windows', service: 'security' }, selections: [sel('selection', [fm('event.id', '4624')])] }) },
  { name: 'refuse-regex-lookahead', rule: signinRule('look', sel('selection', [fm('user.name|re', '^(?!admin).*')])) },
  // Values written to break out of a literal: quotes, backslashes, pipes, comments, line breaks, a bell.
  {
    name: 'escape-hostile',
    rule: signinRule('hostile', sel('selection', [
      fm('user.name', 'ev"il\\ | where true // \'\n'),
      fm('client.client_app|contains', '`); drop x; --\t*/'),
      fm('client.app|re', 'a"b\\\\c|\\|d'),
      fm('client.client_app|startswith', '\\*lit\\?'),
      fm('azure.signinlogs.properties.risk_state', 'bell\u0007'),
    ])),
  },
  { name: 'corr-event-count', rule: correlation({ id: 'spray-count', type: 'event_count', rules: ['entra_signin_failure'], groupBy: ['source.ip'], timespan: '10m', condition: { gte: 5 } }) },
  { name: 'corr-event-count-user', rule: correlation({ id: 'user-count', type: 'event_count', rules: ['entra_signin_failure'], groupBy: ['user.name'], timespan: '1h', condition: { gt: 2 } }) },
  { name: 'corr-value-count', rule: correlation({ id: 'spray-users', type: 'value_count', rules: ['entra_signin_failure'], groupBy: ['source.ip'], timespan: '1h', condition: { gte: 20, field: 'user.name' } }) },
  { name: 'corr-temporal', rule: correlation({ id: 'signin-and-mail', type: 'temporal', rules: ['entra_signin_success', 'm365_mail_access'], groupBy: ['source.ip'], timespan: '1h' }) },
  // In order over two log sources that are no network alert (the built-in correlations show one that is).
  { name: 'corr-ordered-signin-mail', rule: correlation({ id: 'signin-then-mail', type: 'temporal_ordered', rules: ['entra_signin_success', 'm365_mail_access'], groupBy: ['source.ip'], timespan: '1h' }) },
  {
    name: 'corr-aliases',
    rule: correlation({
      id: 'alert-dest-then-signin', type: 'temporal_ordered', rules: ['network_alert', 'entra_signin_success'], groupBy: ['addr'], timespan: '30m',
      aliases: { addr: { network_alert: 'destination.ip', entra_signin_success: 'source.ip' } },
    }),
  },
  { name: 'corr-upper-bound', rule: correlation({ id: 'few', type: 'event_count', rules: ['entra_signin_failure'], groupBy: ['source.ip'], timespan: '1h', condition: { gte: 2, lte: 3 } }) },
  { name: 'corr-upper-bound-values', rule: correlation({ id: 'few-users', type: 'value_count', rules: ['entra_signin_failure'], groupBy: ['source.ip'], timespan: '1h', condition: { eq: 1, field: 'user.name' } }) },
  { name: 'corr-temporal-some', rule: correlation({ id: 'some', type: 'temporal', rules: ['network_alert', 'entra_signin_success', 'm365_mail_access'], groupBy: ['source.ip'], timespan: '2h', condition: { gte: 2, lt: 3 } }) },
  { name: 'corr-refuse-never', rule: correlation({ id: 'never', type: 'event_count', rules: ['entra_signin_failure'], groupBy: ['source.ip'], timespan: '1h', condition: { gt: 5, lt: 3 } }) },
  { name: 'corr-refuse-chained', rule: correlation({ id: 'chain', type: 'temporal', rules: ['spray-count', 'entra_signin_success'], groupBy: ['source.ip'], timespan: '1h' }) },
  // A chain in order: the targets that can say "in order" refuse it for being a chain.
  { name: 'corr-refuse-chained-ordered', rule: correlation({ id: 'chain-ordered', type: 'temporal_ordered', rules: ['spray-count', 'entra_signin_success'], groupBy: ['source.ip'], timespan: '1h' }) },
  { name: 'corr-refuse-unknown-rule', rule: correlation({ id: 'missing', type: 'temporal_ordered', rules: ['network_alert', 'no_such_rule'], groupBy: ['source.ip'], timespan: '1h' }) },
];
// Conditions the builder cannot infer from the selections' order.
(CASES.find((c) => c.name === 'cond-not-of')!.rule as { condition: unknown }).condition =
  and(ref('selection'), not(oneOf('filter_*', ['filter_a', 'filter_b'])), or(ref('risky'), allOf('filter_*', ['filter_a', 'filter_b'])));
(CASES.find((c) => c.name === 'const-fold')!.rule as { condition: unknown }).condition = and(ref('selection'), not(ref('filter')));

const RULES = [networkAlert, signinSuccess, signinFailure, mailAccess, ...CASES.map((c) => c.rule)];
const lookup = lookupOf(RULES);

const text = (c: Conversion): string => `${'query' in c ? c.query : c.cannot}\n`;

// --- the built-in rules, as rules/ holds them ------------------------------------------------

const RULES_DIR = join(ROOT, 'rules');
/** The built-in detections (DESIGN.md §1): three base rules and two temporal_ordered correlations. */
const BUILTIN_FILES = ['network-alert.yml', 'entra-signin-success.yml', 'm365-mail-access-success.yml',
  'cw-entra-signin-after-network-alert.yml', 'cw-m365-mail-access-after-network-alert.yml'];
const loadedBuiltin = loadSigmaPath(RULES_DIR);
const builtinProblems = [...loadedBuiltin.problems];
const builtinSet = resolveRuleSet(loadedBuiltin.rules, builtinProblems);

interface BuiltinCase { name: string; rule: SigmaRule; alerting: boolean; out: Record<Target, string> }
const BUILTIN: BuiltinCase[] = [];
for (const target of TARGETS) {
  convertRules(builtinSet, target).forEach((c, i) => {
    const entry = BUILTIN[i] ?? (BUILTIN[i] = { name: `builtin-${c.rule.id.replace(/[^A-Za-z0-9._-]/g, '_')}`, rule: c.rule, alerting: c.alerting, out: {} as Record<Target, string> });
    assert.equal(entry.rule, c.rule, 'convertRules gives the rules in the same order for every target');
    entry.out[target] = text(c.result);
  });
}

// --- goldens ---------------------------------------------------------------------------------

const goldenFile = (name: string, target: Target): string => join(GOLDEN, `${name}.${target}.txt`);

/** Compares (or, with UPDATE_GOLDEN=1, writes) one case's four outputs; the differences found. */
function checkGolden(name: string, out: (target: Target) => string): string[] {
  const problems: string[] = [];
  for (const target of TARGETS) {
    const file = goldenFile(name, target);
    const got = out(target);
    if (UPDATE) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, got);
      continue;
    }
    if (!existsSync(file)) problems.push(`${file} is missing (UPDATE_GOLDEN=1 writes it)`);
    else if (readFileSync(file, 'utf8') !== got) problems.push(`${name}.${target}: differs from its golden\n--- golden\n${readFileSync(file, 'utf8')}--- got\n${got}`);
  }
  return problems;
}

test('the built-in rules load from rules/ without problems, the built-in detections among them', () => {
  assert.deepEqual(builtinProblems, []);
  const files = new Set(BUILTIN.map((b) => basename(b.rule.file)));
  for (const f of BUILTIN_FILES) assert.ok(files.has(f), `rules/${f} gives a golden case`);
  assert.equal(new Set(BUILTIN.map((b) => b.name)).size, BUILTIN.length);
});

for (const b of BUILTIN) {
  test(`convert ${b.name} (rules/${basename(b.rule.file)})`, () => {
    assert.deepEqual(checkGolden(b.name, (target) => b.out[target]), []);
  });
}

for (const c of CASES) {
  test(`convert ${c.name}`, () => {
    assert.deepEqual(checkGolden(c.name, (target) => text(convertRule(c.rule, target, lookup))), []);
  });
}

test('no golden file without its case', () => {
  const expected = new Set([...BUILTIN, ...CASES].flatMap((c) => TARGETS.map((t) => `${c.name}.${t}.txt`)));
  const orphans = readdirSync(GOLDEN).filter((f) => !expected.has(f));
  if (UPDATE) for (const f of orphans) rmSync(join(GOLDEN, f));
  else assert.deepEqual(orphans, [], 'golden files no case writes (UPDATE_GOLDEN=1 removes them)');
});

test('the two built-in correlations convert where the target can say "in order" and has the tables', () => {
  const ordered = BUILTIN.filter((b) => b.rule.kind === 'correlation' && b.rule.type === 'temporal_ordered');
  assert.deepEqual(ordered.map((b) => basename(b.rule.file)).sort(), ['cw-entra-signin-after-network-alert.yml', 'cw-m365-mail-access-after-network-alert.yml']);
  for (const b of ordered) {
    assert.match(b.out.eql, /^\/\/ index: .*\nsequence by source\.ip with maxspan=8h\n/);
    assert.doesNotMatch(b.out.spl, /^cannot convert/);
    assert.match(b.out.esql, /^cannot convert: .*order/);
    // Sentinel: ASIM's network sessions that carry a threat, joined to the sign-in or mail tables by the threat side's address.
    assert.match(b.out.kql, /^let cw_events = materialize\(union\n {4}\(_Im_NetworkSession\(\)\n {4}\| where \(isnotempty\(ThreatId\) or /);
    assert.match(b.out.kql, /\| project cw_time = TimeGenerated, cw_g0 = tostring\(iff\(ThreatField == "DstIpAddr", DstIpAddr, SrcIpAddr\)\), cw_m0 = true, cw_m1 = false\)/);
  }
});

test('Sentinel: network alerts are ASIM threat sessions; a field with no ASIM column, or one sensor\'s alerts, are refused', () => {
  const ids = (id: string, logsource: LogSource, ...maps: FieldMatch[][]): DetectionRule => detection({ id, logsource, selections: [sel('selection', ...maps)] });
  assert.deepEqual(convertRule(ids('sig', IDS, [fm('rule.name|startswith', 'ET SCAN'), fm('network.transport', 'tcp'), fm('destination.port', 445)]), 'kql', lookup), {
    query: '_Im_NetworkSession()\n| where (isnotempty(ThreatId) or isnotempty(ThreatIpAddr) or (isnotempty(ThreatName) and ThreatName !~ "None")) '
      + 'and ThreatName startswith "ET SCAN" and tolower(NetworkProtocol) =~ "tcp" and iff(ThreatField == "DstIpAddr", SrcPortNumber, DstPortNumber) == 445',
  });
  // crosswatch's severity is the sensor's number; ASIM's EventSeverity is a word: no column, so no query.
  assert.deepEqual(convertRule(ids('sev', IDS, [fm('event.severity|lte', 2)]), 'kql', lookup),
    { cannot: 'cannot convert: field event.severity has no column in _Im_NetworkSession' });
  const panos = convertRule(ids('pan', { category: 'ids', product: 'panos' }, [fm('event.kind', 'alert')]), 'kql', lookup);
  assert.ok('cannot' in panos && panos.cannot.startsWith('cannot convert: log source category: ids, product: panos has no Sentinel table (ASIM holds no threat rows of this sensor:'), JSON.stringify(panos));
});

test('convertRules: every rule of the set once, detections first, with whether it alerts', () => {
  const all = convertRules(builtinSet, 'spl');
  assert.equal(all.length, builtinSet.detections.length + builtinSet.correlations.length);
  assert.equal(new Set(all.map((c) => c.rule)).size, all.length);
  const firstCorrelation = all.findIndex((c) => c.rule.kind === 'correlation');
  assert.ok(all.slice(firstCorrelation).every((c) => c.rule.kind === 'correlation'));
  // The base rules are referenced without generate: only the correlations alert.
  for (const c of all) assert.equal(c.alerting, c.rule.kind === 'correlation', c.rule.id);
  for (const c of all) if ('cannot' in c.result) assert.match(c.result.cannot, /^cannot convert: \S/);
  assert.ok(TARGETS.every(isTarget));
  assert.ok(!isTarget('sql') && !isTarget('ESQL'));
});

test('the decision table is what the converter does', () => {
  const corrs = [...CASES.map((c) => c.rule), ...BUILTIN.map((b) => b.rule)].filter((r): r is CorrelationRule => r.kind === 'correlation');
  const seen = new Set<string>();
  for (const rule of corrs) {
    for (const target of TARGETS) {
      const decision = CORRELATION_DECISIONS[target][rule.type];
      const got = convertRule(rule, target, (r) => lookup(r) ?? builtinSet.lookup(r));
      if ('cannot' in decision) assert.deepEqual(got, { cannot: `cannot convert: ${decision.cannot}` }, `${rule.id} ${target}`);
      else if ('query' in got) seen.add(`${target} ${rule.type}`);
    }
  }
  // Every "query" of the table is shown by at least one case.
  for (const target of TARGETS) {
    for (const type of CORRELATION_TYPES) {
      if ('query' in CORRELATION_DECISIONS[target][type]) assert.ok(seen.has(`${target} ${type}`), `no case converts ${type} to ${target}`);
    }
  }
});

// --- docs/rules-convert.md ---------------------------------------------------------------------

const LOG_SOURCES: LogSource[] = [
  { product: 'azure', service: 'signinlogs' }, { product: 'm365', service: 'audit' }, { product: 'm365', service: 'exchange' },
  { category: 'ids' }, ...['suricata', 'zeek', 'snort', 'panos', 'fortigate', 'cef'].map((product) => ({ category: 'ids', product })),
];
const LANG: Record<Target, string> = { esql: 'esql', eql: 'eql', kql: 'kusto', spl: 'spl' };

const describeLs = (ls: LogSource): string => Object.entries(ls).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
function fence(body: string, lang: string): string {
  const ticks = '`'.repeat(Math.max(3, ...[...body.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `${ticks}${lang}\n${body}\n${ticks}`;
}

function renderDoc(): string {
  const out: string[] = [];
  const p = (...lines: string[]): void => {
    out.push(...lines);
  };
  p('# Converting rules into SIEM queries', '',
    '<!-- Generated by test/sigma/convert.test.ts from test/sigma/golden/convert/ and src/sigma/convert/index.ts:',
    '     do not edit; `UPDATE_GOLDEN=1 node --import tsx --test test/sigma/convert.test.ts` rewrites it. -->', '',
    '`crosswatch rules convert --target esql|eql|kql|spl [PATH]` turns each detection and correlation rule',
    '(the built-in rules, or the Sigma rules under PATH) into a query of Elastic ES|QL, Elastic EQL,',
    'Microsoft Sentinel KQL or Splunk SPL over the SIEM\'s own field names, or says `cannot convert: <reason>`.',
    'A query is given only where it means what crosswatch\'s engine means by the rule (src/sigma/README.md:',
    'the same modifiers, the same sliding window `[t - timespan, t]`); where the target cannot say that',
    'exactly (an order it cannot express, a sliding window it does not have, a chained correlation) the',
    'rule is refused, never converted into a looser query. The conversion is `convertRules` in',
    'src/sigma/convert/index.ts.', '',
    'What no Sigma rule says and crosswatch applies as engine policy (public source addresses only, the',
    'allowlist, the shared-infrastructure cap, evidence caps) is in no query: apply it when triaging.', '',
    '## Where each target reads a log source', '',
    'Field names are the SIEM\'s: ECS as Elastic\'s integrations write it; the columns of the Entra ID',
    'sign-in tables and OfficeActivity, and ASIM\'s Network Session names, for Sentinel; the fields of the',
    'Splunk add-ons (Microsoft Cloud Services\' `azure:monitor:aad`, Microsoft Office 365\'s',
    '`o365:management:activity`) and CIM\'s Intrusion_Detection names for Splunk. Network alerts are read',
    'from each SIEM\'s normalized model where it has one: CIM\'s Intrusion_Detection data model for Splunk,',
    'and for Sentinel the ASIM network sessions (`_Im_NetworkSession`) that carry a threat (Azure',
    'Firewall\'s IDPS and threat-intelligence denials, for one), since ASIM\'s Alert Event schema keeps no',
    'source or destination address (only the device\'s, `DvcIpAddr`). The threat side (crosswatch\'s',
    '`source.ip`) is the destination where ASIM\'s `ThreatField` names it, else the source. ASIM\'s parsers',
    'bring no threats of the sensors a `product` names, so Sentinel refuses those. A log source may span',
    'several tables, read as crosswatch\'s decoders read them: a sign-in is an Entra ID sign-in record or',
    'an M365 `UserLoggedIn` record of the `AzureActiveDirectory` workload. For Splunk the converter writes',
    'crosswatch\'s own outcome and fallback rules over the add-ons\' extracted fields rather than relying',
    'on CIM aliases whose derivation it cannot check; CIM names are used where the data model is the',
    'source (network alerts).',
    '(src/sigma/convert/fields-*.ts, sources.ts)', '',
    '| log source | Elastic (ES\\|QL, EQL) | Microsoft Sentinel (KQL) | Splunk (SPL) |',
    '|---|---|---|---|');
  const notes: string[] = [];
  for (const ls of LOG_SOURCES) {
    const where = (t: Target): string => {
      const r = sourceTables(t, ls);
      if ('tables' in r) return cell(r.tables.join('; '));
      const m = /has no ([^(]*?)(?: \((.*)\))?$/.exec(r.cannot);
      const why = m?.[2] ?? (m ? `the converter knows no ${m[1]} for it` : r.cannot);
      if (!notes.includes(why)) notes.push(why);
      return `none (${notes.indexOf(why) + 1})`;
    };
    p(`| \`${describeLs(ls)}\` | ${where('esql')} | ${where('kql')} | ${where('spl')} |`);
  }
  p('', ...notes.map((n, i) => `(${i + 1}) ${n}.`));
  p('', '## Correlations: target × type', '',
    'Semantics converted: per group, at every instant t at which the group has an event, over',
    '`[t - timespan, t]` inclusive; an event matching several of the rules is one event; `temporal_ordered`',
    'needs the rules\' events in the listed order (equal times count as in order).', '',
    `| target | ${CORRELATION_TYPES.join(' | ')} |`, `|---|${CORRELATION_TYPES.map(() => '---').join('|')}|`);
  for (const target of TARGETS) {
    const cells = CORRELATION_TYPES.map((type) => {
      const d = CORRELATION_DECISIONS[target][type];
      return cell('cannot' in d ? `**cannot**: ${d.cannot}` : `**query**: ${d.query}. Limits: ${d.limits}`);
    });
    p(`| ${cell(TARGET_NAMES[target])} | ${cells.join(' | ')} |`);
  }
  p('', `Every target refuses ${ALWAYS_REFUSED}. Where crosswatch counts a record delivered twice once`,
    '(the same record id and time), the queries count rows.', '',
    '## Detections', '',
    'Every target converts a detection rule\'s modifiers as crosswatch\'s matcher reads them (case-insensitive',
    'unless `cased`; wildcards; `contains`, `startswith`, `endswith`, `all`; `re` with `i`, `m`, `s`; `cidr`;',
    '`exists`; null; `gt`, `gte`, `lt`, `lte`; `base64`, `base64offset`; `fieldref` except in EQL) and refuses',
    'keyword searches, fields with no column in one of the log source\'s tables, and regular-expression',
    'features the target\'s engine lacks. test/sigma/golden/convert/ holds a case of each.', '',
    '## The built-in rules', '',
    'rules/*.yml as they are, converted to each target (the golden files test/sigma/golden/convert/builtin-*).');
  for (const b of BUILTIN) {
    const r = b.rule;
    const what = r.kind === 'detection'
      ? `detection over \`${describeLs(r.logsource)}\``
      : `${r.type} correlation of ${r.rules.map((x) => `\`${x}\``).join(', ')} by ${r.groupBy.map((x) => `\`${x}\``).join(', ')} within ${r.timespanText}`;
    p('', `### ${r.title} (\`${r.id}\`)`, '',
      `\`${relative(ROOT, r.file).split('\\').join('/')}\`: ${what}; ${b.alerting ? 'raises alerts' : 'raises no alert of its own (a correlation uses it)'}.`);
    for (const target of TARGETS) {
      const file = goldenFile(b.name, target);
      const body = existsSync(file) ? readFileSync(file, 'utf8').replace(/\n$/, '') : '(golden file missing)';
      p('', `#### ${TARGET_NAMES[target]}`, '', body.startsWith('cannot convert:') ? `> ${body}` : fence(body, LANG[target]));
    }
  }
  return `${out.join('\n')}\n`;
}

// Last: the goldens above are written first under UPDATE_GOLDEN=1.
test('docs/rules-convert.md is generated from the goldens and the decision table', () => {
  const doc = renderDoc();
  if (UPDATE) {
    writeFileSync(DOC, doc);
    return;
  }
  assert.ok(existsSync(DOC), `${DOC} is missing (UPDATE_GOLDEN=1 writes it)`);
  assert.ok(readFileSync(DOC, 'utf8') === doc, `${DOC} is stale (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
});
