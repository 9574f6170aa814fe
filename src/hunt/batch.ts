// The batch pipeline behind `crosswatch hunt`: sources → framing → decoders →
// correlator → alert documents. Passes over the files keep memory flat: pass 1
// decodes everything (for the counters) and feeds only network alerts; the
// correlator is then sealed, and pass 2 hands over only the sign-ins and mail
// accesses of IPs that had an alert. Files that held no sign-in or mail access
// in pass 1 are not read again. Large inputs take the fast way (docs/detections.md,
// "Memory and speed"): records found in raw bytes, and most files read once —
// alert sources first, then the rest searched for markers and alerted IPs
// together. The per-file work (batch-file.ts) runs on several threads when the
// input is large enough to pay for them, big NDJSON files in pieces; counters
// are merged in file order and events carry their place in the input (orderOf),
// so the answer and the summary are the same whatever the number of threads and
// whichever finishes first.
import { availableParallelism } from 'node:os';
import type { RuleDefinition } from '../detect/rules.js';
import type { AlertDocument, SigmaAlertDocument } from '../model/alert.js';
import { alertDocuments } from '../detect/alerts.js';
import type { CorrelatorConfig } from '../detect/config.js';
import { Correlator, type CorrelatorStats, type Episode, type PreparedAlert } from '../detect/correlator.js';
import type { DecodeContext } from '../decoders/types.js';
import type { DecodedEvent } from '../model/event.js';
import { DEFAULT_FRAMING, frameFile, type FramingOptions } from '../inputs/framing.js';
import type { ByteRange } from '../inputs/fast-frames.js';
import type { InputFile } from '../inputs/inputs.js';
import { releaseIdleKernels } from '../inputs/scan-kernel.js';
import { emptyPack, type QualifyingPack } from '../detect/qualifying-pack.js';
import type { DetectionRule } from '../detect/rule.js';
import { guard, mergeScans, type FileScan, type FileSniff, type QualifyingScan } from './batch-file.js';
import { GeneralDetector, type GeneralRules } from '../detect/general.js';
import { decodeFramed, type FramedVisitor } from '../pipeline/decode.js';
import { Counters } from '../pipeline/counters.js';
import { executorFor, later, type AlertTimes, type Executor } from './executor.js';
import { PARALLEL_MIN_BYTES } from './early-worker.js';

export interface BatchOptions {
  config: CorrelatorConfig;
  rules: RuleDefinition[];
  /** The alerting rules of the general Sigma path (detect/general.ts): a full pass of their own. */
  general?: GeneralRules | null;
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
  /**
   * The sample of the identity data a fast hunt judges the shared-infrastructure
   * cap on first (see CapSample; default DEFAULT_CAP_SAMPLE); false: none, every
   * record in a window of an alert is read. Tests set small ones.
   */
  capSample?: CapSample | false;
}

/**
 * A fast hunt first reads a sample of each big NDJSON file of sign-ins and
 * audit records: `ranges` stretches of `rangeBytes`, spread evenly, `share` of
 * the file in all, for files of `minFileBytes` or more. The alerts whose windows
 * already hold more users than the cap in it (Correlator.alertsOverCap) can
 * never be live, so the rest of the data is read only in the windows of the
 * others: the busy addresses sensors alert on (a NAT'd office, a VPN egress)
 * are most of the records in windows, and the cap drops their alerts anyway.
 */
export interface CapSample {
  minFileBytes: number;
  rangeBytes: number;
  share: number;
}

/**
 * A sixteenth of each file of 32 MB or more, in stretches of 4 MB: at 1M
 * records with half the identity records from alerted IPs, 41 % of the
 * successful sign-ins and mail accesses in windows came from 9 addresses over
 * the cap, and a sixteenth of the NDJSON files put 6 of them over it (their
 * records in windows: 46,688 read before, 29,155 after). Stretches spread over
 * a file (most logs are in time order) reach every part of its time span; 2 MB
 * ones found the same alerts in twice the tasks, an eighth no more alerts, a
 * thirty-second fewer. (Whole files of arrays, one in sixteen, reached too few
 * of the windows to find any more.)
 */
export const DEFAULT_CAP_SAMPLE: CapSample = { minFileBytes: 32 * 1024 * 1024, rangeBytes: 4 * 1024 * 1024, share: 1 / 16 };

