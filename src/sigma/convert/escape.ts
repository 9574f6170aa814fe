// Literals and names for the four query languages, and Sigma's wildcard patterns.
// Rule values are attacker-adjacent text: they reach a query only through the
// quoting functions here, so a `"`, `|`, backslash or newline in a value stays
// inside its literal and the query stays one query. Field names come from the
// field tables (fields.ts), never from rule text, and are quoted all the same.

/** Thrown anywhere in a conversion when the target cannot say exactly what the rule means. */
export class CannotConvert extends Error {}

export function cannot(reason: string): never {
  throw new CannotConvert(reason);
}

/** A Sigma string value: literal runs and the two wildcards (`*` any run, `?` one character). */
export type GlobPart = { lit: string } | { any: true } | { one: true };
export type Glob = GlobPart[];

/** Reads Sigma's escapes: `\*`, `\?` and `\\` are literal; a backslash before anything else is itself. */
export function parseSigmaPattern(pattern: string): Glob {
  const out: Glob = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') out.push({ lit });
    lit = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
      } else {
        lit += c;
      }
    } else if (c === '*') {
      flush();
      if (!('any' in (out[out.length - 1] ?? {}))) out.push({ any: true });
    } else if (c === '?') {
      flush();
      out.push({ one: true });
    } else {
      lit += c;
    }
  }
  flush();
  return out;
}

/** A glob around a literal (contains/startswith/endswith wrap the value in `*`). */
export function wrapGlob(g: Glob, before: boolean, after: boolean): Glob {
  const out = [...g];
  if (before && !(out[0] && 'any' in out[0])) out.unshift({ any: true });
  if (after && !(out[out.length - 1] && 'any' in out[out.length - 1]!)) out.push({ any: true });
  return out;
}

/** The text of a glob without wildcards, or null. */
export function globLiteral(g: Glob): string | null {
  if (g.length === 0) return '';
  if (g.length === 1 && 'lit' in g[0]!) return g[0].lit;
  return null;
}

export function lowerGlob(g: Glob): Glob {
  return g.map((p) => ('lit' in p ? { lit: p.lit.toLowerCase() } : p));
}

/** Where a glob is `*lit*`, `lit*` or `*lit`: the literal and its shape. */
export function globShape(g: Glob): { shape: 'contains' | 'startswith' | 'endswith' | 'anything'; lit: string } | null {
  const isAny = (p: GlobPart | undefined): boolean => p !== undefined && 'any' in p;
  const litOf = (p: GlobPart | undefined): string | null => (p !== undefined && 'lit' in p ? p.lit : null);
  if (g.length === 1 && isAny(g[0])) return { shape: 'anything', lit: '' };
  if (g.length === 3 && isAny(g[0]) && isAny(g[2]) && litOf(g[1]) !== null) return { shape: 'contains', lit: litOf(g[1])! };
  if (g.length === 2 && isAny(g[1]) && litOf(g[0]) !== null) return { shape: 'startswith', lit: litOf(g[0])! };
  if (g.length === 2 && isAny(g[0]) && litOf(g[1]) !== null) return { shape: 'endswith', lit: litOf(g[1])! };
  return null;
}

/** The glob as a JS RegExp with crosswatch's meaning: the whole value, `*` across line breaks. */
export function globRegExp(g: Glob, cased: boolean): RegExp {
  const body = g.map((p) => ('lit' in p ? p.lit.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&') : 'any' in p ? '[\\s\\S]*' : '[\\s\\S]')).join('');
  return new RegExp(`^${body}$`, cased ? 'u' : 'iu');
}

// --- string literals --------------------------------------------------------------

/** ES|QL and EQL double-quoted strings: `\\ \" \n \r \t` are escapes; raw CR and LF are not allowed. */
export function elasticString(s: string): string {
  return `"${s.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!)}"`;
}

const isControl = (c: string): boolean => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;

export function hasControl(s: string): boolean {
  return [...s].some(isControl);
}

/** KQL double-quoted strings: backslash escapes. Other control characters never reach one (kql.ts routes them to a regex). */
export function kqlString(s: string): string {
  const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  const body = [...s].map((c) => named[c] ?? (isControl(c) ? cannot('a control character cannot be written in a KQL string') : c)).join('');
  return `"${body}"`;
}

/** SPL eval strings: `\\` and `\"` only. Control characters never reach one (spl.ts routes them to a regex). */
export function splString(s: string): string {
  if (hasControl(s)) cannot('a control character cannot be written in an SPL string');
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

// --- names ------------------------------------------------------------------------

/** ES|QL: a dotted name whose parts are plain identifiers, else the whole name in backquotes. */
export function esqlName(name: string): string {
  return name.split('.').every((p) => /^(?:[a-z][a-z0-9_]*|[_@][a-z0-9_]+)$/.test(p)) ? name : `\`${name.replace(/`/g, '``')}\``;
}

/** EQL: each dotted part an identifier or in backquotes. */
export function eqlName(name: string): string {
  return name
    .split('.')
    .map((p) => (/^[A-Za-z_@][A-Za-z0-9_]*$/.test(p) ? p : `\`${p.replace(/`/g, '``')}\``))
    .join('.');
}

/** KQL: plain identifiers as they are, anything else as ['name']. */
export function kqlName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `[${kqlString(name)}]`;
}

/** SPL eval: a field name with anything but letters, digits and `_` in single quotes. */
export function splName(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return name;
  if (/['\\]/.test(name)) cannot(`field name ${name} cannot be quoted in SPL`);
  return `'${name}'`;
}

// --- numbers and durations ---------------------------------------------------------

export function numberLiteral(n: number): string {
  if (!Number.isFinite(n)) cannot(`${n} is not a finite number`);
  return String(n);
}

/** A duration in the largest whole unit: 8h, 90m, 45s, 500ms. */
export function durationText(ms: number, units: ReadonlyArray<readonly [string, number]>): string {
  for (const [u, f] of units) {
    if (ms % f === 0) return `${ms / f}${u}`;
  }
  return cannot(`timespan of ${ms} ms has no whole unit`);
}
