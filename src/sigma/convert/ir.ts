// The converter's neutral form of a rule's test: a boolean expression over ECS
// field names (Pred), each leaf a field and a Test. expr.ts builds it from a rule
// and binds it to a target's columns; the field tables (fields-*.ts) use the same
// form for what they must say about a log source (which Elastic documents are
// network alerts, how crosswatch derives event.outcome), so every target prints
// those with its own syntax and null rules, like any rule.
import type { Glob } from './escape.js';
import type { RegexFlags, RNode } from './regex.js';

export type Test =
  /** The whole value matches a glob (an exact value when it has no wildcard). */
  | { t: 'str'; glob: Glob; cased: boolean }
  /** Sigma `re`: the expression occurs in the value. */
  | { t: 're'; tree: RNode; source: string; flags: RegexFlags }
  | { t: 'cidr'; cidr: string; v6: boolean }
  | { t: 'cmp'; op: '<' | '<=' | '>' | '>='; value: number }
  | { t: 'num'; value: number }
  | { t: 'exists' }
  /** `fieldref`: equal to another field of the same event. */
  | { t: 'ref'; other: string; cased: boolean };

export type Pred =
  | { k: 'and' | 'or'; args: Pred[] }
  | { k: 'not'; arg: Pred }
  | { k: 'const'; value: boolean }
  | { k: 'atom'; field: string; test: Test };

export const allOf = (...args: Pred[]): Pred => ({ k: 'and', args });
export const anyOf = (...args: Pred[]): Pred => ({ k: 'or', args });
export const negate = (arg: Pred): Pred => ({ k: 'not', arg });
export const present = (field: string): Pred => ({ k: 'atom', field, test: { t: 'exists' } });

/** The field equals one of the values, case-insensitively (as crosswatch lower-cases what it compares). */
export function isOneOf(field: string, ...values: string[]): Pred {
  return anyOf(...values.map((v): Pred => ({ k: 'atom', field, test: { t: 'str', glob: [{ lit: v }], cased: false } })));
}

/** The field starts with one of the prefixes, case-insensitively. */
export function startsWithOneOf(field: string, ...prefixes: string[]): Pred {
  return anyOf(...prefixes.map((p): Pred => ({ k: 'atom', field, test: { t: 'str', glob: [{ lit: p }, { any: true }], cased: false } })));
}
