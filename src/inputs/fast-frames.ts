// hunt's fast framing: the records of an NDJSON file, a streamed JSON array or
// envelope, or a CSV export, cut out at the byte level by the scan kernel
// (scan-kernel.ts), and only the ones that can matter decoded to strings and
// framed — the same items, with the same origins, that frameFile would give for
// them. The others are only counted (onSkip). A record is framed when
//   - the kernel found a hit in it (a network-alert marker in pass 1, an alerted
//     IP in pass 2: the caller configures the kernel),
//   - it is one of the file's first `sample` records,
//   - `frameDamaged` is set and it is not shaped like one JSON object ({…}),
//     so damage is still reported,
// and CSV rows only on a hit when `csvHits` is set (pass 1: never; CSV exports
// carry no network alerts). Inputs it does not read this way (gzip, UTF-16,
// text lines, one pretty-printed document) make it throw NeedsFullFraming
// before it yields anything; so does an oddly shaped JSON document found later
// (the caller then frames the file again in full). Of an NDJSON file, a stretch
// whose every line is a plain "{…}" record is not even looked at line by line:
// the kernel counts its lines and says which hold a hit (findHitLines).
import { closeSync, openSync, readSync } from 'node:fs';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { plainCsvRow, plainHeader } from './csv-rows.js';
import type { RecordOrigin } from '../decoders/types.js';
import { BATCH, fastLayout, frameElement, frameLine, type FramedItem, type InputFormat } from './framing.js';
import { ScanKernel, SEPARATOR_CLOSES, type HitLines, type Separators } from './scan-kernel.js';

export class NeedsFullFraming extends Error {}

export interface FastFramingOptions {
  kernel: ScanKernel;
  maxRecordBytes: number;
  sample: number;
  frameDamaged: boolean;
  csvHits: boolean;
  /**
   * Parse every CSV row (not only the sampled ones and the hits) while this says so:
   * the caller found rows of a decoder that can emit network alerts (an ECS alert
   * export), which must not be counted unparsed.
   */
  csvParseAll?: () => boolean;
  /** Records counted without being framed: called with how many, once per stretch read (a call per record cost more than the counting). */
  onSkip: (records: number) => void;
  onBytes?: (bytes: number) => void;
  onFormat?: (format: InputFormat) => void;
  /** Bytes read at a time (tests use tiny ones to cut records across reads). */
  chunkBytes?: number;
  /** Pass 1: called with element boundaries of streamed arrays, about every SYNC_EVERY bytes. */
  onSync?: (s: SyncPoint) => void;
  /** Pass 2: those boundaries, so stretches without a hit need no structure scan. */
  syncs?: SyncPoint[];
  /**
   * NDJSON only (anything else throws NeedsFullFraming): frame just the lines
   * that start in [from, to), so threads can share one big file. Lines are
   * numbered from the range's first (the caller adds the lines of the ranges
   * before, which onLines reports); onBytes counts from `from`.
   */
  range?: ByteRange;
  /** With `range`: how many lines started in it (called once, at its end). */
  onLines?: (lines: number) => void;
  /**
   * Asked about each JSON record with a hit (not the sampled or damaged ones),
   * and (`csv`, made from the header) each CSV row with a hit: false counts it
   * unparsed (onSkip) instead of framing it. hunt's window gate
   * (hunt/window-gate.ts) lets go the records of alerted IPs far from their alerts.
   */
  gate?: RecordGates;
  /**
   * A JSON record the gate lets through (not a sampled or damaged one), at
   * [from, to) of the kernel's buffer, parsed with only the keys its decoder
   * reads — or null: frame it whole (hunt/pruned-records.ts).
   */
  prune?: (from: number, to: number) => Record<string, unknown> | null;
  /** NDJSON: look at every line, never count plain stretches by the kernel's line count (tests hold the two ways equal). */
  lineByLine?: boolean;
  /**
   * Called (once) when the records read may hold one of the keys configureKeys
   * set, or a backslash (kernel.mayHoldKeys, over the bytes of every JSON record
   * looked at or counted), or at once for a CSV file: with the identity
   * decoders' time keys, hunt learns that an alert source's unparsed records
   * cannot be sign-ins or mail accesses when it is never called.
   */
  onKeys?: () => void;
}

/** RecordGate for JSON records, and for the rows of a CSV with this header (null: none, parse them). */
export interface RecordGates {
  json: RecordGate;
  csv?: (header: readonly string[]) => RecordGate | null;
}