export interface BatchResult {
  /** The correlation rules' alert documents, made on first use (a CLI hunt streams them with eachAlert instead). */
  readonly alerts: AlertDocument[];
  /** The alerts of the general Sigma rules (none without them). */
  sigmaAlerts: SigmaAlertDocument[];
  /** Every alert document (correlation rules', then Sigma's) one at a time, made as it is read: memory holds one, not all. */
  eachAlert(): Iterable<AlertDocument | SigmaAlertDocument>;
  /** How many alerts each rule raised (rule id → count), correlation and Sigma rules alike. */
  alertCounts: ReadonlyMap<string, number>;
  counters: Counters;
  correlation: CorrelatorStats;
  files: number;
  bytes: number;
  threads: number;
  /** Whether the fast first pass ran (the summary then says what it did not parse). */
  fastScan: boolean;
  /** The sample the shared-infrastructure cap was judged on first (none: no sample was read), and what it found over the cap. */
  capSample?: { bytes: number; alerts: number; ips: number };
}

/**
 * A fast hunt cuts big NDJSON files into about this many pieces per thread (of
 * the bytes a group of files holds), so that one big file does not keep one
 * thread busy while the others wait: the alert sources are read before
 * anything else can be, and are often one big eve.json; and the work per byte
 * varies (records from alerted IPs are parsed), so big pieces left one thread
 * idle at the end. Pieces are no smaller than MIN_PIECE_BYTES, where a task's
 * own cost starts to show.
 */
const PIECES_PER_THREAD = 12;
/**
 * How many times the bytes of a record read in full cost what the kernel's skim
 * of the same bytes costs (~30 µs to parse and decode a 1 KB alert, ~0.3 µs to
 * skim it, at 1M records): weighs a file of alerts when ordering the work.
 */
const ALERT_PARSE_COST = 30;
/** Sniff tasks per thread: a few, so that the threads finish their share of the files together. */
const SNIFF_TASKS_PER_THREAD = 4;
const MIN_PIECE_BYTES = 8 * 1024 * 1024;
/** A piece's events reach the main thread in one message: no more than this much input per piece. */
const MAX_PIECE_BYTES = 128 * 1024 * 1024;

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

export async function runBatch(files: InputFile[], opts: BatchOptions): Promise<BatchResult> {
  const run = new BatchRun(files, opts);
  try {
    await run.firstPass();
    await run.sealNetworkAlerts();
    await run.secondPass();
    await run.generalPass();
  } finally {
    await run.close();
  }
  return run.result(opts.now ? opts.now() : new Date());
}

const sizeOf = (fs: readonly InputFile[]): number => fs.reduce((n, f) => n + f.size, 0);

/**
 * Which file and piece a record comes from, as one number that sorts as (file,
 * piece); the record's index within that piece comes beside it (Correlator.add).
 * Pieces are numbered from 1 (0 is the file read whole); a file is read whole or
 * in pieces, never both for the same IP's events.
 */
const orderOf = (file: number, piece: number): number => file * 2 ** 20 + piece;
const latestOf = (fs: readonly FileScan[]): number | null =>
  fs.reduce<number | null>((m, s) => (s.latestDated !== null && (m === null || s.latestDated > m) ? s.latestDated : m), null);

/**
 * One hunt: the passes over the files and what they leave for the next. Pass 1
 * (firstPass) counts every record and collects the network alerts; the
 * correlator is then sealed (sealNetworkAlerts); pass 2 (secondPass) hands over
 * the sign-ins and mail accesses of the alerted IPs.
 */
