// The batch pipeline behind `crosswatch hunt`: sources → framing → decoders →
// correlator → alert documents. Passes over the files keep memory flat: pass 1
// decodes everything (for the counters) and feeds only network alerts; the
// correlator is then sealed, and pass 2 hands over only the sign-ins and mail
// accesses of IPs that had an alert. Files that held no sign-in or mail access
// in pass 1 are not read again. Large inputs take the fast way (docs/detections.md,
// "Memory and speed"): records found in raw bytes, and most files read once —
// alert sources first, then the rest searched for markers and alerted IPs
// together. The per-file work (batch-file.ts) runs on several threads when the
// input is large enough to pay for them, big NDJSON files in pieces; results are
// merged in file order, so the answer and the summary are the same whatever the
// number of threads.
import { availableParallelism } from 'node:os';
import type { RuleDefinition } from '../detect/rules.js';
import type { AlertDocument } from '../model/alert.js';
import { alertsOf } from '../detect/alerts.js';
import type { CorrelatorConfig } from '../detect/config.js';
import { Correlator, type CorrelatorStats } from '../detect/correlator.js';
import type { DecodeContext } from '../decoders/types.js';
import type { DecodedEvent } from '../model/event.js';
import { DEFAULT_FRAMING, type FramingOptions } from '../inputs/framing.js';
import type { ByteRange, SyncPoint } from '../inputs/fast-frames.js';
import type { InputFile } from '../inputs/inputs.js';
import {
  mergeScans, qualifyingOf, scanFile, scanRange, sniffFile, textAlertsOf, wantsWithin, type FileScan, type FileSniff, type QualifyingScan, type WantsEvent,
} from './batch-file.js';
import { Counters } from '../pipeline/counters.js';
import { DecodePool } from './pool.js';

export interface BatchOptions {
  config: CorrelatorConfig;
  rules: RuleDefinition[];
  decode: DecodeContext;
  framing?: Partial<FramingOptions>;
  /** Decode threads: 1 runs everything on the main thread; default: one per core for large inputs. */
  threads?: number;
  /**
   * Pass 2 parses only records whose raw text can name an alerted IP (default
   * true). Off, every record is parsed again: the straightforward path the fast
   * one is tested against.
   */
  prefilter?: boolean;
  /**
   * Fast first pass: JSON records without a network-alert marker and CSV rows
   * are counted, not parsed (alert-markers.ts). Default: on for inputs of 64 MB
   * or more (and off with a --map mapping, whose fields are the user's).
   */
  fastScan?: boolean;
  /** The size of the pieces big NDJSON files are read in by several threads (default: from the input, see PIECES_PER_THREAD); tests set small ones. */
  pieceBytes?: number;
  /** Bytes read so far over all passes, and the bytes the passes planned so far will read (for a progress bar). */
  onProgress?: (bytesDone: number, bytesPlanned: number) => void;
  /** When the alerts are raised (the documents' @timestamp). */
  now?: () => Date;
}

export interface BatchResult {
  alerts: AlertDocument[];
  counters: Counters;
  correlation: CorrelatorStats;
  files: number;
  bytes: number;
  threads: number;
  /** Whether the fast first pass ran (the summary then says what it did not parse). */
  fastScan: boolean;
}

/**
 * A fast hunt cuts big NDJSON files into about this many pieces per thread (of
 * the bytes a group of files holds), so that one big file does not keep one
 * thread busy while the others wait: the alert sources are read before
 * anything else can be, and are often one big eve.json. Pieces are no smaller
 * than MIN_PIECE_BYTES, where a task's own cost starts to show.
 */
const PIECES_PER_THREAD = 4;
const MIN_PIECE_BYTES = 8 * 1024 * 1024;

/** Below this much input, starting workers costs more than it saves. */
const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
/** From this much input on, the first pass parses only what can be a network alert. */
const FAST_SCAN_MIN_BYTES = 64 * 1024 * 1024;
/**
 * The fast pass dates the data from each file's first records only: a year-less
 * stamp may then be up to this much later than the reference and keep its year.
 */
const FAST_REFERENCE_SLACK_MS = 45 * 86_400_000;

export function defaultThreads(files: InputFile[]): number {
  const bytes = files.reduce((n, f) => n + f.size, 0);
  if (files.length < 2 || bytes < PARALLEL_MIN_BYTES) return 1;
  return Math.max(1, Math.min(availableParallelism(), files.length));
}

