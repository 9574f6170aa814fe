// Small accessors shared by decoders: reading nested-or-dotted fields from JSON
// records, and bounding attacker-controlled strings before they are kept.

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
