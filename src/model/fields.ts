// Reading a normalized event's field by its dotted ECS name ("source.ip",
// "azure.signinlogs.properties.risk_state"), as rules name them. Arrays are
// returned whole (a Sigma value matches when any element does); a name that
// leads nowhere is undefined. docs/rules.md lists every field.
import type { NormalizedEvent } from './event.js';

/** Field names split once: rules ask for the same few names millions of times. */
const PATHS = new Map<string, readonly string[]>();
const MAX_CACHED_PATHS = 10_000;

function pathOf(field: string): readonly string[] {
  let p = PATHS.get(field);
  if (!p) {
    p = field.split('.');
    if (PATHS.size < MAX_CACHED_PATHS) PATHS.set(field, p);
  }
  return p;
}

export function eventField(ev: NormalizedEvent, field: string): unknown {
  // `@timestamp` and other top-level names with no dot are the common case.
  const path = pathOf(field);
  let v: unknown = ev;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    // Own properties only: a rule naming "constructor" or "__proto__" reads nothing.
    if (!Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A getter over one event, as the Sigma matcher takes it. */
export function fieldsOf(ev: NormalizedEvent): (field: string) => unknown {
  return (field) => eventField(ev, field);
}