/**
 * Should a JSON record with hits be framed? Its bytes are buf[from, to); its
 * hits are hits[first, last) (positions in buf, as the kernel reports them).
 */
export type RecordGate = (buf: Buffer, from: number, to: number, hits: Uint32Array, first: number, last: number) => boolean;

/** Byte offsets [from, to) in a file. */
export interface ByteRange {
  from: number;
  to: number;
}

/** A place in a streamed JSON array where an element's segment starts (right after a separator). */
export interface SyncPoint {
  /** File offset. */
  offset: number;
  /** Line of the separator before it. */
  line: number;
  /** Index of the next element. */
  index: number;
}

const CHUNK = 1 << 20;
/**
 * Pass 1 gives out a sync point (an element boundary) about this often in a
 * streamed array: small enough that most stretches hold no alerted IP even when
 * thousands are alerted, large enough that the points cost little memory
 * (16 per MB of arrays).
 */
const SYNC_EVERY = 64 << 10;
/**
 * The event loop gets a turn this often. Often enough that on the main thread,
 * which decodes files beside the workers, a worker's "done" is heard within a few
 * milliseconds and it gets its next file (it waited for the main thread's whole
 * file before); a turn costs microseconds.
 */
const YIELD_EVERY = 4 << 20;
const HEAD = 65536;
const LF = 0x0a;
const CR = 0x0d;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * The file's bytes in the kernel's buffer: [0, len), refilled a chunk at a time.
 * Reads are synchronous (an async read per megabyte costs more than it reads
 * from the page cache); every YIELD_EVERY bytes the event loop gets a turn, so
 * a progress bar on this thread still moves.
 */
class Reader {
  len = 0;
  eof = false;
  private pos: number;
  private sinceYield = 0;

  /** Reads from `start`; bytes are reported from `origin` (a range's start) up to `limit` (its end). */
  constructor(
    private readonly fd: number, private readonly k: ScanKernel, private readonly chunk: number, private readonly onBytes?: (n: number) => void,
    start = 0, private readonly origin = start, private readonly limit = Infinity,
  ) {
    this.pos = start;
  }

  private report(): void {
    this.onBytes?.(Math.max(0, Math.min(this.pos, this.limit) - this.origin));
  }

