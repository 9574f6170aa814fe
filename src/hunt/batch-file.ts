// The per-file work of a batch hunt, the same whether it runs on the main thread
// or in a decode worker: frame and decode one file, and hand back only what the
// correlator needs (network alerts; later, the qualifying events of alerted IPs)
// with the file's counters.
import { withinAWindow } from '../detect/correlator.js';
import { decodeRecord, identityDecoders } from '../decoders/index.js';
import type { DecodeContext } from '../decoders/types.js';
import { detailParts, withDetailParts, type DecodedEvent, type NormalizedEvent } from '../model/event.js';
import { frameFile, type FramedItem, type FramingOptions, type InputFormat } from '../inputs/framing.js';
import { UnreadableInput, type InputFile } from '../inputs/inputs.js';
import { Counters, type CountersData } from '../pipeline/counters.js';
import { decodeFramed, type FramedVisitor } from '../pipeline/decode.js';
import { ipPrefilter } from '../detect/prefilter.js';
import { fastFrameFile, NeedsFullFraming, type ByteRange, type SyncPoint } from '../inputs/fast-frames.js';
import { withKernel } from '../inputs/scan-kernel.js';
import { ipv4Number } from '../model/ip.js';
import { DEFAULT_FUTURE_SKEW_MS } from '../model/time.js';
import { MARKER_WORDS, mayBeNetworkAlert } from '../pipeline/alert-markers.js';
import { configureIdentityKeys, windowGate, type WantsInWindows } from './window-gate.js';
import { prunedRecords } from './pruned-records.js';
import { concatPacks, emptyPack, PackBuilder, type QualifyingPack } from '../detect/qualifying-pack.js';
import type { QualifyingTest } from '../detect/rule.js';

export interface FileScan {
  counters: CountersData;
  /** Network alerts from JSON/CSV records (text-line alerts wait for the data's reference year). */
  alerts: DecodedEvent[];
  textAlerts: boolean;
  /**
   * May the file hold sign-ins or mail accesses (later passes read it for those of
   * alerted IPs)? It held one, or it has records counted unparsed that may be
   * one (in the fast pass without `collect`, only if its bytes may hold an
   * identity decoder's time key: ScanKernel.mayHoldKeys).
   */
  qualifying: boolean;
  /** The latest event time among records that carry a full date, or null. */
  latestDated: number | null;
  /** Sign-ins and mail accesses: successful with a source IP, failed, without a source IP. */
  qualifyingSuccess: number;
  failed: number;
  withoutIp: number;
  /** Element boundaries of a streamed JSON array, for pass 2 (fast-frames.ts); empty otherwise. */
  syncs: SyncPoint[];
  /** With `collect`: the successful sign-ins and mail accesses of those IPs, found in the same pass. */
  events: QualifyingPack;
  /** A scan of a range (scanRange): the lines that started in it. */
  lines: number;
  /**
   * A CSV row of this file came from a decoder that can emit network alerts (not an
   * identity decoder): the fast pass then parses every row of it, since skipping
   * rows is only sound for sign-in and audit exports.
   */
  csvAlerts: boolean;
}

/** A scan that has found nothing yet. */
function emptyScan(counters: Counters): FileScan {
  return {
    counters: counters.toData(), alerts: [], textAlerts: false, qualifying: false, latestDated: null,
    qualifyingSuccess: 0, failed: 0, withoutIp: 0, syncs: [], events: emptyPack(), lines: 0, csvAlerts: false,
  };
}

/** Records of each file decoded in full even in the fast first pass: they date the data and name its decoders. */
const FAST_SAMPLE = 10;

/**
 * Pass 1 over one file: every record counted; network alerts returned. In the
 * fast mode, records are cut out of raw bytes (inputs/fast-frames.ts) and only
 * those with a network-alert marker (alert-markers.ts), or with `collect` one of
 * those IPs, are parsed, after the first FAST_SAMPLE of the file; CSV rows
 * carry no alerts and are parsed only for `collect`. The qualifying events of
 * `collect`'s IPs come back in `events`.
 */
