// Value primitives shared by the checker (detection.ts) and the matcher
// (match.ts): Sigma wildcard strings, regular expressions and base64 forms.
// Rules are shared, downloaded data, so nothing here can be made to run long:
// wildcards never become backtracking regular expressions (a greedy leftmost
// scan over fixed-length segments is linear per segment), and a regular
// expression must compile, be bounded in length and pass safe-regex2.
import safeRegex from 'safe-regex2';

export type TextTest = (text: string) => boolean;
export type WildcardMode = 'equals' | 'contains' | 'startswith' | 'endswith';

/** The longest `|re` pattern accepted (SigmaHQ's longest are a few hundred characters). */
export const MAX_REGEX_LENGTH = 4096;
/** safe-regex2 counts quantifiers; its default (25) refuses long but harmless SigmaHQ expressions. */
const REGEX_REPETITION_LIMIT = 200;

/** A run of fixed length between `*`s; `holes` marks the positions of `?` (any one character). */
interface Segment {
  text: string;
  holes: boolean[] | null;
}

/**
 * Splits a Sigma string into the segments between `*` wildcards. Escapes per
 * the spec: `\*`, `\?` and `\\` are the plain characters; a `\` before anything
 * else is a plain backslash.
 */
function segments(pattern: string, fold: boolean): Segment[] {
  const out: Segment[] = [];
  let text = '';
  let holes: boolean[] = [];
  let anyHole = false;
  const push = (): void => {
    out.push({ text, holes: anyHole ? holes : null });
    text = '';
    holes = [];
    anyHole = false;
  };
  const literal = (c: string): void => {
    // Folded per character, so `?` positions stay aligned when a lower case is longer.
    const t = fold ? c.toLowerCase() : c;
    text += t;
    for (let k = 0; k < t.length; k++) holes.push(false);
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1]!)) {
      literal(pattern[++i]!);
    } else if (c === '*') {
      push();
    } else if (c === '?') {
      text += '?';
      holes.push(true);
      anyHole = true;
    } else {
      literal(c);
    }
  }
  push();
  return out;
}

/** Whether the Sigma string has an unescaped `*` or `?`. */
export function hasWildcards(pattern: string): boolean {
  const s = segments(pattern, false);
  return s.length > 1 || s[0]!.holes !== null;
}

/** The plain text of a Sigma string without wildcards (escapes resolved). */
export function plainText(pattern: string): string {
  return segments(pattern, false)[0]!.text;
}

function fitsAt(s: string, at: number, seg: Segment): boolean {
  if (seg.holes === null) return s.startsWith(seg.text, at);
  for (let i = 0; i < seg.text.length; i++) {
    if (!seg.holes[i] && s.charCodeAt(at + i) !== seg.text.charCodeAt(i)) return false;
  }
  return true;
}

/** The leftmost position ≥ from where seg fits, ending at or before `end`; -1 when none. */
function findFrom(s: string, from: number, end: number, seg: Segment): number {
  const last = end - seg.text.length;
  if (seg.holes === null) {
    const at = s.indexOf(seg.text, from);
    return at >= 0 && at <= last ? at : -1;
  }
  for (let at = from; at <= last; at++) if (fitsAt(s, at, seg)) return at;
  return -1;
}

/**
 * Compiles a Sigma string to a test of one text. With `fold` the pattern is
 * lower-cased and the caller passes lower-cased texts (Sigma matches case-
 * insensitively unless `|cased`). The common shapes become one string call.
 */
export function compileWildcard(pattern: string, mode: WildcardMode, fold: boolean): TextTest {
  const segs = segments(pattern, fold);
  if (mode === 'contains' || mode === 'endswith') segs.unshift({ text: '', holes: null });
  if (mode === 'contains' || mode === 'startswith') segs.push({ text: '', holes: null });
  const plain = segs.every((s) => s.holes === null);
  if (plain && segs.length === 1) {
    const t = segs[0]!.text;
    return (s) => s === t;
  }
  if (plain && segs.length === 2) {
    const [a, b] = [segs[0]!.text, segs[1]!.text];
    if (b === '') return (s) => s.startsWith(a);
    if (a === '') return (s) => s.endsWith(b);
  }
  if (plain && segs.length === 3 && segs[0]!.text === '' && segs[2]!.text === '') {
    const t = segs[1]!.text;
    return (s) => s.includes(t);
  }
  const first = segs[0]!;
  const lastSeg = segs[segs.length - 1]!;
  const middle = segs.slice(1, -1).filter((s) => s.text.length > 0);
  const minLength = segs.reduce((n, s) => n + s.text.length, 0);
  if (segs.length === 1) return (s) => s.length === first.text.length && fitsAt(s, 0, first);
  return (s) => {
    if (s.length < minLength || !fitsAt(s, 0, first)) return false;
    const end = s.length - lastSeg.text.length;
    if (!fitsAt(s, end, lastSeg)) return false;
    // Leftmost-first is optimal for fixed-length segments: no backtracking needed.
    let pos = first.text.length;
    for (const seg of middle) {
      const at = findFrom(s, pos, end, seg);
      if (at < 0) return false;
      pos = at + seg.text.length;
    }
    return pos <= end;
  };
}

/**
 * Compiles a `|re` value: a leading PCRE inline flag group such as `(?i)` (which
 * JavaScript lacks) becomes flags. Returns the RegExp, or why it is refused.
 */
export function compileRegex(source: string, flags: string): { re: RegExp } | { error: string } {
  if (source.length > MAX_REGEX_LENGTH) return { error: `regular expression longer than ${MAX_REGEX_LENGTH} characters` };
  let body = source;
  let all = flags;
  const inline = /^\(\?([ims]+)\)/.exec(body);
  if (inline) {
    body = body.slice(inline[0].length);
    for (const f of inline[1]!) if (!all.includes(f)) all += f;
  }
  let re: RegExp;
  try {
    re = new RegExp(body, all);
  } catch (err) {
    return { error: `regular expression does not compile: ${(err as Error).message}` };
  }
  if (!safeRegex(re, { limit: REGEX_REPETITION_LIMIT })) {
    return { error: 'regular expression could backtrack catastrophically (nested quantifiers) or uses syntax the safety check cannot read' };
  }
  return { re };
}

/** `|base64`: the text's UTF-8 bytes in Base64. */
export function base64Of(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * `|base64offset`: the three forms the text takes inside a longer Base64 string,
 * depending on its byte offset modulo 3; the characters that also depend on the
 * neighbouring bytes are cut off.
 */
export function base64Offsets(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const start = [0, 2, 3][shift]!;
    const cut = [0, 3, 2][(shift + bytes.length) % 3]!;
    const form = encoded.slice(start, encoded.length - cut);
    if (form !== '') out.push(form);
  }
  return out;
}