/** Runs per-file tasks: on workers, or one at a time on this thread. */
interface Executor {
  /** With `collect`, the qualifying events of those IPs come back too (the set given to setAlerted, on workers). */
  scan(f: InputFile, decode: DecodeContext, fast: boolean, progress: (n: number) => void, collect?: ReadonlySet<string>): Promise<FileScan>;
  /** The fast scan of the lines of an NDJSON file that start in `range`; null: scan the file whole. */
  range(f: InputFile, range: ByteRange, decode: DecodeContext, progress: (n: number) => void, collect?: ReadonlySet<string>): Promise<FileScan | null>;
  text(f: InputFile, decode: DecodeContext): Promise<DecodedEvent[]>;
  qualifying(
    f: InputFile, decode: DecodeContext, alerted: ReadonlySet<string>, prefilter: boolean, progress: (n: number) => void, syncs: SyncPoint[],
  ): Promise<QualifyingScan>;
  /** The alerted IPs later passes look for, and (with `times`) the windows their events must fall in. */
  setAlerted(ips: string[], times?: AlertTimes): Promise<void>;
  close(): Promise<void>;
}

/** Per alerted IP, its alerts' times (ms, sorted), and the window after each. */
interface AlertTimes { byIp: ReadonlyMap<string, ArrayLike<number>>; windowMs: number }

function localExecutor(framing: FramingOptions): Executor {
  // One file at a time, so a folder of thousands of files never holds thousands open.
  let chain: Promise<unknown> = Promise.resolve();
  let wants: WantsEvent | undefined;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    scan: (f, decode, fast, progress, collect) => serial(() => scanFile(f, decode, framing, fast, progress, collect, collect && wants)),
    range: (f, range, decode, progress, collect) => serial(() => scanRange(f, range, decode, framing, progress, collect, collect && wants)),
    text: (f, decode) => serial(() => textAlertsOf(f, decode, framing)),
    qualifying: (f, decode, alerted, prefilter, progress, syncs) => serial(() => qualifyingOf(f, decode, framing, alerted, prefilter, progress, syncs, wants)),
    setAlerted: async (_ips, times) => {
      // (Tasks already queued run with the windows of their turn: setAlerted is awaited before the next pass is queued.)
      wants = times ? wantsWithin(times.byIp, times.windowMs) : undefined;
    },
    close: async () => {},
  };
}

function poolExecutor(size: number, framing: FramingOptions): Executor {
  const pool = new DecodePool(size);
  return {
    scan: (file, decode, fast, progress, collect) => pool.run<FileScan>({ op: 'scan', file, decode, framing, fast, collect: collect !== undefined }, progress),
    range: (file, range, decode, progress, collect) => pool.run<FileScan | null>({ op: 'range', file, range, decode, framing, collect: collect !== undefined }, progress),
    text: (file, decode) => pool.run<DecodedEvent[]>({ op: 'text', file, decode, framing }),
    qualifying: (file, decode, _alerted, prefilter, progress, syncs) => pool.run<QualifyingScan>({ op: 'qualifying', file, decode, framing, prefilter, syncs }, progress),
    setAlerted: (ips, times) => pool.broadcast({
      op: 'alerted', ips, ...(times ? { alertMs: ips.map((ip) => Array.from(times.byIp.get(ip) ?? [])), windowMs: times.windowMs } : {}),
    }),
    close: () => pool.close(),
  };
}