export async function scanFile(
  f: InputFile, decode: DecodeContext, framing: FramingOptions, fast: boolean, onBytes?: (n: number) => void,
  collect?: Collect,
): Promise<FileScan> {
  const done = fast ? await fastScan(f, decode, framing, onBytes, collect) : null;
  if (done) return done;
  let sample = FAST_SAMPLE;
  const pass = collect ? ipPrefilter(collect.ips) : undefined;
  return scanFrames(f, decode, (counters, out) => frameFile(f.path, f.display, {
    ...framing,
    onBytes: (n) => {
      counters.source(f.display).bytes = n;
      onBytes?.(n);
    },
    onFormat: (fmt) => {
      counters.source(f.display).format = fmt;
    },
    ...(fast ? {
      prefilter: (text: string) => sample-- > 0 || mayBeNetworkAlert(text) || (pass !== undefined && pass(text)),
      onSkip: () => {
        counters.unparsedRecord(f.display);
        out.qualifying = true;
      },
    } : {}),
  }), fast ? (row, out) => sample-- <= 0 && !out.csvAlerts && !(pass && pass(Object.values(row).join('\u0001'))) : () => false, collect);
}

/**
 * scanFile's fast pass over the lines of an NDJSON file that start in `range`
 * (so that threads can share a big file; mergeScans puts the parts together).
 * Null when the file cannot be read that way after all (then scan it whole).
 */
export function scanRange(
  f: InputFile, range: ByteRange, decode: DecodeContext, framing: FramingOptions, onBytes?: (n: number) => void,
  collect?: Collect,
): Promise<FileScan | null> {
  return fastScan(f, decode, framing, onBytes, collect, range);
}

/** The byte-level scan (fast-frames.ts), or null when the file or the IPs searched for need the full framing. */
async function fastScan(
  f: InputFile, decode: DecodeContext, framing: FramingOptions, onBytes?: (n: number) => void,
  collect?: Collect, range?: ByteRange,
): Promise<FileScan | null> {
  // Byte-level first: JSON records without a marker (or, with `collect`, one of
  // those IPs) are never decoded to strings.
  const targets = collect ? kernelTargets(collect.ips) : { ipv4: [], v6Heads: [] };
  if (!targets) return null;
  return withKernel(async (kernel) => {
    if (!kernel.configure(MARKER_WORDS, targets.ipv4, targets.v6Heads)) return null;
    // Without `collect` (the alert sources, first): may the records counted unparsed be
    // sign-ins or mail accesses? Only if the bytes hold an identity decoder's time key or a
    // backslash (mayHoldKeys); a sensor's eve.json does not, and was read again for
    // nothing (~0.1-0.2 s of a 1M-record hunt's main thread, docs/performance.md).
    const watch = collect === undefined;
    if (watch) configureIdentityKeys(kernel);
    return scanFrames(f, decode, (counters, out) => {
      // The file may hold them once it has both records counted unparsed and (watched) a key.
      let skipped = false;
      let keys = !watch;
      const mayQualify = (): void => {
        if (skipped && keys) out.qualifying = true;
      };
      return fastFrameFile(f.path, f.display, {
        // (Of a file read in pieces, the first piece holds the records sampled.)
        kernel, maxRecordBytes: framing.maxRecordBytes, sample: range && range.from > 0 ? 0 : FAST_SAMPLE, frameDamaged: true, csvHits: collect !== undefined,
        csvParseAll: () => out.csvAlerts,
        ...(collect?.wants ? { gate: windowGate(kernel, collect.ips, collect.wants, decode) } : {}),
        ...(collect ? { prune: prunedRecords(kernel, decode) } : {}),
        ...(range ? { range, onLines: (n: number) => { out.lines = n; } } : {}),
        onSkip: (records) => {
          counters.unparsedRecords(f.display, records);
          skipped = true;
          mayQualify();
        },
        ...(watch ? {
          onKeys: () => {
            keys = true;
            mayQualify();
          },
        } : {}),
        onBytes: (n) => {
          counters.source(f.display).bytes = n;
          onBytes?.(n);
        },
        onFormat: (fmt) => {
          counters.source(f.display).format = fmt;
        },
        onSync: (sync) => {
          out.syncs.push(sync);
        },
      });
    }, () => false, collect).catch((err: unknown) => {
      if (err instanceof NeedsFullFraming) return null;
      throw err;
    });
  });
}

