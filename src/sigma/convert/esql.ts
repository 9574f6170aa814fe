// Elastic ES|QL: FROM the log source's data streams, WHERE the rule. String tests
// are case-insensitive as Sigma's are (TO_LOWER on both sides of == and LIKE)
// unless `cased`; regexes go to RLIKE in Lucene's syntax (regex.ts). ES|QL has
// three-valued logic: a comparison with a missing field is null, and NOT null is
// null, so `not selection` would drop the events that lack the field. Every NOT
// therefore wraps its operand in COALESCE(…, false), which makes a missing field
// count as "does not match" exactly as crosswatch's matcher counts it.
import type { DetectionRule } from '../types.js';
import { cannot, elasticString as q, esqlName, globLiteral, lowerGlob, numberLiteral, type Glob } from './escape.js';
import { bind, detectionPred, type Bound, type ColumnRef, type Test } from './expr.js';
import { sourcesFor } from './sources.js';
import { printRegex } from './regex.js';

/** A LIKE pattern: `*` and `?` are the wildcards, a backslash makes the next character literal. */
function likePattern(g: Glob): string {
  return g.map((p) => ('lit' in p ? p.lit.replace(/[*?\\]/g, '\\$&') : 'any' in p ? '*' : '?')).join('');
}

function operand(field: string, col: ColumnRef, label: string): string {
  if (col.kind === 'expr') return cannot(`field ${field} has no column in ${label}`);
  if (col.multi) return cannot(`field ${field} holds several values in ${label}, and ES|QL compares a multi-valued field as null`);
  return col.names.length === 1 ? esqlName(col.names[0]!) : `COALESCE(${col.names.map(esqlName).join(', ')})`;
}

function atom(field: string, col: ColumnRef, test: Test, label: string, other?: ColumnRef): string {
  const x = operand(field, col, label);
  const text = col.type === 'string' ? x : `TO_STRING(${x})`;
  switch (test.t) {
    case 'str': {
      if (col.type === 'date') return cannot(`ES|QL: ${field} is a date, not text`);
      const lit = globLiteral(test.glob);
      if (test.cased) return lit !== null ? `${text} == ${q(lit)}` : `${text} LIKE ${q(likePattern(test.glob))}`;
      return lit !== null ? `TO_LOWER(${text}) == ${q(lit.toLowerCase())}` : `TO_LOWER(${text}) LIKE ${q(likePattern(lowerGlob(test.glob)))}`;
    }
    case 're':
      if (col.type === 'date') return cannot(`ES|QL: ${field} is a date, not text`);
      return `${text} RLIKE ${q(printRegex(test.tree, 'lucene', test.flags, 'search'))}`;
    case 'cidr':
      if (col.type === 'ip') return `CIDR_MATCH(${x}, ${q(test.cidr)})`;
      if (col.type === 'string') return `CIDR_MATCH(TO_IP(${x}), ${q(test.cidr)})`;
      return cannot(`ES|QL: ${field} holds no addresses`);
    case 'cmp':
      if (col.type === 'number') return `${x} ${test.op} ${numberLiteral(test.value)}`;
      if (col.type === 'string') return `TO_DOUBLE(${x}) ${test.op} ${numberLiteral(test.value)}`;
      return cannot(`ES|QL: ${field} holds no numbers`);
    case 'num':
      return col.type === 'number' ? `${x} == ${numberLiteral(test.value)}` : `${text} == ${q(numberLiteral(test.value))}`;
    case 'exists':
      return `${x} IS NOT NULL`;
    case 'ref': {
      const y = operand(test.other, other!, label);
      return test.cased ? `${x} == ${y}` : `TO_LOWER(${x}) == TO_LOWER(${y})`;
    }
  }
}

export function printEsql(b: Bound, label: string): string {
  const child = (c: Bound, parent: 'and' | 'or'): string => {
    const s = printEsql(c, label);
    return (c.k === 'and' || c.k === 'or') && c.k !== parent ? `(${s})` : s;
  };
  switch (b.k) {
    case 'and': case 'or': return b.args.map((a) => child(a, b.k as 'and' | 'or')).join(b.k === 'and' ? ' AND ' : ' OR ');
    case 'not': return `NOT COALESCE(${printEsql(b.arg, label)}, false)`;
    case 'const': return b.value ? 'true' : 'false';
    case 'raw': return `(${b.text})`;
    case 'atom': return atom(b.field, b.col, b.test, label, b.other);
  }
}

export function esqlDetection(rule: DetectionRule): string {
  const parts = sourcesFor('elastic', rule.logsource);
  const pred = detectionPred(rule);
  const conds = parts.map((src) => ({ b: bind(pred, src), src, label: src.label })).filter(({ b }) => !(b.k === 'const' && !b.value));
  if (conds.length === 0) return `FROM ${parts[0]!.from}\n| WHERE false`;
  // Only the tables the rule can match are read.
  const from = [...new Set(conds.flatMap(({ src }) => src.from.split(', ')))].join(', ');
  if (conds.some(({ b }) => b.k === 'const')) return `FROM ${from}`;
  const printed = conds.map(({ b, label }) => printEsql(b, label));
  const where = printed.length === 1 ? printed[0]! : printed.map((c) => `(${c})`).join(' OR ');
  return `FROM ${from}\n| WHERE ${where}`;
}
