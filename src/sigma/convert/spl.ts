// Splunk SPL. Detection: the log source's search terms, then `where` the rule in
// eval syntax, where every test is written out (no reliance on search-time
// wildcards: SPL's search has no `?` wildcard and no escape for a literal `*`).
// Case-insensitive equality is lower(x)=="value"; patterns, values with control
// characters and `re` use match() (PCRE, printed by regex.ts); cidrmatch() for
// `cidr`. Eval is three-valued (a missing field makes a comparison null, NOT null
// is null), so each test first asks isnotnull(): false, not null, when the field
// is missing, and `NOT` is the complement crosswatch uses.
// Correlations: one row per matching event with a 0/1 flag per rule, sorted by
// time, evaluated as crosswatch's engine does at each instant a group has events
// (the instant's last row, which has seen them all), over [t - span, t] with both
// ends checked here: event_count by the time of the Nth latest event (streamstats
// window=N), temporal by the latest time each rule was seen, temporal_ordered per
// instant by the latest start of an in-order run; value_count counts distinct
// values over streamstats time_window, lower bounds only.
import type { DetectionRule } from '../types.js';
import { cannot, globLiteral, hasControl, numberLiteral, splName, splString as q } from './escape.js';
import { bind, detectionPred, type Bound, type ColumnRef, type Test } from './expr.js';
import { columnOf, type Column, type Source } from './fields.js';
import { sourcesFor } from './sources.js';
import type { Plan } from './plan.js';
import { globTree, printRegex } from './regex.js';

/** Splunk's default limits.conf max_stream_window: the most events a streamstats window holds. */
const MAX_STREAM_WINDOW = 10_000;

function operand(col: ColumnRef): string {
  if (col.kind === 'expr') return col.expr;
  return col.names.length === 1 ? splName(col.names[0]!) : `coalesce(${col.names.map(splName).join(', ')})`;
}

function atom(col: ColumnRef, test: Test, other?: ColumnRef): string {
  const x = operand(col);
  const guarded = (s: string): string => `(isnotnull(${x}) AND ${s})`;
  switch (test.t) {
    case 'str': {
      const lit = globLiteral(test.glob);
      if (lit !== null && col.type === 'number' && /^-?\d+(?:\.\d+)?$/.test(lit)) return guarded(`tonumber(${x})==${lit}`);
      if (lit !== null && !hasControl(lit)) return guarded(test.cased ? `${x}==${q(lit)}` : `lower(${x})==${q(lit.toLowerCase())}`);
      return guarded(`match(${x}, ${q(printRegex(globTree(test.glob), 'pcre', { i: !test.cased, m: false, s: true }, 'whole'))})`);
    }
    case 're':
      return guarded(`match(${x}, ${q(printRegex(test.tree, 'pcre', test.flags, 'search'))})`);
    case 'cidr':
      return guarded(`cidrmatch(${q(test.cidr)}, ${x})`);
    case 'cmp':
      return `(isnotnull(tonumber(${x})) AND tonumber(${x})${test.op}${numberLiteral(test.value)})`;
    case 'num':
      return col.type === 'number' ? `(isnotnull(tonumber(${x})) AND tonumber(${x})==${numberLiteral(test.value)})` : guarded(`${x}==${q(numberLiteral(test.value))}`);
    case 'exists':
      return `isnotnull(${x})`;
    case 'ref': {
      const y = operand(other!);
      return `(isnotnull(${x}) AND isnotnull(${y}) AND ${test.cased ? `${x}==${y}` : `lower(${x})==lower(${y})`})`;
    }
  }
}

export function printSpl(b: Bound): string {
  const child = (c: Bound, parent: 'and' | 'or'): string => {
    const s = printSpl(c);
    return (c.k === 'and' || c.k === 'or') && c.k !== parent ? `(${s})` : s;
  };
  switch (b.k) {
    case 'and': case 'or': return b.args.map((a) => child(a, b.k as 'and' | 'or')).join(b.k === 'and' ? ' AND ' : ' OR ');
    case 'not': return `NOT (${printSpl(b.arg)})`;
    case 'const': return b.value ? 'true()' : 'false()';
    case 'raw': return `(${b.text})`;
    case 'atom': return atom(b.col, b.test, b.other);
  }
}