class BatchRun {
  private readonly counters = new Counters();
  private readonly correlator: Correlator;
  private readonly framing: FramingOptions;
  private readonly threads: number;
  private readonly fast: boolean;
  /** Fast hunts search for alerted IPs while counting (fusedFirstPass); the straightforward path reads twice. */
  private readonly fused: boolean;
  private readonly exec: Executor;
  /** Every file's pass-1 scan, in file order. */
  private readonly scans: FileScan[];
  /**
   * Every file's network alerts, per piece (or [whole]), as the correlator will
   * keep them: made as each scan comes in (scan.alerts is emptied), added when
   * they are sealed, in file order.
   */
  private readonly pendingAlerts: PreparedAlert[][][];
  private readonly at: Map<InputFile, number>;
  private readonly sniffs = new Map<InputFile, FileSniff>();
  /** Text network alerts (fast.log, syslog...), decoded with the reference year they were decoded with. */
  private readonly textAlerts = new Map<InputFile, { reference: number | null; alerts: DecodedEvent[] }>();
  // Progress: bytes read per file and pass, summed, against the bytes the passes planned so far will read.
  private readonly read = new Map<string, number>();
  private done = 0;
  private planned: number;
  // What a fused first pass leaves for pass 2.
  /** The files scanned first (those that may hold network alerts); all files when not fused. */
  private first: InputFile[];
  private rest: InputFile[] = [];
  /** The IPs the rest was searched for while scanned, and their alert times then. */
  private searched: ReadonlySet<string> | null = null;
  private earlyTimes: ReadonlyMap<string, number[]> = new Map();
  /** The first group's events of the IPs searched for early (found while the rest was scanned). */
  private readonly earlyEvents = new Map<InputFile, Promise<QualifyingScan>>();
  /** The reference time pass 2 decodes with, set when the network alerts are sealed. */
  private decode2: DecodeContext;
  private qualifyingSuccess = 0;
  private general: GeneralDetector | null = null;
  /** The early events cannot be trusted (scanInParts): pass 2 reads every file again for every alerted IP. */
  private rereadAll = false;
  /** What the cap's sample read and found (BatchResult.capSample). */
  private sampled: { bytes: number; alerts: number; ips: number } | null = null;

  /** The correlator's rules (the scans run their qualifying tests). */
  private readonly rules: DetectionRule[];

  constructor(private readonly files: InputFile[], private readonly opts: BatchOptions) {
    this.rules = opts.rules.map((r) => r.correlation);
    this.correlator = new Correlator(opts.config, this.rules);
    this.framing = { ...DEFAULT_FRAMING, ...opts.framing };
    this.threads = opts.threads ?? defaultThreads(files);
    this.fast = opts.fastScan ?? (sizeOf(files) >= FAST_SCAN_MIN_BYTES && !opts.decode.genericMap);
    this.fused = this.fast && (opts.prefilter ?? true);
    this.exec = executorFor(this.threads, this.framing, (f) => this.sniffs.get(f)?.decoder ?? undefined);
    this.planned = this.fused ? sizeOf(files) : 2 * sizeOf(files);
    this.scans = new Array<FileScan>(files.length);
    this.pendingAlerts = files.map(() => []);
    this.at = new Map(files.map((f, i) => [f, i]));
    // Big files first, so the cores finish together.
    this.first = [...files].sort((a, b) => b.size - a.size);
    this.decode2 = opts.decode;
  }

  private scanOfFile(f: InputFile): FileScan {
    return this.scans[this.at.get(f)!]!;
  }

  private progress(key: string): (n: number) => void {
    return (n) => {
      this.done += n - (this.read.get(key) ?? 0);
      this.read.set(key, n);
      this.opts.onProgress?.(this.done, Math.max(this.planned, this.done));
    };
  }

  /** The pieces a file is read in, when it is NDJSON and big for its group (null: whole). */
  private piecesOf(f: InputFile, groupBytes: number): ByteRange[] | null {
    if (this.threads < 2 || !this.sniffs.get(f)?.ndjson) return null;
    const piece = this.pieceBytes(groupBytes);
    // (At most 2^20 - 1 pieces: orderOf numbers them in 20 bits.)
    const n = Math.min(Math.floor(f.size / piece), 2 ** 20 - 1);
    if (n < 2) return null;
    // (The last piece runs to the end, wherever that is by then, as a whole-file read would.)
    return Array.from({ length: n }, (_, i) => ({ from: Math.floor((i * f.size) / n), to: i === n - 1 ? Infinity : Math.floor(((i + 1) * f.size) / n) }));
  }

  /**
   * The stretches of a file read as the cap's sample (CapSample), in file order;
   * null: the file is not sampled. They depend on the file alone, not on the
   * threads, so a hunt reads the same sample whatever its threads.
   */
  private sampleOf(f: InputFile): ByteRange[] | null {
    const c = this.opts.capSample === undefined ? DEFAULT_CAP_SAMPLE : this.opts.capSample;
    if (!c || f.size < c.minFileBytes || !this.sniffs.get(f)?.ndjson) return null;
    // (Stretches no closer than their length: they never overlap.)
    const n = Math.min(Math.max(1, Math.round((f.size * c.share) / c.rangeBytes)), Math.floor(f.size / c.rangeBytes));
    if (n < 1) return null;
    return Array.from({ length: n }, (_, i) => {
      const from = Math.max(0, Math.floor(((i + 0.5) * f.size) / n - c.rangeBytes / 2));
      return { from, to: from + c.rangeBytes };
    });
  }

