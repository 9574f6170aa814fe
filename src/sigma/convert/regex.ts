// Sigma regular expressions (`|re`, JavaScript/PCRE syntax, searched for in the
// value as crosswatch's matcher does; a leading (?i) is taken as flags by expr.ts) re-written for three engines: Lucene's
// (ES|QL RLIKE, EQL regex: no anchors, the pattern must cover the whole value, no
// flags), RE2 (KQL `matches regex`) and PCRE (SPL `match`). The rule's text is
// parsed into a small tree and each engine's text is printed from the tree, so
// only a known subset gets through: back-references, look-arounds, inline flags,
// possessive quantifiers, Unicode properties and POSIX classes are refused rather
// than passed on to mean something else. Printed so that each engine agrees with
// JavaScript: `.` never crosses \n or \r (without `s`), `\d \w \s` are spelled
// out as JavaScript defines them, a non-multiline `$` is the end of the value.
// Where the engines still differ (line terminators U+2028/U+2029 for `.` and `$`,
// non-ASCII case folding in PCRE, which also needs UTF mode for a non-ASCII class
// written \x{...}: an error elsewhere, never a wrong match), the difference is
// named here, not hidden.
import { cannot, type Glob } from './escape.js';

type Range = readonly [number, number];
interface CharSet { neg: boolean; ranges: Range[] }

export type RNode =
  | { t: 'alt'; alts: RNode[] }
  | { t: 'seq'; items: RNode[] }
  | { t: 'char'; cp: number }
  | { t: 'set'; set: CharSet }
  /** `.`; `all` when it also crosses line breaks (a glob's `*` and `?`). */
  | { t: 'dot'; all: boolean }
  | { t: 'group'; body: RNode }
  | { t: 'rep'; body: RNode; min: number; max: number | null }
  | { t: 'bol' }
  | { t: 'eol' }
  | { t: 'wordb'; neg: boolean };

export type Flavor = 'lucene' | 're2' | 'pcre';
export interface RegexFlags { i: boolean; m: boolean; s: boolean }

const MAX_REPEAT = 1000;
const DIGIT: Range[] = [[0x30, 0x39]];
const WORD: Range[] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
// JavaScript's \s: WhiteSpace and LineTerminator.
const SPACE: Range[] = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
const SHORTHANDS: Record<string, CharSet> = {
  d: { neg: false, ranges: DIGIT }, D: { neg: true, ranges: DIGIT },
  w: { neg: false, ranges: WORD }, W: { neg: true, ranges: WORD },
  s: { neg: false, ranges: SPACE }, S: { neg: true, ranges: SPACE },
};
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };

