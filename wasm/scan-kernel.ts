// AssemblyScript, compiled to dist/scan-kernel.wasm by `npm run build` (asc, SIMD on).
// The byte-level kernels behind hunt's fast passes (src/inputs/scan-kernel.ts
// drives them and documents the memory layout, which must match the constants
// below). They look at raw bytes 16 or 64 at a time, so that the records that
// cannot matter — almost all of them — are never decoded to strings:
//   findHits      where a configured needle ("alert", an IPv6 head, …) or a dotted
//                 quad from the alerted-IP table occurs (in line mode, with each
//                 hit's line and whether every line is a plain "{…}" record);
//   findSeparators where records end inside a JSON array (commas and the closing
//                 bracket at the array's depth, outside strings) or a CSV export
//                 (newlines outside quotes) — the structure a JSON.parse would see;
//   findKeys      the window gate's time keys (and escapes) in one record;
//   gateJson      the window gate itself, for records of the plain forms.

// Memory layout (byte offsets); src/inputs/scan-kernel.ts has the same numbers.
const NEEDLES: usize = 0; //        8 words × 32 bytes: length, 15 spare, 16 case-folded bytes at +16
const KEYS: usize = 256; //          8 keys × 64 bytes: length, 15 spare, up to 48 case-folded bytes at +16 (findKeys)
const KEY_FIRST_LO: usize = 768; // 16 bytes: bit k set at the low nibble of key k's first letter (indexNeedles, firstLetters)
const KEY_FIRST_HI: usize = KEY_FIRST_LO + 16; // 16 bytes: bit k set at the high nibbles of its two cases
const WORD_FIRST_LO: usize = 800; // the same two tables for the quoted words (configure)
const WORD_FIRST_HI: usize = WORD_FIRST_LO + 16;
const LETTERS: usize = 1024; //     128-byte bitmap of the words' first two letters (see letterPair)
const KEY_LETTERS: usize = 1152; // the same for the keys
const KEY_IDS: usize = 1280; //     u8 per key hit: which key (KEY_ESCAPE for a \u escape)
const KEY_CAP: i32 = 256;
const KEY_ESCAPE: u8 = 255;
const HITS: usize = 4096; //        u32 positions, HIT_CAP of them
const HIT_CAP: i32 = 262144;
const SEP_POS: usize = HITS + 4 * <usize>HIT_CAP; // u32 positions, SEP_CAP
const SEP_CAP: i32 = 262144;
const SEP_LINE: usize = SEP_POS + 4 * <usize>SEP_CAP; // u32 line numbers
// In line mode (resetLines) find() writes each hit's line here, beside HITS: the
// separators' line numbers are not in use then (NDJSON has no separator scan).
const HIT_LINES: usize = SEP_LINE;
const TABLE: usize = 4 << 20; //    u32 open-addressing set of alerted IPv4 addresses (0 = empty)
const TAILS: usize = 8 << 20; //    8192-byte bitmap of the last two octets (c.d of a.b.c.d) of the table's entries
// The window gate (gateJson): one record's hits, the alerted addresses it names, and per table
// slot which alerted address it holds, with that address's alert times.
const GATE_HITS: usize = 1536; //   u32 positions of one record's hits, GATE_HIT_CAP of them
const GATE_HIT_CAP: i32 = 512;
const GATE_IPS: usize = 3584; //    u32 the distinct alerted addresses a record names (1 + their index), 64 of them
const GATE_IP_CAP: i32 = 56; // (the last 32 bytes are parseV6's scratch)
const GATE_IDX: usize = (8 << 20) + 65536; // u32 per table slot (2^18 at most): 1 + its IPv4's index, 0 for none
const GATE_DIR: usize = GATE_IDX + (1 << 20); // per address index: u32 first time, u32 count (in GATE_TIMES)
const GATE_TIMES: usize = GATE_DIR + (512 << 10); // f64 alert times (ms), sorted per address, 2^18 of them
const GATE_V6: usize = GATE_TIMES + (2 << 20); // alerted IPv6 addresses, open addressing: 4 u32 words (big-endian groups) and 1 + index (0: empty), 2^14 slots
// The data buffer starts at 12 MiB + 64 KiB (zero bytes before it, 128 bytes of padding after).

let wordCount: i32 = 0; // the first wordCount needles are quoted words ("alert"), found by findWords
let wordDistances: u64 = 0; // bit d set when a word's closing quote is d bytes after its opening one
let wordLo: u64 = 0; // the shortest distance
let wordSpan4 = false; // the distances are wordLo to wordLo + 3, each
let keyCount: i32 = 0; // quoted keys in KEYS, found by findKeys
let keyDistances: u64 = 0;
let tableMask: u32 = 0; // capacity - 1; 0 = no IPv4 lookups
let v6Heads = false;
let tableShift: u32 = 32;
/** Where the last call stopped (== `to` unless its output filled up). */
let stoppedAt: usize = 0;
// Line mode (NDJSON framing): find() also counts the newlines it passes, gives
// each hit the index of its line, and notes whether every line it passed is a
// plain record — "{…}" with no blank or padded line, at most lineMax bytes.
let linesOn = false;
let lineCount: u32 = 0; // newlines passed since resetLines
let lastNl: usize = 0; // where the last one is (resetLines: just before the first line)
let lineMax: usize = 0;
let irregular = false;

/**
 * `words` quoted words ("alert", quotes included, at most 8) are in NEEDLES.
 * tableLog2 > 0: the table holds 2^tableLog2 slots, of IPv4 addresses and, when
 * `v6`, of IPv6 first groups (their four case-folded ASCII bytes as a
 * little-endian u32).
 */
/**
 * For `count` needles (slots of 1 << `shift` bytes from `slots`): fills the
 * bitmap `letters` with their first two letters and the two nibble tables at
 * `firsts` (16 bytes of low nibbles, then 16 of high ones) with their first
 * letter in either case (slotAt's fold: b | 0x20; a byte is needle k's first
 * letter when both tables have bit k at its nibbles, see firstLetters), and
 * returns their distances from opening to closing quote (bit d: d bytes), which
 * find's candidates use.
 */
function indexNeedles(slots: usize, shift: usize, count: i32, letters: usize, firsts: usize): u64 {
  let distances: u64 = 0;
  memory.fill(letters, 0, 128);
  memory.fill(firsts, 0, 32);
  for (let k = 0; k < count; k++) {
    const base = slots + (<usize>k << shift);
    distances |= (<u64>1) << (<u64>load<u8>(base) - 1);
    const c = letterPair(load<u8>(base + 17), load<u8>(base + 18));
    store<u8>(letters + (c >> 3), load<u8>(letters + (c >> 3)) | <u8>(1 << <u8>(c & 7)));
    const f = <u32>load<u8>(base + 17);
    const bit = <u8>(1 << <u8>k);
    const lo = firsts + <usize>(f & 15);
    const hi = firsts + 16 + <usize>(f >> 4);
    const hi2 = firsts + 16 + <usize>((f ^ 0x20) >> 4);
    store<u8>(lo, load<u8>(lo) | bit);
    store<u8>(hi, load<u8>(hi) | bit);
    store<u8>(hi2, load<u8>(hi2) | bit);
  }
  return distances;
}

