// Microsoft Sentinel KQL. Detection: the log source's table(s), `where` the rule;
// `=~`, `contains`, `startswith`, `endswith` are case-insensitive (their `_cs`
// forms for `cased`), other wildcard patterns and `re` use `matches regex` (RE2,
// printed by regex.ts). Log Analytics has no missing strings (they are empty), so
// string tests are two-valued; the tests that can be null (numbers, addresses)
// are made false when null, so `not` stays the complement crosswatch uses.
// Correlations: one row per matching event (sub-queries per table, a flag per
// rule), evaluated as crosswatch's engine does: at each instant a group has events,
// over [t - span, t] inclusive. At least N events: `next()` over the events sorted
// by group and time; any other count (upper bounds, distinct values, distinct
// rules): each instant joined to its window's events; temporal_ordered: per
// instant, a chain of joins keeping the latest start of an in-order run.
import type { DetectionRule } from '../types.js';
import { cannot, durationText, globLiteral, globShape, kqlName, kqlString as q, numberLiteral } from './escape.js';
import { bind, detectionPred, type Bound, type ColumnRef, type Test } from './expr.js';
import { columnOf, type Column, type Source } from './fields.js';
import { sourcesFor } from './sources.js';
import type { Plan } from './plan.js';
import { globTree, printRegex } from './regex.js';

const KQL_UNITS = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const;

function operand(col: ColumnRef): string {
  if (col.kind === 'expr') return col.expr;
  return col.names.length === 1 ? kqlName(col.names[0]!) : `coalesce(${col.names.map(kqlName).join(', ')})`;
}

function atom(field: string, col: ColumnRef, test: Test, other?: ColumnRef): string {
  const x = operand(col);
  const text = col.type === 'string' || col.type === 'ip' ? x : `tostring(${x})`;
  switch (test.t) {
    case 'str': {
      const lit = globLiteral(test.glob);
      const cs = test.cased ? '_cs' : '';
      const regex = (): string => `${text} matches regex ${q(printRegex(globTree(test.glob), 're2', { i: !test.cased, m: false, s: true }, 'whole'))}`;
      // A control character other than \t \n \r has no documented escape in a KQL string: the regex spells it \x{..}.
      if (test.glob.some((p) => 'lit' in p && /[^\P{Cc}\t\n\r]/u.test(p.lit))) return regex();
      if (lit !== null) return `${text} ${test.cased ? '==' : '=~'} ${q(lit)}`;
      const shape = globShape(test.glob);
      if (shape?.shape === 'anything') return `isnotempty(${x})`;
      if (shape) return `${text} ${shape.shape}${cs} ${q(shape.lit)}`;
      return regex();
    }
    case 're':
      return `${text} matches regex ${q(printRegex(test.tree, 're2', test.flags, 'search'))}`;
    case 'cidr':
      if (col.type !== 'ip' && col.type !== 'string') return cannot(`KQL: ${field} holds no addresses`);
      return test.v6
        ? `(${x} contains ":" and coalesce(ipv6_is_in_range(${x}, ${q(test.cidr)}), false))`
        : `coalesce(ipv4_is_in_range(${x}, ${q(test.cidr)}), false)`;
    case 'cmp':
      return `(isnotnull(todouble(${x})) and todouble(${x}) ${test.op} ${numberLiteral(test.value)})`;
    case 'num':
      return col.type === 'number' ? `${x} == ${numberLiteral(test.value)}` : `${text} == ${q(numberLiteral(test.value))}`;
    case 'exists':
      return `isnotempty(${x})`;
    case 'ref':
      return `${text} ${test.cased ? '==' : '=~'} ${operand(other!)}`;
  }
}

export function printKql(b: Bound): string {
  const child = (c: Bound, parent: 'and' | 'or'): string => {
    const s = printKql(c);
    return (c.k === 'and' || c.k === 'or') && c.k !== parent ? `(${s})` : s;
  };
  switch (b.k) {
    case 'and': case 'or': return b.args.map((a) => child(a, b.k as 'and' | 'or')).join(` ${b.k} `);
    case 'not': return `not(${printKql(b.arg)})`;
    case 'const': return b.value ? 'true' : 'false';
    case 'raw': return `(${b.text})`;
    case 'atom': return atom(b.field, b.col, b.test, b.other);
  }
}

