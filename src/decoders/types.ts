// The decoder contract: a pure function from one framed record to one normalized
// event or an error. Framing (lines, JSON envelopes, CSV rows) happens before, in
// src/inputs/; decoders never touch files or sockets.
import type { DecodedEvent, Role } from '../model/event.js';
import type { Instant } from '../model/time.js';

/** Where a record came from, for error messages: "file:line" or a request id. */
export interface RecordOrigin {
  /** File path, "-" for stdin, or a request id. */
  source: string;
  /** 1-based line where the record starts (for CSV: the row's first line). */
  line: number;
  /** 0-based position inside a JSON array or envelope on that line/document, when there is one. */
  index?: number;
}

/** "file:line", "file:line[index]", or just "file" for line 0 (the file as a whole). */
export function formatOrigin(o: RecordOrigin): string {
  if (o.line === 0 && o.index === undefined) return o.source;
  return o.index === undefined ? `${o.source}:${o.line}` : `${o.source}:${o.line}[${o.index}]`;
}

/** A framed record: a parsed JSON value (object from NDJSON, array element, envelope item, CSV row) or a text line. */
export type RawRecord =
  | { kind: 'json'; value: Record<string, unknown>; origin: RecordOrigin; text?: string }
  | { kind: 'csv'; value: Record<string, string>; origin: RecordOrigin; text?: string }
  | { kind: 'text'; value: string; origin: RecordOrigin };

export interface DecodeContext {
  /** Offset in minutes east of UTC for zone-less device times (default 0 = UTC). */
  defaultOffsetMinutes: number;
  /**
   * A configured zone for zone-less device times ("+09:30" or an IANA name);
   * pass it on as parseTime's `zone`. Unset means UTC (DESIGN.md §2).
   */
  zone?: string;
  /** When the record was read; used only to infer a missing year. */
  reference: Instant;
  /** The user's mapping for JSON alert feeds no decoder knows (`--map`); see generic-json.ts. */
  genericMap?: GenericMapping;
}

/** Which fields of an unknown JSON alert feed hold what (DESIGN.md: no user is stuck). */
export interface GenericMapping {
  /** Field holding the attacker-side IP (dotted path). */
  ip: string;
  /** Field holding the alert time. */
  time: string;
  /** Field holding the alert / threat name. */
  name?: string;
  severity?: string;
  sensor?: string;
  /** event.dataset to give the events (default "generic.alert"). */
  dataset?: string;
}

/** Stable, low-cardinality reasons a record is rejected (also the metrics labels). */
export type RejectReason =
  | 'invalid-json'
  | 'unknown-format'
  | 'missing-time'
  | 'invalid-time'
  | 'invalid-field'
  | 'record-too-large'
  /** Nested too deep, a huge string, too many keys (src/inputs/json-limits.ts). */
  | 'json-limit'
  | 'invalid-csv';

export interface DecodeError {
  reason: RejectReason;
  message: string;
}

export type DecodeResult = { ok: true; event: DecodedEvent } | { ok: false; error: DecodeError };

/**
 * A recognition cue, for `normalize --explain`: a short label ("has event_type")
 * and a test. A decoder lists the cues its accepts() looks at; explain shows which
 * hold for a record, so a user sees why a decoder took it or what it missed.
 */
export interface Cue {
  label: string;
  test(record: RawRecord): boolean;
}

/** A text record's line (or block), else undefined: what text decoders' cues test. */
export function textOf(record: RawRecord): string | undefined {
  return record.kind === 'text' ? record.value : undefined;
}

/** A cue on a JSON/CSV record's top-level key (or dotted ECS path). */
export function hasKey(key: string, label = `has "${key}"`): Cue {
  return {
    label,
    test: (r) => r.kind !== 'text' && typeof r.value === 'object' && r.value !== null && key in r.value,
  };
}