export function configure(words: i32, tableLog2: i32, v6: i32): void {
  wordCount = words;
  wordDistances = indexNeedles(NEEDLES, 5, words, LETTERS, WORD_FIRST_LO);
  wordLo = wordDistances != 0 ? ctz(wordDistances) : 0;
  wordSpan4 = wordLo > 0 && (wordDistances >> wordLo) == 15;
  tableMask = tableLog2 > 0 ? (<u32>1 << <u32>tableLog2) - 1 : 0;
  // Most dotted quads in the data are not alerted: their last two octets rule them out with one load.
  memory.fill(TAILS, 0, 8192);
  if (tableLog2 > 0) {
    for (let i: u32 = 0; i <= tableMask; i++) {
      const v = load<u32>(TABLE + (<usize>i << 2));
      if (v != 0) {
        const t = <usize>(v & 0xffff);
        store<u8>(TAILS + (t >> 3), load<u8>(TAILS + (t >> 3)) | <u8>(1 << <u8>(t & 7)));
      }
    }
  }
  tableShift = 32 - <u32>tableLog2;
  v6Heads = v6 != 0;
}

/**
 * A word's bit in LETTERS: the low 5 bits of its first two bytes after the quote,
 * the same for either case (other bytes share them too, which only lets more
 * candidates through to the byte-by-byte compare).
 */
@inline function letterPair(a: u8, b: u8): usize {
  return <usize>(((<u32>a & 31) << 5) | (<u32>b & 31));
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
  const cd = <usize>((c << 8) | d);
  if (((load<u8>(TAILS + (cd >> 3)) >> <u8>(cd & 7)) & 1) == 0) return false;
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
  for (let i: usize = 1; i <= 4; i++) if ((load<u8>(colon - i) | 0x20) != 0x66) return false;
  const k = hexGroup(colon + 1);
  if (k == 0) return false;
  const hi = num;
  const p = colon + 1 + <usize>k;
  if (load<u8>(p) != 0x3a || hexGroup(p + 1) == 0) return false;
  const ip = (hi << 16) | num;
  return ip != 0 && inTable(ip);
}

/** Does the needle in the slot at `base` (its length at +0, its case-folded bytes from +16) occur at p? */
@inline function slotAt(p: usize, base: usize): bool {
  const len = <usize>load<u8>(base);
  for (let i: usize = 0; i < len; i++) {
    if ((load<u8>(p + i) | 0x20) != load<u8>(base + 16 + i)) return false;
  }
  return true;
}

/**
 * Which of `count` needles (slots of 1 << `shift` bytes from `slots`) occurs at
 * `at` and ends by `to`, or -1. Only for an `at` whose first two letters are in
 * the needles' bitmap `letters`, else -1 at once.
 */
@inline function needleAt(at: usize, to: usize, letters: usize, slots: usize, shift: usize, count: i32): i32 {
  const c = letterPair(load<u8>(at + 1), load<u8>(at + 2));
  if (((load<u8>(letters + (c >> 3)) >> <u8>(c & 7)) & 1) == 0) return -1;
  for (let k = 0; k < count; k++) {
    const base = slots + (<usize>k << shift);
    if (at + <usize>load<u8>(base) <= to && slotAt(at, base)) return k;
  }
  return -1;
}

/** The quotes of a block (q; nextQ: the next block's) that open a pair as far apart as one of `distances` (bit d: d bytes). */
@inline function quotePairs(q: u64, nextQ: u64, distances: u64): u64 {
  return quotePairsFrom(q, q, nextQ, distances);
}

/** quotePairs for the opening quotes in `open` only (a subset of q). */
@inline function quotePairsFrom(open: u64, q: u64, nextQ: u64, distances: u64): u64 {
  let cand: u64 = 0;
  let d = distances;
  while (d != 0) {
    const k = ctz(d);
    d &= d - 1;
    cand |= open & ((q >> k) | (nextQ << (64 - k)));
  }
  return cand;
}

@inline function bits4(a: v128, b: v128, c: v128, d: v128): u64 {
  return <u64>i8x16.bitmask(a) | (<u64>i8x16.bitmask(b) << 16) | (<u64>i8x16.bitmask(c) << 32) | (<u64>i8x16.bitmask(d) << 48);
}

/** Bit i set when byte i of the 64 in a, b, c, d equals the byte splat in s. */
@inline function eqBits(a: v128, b: v128, c: v128, d: v128, s: v128): u64 {
  return bits4(i8x16.eq(a, s), i8x16.eq(b, s), i8x16.eq(c, s), i8x16.eq(d, s));
}

/** eqBits for a byte most blocks lack: 0 after one test when none of the 64 bytes is it. */
@inline function anyBits(a: v128, b: v128, c: v128, d: v128, s: v128): u64 {
  const ea = i8x16.eq(a, s);
  const eb = i8x16.eq(b, s);
  const ec = i8x16.eq(c, s);
  const ed = i8x16.eq(d, s);
  if (!v128.any_true(v128.or(v128.or(ea, eb), v128.or(ec, ed)))) return 0;
  return bits4(ea, eb, ec, ed);
}

@inline function push(n: i32, at: usize): i32 {
  store<u32>(HITS + (<usize>n << 2), <u32>at);
  return n + 1;
}

/**
 * The configured quoted words (the first wordCount needles) and alerted addresses
 * in [from, to), 64 bytes at a time, from one set of loads per block when both are
 * wanted. A word hit is its opening quote; an address hit the dot or colon after
 * its first group. Reads up to 128 bytes past `to` (the padding) and 1 before
 * `from`. Returns the count written to HITS, in order (and in line mode each
 * hit's line, counted from resetLines' `from`, to HIT_LINES); stops early at a
 * block boundary when HITS is nearly full (see stopped()). Specialised by the
 * three exports below.
 */
