// The WebAssembly (SIMD) kernel behind hunt's fast passes, and its memory.
// Source: wasm/scan-kernel.ts (AssemblyScript), built to dist/scan-kernel.wasm by
// `npm run build`. A file's bytes are read straight into the kernel's memory and
// looked at 16 or 64 at a time, so records that cannot matter are never decoded
// to strings (docs/performance.md explains the passes).
//
// Memory layout (byte offsets; the kernel has the same constants):
//   0        quoted words: 8 × 32 bytes — length, 15 spare, 16 case-folded bytes
//   256      quoted keys (findKeys): 8 × 64 bytes — length, 15 spare, 48 case-folded bytes
//   1024     bitmaps of the words' and the keys' first two letters (the kernel fills them)
//   1280     u8 per key hit: which key
//   1536     the window gate's hits of one record: u32 positions (GATE_HIT_CAP)
//   3584     the alerted addresses one record names (the kernel fills it)
//   4096     hits: u32 positions (HIT_CAP)
//   …        separators: u32 positions, then their u32 line numbers (SEP_CAP each);
//            the second also the hits' lines in findHitLines' line mode
//   3 MiB+32K  pruneRecord's keys: 256 × 64 bytes — length, action at the top, action inside, 13 spare, the key
//   3 MiB+48K  their hash slots (u16, 1024), then 8 prefixes of top-level keys (64 bytes each, the same layout)
//   3 MiB+64K  pruneRecord's output, up to 50,000 bytes
//   4 MiB    IPv4 set: open addressing, u32 addresses, 0 = empty slot
//   8 MiB    bitmap of the alerted IPv4s' last two octets (the kernel fills it)
//   8 MiB+64K  the window gate: per IPv4 set slot, 1 + its address's index (u32, 2^18 slots)
//   9 MiB+64K  per address index: u32 first alert time, u32 count
//   9.5 MiB+64K alert times: f64 ms, sorted per address (GATE_MAX_TIMES)
//   11.5 MiB+64K alerted IPv6 addresses, open addressing: 4 u32 words each (groups, big-endian), u32 1 + index (0: empty)
//   12 MiB+64K data buffer: 128 zero bytes before it, 128 bytes of padding after the data
// (Pages of it that are never written cost no memory.)
import { readFileSync } from 'node:fs';

const HITS = 4096;
const HIT_CAP = 262144;
const SEP_POS = HITS + 4 * HIT_CAP;
const SEP_CAP = 262144;
const SEP_LINE = SEP_POS + 4 * SEP_CAP;
const HIT_LINES = SEP_LINE;
const TABLE = 4 << 20;
const TABLE_MAX_LOG2 = 20; // 1 Mi slots: up to 512 Ki alerted IPv4 addresses
const GATE_HITS = 1536;
const GATE_HIT_CAP = 512;
const GATE_IDX = (8 << 20) + 65536;
const GATE_MAX_LOG2 = 18;
const GATE_DIR = GATE_IDX + (1 << 20);
const GATE_MAX_ADDRESSES = 65536;
const GATE_TIMES = GATE_DIR + (512 << 10);
const GATE_MAX_TIMES = 262144;
const GATE_V6 = GATE_TIMES + (2 << 20);
/** The IPv6 table's slots at most (20 bytes each): up to half as many alerted IPv6 addresses are read in the kernel. */
const GATE_V6_MAX_LOG2 = 14;
const PRUNE_KEYS = 0x308000;
const PRUNE_MAX_KEYS = 256;
const PRUNE_PREFIXES = 0x30c800;
const PRUNE_MAX_PREFIXES = 8;
const PRUNE_OUT = 0x310000;
const BUF = (12 << 20) + 65536; // after the gate's tables, with room for the zeros before it
const PAD = 128;
const PAGE = 65536;
/** Set on a separator that closes the array (bit 31). */
export const SEPARATOR_CLOSES = 0x80000000;
const MAX_WORDS = 8;
// findKeys (the window gate's time keys): up to 8 quoted keys of up to 48 bytes.
const KEYS = 256;
const KEY_IDS = 1280;
const MAX_KEYS = 8;
/** findKeys' count when a record has more than it lists (the gate then parses it). */
export const KEY_CAP = 256;
/** A key hit's id for a "\u" escape. */
export const KEY_ESCAPE = 255;

