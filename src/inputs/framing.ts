// Framing: bytes of one input become records before any decoder sees them.
// NDJSON lines, JSON documents (arrays, {"records":[…]} and {"value":[…]}
// envelopes, pretty-printed single objects), CSV exports with a header row,
// plain text lines (syslog, fast.log, CEF, Snort's header-less alert_csv), and
// Snort's alert_full, whose blank-line-separated blocks are one record each.
// gzip, UTF-8 BOMs and UTF-16 exports are unwrapped first. Problems are yielded
// with their place, never thrown.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse';
import type { RawRecord, RecordOrigin, RejectReason } from '../decoders/types.js';
import { jsonLimitProblem, surelyWithinLimits } from './json-limits.js';
import { splitSyslog } from '../decoders/syslog.js';
import { isFullHead } from '../decoders/snort-full.js';
import { startsLikeSnortCsv } from '../decoders/snort-csv.js';
import { JsonArraySplitter } from './json-stream.js';

/** A framing problem: a record that could not be cut out of the input. */
export interface FramingProblem {
  kind: 'problem';
  origin: RecordOrigin;
  reason: RejectReason | 'binary-file' | 'empty-file' | 'invalid-compression';
  message: string;
  /** The offending text, bounded (for `normalize`'s event.original). */
  text?: string;
}

export type FramedItem = RawRecord | FramingProblem;

export type InputFormat = 'ndjson' | 'json' | 'csv' | 'text' | 'binary' | 'empty';

export interface FramingOptions {
  /** Longest record (line, CSV row, JSON document element) accepted; longer ones are reported. */
  maxRecordBytes: number;
  /** Largest whole JSON document (arrays, pretty-printed envelopes) parsed in one piece. */
  maxDocumentBytes: number;
  /** Called with the number of (compressed, on-disk) bytes read so far. */
  onBytes?: (bytes: number) => void;
  /** Called once the input's format is known. */
  onFormat?: (format: InputFormat) => void;
  /**
   * A test on a JSON record's raw text before it is parsed: false means the
   * record cannot matter (hunt's second pass) and it is skipped unparsed.
   */
  prefilter?: (text: string) => boolean;
  /** Called for each record the prefilter skipped. */
  onSkip?: () => void;
}

export const DEFAULT_FRAMING: FramingOptions = {
  maxRecordBytes: 32 * 1024 * 1024,
  maxDocumentBytes: 256 * 1024 * 1024,
};

// Framed records are handed to the decoder this many at a time. Until decoded they
// are live objects that every young-generation GC copies: with 512, an ingest
// worker decoded 40k records/s of the serve bench's bodies, with 32–64 ~54k/s
// (bench/decode-body.ts). The fast framing (fast-frames.ts) hands over as many.
export const BATCH = 64;
const ORIGINAL_MAX = 4096;

function bounded(s: string, max = ORIGINAL_MAX): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Where a gzip stream broke: how many compressed bytes were read before it, and zlib's words. */
interface GzipDamage {
  offset: number;
  message: string;
}

/**
 * Gunzips `src`; when the data is cut off or damaged, ends the stream there instead
 * of failing it, so everything before the damage is framed and decoded, and calls
 * `onDamage` (the caller reports it after the records). Read errors of the source
 * itself still fail the stream.
 */
function tolerantGunzip(src: Readable, onDamage: (d: GzipDamage) => void): Readable {
  const gunzip = createGunzip();
  src.on('error', (err) => gunzip.destroy(err));
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const c of src.pipe(gunzip)) yield c as Buffer;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (typeof e.code !== 'string' || !e.code.startsWith('Z_')) throw err;
      onDamage({ offset: gunzip.bytesWritten, message: e.message });
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

function damageProblem(display: string, d: GzipDamage, total: number): FramedItem {
  const n = (x: number): string => x.toLocaleString('en-US');
  return {
    kind: 'problem', origin: { source: display, line: 0 }, reason: 'invalid-compression',
    message: `gzip data cut off or damaged at byte ${n(d.offset)} of ${n(total)} (${d.message}); the records before it were read`,
  };
}

