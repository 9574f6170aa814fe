// Limits on one JSON record (issue #15): no real log record is nested more than a
// dozen levels, holds a megabyte in one string or has thousands of keys in one
// object, and a record that does can cost everyone else time and memory, or blow
// the stack of whatever walks it recursively (JSON.stringify). Such a record is
// rejected alone, with its reason; the rest of its file or body is read.

export const JSON_LIMITS = {
  /** Objects and arrays inside each other, the record itself being level 1. */
  depth: 64,
  /** Characters in one string value or key. */
  stringChars: 1 << 20,
  /** Keys of one object. */
  keysPerObject: 10_000,
} as const;

export type JsonLimits = { readonly depth: number; readonly stringChars: number; readonly keysPerObject: number };

const n = (x: number): string => x.toLocaleString('en-US');

/**
 * Why a parsed record is over a limit, or null when it is not. Walks the value with
 * its own stack (never recursion, which the record's own depth would control) and
 * stops at the first problem.
 */
export function jsonLimitProblem(value: unknown, limits: JsonLimits = JSON_LIMITS): string | null {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop();
    const d = depths.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.stringChars) return `a string of ${n(v.length)} characters (at most ${n(limits.stringChars)})`;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (d > limits.depth) return `nested deeper than ${limits.depth} levels`;
    if (Array.isArray(v)) {
      for (const x of v) {
        values.push(x);
        depths.push(d + 1);
      }
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > limits.keysPerObject) return `an object with ${n(keys.length)} keys (at most ${n(limits.keysPerObject)})`;
    for (const k of keys) {
      if (k.length > limits.stringChars) return `a key of ${n(k.length)} characters (at most ${n(limits.stringChars)})`;
      values.push((v as Record<string, unknown>)[k]);
      depths.push(d + 1);
    }
  }
  return null;
}

/**
 * True when a record whose JSON text this is cannot be over the limits, whatever
 * it holds: too short for a string of stringChars or for keysPerObject keys (each
 * takes at least 5 characters, `"":0,`), and with no more opening brackets than
 * depth (each level needs one; those inside strings are counted too, so this
 * can only say "maybe" wrongly, never "no"). Counting brackets is a few native
 * searches; walking a parsed 2 KB sign-in was ~3 µs, for every record parsed.
 */
export function surelyWithinLimits(text: string, limits: JsonLimits = JSON_LIMITS): boolean {
  if (text.length >= limits.stringChars || text.length >= limits.keysPerObject * 5) return false;
  let open = 0;
  for (const bracket of ['{', '[']) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1)) {
      if (++open > limits.depth) return false;
    }
  }
  return true;
}
