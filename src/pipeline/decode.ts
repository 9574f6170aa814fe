// The one decode step of hunt and serve: a framed record through the decoder
// registry, counted either way — a reject with its decoder, reason and place, or a
// record by its source, decoder, role and kind — so the hunt summary, /metrics and
// status count the same things the same way. (normalize prints each record instead
// of counting, and calls the registry itself.)
import { decodeRecord } from '../decoders/index.js';
import type { DecodeContext, RawRecord } from '../decoders/types.js';
import type { Counters } from './counters.js';

export function decodeCounted(item: RawRecord, ctx: DecodeContext, counters: Counters, source: string): ReturnType<typeof decodeRecord> {
  const out = decodeRecord(item, ctx);
  const r = out.result;
  if (!r.ok) counters.rejected(item.origin, out.decoder, r.error.reason, r.error.message);
  else counters.decoded(source, out.decoder ?? 'unknown', r.event.event.crosswatch.role, r.event.event.crosswatch.category);
  return out;
}