/** Opens a file as a byte stream, gunzipping when it starts with the gzip magic. */
async function openBytes(path: string, opts: FramingOptions, onDamage: (d: GzipDamage) => void): Promise<Readable> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(2);
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (opts.onBytes) {
    let n = 0;
    const cb = opts.onBytes;
    raw.on('data', (c: Buffer | string) => {
      n += c.length;
      cb(n);
    });
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return tolerantGunzip(raw, onDamage);
  return raw;
}

/** Re-encodes UTF-16 (by BOM) to UTF-8, chunk by chunk. */
async function* utf16ToUtf8(first: Buffer, rest: AsyncIterator<Buffer>, encoding: 'utf-16le' | 'utf-16be'): AsyncGenerator<Buffer> {
  const dec = new TextDecoder(encoding);
  yield Buffer.from(dec.decode(first.subarray(2), { stream: true }), 'utf8');
  for (;;) {
    const { value, done } = await rest.next();
    if (done) break;
    yield Buffer.from(dec.decode(value, { stream: true }), 'utf8');
  }
  const tail = dec.decode();
  if (tail) yield Buffer.from(tail, 'utf8');
}

/**
 * Yields batches of framed items for one file. `display` is the name used in
 * origins ("-" for stdin that was spooled to `path`).
 */
export async function* frameFile(path: string, display: string, opts: FramingOptions = DEFAULT_FRAMING): AsyncGenerator<FramedItem[]> {
  let damage: GzipDamage | null = null;
  yield* guardSize(async function* () {
    yield* frameStream(await openBytes(path, opts, (d) => { damage = d; }), display, path, opts);
  }, display);
  if (damage) yield [damageProblem(display, damage, (await stat(path)).size)];
}

/**
 * Frames an in-memory body (an HTTP request) exactly as a file: gzip by magic
 * bytes, then the same format detection. `display` names it in origins.
 */
export async function* frameBuffer(body: Buffer, display: string, opts: FramingOptions = DEFAULT_FRAMING): AsyncGenerator<FramedItem[]> {
  let damage: GzipDamage | null = null;
  yield* guardSize(async function* () {
    const src = Readable.from([body]);
    const stream = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b ? tolerantGunzip(src, (d) => { damage = d; }) : src;
    yield* frameStream(stream, display, display, opts);
  }, display);
  if (damage) yield [damageProblem(display, damage, body.length)];
}

async function* guardSize(inner: () => AsyncGenerator<FramedItem[]>, display: string): AsyncGenerator<FramedItem[]> {
  try {
    yield* inner();
  } catch (err) {
    if (!(err instanceof TooLarge)) throw err;
    yield [{
      kind: 'problem', origin: { source: display, line: 1 }, reason: 'record-too-large',
      message: `JSON document ${err.message}; export it as one record per line (NDJSON) instead`,
    }];
  }
}