/** The rule over one table: its guard and the bound rule; '' when it matches every row, null when none. */
function condition(rule: DetectionRule, src: Source): string | null {
  const b = bind(detectionPred(rule), src);
  if (b.k === 'const' && !b.value) return null;
  const parts = [...(src.guard ? [src.guard] : []), ...(b.k === 'const' ? [] : [b.k === 'or' ? `(${printSpl(b)})` : printSpl(b)])];
  return parts.join(' AND ');
}

export function splDetection(rule: DetectionRule): string {
  const parts = sourcesFor('splunk', rule.logsource).map((src) => ({ src, cond: condition(rule, src) }));
  const live = parts.filter((p) => p.cond !== null);
  if (live.length === 0) return `${parts[0]!.src.from}\n| where false()`;
  if (live.length === 1) return live[0]!.cond === '' ? live[0]!.src.from : `${live[0]!.src.from}\n| where ${live[0]!.cond}`;
  const search = [...new Set(live.map((p) => p.src.from))].map((f) => `(${f})`).join(' OR ');
  return `${search}\n| where ${live.map((p) => `(${p.src.is}${p.cond ? ` AND ${p.cond}` : ''})`).join(' OR ')}`;
}

function valueExpr(col: Column, field: string, label: string): string {
  if (col.kind === 'const') return col.values.length > 0 ? q(col.values[0]!) : cannot(`SPL: crosswatch has no ${field} for the rows of ${label}`);
  if (col.kind === 'enum') return cannot(`SPL: ${field} is no field of ${label} to group or count by`);
  return operand(col);
}