  /**
   * The stretches of a sampled file between its sample's (a file's start and end
   * included), each cut into pieces as piecesOf would cut a file of its size.
   */
  private restOf(f: InputFile, sample: readonly ByteRange[], groupBytes: number): ByteRange[] {
    const out: ByteRange[] = [];
    const gap = (from: number, to: number): void => {
      if (to <= from) return;
      const size = (to === Infinity ? f.size : to) - from;
      const pieces = this.threads < 2 ? 1 : Math.max(1, Math.floor(size / this.pieceBytes(groupBytes)));
      for (let i = 0; i < pieces; i++) {
        out.push({ from: from + Math.floor((i * size) / pieces), to: i === pieces - 1 ? to : from + Math.floor(((i + 1) * size) / pieces) });
      }
    };
    let at = 0;
    for (const r of sample) {
      gap(at, r.from);
      at = r.to;
    }
    // (The last runs to the end, wherever that is by then, as a whole-file read would.)
    gap(at, Infinity);
    return out;
  }

  private pieceBytes(groupBytes: number): number {
    return this.opts.pieceBytes ?? Math.min(MAX_PIECE_BYTES, Math.max(MIN_PIECE_BYTES, Math.ceil(groupBytes / (this.threads * PIECES_PER_THREAD))));
  }

  /** Pass 1 over a file, in pieces when that helps; queued now, awaited later. */
  private scanOf(f: InputFile, groupBytes: number, collect?: ReadonlySet<string>): Promise<FileScan> {
    return this.scanInParts(f, groupBytes, collect).whole;
  }

  /**
   * scanOf with the pieces' own scans too (none when the file is read whole), so
   * that their events can be taken as each piece is done. `whole` still merges the
   * pieces' events, unless they were taken (emptied) before.
   */
  private scanInParts(
    f: InputFile, groupBytes: number, collect?: ReadonlySet<string>,
  ): { whole: Promise<FileScan>; parts: Array<Promise<FileScan | null>>; places?: number[] } {
    const key = `1:${f.path}`;
    const file = this.at.get(f)!;
    const pieces = this.piecesOf(f, groupBytes);
    const { exec, opts, fast } = this;
    if (!pieces) return { whole: later(exec.scan(f, opts.decode, fast, this.progress(key), collect).then((s) => this.takeAlerts(s, file, 0))), parts: [] };
    const parts = pieces.map((r, i) => later(exec.range(f, r, opts.decode, this.progress(`${key}#${i}`), collect).then((s) => s && this.takeAlerts(s, file, i))));
    const whole = later((async () => {
      const done = await Promise.all(parts);
      if (done.every((p): p is FileScan => p !== null)) return mergeScans(done);
      // Not readable in pieces after all (say, a Zeek header further down): whole.
      this.planned += f.size;
      this.pendingAlerts[file] = [];
      return this.takeAlerts(await exec.scan(f, opts.decode, fast, this.progress(`${key}#whole`), collect), file, 0);
    })());
    return { whole, parts };
  }

  /** A scan's network alerts into pendingAlerts, as the correlator keeps them; the scan is returned without them. */
  private takeAlerts(scan: FileScan, file: number, piece: number): FileScan {
    const prepared = scan.alerts.map((a) => this.correlator.prepareAlert(a));
    // Whether each address is set aside is asked now, while the other thread still scans,
    // not all at once after the first group (the correlator remembers the answers).
    for (const p of prepared) if (p.ip) this.correlator.excludes(p.ip);
    this.pendingAlerts[file]![piece] = prepared;
    scan.alerts = [];
    return scan;
  }

  /** A file's network alerts, in the order of its records. */
  private *alertsOfFile(f: InputFile): Iterable<PreparedAlert> {
    for (const piece of this.pendingAlerts[this.at.get(f)!]!) if (piece) yield* piece;
  }

  private async scanAll(fs: InputFile[], collect?: ReadonlySet<string>): Promise<void> {
    const bytes = sizeOf(fs);
    const running = fs.map((f) => this.scanOf(f, bytes, collect));
    for (let i = 0; i < fs.length; i++) this.scans[this.at.get(fs[i]!)!] = await running[i]!;
  }

  // Year-less stamps take their year from the data, not from today: the latest
  // time among records that carry a full date is the reference (DESIGN.md §2).
  private contextFor(latest: number | null): DecodeContext {
    return latest === null ? this.opts.decode : { ...this.opts.decode, reference: { ms: latest + (this.fast ? FAST_REFERENCE_SLACK_MS : 0), ns: 0 } };
  }

