// Elastic EQL: `any where` the log source's guard and the rule, and sequences for
// correlations. `:` is EQL's case-insensitive equality with `*`/`?` wildcards; it
// has no escape for a literal `*` or `?` (nor, reliably, for a backslash), so a
// value holding one goes to `regex` instead, printed from the same tree as a
// Sigma `re`. EQL filters are search queries: a missing field simply does not
// match, and `not` is the plain complement. EQL cannot compare two fields, so
// `fieldref` is refused. The query names its indices in a leading comment: EQL
// takes them from the request, not the query.
import { canonicalIp } from '../../model/ip.js';
import type { DetectionRule } from '../types.js';
import { cannot, durationText, elasticString as q, eqlName, globLiteral, numberLiteral } from './escape.js';
import { bind, detectionPred, type Bound, type ColumnRef, type Test } from './expr.js';
import { columnOf, type Source } from './fields.js';
import { sourcesFor } from './sources.js';
import type { Plan } from './plan.js';
import { globTree, printRegex } from './regex.js';

const ELASTIC_UNITS = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const;

function single(field: string, name: string, type: ColumnRef['type'], test: Test): string {
  const x = eqlName(name);
  const notText = (): never => cannot(`EQL matches text only in text fields, and ${field} is ${type === 'ip' ? 'an address' : `a ${type}`} field`);
  switch (test.t) {
    case 'str': {
      const lit = globLiteral(test.glob);
      if (type === 'ip') {
        // An address field takes an address: the literal when it is one as crosswatch writes it.
        return lit !== null && canonicalIp(lit) === lit.toLowerCase() ? `${x} == ${q(lit.toLowerCase())}` : notText();
      }
      if (type === 'number') return lit !== null && /^-?\d+(?:\.\d+)?$/.test(lit) ? `${x} == ${lit}` : notText();
      if (type !== 'string') return notText();
      const plain = test.glob.every((p) => !('lit' in p) || !/[*?\\]/.test(p.lit));
      if (lit !== null && test.cased) return `${x} == ${q(lit)}`;
      if (plain) return `${x} ${test.cased ? 'like' : ':'} ${q(test.glob.map((p) => ('lit' in p ? p.lit : 'any' in p ? '*' : '?')).join(''))}`;
      return `${x} regex ${q(printRegex(globTree(test.glob), 'lucene', { i: !test.cased, m: false, s: true }, 'whole'))}`;
    }
    case 're':
      return type === 'string' ? `${x} regex ${q(printRegex(test.tree, 'lucene', test.flags, 'search'))}` : notText();
    case 'cidr':
      return type === 'ip' ? `cidrMatch(${x}, ${q(test.cidr)})` : cannot(`EQL: cidrMatch needs an address field, and ${field} is not one`);
    case 'cmp':
      return type === 'number' ? `${x} ${test.op} ${numberLiteral(test.value)}` : cannot(`EQL compares numbers only in numeric fields, and ${field} is not one`);
    case 'num':
      if (type === 'number') return `${x} == ${numberLiteral(test.value)}`;
      return type === 'string' ? `${x} == ${q(numberLiteral(test.value))}` : notText();
    case 'exists':
      return `${x} != null`;
    case 'ref':
      return cannot('EQL cannot compare a field with another field (fieldref)');
  }
}

function atom(field: string, col: ColumnRef, test: Test, label: string): string {
  if (col.kind === 'expr') return cannot(`field ${field} has no column in ${label}`);
  const names = col.names;
  if (names.length === 1) return single(field, names[0]!, col.type, test);
  if (test.t === 'exists') return `(${names.map((n) => `${eqlName(n)} != null`).join(' or ')})`;
  // The first non-empty of several fields: each tested where all before it are missing.
  return `(${names.map((n, i) => {
    const before = names.slice(0, i).map((p) => `${eqlName(p)} == null`);
    return `(${[...before, `${eqlName(n)} != null`, single(field, n, col.type, test)].join(' and ')})`;
  }).join(' or ')})`;
}

