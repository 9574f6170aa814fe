// The decoder registry: one line per format. Order matters only where shapes
// overlap; the most specific decoder comes first. Adding a format is adding a
// file in this folder and a line here.
import type { DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { entraSignin } from './entra-signin.js';
import { m365Audit } from './m365-audit.js';
import { suricataEve } from './suricata-eve.js';
import { ecsDocument } from './ecs.js';

export const DECODERS: readonly Decoder[] = [
  ecsDocument,
  entraSignin,
  m365Audit,
  suricataEve,
];

export interface Decoded {
  /** The decoder that took the record, or null when none did. */
  decoder: string | null;
  result: DecodeResult;
}

/** Picks the first decoder that accepts the record and decodes it. */
export function decodeRecord(record: RawRecord, ctx: DecodeContext): Decoded {
  for (const d of DECODERS) {
    if (d.accepts(record)) return { decoder: d.name, result: d.decode(record, ctx) };
  }
  return {
    decoder: null,
    result: reject('unknown-format', describeUnknown(record)),
  };
}

function describeUnknown(record: RawRecord): string {
  if (record.kind === 'text') return `no decoder recognises this line (starts "${record.value.slice(0, 40)}")`;
  const keys = Object.keys(record.value).slice(0, 8).join(', ');
  return `no decoder recognises a ${record.kind === 'csv' ? 'CSV row' : 'JSON object'} with keys [${keys}]`;
}
