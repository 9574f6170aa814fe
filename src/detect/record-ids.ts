// The record ids of the correlator's rows (qualifying-table.ts), and the index
// that finds a redelivered record by its id (DESIGN.md §1.5: the same source
// record counts once). Entra and M365 write GUIDs, nearly every one distinct:
// as strings in a Map they were ~100 B a row (the string, the entry), a fifth of
// the main thread's heap in a hunt over 5M records with half the sign-ins from
// alerted IPs. A GUID written the way they write it (lower-case 8-4-4-4-12) is
// kept here as four 32-bit words, found through an open-addressing table of row
// numbers, and spelled again when read; any other id is kept as it is.

/** What a row's id is. */
const NONE = 0;
const GUID = 1;
const TEXT = 2;

/** Slots of the index: a row number + 1, EMPTY, or GONE (a row taken out; probing goes on past it). */
const EMPTY = 0;
const GONE = -1;
/** The index grows when more than this share of its slots is taken (rows and GONE alike). */
const MAX_LOAD = 0.5;

const HEX = '0123456789abcdef';

/** A lower-case hex digit's value, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** The GUID's 128 bits as four words into `out`, or false when `id` is not a lower-case 8-4-4-4-12 GUID. */
function guidWords(id: string, out: Int32Array, at: number): boolean {
  if (id.length !== 36 || id.charCodeAt(8) !== 0x2d || id.charCodeAt(13) !== 0x2d || id.charCodeAt(18) !== 0x2d || id.charCodeAt(23) !== 0x2d) return false;
  let word = 0;
  let nibbles = 0;
  let k = at;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue;
    const v = hexValue(id.charCodeAt(i));
    if (v < 0) return false;
    word = (word << 4) | v;
    if (++nibbles === 8) {
      out[k++] = word;
      word = 0;
      nibbles = 0;
    }
  }
  return true;
}

/** Where a GUID's spelling is written before it becomes a string. */
const SPELLING = Buffer.alloc(36);
const HEX_BYTES = Buffer.from(HEX, 'latin1');

/**
 * The GUID's spelling, as one flat string (built from bytes: appended a
 * character at a time it would be a chain of 36 pieces, ~1 KB, until read).
 */
function spellGuid(w: Int32Array, at: number): string {
  let i = 0;
  for (let k = 0; k < 4; k++) {
    const word = w[at + k]!;
    for (let shift = 28; shift >= 0; shift -= 4) {
      if (i === 8 || i === 13 || i === 18 || i === 23) SPELLING[i++] = 0x2d;
      SPELLING[i++] = HEX_BYTES[(word >>> shift) & 15]!;
    }
  }
  return SPELLING.toString('latin1', 0, 36);
}

/** MurmurHash3's finalizer: a bijection on 32 bits that spreads every input bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Where a GUID's words hash, from a seed of this process: ids can come from
 * whoever can send a record (serve's HTTP ingest), who must not be able to
 * choose ids that all land together. (Should they still, see MAX_PROBE.)
 */
const SEED = (Math.random() * 2 ** 32) | 0;
const hashWords = (w: Int32Array, at: number): number =>
  fmix(fmix(fmix(fmix(SEED ^ w[at]!) ^ w[at + 1]!) ^ w[at + 2]!) ^ w[at + 3]!);

/**
 * A probe longer than this turns the GUID index off: from then on GUIDs are
 * indexed by their spelling, like other ids, so ids chosen to collide cost a
 * Map's time, never a probe through the whole table for each record. (Random
 * GUIDs at half load take ~1.5 steps; the longest run of taken slots in a
 * table of a million is ~70, and one of 1,000 has odds far below 1e-100.)
 */
const MAX_PROBE = 1000;

export class RecordIds {
  private kind = new Uint8Array(0);
  private words = new Int32Array(0);
  /** Ids that are not GUIDs, by row. */
  private readonly texts = new Map<number, string>();
  /** The index of rows with a GUID: open addressing over `slots`. */
  private slots = new Int32Array(16);
  private taken = 0;
  /** The index of rows with another id. */
  private readonly byText = new Map<string, number | number[]>();
  /** A lookup's GUID, parsed once. */
  private readonly probe = new Int32Array(4);
  /** The GUID index is off (see MAX_PROBE): GUIDs are in `byText`, by their spelling. */
  private spelled = false;

  /** `maxProbe`: MAX_PROBE (tests set a small one to turn the GUID index off early). */
  constructor(private readonly maxProbe = MAX_PROBE) {}

  /** Is the GUID index off (ids chosen to collide, or a test's small maxProbe)? */
  get spelling(): boolean {
    return this.spelled;
  }

  /** Room for rows up to `capacity` (the table's). */
  grow(capacity: number): void {
    if (capacity <= this.kind.length) return;
    const kind = new Uint8Array(capacity);
    kind.set(this.kind);
    const words = new Int32Array(capacity * 4);
    words.set(this.words);
    this.kind = kind;
    this.words = words;
  }

