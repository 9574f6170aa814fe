// The records of alerted IPs that hunt's collecting passes parse, parsed with
// only the keys a decoder reads. A sign-in's device details and conditional
// access policies, an Exchange record's folder lists, are most of its bytes and
// nobody's input; JSON.parse of the whole record was ~60 % of what such a record
// cost (docs/performance.md, "Fourteenth round"). The kernel checks the record
// is JSON that JSON.parse would read (ScanKernel.prune) and writes its kept
// members again; the registry says whether the decoder it would pick reads no
// other key (decoders/index.ts takesPruned). Anything else is parsed whole.
import { prunedKeys, takesPruned } from '../decoders/index.js';
import type { DecodeContext } from '../decoders/types.js';
import { PruneAction, type PruneKeys, type ScanKernel } from '../inputs/scan-kernel.js';

/** Envelopes ({"records": […]}, {"value": […]}) are expanded by the framing: such a record is parsed whole. */
const ENVELOPE_KEYS = ['records', 'value'];

/** prunedKeys() as the kernel's table. */
const KERNEL_KEYS: PruneKeys = (() => {
  const { top, prefixes = [], inner = {} } = prunedKeys();
  const keys = new Map<string, { top: PruneAction; inner: typeof PruneAction.Drop | typeof PruneAction.Keep }>();
  const entry = (k: string) => keys.get(k) ?? keys.set(k, { top: PruneAction.Drop, inner: PruneAction.Drop }).get(k)!;
  for (const k of top) entry(k).top = k in inner ? PruneAction.KeepPruned : PruneAction.Keep;
  for (const within of Object.values(inner)) for (const k of within) entry(k).inner = PruneAction.Keep;
  for (const k of ENVELOPE_KEYS) entry(k).top = PruneAction.Bail;
  return {
    keys: [...keys].map(([key, a]) => ({ key, ...a })),
    prefixes: prefixes.map((prefix) => ({ prefix, top: PruneAction.Keep })),
  };
})();

/**
 * A reader of pruned records for a scan with this kernel: the record at
 * [from, to) of its buffer, parsed with only the declared keys, or null when it
 * must be parsed whole (not JSON as JSON.parse reads it, over a limit, an
 * envelope, an escaped key, or a record no pruning decoder takes).
 */
export function prunedRecords(kernel: ScanKernel, decode: DecodeContext): (from: number, to: number) => Record<string, unknown> | null {
  kernel.configurePrune(KERNEL_KEYS);
  return (from, to) => {
    const text = kernel.prune(from, to);
    if (text === null) return null;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return null; // (cannot be: the kernel wrote it from members it checked)
    }
    return takesPruned(value, decode) ? value : null;
  };
}