async function* frameStream(stream: Readable, display: string, path: string, opts: FramingOptions): AsyncGenerator<FramedItem[]> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: Buffer | undefined;
  // Gather at least 64 KiB (or all of a small file) to decide the format.
  const parts: Buffer[] = [];
  let have = 0;
  while (have < 65536) {
    const { value, done } = await it.next();
    if (done) break;
    parts.push(value);
    have += value.length;
  }
  // (An HTTP body comes as one chunk of megabytes: it is not copied.)
  first = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  let chunks: AsyncIterable<Buffer>;
  if (first.length >= 2 && ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff))) {
    const enc = first[0] === 0xff ? 'utf-16le' : 'utf-16be';
    const conv = utf16ToUtf8(first, it, enc);
    const c = await conv.next();
    first = c.done ? Buffer.alloc(0) : c.value;
    chunks = { [Symbol.asyncIterator]: () => conv };
  } else {
    chunks = { [Symbol.asyncIterator]: () => it };
  }
  // UTF-8 BOM
  if (first.length >= 3 && first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) first = first.subarray(3);

  const sniff = first.subarray(0, 8192);
  if (sniff.includes(0)) {
    opts.onFormat?.('binary');
    stream.destroy();
    yield [{ kind: 'problem', origin: { source: display, line: 1 }, reason: 'binary-file', message: 'binary data (NUL bytes), not a log export; skipped' }];
    return;
  }
  const text = sniff.toString('utf8');
  const start = text.search(/\S/);
  if (start < 0 && first.length < 65536) {
    // Whitespace only, or nothing at all (the rest of the stream may still have data).
    const more = await collectRest(first, chunks, 1);
    if (more.trim() === '') {
      opts.onFormat?.('empty');
      yield [{ kind: 'problem', origin: { source: display, line: 1 }, reason: 'empty-file', message: 'empty file' }];
      return;
    }
  }
  const lead = start >= 0 ? text[start] : '';
  if (isFullHead(firstLineOf(text, start))) {
    // Snort alert_full: starts with "[**] [gid:sid:rev]", which is no JSON array.
    opts.onFormat?.('text');
    yield* frameLines(prepend(first, chunks), display, opts, true);
    return;
  }
  if (looksCsv(text, start, path, display)) {
    opts.onFormat?.('csv');
    yield* frameCsv(first, chunks, display, opts);
    return;
  }
  // Arrays and envelopes are streamed element by element: memory is one record, not the file.
  if (isJsonStream(first, text, start)) {
    opts.onFormat?.('json');
    yield* frameJsonStream(prepend(first, chunks), display, opts);
    return;
  }
  if (lead === '{') {
    // A record per line unless the first line is not a whole JSON value: then it is one pretty-printed document.
    if (!firstLineParses(first, start)) {
      const all = await collectRest(first, chunks, opts.maxDocumentBytes);
      const doc = tryParse(all);
      if (doc.ok) {
        opts.onFormat?.('json');
        yield* frameDocumentValue(doc.value, display, all);
        return;
      }
      opts.onFormat?.('ndjson');
      yield* frameLines(singleChunk(Buffer.from(all, 'utf8')), display, opts);
      return;
    }
    opts.onFormat?.('ndjson');
  } else {
    opts.onFormat?.('text');
  }
  yield* frameLines(prepend(first, chunks), display, opts);
}

function firstLineOf(text: string, start: number): string {
  return text.slice(Math.max(0, start)).split(/\r?\n/, 1)[0] ?? '';
}

function looksCsv(text: string, start: number, path: string, display: string): boolean {
  const lead = start >= 0 ? text[start] : '';
  const firstLine = firstLineOf(text, start);
  // Snort 2 names its header-less alert_csv "alert.csv": its lines are text records.
  if (startsLikeSnortCsv(firstLine)) return false;
  return /\.csv(\.gz)?$/i.test(path) || /\.csv(\.gz)?$/i.test(display) ||
    (lead !== '{' && lead !== '[' && /^"?[\w .()[\]-]+"?(,"?[\w .()@[\]-]+"?){2,}$/.test(firstLine.trim()) && /AuditData|CreationDate|TimeGenerated|IPAddress|Date \(UTC\)/i.test(firstLine));
}

/** A JSON array, or an envelope that is not all on its first line: streamed element by element. */
function isJsonStream(first: Buffer, text: string, start: number): boolean {
  const lead = start >= 0 ? text[start] : '';
  return lead === '[' || (lead === '{' && !firstLineParses(first, start) && ENVELOPE_HEAD.test(text.slice(start, start + 4096)));
}

export type FastLayout = 'csv' | 'json-stream' | 'ndjson';

/**
 * The layout frameStream would choose for a plain (not gzipped, not UTF-16)
 * input, from its first bytes (`head`, at least 64 KiB or the whole file), or
 * null when it is anything the byte-level fast scan does not read (text lines,
 * one pretty-printed document, binary or blank starts). `offset` skips a UTF-8 BOM.
 */