  /** Sets row r's id (not indexed: see index). */
  set(r: number, id: string | undefined): void {
    this.texts.delete(r);
    if (id === undefined) this.kind[r] = NONE;
    else if (guidWords(id, this.words, r * 4)) this.kind[r] = GUID;
    else {
      this.kind[r] = TEXT;
      this.texts.set(r, id);
    }
  }

  /** Row r's id, as it was written. */
  get(r: number): string | undefined {
    const k = this.kind[r];
    if (k === GUID) return spellGuid(this.words, r * 4);
    return k === TEXT ? this.texts.get(r) : undefined;
  }

  /** An indexed row with this id for which `match` holds, if any. */
  find(id: string, match: (r: number) => boolean): number | undefined {
    if (this.spelled || !guidWords(id, this.probe, 0)) {
      const had = this.byText.get(id);
      if (had === undefined) return undefined;
      if (!Array.isArray(had)) return match(had) ? had : undefined;
      return had.find(match);
    }
    const p = this.probe;
    const mask = this.slots.length - 1;
    for (let h = hashWords(p, 0) & mask, steps = 0; ; h = (h + 1) & mask) {
      const s = this.slots[h]!;
      if (s === EMPTY) return undefined;
      if (++steps > this.maxProbe) {
        this.spell();
        return this.find(id, match);
      }
      if (s === GONE) continue;
      const r = s - 1;
      const at = r * 4;
      const w = this.words;
      if (w[at] === p[0] && w[at + 1] === p[1] && w[at + 2] === p[2] && w[at + 3] === p[3] && match(r)) return r;
    }
  }

  /** A row's id as the key of `byText`: other ids always, GUIDs once the GUID index is off. */
  private textKey(r: number): string | undefined {
    const k = this.kind[r];
    if (k === TEXT) return this.texts.get(r);
    return k === GUID && this.spelled ? spellGuid(this.words, r * 4) : undefined;
  }

  /** Turns the GUID index off: its rows go to `byText` under their spelling (see MAX_PROBE). */
  private spell(): void {
    const slots = this.slots;
    this.spelled = true;
    this.slots = new Int32Array(16);
    this.taken = 0;
    for (let h = 0; h < slots.length; h++) if (slots[h]! > 0) this.index(slots[h]! - 1);
  }

  /** Puts row r (its id as set) in the index. */
  index(r: number): void {
    const text = this.textKey(r);
    if (text !== undefined) {
      const id = text;
      const had = this.byText.get(id);
      if (had === undefined) this.byText.set(id, r);
      else if (Array.isArray(had)) had.push(r);
      else this.byText.set(id, [had, r]);
      return;
    }
    if (this.kind[r] !== GUID) return;
    if ((this.taken + 1) > this.slots.length * MAX_LOAD) this.rehash();
    const mask = this.slots.length - 1;
    let h = hashWords(this.words, r * 4) & mask;
    for (let steps = 0; this.slots[h]! > 0; h = (h + 1) & mask) {
      if (++steps > this.maxProbe) {
        this.spell();
        this.index(r);
        return;
      }
    }
    if (this.slots[h] === EMPTY) this.taken++;
    this.slots[h] = r + 1;
  }

  /** Takes row r out of the index (if it is in). */
  unindex(r: number): void {
    const text = this.textKey(r);
    if (text !== undefined) {
      const id = text;
      const had = this.byText.get(id);
      if (had === r) this.byText.delete(id);
      else if (Array.isArray(had)) {
        const rest = had.filter((x) => x !== r);
        if (rest.length === 0) this.byText.delete(id);
        else this.byText.set(id, rest.length === 1 ? rest[0]! : rest);
      }
      return;
    }
    if (this.kind[r] !== GUID) return;
    const mask = this.slots.length - 1;
    for (let h = hashWords(this.words, r * 4) & mask; ; h = (h + 1) & mask) {
      const s = this.slots[h]!;
      if (s === EMPTY) return;
      if (s === r + 1) {
        this.slots[h] = GONE;
        return;
      }
    }
  }

  /** Takes every indexed row for which `drop` holds out of the index. */
  unindexWhere(drop: (r: number) => boolean): void {
    for (let h = 0; h < this.slots.length; h++) {
      const s = this.slots[h]!;
      if (s > 0 && drop(s - 1)) this.slots[h] = GONE;
    }
    for (const [id, had] of this.byText) {
      if (!Array.isArray(had)) {
        if (drop(had)) this.byText.delete(id);
        continue;
      }
      const rest = had.filter((r) => !drop(r));
      if (rest.length === 0) this.byText.delete(id);
      else if (rest.length < had.length) this.byText.set(id, rest.length === 1 ? rest[0]! : rest);
    }
  }

  /** A bigger table (or the same size, clear of GONE slots), the rows in it again. */
  private rehash(): void {
    const old = this.slots;
    let live = 0;
    for (let h = 0; h < old.length; h++) if (old[h]! > 0) live++;
    let size = 16;
    while (size * MAX_LOAD < (live + 1) * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.taken = 0;
    const mask = size - 1;
    for (let h = 0; h < old.length; h++) {
      const s = old[h]!;
      if (s <= 0) continue;
      let i = hashWords(this.words, (s - 1) * 4) & mask;
      while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
      this.slots[i] = s;
      this.taken++;
    }
  }
}
