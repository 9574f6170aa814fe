// Any other JSON alert feed, through a user mapping (`--map ip=…,time=…` or `map:`
// in the config file): which field holds the attacker-side IP, the time, and
// optionally the alert name, severity, sensor and dataset. Active only when a
// mapping is configured, and registered last, so a known format is never taken.
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant, parseTime } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, GenericMapping, RawRecord } from './types.js';
import { reject } from './types.js';
import { field, first, isObject, num, present, snippet, str } from './fields.js';

const NAME = 'generic-json';
const DEFAULT_DATASET = 'generic.alert';

const KEYS = ['ip', 'time', 'name', 'severity', 'sensor', 'dataset'] as const;
type Key = (typeof KEYS)[number];

/** A field path: dotted names, no spaces or separators of the spec itself. */
const PATH_RE = /^[^\s,=]{1,256}$/;
const DATASET_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/**
 * Parses a mapping spec "ip=attacker.address,time=detected_at,name=threat.name,
 * severity=level,sensor=sensor.id,dataset=acme.alerts". `ip` and `time` are
 * required; every other key is optional. Throws an Error naming the bad part.
 */
export function parseMapSpec(text: string): GenericMapping {
  const spec = text.trim();
  if (spec === '') throw new Error('empty mapping: expected ip=FIELD,time=FIELD[,name=FIELD,severity=FIELD,sensor=FIELD,dataset=NAME]');
  const found: Partial<Record<Key, string>> = {};
  for (const rawPart of spec.split(',')) {
    const part = rawPart.trim();
    if (part === '') throw new Error(`empty part in ${snippet(spec, 120)} (two commas in a row, or a trailing comma)`);
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`${snippet(part, 60)} is not KEY=FIELD`);
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new Error(`unknown key ${snippet(key, 40)} in ${snippet(part, 60)} (known: ${KEYS.join(', ')})`);
    }
    const k = key as Key;
    if (found[k] !== undefined) throw new Error(`"${k}" is given twice`);
    if (value === '') throw new Error(`"${k}=" has no field name`);
    if (k === 'dataset') {
      if (!DATASET_RE.test(value)) throw new Error(`dataset ${snippet(value, 60)} must be letters, digits, "_", "." or "-"`);
    } else if (!PATH_RE.test(value)) {
      throw new Error(`${k}=${snippet(value, 60)} is not a field path (no spaces, "," or "=")`);
    }
    found[k] = value;
  }
  if (found.ip === undefined) throw new Error('missing "ip=FIELD" (the field holding the attacker-side IP)');
  if (found.time === undefined) throw new Error('missing "time=FIELD" (the field holding the alert time)');
  const map: GenericMapping = { ip: found.ip, time: found.time };
  if (found.name !== undefined) map.name = found.name;
  if (found.severity !== undefined) map.severity = found.severity;
  if (found.sensor !== undefined) map.sensor = found.sensor;
  if (found.dataset !== undefined) map.dataset = found.dataset;
  return map;
}

/** Severity words, numbered as the other network decoders do: 1 = most severe. */
export const GENERIC_SEVERITY: Readonly<Record<string, number>> = {
  critical: 1, high: 2, medium: 3, moderate: 3, low: 4, info: 5, informational: 5, information: 5,
};

function severityOf(v: unknown): number | undefined {
  const n = num(v);
  if (n !== undefined) return n;
  const w = str(v, 32)?.toLowerCase();
  return w !== undefined ? GENERIC_SEVERITY[w] : undefined;
}

function mappingOf(ctx: DecodeContext | undefined): GenericMapping | undefined {
  const m = ctx?.genericMap;
  return m !== undefined && typeof m.ip === 'string' && typeof m.time === 'string' ? m : undefined;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  const map = mappingOf(ctx);
  if (!map) return reject('unknown-format', 'generic-json needs a mapping (--map ip=FIELD,time=FIELD)');
  if (record.kind !== 'json' || !isObject(record.value)) return reject('unknown-format', 'generic-json reads JSON objects only');
  const o = record.value;

  const timeValue = first(field(o, map.time));
  if (!present(timeValue)) return reject('missing-time', `no value at ${map.time}`);
  const at = typeof timeValue === 'number' || typeof timeValue === 'string'
    ? parseTime(timeValue, { zone: ctx.zone, defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference })
    : null;
  if (!at) return reject('invalid-time', `${map.time} is not a time: ${snippet(timeValue)}`);

  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: 'alert',
      dataset: map.dataset ?? DEFAULT_DATASET,
      category: ['network', 'intrusion_detection'],
    },
    crosswatch: { role: 'network_alert', decoder: NAME, category: 'generic' },
  };
  // Anything that is not an IP is no IP (DESIGN.md §2): the alert is counted, never keyed.
  const ip = canonicalIp(first(field(o, map.ip)));
  if (ip !== null) event.source = { ip };
  if (map.name !== undefined) {
    const name = str(first(field(o, map.name)));
    if (name !== undefined) event.rule = { name };
  }
  if (map.severity !== undefined) {
    const severity = severityOf(first(field(o, map.severity)));
    if (severity !== undefined) event.event.severity = severity;
  }
  if (map.sensor !== undefined) {
    const sensor = str(first(field(o, map.sensor)), 255);
    if (sensor !== undefined) event.observer = { name: sensor };
  }
  return { ok: true, event: { at, event } };
}

const cues: readonly Cue[] = [
  // accepts() also needs a --map mapping and values at its ip and time fields; a cue sees the record only.
  { label: 'is a JSON object (taken only with --map, when the mapped ip and time fields hold values)', test: (r) => r.kind === 'json' },
];

export const genericJson: Decoder = {
  roles: ['network_alert'],
  name: NAME,
  description: 'any JSON alert feed, through the --map mapping (ip, time, name, severity, sensor, dataset)',
  cues,
  accepts(record: RawRecord, ctx?: DecodeContext): boolean {
    const map = mappingOf(ctx);
    if (!map || record.kind !== 'json' || !isObject(record.value)) return false;
    return present(first(field(record.value, map.ip))) && present(first(field(record.value, map.time)));
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