/** The scans of a file's ranges, in file order, as one scan of the file. */
export function mergeScans(parts: FileScan[]): FileScan {
  const counters = new Counters();
  const out = emptyScan(counters);
  for (const p of parts) {
    // Each range numbered its lines from its own start.
    counters.merge(p.counters, out.lines);
    out.lines += p.lines;
    for (const a of p.alerts) out.alerts.push(a);
    out.textAlerts ||= p.textAlerts;
    out.qualifying ||= p.qualifying;
    out.csvAlerts ||= p.csvAlerts;
    if (p.latestDated !== null && (out.latestDated === null || p.latestDated > out.latestDated)) out.latestDated = p.latestDated;
    out.qualifyingSuccess += p.qualifyingSuccess;
    out.failed += p.failed;
    out.withoutIp += p.withoutIp;
  }
  out.counters = counters.toData();
  out.events = concatPacks(parts.map((p) => p.events));
  return out;
}

/**
 * What a scan collects besides network alerts: the successful sign-ins and
 * mail accesses of these IPs (within a window of one of their alerts, with
 * `wants`), packed with the correlator's rules' qualifying tests run on them
 * (null: the events are packed whole, see QualifyingPack.events).
 */
export interface Collect {
  ips: ReadonlySet<string>;
  wants?: WantsEvent;
  tests: readonly QualifyingTest[] | null;
}

/**
 * Which events of the alerted IPs a pass hands over: those within a window of one
 * of their IP's alerts (the others cannot change an alert, and the busiest
 * addresses have hundreds of thousands). Without it, all of them.
 */
export type WantsEvent = WantsInWindows;

/** WantsEvent for alert times (ms, sorted, per IP): within windowMs after one of the IP's alerts. */
export function wantsWithin(times: ReadonlyMap<string, ArrayLike<number>>, windowMs: number): WantsEvent {
  const wants = (ip: string, ms: number): boolean => {
    const t = times.get(ip);
    return t !== undefined && withinAWindow(t, ms, windowMs);
  };
  return Object.assign(wants, { windows: { times, windowMs } });
}

/** Records of each file decoded before deciding the order of a fast hunt (sniffFile). */
const SNIFF = 10;
/** Bytes read at a time while sniffing (a record longer than that reads on). */
const SNIFF_CHUNK = 64 * 1024;

/** Decoders whose records are never network alerts: the registry's identity decoders (their declared roles). */
const IDENTITY_DECODERS = identityDecoders();

/** What the first records of a file say (sniffFile). */
export interface FileSniff {
  /**
   * Can this file hold network alerts? A record of a network format (even a
   * flow), a text line, or a record no decoder takes says yes. A wrong "no"
   * costs time (another pass for the IPs it turns out to alert on), never an answer.
   */
  mayHoldAlerts: boolean;
  /** Plain NDJSON, which the fast pass can read in ranges (scanRange). */
  ndjson: boolean;
  /**
   * The share of the records looked at that are network alerts (0 when none was
   * read): a file of alerts costs far more per byte to scan than one the kernel
   * skims, as each alert is parsed; the hunt orders its work by it.
   */
  alertShare: number;
  /** The decoder of most of the records looked at (null: none decoded): the kind of records the file holds. */
  decoder: string | null;
}

/**
 * sniffFile of each file, one after the other (a task's worth: a task per file
 * cost a message each way), with a turn of the event loop after each: on the
 * main thread, a worker that finished its files hears of its next task then,
 * not when this thread's whole task is done.
 */