export interface Decoder {
  /** Stable name, shown in summaries and `normalize --explain` ("entra-signin"). */
  readonly name: string;
  /** One line: what it reads. */
  readonly description: string;
  /**
   * Cheap shape test: does this record look like this decoder's format? The
   * first decoder in the registry that accepts a record decodes it. (The
   * registry treats a throw as "no".)
   */
  accepts(record: RawRecord, ctx?: DecodeContext): boolean;
  /** What accepts() looks for, for explanations (`normalize --explain`). */
  readonly cues: readonly Cue[];
  /** Decodes an accepted record; bad fields become a DecodeError (the registry turns a throw into one too). */
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult;
  /**
   * Every crosswatch.role its events can have. The registry answers from it which
   * decoders can yield sign-ins and mail access (a hunt's second pass need not
   * decode the others' records: it meets many flow records of alerted IPs) and
   * which yield nothing else (a file of theirs holds no network alert).
   */
  readonly roles: readonly Role[];
  /**
   * Quoted words ('"alert"'), matched case-insensitively in the raw text, at least
   * one of which every network-alert JSON record it decodes carries: hunt's fast
   * first pass parses only JSON records with one of the registry's words
   * (src/pipeline/alert-markers.ts). A necessary condition, never a sufficient one.
   * None for decoders of text records (text always passes) and for decoders that
   * emit no network alert. A decoder whose JSON alerts carry no fixed word
   * (generic-json) declares none, and the fast pass is off while it is active.
   */
  readonly alertMarkers?: readonly string[];
  /**
   * The fields decode() reads the event time from, in order of preference, as
   * docs/formats.md names them (test/decoder-declarations.test.ts holds the two
   * together). Absent where the time is no named field (a line's own stamp, the
   * field a --map names).
   */
  readonly timeFields?: readonly string[];
  /**
   * For decoders that count records by kind: which kinds are network alerts and
   * which are not (docs/formats.md, "What becomes a network alert"). Absent where
   * every record is an alert (Snort, fast.log, Zeek notices, --map feeds) and for
   * ecs, which goes by event.kind and the dataset.
   */
  readonly alertClasses?: AlertClasses;
  /**
   * The keys of a JSON record this decoder reads: `accepts`, those accepts()
   * looks at; `decode`, when given, every key decode() reads besides. A record
   * taken by a decoder with `decode` keys, and by none before it (each of which
   * must declare its `accepts` keys), may be handed to it parsed with only the
   * registry's declared keys (decoders/index.ts prunedKeys): hunt does so for
   * the records of alerted IPs, most of whose bytes no decoder reads
   * (docs/performance.md, "Fourteenth round"). test/pruned-records.test.ts holds
   * the lists to what the decoders read of every fixture record.
   */
  readonly jsonKeys?: { accepts: JsonKeys; decode?: JsonKeys };
}

/** Keys of a JSON record (Decoder.jsonKeys). */
export interface JsonKeys {
  /** Top-level keys. */
  top: readonly string[];
  /** Top-level keys looked for among all of them by how they start (a walk of the keys, such as for "TimeGenerated [UTC]"). */
  prefixes?: readonly string[];
  /** Top-level keys whose value, when an object, is read only at these keys of it (and the values under those whole). */
  inner?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Which kinds of a decoder's records are network alerts. A kind is a
 * crosswatch.category value ("THREAT/url", "utm/ips", "conn"), or its part before
 * the first "/" ("ips" names a FortiOS 5.x "ips/signature"); the exact value is
 * looked up first. Built from the lists the decoder decides by, where it has them
 * (common/panos.ts, common/fortinet.ts), so the two cannot drift apart.
 */
export interface AlertClasses {
  /** Kinds that are always network alerts. */
  readonly alerts: readonly string[];
  /** Kinds that are network alerts only when the record names a threat (the decoder's rule: severity, category, action). */
  readonly byRule: readonly string[];
  /** Kinds read and counted, never network alerts. */
  readonly notAlerts: readonly string[];
  /** What a kind that is not listed is. */
  readonly otherwise: AlertClass;
}

export type AlertClass = 'alert' | 'by-rule' | 'not-alert';

/** The class of a kind (crosswatch.category) in a decoder's table. */
export function alertClassOf(classes: AlertClasses, category: string): AlertClass {
  const find = (kind: string): AlertClass | undefined =>
    classes.alerts.includes(kind) ? 'alert' : classes.byRule.includes(kind) ? 'by-rule' : classes.notAlerts.includes(kind) ? 'not-alert' : undefined;
  const slash = category.indexOf('/');
  return find(category) ?? (slash > 0 ? find(category.slice(0, slash)) : undefined) ?? classes.otherwise;
}

export function reject(reason: RejectReason, message: string): DecodeResult {
  return { ok: false, error: { reason, message } };
}