/** A promise awaited later: mark it handled now, so an early failure is not an unhandled rejection. */
function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export async function runBatch(files: InputFile[], opts: BatchOptions): Promise<BatchResult> {
  const counters = new Counters();
  const correlator = new Correlator(opts.config, opts.rules.map((r) => r.correlation));
  const framing: FramingOptions = { ...DEFAULT_FRAMING, ...opts.framing };
  const threads = opts.threads ?? defaultThreads(files);
  const fast = opts.fastScan ?? (files.reduce((n, f) => n + f.size, 0) >= FAST_SCAN_MIN_BYTES && !opts.decode.genericMap);
  const exec = threads > 1 ? poolExecutor(threads, framing) : localExecutor(framing);
  // Fast hunts search for alerted IPs while counting (see below); the straightforward path reads twice.
  const fused = fast && (opts.prefilter ?? true);
  const size = (fs: InputFile[]): number => fs.reduce((n, f) => n + f.size, 0);
  // Progress: bytes read per file and pass, summed, against the bytes the passes planned so far will read.
  const read = new Map<string, number>();
  let done = 0;
  let planned = fused ? size(files) : 2 * size(files);
  const progress = (key: string) => (n: number): void => {
    done += n - (read.get(key) ?? 0);
    read.set(key, n);
    opts.onProgress?.(done, Math.max(planned, done));
  };
  try {
    // Pass 1: count everything, collect network alerts. Big files first, so the cores finish together.
    const order = [...files].sort((a, b) => b.size - a.size);
    const at = new Map(files.map((f, i) => [f, i]));
    const scans: FileScan[] = new Array<FileScan>(files.length);
    const sniffs = new Map<InputFile, FileSniff>();
    /** The pieces a file is read in, when it is NDJSON and big for its group (null: whole). */
    const piecesOf = (f: InputFile, groupBytes: number): ByteRange[] | null => {
      if (threads < 2 || !sniffs.get(f)?.ndjson) return null;
      const piece = opts.pieceBytes ?? Math.max(MIN_PIECE_BYTES, Math.ceil(groupBytes / (threads * PIECES_PER_THREAD)));
      const n = Math.floor(f.size / piece);
      if (n < 2) return null;
      // (The last piece runs to the end, wherever that is by then, as a whole-file read would.)
      return Array.from({ length: n }, (_, i) => ({ from: Math.floor((i * f.size) / n), to: i === n - 1 ? Infinity : Math.floor(((i + 1) * f.size) / n) }));
    };
    /** Pass 1 over a file, in pieces when that helps; queued now, awaited later. */
    const scanOf = (f: InputFile, groupBytes: number, collect?: ReadonlySet<string>): Promise<FileScan> => {
      const key = `1:${f.path}`;
      const pieces = piecesOf(f, groupBytes);
      if (!pieces) return later(exec.scan(f, opts.decode, fast, progress(key), collect));
      const parts = pieces.map((r, i) => later(exec.range(f, r, opts.decode, progress(`${key}#${i}`), collect)));
      return later((async () => {
        const done = await Promise.all(parts);
        if (done.every((p): p is FileScan => p !== null)) return mergeScans(done);
        // Not readable in pieces after all (say, a Zeek header further down): whole.
        planned += f.size;
        return exec.scan(f, opts.decode, fast, progress(`${key}#whole`), collect);
      })());
    };
    const scanAll = async (fs: InputFile[], collect?: ReadonlySet<string>): Promise<void> => {
      const bytes = size(fs);
      const running = fs.map((f) => scanOf(f, bytes, collect));
      for (let i = 0; i < fs.length; i++) scans[at.get(fs[i]!)!] = await running[i]!;
    };
    const latestOf = (fs: FileScan[]): number | null => fs.reduce<number | null>((m, s) => (s.latestDated !== null && (m === null || s.latestDated > m) ? s.latestDated : m), null);
    // Year-less stamps take their year from the data, not from today: the latest
    // time among records that carry a full date is the reference (DESIGN.md §2).
    const contextFor = (latest: number | null): DecodeContext =>
      latest === null ? opts.decode : { ...opts.decode, reference: { ms: latest + (fast ? FAST_REFERENCE_SLACK_MS : 0), ns: 0 } };
    const textAlerts = new Map<InputFile, { reference: number | null; alerts: DecodedEvent[] }>();
    const decodeText = async (fs: InputFile[], latest: number | null): Promise<void> => {
      const ctx = contextFor(latest);
      const decoded = await Promise.all(fs.map((f) => exec.text(f, ctx)));
      fs.forEach((f, i) => textAlerts.set(f, { reference: latest, alerts: decoded[i]! }));
    };

    // A fast hunt reads most files once: the files that may hold network alerts
    // (judged from their first records) are scanned first; the rest are scanned
    // for markers and, in the same pass, for the IPs alerted so far. Only IPs
    // first alerted on in that second group send the files back for another pass.
    let first = order;
    const rest: InputFile[] = [];
    let searched: ReadonlySet<string> | null = null;
    let earlyTimes: ReadonlyMap<string, number[]> = new Map();
    /** The first group's events of the IPs searched for early (found while the rest was scanned). */
    const earlyEvents = new Map<InputFile, Promise<QualifyingScan>>();
    if (fused) {
      first = [];
      for (const f of order) {
        const sniff = await sniffFile(f, opts.decode, framing);
        sniffs.set(f, sniff);
        (sniff.mayHoldAlerts ? first : rest).push(f);
      }
      await scanAll(first);
      // The IPs alerted on so far, less those the correlator will set aside (internal
      // addresses are in every sign-in log), and when: the rest hands over only their
      // events within a window of those alerts.
      const early = new Map<string, number[]>();
      const note = (a: DecodedEvent): void => {
        const ip = a.event.source?.ip;
        if (!ip || correlator.excludes(ip)) return;
        const times = early.get(ip);
        if (times) times.push(a.at.ms);
        else early.set(ip, [a.at.ms]);
      };
      for (const f of first) scans[at.get(f)!]!.alerts.forEach(note);
      await decodeText(first.filter((f) => scans[at.get(f)!]!.textAlerts), latestOf(first.map((f) => scans[at.get(f)!]!)));
      for (const { alerts } of textAlerts.values()) alerts.forEach(note);
      for (const times of early.values()) times.sort((a, b) => a - b);
      earlyTimes = early;
      searched = new Set(early.keys());
      await exec.setAlerted([...searched], { byIp: early, windowMs: opts.config.windowMs });
      // In the same round, the first group's own sign-ins and mail accesses from those
      // IPs (a file that starts with network records may hold some): one queue,
      // biggest first, so the threads finish together.
      const ctx1 = contextFor(latestOf(first.map((f) => scans[at.get(f)!]!)));
      const firstQualifying = first.filter((f) => scans[at.get(f)!]!.qualifying);
      planned += size(firstQualifying);
      const jobs = [...rest.map((f) => ({ f, scan: true })), ...firstQualifying.map((f) => ({ f, scan: false }))].sort((a, b) => b.f.size - a.f.size);
      const scanning = new Map<InputFile, Promise<FileScan>>();
      const jobBytes = size(jobs.map((j) => j.f));
      for (const { f, scan } of jobs) {
        if (scan) scanning.set(f, scanOf(f, jobBytes, searched));
        else earlyEvents.set(f, later(exec.qualifying(f, ctx1, searched, true, progress(`2:${f.path}`), scans[at.get(f)!]!.syncs)));
      }
      for (const f of rest) scans[at.get(f)!] = await scanning.get(f)!;
      for (const q of earlyEvents.values()) await q;
    } else {
      await scanAll(order);
    }

    let qualifyingSuccess = 0;
    scans.forEach((s) => {
      counters.merge(s.counters);
      for (const a of s.alerts) correlator.add(a);
      qualifyingSuccess += s.qualifyingSuccess;
      correlator.stats.failedEvents += s.failed;
      correlator.stats.withoutIp += s.withoutIp;
    });
    const latest = latestOf(scans);
    const decode2 = contextFor(latest);
    // Text alerts decoded early keep their times only if the reference did not move since.
    const stale = files.filter((f) => scans[at.get(f)!]!.textAlerts && textAlerts.get(f)?.reference !== latest);
    await decodeText(stale, latest);
    for (const f of files) for (const a of textAlerts.get(f)?.alerts ?? []) correlator.add(a);
    correlator.sealNetworkAlerts();

    // Pass 2: only the qualifying events of alerted IPs come back, within a window of their alerts.
    const alerted = correlator.alertedIps();
    const set = new Set(alerted);
    const finalTimes: AlertTimes = { byIp: new Map(alerted.map((ip) => [ip, correlator.alertTimesOf(ip) ?? []])), windowMs: opts.config.windowMs };
    let handedOver = 0;
    const pass2 = async (fs: InputFile[], ips: ReadonlySet<string>): Promise<void> => {
      const withQualifying = fs.filter((f) => scans[at.get(f)!]!.qualifying);
      if (withQualifying.length === 0 || ips.size === 0) return;
      planned += size(withQualifying);
      await exec.setAlerted([...ips], finalTimes);
      const running = new Map(withQualifying.map((f) => [f, later(exec.qualifying(f, decode2, ips, opts.prefilter ?? true, progress(`2:${f.path}`), scans[at.get(f)!]!.syncs))]));
      for (const f of files) {
        const q = running.get(f);
        if (!q) continue;
        const r = await q;
        for (const e of r.events) {
          if (!set.has(e.event.source!.ip!)) continue;
          handedOver++;
          correlator.add(e);
        }
      }
    };
    if (searched) {
      // An IP searched for early whose alerts now include a time it was not searched
      // with (an alert found in the rest, or a text alert re-dated) may have events
      // in a window the first search did not keep: the rest is read again for it.
      const stale = new Set(alerted.filter((ip) => {
        if (!searched.has(ip)) return false;
        const was = new Set(earlyTimes.get(ip));
        return Array.from(finalTimes.byIp.get(ip)!).some((t) => !was.has(t));
      }));
      const found = [...rest.map((f) => scans[at.get(f)!]!.events), ...await Promise.all(first.map(async (f) => (await earlyEvents.get(f))?.events ?? []))];
      for (const events of found) {
        for (const e of events) {
          const ip = e.event.source!.ip!;
          if (set.has(ip) && !stale.has(ip)) correlator.add(e);
        }
      }
      const again = new Set(alerted.filter((ip) => !searched.has(ip) || stale.has(ip)));
      await pass2(first, again);
      await pass2(rest, again);
    } else {
      await pass2(order, set);
    }
    // (In the fast pass, qualifying records were not all parsed: their split is unknown.)
    if (!fast) correlator.stats.unalertedEvents += qualifyingSuccess - handedOver;
  } finally {
    await exec.close();
  }

  const alerts = alertsOf(correlator.finish(), opts.rules, opts.config.windowMs, opts.now ? opts.now() : new Date());
  return {
    alerts,
    counters,
    correlation: correlator.stats,
    files: files.length,
    bytes: files.reduce((n, f) => n + f.size, 0),
    threads,
    fastScan: fast,
  };
}