export async function sniffFiles(files: readonly InputFile[], decode: DecodeContext, framing: FramingOptions): Promise<FileSniff[]> {
  const out: FileSniff[] = [];
  for (const f of files) {
    out.push(await sniffFile(f, decode, framing));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

export async function sniffFile(f: InputFile, decode: DecodeContext, framing: FramingOptions): Promise<FileSniff> {
  const judge = async (frames: AsyncGenerator<FramedItem[]>): Promise<Omit<FileSniff, 'ndjson'>> => {
    let mayHoldAlerts = false;
    let alerts = 0;
    let seen = 0;
    const decoders = new Map<string, number>();
    const verdict = (): Omit<FileSniff, 'ndjson'> => ({
      mayHoldAlerts: mayHoldAlerts || seen === 0, alertShare: seen === 0 ? 0 : alerts / seen,
      decoder: [...decoders].reduce<[string | null, number]>((best, d) => (d[1] > best[1] ? d : best), [null, 0])[0],
    });
    for await (const batch of frames) {
      for (const item of batch) {
        if (item.kind === 'problem' || item.kind === 'text') return { ...verdict(), mayHoldAlerts: true };
        const { decoder, result } = decodeRecord(item, decode);
        if (decoder !== null) decoders.set(decoder, (decoders.get(decoder) ?? 0) + 1);
        if (result.ok && result.event.event.crosswatch.role === 'network_alert') alerts++;
        if (!result.ok || decoder === null || !IDENTITY_DECODERS.has(decoder)) mayHoldAlerts = true;
        if (++seen >= SNIFF) return verdict();
      }
    }
    return verdict();
  };
  let format: InputFormat | null = null;
  try {
    const judged = await withKernel(async (kernel) => {
      kernel.configure([], []);
      return judge(fastFrameFile(f.path, f.display, {
        // A small first read: ten records are what it looks at, not the first megabyte of every file.
        kernel, maxRecordBytes: framing.maxRecordBytes, sample: SNIFF, frameDamaged: true, csvHits: false, onSkip: () => {}, chunkBytes: SNIFF_CHUNK,
        onFormat: (fmt) => {
          format = fmt;
        },
      }));
    });
    return { ...judged, ndjson: format === 'ndjson' };
  } catch (err) {
    if (!(err instanceof NeedsFullFraming)) return { mayHoldAlerts: true, ndjson: false, alertShare: 0, decoder: null }; // unreadable: the scan reports it
  }
  try {
    return { ...(await judge(frameFile(f.path, f.display, framing))), ndjson: false };
  } catch {
    return { mayHoldAlerts: true, ndjson: false, alertShare: 0, decoder: null };
  }
}

/** Pass 1's bookkeeping over the framed items of one file. `skipCsv`: count this CSV row unparsed. */
async function scanFrames(
  f: InputFile, decode: DecodeContext,
  frames: (counters: Counters, out: FileScan) => AsyncGenerator<FramedItem[]>,
  skipCsv: (row: Record<string, string>, out: FileScan) => boolean, collect?: Collect,
): Promise<FileScan> {
  const counters = new Counters();
  counters.source(f.display);
  const out = emptyScan(counters);
  const pack = new PackBuilder(collect?.tests ?? null);
  const wants = collect?.wants;
  const visitor: FramedVisitor = {
    problem: (item) => {
      if (item.reason === 'binary-file' || item.reason === 'empty-file' || item.reason === 'invalid-compression') counters.fileProblem(item.origin, item.reason, item.message);
      else counters.rejected(item.origin, null, item.reason, item.message);
    },
    // CSV exports (Purview, Log Analytics, the admin center) carry no network alerts.
    before: (item) => {
      if (item.kind !== 'csv' || !skipCsv(item.value, out)) return true;
      counters.unparsedRecord(f.display);
      out.qualifying = true;
      return false;
    },
    decoded: ({ decoder, result }, item) => {
      if (item.kind === 'csv' && decoder !== null && !IDENTITY_DECODERS.has(decoder)) out.csvAlerts = true;
      if (!result.ok) return;
      const role = result.event.event.crosswatch.role;
      if (item.kind !== 'text') {
        // A record dated after the time of reading dates nothing (DESIGN.md §8): one record
        // dated 9999 would put every year-less stamp in the year 9999.
        const at = result.event.at.ms;
        if (at > decode.reference.ms + DEFAULT_FUTURE_SKEW_MS) counters.futureRecord(item.origin, result.event.event['@timestamp']);
        else if (out.latestDated === null || at > out.latestDated) out.latestDated = at;
      }
      if (role === 'network_alert') {
        if (item.kind === 'text') out.textAlerts = true;
        else out.alerts.push(slimEvent(result.event));
      } else if (role === 'signin' || role === 'mail_access') {
        out.qualifying = true;
        const ip = result.event.event.source?.ip;
        if (!ip) out.withoutIp++;
        else if (result.event.event.event.outcome !== 'success') out.failed++;
        else {
          out.qualifyingSuccess++;
          // A pack of rows reads what a slim event keeps straight from the whole one (no copy made).
          if (collect?.ips.has(ip) && (!wants || wants(ip, result.event.at.ms))) pack.add(pack.keepsEvents ? slimEvent(result.event) : result.event);
        }
      }
    },
  };
  const loop = { ctx: decode, counters: { counters, source: f.display } };
  for await (const batch of guard(frames(counters, out), f)) decodeFramed(batch, loop, visitor);
  out.counters = counters.toData();
  out.events = pack.build();
  return out;
}

/**
 * An event as the correlator reads it (IP, time, role, outcome, identity and the
 * evidence an alert quotes), without the rest: a hunt holds every network
 * alert, and the sign-ins and mail accesses of alerted IPs, until it correlates,
 * so this is what its memory grows with.
 */
export function slimEvent(d: DecodedEvent): DecodedEvent {
  // Field by field, no generic picking: every network alert of a hunt passes here
  // (closures, key lists and Object.entries per event were a tenth of an EVE alert's cost).
  const e = d.event;
  const ev = e.event;
  const event: NormalizedEvent['event'] = { kind: ev.kind, dataset: ev.dataset };
  if (ev.id !== undefined) event.id = ev.id;
  if (ev.severity !== undefined) event.severity = ev.severity;
  if (ev.outcome !== undefined) event.outcome = ev.outcome;
  if (ev.action !== undefined) event.action = ev.action;
  const cw = e.crosswatch;
  const crosswatch: NormalizedEvent['crosswatch'] = { role: cw.role, decoder: cw.decoder };
  if (cw.category !== undefined) crosswatch.category = cw.category;
  const slim: NormalizedEvent = { '@timestamp': e['@timestamp'], event, crosswatch };
  const { source, rule, observer, user, client, user_agent: agent } = e;
  if (source?.ip !== undefined) slim.source = { ip: source.ip };
  if (rule && (rule.id !== undefined || rule.name !== undefined)) {
    slim.rule = {};
    if (rule.id !== undefined) slim.rule.id = rule.id;
    if (rule.name !== undefined) slim.rule.name = rule.name;
  }
  if (observer && (observer.name !== undefined || observer.product !== undefined)) {
    slim.observer = {};
    if (observer.name !== undefined) slim.observer.name = observer.name;
    if (observer.product !== undefined) slim.observer.product = observer.product;
  }
  if (user && (user.name !== undefined || user.email !== undefined)) {
    slim.user = {};
    if (user.name !== undefined) slim.user.name = user.name;
    if (user.email !== undefined) slim.user.email = user.email;
  }
  if (client && (client.app !== undefined || client.client_app !== undefined)) {
    slim.client = {};
    if (client.app !== undefined) slim.client.app = client.app;
    if (client.client_app !== undefined) slim.client.client_app = client.client_app;
  }
  if (agent?.original !== undefined) slim.user_agent = { original: agent.original };
  // What the evidence shows of a sign-in or mail access (MFA, conditional access, risk, location, app ids).
  if (cw.role === 'signin' || cw.role === 'mail_access') withDetailParts(slim, detailParts(e));
  return { at: d.at, event: slim };
}

/** The network alerts written as text lines, decoded with the data's reference time. */
export async function textAlertsOf(f: InputFile, decode: DecodeContext, framing: FramingOptions): Promise<DecodedEvent[]> {
  const out: DecodedEvent[] = [];
  const visitor: FramedVisitor = {
    before: (item) => item.kind === 'text',
    decoded: ({ result }) => {
      if (result.ok && result.event.event.crosswatch.role === 'network_alert') out.push(slimEvent(result.event));
    },
  };
  for await (const batch of guard(frameFile(f.path, f.display, framing), f)) decodeFramed(batch, { ctx: decode }, visitor);
  return out;
}

export interface QualifyingScan {
  /** Successful sign-ins and mail accesses from alerted IPs (within a window of their alerts, when the pass was given the times). */
  events: QualifyingPack;
  /** Records the prefilter let go without parsing: they name no alerted IP. */
  skipped: number;
}

/**
 * Pass 2 over one file: only the successful qualifying events of alerted IPs
 * leave it. With `prefilter`, records whose raw text cannot name an alerted IP
 * are not even parsed (pass 1 has counted them already).
 */
export async function qualifyingOf(
  f: InputFile, decode: DecodeContext, framing: FramingOptions, collect: Collect, prefilter: boolean,
  onBytes?: (n: number) => void, syncs?: SyncPoint[],
): Promise<QualifyingScan> {
  const { ips: alerted, wants } = collect;
  if (prefilter) {
    // Byte-level first: only records where the kernel sees an alerted IP are decoded.
    const targets = kernelTargets(alerted);
    const done = targets && await withKernel(async (kernel) => {
      if (!kernel.configure([], targets.ipv4, targets.v6Heads)) return null;
      const out: QualifyingScan = { events: emptyPack(), skipped: 0 };
      return qualifyingFrames(fastFrameFile(f.path, f.display, {
        kernel, maxRecordBytes: framing.maxRecordBytes, sample: 0, frameDamaged: false, csvHits: true,
        ...(syncs && syncs.length > 0 ? { syncs } : {}),
        ...(wants ? { gate: windowGate(kernel, alerted, wants, decode) } : {}),
        prune: prunedRecords(kernel, decode),
        onSkip: (records) => {
          out.skipped += records;
        },
        ...(onBytes ? { onBytes } : {}),
      }), f, decode, collect, out, undefined).catch((err: unknown) => {
        if (err instanceof NeedsFullFraming) return null;
        throw err;
      });
    });
    if (done) return done;
  }
  const out: QualifyingScan = { events: emptyPack(), skipped: 0 };
  const pass = prefilter ? ipPrefilter(alerted) : undefined;
  const opts: FramingOptions = {
    ...framing,
    ...(onBytes ? { onBytes } : {}),
    ...(pass ? { prefilter: pass, onSkip: () => { out.skipped++; } } : {}),
  };
  return qualifyingFrames(frameFile(f.path, f.display, opts), f, decode, collect, out, pass);
}

async function qualifyingFrames(
  frames: AsyncGenerator<FramedItem[]>, f: InputFile, decode: DecodeContext, collect: Collect,
  out: QualifyingScan, pass: ((text: string) => boolean) | undefined,
): Promise<QualifyingScan> {
  const { ips: alerted, wants } = collect;
  const pack = new PackBuilder(collect.tests);
  const visitor: FramedVisitor = {
    before: (item) => {
      if (item.kind === 'text') return false; // no text format carries sign-ins or mail access
      if (pass && item.kind === 'csv' && !pass(Object.values(item.value).join('\u0001'))) {
        out.skipped++;
        return false;
      }
      return true;
    },
    decoded: ({ result }) => {
      if (!result.ok) return;
      const ev = result.event.event;
      const role = ev.crosswatch.role;
      if (role !== 'signin' && role !== 'mail_access') return;
      const ip = ev.source?.ip;
      if (ip && ev.event.outcome === 'success' && alerted.has(ip) && (!wants || wants(ip, result.event.at.ms))) {
        // (A pack of rows reads the same fields of the whole event as of a slim one: no copy to make.)
        pack.add(pack.keepsEvents ? slimEvent(result.event) : result.event);
      }
    },
  };
  const loop = { ctx: decode, identityOnly: true };
  for await (const batch of guard(frames, f)) decodeFramed(batch, loop, visitor);
  out.events = pack.build();
  return out;
}

/**
 * What the scan kernel looks for so that no record naming an alerted IP is
 * missed (the same spellings as detect/prefilter.ts): IPv4 as numbers (dotted
 * quads and hex IPv4-mapped IPv6), public IPv6 by their first group. Null when
 * that cannot be done (an IPv6 outside 2000::/3).
 */
const targetsCache = new WeakMap<ReadonlySet<string>, { v6Heads: string[]; ipv4: number[] } | null>();

function kernelTargets(alerted: ReadonlySet<string>): { v6Heads: string[]; ipv4: number[] } | null {
  if (targetsCache.has(alerted)) return targetsCache.get(alerted)!;
  const heads = new Set<string>();
  const ipv4: number[] = [];
  let ok = true;
  for (const ip of alerted) {
    const n = ipv4Number(ip);
    if (n !== null) {
      ipv4.push(n);
      continue;
    }
    const head = ip.split(':', 1)[0]!;
    if (!/^[23][0-9a-f]{3}$/.test(head)) ok = false;
    heads.add(head);
  }
  const t = ok ? { v6Heads: [...heads], ipv4 } : null;
  targetsCache.set(alerted, t);
  return t;
}

/** Turns a file that vanished or cannot be opened mid-run into UnreadableInput; a cut-off .gz into a problem. */
export async function* guard(it: AsyncGenerator<FramedItem[]>, f: InputFile): AsyncGenerator<FramedItem[]> {
  try {
    yield* it;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EISDIR' || e.code === 'EIO') {
      throw new UnreadableInput(f.display, e.message);
    }
    if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message ?? '')) {
      // A cut-off .gz keeps what was read before the damage; the rest is reported.
      yield [{ kind: 'problem', origin: { source: f.display, line: 0 }, reason: 'invalid-compression', message: `corrupt or truncated gzip data: ${e.message}` }];
      return;
    }
    throw err;
  }
}
