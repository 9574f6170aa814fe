// `crosswatch normalize PATH...`: exactly one JSON line per input record, in
// input order — the normalized event, or an error line with error.message and
// event.original for a record that cannot be decoded.
import { once } from 'node:events';
import { decodeRecord } from '../decoders/index.js';
import { formatOrigin } from '../decoders/types.js';
import { frameFile, type FramedItem } from '../sources/framing.js';
import { expandInputs } from '../sources/inputs.js';
import type { Io } from './main.js';

const ORIGINAL_MAX = 4096;

function originalOf(item: FramedItem): string {
  let s: string;
  if (item.kind === 'problem') s = item.text ?? '';
  else if (item.kind === 'text') s = item.value;
  else s = item.text ?? JSON.stringify(item.value);
  return s.length > ORIGINAL_MAX ? `${s.slice(0, ORIGINAL_MAX)}…` : s;
}

export async function normalizeCommand(paths: string[], flags: { strict?: boolean }, io: Io): Promise<number> {
  const inputs = await expandInputs(paths, io.stdin);
  const ctx = { defaultOffsetMinutes: 0, reference: { ms: Date.now(), ns: 0 } };
  let rejected = 0;
  let records = 0;
  const write = async (obj: unknown): Promise<void> => {
    if (!io.stdout.write(`${JSON.stringify(obj)}\n`)) await once(io.stdout, 'drain');
  };
  try {
    for (const f of inputs.files) {
      for await (const batch of frameFile(f.path, f.display)) {
        for (const item of batch) {
          if (item.kind === 'problem') {
            if (item.reason === 'binary-file' || item.reason === 'empty-file') {
              io.stderr.write(`crosswatch: ${formatOrigin(item.origin)}: ${item.message}\n`);
              continue;
            }
            records++;
            rejected++;
            await write({
              error: { code: item.reason, message: `${formatOrigin(item.origin)}: ${item.message}` },
              event: { original: originalOf(item) },
            });
            continue;
          }
          records++;
          const { decoder, result } = decodeRecord(item, ctx);
          if (result.ok) {
            await write(result.event.event);
          } else {
            rejected++;
            await write({
              error: { code: result.error.reason, message: `${formatOrigin(item.origin)}: ${result.error.message}`, ...(decoder ? { decoder } : {}) },
              event: { original: originalOf(item) },
            });
          }
        }
      }
    }
  } finally {
    await inputs.cleanup();
  }
  io.stderr.write(`crosswatch normalize: ${records} records, ${rejected} rejected\n`);
  return flags.strict && rejected > 0 ? 2 : 0;
}