export function fastLayout(head: Buffer, path: string, display: string): { layout: FastLayout; offset: number } | null {
  if (head.length >= 2 && ((head[0] === 0x1f && head[1] === 0x8b) || (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return null;
  const offset = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const first = head.subarray(offset);
  const sniff = first.subarray(0, 8192);
  if (sniff.includes(0)) return null;
  const text = sniff.toString('utf8');
  const start = text.search(/\S/);
  if (start < 0) return null;
  if (isFullHead(firstLineOf(text, start))) return null; // Snort alert_full: blocks, framed by frameLines
  if (looksCsv(text, start, path, display)) return { layout: 'csv', offset };
  if (isJsonStream(first, text, start)) return { layout: 'json-stream', offset };
  if (text[start] === '{' && firstLineParses(first, start)) return { layout: 'ndjson', offset };
  return null;
}

/** One element of a streamed JSON array, framed as frameJsonStream frames it. */
export function frameElement(text: string, origin: RecordOrigin, out: FramedItem[]): void {
  const parsed = tryParse(text);
  if (parsed.ok) pushItem(parsed.value, origin, out, surelyWithinLimits(text));
  else out.push({ kind: 'problem', origin, reason: 'invalid-json', message: `invalid JSON: ${parsed.error.slice(0, 160)}`, text: bounded(text) });
}

/** A document whose first key is an envelope's: {"records": […]}, {"value": […]}, or a Graph page ({"@odata.context": …}). */
const ENVELOPE_HEAD = /^\{\s*"(records|value|@odata\.[A-Za-z]+)"\s*:/;

async function* frameJsonStream(chunks: AsyncIterable<Buffer>, display: string, opts: FramingOptions): AsyncGenerator<FramedItem[]> {
  const splitter = new JsonArraySplitter(opts.maxRecordBytes);
  let batch: FramedItem[] = [];
  for await (const chunk of chunks) {
    for (const ev of splitter.feed(chunk)) {
      if (ev.kind === 'too-large') {
        batch.push({
          kind: 'problem', origin: { source: display, line: ev.line, index: ev.index }, reason: 'record-too-large',
          message: `array element longer than ${opts.maxRecordBytes} bytes; skipped`,
        });
        continue;
      }
      const { text, line, index } = ev.element;
      const origin = { source: display, line, index };
      if (opts.prefilter && !opts.prefilter(text)) {
        opts.onSkip?.();
        continue;
      }
      frameElement(text, origin, batch);
    }
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (!splitter.complete()) {
    batch.push({
      kind: 'problem', origin: { source: display, line: 0 }, reason: 'invalid-json',
      message: 'the JSON document ends early (truncated or unbalanced); the records before the damage were read',
    });
  } else if (splitter.shape() === 'object') {
    batch.push({ kind: 'problem', origin: { source: display, line: 1 }, reason: 'unknown-format', message: 'a JSON object without a records/value array' });
  }
  if (batch.length > 0) yield batch;
}

function firstLineParses(buf: Buffer, start: number): boolean {
  const nl = buf.indexOf(0x0a, start);
  const line = buf.toString('utf8', start, nl < 0 ? buf.length : nl).trim();
  return tryParse(line).ok;
}

function tryParse(s: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(s) as unknown };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

async function* prepend(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (first.length > 0) yield first;
  yield* rest;
}

async function* singleChunk(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

class TooLarge extends Error {}

async function collectRest(first: Buffer, rest: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const parts = [first];
  let n = first.length;
  for await (const c of rest) {
    n += c.length;
    if (n > limit) throw new TooLarge(`larger than ${limit} bytes`);
    parts.push(c);
  }
  return Buffer.concat(parts).toString('utf8').replace(/^\uFEFF/, '');
}

/**
 * Splits a byte stream into lines without ever holding more than one over-long
 * line's worth. With `blocks` (Snort alert_full), the lines of each
 * blank-line-separated block become one text record.
 */
async function* frameLines(chunks: AsyncIterable<Buffer>, display: string, opts: FramingOptions, blocks = false): AsyncGenerator<FramedItem[]> {
  let batch: FramedItem[] = [];
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false; // inside an over-long line
  let lineNo = 0;
  const max = opts.maxRecordBytes;
  const zeek = new ZeekTsvHeader();
  const grouper = blocks ? new BlockGrouper(Math.min(max, MAX_BLOCK_CHARS), opts) : null;

  const emit = (buf: Buffer): void => {
    lineNo++;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 0x0d) end--;
    const line = buf.toString('utf8', 0, end);
    const origin = { source: display, line: lineNo };
    if (grouper) {
      grouper.take(line, origin, batch);
      return;
    }
    if (zeek.take(line, origin, batch)) return;
    if (opts.prefilter && !opts.prefilter(line)) {
      opts.onSkip?.();
      return;
    }
    frameLine(line, origin, batch);
  };

  for await (const chunk of chunks) {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) {
        if (!skipping) {
          const piece = chunk.subarray(pos);
          if (carryLen + piece.length > max) {
            skipping = true;
            carry = [];
            carryLen = 0;
          } else if (piece.length > 0) {
            carry.push(piece);
            carryLen += piece.length;
          }
        }
        break;
      }
      if (skipping) {
        lineNo++;
        batch.push({
          kind: 'problem', origin: { source: display, line: lineNo }, reason: 'record-too-large',
          message: `line longer than ${max} bytes; skipped`,
        });
        skipping = false;
      } else if (carryLen + (nl - pos) > max) {
        lineNo++;
        batch.push({
          kind: 'problem', origin: { source: display, line: lineNo }, reason: 'record-too-large',
          message: `line longer than ${max} bytes; skipped`,
        });
        carry = [];
        carryLen = 0;
      } else if (carryLen > 0) {
        carry.push(chunk.subarray(pos, nl));
        emit(Buffer.concat(carry));
        carry = [];
        carryLen = 0;
      } else {
        emit(chunk.subarray(pos, nl));
      }
      pos = nl + 1;
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (skipping) {
    lineNo++;
    batch.push({ kind: 'problem', origin: { source: display, line: lineNo }, reason: 'record-too-large', message: `line longer than ${max} bytes; skipped` });
  } else if (carryLen > 0) {
    emit(Buffer.concat(carry));
  }
  grouper?.flush(batch);
  if (batch.length > 0) yield batch;
}

/** Longest alert_full block kept whole (a real one is under a kilobyte). */
const MAX_BLOCK_CHARS = 256 * 1024;

/**
 * Snort's alert_full: lines gathered into blocks, one per alert, ended by a blank
 * line, or by the next "[**] [gid:sid:rev]" line when a blank line is missing. A
 * block keeps its first line's number; one longer than `max` is reported, not held.
 */
class BlockGrouper {
  private lines: string[] = [];
  private chars = 0;
  private origin: RecordOrigin | null = null;
  private tooLarge = false;

  constructor(private readonly max: number, private readonly opts: FramingOptions) {}

  take(line: string, origin: RecordOrigin, out: FramedItem[]): void {
    const t = line.trimEnd();
    if (t.trim() === '') {
      this.flush(out);
      return;
    }
    if (this.origin && isFullHead(t)) this.flush(out);
    this.origin ??= origin;
    if (this.tooLarge) return;
    this.chars += t.length + 1;
    if (this.chars > this.max) {
      this.tooLarge = true;
      this.lines = [];
      return;
    }
    this.lines.push(t);
  }

  flush(out: FramedItem[]): void {
    const origin = this.origin;
    if (!origin) return;
    const text = this.lines.join('\n');
    const tooLarge = this.tooLarge;
    this.lines = [];
    this.chars = 0;
    this.origin = null;
    this.tooLarge = false;
    if (tooLarge) {
      out.push({ kind: 'problem', origin, reason: 'record-too-large', message: `alert block longer than ${this.max} characters; skipped` });
      return;
    }
    if (this.opts.prefilter && !this.opts.prefilter(text)) {
      this.opts.onSkip?.();
      return;
    }
    out.push({ kind: 'text', value: text.trim(), origin });
  }
}

/**
 * Zeek's tab-separated logs: `#separator`, `#set_separator`, `#path` and
 * `#fields` header lines name the columns of the data lines that follow. Data
 * lines become JSON-like records with Zeek's JSON field names ("-" unset fields
 * left out, sets split), plus `_path` ("notice"), so one decoder reads both forms.
 */
export class ZeekTsvHeader {
  private sep = '\t';
  private setSep = ',';
  private unset = '-';
  private empty = '(empty)';
  private path: string | undefined;
  private fields: string[] | null = null;
  private types: string[] = [];
  private active = false;

  /** Consumes the line when it is a Zeek header or data line; false otherwise. */
  take(line: string, origin: RecordOrigin, out: FramedItem[]): boolean {
    if (line.startsWith('#')) {
      const m = /^#(\w+)[ \t](.*)$/.exec(line);
      if (!m) return this.active;
      const [, key, rawValue = ''] = m;
      if (key === 'separator') {
        this.sep = rawValue.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        this.active = true;
        return true;
      }
      if (!this.active) return false;
      const value = rawValue.split(this.sep);
      if (key === 'set_separator') this.setSep = value[0] ?? ',';
      else if (key === 'unset_field') this.unset = value[0] ?? '-';
      else if (key === 'empty_field') this.empty = value[0] ?? '(empty)';
      else if (key === 'path') this.path = value[0];
      else if (key === 'fields') this.fields = value;
      else if (key === 'types') this.types = value;
      return true;
    }
    if (!this.active || !this.fields || line.trim() === '') return false;
    const cols = line.split(this.sep);
    if (cols.length !== this.fields.length) {
      out.push({
        kind: 'problem', origin, reason: 'invalid-field',
        message: `Zeek TSV line has ${cols.length} columns, the #fields header names ${this.fields.length}`,
        text: bounded(line),
      });
      return true;
    }
    const value: Record<string, unknown> = {};
    if (this.path) value._path = this.path;
    this.fields.forEach((f, i) => {
      const c = cols[i]!;
      if (c === this.unset) return;
      if (c === this.empty) value[f] = '';
      else if (/^(set|vector)\[/.test(this.types[i] ?? '')) value[f] = c.split(this.setSep);
      else value[f] = c;
    });
    out.push({ kind: 'json', value, origin, text: line });
    return true;
  }
}

/** Frames one text line: JSON (with envelopes expanded) or plain text. */
export function frameLine(line: string, origin: RecordOrigin, out: FramedItem[]): void {
  const t = line.trim();
  if (t.length === 0) return;
  const c = t.charCodeAt(0);
  if (c !== 0x7b /* { */ && c !== 0x5b /* [ */) {
    // JSON behind a syslog header ("<134>Mar  2 10:00:00 ids suricata[7]: {…}"): the JSON is the record.
    if (t.endsWith('}') && t.indexOf('{') > 0) {
      const payload = splitSyslog(t).message;
      if (payload.startsWith('{')) {
        try {
          expandJson(JSON.parse(payload) as unknown, origin, payload, out);
          return;
        } catch {
          // not JSON after all: a text record
        }
      }
    }
    out.push({ kind: 'text', value: t, origin });
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch (err) {
    out.push({
      kind: 'problem', origin, reason: 'invalid-json',
      message: `invalid JSON: ${(err as Error).message.slice(0, 160)}`, text: bounded(t),
    });
    return;
  }
  expandJson(value, origin, t, out);
}

/** The array inside a {"records":[…]} or {"value":[…]} envelope, or null. */
function envelopeItems(o: Record<string, unknown>): unknown[] | null {
  if (Array.isArray(o.records)) return o.records;
  // Graph pages: {"@odata.context": …, "value": […]}; a bare {"value":[…]} too.
  if (Array.isArray(o.value) && (Object.keys(o).every((k) => k === 'value' || k.startsWith('@odata')))) return o.value;
  return null;
}

/** A record over a JSON limit as a problem of its own, or false when it is within them. */
function overLimit(v: unknown, origin: RecordOrigin, out: FramedItem[]): boolean {
  const why = jsonLimitProblem(v);
  if (why === null) return false;
  out.push({ kind: 'problem', origin, reason: 'json-limit', message: why, text: '(not shown: over a JSON limit)' });
  return true;
}

function expandJson(value: unknown, origin: RecordOrigin, text: string | undefined, out: FramedItem[]): void {
  // Most records are short and shallow: their text alone shows they are within the limits.
  const within = text !== undefined && surelyWithinLimits(text);
  if (Array.isArray(value)) {
    value.forEach((v, i) => pushItem(v, { ...origin, index: i }, out, within));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const items = envelopeItems(value as Record<string, unknown>);
    if (items) {
      items.forEach((v, i) => pushItem(v, { ...origin, index: i }, out, within));
      return;
    }
    if (!within && overLimit(value, origin, out)) return;
    out.push({ kind: 'json', value: value as Record<string, unknown>, origin, ...(text !== undefined ? { text } : {}) });
    return;
  }
  out.push({ kind: 'problem', origin, reason: 'unknown-format', message: `a JSON ${typeof value}, not a record`, ...(text !== undefined ? { text: bounded(text) } : {}) });
}

function pushItem(v: unknown, origin: RecordOrigin, out: FramedItem[], within = false): void {
  // Checked before anything walks it (the envelope test, JSON.stringify below).
  if (!within && overLimit(v, origin, out)) return;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const nested = envelopeItems(v as Record<string, unknown>);
    if (nested) {
      nested.forEach((x, j) => pushItem(x, { ...origin, index: j }, out, within));
      return;
    }
    out.push({ kind: 'json', value: v as Record<string, unknown>, origin });
    return;
  }
  out.push({
    kind: 'problem', origin, reason: 'unknown-format',
    message: `array element is a JSON ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}, not a record`,
    text: bounded(JSON.stringify(v) ?? ''),
  });
}

async function* frameDocumentValue(value: unknown, display: string, all: string): AsyncGenerator<FramedItem[]> {
  const out: FramedItem[] = [];
  const lead = all.search(/\S/);
  const line = lead < 0 ? 1 : countLines(all, lead);
  expandJson(value, { source: display, line }, undefined, out);
  for (let i = 0; i < out.length; i += BATCH) yield out.slice(i, i + BATCH);
}

function countLines(s: string, upTo: number): number {
  let n = 1;
  for (let i = s.indexOf('\n'); i >= 0 && i < upTo; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * The CSV bytes with every row longer than `max` bytes taken out (a row ends at a
 * newline outside double quotes; in a CRLF file at a CRLF): csv-parse's own
 * limit (max_record_size) stops its parse of a chunk at such a row and loses
 * everything after it, so one over-long row hid every record behind it. In its
 * place go as many empty lines as csv-parse counts in it (each CR and LF, but the
 * LF of a CRLF record delimiter), so the rows after it keep their numbers;
 * `onDrop` gets the line it started on, counted the same way. A row's length is
 * its bytes before its line ending, as the fast framing measures it. A file whose
 * first line ends in a bare CR (csv-parse then splits rows on CRs) goes through
 * untouched.
 */
async function* boundCsvRows(chunks: AsyncIterable<Buffer>, max: number, onDrop: (line: number) => void): AsyncGenerator<Buffer> {
  let crlf: boolean | null = null; // the record delimiter, once the first line ending outside quotes is read
  let untouched = false;
  let quoted = false;
  let line = 1; // csv-parse's line count at the current byte
  let rowLine = 1;
  let rowBytes = 0; // the current row's bytes in earlier chunks
  let rowBreaks = 0; // CRs and LFs in the current row before its end
  let held: Buffer[] = []; // the current row's bytes in earlier chunks, while within the limit
  let dropping = false;
  let last = -1; // the last byte of the previous chunk
  for await (const chunk of chunks) {
    if (untouched) {
      yield chunk;
      continue;
    }
    let from = 0; // where the current row starts in this chunk
    const out: Buffer[] = [];
    // Only quotes, CRs and LFs matter: jump from one to the next (native searches).
    let nq = chunk.indexOf(QUOTE);
    let nc = chunk.indexOf(CR);
    let nl = chunk.indexOf(LF);
    for (;;) {
      let i = nq;
      if (i < 0 || (nc >= 0 && nc < i)) i = nc;
      if (i < 0 || (nl >= 0 && nl < i)) i = nl;
      if (i < 0) break;
      const b = chunk[i]!;
      const prev = i > 0 ? chunk[i - 1]! : last;
      if (b === QUOTE) {
        quoted = !quoted;
        nq = chunk.indexOf(QUOTE, i + 1);
        continue;
      }
      if (b === CR) nc = chunk.indexOf(CR, i + 1);
      else nl = chunk.indexOf(LF, i + 1);
      if (b === CR && crlf === null && !quoted && i + 1 < chunk.length && chunk[i + 1] !== LF) {
        // A bare CR ends the first line: csv-parse's rows end at CRs. Leave the file alone.
        untouched = true;
        for (const h of held) out.push(h);
        out.push(chunk.subarray(from));
        break;
      }
      const ends = b === LF && !quoted && (crlf !== true || prev === CR);
      if (ends && crlf === null) crlf = prev === CR;
      if (!(ends && crlf && prev === CR)) line++;
      if (!ends) {
        rowBreaks++;
        continue;
      }
      const rowEnd = i + 1;
      const lineEnding = crlf && prev === CR ? 2 : 1;
      if (!dropping && rowBytes + (rowEnd - from) - lineEnding > max) dropping = true;
      if (dropping) {
        onDrop(rowLine);
        // (A CRLF's CR is in rowBreaks, but is the delimiter's.)
        const eol = crlf ? '\r\n' : '\n';
        out.push(Buffer.from(eol.repeat(rowBreaks - (lineEnding - 1) + 1), 'latin1'));
      } else {
        for (const h of held) out.push(h);
        out.push(chunk.subarray(from, rowEnd));
      }
      held = [];
      from = rowEnd;
      rowBytes = 0;
      rowBreaks = 0;
      dropping = false;
      rowLine = line;
    }
    if (!untouched) {
      const rest = chunk.subarray(from);
      rowBytes += rest.length;
      if (!dropping && rowBytes > max + 2) {
        dropping = true;
        held = [];
      } else if (!dropping && rest.length > 0) {
        held.push(rest);
      }
      if (chunk.length > 0) last = chunk[chunk.length - 1]!;
    }
    if (out.length > 0) yield out.length === 1 ? out[0]! : Buffer.concat(out);
  }
  if (dropping) onDrop(rowLine);
  else if (held.length > 0) yield Buffer.concat(held);
}

/** CSV exports with a header row (Purview audit search, Log Analytics, the Entra admin center). */
async function* frameCsv(first: Buffer, rest: AsyncIterable<Buffer>, display: string, opts: FramingOptions): AsyncGenerator<FramedItem[]> {
  const problems: FramedItem[] = [];
  let lastEndLine = 1; // the header's line
  let emptyLines = 0; // blank lines skipped so far: a row after one starts a line later
  const parser = parseCsv({
    bom: true,
    columns: (header: string[]) => header.map((h) => h.trim()),
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: opts.maxRecordBytes,
    info: true,
    on_skip: (err) => {
      const line = err && typeof (err as unknown as { lines?: number }).lines === 'number' ? (err as unknown as { lines: number }).lines : lastEndLine + 1;
      problems.push({
        kind: 'problem', origin: { source: display, line }, reason: 'invalid-csv',
        message: `invalid CSV row: ${err?.message.slice(0, 160) ?? 'unknown error'}`,
      });
      return undefined;
    },
  });
  const src = Readable.from(boundCsvRows(prepend(first, rest), opts.maxRecordBytes, (line) => {
    problems.push({ kind: 'problem', origin: { source: display, line }, reason: 'record-too-large', message: `CSV row longer than ${opts.maxRecordBytes} bytes; skipped` });
  }));
  src.on('error', (err) => parser.destroy(err));
  src.pipe(parser);
  let batch: FramedItem[] = [];
  try {
    for await (const rec of parser as AsyncIterable<{ info: { lines: number; empty_lines: number }; record: Record<string, string> }>) {
      const line = lastEndLine + 1 + (rec.info.empty_lines - emptyLines);
      emptyLines = rec.info.empty_lines;
      // The parser reports a skipped row before we see the rows read ahead of it: keep input order.
      while (problems.length > 0 && problems[0]!.origin.line < line) batch.push(problems.shift()!);
      batch.push({ kind: 'csv', value: rec.record, origin: { source: display, line } });
      lastEndLine = rec.info.lines;
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    batch.push({
      kind: 'problem', origin: { source: display, line: lastEndLine + 1 }, reason: 'invalid-csv',
      message: `CSV unreadable from here on: ${(err as Error).message.slice(0, 160)}`,
    });
  }
  batch.push(...problems);
  if (batch.length > 0) yield batch;
}