@inline function find(from: usize, to: usize, words: bool, ips: bool): i32 {
  let n = 0;
  let p = from;
  const zero = i8x16.splat(0x30);
  const ten = i8x16.splat(10);
  const f = i8x16.splat(0x66);
  const qs = i8x16.splat(0x22);
  const ds = i8x16.splat(0x2e);
  const cs = i8x16.splat(0x3a);
  const lfs = i8x16.splat(0x0a);
  const firstLo = v128.load(WORD_FIRST_LO);
  const firstHi = v128.load(WORD_FIRST_HI);
  let v0 = v128.load(p);
  let v1 = v128.load(p + 16);
  let v2 = v128.load(p + 32);
  let v3 = v128.load(p + 48);
  let nextQ = eqBits(v0, v1, v2, v3, qs);
  let nextDots = eqBits(v0, v1, v2, v3, ds);
  // Bit 0 set when the byte before the block is a quote (the last block's mask after the first).
  let lastQuote: u64 = load<u8>(p - 1) == 0x22 ? 1 : 0;
  for (; p < to; p += 64) {
    if (n > HIT_CAP - 192) break;
    const c0 = v128.load(p + 64);
    const c1 = v128.load(p + 80);
    const c2 = v128.load(p + 96);
    const c3 = v128.load(p + 112);
    const q = nextQ;
    const allDots = nextDots;
    const prevQuote = lastQuote;
    lastQuote = q >> 63;
    nextQ = eqBits(c0, c1, c2, c3, qs);
    nextDots = eqBits(c0, c1, c2, c3, ds);
    let hm: u64 = 0; // the block's hits (bit i: byte p + i)
    // Words: every pair of quotes as far apart as a word is long, with a word's first two
    // letters after the first, is a candidate, then compared.
    if (words) {
      let cand: u64;
      if (wordSpan4) {
        // The words' distances are lo..lo+3 (the marker words, 3 to 6 letters): the 128 bits
        // (q, nextQ) shifted by lo, then or-ed with themselves shifted by 1 and by 2 — what
        // quotePairs makes one distance at a time, in a third of the operations.
        let lo = (q >> wordLo) | (nextQ << (64 - wordLo));
        let hi = nextQ >> wordLo;
        lo = lo | (lo >> 1) | (hi << 63);
        hi = hi | (hi >> 1);
        lo = lo | (lo >> 2) | (hi << 62);
        cand = q & lo;
      } else {
        cand = quotePairs(q, nextQ, wordDistances);
      }
      if (popcnt(cand) > 1) cand &= firstLetters(p, firstLo, firstHi);
      while (cand != 0) {
        const at = p + <usize>ctz(cand);
        cand &= cand - 1;
        if (at >= to) break;
        if (needleAt(at, to, LETTERS, NEEDLES, 5, wordCount) >= 0) hm |= (<u64>1) << (at - p);
      }
    }
    // Addresses: every dot with a digit after it and another dot 2 to 4 bytes on
    // (as in every dotted quad, and not in "10:00:30.3385092Z") is tried as the
    // first dot of a dotted quad; every colon after an "f" as an IPv4-mapped
    // address in hex ("ffff:c0a8:0101"), and (with v6) every colon not after a
    // quote as the end of an alerted IPv6's first group.
    if (ips) {
      const dotSoon = (allDots >> 2) | (nextDots << 62) | (allDots >> 3) | (nextDots << 61) | (allDots >> 4) | (nextDots << 60);
      let dots = allDots & dotSoon;
      if (dots != 0) {
        dots &= bits4(
          i8x16.lt_u(i8x16.sub(v128.load(p + 1), zero), ten), i8x16.lt_u(i8x16.sub(v128.load(p + 17), zero), ten),
          i8x16.lt_u(i8x16.sub(v128.load(p + 33), zero), ten), i8x16.lt_u(i8x16.sub(v128.load(p + 49), zero), ten));
      }
      while (dots != 0) {
        const at = p + <usize>ctz(dots);
        dots &= dots - 1;
        if (at >= to) break;
        if (quadAt(at)) hm |= (<u64>1) << (at - p);
      }
      let colons: u64;
      if (!v6Heads) {
        colons = bits4(
          v128.and(i8x16.eq(v0, cs), i8x16.eq(fold(v128.load(p - 1)), f)), v128.and(i8x16.eq(v1, cs), i8x16.eq(fold(v128.load(p + 15)), f)),
          v128.and(i8x16.eq(v2, cs), i8x16.eq(fold(v128.load(p + 31)), f)), v128.and(i8x16.eq(v3, cs), i8x16.eq(fold(v128.load(p + 47)), f)));
      } else {
        colons = eqBits(v0, v1, v2, v3, cs) & ~((q << 1) | prevQuote); // not after a quote
      }
      {
        while (colons != 0) {
          const at = p + <usize>ctz(colons);
          colons &= colons - 1;
          if (at >= to) break;
          if ((load<u8>(at - 1) | 0x20) == 0x66 && mappedAt(at)) hm |= (<u64>1) << (at - p);
          else if (v6Heads && hexValue(<u32>load<u8>(at - 1)) >= 0 && hexValue(<u32>load<u8>(at - 4)) >= 0 && inTable(load<u32>(at - 4) | 0x20202020)) hm |= (<u64>1) << (at - p);
        }
      }
    }
    // The block's hits in order (words, addresses and colons are at distinct bytes), each
    // with its line in line mode.
    let nl: u64 = 0;
    if (linesOn) {
      nl = anyBits(v0, v1, v2, v3, lfs);
      if (p + 64 > to) nl &= ((<u64>1) << <u64>(to - p)) - 1;
      let m = nl;
      while (m != 0) {
        const x = p + <usize>ctz(m);
        m &= m - 1;
        plainLineEndsAt(x, to);
      }
    }
    while (hm != 0) {
      const b = ctz(hm);
      hm &= hm - 1;
      if (linesOn) store<u32>(HIT_LINES + (<usize>n << 2), lineCount + <u32>popcnt(nl & (((<u64>1) << b) - 1)));
      n = push(n, p + <usize>b);
    }
    lineCount += <u32>popcnt(nl);
    v0 = c0;
    v1 = c1;
    v2 = c2;
    v3 = c3;
  }
  stoppedAt = p < to ? p : to;
  return n;
}

/**
 * Line mode's test of the line ending at the newline at x (the next starts at
 * x + 1, before `to` unless it is the last): a plain record is "{…}" or "{…}\r",
 * at most lineMax bytes, and the next line starts with "{". Anything else (a
 * blank or padded line, damage, an over-long line) marks the stretch irregular,
 * and the caller frames it line by line.
 */
@inline function plainLineEndsAt(x: usize, to: usize): void {
  const start = lastNl + 1;
  lastNl = x;
  if (x - start < 2 || x - start > lineMax) {
    irregular = true;
    return;
  }
  const b = load<u8>(x - 1);
  if (b != 0x7d && !(b == 0x0d && load<u8>(x - 2) == 0x7d)) irregular = true;
  if (x + 1 < to && load<u8>(x + 1) != 0x7b) irregular = true;
}

/**
 * Line mode for the find calls that follow, over lines starting at `from`
 * (which the caller checks starts a plain record), each at most `maxLine` bytes.
 */
export function resetLines(from: usize, maxLine: usize): void {
  linesOn = true;
  lineCount = 0;
  lastNl = from - 1;
  lineMax = maxLine;
  irregular = false;
}

/** Ends line mode. */
export function endLines(): void {
  linesOn = false;
}

/** Newlines passed in line mode. */
export function linesPassed(): u32 {
  return lineCount;
}

/** Did line mode pass a line that is not a plain record? */
export function linesIrregular(): bool {
  return irregular;
}

/** `keys` quoted keys ("createdDateTime", quotes included, at most 48 bytes, 8 of them) are in KEYS. */
export function configureKeys(keys: i32): void {
  keyCount = keys;
  keyDistances = indexNeedles(KEYS, 6, keys, KEY_LETTERS, KEY_FIRST_LO);
}

/**
 * Bit i set when byte p + 1 + i is the first letter of a needle (either case)
 * whose nibble tables (indexNeedles) are `lo` and `hi`: the quotes a key or
 * word can open. Most of the quote pairs as far apart as a key is long start no
 * key (5 a block in a sensor's eve.json, 2 in M365 audit records); testing
 * their letters 64 at a time leaves a tenth of them to try one by one, and in
 * most blocks none, so the pairs are not even worked out.
 */
@inline function firstLetters(p: usize, lo: v128, hi: v128): u64 {
  const nib = i8x16.splat(0x0f);
  const none = i8x16.splat(0);
  const a = v128.load(p + 1);
  const b = v128.load(p + 17);
  const c = v128.load(p + 33);
  const d = v128.load(p + 49);
  return ~bits4(
    i8x16.eq(v128.and(i8x16.swizzle(lo, v128.and(a, nib)), i8x16.swizzle(hi, i8x16.shr_u(a, 4))), none),
    i8x16.eq(v128.and(i8x16.swizzle(lo, v128.and(b, nib)), i8x16.swizzle(hi, i8x16.shr_u(b, 4))), none),
    i8x16.eq(v128.and(i8x16.swizzle(lo, v128.and(c, nib)), i8x16.swizzle(hi, i8x16.shr_u(c, 4))), none),
    i8x16.eq(v128.and(i8x16.swizzle(lo, v128.and(d, nib)), i8x16.swizzle(hi, i8x16.shr_u(d, 4))), none));
}

