// The decoder registry: one line per format. Order matters only where shapes
// overlap; the most specific decoder comes first. Adding a format is adding a
// file in this folder and a line here. What a decoder knows about its records
// (the roles it emits, the marker words of its JSON alerts, its time fields and
// alert classes) it declares on itself (types.ts); shared code asks the
// registry below, never names a decoder.
import type { Role } from '../model/event.js';
import type { AlertClass, Cue, DecodeContext, DecodeResult, Decoder, JsonKeys, RawRecord } from './types.js';
import { alertClassOf, reject } from './types.js';
import { ecsDocument } from './ecs.js';
import { entraSignin } from './entra-signin.js';
import { entraPortalCsv } from './entra-portal-csv.js';
import { m365Audit } from './m365-audit.js';
import { suricataEve } from './suricata-eve.js';
import { snortJson } from './snort-json.js';
import { zeekNotice } from './zeek-notice.js';
import { zeekLog } from './zeek-log.js';
import { cef } from './cef.js';
import { panosThreat } from './panos.js';
import { fortigate } from './fortigate.js';
import { fastLog } from './fast-log.js';
import { snortFull } from './snort-full.js';
import { snortCsv } from './snort-csv.js';
import { genericJson } from './generic-json.js';

export const DECODERS: readonly Decoder[] = [
  // JSON shapes
  ecsDocument,
  entraSignin,
  entraPortalCsv,
  m365Audit,
  suricataEve,
  snortJson,
  zeekNotice,
  zeekLog,
  // text lines (syslog payloads)
  cef,
  panosThreat,
  fortigate,
  snortFull,
  fastLog,
  snortCsv,
  // a user-configured mapping (--map) for any other JSON alert feed: last, so it never shadows a known format
  genericJson,
];

/** The registered decoder of that name, or undefined. */
export function decoderNamed(name: string): Decoder | undefined {
  return DECODERS.find((d) => d.name === name);
}

/** The roles a correlation qualifies on: sign-ins and mail access. */
const QUALIFYING: readonly Role[] = ['signin', 'mail_access'];

/** Can the decoder's events be sign-ins or mail accesses (by its declared roles)? */
export function emitsQualifying(d: Decoder): boolean {
  return d.roles.some((r) => QUALIFYING.includes(r));
}

/**
 * The identity decoders: those whose records are sign-ins or mail access (and
 * other identity records), never network records; a file whose records they
 * take holds no network alert. ecs emits both, so it is not one.
 */
export function identityDecoders(): ReadonlySet<string> {
  return IDENTITY;
}
const IDENTITY: ReadonlySet<string> = new Set(DECODERS.filter((d) => emitsQualifying(d) && !d.roles.includes('network_alert')).map((d) => d.name));

/**
 * The alert-marker words the decoders declare (Decoder.alertMarkers): one of
 * them is in the raw text of every network-alert JSON record of a registered
 * decoder. Each word once, in registry order, then in the order declared.
 */
export function alertMarkerWords(): readonly string[] {
  return MARKERS;
}
const MARKERS: readonly string[] = [...new Set(DECODERS.flatMap((d) => (d.alertMarkers ?? []).map((w) => w.toLowerCase())))];

/**
 * Whether a decoder's record of that kind (crosswatch.category) is a network
 * alert by its declared table: 'alert', 'not-alert', or 'by-rule' when the record
 * decides; undefined when the decoder declares no table (its roles say it all).
 */
export function alertClass(decoder: string, category: string): AlertClass | undefined {
  const classes = decoderNamed(decoder)?.alertClasses;
  return classes ? alertClassOf(classes, category) : undefined;
}

export interface Decoded {
  /** The decoder that took the record, or null when none did. */
  decoder: string | null;
  result: DecodeResult;
}

/**
 * Decoders are written not to throw; this is the one place that makes sure: a
 * record with a shape no decoder expected (a number where text was, a getter
 * that throws) becomes a rejection naming the decoder, never a crashed run.
 */
function accepts(d: Decoder, record: RawRecord, ctx: DecodeContext): boolean {
  try {
    return d.accepts(record, ctx);
  } catch {
    return false;
  }
}

function decodeWith(d: Decoder, record: RawRecord, ctx: DecodeContext): DecodeResult {
  try {
    return d.decode(record, ctx);
  } catch (err) {
    return reject('invalid-field', `${d.name}: ${(err as Error).message}`.slice(0, 200));
  }
}

/** The first decoder in the registry that accepts the record, or null. */
function pick(record: RawRecord, ctx: DecodeContext): Decoder | null {
  for (const d of DECODERS) if (accepts(d, record, ctx)) return d;
  return null;
}