export function printEql(b: Bound, label: string): string {
  const child = (c: Bound, parent: 'and' | 'or'): string => {
    const s = printEql(c, label);
    return (c.k === 'and' || c.k === 'or') && c.k !== parent ? `(${s})` : s;
  };
  switch (b.k) {
    case 'and': case 'or': return b.args.map((a) => child(a, b.k as 'and' | 'or')).join(` ${b.k} `);
    case 'not': return `not (${printEql(b.arg, label)})`;
    case 'const': return b.value ? 'true' : 'false';
    case 'raw': return `(${b.text})`;
    case 'atom': return atom(b.field, b.col, b.test, label);
  }
}

/** A detection rule over all its tables, as one EQL condition. */
function condition(rule: DetectionRule): { srcs: Source[]; text: string } {
  const srcs = sourcesFor('elastic', rule.logsource);
  const pred = detectionPred(rule);
  const bound = srcs.map((src) => ({ b: bind(pred, src), src })).filter(({ b }) => !(b.k === 'const' && !b.value));
  const live = bound.length > 0 ? bound.map(({ src }) => src) : srcs.slice(0, 1);
  if (bound.some(({ b }) => b.k === 'const')) return { srcs: live, text: 'true' };
  const printed = bound.map(({ b, src }) => printEql(b, src.label));
  return { srcs: live, text: printed.length === 0 ? 'false' : printed.length === 1 ? printed[0]! : printed.map((c) => `(${c})`).join(' or ') };
}

const indexComment = (srcs: Source[]): string => `// index: ${[...new Set(srcs.flatMap((s) => s.from.split(', ')))].join(', ')}\n`;

export function eqlDetection(rule: DetectionRule): string {
  const { srcs, text } = condition(rule);
  return `${indexComment(srcs)}any where ${text}`;
}

/** The join keys of a step: each group-by field one plain field, the same in all the rule's tables. */
function keys(step: Plan['steps'][number], srcs: Source[]): string[] {
  const lists = srcs.map((src) => step.group.map((g) => {
    const col = columnOf(src, g);
    if (col.kind !== 'field' || col.names.length !== 1) return cannot(`EQL joins on one field, and ${g} is not one field in ${src.label}`);
    return eqlName(col.names[0]!);
  }));
  if (lists.some((l) => l.join() !== lists[0]!.join())) return cannot(`EQL joins a rule's events on one field, and ${step.ref}'s tables keep the group-by in different fields`);
  return lists[0]!;
}

export function eqlCorrelation(p: Plan): string {
  const steps = p.steps.map((s) => ({ ...condition(s.rule), step: s }));
  const keyLists = steps.map((s) => keys(s.step, s.srcs));
  const shared = keyLists.every((k) => k.join() === keyLists[0]!.join());
  const span = durationText(p.windowMs, ELASTIC_UNITS);
  const head = (by: string[]): string => `sequence${by.length > 0 ? ` by ${by.join(', ')}` : ''} with maxspan=${span}`;
  const comment = indexComment(steps.flatMap((s) => s.srcs));
  if (p.type === 'temporal_ordered') {
    const terms = steps.map((s, i) => `  [any where ${s.text}]${shared || keyLists[i]!.length === 0 ? '' : ` by ${keyLists[i]!.join(', ')}`}`);
    return `${comment}${head(shared ? keyLists[0]! : [])}\n${terms.join('\n')}`;
  }
  if (p.type !== 'event_count') return cannot('unreachable: EQL converts event_count and temporal_ordered only');
  // N events within the span: a sequence of N terms that each match any of the rules.
  if (p.hi !== Infinity) return cannot('an EQL sequence says "at least N events"; an upper bound (lt, lte, eq) has no EQL form');
  if (!shared) return cannot('EQL event_count needs every rule grouped by the same fields');
  if (p.lo > 100) return cannot(`EQL event_count writes one sequence term per event, and ${p.lo} is more than the 100 it takes`);
  const any = steps.length === 1 ? steps[0]!.text : steps.map((s) => `(${s.text})`).join(' or ');
  if (p.lo === 1) return `${comment}any where (${any})${keyLists[0]!.map((k) => ` and ${k} != null`).join('')}`;
  return `${comment}${head(keyLists[0]!)}\n${Array.from({ length: p.lo }, () => `  [any where ${any}]`).join('\n')}`;
}
