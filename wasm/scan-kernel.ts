// AssemblyScript, compiled to dist/scan-kernel.wasm by `npm run build` (asc, SIMD on).
// The byte-level kernels behind hunt's fast passes (src/sources/byte-scan.ts
// drives them and documents the memory layout, which must match the constants
// below). They look at raw bytes 16 or 64 at a time, so that the records that
// cannot matter — almost all of them — are never decoded to strings:
//   findHits      where a configured needle ("alert", an IPv6 head, …) or a dotted
//                 quad from the alerted-IP table occurs;
//   findSeparators where records end inside a JSON array (commas and the closing
//                 bracket at the array's depth, outside strings) or a CSV export
//                 (newlines outside quotes) — the structure a JSON.parse would see.

// Memory layout (byte offsets); byte-scan.ts has the same numbers.
const NEEDLES: usize = 0; //        32 needles × 32 bytes: len, 3 probe offsets, 16 folded bytes at +16
const PROBES: usize = 1024; //      32 needles × 3 splatted probe bytes (v128), filled by configure()
const WORD_LETTERS: usize = 2560; // up to 8 splatted first letters of the quoted words (v128)
const HITS: usize = 4096; //        u32 positions, HIT_CAP of them
const HIT_CAP: i32 = 262144;
const SEP_POS: usize = HITS + 4 * <usize>HIT_CAP; // u32 positions, SEP_CAP
const SEP_CAP: i32 = 262144;
const SEP_LINE: usize = SEP_POS + 4 * <usize>SEP_CAP; // u32 line numbers
const TABLE: usize = 4 << 20; //    u32 open-addressing set of alerted IPv4 addresses (0 = empty)
// The data buffer starts at 8 MiB (64 zero bytes before it, 64 bytes of padding after).

let needleCount: i32 = 0;
let wordCount: i32 = 0; // the first wordCount needles are quoted words ("alert"), found by findHits' word filter
let tableMask: u32 = 0; // capacity - 1; 0 = no IPv4 lookups
let tableShift: u32 = 32;
/** Where the last call stopped (== `to` unless its output filled up). */
let stoppedAt: usize = 0;

/**
 * `needles` needles are in NEEDLES; the first `words` (at most 8) of them are
 * quoted words ("alert", quotes included). tableLog2 > 0: the IPv4 table holds
 * 2^tableLog2 slots.
 */
export function configure(needles: i32, words: i32, tableLog2: i32): void {
  needleCount = needles;
  wordCount = words;
  for (let k = 0; k < words; k++) v128.store(WORD_LETTERS + (<usize>k << 4), i8x16.splat(load<u8>(NEEDLES + (<usize>k << 5) + 17)));
  for (let k = 0; k < needles; k++) {
    const base = NEEDLES + (<usize>k << 5);
    for (let j: usize = 0; j < 3; j++) {
      v128.store(PROBES + (<usize>k * 48) + (j << 4), i8x16.splat(load<u8>(base + 16 + <usize>load<u8>(base + 1 + j))));
    }
  }
  tableMask = tableLog2 > 0 ? (<u32>1 << <u32>tableLog2) - 1 : 0;
  tableShift = 32 - <u32>tableLog2;
}

export function stopped(): usize {
  return stoppedAt;
}

@inline function fold(v: v128): v128 {
  return v128.or(v, i8x16.splat(0x20));
}

@inline function isDigit(b: u32): bool {
  return b - 0x30 < 10;
}

/** Is the IPv4 address a.b.c.d in the table? */
@inline function inTable(ip: u32): bool {
  let h = (ip * 0x9e3779b1) >> tableShift;
  let v = load<u32>(TABLE + (<usize>h << 2));
  while (v != 0) {
    if (v == ip) return true;
    h = (h + 1) & tableMask;
    v = load<u32>(TABLE + (<usize>h << 2));
  }
  return false;
}

