// The WebAssembly (SIMD) kernel behind hunt's fast passes, and its memory.
// Source: wasm/scan-kernel.ts (AssemblyScript), built to dist/scan-kernel.wasm by
// `npm run build`. A file's bytes are read straight into the kernel's memory and
// looked at 16 or 64 at a time, so records that cannot matter are never decoded
// to strings (docs/performance.md explains the passes).
//
// Memory layout (byte offsets; the kernel has the same constants):
//   0        needles: 32 × 32 bytes — length, 3 probe offsets, 12 spare, 16 case-folded bytes
//   1024     probe vectors (the kernel fills them)
//   2560     first-letter vectors of the quoted words (the kernel fills them)
//   4096     hits: u32 positions (HIT_CAP)
//   …        separators: u32 positions, then their u32 line numbers (SEP_CAP each)
//   4 MiB    IPv4 set: open addressing, u32 addresses, 0 = empty slot
//   8 MiB    data buffer: 64 zero bytes before it, 64 bytes of padding after the data
import { readFileSync } from 'node:fs';

const HITS = 4096;
const HIT_CAP = 262144;
const SEP_POS = HITS + 4 * HIT_CAP;
const SEP_CAP = 262144;
const SEP_LINE = SEP_POS + 4 * SEP_CAP;
const TABLE = 4 << 20;
const TABLE_MAX_LOG2 = 20; // 1 Mi slots: up to 512 Ki alerted IPv4 addresses
const BUF = 8 << 20;
const PAD = 64;
const PAGE = 65536;
const MAX_NEEDLES = 32;
const MAX_WORDS = 8;

interface Exports {
  memory: WebAssembly.Memory;
  configure(needles: number, words: number, tableLog2: number): void;
  stopped(): number;
  findHits(from: number, to: number): number;
  resetStructure(depth: number, target: number, line: number): void;
  structureDepth(): number;
  structureInString(): number;
  structureLine(): number;
  findSeparators(from: number, to: number, csv: number): number;
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

/** How common a byte is in JSON logs: probes go to the rarest positions of a needle. */
function commonness(b: number): number {
  if (b === 0x22) return 3;
  if (b >= 0x30 && b <= 0x39) return 2;
  if ('etaoinsr'.includes(String.fromCharCode(b))) return 1;
  return 0;
}

/** IPv4 dotted quad → u32, or null. */
export function ipv4Number(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
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

  constructor() {
    const instance = new WebAssembly.Instance(module(), { env: { abort: () => { throw new Error('scan kernel abort'); } } });
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
   * with their quotes ('"alert"'), `needles` any other short strings (case-
   * insensitive too), `ipv4` alerted addresses (dotted quads, and IPv4-mapped
   * IPv6 in hex). Returns false when there are too many to look for.
   */
  configure(words: string[], needles: string[], ipv4: number[]): boolean {
    const all = [...words, ...needles];
    if (words.length > MAX_WORDS || all.length > MAX_NEEDLES) return false;
    const v = this.view;
    all.forEach((s, k) => {
      const b = Buffer.from(s, 'latin1');
      if (b.length < 3 || b.length > 16) throw new Error(`needle ${JSON.stringify(s)} must be 3 to 16 bytes`);
      const base = k * 32;
      v.fill(0, base, base + 32);
      v[base] = b.length;
      for (let i = 0; i < b.length; i++) v[base + 16 + i] = fold(b[i]!);
      // Probes: the first and last bytes and the rarest one in between.
      let mid = 1;
      for (let i = 1; i < b.length - 1; i++) if (commonness(fold(b[i]!)) < commonness(fold(b[mid]!))) mid = i;
      v[base + 1] = 0;
      v[base + 2] = b.length - 1;
      v[base + 3] = mid;
    });
    let log2 = 0;
    if (ipv4.length > 0) {
      log2 = Math.max(4, Math.ceil(Math.log2(ipv4.length * 2 + 1)));
      if (log2 > TABLE_MAX_LOG2) return false;
      const slots = new Uint32Array(this.x.memory.buffer, TABLE, 1 << log2);
      slots.fill(0);
      const mask = (1 << log2) - 1;
      for (const ip of ipv4) {
        if (ip === 0) continue;
        let h = Math.imul(ip, 0x9e3779b1) >>> (32 - log2);
        while (slots[h] !== 0 && slots[h] !== ip) h = (h + 1) & mask;
        slots[h] = ip;
      }
    }
    this.x.configure(all.length, words.length, log2);
    return true;
  }

  /**
   * Sorted positions (relative to the buffer) in [from, to) of everything
   * configure() named. The bytes after `to` must be the padding zeros (see pad()).
   */
  findHits(from: number, to: number): Uint32Array {
    const parts: Uint32Array[] = [];
    let at = BUF + from;
    const end = BUF + to;
    while (at < end) {
      const n = this.x.findHits(at, end);
      parts.push(new Uint32Array(this.x.memory.buffer, HITS, n).slice());
      at = this.x.stopped();
    }
    const all = parts.length === 1 ? parts[0]! : Uint32Array.from(parts.flatMap((p) => [...p]));
    for (let i = 0; i < all.length; i++) all[i] = all[i]! - BUF;
    return all.sort();
  }

  /** Zeroes the padding after `len` bytes of data (the kernels read past the end). */
  pad(len: number): void {
    this.view.fill(0, BUF + len, BUF + len + PAD);
  }

  resetStructure(depth: number, target: number, line: number): void {
    // The 64 bytes before the buffer must read as zeros (the kernels look one byte back).
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
    const pos: number[] = [];
    const line: number[] = [];
    let at = BUF + from;
    const end = BUF + to;
    while (at < end) {
      const n = this.x.findSeparators(at, end, csv ? 1 : 0);
      const p = new Uint32Array(this.x.memory.buffer, SEP_POS, n);
      const l = new Uint32Array(this.x.memory.buffer, SEP_LINE, n);
      for (let i = 0; i < n; i++) {
        const v = p[i]!;
        pos.push(v & 0x80000000 ? ((((v & 0x7fffffff) - BUF) | 0x80000000) >>> 0) : v - BUF);
        line.push(l[i]!);
      }
      at = this.x.stopped();
    }
    return { pos: Uint32Array.from(pos), line: Uint32Array.from(line) };
  }
}

export const SEPARATOR_CLOSES = 0x80000000;
