// The small shared parts of the correlation evaluator: the numbers a window
// needs, an open episode, and how an event's fields become group values.
import { createHash } from 'node:crypto';

/** value_count values: one, several, or none. */
export type Vals = string | string[] | null;

/** The values of one event met twice (or matching two rules): both's, once each. */
export function mergeVals(a: Vals, b: Vals): Vals {
  if (b === null) return a;
  if (a === null) return b;
  return [...new Set([a, b].flat())];
}

/** An episode still taking matches (correlate.ts folds them). */
export interface OpenEpisode {
  id: string;
  startMs: number;
  startNs: number;
  lastMs: number;
  lastNs: number;
  matches: number;
  /** The contributing events' refs, in time order, capped; `more` counts the rest. */
  refs: string[];
  more: number;
}

export const EVENT_COUNT = 0;
export const VALUE_COUNT = 1;
export const TEMPORAL = 2;
export const TEMPORAL_ORDERED = 3;

/** What the evaluator needs of a correlation, as numbers. */
export interface WindowSpec {
  kind: number;
  windowMs: number;
  /** Number of referenced rules. */
  slots: number;
  /** The count condition: lo <= count <= hi and count !== neq. */
  lo: number;
  hi: number;
  neq: number;
}


/** The most groups one event joins through multi-valued group-by fields. */
const MAX_COMBINATIONS = 16;

/** One group-by value: the value itself; several: their JSON (no separator to collide with). */
export function groupText(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : JSON.stringify(values);
}

export function episodeId(ruleId: string, group: string, ms: number, ns: number): string {
  return createHash('sha256').update(`${ruleId}\u0000${group}\u0000${ms}.${ns}`).digest('hex').slice(0, 32);
}

function scalar(v: unknown): string | null {
  switch (typeof v) {
    case 'string': return v;
    case 'number': return Number.isFinite(v) ? String(v) : null;
    case 'boolean': case 'bigint': return String(v);
    default: return null;
  }
}

/** A field's values: a scalar, or each scalar of a list; null when it has none. */
export function valuesOf(v: unknown): string[] | null {
  if (!Array.isArray(v)) {
    const s = scalar(v);
    return s === null ? null : [s];
  }
  const out: string[] = [];
  for (const item of v) {
    const s = scalar(item);
    if (s !== null && !out.includes(s)) out.push(s);
  }
  return out.length > 0 ? out : null;
}

/** The group(s) an event belongs to: one per combination of its group-by values (multi-valued fields: each). */
export function groupValues(ev: { get(field: string): unknown }, fields: readonly string[], first: unknown): string[][] | null {
  let combos: string[][] = [[]];
  for (let i = 0; i < fields.length; i++) {
    const vs = valuesOf(i === 0 && fields.length === 1 ? first : ev.get(fields[i]!));
    if (vs === null) return null;
    const next: string[][] = [];
    for (const c of combos) for (const v of vs) if (next.length < MAX_COMBINATIONS) next.push([...c, v]);
    combos = next;
  }
  return combos;
}