/** Parses a Sigma regex; refuses what is outside the subset every engine can be told exactly. */
export function parseRegex(src: string): RNode {
  const cps = [...src];
  let pos = 0;
  const peek = (o = 0): string | undefined => cps[pos + o];
  const fail = (what: string): never => cannot(`regular expression ${JSON.stringify(src)}: ${what} is not supported`);

  function escape(inClass: boolean): RNode {
    const c = cps[pos++];
    if (c === undefined) return fail('a trailing backslash');
    if (c in SHORTHANDS) return { t: 'set', set: SHORTHANDS[c]! };
    if (c in CONTROL_ESCAPES && !(c === '0' && /[0-9]/.test(peek() ?? ''))) return { t: 'char', cp: CONTROL_ESCAPES[c]! };
    if (c === 'b' && inClass) return { t: 'char', cp: 8 };
    if ((c === 'b' || c === 'B') && !inClass) return { t: 'wordb', neg: c === 'B' };
    if (c === 'x' || c === 'u') {
      const n = c === 'x' ? 2 : 4;
      const hex = cps.slice(pos, pos + n).join('');
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) return fail(`\\${c} without ${n} hex digits`);
      pos += n;
      return { t: 'char', cp: parseInt(hex, 16) };
    }
    if (/[A-Za-z0-9]/.test(c)) return fail(`the escape \\${c}`);
    return { t: 'char', cp: c.codePointAt(0)! };
  }

  function classItem(): RNode {
    const c = cps[pos++]!;
    if (c === '\\') return escape(true);
    if (c === '[' && peek() === ':') return fail('a POSIX class');
    return { t: 'char', cp: c.codePointAt(0)! };
  }

  function charClass(): RNode {
    const neg = peek() === '^';
    if (neg) pos++;
    if (peek() === ']') return fail('an empty or ]-first class');
    const ranges: Range[] = [];
    while (peek() !== ']') {
      if (peek() === undefined) return fail('an unclosed [');
      const a = classItem();
      if (a.t === 'set') {
        if (a.set.neg) return fail('a negated shorthand inside a class');
        ranges.push(...a.set.ranges);
        continue;
      }
      const lo = (a as { cp: number }).cp;
      if (peek() === '-' && peek(1) !== ']' && peek(1) !== undefined) {
        pos++;
        const b = classItem();
        if (b.t !== 'char') return fail('a shorthand as a range end');
        if (b.cp < lo) return fail('a reversed range');
        ranges.push([lo, b.cp]);
      } else {
        ranges.push([lo, lo]);
      }
    }
    pos++;
    return { t: 'set', set: { neg, ranges } };
  }

  function quantifier(): { min: number; max: number | null } | null {
    const c = peek();
    if (c === '*') return pos++, { min: 0, max: null };
    if (c === '+') return pos++, { min: 1, max: null };
    if (c === '?') return pos++, { min: 0, max: 1 };
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(cps.slice(pos, pos + 24).join(''));
      if (!m) return null; // a literal brace, as JavaScript reads it
      pos += [...m[0]].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? null : Number(m[3]);
      if (min > MAX_REPEAT || (max !== null && (max > MAX_REPEAT || max < min))) return fail(`the repeat ${m[0]}`);
      return { min, max };
    }
    return null;
  }

  function atom(): RNode {
    const c = cps[pos++]!;
    switch (c) {
      case '(': {
        if (peek() === '?') {
          const head = cps.slice(pos, pos + 3).join('');
          if (head.startsWith('?:')) pos += 2;
          else if (/^\?P?</.test(head) && !/^\?<[=!]/.test(head)) {
            const close = cps.indexOf('>', pos);
            if (close < 0) return fail('an unclosed group name');
            pos = close + 1;
          } else return fail('a look-around or inline flag group');
        }
        const body = alternation();
        if (cps[pos++] !== ')') return fail('an unclosed (');
        return { t: 'group', body };
      }
      case '[': return charClass();
      case '.': return { t: 'dot', all: false };
      case '^': return { t: 'bol' };
      case '$': return { t: 'eol' };
      case '\\': return escape(false);
      case ')': return fail('an unmatched )');
      case '*': case '+': case '?': return fail('a quantifier with nothing to repeat');
      default: return { t: 'char', cp: c.codePointAt(0)! };
    }
  }

  function sequence(): RNode {
    const items: RNode[] = [];
    while (pos < cps.length && peek() !== '|' && peek() !== ')') {
      const a = atom();
      const q = quantifier();
      if (q === null) {
        items.push(a);
        continue;
      }
      if (a.t === 'bol' || a.t === 'eol' || a.t === 'wordb') return fail('a repeated anchor');
      if (peek() === '+') return fail('a possessive quantifier');
      if (peek() === '?') pos++; // lazy or greedy: the same values match
      items.push({ t: 'rep', body: a, min: q.min, max: q.max });
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  function alternation(): RNode {
    const alts = [sequence()];
    while (peek() === '|') {
      pos++;
      alts.push(sequence());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  const tree = alternation();
  if (pos < cps.length) fail('an unmatched )');
  return tree;
}

/** A glob as a regex tree: literal characters, `*` as any run, `?` as one character (line breaks included). */
export function globTree(g: Glob): RNode {
  const items: RNode[] = [];
  for (const p of g) {
    if ('lit' in p) for (const ch of p.lit) items.push({ t: 'char', cp: ch.codePointAt(0)! });
    else if ('any' in p) items.push({ t: 'rep', body: { t: 'dot', all: true }, min: 0, max: null });
    else items.push({ t: 'dot', all: true });
  }
  return { t: 'seq', items };
}

// --- printing -------------------------------------------------------------------------

const isAsciiAlnum = (cp: number): boolean => (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);

function literal(cp: number, flavor: Flavor, inClass = false): string {
  // PCRE reads a class byte by byte unless it runs in UTF mode: \x{...} is exact there and an error elsewhere, never a wrong match.
  if (cp > 0x7f && inClass && flavor === 'pcre') return `\\x{${cp.toString(16)}}`;
  if (isAsciiAlnum(cp) || cp === 0x20 || cp > 0x7f) return String.fromCodePoint(cp);
  if (cp < 0x20 || cp === 0x7f) {
    // Lucene has no escape for them: the character itself (the string literal escapes \n \r \t).
    return flavor === 'lucene' ? String.fromCodePoint(cp) : `\\x{${cp.toString(16).padStart(2, '0')}}`;
  }
  return `\\${String.fromCodePoint(cp)}`;
}

/** Adds each character's other case (JavaScript's non-Unicode `i`); big non-ASCII ranges are refused. */
function caseClosed(ranges: readonly Range[]): Range[] {
  const cps = new Set<number>();
  const out: Range[] = [...ranges];
  for (const [lo, hi] of ranges) {
    if (hi - lo > 0x3000) cannot('a case-insensitive regular expression with a class this wide is not supported for this target');
    for (let c = lo; c <= hi; c++) {
      const ch = String.fromCodePoint(c);
      for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
        const vc = v.codePointAt(0)!;
        if ([...v].length === 1 && vc !== c && !(c >= 128 && vc < 128)) cps.add(vc);
      }
    }
  }
  for (const c of cps) out.push([c, c]);
  return normalize(out);
}

function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

interface Ctx { flavor: Flavor; flags: RegexFlags; fold: boolean }

function printSet(set: CharSet, ctx: Ctx): string {
  const ranges = ctx.fold ? caseClosed(set.ranges) : normalize(set.ranges);
  const lit = (cp: number): string => literal(cp, ctx.flavor, true);
  const body = ranges.map(([lo, hi]) => (lo === hi ? lit(lo) : `${lit(lo)}-${lit(hi)}`)).join('');
  return `[${set.neg ? '^' : ''}${body}]`;
}

function print(n: RNode, ctx: Ctx): string {
  switch (n.t) {
    case 'alt': return n.alts.map((a) => print(a, ctx)).join('|');
    case 'seq': return n.items.map((a) => print(a, ctx)).join('');
    case 'char': {
      if (ctx.fold) {
        const set = caseClosed([[n.cp, n.cp]]);
        if (set.length > 1 || set[0]![0] !== set[0]![1]) return printSet({ neg: false, ranges: set }, { ...ctx, fold: false });
      }
      return literal(n.cp, ctx.flavor);
    }
    case 'set': return printSet(n.set, ctx);
    case 'dot':
      // RE2 and PCRE get the `s` flag for the whole expression when any dot crosses line breaks.
      if (n.all || ctx.flags.s) return '.';
      return ctx.flavor === 'lucene' ? '[^\n\r]' : '[^\\n\\r]';
    case 'group': return `(${ctx.flavor === 'lucene' ? '' : '?:'}${print(n.body, ctx)})`;
    case 'rep': {
      const body = n.body.t === 'char' || n.body.t === 'set' || n.body.t === 'dot' || n.body.t === 'group'
        ? print(n.body, ctx) : `(${ctx.flavor === 'lucene' ? '' : '?:'}${print(n.body, ctx)})`;
      const q = n.max === null ? (n.min === 0 ? '*' : n.min === 1 ? '+' : `{${n.min},}`)
        : n.min === 0 && n.max === 1 ? '?' : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
      return body + q;
    }
    case 'bol':
      if (ctx.flavor === 'lucene') return cannot('an anchor inside a regular expression is not supported for Elastic targets');
      return '^';
    case 'eol':
      if (ctx.flavor === 'lucene') return cannot('an anchor inside a regular expression is not supported for Elastic targets');
      return ctx.flavor === 'pcre' && !ctx.flags.m ? '\\z' : '$';
    case 'wordb':
      if (ctx.flavor === 'lucene') return cannot('\\b is not supported in Lucene regular expressions');
      return n.neg ? '\\B' : '\\b';
  }
}

function hasDotAll(n: RNode): boolean {
  switch (n.t) {
    case 'dot': return n.all;
    case 'alt': return n.alts.some(hasDotAll);
    case 'seq': return n.items.some(hasDotAll);
    case 'group': case 'rep': return hasDotAll(n.body);
    default: return false;
  }
}

/**
 * The engine's text for a tree. `search`: true when it occurs anywhere in the
 * value (Sigma's `re`); `whole`: the whole value (a glob).
 */
export function printRegex(tree: RNode, flavor: Flavor, flags: RegexFlags, mode: 'search' | 'whole'): string {
  if (flavor !== 'lucene') {
    const dotAll = flags.s || hasDotAll(tree);
    const fl = `${flags.i ? 'i' : ''}${flags.m ? 'm' : ''}${dotAll ? 's' : ''}`;
    const body = print(tree, { flavor, flags, fold: false });
    const whole = tree.t === 'alt' ? `(?:${body})` : body;
    const text = mode === 'whole' ? `^${whole}${flavor === 'pcre' ? '\\z' : '$'}` : body;
    return fl ? `(?${fl})${text}` : text;
  }
  const ctx: Ctx = { flavor, flags, fold: flags.i };
  if (mode === 'whole') return print(tree, ctx);
  // Lucene matches the whole value: each alternative gets `.*` on every side it is not anchored.
  const alts = tree.t === 'alt' ? tree.alts : [tree];
  const printed = alts.map((alt) => {
    const items = alt.t === 'seq' ? [...alt.items] : [alt];
    const start = items[0]?.t === 'bol';
    if (start) items.shift();
    const end = items[items.length - 1]?.t === 'eol';
    if (end) items.pop();
    if ((start || end) && flags.m) cannot('a multi-line anchor is not supported for Elastic targets');
    return `${start ? '' : '.*'}${print({ t: 'seq', items }, ctx)}${end ? '' : '.*'}`;
  });
  return printed.length === 1 ? printed[0]! : printed.map((p) => `(${p})`).join('|');
}
