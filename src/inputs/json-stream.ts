// Streams the records out of a large JSON document without holding it whole: a
// top-level array ("[{…},{…}]", the M365 Management API content blobs) or the
// array inside a {"records":[…]} / {"value":[…]} envelope (Azure Monitor blobs,
// Graph pages). It scans bytes only for structure — quotes, escapes, brackets,
// commas — and cuts out each element's text with the line it starts on; the
// element itself is then JSON.parse'd alone. Memory is one element, not the file.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

export interface JsonElement {
  /** The element's JSON text. */
  text: string;
  /** 1-based line where it starts. */
  line: number;
  /** 0-based position in its array. */
  index: number;
}

export type SplitterEvent =
  | { kind: 'element'; element: JsonElement }
  | { kind: 'too-large'; line: number; index: number };

const ENVELOPE_KEYS = new Set(['records', 'value']);

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Feed it chunks; it returns the elements completed so far. `shape()` says what
 * the document turned out to be: 'array', 'envelope', or 'object' (a single
 * record with no envelope array, which the caller parses whole).
 */
export class JsonArraySplitter {
  private depth = 0;
  private inString = false;
  private escape = false;
  private line = 1;
  /** Depth at which target-array elements live (1: bare array, 2: envelope), or 0 while unknown. */
  private target = 0;
  private root: 'unknown' | 'array' | 'object' = 'unknown';
  private foundEnvelope = false;
  // Depth-1 key tracking inside a root object.
  private expectKey = false;
  private keyStart = -1;
  private keyParts: Buffer[] = [];
  private lastKey = '';
  // The element being cut.
  private parts: Buffer[] = [];
  private partsLen = 0;
  private inElement = false;
  private skipping = false;
  private elementLine = 0;
  private index = 0;

  constructor(private readonly maxElementBytes: number) {}

  shape(): 'array' | 'envelope' | 'object' | 'unknown' {
    if (this.root === 'array') return 'array';
    if (this.foundEnvelope) return 'envelope';
    return this.root;
  }

  /** True when the document was balanced at the end. */
  complete(): boolean {
    return this.depth === 0 && !this.inString && this.root !== 'unknown';
  }

  feed(chunk: Buffer): SplitterEvent[] {
    const out: SplitterEvent[] = [];
    let elemFrom = this.inElement ? 0 : -1;
    this.keyStart = this.keyStart >= 0 ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          continue;
        }
        // Jump to the closing quote (native search): records are mostly string
        // bytes, and a JSON string holds no raw newline, so nothing in between counts.
        let q = chunk.indexOf(QUOTE, i);
        while (q >= 0) {
          let bs = 0;
          for (let k = q - 1; k >= i && chunk[k] === BACKSLASH; k--) bs++;
          if (bs % 2 === 0) break;
          q = chunk.indexOf(QUOTE, q + 1);
        }
        if (q < 0) {
          let bs = 0;
          for (let k = n - 1; k >= i && chunk[k] === BACKSLASH; k--) bs++;
          this.escape = bs % 2 === 1;
          break;
        }
        i = q;
        this.inString = false;
        if (this.keyStart >= 0) {
          this.keyParts.push(chunk.subarray(this.keyStart, i));
          this.lastKey = Buffer.concat(this.keyParts).toString('utf8');
          this.keyParts = [];
          this.keyStart = -1;
        }
        continue;
      }
      const b = chunk[i]!;
      if (b === LF) this.line++;
      if (isSpace(b)) continue;
      // A new element of the target array starts at its first non-space byte.
      if (this.target > 0 && this.depth === this.target && !this.inElement && b !== COMMA && b !== CLOSE_ARR) {
        this.inElement = true;
        this.elementLine = this.line;
        elemFrom = i;
        this.parts = [];
        this.partsLen = 0;
        this.skipping = false;
      }
      if (b === QUOTE) {
        this.inString = true;
        if (this.root === 'object' && this.depth === 1 && this.expectKey) {
          this.keyStart = i + 1;
          this.keyParts = [];
          this.expectKey = false;
        }
        continue;
      }
      if (b === OPEN_OBJ || b === OPEN_ARR) {
        if (this.root === 'unknown') {
          this.root = b === OPEN_ARR ? 'array' : 'object';
          if (b === OPEN_ARR) this.target = 1;
          else this.expectKey = true;
        } else if (this.root === 'object' && this.depth === 1 && b === OPEN_ARR && this.target === 0 && ENVELOPE_KEYS.has(this.lastKey)) {
          this.target = 2;
          this.foundEnvelope = true;
        }
        this.depth++;
        continue;
      }
      if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        if (this.inElement && this.depth === this.target && b === CLOSE_ARR) {
          this.finish(chunk, elemFrom, i, out);
          elemFrom = -1;
        }
        this.depth--;
        if (this.target > 0 && this.depth < this.target) this.target = this.root === 'array' ? 1 : 0;
        if (this.root === 'object' && this.target === 0 && this.depth === 1) this.expectKey = false;
        continue;
      }
      if (b === COMMA) {
        if (this.inElement && this.depth === this.target) {
          this.finish(chunk, elemFrom, i, out);
          elemFrom = -1;
        } else if (this.root === 'object' && this.depth === 1) {
          this.expectKey = true;
        }
        continue;
      }
      if (b === COLON) continue;
    }
    // Carry the unfinished element (and key) into the next chunk.
    if (this.inElement && elemFrom >= 0) this.keep(chunk.subarray(elemFrom));
    if (this.keyStart >= 0) this.keyParts.push(chunk.subarray(this.keyStart));
    return out;
  }

  private keep(piece: Buffer): void {
    if (this.skipping) return;
    if (this.partsLen + piece.length > this.maxElementBytes) {
      this.skipping = true;
      this.parts = [];
      this.partsLen = 0;
      return;
    }
    this.parts.push(Buffer.from(piece)); // copy: the chunk's memory is reused by the reader
    this.partsLen += piece.length;
  }

  private finish(chunk: Buffer, from: number, to: number, out: SplitterEvent[]): void {
    if (from >= 0) this.keep(chunk.subarray(from, to));
    const index = this.index++;
    if (this.skipping) out.push({ kind: 'too-large', line: this.elementLine, index });
    else out.push({ kind: 'element', element: { text: Buffer.concat(this.parts, this.partsLen).toString('utf8').trim(), line: this.elementLine, index } });
    this.inElement = false;
    this.skipping = false;
    this.parts = [];
    this.partsLen = 0;
  }
}