interface Exports {
  memory: WebAssembly.Memory;
  configure(words: number, tableLog2: number, v6: number): void;
  stopped(): number;
  findWords(from: number, to: number): number;
  findIps(from: number, to: number): number;
  findBoth(from: number, to: number): number;
  configureKeys(keys: number): void;
  findKeys(from: number, to: number): number;
  hasUnicodeEscape(from: number, to: number): number;
  mayHoldKeys(from: number, to: number): number;
  resetStructure(depth: number, target: number, line: number): void;
  structureDepth(): number;
  structureInString(): number;
  structureLine(): number;
  findSeparators(from: number, to: number, csv: number): number;
  resetLines(from: number, maxLine: number): void;
  endLines(): void;
  linesPassed(): number;
  linesIrregular(): number;
  configureGate(windowMs: number, zoneless: number, offsetMinutes: number, timeKeys: number, v6Slots: number): void;
  gateJson(from: number, to: number, hits: number): number;
  gateAddV6(w0: number, w1: number, w2: number, w3: number, index: number, slots: number): void;
  configurePrune(keys: number, prefixes: number): void;
  pruneRecord(from: number, to: number): number;
}

/** What pruneRecord does with a member, by its key (PruneKeys). */
export const PruneAction = {
  Drop: 0,
  Keep: 1,
  /** Keep it, and when it is an object prune its members by their `inner` actions. */
  KeepPruned: 2,
  /** Parse the record whole. */
  Bail: 3,
} as const;
export type PruneAction = (typeof PruneAction)[keyof typeof PruneAction];

/** The keys pruneRecord keeps: exact keys (the top level's action and the one inside a KeepPruned member), and prefixes of top-level keys. */
export interface PruneKeys {
  keys: ReadonlyArray<{ key: string; top: PruneAction; inner: typeof PruneAction.Drop | typeof PruneAction.Keep }>;
  prefixes: ReadonlyArray<{ prefix: string; top: PruneAction }>;
}

/** gateJson's answers: leave the record unparsed, parse it, or ask the JavaScript gate. */
export const GATE_SKIP = 0;
export const GATE_PARSE = 1;
export const GATE_ASK = 2;

/** An alerted IP's alert times (ms, sorted) and how long after one an event matters: what gateJson reads. */
export interface AlertWindows {
  times: ReadonlyMap<string, ArrayLike<number>>;
  windowMs: number;
}

let compiled: WebAssembly.Module | undefined;

