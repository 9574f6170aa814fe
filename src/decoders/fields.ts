// Small accessors shared by decoders: reading nested-or-dotted fields from JSON
// records, and bounding attacker-controlled strings before they are kept.
import { parseTime } from '../model/time.js';
import type { Instant } from '../model/time.js';
import type { DecodeContext, DecodeResult } from './types.js';
import { reject } from './types.js';

/** Longest string kept from a record field (user agents, signatures, names). */
export const MAX_FIELD_CHARS = 1024;

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads `a.b.c` from a record written nested ({"a":{"b":{"c":1}}}), flattened
 * ({"a.b.c":1}) or mixed ({"a":{"b.c":1}}), as ECS exports are.
 */
export function field(obj: unknown, path: string): unknown {
  if (!isObject(obj)) return undefined;
  if (path in obj) return obj[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  // Try every split point: "a" + "b.c", then "a.b" + "c".
  for (let i = dot; i >= 0 && i < path.length; i = path.indexOf('.', i + 1)) {
    const head = path.slice(0, i);
    if (head in obj) {
      const found = field(obj[head], path.slice(i + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** A field as a trimmed, bounded string; numbers become strings; anything else undefined. */
export function str(v: unknown, max = MAX_FIELD_CHARS): string | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.length === 0) return undefined;
    return t.length > max ? t.slice(0, max) : t;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** The first field among `paths` that holds a non-empty string. */
export function firstStr(obj: unknown, paths: readonly string[], max = MAX_FIELD_CHARS): string | undefined {
  for (const p of paths) {
    const s = str(field(obj, p), max);
    if (s !== undefined) return s;
  }
  return undefined;
}

/** A field as a finite number ("12" and 12 alike), or undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A field that a source may write as JSON text ("stringly" JSON), parsed; otherwise as is. */
export function jsonish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** A short, single-line rendering of a field value for error messages (~80 chars). */
export function snippet(v: unknown, max = 80): string {
  let s: string;
  if (typeof v === 'string') s = JSON.stringify(v.length > max * 2 ? v.slice(0, max * 2) : v);
  else if (v === undefined) s = 'undefined';
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = Object.prototype.toString.call(v);
    }
  }
  s = s.replace(/[\r\n\t]+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** True for "local@domain.tld" shapes (a UPN that is also a mail address). */
export function looksLikeEmail(s: string | undefined): s is string {
  return s !== undefined && s.length <= 320 && /^[^@\s]+@[^@\s]+\.[^@\s.]+$/.test(s);
}

/** A TCP/UDP port (0..65535) written as a number or numeric string, or undefined. */
export function port(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/**
 * Sets source.* and destination.* from two endpoints: `key` is the side the
 * correlation keys on (the attacker's), `other` the rest. Empty sides are left out.
 */
export function setEndpoints(
  event: { source?: { ip?: string; port?: number }; destination?: { ip?: string; port?: number } },
  key: { ip: string | null; port: number | undefined },
  other: { ip: string | null; port: number | undefined },
): void {
  if (key.ip !== null || key.port !== undefined) {
    event.source = {};
    if (key.ip !== null) event.source.ip = key.ip;
    if (key.port !== undefined) event.source.port = key.port;
  }
  if (other.ip !== null || other.port !== undefined) {
    event.destination = {};
    if (other.ip !== null) event.destination.ip = other.ip;
    if (other.port !== undefined) event.destination.port = other.port;
  }
}

/** The first element of an array (ECS exports write some single values as arrays), or the value. */
export function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/** A field value that counts as written: not undefined, null or a blank string. */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
}

export type TimeRead = { ok: true; at: Instant; field: string } | { ok: false; result: DecodeResult };

/**
 * Reads the event time from the first candidate field that is present (in order of
 * preference). A present but unparseable value is an error naming the field; later
 * candidates are fallbacks for an absent field only, never for a bad one.
 */
export function readTime(candidates: ReadonlyArray<readonly [string, unknown]>, ctx: DecodeContext): TimeRead {
  for (const [name, value] of candidates) {
    if (!present(value)) continue;
    const at = parseTime(value, { defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference, ...(ctx.zone !== undefined ? { zone: ctx.zone } : {}) });
    if (at) return { ok: true, at, field: name };
    return { ok: false, result: reject('invalid-time', `${name} is not a time: ${snippet(value)}`) };
  }
  const names = candidates.map(([n]) => n);
  const uniq = [...new Set(names)];
  return { ok: false, result: reject('missing-time', `no time field (looked for ${uniq.join(', ')})`) };
}