/**
 * The decoders that may be handed a record parsed with only the declared keys
 * (Decoder.jsonKeys: those with `decode` keys, every decoder before them
 * declaring its `accepts` keys), and those keys: what the decoders up to the
 * last of them read. A key some decoder reads whole is kept whole; one only
 * read at its inner keys is kept with those. Whatever picks such a decoder for
 * the pruned record picks it for the whole one, and it decodes the two alike.
 */
const PRUNING = ((): { decoders: ReadonlySet<Decoder>; keys: JsonKeys } => {
  const declared: Decoder[] = [];
  for (const d of DECODERS) {
    if (!d.jsonKeys) break;
    declared.push(d);
  }
  const last = declared.findLastIndex((d) => d.jsonKeys!.decode !== undefined);
  const upTo = declared.slice(0, last + 1);
  const top = new Set<string>();
  const prefixes = new Set<string>();
  const inner = new Map<string, Set<string>>();
  const whole = new Set<string>();
  for (const d of upTo) {
    for (const keys of [d.jsonKeys!.accepts, d.jsonKeys!.decode]) {
      if (!keys) continue;
      for (const k of keys.top) {
        top.add(k);
        const within = keys.inner?.[k];
        if (!within) whole.add(k);
        else for (const i of within) (inner.get(k) ?? inner.set(k, new Set()).get(k)!).add(i);
      }
      for (const p of keys.prefixes ?? []) prefixes.add(p);
    }
  }
  return {
    decoders: new Set(upTo.filter((d) => d.jsonKeys!.decode !== undefined)),
    keys: {
      top: [...top], prefixes: [...prefixes],
      inner: Object.fromEntries([...inner].filter(([k]) => !whole.has(k)).map(([k, v]) => [k, [...v]])),
    },
  };
})();

/** The keys a record is parsed with when pruned (see PRUNING). */
export function prunedKeys(): JsonKeys {
  return PRUNING.keys;
}

/**
 * Does the registry give this record, parsed with only prunedKeys(), to a
 * decoder that reads no other key? Then it decodes as the whole record would.
 */
export function takesPruned(value: Record<string, unknown>, ctx: DecodeContext): boolean {
  const d = pick({ kind: 'json', value, origin: { source: '', line: 0 } }, ctx);
  return d !== null && PRUNING.decoders.has(d);
}

/** Picks the first decoder that accepts the record and decodes it. */
export function decodeRecord(record: RawRecord, ctx: DecodeContext): Decoded {
  const d = pick(record, ctx);
  if (d) return { decoder: d.name, result: decodeWith(d, record, ctx) };
  return {
    decoder: null,
    result: reject('unknown-format', describeUnknown(record)),
  };
}

/**
 * As decodeRecord, for a pass that wants only sign-ins and mail accesses: null
 * when the record cannot be one (its decoder emits neither, or none takes it),
 * without decoding it.
 */
export function decodeIfIdentity(record: RawRecord, ctx: DecodeContext): Decoded | null {
  const d = pick(record, ctx);
  return d && emitsQualifying(d) ? { decoder: d.name, result: decodeWith(d, record, ctx) } : null;
}

function describeUnknown(record: RawRecord): string {
  if (record.kind === 'text') return `no decoder recognises this line (starts "${record.value.slice(0, 40)}")`;
  const keys = Object.keys(record.value).slice(0, 8).join(', ');
  return `no decoder recognises a ${record.kind === 'csv' ? 'CSV row' : 'JSON object'} with keys [${keys}]`;
}

export interface CueReport {
  decoder: string;
  has: string[];
  lacks: string[];
}

export interface Explanation {
  /** The decoder that took the record, or null. */
  decoder: string | null;
  /** Why it took it: its cues that hold. */
  because: string[];
  /** When none took it: the closest decoders (most cues holding), with what they missed. */
  closest: CueReport[];
}

function cueReport(d: Decoder, record: RawRecord): CueReport {
  const has: string[] = [];
  const lacks: string[] = [];
  for (const c of d.cues as readonly Cue[]) {
    let ok = false;
    try {
      ok = c.test(record);
    } catch {
      ok = false;
    }
    (ok ? has : lacks).push(c.label);
  }
  return { decoder: d.name, has, lacks };
}

/** For `normalize --explain`: which decoder takes the record and why, or which came closest. */
export function explainRecord(record: RawRecord, ctx: DecodeContext): Explanation {
  for (const d of DECODERS) {
    if (accepts(d, record, ctx)) return { decoder: d.name, because: cueReport(d, record).has, closest: [] };
  }
  const reports = DECODERS.map((d) => cueReport(d, record))
    .filter((r) => r.has.length > 0)
    .sort((a, b) => b.has.length / (b.has.length + b.lacks.length) - a.has.length / (a.has.length + a.lacks.length));
  return { decoder: null, because: [], closest: reports.slice(0, 3) };
}