export function splCorrelation(p: Plan): string {
  const entries = p.steps.flatMap((s, i) => sourcesFor('splunk', s.rule.logsource).map((src) => ({ i, s, src, cond: condition(s.rule, src) })))
    .filter((e) => e.cond !== null);
  if (entries.length === 0) return cannot('none of the rules can match any event');
  const byTable = new Map<string, typeof entries>();
  for (const e of entries) byTable.set(e.src.key, [...(byTable.get(e.src.key) ?? []), e]);
  const nKeys = Math.max(1, p.steps[0]!.group.length);
  const keyCases: string[][] = Array.from({ length: nKeys }, () => []);
  const valueCases: string[] = [];
  for (const group of byTable.values()) {
    const src = group[0]!.src;
    const one = (fl: string): string => valueExpr(columnOf(src, fl), fl, src.label);
    const gk = group.map(({ s }) => (s.group.length === 0 ? ['"*"'] : s.group.map(one)));
    const vk = group.map(({ s }) => (s.value !== undefined ? one(s.value) : ''));
    if (gk.some((g) => g.join() !== gk[0]!.join()) || vk.some((v) => v !== vk[0])) {
      return cannot(`rules on ${src.label} group or count by different fields; this conversion keeps one row per event`);
    }
    gk[0]!.forEach((g, j) => keyCases[j]!.push(`${src.is}, ${g}`));
    if (vk[0]) valueCases.push(`${src.is}, ${vk[0]}`);
  }
  const flags = p.steps.map((_, i) => {
    const mine = entries.filter((e) => e.i === i).map((e) => `${e.src.is}${e.cond ? ` AND ${e.cond}` : ''}`);
    return `cw_m${i}=if(${mine.length === 0 ? 'false()' : mine.length === 1 ? mine[0] : mine.map((m) => `(${m})`).join(' OR ')}, 1, 0)`;
  });
  const secs = p.windowMs / 1000;
  const keys = keyCases.map((_, j) => `cw_g${j}`).join(' ');
  const searches = [...new Set(entries.map((e) => e.src.from))];
  const head = [
    searches.length === 1 ? searches[0]! : searches.map((s2) => `(${s2})`).join(' OR '),
    `| eval ${flags.join(', ')}`,
    `| where ${p.steps.map((_, i) => `cw_m${i}=1`).join(' OR ')}`,
    `| eval ${keyCases.map((c, j) => `cw_g${j}=case(${c.join(', ')})`).join(', ')}${valueCases.length > 0 ? `, cw_v=case(${valueCases.join(', ')})` : ''}`,
    `| where ${keyCases.map((_, j) => `isnotnull(cw_g${j})`).join(' AND ')}`,
  ];
  const steps = p.steps;
  const first = `| stats min(_time) as cw_first by ${keys}`;
  // The engine evaluates an instant once with all its events: the last row of each instant stands for it.
  const sortedInstants = [`| eventstats count as cw_k by ${keys} _time`, '| sort 0 _time', `| streamstats count as cw_j by ${keys} _time`];
  const wide = `time_window=${secs + 1}s`; // wider than the span; the span itself is checked exactly below
  const cap = (n: number): void => {
    if (n > MAX_STREAM_WINDOW) cannot(`SPL counts events over the last N of a group with streamstats, and ${n} is more than max_stream_window (${MAX_STREAM_WINDOW})`);
  };
  switch (p.type) {
    case 'event_count': {
      // At least N events in [t - span, t]: the Nth latest event is inside the span; at most M: the (M+1)th latest is not.
      const tests = [];
      const stats = [];
      if (p.lo > 1) {
        cap(p.lo);
        stats.push(`| streamstats window=${p.lo} global=false count as cw_n min(_time) as cw_nth by ${keys}`);
        tests.push(`cw_n>=${p.lo} AND _time-cw_nth<=${secs}`);
      }
      if (p.hi !== Infinity) {
        cap(p.hi + 1);
        stats.push(`| streamstats window=${p.hi + 1} global=false count as cw_n2 min(_time) as cw_nth2 by ${keys}`);
        tests.push(`NOT (cw_n2>=${p.hi + 1} AND _time-cw_nth2<=${secs})`);
      }
      return [...head, ...sortedInstants, ...stats, `| where cw_j=cw_k${tests.map((t) => ` AND ${t}`).join('')}`, first].join('\n');
    }
    case 'value_count':
      if (p.hi !== Infinity) return cannot('SPL counts distinct values only over streamstats time_window, whose edge Splunk leaves undocumented: an upper bound could count a value one timespan old that crosswatch does not');
      return [...head, '| where isnotnull(cw_v)', '| sort 0 _time',
        `| streamstats time_window=${secs}s dc(cw_v) as cw_n by ${keys}`,
        `| where cw_n>=${p.lo}`, first].join('\n');
    case 'temporal': {
      const n = steps.map((_, i) => `if(_time-cw_l${i}<=${secs}, 1, 0)`).join('+');
      return [...head, ...sortedInstants,
        `| eval ${steps.map((_, i) => `cw_t${i}=if(cw_m${i}=1, _time, null())`).join(', ')}`,
        `| streamstats ${wide} ${steps.map((_, i) => `max(cw_t${i}) as cw_l${i}`).join(' ')} by ${keys}`,
        `| eval cw_n=${n}`,
        `| where cw_j=cw_k AND cw_n>=${p.lo}${p.hi !== Infinity ? ` AND cw_n<=${p.hi}` : ''}`, first].join('\n');
    }
    case 'temporal_ordered': {
      // One row per instant with its events' rules together; then, step by step, the latest start of an in-order run.
      const chain = [`| stats ${steps.map((_, i) => `max(cw_m${i}) as cw_m${i}`).join(' ')} by ${keys} _time`, '| sort 0 _time',
        '| eval cw_s0=if(cw_m0=1, _time, null())'];
      for (let i = 1; i < steps.length; i++) {
        chain.push(`| streamstats ${wide} max(cw_s${i - 1}) as cw_p${i - 1} by ${keys}`);
        chain.push(`| eval cw_s${i}=if(cw_m${i}=1, cw_p${i - 1}, null())`);
      }
      const last = `cw_s${steps.length - 1}`;
      return [...head, ...chain, `| where isnotnull(${last}) AND _time-${last}<=${secs}`,
        `| stats first(_time) as cw_first first(${last}) as cw_start by ${keys}`].join('\n');
    }
  }
}