/** Reads 1–3 digits at p as a number ≤ 255 into `num`; returns the digit count, or 0. */
let num: u32 = 0;
@inline function octet(p: usize): i32 {
  let n: u32 = 0;
  let k = 0;
  while (k < 4 && isDigit(<u32>load<u8>(p + <usize>k))) {
    n = n * 10 + (<u32>load<u8>(p + <usize>k) - 0x30);
    k++;
  }
  if (k == 0 || k > 3 || n > 255) return 0;
  num = n;
  return k;
}

/**
 * Is there a dotted quad starting at the dot `dot` (the dot after its first
 * number) that is in the table? The first number may be the tail of a longer
 * run of digits, so its last 1, 2 and 3 digits are each tried (as the string
 * prefilter does).
 */
function quadAt(dot: usize): bool {
  let p = dot + 1;
  let k = octet(p);
  if (k == 0) return false;
  const b = num;
  p += <usize>k;
  if (load<u8>(p) != 0x2e) return false;
  k = octet(p + 1);
  if (k == 0) return false;
  const c = num;
  p += 1 + <usize>k;
  if (load<u8>(p) != 0x2e) return false;
  k = octet(p + 1);
  if (k == 0) return false;
  const d = num;
  const tail = (b << 16) | (c << 8) | d;
  let a: u32 = 0;
  let scale: u32 = 1;
  for (let i: usize = 1; i <= 3; i++) {
    const ch = <u32>load<u8>(dot - i);
    if (!isDigit(ch)) break;
    a += (ch - 0x30) * scale;
    scale *= 10;
    if (a <= 255 && a != 0 && inTable((a << 24) | tail)) return true;
  }
  return false;
}