  private async decodeText(fs: InputFile[], latest: number | null): Promise<void> {
    const ctx = this.contextFor(latest);
    const decoded = await Promise.all(fs.map((f) => this.exec.text(f, ctx)));
    fs.forEach((f, i) => this.textAlerts.set(f, { reference: latest, alerts: decoded[i]! }));
  }

  /** Pass 1: count everything, collect network alerts. */
  async firstPass(): Promise<void> {
    if (this.fused) await this.fusedFirstPass();
    else await this.scanAll(this.first);
  }

  // A fast hunt reads most files once: the files that may hold network alerts
  // (judged from their first records) are scanned first; the rest are scanned
  // for markers and, in the same pass, for the IPs alerted so far. Only IPs
  // first alerted on in that second group send the files back for another pass.
  private async fusedFirstPass(): Promise<void> {
    const order = this.first;
    const first: InputFile[] = [];
    // Each file's first records, read on every thread at once, a few files to a task: one at a
    // time on this thread, the 86 files of the bench's vendor formats took ~85 ms while the
    // worker waited (and a task per file, as long again in messages).
    const per = Math.max(1, Math.ceil(order.length / (this.threads * SNIFF_TASKS_PER_THREAD)));
    const groups: InputFile[][] = [];
    for (let i = 0; i < order.length; i += per) groups.push(order.slice(i, i + per));
    const sniffs = (await Promise.all(groups.map((g) => this.exec.sniff(g, this.opts.decode)))).flat();
    order.forEach((f, i) => {
      const sniff = sniffs[i]!;
      this.sniffs.set(f, sniff);
      (sniff.mayHoldAlerts ? first : this.rest).push(f);
    });
    // Costliest first, so the threads finish together: a file of alerts (the records of an
    // alerted-IP feed, a sensor's alert log) is parsed record by record, where the kernel
    // skims the rest; by bytes alone it went last, and one thread parsed it while the other waited.
    const cost = (f: InputFile): number => f.size * (1 + ALERT_PARSE_COST * this.sniffs.get(f)!.alertShare);
    first.sort((a, b) => cost(b) - cost(a));
    this.first = first;
    await this.scanAll(first);
    // The IPs alerted on so far, less those the correlator will set aside (internal
    // addresses are in every sign-in log), and when: the rest hands over only their
    // events within a window of those alerts.
    const early = new Map<string, number[]>();
    // (The correlator answers each address once: the busy ones have thousands of alerts.)
    const note = (ip: string | undefined, ms: number): void => {
      if (!ip || this.correlator.excludes(ip)) return;
      const times = early.get(ip);
      if (times) times.push(ms);
      else early.set(ip, [ms]);
    };
    for (const f of first) for (const a of this.alertsOfFile(f)) note(a.ip, a.entry.at.ms);
    await this.decodeText(first.filter((f) => this.scanOfFile(f).textAlerts), latestOf(first.map((f) => this.scanOfFile(f))));
    for (const { alerts } of this.textAlerts.values()) for (const a of alerts) note(a.event.source?.ip, a.at.ms);
    for (const times of early.values()) times.sort((a, b) => a - b);
    this.earlyTimes = early;
    const searched = new Set(early.keys());
    this.searched = searched;
    await this.exec.setAlerted([...searched], { byIp: early, windowMs: this.opts.config.windowMs }, this.rules);
    // In the same round, the first group's own sign-ins and mail accesses from those
    // IPs (a file that starts with network records may hold some, if its unparsed
    // records may be any: FileScan.qualifying, batch-file.ts fastScan): one queue,
    // biggest first, so the threads finish together.
    const ctx1 = this.contextFor(latestOf(first.map((f) => this.scanOfFile(f))));
    const firstQualifying = first.filter((f) => this.scanOfFile(f).qualifying);
    this.planned += sizeOf(firstQualifying);
    // The cap's sample first (CapSample): the rest is then read only in the windows of
    // the alerts it did not find over the cap, and not at all for an address all of
    // whose alerts it did (this.searched keeps them: pass 2 does not read for them again).
    const jobs = [...this.rest.map((f) => ({ f, scan: true })), ...firstQualifying.map((f) => ({ f, scan: false }))].sort((a, b) => b.f.size - a.f.size);
    const jobBytes = sizeOf(jobs.map((j) => j.f));
    const samples = new Map<InputFile, ByteRange[]>();
    for (const f of this.rest) {
      const sample = this.sampleOf(f);
      if (sample) samples.set(f, sample);
    }
    let sampleScans = new Map<InputFile, Array<FileScan | null>>();
    let restIps: ReadonlySet<string> = searched;
    if (samples.size > 0) {
      sampleScans = await this.readCapSample(samples, searched, jobBytes);
      const over = this.correlator.alertsOverCap(early);
      const left = new Map<string, number[]>();
      let alerts = 0;
      for (const [ip, times] of early) {
        const capped = over.get(ip);
        const keep = capped ? times.filter((t) => !capped.has(t)) : times;
        alerts += times.length - keep.length;
        if (keep.length > 0) left.set(ip, keep);
      }
      const bytes = [...samples.values()].reduce((n, rs) => n + rs.reduce((m, r) => m + (r.to - r.from), 0), 0);
      this.sampled = { bytes, alerts, ips: over.size };
      if (alerts > 0) {
        restIps = new Set(left.keys());
        await this.exec.setAlerted([...restIps], { byIp: left, windowMs: this.opts.config.windowMs }, this.rules);
      }
    }
    const scanning = new Map<InputFile, ReturnType<BatchRun['scanInParts']>>();
    for (const { f, scan } of jobs) {
      const sample = samples.get(f);
      if (sample) scanning.set(f, this.scanRestOf(f, sample, sampleScans.get(f)!, jobBytes, restIps));
      else if (scan) scanning.set(f, this.scanInParts(f, jobBytes, restIps));
      else this.earlyEvents.set(f, later(this.exec.qualifying(f, ctx1, restIps, true, this.progress(`2:${f.path}`), this.scanOfFile(f).syncs)));
    }
    // Their events go to the correlator as soon as each file, or each piece of a
    // file, is done, in whatever order that is: each event carries its place in
    // the input (orderOf), which decides which of two records with one id is kept.
    // So memory holds the correlator's compact entries, not the decoded events of
    // pieces done early waiting for others (at 5M records with half the sign-ins
    // from alerted IPs, waiting for the biggest file held ~100 MB).
    const adding: Array<Promise<unknown>> = [];
    for (const f of this.rest) adding.push(this.takeScan(f, scanning.get(f)!));
    for (const [f, q] of this.earlyEvents) adding.push(q.then((r) => this.addEarly(r.events, this.at.get(f)!, 0)));
    await Promise.all(adding);
    this.earlyEvents.clear();
  }