/**
 * The configured keys in one record [from, to) (hunt's window gate asks about a
 * record the IP search flagged): positions to HITS, which key to KEY_IDS; and
 * every "\u" escape, as KEY_ESCAPE (an escaped key could spell one of them).
 * Returns the count, KEY_CAP when there are too many to list. Reads up to 128
 * bytes past `to` (the rest of the buffer, or its padding).
 */
export function findKeys(from: usize, to: usize): i32 {
  return keysIn(from, to, false);
}

/**
 * findKeys, or with `any` mayHoldKeys: 1 at the first key or backslash (any
 * backslash, not only "\u": an escaped quote can hide a key too), else 0.
 */
@inline function keysIn(from: usize, to: usize, any: bool): i32 {
  let n = 0;
  const qs = i8x16.splat(0x22);
  const firstLo = v128.load(KEY_FIRST_LO);
  const firstHi = v128.load(KEY_FIRST_HI);
  let v0 = v128.load(from);
  let v1 = v128.load(from + 16);
  let v2 = v128.load(from + 32);
  let v3 = v128.load(from + 48);
  let nextQ = eqBits(v0, v1, v2, v3, qs);
  for (let p = from; p < to; p += 64) {
    const c0 = v128.load(p + 64);
    const c1 = v128.load(p + 80);
    const c2 = v128.load(p + 96);
    const c3 = v128.load(p + 112);
    const q = nextQ;
    nextQ = eqBits(c0, c1, c2, c3, qs);
    if (any) {
      let bs = anyBits(v0, v1, v2, v3, i8x16.splat(0x5c));
      if (p + 64 > to) bs &= lowBits(<i32>(to - p));
      if (bs != 0) return 1;
    } else {
      let esc = unicodeEscapes(p, to, v0, v1, v2, v3);
      while (esc != 0) {
        const at = p + <usize>ctz(esc);
        esc &= esc - 1;
        if (n >= KEY_CAP) return KEY_CAP;
        store<u32>(HITS + (<usize>n << 2), <u32>at);
        store<u8>(KEY_IDS + <usize>n, KEY_ESCAPE);
        n++;
      }
    }
    const open = q != 0 ? q & firstLetters(p, firstLo, firstHi) : 0;
    let cand = open != 0 ? quotePairsFrom(open, q, nextQ, keyDistances) : 0;
    while (cand != 0) {
      const at = p + <usize>ctz(cand);
      cand &= cand - 1;
      if (at >= to) break;
      const k = needleAt(at, to, KEY_LETTERS, KEYS, 6, keyCount);
      if (k < 0) continue;
      if (any) return 1;
      if (n >= KEY_CAP) return KEY_CAP;
      store<u32>(HITS + (<usize>n << 2), <u32>at);
      store<u8>(KEY_IDS + <usize>n, <u8>k);
      n++;
    }
    v0 = c0;
    v1 = c1;
    v2 = c2;
    v3 = c3;
  }
  return n;
}

/**
 * The "\u" escapes of the 64-byte block at p (bytes v0-v3) that start before
 * `to`: bit i for a backslash at p + i followed by "u". Backslashes are rare, so
 * their positions are worked out only in a block that has one.
 */
@inline function unicodeEscapes(p: usize, to: usize, v0: v128, v1: v128, v2: v128, v3: v128): u64 {
  let esc = anyBits(v0, v1, v2, v3, i8x16.splat(0x5c));
  let out: u64 = 0;
  while (esc != 0) {
    const i = ctz(esc);
    esc &= esc - 1;
    if (p + <usize>i >= to) break;
    if (load<u8>(p + <usize>i + 1) == 0x75 /* u */) out |= (<u64>1) << i;
  }
  return out;
}

/**
 * Is there a backslash followed by "u" in [from, to)? A "\u" escape could spell
 * an address the bytes do not (the window gate's test for a record whose hits
 * all read as other addresses). Reads up to 64 bytes past `to`.
 */
export function hasUnicodeEscape(from: usize, to: usize): bool {
  for (let p = from; p < to; p += 64) {
    if (unicodeEscapes(p, to, v128.load(p), v128.load(p + 16), v128.load(p + 32), v128.load(p + 48)) != 0) return true;
  }
  return false;
}

/**
 * Could a record in [from, to) be a sign-in or mail access? True at the first
 * configured key (configureKeys: the identity decoders' time keys, any case) or
 * backslash (an escape could spell a key, or hide a record nested as a JSON
 * string). Every identity decoder rejects a record without its time key, so
 * bytes without both hold none (hunt's window gate reasons the same way, record
 * by record). Reads up to 128 bytes past `to`.
 */
export function mayHoldKeys(from: usize, to: usize): bool {
  return keysIn(from, to, true) != 0;
}

export function findWords(from: usize, to: usize): i32 {
  return find(from, to, true, false);
}

export function findIps(from: usize, to: usize): i32 {
  return find(from, to, false, true);
}

