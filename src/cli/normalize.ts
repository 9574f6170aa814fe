// `crosswatch normalize PATH...`: exactly one JSON line per input record, in
// input order — the normalized event, or an error line with error.message and
// event.original for a record that cannot be decoded. With --explain, one line
// per record saying which decoder took it and why, or which came closest.
import { once } from 'node:events';
import { decodeRecord, explainRecord } from '../decoders/index.js';
import { formatOrigin, type RawRecord } from '../decoders/types.js';
import { frameFile, type FramedItem } from '../inputs/framing.js';
import { expandInputs } from '../inputs/inputs.js';
import { decodeFramed, type FramedVisitor } from '../pipeline/decode.js';
import { printable } from '../outputs/table.js';
import { loadSettings, type SettingsFlags } from './options.js';
import { terminalSafe } from './terminal.js';
import type { Io } from './io.js';

const ORIGINAL_MAX = 4096;

export interface NormalizeFlags extends Pick<SettingsFlags, 'config' | 'deviceTimezone' | 'map'> {
  strict?: boolean;
  explain?: boolean;
}

function originalOf(item: FramedItem): string {
  let s: string;
  if (item.kind === 'problem') s = item.text ?? '';
  else if (item.kind === 'text') s = item.value;
  else s = item.text ?? JSON.stringify(item.value);
  return s.length > ORIGINAL_MAX ? `${s.slice(0, ORIGINAL_MAX)}…` : s;
}

function explainLine(item: RawRecord, ctx: Parameters<typeof explainRecord>[1]): string {
  const where = formatOrigin(item.origin);
  const ex = explainRecord(item, ctx);
  if (ex.decoder) {
    const { result } = decodeRecord(item, ctx);
    const outcome = result.ok
      ? `→ ${result.event.event.crosswatch.role}${result.event.event.source?.ip ? ` from ${result.event.event.source.ip}` : ''} at ${result.event.event['@timestamp']}`
      : `→ rejected: ${result.error.reason}: ${printable(result.error.message, 160)}`;
    return `${where}: ${ex.decoder}, because it ${ex.because.join('; ') || 'matches'} ${outcome}`;
  }
  if (ex.closest.length === 0) return `${where}: no decoder: nothing about it looks like a known format`;
  // A decoder whose listed cues all hold can still decline a record (its accepts() looks further).
  const near = ex.closest
    .map((c) => `${c.decoder} (has: ${c.has.join('; ')}; ${c.lacks.length > 0 ? `lacks: ${c.lacks.join('; ')}` : 'every cue holds, yet it declined the record'})`)
    .join(' | ');
  return `${where}: no decoder; closest: ${near}`;
}

export async function normalizeCommand(paths: string[], flags: NormalizeFlags, io: Io): Promise<number> {
  const { decode: ctx } = loadSettings(flags);
  const inputs = await expandInputs(paths, io.stdin);
  let rejected = 0;
  let records = 0;
  let damaged = 0;
  const write = async (text: string): Promise<void> => {
    if (!io.stdout.write(`${text}\n`)) await once(io.stdout, 'drain');
  };
  // A batch's lines are written together, then the next batch is framed (stdout's backpressure holds the reading).
  let lines: string[] = [];
  const visitor: FramedVisitor = {
    problem: (item) => {
      if (item.reason === 'invalid-compression') {
        // The records before the damage were written; the file as a whole could not be read.
        damaged++;
        io.stderr.write(`${terminalSafe(`crosswatch: ${formatOrigin(item.origin)}: invalid-compression: ${item.message}`, false)}\n`);
        return;
      }
      if (item.reason === 'binary-file' || item.reason === 'empty-file') {
        io.stderr.write(terminalSafe(`crosswatch: ${formatOrigin(item.origin)}: ${item.message}`, false) + '\n');
        return;
      }
      records++;
      rejected++;
      lines.push(flags.explain
        ? terminalSafe(`${formatOrigin(item.origin)}: not a record: ${item.reason}: ${printable(item.message, 160)}`, false)
        : JSON.stringify({
          error: { code: item.reason, message: `${formatOrigin(item.origin)}: ${item.message}` },
          event: { original: originalOf(item) },
        }));
    },
    before: (item) => {
      records++;
      if (!flags.explain) return true;
      lines.push(terminalSafe(explainLine(item, ctx), false));
      if (!decodeRecord(item, ctx).result.ok) rejected++;
      return false;
    },
    decoded: ({ decoder, result }, item) => {
      if (result.ok) {
        lines.push(JSON.stringify(result.event.event));
        return;
      }
      rejected++;
      lines.push(JSON.stringify({
        error: { code: result.error.reason, message: `${formatOrigin(item.origin)}: ${result.error.message}`, ...(decoder ? { decoder } : {}) },
        event: { original: originalOf(item) },
      }));
    },
  };
  try {
    for (const f of inputs.files) {
      for await (const batch of frameFile(f.path, f.display)) {
        decodeFramed(batch, { ctx }, visitor);
        if (lines.length > 0) await write(lines.join('\n'));
        lines = [];
      }
    }
  } finally {
    await inputs.cleanup();
  }
  for (const sk of inputs.skipped) io.stderr.write(`${terminalSafe(`crosswatch: skipped ${sk.path}: ${sk.reason}`, false)}\n`);
  io.stderr.write(`crosswatch normalize: ${records} records, ${rejected} rejected${inputs.skipped.length > 0 ? `, ${inputs.skipped.length} input(s) skipped` : ''}\n`);
  if (damaged > 0) return 2;
  return flags.strict && rejected > 0 ? 2 : 0;
}