  /**
   * A scan of the second group (scanInParts, scanRestOf) into this.scans, its
   * events to the correlator as each piece, or the file, is done.
   */
  private takeScan(f: InputFile, { whole, parts, places }: ReturnType<BatchRun['scanInParts']>): Promise<unknown> {
    const file = this.at.get(f)!;
    let taken = 0;
    const taking = parts.map((p, piece) => p.then((part) => {
      if (!part) return;
      this.addEarly(part.events, file, (places?.[piece] ?? piece) + 1);
      part.events = emptyPack();
      taken++;
    }));
    return Promise.all([whole, ...taking]).then(([scan]) => {
      this.scans[file] = scan;
      // (Pieces all taken: their events are in, whether or not the merge copied them too.)
      if (taken === 0) this.addEarly(scan.events, file, 0);
      // Some pieces' events went in, then the file had to be read whole: which of its
      // events are in is unclear, so every alerted IP is read again (rare: a file that
      // looked like NDJSON and was not).
      else if (taken < parts.length) this.rereadAll = true;
      scan.events = emptyPack();
    });
  }

  /**
   * Reads the cap's sample of each file (sampleOf), for the IPs searched early,
   * and hands their events to the correlator: per file, each stretch's scan in
   * file order (null: not readable in pieces after all, see scanRestOf).
   */
  private async readCapSample(
    samples: ReadonlyMap<InputFile, ByteRange[]>, ips: ReadonlySet<string>, groupBytes: number,
  ): Promise<Map<InputFile, Array<FileScan | null>>> {
    const out = new Map<InputFile, Array<FileScan | null>>();
    const reading: Array<Promise<unknown>> = [];
    for (const [f, sample] of samples) {
      const file = this.at.get(f)!;
      const scans: Array<FileScan | null> = new Array(sample.length).fill(null);
      out.set(f, scans);
      // (Each stretch is numbered as a piece by its place among all of the file's: layoutOf.)
      const places: number[] = [];
      this.layoutOf(f, sample, groupBytes).forEach((x, place) => {
        if (x.sample >= 0) places[x.sample] = place;
      });
      sample.forEach((r, i) => reading.push(later(this.exec.range(f, r, this.opts.decode, this.progress(`1:${f.path}#s${i}`), ips)).then((scan) => {
        if (!scan) return;
        this.takeAlerts(scan, file, places[i]!);
        this.addEarly(scan.events, file, places[i]! + 1);
        scan.events = emptyPack();
        scans[i] = scan;
      })));
    }
    await Promise.all(reading);
    return out;
  }