export function findBoth(from: usize, to: usize): i32 {
  return find(from, to, true, true);
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


/** The low k bits set (k from 0 to 64). */
@inline function lowBits(k: i32): u64 {
  return k >= 64 ? ~(<u64>0) : ((<u64>1) << <u64>k) - 1;
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

/** Records separator n: its position and line. */
@inline function pushSeparator(n: i32, at: usize, line: u32): i32 {
  store<u32>(SEP_POS + (<usize>n << 2), <u32>at);
  store<u32>(SEP_LINE + (<usize>n << 2), line);
  return n + 1;
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
    const v0 = v128.load(p);
    const v1 = v128.load(p + 16);
    const v2 = v128.load(p + 32);
    const v3 = v128.load(p + 48);
    const qs = i8x16.splat(0x22);
    const quote = eqBits(v0, v1, v2, v3, qs);
    // Newlines and backslashes are rare in a streamed array (a Management API blob is one
    // line): their masks are made only for a block that has one (any_true on the compares).
    const nl = anyBits(v0, v1, v2, v3, i8x16.splat(0x0a));
    let q = quote;
    if (csv == 0) {
      // A quote is escaped when an odd run of backslashes precedes it.
      const bs = anyBits(v0, v1, v2, v3, i8x16.splat(0x5c));
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
    // The last block of a file may run past `to`: ignore what lies beyond.
    let valid: u64 = ~(<u64>0);
    if (p + 64 > to) valid = lowBits(<i32>(to - p));
    if (csv != 0) {
      let rows = nl & ~strMask & valid;
      while (rows != 0) {
        const i = ctz(rows);
        rows &= rows - 1;
        n = pushSeparator(n, p + <usize>i, line + <u32>popcnt(nl & lowBits(<i32>i)));
      }
    } else {
      // "{" and "[" differ only in bit 0x20, as do "}" and "]": one compare each on folded bytes.
      const f0 = fold(v0);
      const f1 = fold(v1);
      const f2 = fold(v2);
      const f3 = fold(v3);
      const os = i8x16.splat(0x7b);
      const cs = i8x16.splat(0x7d);
      const outside = ~strMask & valid;
      const opens = anyBits(f0, f1, f2, f3, os) & outside;
      const closes = anyBits(f0, f1, f2, f3, cs) & outside;
      // Deep inside a record the whole block long (it does not close enough brackets to
      // come back to the target depth): nothing to find, only the depth to carry on.
      const closing = <i32>popcnt(closes);
      if (depth - closing > target) {
        depth += <i32>popcnt(opens) - closing;
        line += <u32>popcnt(nl & valid);
        continue;
      }
      // (The commas only for a block that reaches the target depth.)
      const commas = eqBits(v0, v1, v2, v3, i8x16.splat(0x2c)) & outside;
      // Only brackets change the depth, so only they are stepped through one by one;
      // commas are looked at only in the stretches at the target depth (most commas
      // are inside the records, deeper, and cost nothing).
      let brackets = opens | closes;
      let prev = 0;
      for (;;) {
        const i = brackets != 0 ? <i32>ctz(brackets) : 64;
        if (depth == target) {
          let cm = commas & lowBits(i) & ~lowBits(prev);
          while (cm != 0) {
            const j = ctz(cm);
            cm &= cm - 1;
            n = pushSeparator(n, p + <usize>j, line + <u32>popcnt(nl & lowBits(<i32>j)));
          }
        }
        if (i == 64) break;
        brackets &= brackets - 1;
        if (((opens >> <u64>i) & 1) != 0) {
          depth++;
        } else {
          if (depth == target) {
            n = pushSeparator(n, (p + <usize>i) | 0x80000000, line + <u32>popcnt(nl & lowBits(i)));
          }
          depth--;
        }
        prev = i + 1;
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


// ---------------------------------------------------------------------------
// The window gate for JSON records (src/hunt/window-gate.ts has the rules and the
// JavaScript that decides whatever this does not): a record the IP search flagged
// goes unparsed when every alerted address it names and every time field it has
// lie outside every window of that address's alerts. Decided here when each hit
// is a plain dotted quad and each time value the commonest ISO form: the
// JavaScript spent ~4.6 µs a record on it (a fifth of a 5M hunt's CPU at 20 %).

let gateWindow: f64 = 0;
let gateZoneless: bool = false;
let gateOffset: i32 = 0;
let gateTimeKeys: i32 = 0;
let gateTime: f64 = 0;
/** The IPv6 table's slots - 1; -1 when IPv6 hits are left to the JavaScript. */
let gateV6Mask: i32 = -1;

/**
 * windowMs: how far after an alert an event matters; zoneless: whether a time
 * without a zone is read at offsetMinutes (not when an IANA zone is configured);
 * timeKeys: the configured keys (findKeys) below this id are time keys, the
 * others make a record unreadable here. GATE_IDX, GATE_DIR and GATE_TIMES are
 * filled by the caller.
 */
export function configureGate(windowMs: f64, zoneless: i32, offsetMinutes: i32, timeKeys: i32, v6Slots: i32): void {
  gateV6Mask = v6Slots - 1;
  gateWindow = windowMs;
  gateZoneless = zoneless != 0;
  gateOffset = offsetMinutes;
  gateTimeKeys = timeKeys;
}

const GATE_SKIP = 0;
const GATE_PARSE = 1;
const GATE_ASK = 2;

@inline function isAddressByte(b: u32): bool {
  return b - 0x30 < 11 /* 0-9 : */ || b == 0x2e || (b | 0x20) - 0x61 < 6 /* a-f */;
}

@inline function isSpaceByte(b: u32): bool {
  return b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d;
}

/** The dotted quad whose first dot is at `at`, spelled plainly (window-gate.ts plainQuadAt); -1 for anything else. */
function plainQuad(at: usize, from: usize, to: usize): i64 {
  let a = at;
  while (a > from && isDigit(<u32>load<u8>(a - 1))) a--;
  const mapped = a > from && isAddressByte(<u32>load<u8>(a - 1));
  if (mapped) {
    // "::ffff:" and then a byte that is not part of an address.
    if (a < from + 7) return -1;
    const m = a - 7;
    if (m > from && isAddressByte(<u32>load<u8>(m - 1))) return -1;
    // (Compared as plainQuadAt does: each byte with bit 5 set.)
    if ((load<u8>(m) | 0x20) != 0x3a || (load<u8>(m + 1) | 0x20) != 0x3a || (load<u8>(m + 6) | 0x20) != 0x3a) return -1;
    for (let i: usize = 2; i < 6; i++) if ((load<u8>(m + i) | 0x20) != 0x66) return -1;
  }
  let value: u32 = 0;
  let p = a;
  for (let o = 0; o < 4; o++) {
    if (o > 0) {
      if (p >= to || load<u8>(p) != 0x2e) return -1;
      p++;
    }
    const start = p;
    let v: u32 = 0;
    while (p < to && isDigit(<u32>load<u8>(p)) && p - start < 4) {
      v = v * 10 + (<u32>load<u8>(p) - 0x30);
      p++;
    }
    const n = p - start;
    if (n < 1 || n > 3 || v > 255 || (n > 1 && load<u8>(start) == 0x30)) return -1;
    value = (value << 8) | v;
  }
  if (!mapped && p < to && load<u8>(p) == 0x3a) {
    p++;
    while (p < to && isDigit(<u32>load<u8>(p))) p++;
  }
  if (p < to && isAddressByte(<u32>load<u8>(p))) return -1;
  return <i64>value;
}

/** 1 + the index of the alerted IPv4 address `ip`, or 0 when it is not one. */
function addressIndex(ip: u32): u32 {
  if (tableMask == 0) return 0;
  let h = (ip * 0x9e3779b1) >> tableShift;
  let v = load<u32>(TABLE + (<usize>h << 2));
  while (v != 0) {
    if (v == ip) return load<u32>(GATE_IDX + (<usize>h << 2));
    h = (h + 1) & tableMask;
    v = load<u32>(TABLE + (<usize>h << 2));
  }
  return 0;
}

let v6w0: u32 = 0;
let v6w1: u32 = 0;
let v6w2: u32 = 0;
let v6w3: u32 = 0;

/**
 * Reads [a, e) as an IPv6 address in hex groups — eight of them, or fewer
 * with one "::" standing for at least one — into v6w0..v6w3; false for any
 * other text (a dotted tail, a fifth digit, a second "::"), which the
 * JavaScript then spells.
 */
function parseV6(a: usize, e: usize): bool {
  const groups: usize = GATE_IPS + 256 - 32; // 8 u32 scratch slots below HITS (GATE_IPS holds 56 at most then)
  let count = 0;
  let gap = -1;
  let p = a;
  if (p < e && load<u8>(p) == 0x3a) {
    if (p + 1 >= e || load<u8>(p + 1) != 0x3a) return false;
    gap = 0;
    p += 2;
  }
  while (p < e) {
    let v: u32 = 0;
    let k = 0;
    while (p < e && k < 5) {
      const h = hexValue(<u32>load<u8>(p));
      if (h < 0) break;
      v = (v << 4) | <u32>h;
      p++;
      k++;
    }
    if (k == 0 || k > 4 || count == 8) return false;
    store<u32>(groups + (<usize>count << 2), v);
    count++;
    if (p == e) break;
    if (load<u8>(p) != 0x3a) return false;
    p++;
    if (p < e && load<u8>(p) == 0x3a) {
      if (gap >= 0) return false;
      gap = count;
      p++;
    } else if (p == e) return false; // a trailing single colon
  }
  if (gap < 0 ? count != 8 : count > 7) return false;
  // The groups, with the gap's zeros, as four big-endian words.
  const fill = 8 - count;
  let w: u32 = 0;
  let at = 0;
  for (let g = 0; g < 8; g++) {
    let v: u32 = 0;
    if (gap >= 0 && g >= gap && g < gap + fill) v = 0;
    else v = load<u32>(groups + (<usize>(at++) << 2));
    w = (w << 16) | v;
    if ((g & 1) == 1) {
      if (g == 1) v6w0 = w;
      else if (g == 3) v6w1 = w;
      else if (g == 5) v6w2 = w;
      else v6w3 = w;
      w = 0;
    }
  }
  return true;
}

/** The IPv6 table's slot for the words, before the mask. */
@inline function v6Hash(w0: u32, w1: u32, w2: u32, w3: u32): u32 {
  return ((w0 ^ (w1 * 0x85ebca6b) ^ (w2 * 0xc2b2ae35) ^ (w3 * 0x27d4eb2f)) * 0x9e3779b1) >> 18;
}

/** Puts an alerted IPv6 address (its four words) with 1 + its index into the IPv6 table of `slots` slots (cleared before). */
export function gateAddV6(w0: u32, w1: u32, w2: u32, w3: u32, index: u32, slots: u32): void {
  const mask = slots - 1;
  let h = v6Hash(w0, w1, w2, w3) & mask;
  while (load<u32>(GATE_V6 + <usize>h * 20 + 16) != 0) h = (h + 1) & mask;
  const at = GATE_V6 + <usize>h * 20;
  store<u32>(at, w0);
  store<u32>(at + 4, w1);
  store<u32>(at + 8, w2);
  store<u32>(at + 12, w3);
  store<u32>(at + 16, index);
}

/** 1 + the index of the alerted IPv6 address just read (parseV6), or 0 when it is not one. */
function v6Index(): u32 {
  const mask = <u32>gateV6Mask;
  let h = v6Hash(v6w0, v6w1, v6w2, v6w3) & mask;
  for (;;) {
    const at = GATE_V6 + <usize>h * 20;
    const index = load<u32>(at + 16);
    if (index == 0) return 0;
    if (load<u32>(at) == v6w0 && load<u32>(at + 4) == v6w1 && load<u32>(at + 8) == v6w2 && load<u32>(at + 12) == v6w3) return index;
    h = (h + 1) & mask;
  }
  return 0; // (the table always has an empty slot: it is at most half full)
}

@inline function digitsAt(p: usize, n: usize): i32 {
  let v = 0;
  for (let i: usize = 0; i < n; i++) {
    const d = <i32>load<u8>(p + i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days from 1970-01-01 to the date (proleptic Gregorian; y >= 1970). */
@inline function daysFromCivil(y: i32, m: i32, d: i32): i64 {
  const yy = m <= 2 ? y - 1 : y;
  const era = yy / 400;
  const yoe = yy - era * 400;
  const doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return <i64>era * 146097 + <i64>doe - 719468;
}

/** model/time.ts plainIsoTime (window-gate.ts fastIsoMs) on [start, end): true with the time in gateTime, false for anything else. */
function isoTime(start: usize, end: usize): bool {
  const len = end - start;
  if (len < 19 || load<u8>(start + 4) != 0x2d || load<u8>(start + 7) != 0x2d || load<u8>(start + 10) != 0x54
    || load<u8>(start + 13) != 0x3a || load<u8>(start + 16) != 0x3a) return false;
  const y = digitsAt(start, 4);
  const mo = digitsAt(start + 5, 2);
  const d = digitsAt(start + 8, 2);
  const h = digitsAt(start + 11, 2);
  const mi = digitsAt(start + 14, 2);
  const sec = digitsAt(start + 17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return false;
  const leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const dim = mo == 2 ? (leap ? 29 : 28) : mo == 4 || mo == 6 || mo == 9 || mo == 11 ? 30 : 31;
  if (d > dim) return false;
  let i = start + 19;
  let fracMs = 0;
  if (i < end && load<u8>(i) == 0x2e) {
    i++;
    const from = i;
    while (i < end && isDigit(<u32>load<u8>(i))) i++;
    const n = <i32>(i - from);
    if (n < 1 || n > 9) return false;
    for (let k = 0; k < 3; k++) fracMs = fracMs * 10 + (k < n ? <i32>load<u8>(from + <usize>k) - 0x30 : 0);
  }
  let offset = 0;
  if (i == end && gateZoneless) offset = gateOffset;
  else if (i == end - 1 && load<u8>(i) == 0x5a) offset = 0;
  else if (i == end - 6 && (load<u8>(i) == 0x2b || load<u8>(i) == 0x2d) && load<u8>(i + 3) == 0x3a) {
    const oh = digitsAt(i + 1, 2);
    const om = digitsAt(i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset = (load<u8>(i) == 0x2d ? -1 : 1) * (oh * 60 + om);
  } else return false;
  const ms = <f64>(daysFromCivil(y, mo, d) * 86400000 + <i64>h * 3600000 + <i64>mi * 60000 + <i64>sec * 1000 + <i64>fracMs - <i64>offset * 60000);
  if (ms > 253402300799999) return false;
  gateTime = ms;
  return true;
}

const VALUE_SKIP = 0;
const VALUE_TIME = 1;
const VALUE_UNREADABLE = 2;
const VALUE_ASK = 3;

/** window-gate.ts valueAfter for a JSON record: the value of the key whose closing quote is at `close`. */
function valueAfter(close: usize, to: usize): i32 {
  let i = close + 1;
  while (i < to && isSpaceByte(<u32>load<u8>(i))) i++;
  if (load<u8>(i) != 0x3a) return VALUE_SKIP; // a value, not a key
  i++;
  while (i < to && isSpaceByte(<u32>load<u8>(i))) i++;
  const c = load<u8>(i);
  if (c == 0x6e) {
    return load<u8>(i + 1) == 0x75 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x6c ? VALUE_SKIP : VALUE_UNREADABLE;
  }
  if (c != 0x22) return VALUE_UNREADABLE;
  const start = i + 1;
  let j = start;
  while (j < to && j - start <= 64) {
    const b = load<u8>(j);
    if (b == 0x22) break;
    if (b == 0x5c || b >= 0x80) return VALUE_UNREADABLE;
    j++;
  }
  if (load<u8>(j) != 0x22) return VALUE_UNREADABLE;
  return isoTime(start, j) ? VALUE_TIME : VALUE_ASK;
}

/** Is there an alert of address `index` (1-based) with tA <= t + 1 and tA >= t - window - 1 (correlator.ts withinAWindow)? */
function wanted(index: u32, t: f64): bool {
  const dir = GATE_DIR + (<usize>(index - 1) << 3);
  const first = <usize>load<u32>(dir);
  let lo: usize = 0;
  let hi = <usize>load<u32>(dir + 4);
  const count = hi;
  const from = t - gateWindow - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (load<f64>(GATE_TIMES + ((first + mid) << 3)) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < count && load<f64>(GATE_TIMES + ((first + lo) << 3)) <= t + 1;
}

/**
 * The gate on the JSON record [from, to) whose `hits` hits are in GATE_HITS:
 * 0 leave it unparsed, 1 parse it, 2 ask the JavaScript gate (an address or a
 * time not of the plain forms). Uses findKeys (HITS, KEY_IDS).
 */
export function gateJson(from: usize, to: usize, hits: i32): i32 {
  if (hits > GATE_HIT_CAP) return GATE_ASK;
  let ips = 0;
  for (let i = 0; i < hits; i++) {
    const at = <usize>load<u32>(GATE_HITS + (<usize>i << 2));
    const b = load<u8>(at);
    if (b == 0x22) return GATE_PARSE; // a network-alert marker
    let index: u32 = 0;
    if (b == 0x2e) {
      const q = plainQuad(at, from, to);
      if (q <= 0 || q == 0xffffffff) return GATE_ASK;
      index = addressIndex(<u32>q);
    } else {
      // A colon after an alerted IPv6 address's first group (or an IPv4-mapped address in
      // hex): the address bytes around it, as the JavaScript spells them (addressAt).
      let a = at;
      while (a > from && isAddressByte(<u32>load<u8>(a - 1))) a--;
      let e = at;
      while (e < to && isAddressByte(<u32>load<u8>(e))) e++;
      if (gateV6Mask < 0) return GATE_ASK;
      if (e - a > 64) return GATE_PARSE;
      if ((a > from && load<u8>(a - 1) == 0x5c) || (e < to && load<u8>(e) == 0x5c)) return GATE_PARSE;
      if (!parseV6(a, e)) return GATE_ASK;
      if (v6w0 == 0 && v6w1 == 0 && v6w2 == 0xffff) return GATE_ASK; // IPv4-mapped: named as the IPv4 address
      index = v6Index();
    }
    if (index == 0) continue;
    let seen = false;
    for (let k = 0; k < ips; k++) if (load<u32>(GATE_IPS + (<usize>k << 2)) == index) seen = true;
    if (!seen) {
      if (ips == GATE_IP_CAP) return GATE_ASK;
      store<u32>(GATE_IPS + (<usize>ips << 2), index);
      ips++;
    }
  }
  // Only addresses that look alerted: unparsed unless an escape could spell one.
  if (ips == 0) return hasUnicodeEscape(from, to) ? GATE_PARSE : GATE_SKIP;
  const n = findKeys(from, to);
  if (n >= KEY_CAP) return GATE_PARSE;
  let times = 0;
  let want = false;
  for (let k = 0; k < n; k++) {
    const id = <i32>load<u8>(KEY_IDS + <usize>k);
    if (id >= gateTimeKeys) return GATE_PARSE; // an escape, or a Log Analytics shape
    const at = <usize>load<u32>(HITS + (<usize>k << 2));
    const v = valueAfter(at + <usize>load<u8>(KEYS + (<usize>id << 6)) - 1, to);
    if (v == VALUE_UNREADABLE) return GATE_PARSE;
    if (v == VALUE_ASK) return GATE_ASK;
    if (v == VALUE_TIME) {
      times++;
      if (!want) for (let x = 0; x < ips; x++) if (wanted(load<u32>(GATE_IPS + (<usize>x << 2)), gateTime)) want = true;
    }
  }
  if (times == 0) {
    // No time field: not a qualifying event, unless a backslash could hide one.
    for (let p = from; p < to; p++) if (load<u8>(p) == 0x5c) return GATE_PARSE;
    return GATE_SKIP;
  }
  return want ? GATE_PARSE : GATE_SKIP;
}

// ---------------------------------------------------------------------------
// pruneRecord: one JSON record validated as JSON.parse would read it, and written
// again with only the members the configured keys keep. hunt parses the rest of
// a record that names an alerted IP only when a decoder reads it (docs/performance.md,
// "Fourteenth round"): a sign-in's device details, conditional access policies
// and an Exchange record's folder lists are most of its bytes and nobody's input.
// Anything the pruned text could read differently — an escaped key, an envelope,
// a record over a JSON limit — or that JSON.parse would reject makes it answer -1:
// then the record is parsed whole, as before, and reports its own error.
const PRUNE_KEYS: usize = 0x308000; // 256 × 64 bytes (the JavaScript side holds to the count): u8 length, u8 action at the top, u8 action inside, 13 spare, the key at +16
const PRUNE_KEY_BYTES: i32 = 48;
const PRUNE_SLOTS: usize = 0x30c000; // u16 hash slots: 1 + the key's index, 0 empty
const PRUNE_SLOT_MASK: u32 = 1023; // (keyHash gives 10 bits)
const PRUNE_PREFIXES: usize = 0x30c800; // 8 × 64 bytes, the same layout: top-level keys that start so
const PRUNE_OUT: usize = 0x310000; // the pruned text
const PRUNE_MAX_RECORD: usize = 50000; // longer records are parsed whole (json-limits.ts: then no limit can be reached unseen)
const PRUNE_MAX_DEPTH: i32 = 64; // JSON_LIMITS.depth
// A key's action.
const DROP: u8 = 0;
const KEEP: u8 = 1;
const KEEP_PRUNED: u8 = 2; // keep, and prune its object with the keys' inner actions
const BAIL: u8 = 3; // parse the record whole

let pruneKeys: i32 = 0;
let prunePrefixes: i32 = 0;
let pruneAt: usize = 0; // where the pruned text is written next
let escapedString = false; // the last string skipString passed had a backslash

/** A key's slot: from its length and its first and last four bytes (keys differ there; a collision only costs a compare). */
@inline function keyHash(p: usize, n: usize): u32 {
  let x: u32 = <u32>n;
  if (n >= 4) x ^= load<u32>(p) ^ (load<u32>(p + n - 4) * 31);
  else if (n > 0) x ^= (<u32>load<u8>(p) << 8) | (<u32>load<u8>(p + n - 1) << 16) | (<u32>load<u8>(p + (n >> 1)) << 24);
  return (x * 0x9e3779b1) >> (32 - 10);
}

/** `keys` entries in PRUNE_KEYS and `prefixes` in PRUNE_PREFIXES (src/inputs/scan-kernel.ts configurePrune fills them). */
export function configurePrune(keys: i32, prefixes: i32): void {
  pruneKeys = keys;
  prunePrefixes = prefixes;
  memory.fill(PRUNE_SLOTS, 0, (<usize>PRUNE_SLOT_MASK + 1) << 1);
  for (let k = 0; k < keys; k++) {
    const base = PRUNE_KEYS + (<usize>k << 6);
    let h = keyHash(base + 16, <usize>load<u8>(base));
    while (load<u16>(PRUNE_SLOTS + (<usize>h << 1)) != 0) h = (h + 1) & PRUNE_SLOT_MASK;
    store<u16>(PRUNE_SLOTS + (<usize>h << 1), <u16>(k + 1));
  }
}

@inline function sameBytes(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** What to do with the member whose key is the n bytes at p, at the top (inner false) or inside a pruned object. */
function keyAction(p: usize, n: usize, inner: bool): u8 {
  let action = DROP;
  if (n <= <usize>PRUNE_KEY_BYTES) {
    let h = keyHash(p, n);
    for (let s = load<u16>(PRUNE_SLOTS + (<usize>h << 1)); s != 0; s = load<u16>(PRUNE_SLOTS + (<usize>h << 1))) {
      const base = PRUNE_KEYS + (<usize>(s - 1) << 6);
      if (<usize>load<u8>(base) == n && sameBytes(base + 16, p, n)) {
        action = load<u8>(base + (inner ? 2 : 1));
        break;
      }
      h = (h + 1) & PRUNE_SLOT_MASK;
    }
  }
  if (action == DROP && !inner) {
    for (let k = 0; k < prunePrefixes; k++) {
      const base = PRUNE_PREFIXES + (<usize>k << 6);
      const m = <usize>load<u8>(base);
      if (m <= n && sameBytes(base + 16, p, m)) return load<u8>(base + 1);
    }
  }
  return action;
}

@inline function skipSpace(p: usize, end: usize): usize {
  while (p < end && isSpaceByte(<u32>load<u8>(p))) p++;
  return p;
}

/**
 * The string whose opening quote is at p: where it ends (after its closing
 * quote), or 0 when JSON.parse would reject it (a control byte, a bad escape,
 * no closing quote before `end`). Sets escapedString. Reads up to 16 bytes past `end`.
 */
@inline function skipString(p: usize, end: usize): usize {
  escapedString = false;
  p++;
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const space = i8x16.splat(0x20);
  while (true) {
    const v = v128.load(p);
    const special = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.lt_u(v, space)));
    if (special == 0) {
      p += 16;
      if (p >= end) return 0;
      continue;
    }
    p += <usize>ctz(special);
    if (p >= end) return 0;
    const b = load<u8>(p);
    if (b == 0x22) return p + 1;
    if (b < 0x20) return 0;
    escapedString = true;
    if (p + 1 >= end) return 0;
    const e = load<u8>(p + 1);
    if (e == 0x75 /* u */) {
      if (p + 6 > end) return 0;
      for (let i: usize = 2; i < 6; i++) if (hexValue(<u32>load<u8>(p + i)) < 0) return 0;
      p += 6;
    } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
      p += 2;
    } else {
      return 0;
    }
  }
}

/** A number in JSON's grammar at p: where it ends, or 0. */
@inline function skipNumber(p: usize, end: usize): usize {
  if (load<u8>(p) == 0x2d) p++;
  if (p >= end) return 0;
  const first = <u32>load<u8>(p);
  if (first == 0x30) p++;
  else if (first - 0x31 < 9) {
    p++;
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  } else return 0;
  if (p < end && load<u8>(p) == 0x2e) {
    p++;
    if (p >= end || !isDigit(<u32>load<u8>(p))) return 0;
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  }
  if (p < end && (load<u8>(p) | 0x20) == 0x65 /* e */) {
    p++;
    if (p < end && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) p++;
    if (p >= end || !isDigit(<u32>load<u8>(p))) return 0;
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  }
  return p;
}

/** true, false or null at p: where it ends, or 0. */
@inline function skipLiteral(p: usize, end: usize): usize {
  const b = load<u8>(p);
  if (b == 0x74 && p + 4 <= end && load<u32>(p) == 0x65757274) return p + 4; // "true"
  if (b == 0x6e && p + 4 <= end && load<u32>(p) == 0x6c6c756e) return p + 4; // "null"
  if (b == 0x66 && p + 5 <= end && load<u32>(p + 1) == 0x65736c61) return p + 5; // "false"
  return 0;
}

/** A member's key and colon at p (after white space): where its value starts, or 0. */
@inline function memberKey(p: usize, end: usize): usize {
  if (p >= end || load<u8>(p) != 0x22) return 0;
  p = skipString(p, end);
  if (p == 0) return 0;
  p = skipSpace(p, end);
  if (p >= end || load<u8>(p) != 0x3a) return 0;
  return skipSpace(p + 1, end);
}

/**
 * One JSON value at p, inside a container at `depth` (the record is 1): where
 * it ends, or 0 when JSON.parse would reject it or it nests deeper than the
 * limit. Containers are followed on a stack of bits (1: object), not by recursion.
 */
function skipValue(p: usize, end: usize, depth: i32): usize {
  let objects: u64 = 0;
  let level: i32 = 0;
  while (true) {
    if (p >= end) return 0;
    const b = load<u8>(p);
    if (b == 0x7b || b == 0x5b) {
      if (depth + level + 1 > PRUNE_MAX_DEPTH) return 0;
      p = skipSpace(p + 1, end);
      if (p >= end) return 0;
      const object = b == 0x7b;
      if (load<u8>(p) == (object ? 0x7d : 0x5d)) {
        p++;
      } else {
        if (object) objects |= (<u64>1) << <u64>level;
        else objects &= ~((<u64>1) << <u64>level);
        level++;
        if (object) {
          p = memberKey(p, end);
          if (p == 0) return 0;
        }
        continue;
      }
    } else if (b == 0x22) {
      p = skipString(p, end);
    } else if (b == 0x74 || b == 0x66 || b == 0x6e) {
      p = skipLiteral(p, end);
    } else {
      p = skipNumber(p, end);
    }
    if (p == 0) return 0;
    // After a value: close containers, or go on to the next member or element.
    while (true) {
      if (level == 0) return p;
      p = skipSpace(p, end);
      if (p >= end) return 0;
      const c = load<u8>(p);
      const object = ((objects >> <u64>(level - 1)) & 1) != 0;
      if (c == 0x2c) {
        p = skipSpace(p + 1, end);
        if (object) {
          p = memberKey(p, end);
          if (p == 0) return 0;
        }
        break;
      }
      if (c != (object ? 0x7d : 0x5d)) return 0;
      p++;
      level--;
    }
  }
}

@inline function emit(b: u8): void {
  store<u8>(pruneAt++, b);
}

@inline function emitBytes(from: usize, to: usize): void {
  memory.copy(pruneAt, from, to - from);
  pruneAt += to - from;
}

/**
 * The object at p (its opening brace), written with the members its keys keep;
 * `inner`: inside a KEEP_PRUNED member (its keys' inner actions). Where it ends, or 0.
 */
function pruneObject(p: usize, end: usize, inner: bool): usize {
  emit(0x7b);
  let first = true;
  p = skipSpace(p + 1, end);
  if (p >= end) return 0;
  if (load<u8>(p) == 0x7d) {
    emit(0x7d);
    return p + 1;
  }
  while (true) {
    if (load<u8>(p) != 0x22) return 0;
    const key = p;
    p = skipString(p, end);
    if (p == 0 || escapedString) return 0; // an escaped key may spell one kept
    const keyEnd = p;
    p = skipSpace(p, end);
    if (p >= end || load<u8>(p) != 0x3a) return 0;
    p = skipSpace(p + 1, end);
    if (p >= end) return 0;
    const action = keyAction(key + 1, keyEnd - key - 2, inner);
    if (action == BAIL) return 0;
    if (action != DROP) {
      if (!first) emit(0x2c);
      first = false;
      emitBytes(key, keyEnd);
      emit(0x3a);
    }
    if (action == KEEP_PRUNED && !inner && load<u8>(p) == 0x7b) {
      p = pruneObject(p, end, true);
    } else {
      const value = p;
      p = skipValue(p, end, inner ? 2 : 1);
      if (p != 0 && action != DROP) emitBytes(value, p);
    }
    if (p == 0) return 0;
    p = skipSpace(p, end);
    if (p >= end) return 0;
    const c = load<u8>(p);
    if (c == 0x7d) {
      emit(0x7d);
      return p + 1;
    }
    if (c != 0x2c) return 0;
    p = skipSpace(p + 1, end);
    if (p >= end) return 0;
  }
}

/**
 * The record [from, to) — one JSON object, white space around it allowed —
 * pruned to PRUNE_OUT: the pruned text's length, or -1 (parse it whole; see above).
 * Reads up to 16 bytes past `to`.
 */
export function pruneRecord(from: usize, to: usize): i32 {
  if (to - from >= PRUNE_MAX_RECORD) return -1;
  const p = skipSpace(from, to);
  if (p >= to || load<u8>(p) != 0x7b) return -1;
  pruneAt = PRUNE_OUT;
  const q = pruneObject(p, to, false);
  if (q == 0 || skipSpace(q, to) != to) return -1;
  return <i32>(pruneAt - PRUNE_OUT);
}