  /** Appends the next chunk; the kernel buffer may be reallocated (re-read k.buffer after). */
  async fill(): Promise<void> {
    this.k.ensure(this.len + this.chunk);
    const bytesRead = readSync(this.fd, this.k.buffer, this.len, this.chunk, this.pos);
    this.sinceYield += bytesRead;
    if (this.sinceYield >= YIELD_EVERY) {
      this.sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.pos += bytesRead;
    this.len += bytesRead;
    if (bytesRead === 0) this.eof = true;
    this.report();
    this.k.pad(this.len);
  }

  /** File offset of the buffer's first byte. */
  get base(): number {
    return this.pos - this.len;
  }

  /** Replaces the buffer's contents with the file's bytes [from, to) (to the end when to is null). */
  async load(from: number, to: number | null): Promise<void> {
    this.len = 0;
    this.pos = from;
    this.eof = false;
    if (to === null) {
      while (!this.eof) await this.fill();
      return;
    }
    const want = to - from;
    this.k.ensure(want);
    while (this.len < want && !this.eof) {
      const n = readSync(this.fd, this.k.buffer, this.len, want - this.len, this.pos);
      if (n === 0) this.eof = true;
      this.pos += n;
      this.len += n;
      this.report();
    }
    this.k.pad(this.len);
  }

  /** Drops [0, from): what is left moves to the start of the buffer. */
  shift(from: number): void {
    if (from <= 0) return;
    const b = this.k.buffer;
    b.copy(b, 0, from, this.len);
    this.len -= from;
    this.k.pad(this.len);
  }
}

/** Which records of the sorted `hits` fall in [from, to)? A cursor over them. */
class HitCursor {
  private i = 0;
  constructor(private hits: Uint32Array) {}
  reset(hits: Uint32Array): void {
    this.hits = hits;
    this.i = 0;
  }
  any(from: number, to: number): boolean {
    const h = this.hits;
    while (this.i < h.length && h[this.i]! < from) this.i++;
    return this.i < h.length && h[this.i]! < to;
  }
  /** After any(from, to) held: does the gate (if any) let the record in buf[s, e) through? */
  passes(gate: RecordGate | undefined, buf: Buffer, to: number, s: number, e: number): boolean {
    if (!gate) return true;
    const h = this.hits;
    let j = this.i;
    while (j < h.length && h[j]! < to) j++;
    return gate(buf, s, e, h, this.i, j);
  }
}

/**
 * The options with every member present, in one order: callers pass objects of
 * several shapes (the sniff's, pass 1's, a range's, a gated pass's), and the
 * framing loops read them per record, so each new shape deoptimized them and
 * V8 compiled them again (ndjson, the biggest, ~5 times per thread in a 1M-record
 * hunt, each ~40-100 ms of a compiler thread that shares the two cores).
 */
function sameShape(o: FastFramingOptions): FastFramingOptions {
  // Every member named (the type makes a new option that is not listed here an error, not a silent drop).
  const shaped: { [K in keyof Required<FastFramingOptions>]: FastFramingOptions[K] } = {
    kernel: o.kernel,
    maxRecordBytes: o.maxRecordBytes,
    sample: o.sample,
    frameDamaged: o.frameDamaged,
    csvHits: o.csvHits,
    csvParseAll: o.csvParseAll,
    onSkip: o.onSkip,
    onBytes: o.onBytes,
    onFormat: o.onFormat,
    chunkBytes: o.chunkBytes,
    onSync: o.onSync,
    syncs: o.syncs,
    range: o.range,
    onLines: o.onLines,
    gate: o.gate,
    prune: o.prune,
    lineByLine: o.lineByLine,
    onKeys: o.onKeys,
  };
  return shaped;
}

export async function* fastFrameFile(path: string, display: string, options: FastFramingOptions): AsyncGenerator<FramedItem[]> {
  const o = sameShape(options);
  const fd = openSync(path, 'r');
  try {
    const chunk = o.chunkBytes ?? CHUNK;
    if (o.range && o.range.from > 0) {
      // Mid-file: the line under `from` began in the range before; ours start after its newline.
      const r = new Reader(fd, o.kernel, chunk, o.onBytes, o.range.from - 1, o.range.from, o.range.to);
      for (;;) {
        await r.fill();
        const nl = o.kernel.buffer.subarray(0, r.len).indexOf(LF);
        if (nl >= 0) {
          o.onFormat?.('ndjson');
          yield* ndjson(r, nl + 1, display, o);
          return;
        }
        if (r.eof) {
          o.onLines?.(0);
          return;
        }
        r.shift(r.len);
      }
    }
    const r = new Reader(fd, o.kernel, chunk, o.onBytes, 0, 0, o.range?.to);
    while (!r.eof && r.len < HEAD) await r.fill();
    const found = fastLayout(o.kernel.buffer.subarray(0, Math.min(r.len, HEAD)), path, display);
    if (!found || (o.range && found.layout !== 'ndjson')) throw new NeedsFullFraming();
    if (found.layout === 'ndjson') {
      o.onFormat?.('ndjson');
      yield* ndjson(r, found.offset, display, o);
    } else if (found.layout === 'json-stream') {
      const start = arrayStart(o.kernel.buffer, found.offset, r.len);
      if (!start) throw new NeedsFullFraming();
      o.onFormat?.('json');
      yield* jsonStream(r, start, display, o);
    } else {
      o.onFormat?.('csv');
      yield* csv(r, found.offset, display, o);
    }
  } finally {
    closeSync(fd);
  }
}

/** onKeys's test of the records in buffer [from, to): once it has been called, the kernel is not asked again. */
function checkKeys(o: FastFramingOptions, from: number, to: number): void {
  if (o.onKeys && from < to && o.kernel.mayHoldKeys(from, to)) {
    o.onKeys();
    o.onKeys = undefined;
  }
}

function tooLarge(origin: RecordOrigin, what: string, max: number): FramedItem {
  return { kind: 'problem', origin, reason: 'record-too-large', message: `${what} longer than ${max} bytes; skipped` };
}

/** Where an NDJSON framing stands: lines passed, non-blank lines, lines counted unparsed (since the last report). */
interface LineCounts {
  lineNo: number;
  ordinal: number;
  skipped: number;
}

/**
 * The line [pos, nl) of the buffer (nl: its newline, or the end of the data):
 * parsed into `batch` when it is one of the file's first `o.sample`, damaged,
 * or names a hit the gate lets through; counted unparsed otherwise.
 */
function takeLine(buf: Buffer, pos: number, nl: number, hits: HitCursor, n: LineCounts, display: string, o: FastFramingOptions, batch: FramedItem[]): void {
  n.lineNo++;
  let e = nl;
  if (e > pos && buf[e - 1] === CR) e--;
  let s = pos;
  while (s < e && isSpace(buf[s]!)) s++;
  if (s >= e) return;
  if (e - pos > o.maxRecordBytes) {
    batch.push(tooLarge({ source: display, line: n.lineNo }, 'line', o.maxRecordBytes));
  } else {
    let last = e - 1;
    while (last > s && isSpace(buf[last]!)) last--;
    const damaged = o.frameDamaged && (buf[s] !== 0x7b || buf[last] !== 0x7d);
    const sampled = n.ordinal < o.sample;
    if (sampled || damaged || (hits.any(pos, nl) && hits.passes(o.gate?.json, buf, nl, s, last + 1))) {
      const pruned = sampled || damaged || !o.prune ? null : o.prune(s, last + 1);
      if (pruned) {
        batch.push({ kind: 'json', value: pruned, origin: { source: display, line: n.lineNo } });
      } else {
        const line = buf.toString('utf8', pos, e);
        if (line.startsWith('#separator')) throw new NeedsFullFraming(); // a Zeek TSV header: frameLines reads those
        frameLine(line, { source: display, line: n.lineNo }, batch);
      }
    } else {
      n.skipped++;
    }
  }
  n.ordinal++;
}

async function* ndjson(r: Reader, offset: number, display: string, o: FastFramingOptions): AsyncGenerator<FramedItem[]> {
  const k = o.kernel;
  const hits = new HitCursor(new Uint32Array(0));
  let from = offset;
  const n: LineCounts = { lineNo: 0, ordinal: 0, skipped: 0 };
  let skipping = false; // inside a line longer than maxRecordBytes
  const to = o.range?.to ?? Infinity;
  for (;;) {
    let batch: FramedItem[] = [];
    let buf = k.buffer;
    // Lines that start at or after this (in the buffer) are the next range's.
    const stop = to - r.base;
    let past = false;
    // Whole lines lie in [from, end).
    let end = r.len;
    if (!r.eof) {
      const nl = r.len > from ? buf.lastIndexOf(LF, r.len - 1) : -1;
      end = nl >= from ? nl + 1 : from;
    }
    if (skipping) {
      // The rest of an over-long line: dropped up to its newline.
      const nl = buf.indexOf(LF, from);
      if (nl >= 0 && nl < end) {
        n.lineNo++;
        batch.push(tooLarge({ source: display, line: n.lineNo }, 'line', o.maxRecordBytes));
        from = nl + 1;
        skipping = false;
      } else {
        from = r.len;
        end = r.len;
      }
    }
    // Plain stretches (every line a "{…}" record, past the sample, all of it this range's, ending
    // in a newline: nearly every megabyte of a big export) go by the kernel's count of their lines,
    // each line with a hit taken alone; any other, line by line.
    let plain: HitLines | null = null;
    if (from < end) {
      if (!o.lineByLine && n.ordinal >= o.sample && stop >= end && buf[from] === 0x7b && buf[end - 1] === LF) {
        plain = k.findHitLines(from, end, o.maxRecordBytes);
        hits.reset(plain.pos);
        if (!plain.plain) plain = null;
      } else {
        hits.reset(k.findHits(from, end));
      }
      checkKeys(o, from, end);
      buf = k.buffer;
    }
    if (plain) {
      let line = 0; // lines of the stretch taken so far
      let next = from; // where line `line` starts
      for (let i = 0; i < plain.pos.length;) {
        const h = plain.pos[i]!;
        const unparsed = plain.line[i]! - line;
        n.lineNo += unparsed;
        n.ordinal += unparsed;
        n.skipped += unparsed;
        const pos = unparsed === 0 ? next : buf.lastIndexOf(LF, h) + 1;
        const nl = buf.indexOf(LF, h);
        takeLine(buf, pos, nl, hits, n, display, o, batch);
        if (batch.length >= BATCH) {
          // Parsed records wait in the batch until decoded: handed over a few at a time (framing.ts BATCH).
          yield batch;
          batch = [];
        }
        line = plain.line[i]! + 1;
        next = nl + 1;
        while (i < plain.pos.length && plain.pos[i]! < nl) i++;
      }
      const unparsed = plain.count - line;
      n.lineNo += unparsed;
      n.ordinal += unparsed;
      n.skipped += unparsed;
    } else {
      for (let pos = from; pos < end;) {
        if (pos >= stop) {
          past = true;
          break;
        }
        let nl = buf.indexOf(LF, pos);
        if (nl < 0 || nl >= end) nl = end;
        takeLine(buf, pos, nl, hits, n, display, o, batch);
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
        pos = nl + 1;
      }
    }
    from = end;
    if (n.skipped > 0) o.onSkip(n.skipped);
    n.skipped = 0;
    if (batch.length > 0) yield batch;
    if (r.eof || past) {
      o.onLines?.(n.lineNo);
      return;
    }
    r.shift(from);
    from = 0;
    if (!skipping && r.len > o.maxRecordBytes) {
      // No newline in more than a record's worth of bytes: the line is too long; drop what we have.
      skipping = true;
      r.shift(r.len);
    }
    await r.fill();
  }
}

/**
 * Where the streamed array's elements start: after the opening bracket of a
 * bare array, or of the "records"/"value" array of an envelope (the first one
 * at depth 1, as JsonArraySplitter picks it), with its depth and line.
 */
function arrayStart(buf: Buffer, from: number, len: number): { at: number; target: number; line: number } | null {
  let i = from;
  while (i < len && isSpace(buf[i]!)) i++;
  if (buf[i] === 0x5b) return { at: i + 1, target: 1, line: lineAt(buf, i) };
  if (buf[i] !== 0x7b) return null;
  let depth = 0;
  let key = '';
  let expectKey = false;
  for (; i < len; i++) {
    const b = buf[i]!;
    if (b === 0x22) {
      let j = i + 1;
      while (j < len && buf[j] !== 0x22) j += buf[j] === 0x5c ? 2 : 1;
      if (j >= len) return null;
      if (depth === 1 && expectKey) key = buf.toString('utf8', i + 1, j);
      expectKey = false;
      i = j;
      continue;
    }
    if (b === 0x7b || b === 0x5b) {
      if (depth === 1 && b === 0x5b && (key === 'records' || key === 'value')) return { at: i + 1, target: 2, line: lineAt(buf, i) };
      depth++;
      if (depth === 1) expectKey = true;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
      if (depth <= 0) return null;
    } else if (b === 0x2c && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}

function lineAt(buf: Buffer, pos: number): number {
  let n = 1;
  for (let i = buf.indexOf(LF); i >= 0 && i < pos; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/** Where the elements of a streamed array stand: the segment being cut, its line, the next index. */
interface ElementCursor {
  from: number;
  line: number;
  index: number;
  closed: boolean;
  /** The current element is too long: its bytes are not kept, it is reported at its end. */
  dropping: boolean;
  /** File offset of the last sync point given out. */
  lastSync: number;
}

/** Frames or counts the elements that end at `seps` (positions in the kernel buffer, whose byte 0 is file offset `base`). */
function takeElements(
  seps: Separators, hits: HitCursor, cur: ElementCursor, base: number, display: string, o: FastFramingOptions, batch: FramedItem[],
): void {
  const buf = o.kernel.buffer;
  let skipped = 0;
  for (let i = 0; i < seps.pos.length; i++) {
    const raw = seps.pos[i]!;
    const sep = (raw & ~SEPARATOR_CLOSES) >>> 0;
    if (cur.closed) throw new NeedsFullFraming(); // a second array at the target depth
    if (cur.dropping) {
      batch.push(tooLarge({ source: display, line: cur.line, index: cur.index }, 'array element', o.maxRecordBytes));
      cur.index++;
      cur.dropping = false;
    } else {
      let s = cur.from;
      let line = cur.line;
      while (s < sep && isSpace(buf[s]!)) {
        if (buf[s] === LF) line++;
        s++;
      }
      let e = sep;
      while (e > s && isSpace(buf[e - 1]!)) e--;
      if (s < e) {
        if (e - s > o.maxRecordBytes) {
          batch.push(tooLarge({ source: display, line, index: cur.index }, 'array element', o.maxRecordBytes));
        } else {
          const damaged = o.frameDamaged && (buf[s] !== 0x7b || buf[e - 1] !== 0x7d);
          const sampled = cur.index < o.sample;
          if (sampled || damaged || (hits.any(s, e) && hits.passes(o.gate?.json, buf, e, s, e))) {
            const origin = { source: display, line, index: cur.index };
            const pruned = sampled || damaged || !o.prune ? null : o.prune(s, e);
            if (pruned) batch.push({ kind: 'json', value: pruned, origin });
            else frameElement(buf.toString('utf8', s, e), origin, batch);
          } else {
            skipped++;
          }
        }
        cur.index++;
      }
    }
    cur.from = sep + 1;
    cur.line = seps.line[i]!;
    if (raw & SEPARATOR_CLOSES) cur.closed = true;
    else if (o.onSync && base + cur.from - cur.lastSync >= SYNC_EVERY) {
      cur.lastSync = base + cur.from;
      o.onSync({ offset: cur.lastSync, line: cur.line, index: cur.index });
    }
  }
  if (skipped > 0) o.onSkip(skipped);
}

async function* jsonStream(r: Reader, start: { at: number; target: number; line: number }, display: string, o: FastFramingOptions): AsyncGenerator<FramedItem[]> {
  const k = o.kernel;
  if (o.syncs) {
    const segments = usableSyncs(o.syncs, r.base + start.at, o.maxRecordBytes);
    if (segments) {
      yield* jsonSegments(r, start, segments, display, o);
      return;
    }
  }
  k.resetStructure(start.target, start.target, start.line);
  const hits = new HitCursor(new Uint32Array(0));
  let scanned = start.at; // the structure scan has reached here
  const cur: ElementCursor = { from: start.at, line: start.line, index: 0, closed: false, dropping: false, lastSync: r.base + start.at };
  for (;;) {
    const batch: FramedItem[] = [];
    const structEnd = r.eof ? r.len : scanned + Math.floor((r.len - scanned) / 64) * 64;
    const seps = k.findSeparators(scanned, structEnd, false);
    scanned = structEnd;
    if (seps.pos.length > 0) {
      const lastSep = seps.pos[seps.pos.length - 1]! & ~SEPARATOR_CLOSES;
      hits.reset(k.findHits(cur.from, lastSep));
      checkKeys(o, cur.from, lastSep);
    }
    takeElements(seps, hits, cur, r.base, display, o, batch);
    if (batch.length > 0) yield batch;
    if (r.eof) break;
    // Keep the unfinished element (or, past the array, nothing) and what is not yet scanned.
    let keep = cur.closed || cur.dropping ? scanned : cur.from;
    if (!cur.closed && !cur.dropping && r.len - cur.from > o.maxRecordBytes) {
      cur.dropping = true;
      keep = scanned;
    }
    r.shift(keep);
    scanned -= keep;
    cur.from = Math.max(0, cur.from - keep);
    await r.fill();
  }
  if (!cur.closed || k.depth !== 0 || k.inString) {
    yield [{
      kind: 'problem', origin: { source: display, line: 0 }, reason: 'invalid-json',
      message: 'the JSON document ends early (truncated or unbalanced); the records before the damage were read',
    }];
  }
}

/** The sync points as segment starts after the array's start, or null when one segment would be too long to hold. */
function usableSyncs(syncs: SyncPoint[], arrayAt: number, maxRecordBytes: number): SyncPoint[] | null {
  let prev = arrayAt;
  for (const s of syncs) {
    if (s.offset <= prev || s.offset - prev > maxRecordBytes + 4 * SYNC_EVERY) return null;
    prev = s.offset;
  }
  return syncs;
}

/**
 * Pass 2 over a streamed array whose element boundaries pass 1 recorded: each
 * stretch between two sync points is read whole and searched for hits, and only
 * a stretch with a hit is cut into elements — the rest is never scanned for
 * structure. (No completeness check: pass 1 reported the document's damage.)
 */
async function* jsonSegments(
  r: Reader, start: { at: number; target: number; line: number }, syncs: SyncPoint[], display: string, o: FastFramingOptions,
): AsyncGenerator<FramedItem[]> {
  const k = o.kernel;
  const hits = new HitCursor(new Uint32Array(0));
  const starts: SyncPoint[] = [{ offset: r.base + start.at, line: start.line, index: 0 }, ...syncs];
  for (let i = 0; i < starts.length; i++) {
    const seg = starts[i]!;
    const end = i + 1 < starts.length ? starts[i + 1]!.offset : null;
    await r.load(seg.offset, end);
    checkKeys(o, 0, r.len);
    const found = k.findHits(0, r.len);
    if (found.length === 0) continue;
    hits.reset(found);
    k.resetStructure(start.target, start.target, seg.line);
    const seps = k.findSeparators(0, r.len, false);
    const cur: ElementCursor = { from: 0, line: seg.line, index: seg.index, closed: false, dropping: false, lastSync: Infinity };
    const batch: FramedItem[] = [];
    try {
      takeElements(seps, hits, cur, r.base, display, { ...o, sample: 0 }, batch);
    } catch (err) {
      if (!(err instanceof NeedsFullFraming)) throw err;
    }
    if (batch.length > 0) yield batch;
  }
}

const CSV_OPTIONS = { relax_column_count: true, skip_empty_lines: true } as const;

/** A CSV row chosen to be parsed, waiting to be parsed with its neighbours (parseRows). */
interface PendingRow { text: string; origin: { source: string; line: number } }
/** Rows parsed together, at most: csv-parse's set-up per call cost about as much as parsing the row. */
const ROWS_PER_PARSE = 256;
const CHARS_PER_PARSE = 4 * 1024 * 1024;

/**
 * Parses chosen CSV rows, as many at a time as can be: csv-parse normalizes its
 * options and builds a parser per call, which cost about as much as parsing the
 * row (~0.8 s of CPU for Purview's 13.7k rows chosen at 1M records, half from
 * alerted IPs). Rows are joined by newlines and parsed in one call when none
 * holds a line break of its own (so each yields its records alone, as when
 * parsed by itself) and the call gives one record per row; otherwise, or on an
 * error, each row is parsed by itself, so a bad row is reported at its line.
 */
function parseRows(rows: PendingRow[], header: string[], out: FramedItem[], crlf: boolean): void {
  // Plain rows (nearly all) are split here, the same cells as csv-parse's (csv-rows.ts); a batch with any other goes to csv-parse whole.
  if (plainHeader(header)) {
    const values: Array<Record<string, string>> = [];
    for (const r of rows) {
      const value = plainCsvRow(r.text, header);
      if (value === null) break;
      values.push(value);
    }
    if (values.length === rows.length) {
      for (let i = 0; i < rows.length; i++) out.push({ kind: 'csv', value: values[i]!, origin: rows[i]!.origin });
      return;
    }
  }
  const options = { ...CSV_OPTIONS, columns: header };
  if (rows.length > 1 && rows.every((r) => r.text.indexOf('\n') < 0 && r.text.indexOf('\r') < 0)) {
    try {
      const parsed = parseCsvSync(rows.map((r) => r.text).join('\n'), { ...options, record_delimiter: '\n' }) as Array<Record<string, string>>;
      if (parsed.length === rows.length) {
        for (let i = 0; i < rows.length; i++) out.push({ kind: 'csv', value: parsed[i]!, origin: rows[i]!.origin });
        return;
      }
    } catch {
      // Row by row below: the error belongs to one of them.
    }
  }
  // A row by itself ends where the file's record delimiter does, as the full framing reads it:
  // left to guess, csv-parse would take a carriage return in the row for one.
  const alone = { ...options, record_delimiter: crlf ? '\r\n' : '\n' };
  for (const { text, origin } of rows) {
    try {
      const parsed = parseCsvSync(text, alone) as Array<Record<string, string>>;
      for (const value of parsed) out.push({ kind: 'csv', value, origin });
    } catch (err) {
      out.push({ kind: 'problem', origin, reason: 'invalid-csv', message: `invalid CSV row: ${(err as Error).message.slice(0, 160)}` });
    }
  }
}

async function* csv(r: Reader, offset: number, display: string, o: FastFramingOptions): AsyncGenerator<FramedItem[]> {
  const k = o.kernel;
  // (A CSV row's keys are its header's: any row may be a sign-in or audit record.)
  o.onKeys?.();
  o.onKeys = undefined;
  k.resetStructure(0, 0, 1);
  const hits = new HitCursor(new Uint32Array(0));
  let scanned = offset;
  let rowFrom = offset;
  let rowLine = 1;
  let header: string[] | null = null;
  let rowGate: RecordGate | undefined;
  let ordinal = 0;
  let dropping = false;
  let skipped = 0;
  const pending: PendingRow[] = [];
  let pendingChars = 0;
  // Lines as the full framing numbers them (csv-parse's count): the kernel counts
  // newlines; csv-parse also counts each carriage return, but the one of a CRLF
  // that ends a record in a CRLF file. Those are added up here, row by row.
  let crlfFile = false;
  let extraLines = 0;
  for (;;) {
    let batch: FramedItem[] = [];
    // The rows waiting to be parsed go into the batch before anything after them.
    const flush = (): void => {
      if (pending.length === 0) return;
      parseRows(pending, header!, batch, crlfFile);
      pending.length = 0;
      pendingChars = 0;
    };
    const structEnd = r.eof ? r.len : scanned + Math.floor((r.len - scanned) / 64) * 64;
    const seps = k.findSeparators(scanned, structEnd, true);
    scanned = structEnd;
    const ends = Array.from(seps.pos);
    const lines = Array.from(seps.line, (l) => l + 1);
    // The last row may end at the end of the file rather than at a newline.
    const lastEnd = ends.length > 0 ? ends[ends.length - 1]! + 1 : rowFrom;
    if (r.eof && lastEnd < r.len) {
      ends.push(r.len);
      lines.push(0);
    }
    if (ends.length > 0 && o.csvHits) hits.reset(k.findHits(rowFrom, ends[ends.length - 1]!));
    const buf = k.buffer;
    let nextCr = buf.indexOf(CR, rowFrom);
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      const origin = (): { source: string; line: number } => ({ source: display, line: rowLine });
      let e = end;
      if (e > rowFrom && buf[e - 1] === CR) e--;
      let rowCrs = 0;
      while (nextCr >= 0 && nextCr < end) {
        rowCrs++;
        nextCr = buf.indexOf(CR, nextCr + 1);
      }
      if (header === null && e > rowFrom) {
        // csv-parse takes the first line ending it meets for the record delimiter: a bare CR
        // in the header line would make it split rows on CRs, where the kernel splits on newlines.
        if (rowCrs > (e < end ? 1 : 0)) throw new NeedsFullFraming();
        crlfFile = e < end;
      }
      // A row that ends otherwise than the header (CRLF in a file of newlines, or the reverse)
      // ends elsewhere to csv-parse than to the kernel: in a CRLF file a newline alone is inside a
      // cell, in a file of newlines a carriage return before one is in the row. Read in full.
      if (header !== null && end < r.len && crlfFile !== (e < end)) throw new NeedsFullFraming();
      const rowExtra = rowCrs - (crlfFile && e < end ? 1 : 0);
      if (dropping) {
        flush();
        batch.push(tooLarge(origin(), 'CSV row', o.maxRecordBytes));
        dropping = false;
      } else if (e > rowFrom) {
        if (e - rowFrom > o.maxRecordBytes) {
          flush();
          batch.push(tooLarge(origin(), 'CSV row', o.maxRecordBytes));
        } else if (header === null) {
          header = (parseCsvSync(buf.toString('utf8', rowFrom, e)) as string[][])[0]?.map((h) => h.trim()) ?? [];
          rowGate = o.gate?.csv?.(header) ?? undefined;
        } else {
          if (ordinal < o.sample || o.csvParseAll?.() || (o.csvHits && hits.any(rowFrom, e) && hits.passes(rowGate, buf, e, rowFrom, e))) {
            const text = buf.toString('utf8', rowFrom, e);
            pending.push({ text, origin: origin() });
            pendingChars += text.length;
            if (pending.length >= ROWS_PER_PARSE || pendingChars >= CHARS_PER_PARSE) flush();
          } else {
            skipped++;
          }
          ordinal++;
          // The sampled rows go to the caller before any row after them is judged:
          // what they are decides whether the rest is parsed (csvParseAll), and a
          // caller that wants only them (sniffFile) stops there instead of waiting
          // for the file's end, where chosen rows are otherwise parsed.
          if (ordinal === o.sample) {
            flush();
            if (batch.length > 0) {
              yield batch;
              batch = [];
            }
          }
        }
      }
      rowFrom = end + 1;
      extraLines += rowExtra;
      rowLine = lines[i]! + extraLines;
    }
    // Chosen rows wait across reads (the file's end, or a full set, parses them): a row
    // or two per 1 MB read, at the lowest shares, each paid csv-parse's set-up alone.
    if (r.eof) flush();
    if (skipped > 0) o.onSkip(skipped);
    skipped = 0;
    if (batch.length > 0) yield batch;
    if (r.eof) return;
    let keep = dropping ? scanned : rowFrom;
    if (!dropping && r.len - rowFrom > o.maxRecordBytes) {
      dropping = true;
      keep = scanned;
    }
    r.shift(keep);
    scanned -= keep;
    rowFrom = Math.max(0, rowFrom - keep);
    await r.fill();
  }
}