  /**
   * All the stretches a sampled file is read in, in file order: its sample's
   * (`sample`: the index in it) and the rest's (restOf; `sample` -1). A
   * stretch's place here numbers it as a piece (orderOf), sample and rest alike.
   */
  private layoutOf(f: InputFile, sample: readonly ByteRange[], groupBytes: number): Array<{ r: ByteRange; sample: number }> {
    return [...sample.map((r, i) => ({ r, sample: i })), ...this.restOf(f, sample, groupBytes).map((r) => ({ r, sample: -1 }))]
      .sort((a, b) => a.r.from - b.r.from);
  }

  /**
   * A sampled file's scan: the stretches between its sample's (restOf), read now,
   * merged in file order with the sample's scans into `whole`. A stretch not
   * readable in pieces after all (a file that looked like NDJSON and was not) has
   * the file read whole, as scanInParts does, and every alerted IP read again.
   */
  private scanRestOf(
    f: InputFile, sample: readonly ByteRange[], sampleScans: ReadonlyArray<FileScan | null>, groupBytes: number, collect: ReadonlySet<string>,
  ): { whole: Promise<FileScan>; parts: Array<Promise<FileScan | null>>; places: number[] } {
    const key = `1:${f.path}`;
    const file = this.at.get(f)!;
    const all = this.layoutOf(f, sample, groupBytes);
    const { exec, opts, fast } = this;
    const parts: Array<Promise<FileScan | null>> = [];
    const places: number[] = [];
    const partOf = all.map(({ r, sample: i }, place) => {
      if (i >= 0) return Promise.resolve(sampleScans[i] ?? null);
      const p = later(exec.range(f, r, opts.decode, this.progress(`${key}#${place}`), collect).then((s) => s && this.takeAlerts(s, file, place)));
      parts.push(p);
      places.push(place);
      return p;
    });
    const whole = later((async () => {
      const done = await Promise.all(partOf);
      if (done.every((p): p is FileScan => p !== null)) return mergeScans(done);
      this.planned += f.size;
      this.pendingAlerts[file] = [];
      this.rereadAll = true;
      return this.takeAlerts(await exec.scan(f, opts.decode, fast, this.progress(`${key}#whole`), collect), file, 0);
    })());
    return { whole, parts, places };
  }

  /** Events of IPs searched for early, before the network alerts are sealed (secondPass drops those of IPs whose alerts changed). */
  private addEarly(events: QualifyingPack, file: number, piece: number): void {
    this.correlator.addPack(events, orderOf(file, piece));
  }

  /** Pass 1's counts and network alerts into the correlator, text alerts re-dated if the reference moved; then sealed. */
  async sealNetworkAlerts(): Promise<void> {
    const { correlator } = this;
    this.scans.forEach((s, i) => {
      this.counters.merge(s.counters);
      for (const a of this.alertsOfFile(this.files[i]!)) correlator.addPrepared(a);
      this.pendingAlerts[i] = [];
      this.qualifyingSuccess += s.qualifyingSuccess;
      correlator.stats.failedEvents += s.failed;
      correlator.stats.withoutIp += s.withoutIp;
    });
    const latest = latestOf(this.scans);
    this.decode2 = this.contextFor(latest);
    // Text alerts decoded early keep their times only if the reference did not move since.
    const stale = this.files.filter((f) => this.scanOfFile(f).textAlerts && this.textAlerts.get(f)?.reference !== latest);
    await this.decodeText(stale, latest);
    for (const f of this.files) for (const a of this.textAlerts.get(f)?.alerts ?? []) correlator.add(a);
    correlator.sealNetworkAlerts();
  }