@inline function hexValue(b: u32): i32 {
  if (b - 0x30 < 10) return <i32>(b - 0x30);
  const l = b | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

/** Reads 1–4 hex digits at p into `num`; returns the digit count, or 0. */
@inline function hexGroup(p: usize): i32 {
  let n: u32 = 0;
  let k = 0;
  while (k < 5) {
    const h = hexValue(<u32>load<u8>(p + <usize>k));
    if (h < 0) break;
    n = (n << 4) | <u32>h;
    k++;
  }
  if (k == 0 || k > 4) return 0;
  num = n;
  return k;
}

/** "ffff:HHHH:HHHH" with its colon at `colon`: is that IPv4 address in the table? */
function mappedAt(colon: usize): bool {
  const k = hexGroup(colon + 1);
  if (k == 0) return false;
  const hi = num;
  const p = colon + 1 + <usize>k;
  if (load<u8>(p) != 0x3a || hexGroup(p + 1) == 0) return false;
  const ip = (hi << 16) | num;
  return ip != 0 && inTable(ip);
}

/** Does needle `k` occur (case-folded) at p? */
@inline function needleAt(p: usize, k: i32): bool {
  const base = NEEDLES + (<usize>k << 5);
  const len = <usize>load<u8>(base);
  for (let i: usize = 0; i < len; i++) {
    if ((load<u8>(p + i) | 0x20) != load<u8>(base + 16 + i)) return false;
  }
  return true;
}

/**
 * Hits in [from, to): the start of every needle occurrence and the first dot of
 * every dotted quad in the table, in ascending 16-byte blocks (not sorted
 * within a block). Returns how many were written to HITS; stops early, at a
 * block boundary, when the output is nearly full (see stopped()).
 */
export function findHits(from: usize, to: usize): i32 {
  let n = 0;
  const dot = i8x16.splat(0x2e);
  const zero = i8x16.splat(0x30);
  const ten = i8x16.splat(10);
  const quote = i8x16.splat(0x22);
  let p = from;
  for (; p < to; p += 16) {
    if (n > HIT_CAP - 16 * (needleCount + 1)) break;
    if (wordCount > 0) {
      // An opening quote, a word's first letter after it and a quote where the word would end;
      // then the whole word is compared.
      const next = fold(v128.load(p + 1));
      let m = i8x16.eq(next, v128.load(WORD_LETTERS));
      m = v128.and(m, i8x16.eq(v128.load(p + <usize>load<u8>(NEEDLES) - 1), quote));
      for (let k = 1; k < wordCount; k++) {
        const len = <usize>load<u8>(NEEDLES + (<usize>k << 5));
        m = v128.or(m, v128.and(i8x16.eq(next, v128.load(WORD_LETTERS + (<usize>k << 4))), i8x16.eq(v128.load(p + len - 1), quote)));
      }
      m = v128.and(m, i8x16.eq(v128.load(p), quote));
      if (v128.any_true(m)) {
        let bits = <u32>i8x16.bitmask(m);
        while (bits != 0) {
          const at = p + <usize>ctz(bits);
          bits &= bits - 1;
          for (let k = 0; k < wordCount; k++) {
            if (at + <usize>load<u8>(NEEDLES + (<usize>k << 5)) <= to && needleAt(at, k)) {
              store<u32>(HITS + (<usize>n << 2), <u32>at);
              n++;
              break;
            }
          }
        }
      }
    }
    for (let k = wordCount; k < needleCount; k++) {
      const base = NEEDLES + (<usize>k << 5);
      const probes = PROBES + <usize>k * 48;
      const len = <usize>load<u8>(base);
      const m = v128.and(
        v128.and(
          i8x16.eq(fold(v128.load(p + <usize>load<u8>(base + 1))), v128.load(probes)),
          i8x16.eq(fold(v128.load(p + <usize>load<u8>(base + 2))), v128.load(probes + 16)),
        ),
        i8x16.eq(fold(v128.load(p + <usize>load<u8>(base + 3))), v128.load(probes + 32)),
      );
      if (v128.any_true(m)) {
        let bits = <u32>i8x16.bitmask(m);
        while (bits != 0) {
          const at = p + <usize>ctz(bits);
          bits &= bits - 1;
          if (at + len <= to && needleAt(at, k)) {
            store<u32>(HITS + (<usize>n << 2), <u32>at);
            n++;
          }
        }
      }
    }
    if (tableMask != 0) {
      const v = v128.load(p);
      const m = v128.and(
        i8x16.eq(v, dot),
        v128.and(
          i8x16.lt_u(i8x16.sub(v128.load(p - 1), zero), ten),
          i8x16.lt_u(i8x16.sub(v128.load(p + 1), zero), ten),
        ),
      );
      // IPv4-mapped IPv6 in hex ("::ffff:5102:45a0"): the colon after "ffff".
      const f = i8x16.splat(0x66);
      const mapped = v128.and(
        v128.and(i8x16.eq(v, i8x16.splat(0x3a)), i8x16.eq(fold(v128.load(p - 1)), f)),
        v128.and(i8x16.eq(fold(v128.load(p - 2)), f), i8x16.eq(fold(v128.load(p - 4)), f)),
      );
      if (v128.any_true(mapped)) {
        let bits = <u32>i8x16.bitmask(mapped);
        while (bits != 0) {
          const at = p + <usize>ctz(bits);
          bits &= bits - 1;
          if (at < to && mappedAt(at)) {
            store<u32>(HITS + (<usize>n << 2), <u32>at);
            n++;
          }
        }
      }
      if (v128.any_true(m)) {
        let bits = <u32>i8x16.bitmask(m);
        while (bits != 0) {
          const at = p + <usize>ctz(bits);
          bits &= bits - 1;
          if (at < to && quadAt(at)) {
            store<u32>(HITS + (<usize>n << 2), <u32>at);
            n++;
          }
        }
      }
    }
  }
  stoppedAt = p < to ? p : to;
  return n;
}

// Structure state, kept between calls (a file is fed in pieces).
let inString: u64 = 0; // all ones while inside a string/quoted field
let escaped: u64 = 0; // 1 when the next byte is escaped by a backslash
let depth: i32 = 0;
let target: i32 = 1;
let line: u32 = 1;

export function resetStructure(atDepth: i32, targetDepth: i32, atLine: u32): void {
  inString = 0;
  escaped = 0;
  depth = atDepth;
  target = targetDepth;
  line = atLine;
}

export function structureDepth(): i32 {
  return depth;
}

export function structureInString(): bool {
  return inString != 0 || escaped != 0;
}

export function structureLine(): u32 {
  return line;
}

@inline function mask64(p: usize, c: u8): u64 {
  const s = i8x16.splat(c);
  return <u64>i8x16.bitmask(i8x16.eq(v128.load(p), s))
    | (<u64>i8x16.bitmask(i8x16.eq(v128.load(p + 16), s)) << 16)
    | (<u64>i8x16.bitmask(i8x16.eq(v128.load(p + 32), s)) << 32)
    | (<u64>i8x16.bitmask(i8x16.eq(v128.load(p + 48), s)) << 48);
}

@inline function prefixXor(x: u64): u64 {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/**
 * Record separators in [from, to), 64 bytes at a time; `to - from` must be a
 * multiple of 64 except on a file's last call (the state carries over between
 * calls, and a partial block would see padding). csv = 0: JSON — a separator is
 * a comma at the target depth, or the bracket that closes the target array
 * (written with bit 31 set). csv = 1: a newline outside double quotes ("" inside
 * a quoted field toggles twice, so it needs no special case). Each separator's
 * line number goes to SEP_LINE. Returns the count; stops early at a block
 * boundary when the output is nearly full (see stopped()).
 */
export function findSeparators(from: usize, to: usize, csv: i32): i32 {
  let n = 0;
  let p = from;
  for (; p < to; p += 64) {
    if (n > SEP_CAP - 64) break;
    const quote = mask64(p, 0x22);
    const nl = mask64(p, 0x0a);
    let q = quote;
    if (csv == 0) {
      // A quote is escaped when an odd run of backslashes precedes it.
      const bs = mask64(p, 0x5c);
      if (bs != 0 || escaped != 0) {
        let esc: u64 = escaped;
        let b = bs & ~esc;
        escaped = 0;
        while (b != 0) {
          const i = ctz(b);
          if (i == 63) {
            escaped = 1;
            b = 0;
          } else {
            esc |= (<u64>1) << (i + 1);
            b &= ~((<u64>1) << i);
            b &= ~((<u64>1) << (i + 1));
          }
        }
        q = quote & ~esc;
      }
    }
    const strMask = prefixXor(q) ^ inString;
    inString = <u64>(<i64>strMask >> 63);
    let structural: u64;
    if (csv == 0) {
      structural = (mask64(p, 0x7b) | mask64(p, 0x7d) | mask64(p, 0x5b) | mask64(p, 0x5d) | mask64(p, 0x2c)) & ~strMask;
    } else {
      structural = nl & ~strMask;
    }
    // The last block of a file may run past `to`: ignore what lies beyond.
    if (p + 64 > to) {
      const keep = <u64>(to - p);
      const valid: u64 = keep >= 64 ? ~(<u64>0) : ((<u64>1) << keep) - 1;
      structural &= valid;
    }
    while (structural != 0) {
      const i = ctz(structural);
      structural &= structural - 1;
      const at = p + <usize>i;
      const below: u64 = i == 0 ? 0 : nl & (~(<u64>0) >> (64 - i));
      if (csv != 0) {
        store<u32>(SEP_POS + (<usize>n << 2), <u32>at);
        store<u32>(SEP_LINE + (<usize>n << 2), line + <u32>popcnt(below));
        n++;
        continue;
      }
      const c = load<u8>(at);
      if (c == 0x2c) {
        if (depth == target) {
          store<u32>(SEP_POS + (<usize>n << 2), <u32>at);
          store<u32>(SEP_LINE + (<usize>n << 2), line + <u32>popcnt(below));
          n++;
        }
      } else if (c == 0x7b || c == 0x5b) {
        depth++;
      } else {
        if (depth == target) {
          store<u32>(SEP_POS + (<usize>n << 2), <u32>at | 0x80000000);
          store<u32>(SEP_LINE + (<usize>n << 2), line + <u32>popcnt(below));
          n++;
        }
        depth--;
      }
    }
    if (p + 64 > to) {
      const keep = <u64>(to - p);
      line += <u32>popcnt(keep >= 64 ? nl : nl & (((<u64>1) << keep) - 1));
    } else {
      line += <u32>popcnt(nl);
    }
  }
  stoppedAt = p < to ? p : to;
  return n;
}