function module(): WebAssembly.Module {
  if (!compiled) {
    const url = new URL('../../dist/scan-kernel.wasm', import.meta.url);
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch (err) {
      throw new Error(`the scan kernel ${url.pathname} is missing (${(err as Error).message}); run npm run build`);
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** Folds ASCII letters to lower case the way the kernel does (byte | 0x20). */
const fold = (b: number): number => b | 0x20;

/** An IPv6 first group ("2a02") as the kernel reads it before a colon: four folded bytes, little-endian. */
function headKey(head: string): number {
  const b = Buffer.from(head.toLowerCase(), 'latin1');
  if (b.length !== 4) throw new Error(`IPv6 first group ${JSON.stringify(head)} must be 4 hex digits`);
  return (fold(b[0]!) | (fold(b[1]!) << 8) | (fold(b[2]!) << 16) | (fold(b[3]!) << 24)) >>> 0;
}

/** findHitLines' answer. */
export interface HitLines {
  /** Hits, in order (positions relative to the buffer). */
  pos: Uint32Array;
  /** Each hit's line: 0 for the first. */
  line: Uint32Array;
  /** Newlines in the stretch: its lines. */
  count: number;
  /** Every line a plain record (see findHitLines); false also when nothing was looked for. */
  plain: boolean;
}

export interface Separators {
  /** Positions relative to the buffer; bit 31 set on the bracket that closes the array. */
  pos: Uint32Array;
  line: Uint32Array;
}

/** One kernel instance per thread: its memory holds the file buffer being scanned. */
export class ScanKernel {
  private readonly x: Exports;
  /** A view of the whole memory; renewed when the memory grows. */
  private view: Buffer;
  private cap: number;
  /** The kernel function for what configure() named: words, addresses or both in one pass. */
  private finder: ((from: number, to: number) => number) | null = null;

  /** `wasm`: another build of the kernel (bench/kernel.ts compares builds); the project's by default. */
  constructor(wasm: WebAssembly.Module = module()) {
    const instance = new WebAssembly.Instance(wasm, { env: { abort: () => { throw new Error('scan kernel abort'); } } });
    this.x = instance.exports as unknown as Exports;
    this.view = Buffer.from(this.x.memory.buffer);
    this.cap = 0;
    this.ensure(2 << 20);
  }

  /** The data buffer (valid until the next ensure()). */
  get buffer(): Buffer {
    return this.view.subarray(BUF, BUF + this.cap);
  }

  get capacity(): number {
    return this.cap;
  }

  /** Makes room for `bytes` of data (plus padding); the buffer's contents are kept. */
  ensure(bytes: number): void {
    if (bytes <= this.cap) return;
    const need = BUF + bytes + PAD;
    const have = this.x.memory.buffer.byteLength;
    if (need > have) this.x.memory.grow(Math.ceil((need - have) / PAGE));
    this.view = Buffer.from(this.x.memory.buffer);
    this.cap = this.view.length - BUF - PAD;
  }

  /**
   * What findHits looks for: `words` are quoted words matched case-insensitively
   * with their quotes ('"alert"'); `ipv4` alerted addresses (numbers: found as
   * dotted quads and as IPv4-mapped IPv6 in hex); `v6Heads` the first groups of
   * alerted public IPv6 addresses ("2a02", found before a colon, any case).
   * Returns false when there are too many to look for.
   */
  configure(words: string[], ipv4: number[], v6Heads: string[] = []): boolean {
    if (words.length > MAX_WORDS) return false;
    // The same lists as last time (a hunt's hundreds of files and pieces are searched for one
    // set): the needles and the table are in place; refilling them cost ~0.5 ms a file.
    const last = this.configured;
    if (last && last.words === words && last.ipv4 === ipv4 && last.v6Heads === v6Heads) {
      this.x.configure(words.length, this.tableLog2, v6Heads.length > 0 ? 1 : 0);
      return last.ok;
    }
    this.configured = null;
    const ok = this.fill(words, ipv4, v6Heads);
    this.configured = { words, ipv4, v6Heads, ok };
    return ok;
  }

  /** What configure() last set up from (lists compared by identity), and whether it could. */
  private configured: { words: string[]; ipv4: number[]; v6Heads: string[]; ok: boolean } | null = null;

  private fill(words: string[], ipv4: number[], v6Heads: string[]): boolean {
    const v = this.view;
    words.forEach((w, k) => {
      const b = Buffer.from(w, 'latin1');
      if (b.length < 3 || b.length > 16 || b[0] !== 0x22 || b[b.length - 1] !== 0x22) throw new Error(`word ${JSON.stringify(w)} must be quoted, 1 to 14 bytes`);
      const base = k * 32;
      v.fill(0, base, base + 32);
      v[base] = b.length;
      for (let i = 0; i < b.length; i++) v[base + 16 + i] = fold(b[i]!);
    });
    const keys = [...ipv4.filter((ip) => ip !== 0), ...v6Heads.map(headKey)];
    let log2 = 0;
    if (keys.length > 0) {
      log2 = Math.max(4, Math.ceil(Math.log2(keys.length * 2 + 1)));
      if (log2 > TABLE_MAX_LOG2) return false;
      const slots = new Uint32Array(this.x.memory.buffer, TABLE, 1 << log2);
      slots.fill(0);
      const mask = (1 << log2) - 1;
      for (const key of keys) {
        let h = Math.imul(key, 0x9e3779b1) >>> (32 - log2);
        while (slots[h] !== 0 && slots[h] !== key) h = (h + 1) & mask;
        slots[h] = key;
      }
    }
    this.x.configure(words.length, log2, v6Heads.length > 0 ? 1 : 0);
    this.finder = words.length > 0 ? (log2 > 0 ? this.x.findBoth : this.x.findWords) : log2 > 0 ? this.x.findIps : null;
    this.tableLog2 = log2;
    this.tableOf = ipv4;
    return true;
  }

  /** gateJson's view of GATE_HITS (made again when the memory grows). */
  private gateHits: Uint32Array | null = null;
  /** configure()'s table: its size, and the addresses it was made of (gateJson's index is valid for those). */
  private tableLog2 = 0;
  private tableOf: readonly number[] | null = null;
  /** What configureGate last set up, for which table, and whether it could. */
  private gateOf: {
    table: readonly number[] | null; windows: AlertWindows; quads: ReadonlyMap<number, string>; v6: ReadonlyArray<readonly [string, readonly number[]]>;
    zoneless: number | null; v6Slots: number;
  } | null = null;

  /**
   * Sets up gateJson for the alerted IPv4 addresses (`quads`: address number,
   * as a signed 32-bit number, to the IP; the same addresses configure() was
   * given) and their alert windows. `zonelessOffset`: the offset (minutes) of a
   * time written without a zone, or null when a configured IANA zone decides it
   * (then such a time is left to the JavaScript gate); `timeKeys`: the keys
   * configureKeys() was given first that are time keys. False when there are
   * too many addresses or alerts to hold: then gate in JavaScript.
   */
  configureGate(
    quads: ReadonlyMap<number, string>, v6: ReadonlyArray<readonly [string, readonly number[]]>, windows: AlertWindows, zonelessOffset: number | null, timeKeys: number,
  ): boolean {
    const g = this.gateOf;
    // The same table (configure() refills it the same way for the same addresses) and windows: set up already.
    const v6Slots = g && g.table === this.tableOf && g.windows === windows && g.quads === quads && g.v6 === v6 && g.zoneless === zonelessOffset
      ? g.v6Slots : this.fillGate(quads, v6, windows);
    this.gateOf = { table: this.tableOf, windows, quads, v6, zoneless: zonelessOffset, v6Slots };
    this.x.configureGate(windows.windowMs, zonelessOffset === null ? 0 : 1, zonelessOffset ?? 0, timeKeys, Math.max(0, v6Slots));
    return v6Slots >= 0;
  }

  /**
   * Fills the gate's tables: the IPv6 table's slots (0: IPv6 hits are left to the
   * JavaScript, too many addresses), or -1 when the gate cannot run here at all.
   */
  private fillGate(quads: ReadonlyMap<number, string>, sixes: ReadonlyArray<readonly [string, readonly number[]]>, windows: AlertWindows): number {
    const log2 = this.tableLog2;
    const v6Log2 = Math.max(4, Math.ceil(Math.log2(sixes.length * 2 + 1)));
    const v6 = v6Log2 <= GATE_V6_MAX_LOG2 ? sixes : [];
    if (log2 === 0 || log2 > GATE_MAX_LOG2 || quads.size + v6.length > GATE_MAX_ADDRESSES) return -1;
    let total = 0;
    for (const ip of quads.values()) total += windows.times.get(ip)?.length ?? 0;
    for (const [ip] of v6) total += windows.times.get(ip)?.length ?? 0;
    if (total > GATE_MAX_TIMES) return -1;
    const buffer = this.x.memory.buffer;
    const slots = new Uint32Array(buffer, TABLE, 1 << log2);
    const index = new Uint32Array(buffer, GATE_IDX, 1 << log2).fill(0);
    const dir = new Uint32Array(buffer, GATE_DIR, 2 * (quads.size + v6.length));
    const times = new Float64Array(buffer, GATE_TIMES, total);
    const mask = (1 << log2) - 1;
    let i = 0;
    let at = 0;
    for (const [n, ip] of quads) {
      const key = n >>> 0;
      let h = Math.imul(key, 0x9e3779b1) >>> (32 - log2);
      while (slots[h] !== key) {
        if (slots[h] === 0) return -1; // not in the table: configure() was given other addresses
        h = (h + 1) & mask;
      }
      index[h] = i + 1;
      at = this.gateTimes(dir, times, i++, at, windows.times.get(ip));
    }
    if (sixes.length > 0 && v6.length === 0) return 0;
    const v6Slots = 1 << v6Log2;
    new Uint32Array(buffer, GATE_V6, 5 * v6Slots).fill(0);
    for (const [ip, w] of v6) {
      this.x.gateAddV6(w[0]!, w[1]!, w[2]!, w[3]!, i + 1, v6Slots);
      at = this.gateTimes(dir, times, i++, at, windows.times.get(ip));
    }
    return v6Slots;
  }

  /** Address `i`'s alert times into the gate's tables, from `at`; where the next address's start. */
  private gateTimes(dir: Uint32Array, times: Float64Array, i: number, at: number, t: ArrayLike<number> = []): number {
    dir[2 * i] = at;
    dir[2 * i + 1] = t.length;
    for (let k = 0; k < t.length; k++) times[at++] = t[k]!;
    return at;
  }

  /**
   * The window gate on the JSON record [from, to) whose hits are hits[first,
   * last) (positions in the buffer), run in the kernel: GATE_SKIP, GATE_PARSE or
   * GATE_ASK (an address or a time the kernel does not read: the JavaScript
   * gate decides). configureGate() and configureKeys() first.
   */
  gateJson(from: number, to: number, hits: Uint32Array, first: number, last: number): number {
    const n = last - first;
    if (n > GATE_HIT_CAP) return GATE_ASK;
    let out = this.gateHits;
    if (out === null || out.buffer !== this.x.memory.buffer) out = this.gateHits = new Uint32Array(this.x.memory.buffer, GATE_HITS, GATE_HIT_CAP);
    for (let i = 0; i < n; i++) out[i] = hits[first + i]! + BUF;
    return this.x.gateJson(BUF + from, BUF + to, n);
  }

  /**
   * Sorted positions (relative to the buffer) in [from, to) of everything
   * configure() named. The bytes after `to` must be the padding zeros (see pad()).
   */
  findHits(from: number, to: number): Uint32Array {
    return this.runFinder(from, to, false).pos;
  }

  /**
   * findHits over whole NDJSON lines [from, to) (`from` starts a line, `to`
   * ends one), with each hit's line (0 for the line at `from`), how many lines
   * there are, and whether every one is a plain record: "{…}" (or "{…}\r"), at
   * most `maxLine` bytes, no blank or padded line between — which the framing
   * then counts by the thousand instead of looking at each (fast-frames.ts).
   * Whether the line at `from` starts with "{" is the caller's to check.
   */
  findHitLines(from: number, to: number, maxLine: number): HitLines {
    // With nothing to find, no finder runs: no lines are counted or looked at.
    if (!this.finder) return { pos: new Uint32Array(0), line: new Uint32Array(0), count: 0, plain: false };
    this.x.resetLines(BUF + from, maxLine);
    try {
      const { pos, line } = this.runFinder(from, to, true);
      return { pos, line: line!, count: this.x.linesPassed(), plain: this.x.linesIrregular() === 0 };
    } finally {
      this.x.endLines();
    }
  }

  /** The finder over [from, to): its hits, in order (the kernel gives each block's in order), and in line mode their lines. */
  private runFinder(from: number, to: number, lines: boolean): { pos: Uint32Array; line: Uint32Array | null } {
    const pos: Uint32Array[] = [];
    const line: Uint32Array[] = [];
    const find = this.finder;
    // The finder stops early when its output is nearly full: called again from there.
    for (let at = BUF + from, end = BUF + to; find && at < end; at = this.x.stopped()) {
      const n = find(at, end);
      if (n === 0) continue;
      const p = new Uint32Array(this.x.memory.buffer, HITS, n).slice();
      for (let j = 0; j < n; j++) p[j] = p[j]! - BUF;
      pos.push(p);
      if (lines) line.push(new Uint32Array(this.x.memory.buffer, HIT_LINES, n).slice());
    }
    return { pos: concat(pos), line: lines ? concat(line) : null };
  }

  /**
   * The quoted keys findKeys looks for ('"createdDateTime"', quotes included, up
   * to 48 bytes), matched case-insensitively; kept until configured again.
   */
  configureKeys(keys: readonly string[]): void {
    if (keys.length > MAX_KEYS) throw new Error(`at most ${MAX_KEYS} keys`);
    const v = this.view;
    keys.forEach((w, k) => {
      const b = Buffer.from(w, 'latin1');
      if (b.length < 3 || b.length > 48 || b[0] !== 0x22 || b[b.length - 1] !== 0x22) throw new Error(`key ${JSON.stringify(w)} must be quoted, 1 to 46 bytes`);
      const base = KEYS + k * 64;
      v.fill(0, base, base + 64);
      v[base] = b.length;
      for (let i = 0; i < b.length; i++) v[base + 16 + i] = fold(b[i]!);
    });
    this.x.configureKeys(keys.length);
  }

  /**
   * The configured keys, and "\\u" escapes, in the record at [from, to) of the
   * buffer: how many (KEY_CAP: too many to list); keyAt and keyId read them.
   */
  findKeys(from: number, to: number): number {
    return this.x.findKeys(BUF + from, BUF + to);
  }

  /** Is there a backslash followed by "u" in [from, to) (relative to the buffer)? Reads up to 64 bytes past `to`. */
  hasUnicodeEscape(from: number, to: number): boolean {
    return this.x.hasUnicodeEscape(BUF + from, BUF + to) !== 0;
  }

  /**
   * Is there a configured key (configureKeys), in any case, or a backslash in
   * [from, to) (relative to the buffer)? Without either, no record there has
   * one of those keys, even escaped. Reads up to 128 bytes past `to`.
   */
  mayHoldKeys(from: number, to: number): boolean {
    return this.x.mayHoldKeys(BUF + from, BUF + to) !== 0;
  }

  /** Where the i-th key hit of the last findKeys is (relative to the buffer: its opening quote). */
  keyAt(i: number): number {
    return this.view.readUInt32LE(HITS + 4 * i) - BUF;
  }

  /** Which key the i-th hit is (its index in configureKeys), or KEY_ESCAPE. */
  keyId(i: number): number {
    return this.view[KEY_IDS + i]!;
  }

  /** What configurePrune last set up (by identity). */
  private pruneOf: PruneKeys | null = null;

  /** The keys pruneRecord keeps (kept until configured again; the same object again costs nothing). */
  configurePrune(p: PruneKeys): void {
    if (this.pruneOf === p) return;
    if (p.keys.length > PRUNE_MAX_KEYS || p.prefixes.length > PRUNE_MAX_PREFIXES) throw new Error(`at most ${PRUNE_MAX_KEYS} keys and ${PRUNE_MAX_PREFIXES} prefixes`);
    const v = this.view;
    const put = (base: number, key: string, top: number, inner: number): void => {
      const b = Buffer.from(key, 'utf8');
      if (b.length < 1 || b.length > 48) throw new Error(`key ${JSON.stringify(key)} must be 1 to 48 bytes`);
      v.fill(0, base, base + 64);
      v[base] = b.length;
      v[base + 1] = top;
      v[base + 2] = inner;
      b.copy(v, base + 16);
    };
    p.keys.forEach((k, i) => put(PRUNE_KEYS + 64 * i, k.key, k.top, k.inner));
    p.prefixes.forEach((k, i) => put(PRUNE_PREFIXES + 64 * i, k.prefix, k.top, 0));
    this.x.configurePrune(p.keys.length, p.prefixes.length);
    this.pruneOf = p;
  }

  /**
   * The JSON object at [from, to) of the buffer (white space around it allowed)
   * with only the members configurePrune keeps, as JSON text — JSON.parse reads
   * in it exactly what it reads of them in the whole — or null: the record is
   * not valid JSON, nests too deep, is 50,000 bytes or more, has an escaped key
   * where keys are looked at, or a key whose action is Bail. Reads up to 16 bytes past `to`.
   */
  prune(from: number, to: number): string | null {
    const n = this.x.pruneRecord(BUF + from, BUF + to);
    return n < 0 ? null : this.view.toString('utf8', PRUNE_OUT, PRUNE_OUT + n);
  }

  /** Zeroes the padding after `len` bytes of data (the kernels read past the end). */
  pad(len: number): void {
    this.view.fill(0, BUF + len, BUF + len + PAD);
  }

  resetStructure(depth: number, target: number, line: number): void {
    // The bytes before the buffer must read as zeros (the kernels look a few bytes back).
    this.view.fill(0, BUF - PAD, BUF);
    this.x.resetStructure(depth, target, line);
  }

  get depth(): number {
    return this.x.structureDepth();
  }

  get inString(): boolean {
    return this.x.structureInString() !== 0;
  }

  /** Line number reached by the structure scan. */
  get line(): number {
    return this.x.structureLine();
  }

  /**
   * Record separators in [from, to) (see the kernel); the structure state carries
   * over between calls, so `to - from` must be a multiple of 64 except at the end.
   */
  findSeparators(from: number, to: number, csv: boolean): Separators {
    const pos: Uint32Array[] = [];
    const line: Uint32Array[] = [];
    let at = BUF + from;
    const end = BUF + to;
    while (at < end) {
      const n = this.x.findSeparators(at, end, csv ? 1 : 0);
      const p = new Uint32Array(this.x.memory.buffer, SEP_POS, n).slice();
      for (let i = 0; i < n; i++) {
        const v = p[i]!;
        p[i] = v & SEPARATOR_CLOSES ? (((v & 0x7fffffff) - BUF) | SEPARATOR_CLOSES) >>> 0 : v - BUF;
      }
      pos.push(p);
      line.push(new Uint32Array(this.x.memory.buffer, SEP_LINE, n).slice());
      at = this.x.stopped();
    }
    return { pos: concat(pos), line: concat(line) };
  }
}

/** The parts one after the other (one part: itself, not a copy). */
function concat(parts: Uint32Array[]): Uint32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Kernels are reused (their memory is the file buffer), one file at a time each.
const idle: ScanKernel[] = [];

/**
 * Lets the idle kernels go (their memory, tens of MB once grown to a big
 * file's buffer, with them): for when no more files will be scanned, before a
 * hunt's correlation and output, which are its memory's high point.
 */
export function releaseIdleKernels(): void {
  idle.length = 0;
}

export async function withKernel<T>(fn: (k: ScanKernel) => Promise<T>): Promise<T> {
  const k = idle.pop() ?? new ScanKernel();
  try {
    return await fn(k);
  } finally {
    idle.push(k);
  }
}