  /** Pass 2: only the qualifying events of alerted IPs come back, within a window of their alerts. */
  async secondPass(): Promise<void> {
    const { correlator, searched } = this;
    const alerted = correlator.alertedIps();
    const set = new Set(alerted);
    const finalTimes: AlertTimes = { byIp: new Map(alerted.map((ip) => [ip, correlator.alertTimesOf(ip) ?? []])), windowMs: this.opts.config.windowMs };
    let handedOver = 0;
    const pass2 = async (fs: InputFile[], ips: ReadonlySet<string>): Promise<void> => {
      const withQualifying = fs.filter((f) => this.scanOfFile(f).qualifying);
      if (withQualifying.length === 0 || ips.size === 0) return;
      this.planned += sizeOf(withQualifying);
      await this.exec.setAlerted([...ips], finalTimes, this.rules);
      const running = new Map(withQualifying.map((f) => [
        f, later(this.exec.qualifying(f, this.decode2, ips, this.opts.prefilter ?? true, this.progress(`2:${f.path}`), this.scanOfFile(f).syncs)),
      ]));
      // As each file is done, in any order: the events' places in the input decide duplicates.
      await Promise.all([...running].map(([f, q]) => q.then((r) => {
        handedOver += correlator.addPack(r.events, orderOf(this.at.get(f)!, 0), set);
      })));
    };
    if (searched) {
      // An IP searched for early whose alerts now include a time it was not searched
      // with (an alert found in the rest, or a text alert re-dated) may have events
      // in a window the first search did not keep: the rest is read again for it.
      const stale = new Set(alerted.filter((ip) => {
        if (!searched.has(ip)) return false;
        if (this.rereadAll) return true;
        const was = new Set(this.earlyTimes.get(ip));
        return Array.from(finalTimes.byIp.get(ip)!).some((t) => !was.has(t));
      }));
      // Their events came in early (addEarly): those of stale IPs are read again below.
      correlator.forgetQualifying(stale);
      const again = new Set(alerted.filter((ip) => !searched.has(ip) || stale.has(ip)));
      await pass2(this.first, again);
      await pass2(this.rest, again);
    } else {
      await pass2(this.first, set);
    }
    // (In the fast pass, qualifying records were not all parsed: their split is unknown.)
    if (!this.fast) correlator.stats.unalertedEvents += this.qualifyingSuccess - handedOver;
  }

  /**
   * The general Sigma rules (detect/general.ts) may test any field of any
   * record: every file is read once more, in file order, each record decoded in
   * full (with the reference time pass 1 found) and handed to them.
   */
  async generalPass(): Promise<void> {
    if (!this.opts.general) return;
    const detector = new GeneralDetector(this.opts.general, this.opts.config);
    this.general = detector;
    this.planned += sizeOf(this.files);
    const visitor: FramedVisitor = {
      decoded: ({ result }) => {
        if (result.ok) detector.add(result.event);
      },
    };
    for (const f of this.files) {
      const progress = this.progress(`g:${f.path}`);
      const framing = { ...this.framing, onBytes: progress };
      for await (const batch of guard(frameFile(f.path, f.display, framing), f)) decodeFramed(batch, { ctx: this.decode2 }, visitor);
    }
  }

  close(): Promise<void> {
    releaseIdleKernels();
    return this.exec.close();
  }

  result(now: Date): BatchResult {
    // Episodes are made one at a time, as their alerts are (Correlator.finishPlans).
    const correlator = this.correlator;
    const plans = correlator.finishPlans();
    function* episodes(): Generator<Episode> {
      for (const p of plans) yield correlator.episodeOf(p);
    }
    const rules = this.opts.rules;
    const sigmaAlerts = this.general?.finish(now) ?? [];
    const alertCounts = new Map<string, number>();
    for (const rule of [...plans.map((e) => e.rule), ...sigmaAlerts.map((a) => a.rule.id)]) alertCounts.set(rule, (alertCounts.get(rule) ?? 0) + 1);
    let docs: AlertDocument[] | null = null;
    return {
      get alerts() {
        return (docs ??= [...alertDocuments(episodes(), rules, now)]);
      },
      sigmaAlerts,
      *eachAlert() {
        yield* docs ?? alertDocuments(episodes(), rules, now);
        yield* sigmaAlerts;
      },
      alertCounts,
      counters: this.counters,
      correlation: this.correlator.stats,
      files: this.files.length,
      bytes: sizeOf(this.files),
      threads: this.threads,
      fastScan: this.fast,
      ...(this.sampled ? { capSample: this.sampled } : {}),
    };
  }
}
