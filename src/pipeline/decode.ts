// The one frame → decode loop of every path that reads records: hunt's passes
// (hunt/batch-file.ts), serve's ingest (stream/stream-decode.ts) and `normalize`.
// Each framed item is either a framing problem (not a record: cut off, too long,
// a binary file) or a record; a record may be left undecoded by the visitor
// (prefiltered, counted unparsed, deferred), else it goes through the decoder
// registry and, when counters are given, is counted here — a reject with its
// decoder, reason and place, or a record by its source, decoder, role and kind —
// so the hunt summary, /metrics and status count the same things the same way.
// What each path keeps of a decoded record is its visitor's business.
import { decodeIfIdentity, decodeRecord, type Decoded } from '../decoders/index.js';
import type { DecodeContext, RawRecord } from '../decoders/types.js';
import type { FramedItem, FramingProblem } from '../inputs/framing.js';
import type { Counters } from './counters.js';

export type { Decoded };

export interface FramedVisitor {
  /** A framing problem (default: skipped; counting it, and how, is the path's choice). */
  problem?(item: FramingProblem, at: number): void;
  /** Whether to decode this record; false leaves it to the visitor (prefiltered, counted unparsed, deferred). */
  before?(item: RawRecord, at: number): boolean;
  /** The decoder's answer for a record (an event, or a reject with its reason). */
  decoded(out: Decoded, item: RawRecord, at: number): void;
}

export interface DecodeLoopOptions {
  ctx: DecodeContext;
  /** Count every decoded record and reject here, under this source (default: each record's own). */
  counters?: { counters: Counters; source?: string };
  /**
   * Only records a sign-in or mail-access decoder takes are decoded (hunt's
   * second pass): the others are skipped without a call to `decoded`.
   */
  identityOnly?: boolean;
}

/** Runs the items of one framed batch through the registry, in order; `first` numbers them (their place in the input). */
export function decodeFramed(items: readonly FramedItem[], opts: DecodeLoopOptions, visitor: FramedVisitor, first = 0): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const at = first + i;
    if (item.kind === 'problem') {
      visitor.problem?.(item, at);
      continue;
    }
    if (visitor.before && !visitor.before(item, at)) continue;
    decodeOne(item, opts, visitor, at);
  }
}

/** One record through the registry, counted when asked (for records a visitor deferred and decodes later). */
export function decodeOne(item: RawRecord, opts: DecodeLoopOptions, visitor: FramedVisitor, at = 0): void {
  let out: Decoded | null;
  if (opts.identityOnly) {
    out = decodeIfIdentity(item, opts.ctx);
    if (!out) return;
  } else {
    out = decodeRecord(item, opts.ctx);
  }
  if (opts.counters) {
    const r = out.result;
    const { counters, source } = opts.counters;
    if (!r.ok) counters.rejected(item.origin, out.decoder, r.error.reason, r.error.message);
    else counters.decoded(source ?? item.origin.source, out.decoder ?? 'unknown', r.event.event.crosswatch.role, r.event.event.crosswatch.category);
  }
  visitor.decoded(out, item, at);
}