/** The rule over one table: its guard and the bound rule; null when it matches none of the table's rows. */
function condition(rule: DetectionRule, src: Source): string | null {
  const b = bind(detectionPred(rule), src);
  if (b.k === 'const' && !b.value) return null;
  const parts = [...(src.guard ? [src.guard] : []), ...(b.k === 'const' ? [] : [b.k === 'or' ? `(${printKql(b)})` : printKql(b)])];
  return parts.length > 0 ? parts.join(' and ') : 'true';
}

export function kqlDetection(rule: DetectionRule): string {
  const parts = sourcesFor('sentinel', rule.logsource).map((src) => ({ src, cond: condition(rule, src) }));
  const live = parts.filter((p) => p.cond !== null);
  if (live.length === 0) return `${parts[0]!.src.from}\n| where false`;
  if (live.length === 1) return `${live[0]!.src.from}\n| where ${live[0]!.cond}`;
  return `union\n    ${live.map((p) => `(${p.src.from}\n    | where ${p.cond})`).join(',\n    ')}`;
}

/** A column as a value for grouping or counting (text, so tables agree). */
function valueExpr(col: Column, field: string, label: string): string {
  if (col.kind === 'const') return col.values.length > 0 ? q(col.values[0]!) : cannot(`KQL: crosswatch has no ${field} for the rows of ${label}`);
  if (col.kind === 'enum') return cannot(`KQL: ${field} is no column of ${label} to group or count by`);
  return `tostring(${operand(col)})`;
}

/** The events of all steps, one row each: time, group keys, counted value, and a flag per step. */
function events(p: Plan): { lets: string; keys: string[] } {
  const entries = p.steps.flatMap((s, i) => sourcesFor('sentinel', s.rule.logsource).map((src) => ({ i, s, src, cond: condition(s.rule, src) })));
  const nKeys = Math.max(1, p.steps[0]!.group.length);
  const keys = Array.from({ length: nKeys }, (_, j) => `cw_g${j}`);
  const byTable = new Map<string, typeof entries>();
  for (const e of entries) if (e.cond !== null) byTable.set(e.src.key, [...(byTable.get(e.src.key) ?? []), e]);
  if (byTable.size === 0) return cannot('none of the rules can match any row');
  const parts = [...byTable.values()].map((group) => {
    const src = group[0]!.src;
    const one = (fields: string[]): string[] => fields.map((fl) => valueExpr(columnOf(src, fl), fl, src.label));
    const gk = group.map(({ s }) => (s.group.length === 0 ? [q('*')] : one(s.group)));
    const vk = group.map(({ s }) => (s.value !== undefined ? one([s.value])[0]! : ''));
    if (gk.some((g) => g.join() !== gk[0]!.join()) || vk.some((v) => v !== vk[0])) {
      return cannot(`rules on ${src.label} group or count by different fields; this conversion keeps one row per event`);
    }
    const conds = [...new Set(group.map((e) => e.cond!))];
    const flag = (i: number): string => {
      const mine = [...new Set(group.filter((e) => e.i === i).map((e) => e.cond!))];
      if (mine.length === 0) return 'false';
      return conds.length === 1 ? 'true' : mine.length === 1 ? `(${mine[0]})` : `(${mine.map((c) => `(${c})`).join(' or ')})`;
    };
    const cols = [`cw_time = ${valueOf(src.time)}`, ...gk[0]!.map((g, j) => `cw_g${j} = ${g}`),
      ...(vk[0] ? [`cw_v = ${vk[0]}`] : []), ...p.steps.map((_, i) => `cw_m${i} = ${flag(i)}`)];
    return `${src.from}\n    | where ${conds.length === 1 ? conds[0] : conds.map((c) => `(${c})`).join(' or ')}\n    | project ${cols.join(', ')}`;
  });
  const body = parts.length === 1 ? parts[0]! : `union\n    (${parts.join('),\n    (')})`;
  const lets = `let cw_events = materialize(${body}\n    | where ${keys.map((g) => `isnotempty(${g})`).join(' and ')} and isnotnull(cw_time));\n`;
  return { lets, keys };
}

