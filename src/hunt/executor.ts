// Where hunt's per-file tasks run: on this thread one file at a time, or on the
// decode pool's workers. batch.ts plans the passes; an Executor only runs the
// tasks it is given (batch-file.ts does the work either way), so the answer is
// the same whatever the number of threads.
import type { DecodeContext } from '../decoders/types.js';
import type { DecodedEvent } from '../model/event.js';
import type { FramingOptions } from '../inputs/framing.js';
import type { ByteRange, SyncPoint } from '../inputs/fast-frames.js';
import type { InputFile } from '../inputs/inputs.js';
import {
  qualifyingOf, scanFile, scanRange, sniffFiles, textAlertsOf, wantsWithin, type Collect, type FileScan, type FileSniff, type QualifyingScan,
} from './batch-file.js';
import { qualifyingSources, type DetectionRule } from '../detect/rule.js';
import { DecodePool } from './pool.js';
import { dropEarlyDecodeWorker } from './early-worker.js';

/** Runs per-file tasks: on workers, or one at a time on this thread. */
export interface Executor {
  /** What each file's first records are (sniffFile, in the files' order): which files the hunt scans first, and how. */
  sniff(files: InputFile[], decode: DecodeContext): Promise<FileSniff[]>;
  /** With `collect`, the qualifying events of those IPs come back too (the set given to setAlerted, on workers), packed with setAlerted's rules. */
  scan(f: InputFile, decode: DecodeContext, fast: boolean, progress: (n: number) => void, collect?: ReadonlySet<string>): Promise<FileScan>;
  /** The fast scan of the lines of an NDJSON file that start in `range`; null: scan the file whole. */
  range(f: InputFile, range: ByteRange, decode: DecodeContext, progress: (n: number) => void, collect?: ReadonlySet<string>): Promise<FileScan | null>;
  text(f: InputFile, decode: DecodeContext): Promise<DecodedEvent[]>;
  qualifying(
    f: InputFile, decode: DecodeContext, alerted: ReadonlySet<string>, prefilter: boolean, progress: (n: number) => void, syncs: SyncPoint[],
  ): Promise<QualifyingScan>;
  /**
   * The alerted IPs later passes look for, (with `times`) the windows their
   * events must fall in, and the correlator's rules, whose qualifying tests the
   * tasks run on the events they pack (qualifying-pack.ts).
   */
  setAlerted(ips: string[], times: AlertTimes | undefined, rules: readonly DetectionRule[]): Promise<void>;
  close(): Promise<void>;
}

/** Per alerted IP, its alerts' times (ms, sorted), and the window after each. */
export interface AlertTimes { byIp: ReadonlyMap<string, ArrayLike<number>>; windowMs: number }

/**
 * `kindOf`: the kind of records a file holds as far as is known (the decoder of
 * its first records): the pool keeps one kind to one thread where it can.
 */
export function executorFor(threads: number, framing: FramingOptions, kindOf: (f: InputFile) => string | undefined = () => undefined): Executor {
  if (threads > 1) return poolExecutor(threads, framing, kindOf);
  // (A worker started before the CLI loaded, for a hunt that turned out small: not needed.)
  dropEarlyDecodeWorker();
  return localExecutor(framing);
}

function localExecutor(framing: FramingOptions): Executor {
  // One file at a time, so a folder of thousands of files never holds thousands open.
  let chain: Promise<unknown> = Promise.resolve();
  // What setAlerted said to collect; each task names its IPs itself.
  let collecting: Omit<Collect, 'ips'> = { tests: null };
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    sniff: (files, decode) => serial(() => sniffFiles(files, decode, framing)),
    scan: (f, decode, fast, progress, ips) => serial(() => scanFile(f, decode, framing, fast, progress, ips && { ...collecting, ips })),
    range: (f, range, decode, progress, ips) => serial(() => scanRange(f, range, decode, framing, progress, ips && { ...collecting, ips })),
    text: (f, decode) => serial(() => textAlertsOf(f, decode, framing)),
    qualifying: (f, decode, ips, prefilter, progress, syncs) => serial(() => qualifyingOf(f, decode, framing, { ...collecting, ips }, prefilter, progress, syncs)),
    setAlerted: async (_ips, times, rules) => {
      // (Tasks already queued run with the windows of their turn: setAlerted is awaited before the next pass is queued.)
      collecting = { ...(times ? { wants: wantsWithin(times.byIp, times.windowMs) } : {}), tests: rules.map((r) => r.qualifying) };
    },
    close: async () => {},
  };
}

function poolExecutor(size: number, framing: FramingOptions, kindOf: (f: InputFile) => string | undefined): Executor {
  const pool = new DecodePool(size);
  return {
    sniff: (files, decode) => pool.run<FileSniff[]>({ op: 'sniff', files, decode, framing }),
    scan: (file, decode, fast, progress, collect) => pool.run<FileScan>({ op: 'scan', file, decode, framing, fast, collect: collect !== undefined }, progress, kindOf(file)),
    range: (file, range, decode, progress, collect) =>
      pool.run<FileScan | null>({ op: 'range', file, range, decode, framing, collect: collect !== undefined }, progress, kindOf(file)),
    text: (file, decode) => pool.run<DecodedEvent[]>({ op: 'text', file, decode, framing }, undefined, kindOf(file)),
    qualifying: (file, decode, _alerted, prefilter, progress, syncs) =>
      pool.run<QualifyingScan>({ op: 'qualifying', file, decode, framing, prefilter, syncs }, progress, kindOf(file)),
    setAlerted: (ips, times, rules) => pool.broadcast({
      op: 'alerted', ips, ...(times ? { alertMs: ips.map((ip) => Array.from(times.byIp.get(ip) ?? [])), windowMs: times.windowMs } : {}),
      qualifying: qualifyingSources(rules),
    }),
    close: () => pool.close(),
  };
}

/** A promise awaited later: mark it handled now, so an early failure is not an unhandled rejection. */
export function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