function valueOf(col: Column): string {
  return col.kind === 'field' || col.kind === 'expr' ? operand(col) : cannot('the time of a source must be a column');
}

export function kqlCorrelation(p: Plan): string {
  const { lets, keys } = events(p);
  const span = durationText(p.windowMs, KQL_UNITS);
  const on = keys.join(', ');
  const flags = p.steps.map((_, i) => `cw_m${i}`);
  const holds = (x: string): string => [...(p.lo > 1 ? [`${x} >= ${p.lo}`] : []), ...(p.hi !== Infinity ? [`${x} <= ${p.hi}`] : [])].join(' and ') || 'true';
  const first = `| summarize cw_first = min(cw_time) by ${on}`;
  // Every instant at which a group has an event, joined to the events of its window.
  const windows = (rows: string, right: string): string => `${rows}\n| summarize by ${on}, cw_time\n`
    + `| join kind=inner (${rows} | project ${on}, cw_t2 = cw_time${right}) on ${on}\n| where cw_t2 between ((cw_time - ${span}) .. cw_time)\n`;
  switch (p.type) {
    case 'event_count': {
      if (p.hi === Infinity) {
        // At least N events within the span: N consecutive events of the group, the last within the span of the first.
        const k = p.lo - 1;
        if (k === 0) return `${lets}cw_events\n${first}`;
        return `${lets}cw_events\n| sort by ${keys.map((g) => `${g} asc`).join(', ')}, cw_time asc\n`
          + `| extend cw_last = next(cw_time, ${k}), cw_same = ${keys.map((g) => `next(${g}, ${k}) == ${g}`).join(' and ')}\n`
          + `| where cw_same and cw_last - cw_time <= ${span}\n| summarize cw_first = min(cw_last) by ${on}`;
      }
      return `${lets}${windows('cw_events', '')}| summarize cw_count = count() by ${on}, cw_time\n| where ${holds('cw_count')}\n${first}`;
    }
    case 'value_count':
      return `${lets}let cw_values = cw_events | where isnotempty(cw_v);\n${windows('cw_values', ', cw_v2 = cw_v')}`
        + `| summarize by ${on}, cw_time, cw_v2\n| summarize cw_count = count() by ${on}, cw_time\n| where ${holds('cw_count')}\n${first}`;
    case 'temporal':
      return `${lets}${windows('cw_events', `, ${flags.map((f, i) => `cw_r${i} = ${f}`).join(', ')}`)}`
        + `| summarize ${flags.map((_, i) => `cw_h${i} = max(toint(cw_r${i}))`).join(', ')} by ${on}, cw_time\n`
        + `| extend cw_rules = ${flags.map((_, i) => `cw_h${i}`).join(' + ')}\n| where ${holds('cw_rules')}\n${first}`;
    case 'temporal_ordered': {
      // Per instant (its events' rules together), the latest start of an in-order run of steps 0..i ending there.
      const chain = [`let cw_instants = cw_events | summarize ${flags.map((f) => `${f} = max(toint(${f}))`).join(', ')} by ${on}, cw_time;`,
        `let cw_p0 = cw_instants | where cw_m0 == 1 | project ${on}, cw_time, cw_start = cw_time;`];
      for (let i = 1; i < p.steps.length; i++) {
        chain.push(`let cw_p${i} = cw_instants | where cw_m${i} == 1 | project ${on}, cw_time\n`
          + `    | join kind=inner (cw_p${i - 1} | project ${on}, cw_pt = cw_time, cw_start) on ${on}\n`
          + `    | where cw_pt <= cw_time and cw_time - cw_start <= ${span}\n`
          + `    | summarize cw_start = max(cw_start) by ${on}, cw_time;`);
      }
      return `${lets}${chain.join('\n')}\ncw_p${p.steps.length - 1}\n| summarize arg_min(cw_time, cw_start) by ${on}`;
    }
  }
}
