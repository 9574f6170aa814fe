// hunt's window gate (issue #18): a record the scan kernel flagged because it
// names an alerted IP is parsed only if it can be a qualifying event within a
// window of one of that IP's alerts. On real tenants the busy addresses (VPN
// egress, a NAT'd office) that sensors alert on have hundreds of thousands of
// records, nearly all far from any alert: JSON.parse-ing them was most of a
// hunt's time. The gate reads, from the raw bytes, the addresses the kernel
// found and the record's time fields, and lets a record go unparsed only when
// every (address, time) pair it names is outside every window, or when it has
// no time field of any identity decoder (the network records of an alert
// source, read again for the sign-ins they may hold) — a conservative test:
// anything it cannot read exactly (an escape, a number, a time that is not
// plain ISO 8601, an address it cannot spell back) sends the record to the
// parser as before.
import type { DecodeContext } from '../decoders/types.js';
import { canonicalIp, ipv4Number, ipv6Words } from '../model/ip.js';
import { parseTime, plainIsoTime } from '../model/time.js';
import type { RecordGate } from '../inputs/fast-frames.js';
import { GATE_ASK, GATE_PARSE, KEY_CAP, type AlertWindows, type ScanKernel } from '../inputs/scan-kernel.js';

/**
 * The time fields of every decoder whose records can be sign-ins or mail
 * accesses (entra-signin: createdDateTime, time, TimeGenerated; m365-audit:
 * CreationTime, CreationDate, TimeGenerated; ecs: @timestamp), found by the scan
 * kernel as quoted keys at any depth and in any case, so the field a decoder
 * reads is always among those found (a "\u" escape, which could spell one,
 * makes the record unreadable here). The Log Analytics shapes (TimeGenerated,
 * OfficeActivity records, "TimeGenerated [UTC]" columns beside OfficeWorkload)
 * are read differently by the decoders: any of these words makes it unreadable too.
 */
const TIME_KEYS = ['"time"', '"createdDateTime"', '"CreationTime"', '"CreationDate"', '"@timestamp"'];
const UNREADABLE_KEYS = ['"TimeGenerated"', '"OfficeActivity"', '"OfficeWorkload"'];
const GATE_KEYS = [...TIME_KEYS, ...UNREADABLE_KEYS];

/**
 * Sets the kernel's keys (findKeys, mayHoldKeys) to the time keys of every
 * identity decoder and the words of the shapes the gate leaves to the parser:
 * a record without any of them, and without a backslash, is no sign-in or mail
 * access (see timesOf below).
 */
export function configureIdentityKeys(kernel: ScanKernel): void {
  kernel.configureKeys(GATE_KEYS);
}

/**
 * ISO 8601 as the decoders read it without rewriting (trimmed): date, time,
 * optional fraction and offset. Such a value is read with parseTime, as they read it.
 */
const PLAIN_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?$/;

const isAddressByte = (b: number): boolean =>
  (b >= 0x30 && b <= 0x3a) /* 0-9 : */ || b === 0x2e /* . */ || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) /* a-f */;

/**
 * The time (ms) of the commonest form, `2026-03-02T09:00:00[.fraction](Z|±hh:mm)`
 * with every field in its everyday range, read as parseTime reads it first
 * (plainIsoTime): null for anything else (a leap second; years before 1970),
 * which then takes parseTime's own path. A time without a zone (M365's
 * CreationTime) is read too when `zonelessOffsetMinutes` gives the configured
 * offset (not for an IANA zone, whose offset depends on the date). The scan
 * kernel's gate reads the same form (isoTime in wasm/scan-kernel.ts).
 */
export function fastIsoMs(buf: Buffer, start: number, end: number, zonelessOffsetMinutes: number | null = null): number | null {
  if (end - start < 19 || end - start > 64) return null;
  return plainIsoTime(buf.toString('latin1', start, end), zonelessOffsetMinutes)?.ms ?? null;
}

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

const MAPPED = Buffer.from('::ffff:', 'latin1');

/**
 * The dotted quad whose first dot is at `at` (where the kernel hits), read
 * from the bytes when it is spelled plainly — four decimal octets ≤ 255, no
 * leading zeros, alone between bytes that are not part of an address, or with
 * the two decorations the data has: a port (`:50123`, M365's ClientIP) or the
 * IPv4-mapped prefix (`::ffff:`) — as a signed 32-bit number; -1 for anything
 * else, which the spelling path then decides. Each of these forms is read by
 * canonicalIp as the bare quad, so the number names the address canonicalIp
 * would: without the string, the map of spellings and the parser (most of the
 * gate's address time at 1M records, 50 % from alerted IPs).
 * (255.255.255.255 comes out as -1 too, and takes the spelling path.)
 */
export function plainQuadAt(buf: Buffer, at: number, from: number, to: number): number {
  let a = at;
  while (a > from && isDigit(buf[a - 1])) a--;
  const mapped = a > from && isAddressByte(buf[a - 1]!);
  if (mapped) {
    // "::ffff:" and then a byte that is not part of an address.
    const m = a - MAPPED.length;
    if (m < from || (m > from && isAddressByte(buf[m - 1]!))) return -1;
    for (let i = 0; i < MAPPED.length; i++) if ((buf[m + i]! | 0x20) !== MAPPED[i]) return -1;
  }
  let value = 0;
  let p = a;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (p >= to || buf[p] !== 0x2e) return -1;
      p++;
    }
    const start = p;
    let v = 0;
    while (p < to && isDigit(buf[p]) && p - start < 4) v = v * 10 + buf[p++]! - 0x30;
    const n = p - start;
    if (n < 1 || n > 3 || v > 255 || (n > 1 && buf[start] === 0x30)) return -1;
    value = value * 256 + v;
  }
  // A port: a colon and digits (canonicalIp drops what follows a quad's only colon, so not after "::ffff:").
  if (!mapped && p < to && buf[p] === 0x3a) {
    p++;
    while (p < to && isDigit(buf[p])) p++;
  }
  if (p < to && isAddressByte(buf[p]!)) return -1;
  return value | 0;
}

/**
 * The alerted IPv4 addresses by number, for the plain dotted quads read from
 * the bytes: made once per set of alerted IPs, not for each file and piece (a
 * folder of hundreds of files and thousands of alerted IPs spent ~0.4 s here).
 */
const quadMaps = new WeakMap<ReadonlySet<string>, Map<number, string>>();
function quadsOf(alerted: ReadonlySet<string>): Map<number, string> {
  let quads = quadMaps.get(alerted);
  if (!quads) {
    quads = new Map();
    for (const ip of alerted) {
      const n = ipv4Number(ip);
      if (n !== null) quads.set(n | 0, ip);
    }
    quadMaps.set(alerted, quads);
  }
  return quads;
}

/** The alerted IPv6 addresses with their words (ipv6Words), for the kernel's gate: made once per set, as quadsOf. */
const sixMaps = new WeakMap<ReadonlySet<string>, Array<readonly [string, readonly number[]]>>();
function sixesOf(alerted: ReadonlySet<string>): Array<readonly [string, readonly number[]]> {
  let sixes = sixMaps.get(alerted);
  if (!sixes) {
    sixes = [];
    for (const ip of alerted) {
      const words = ipv6Words(ip);
      if (words) sixes.push([ip, words]);
    }
    sixMaps.set(alerted, sixes);
  }
  return sixes;
}

/** Sentinel: the record cannot be judged from its bytes (parse it). */
const UNREADABLE = null;
/** Sentinel: an address read exactly from the bytes that is not an alerted one. */
const NOT_ALERTED = '';

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * Whether an event of that IP at that time can matter (within a window of one
 * of its alerts), with the alert times it decides by when it has them (then the
 * kernel can decide too).
 */
export type WantsInWindows = ((ip: string, atMs: number) => boolean) & { readonly windows?: AlertWindows };

/** The gates of one file: for JSON records, and (made once the header is read) for CSV rows. */
export interface WindowGates {
  json: RecordGate;
  csv: (header: readonly string[]) => RecordGate | null;
  /** The JSON gate without the kernel's part (gateJson): the test that holds the kernel to it compares the two. */
  jsonInScript: RecordGate;
}

/**
 * The gates for the fast framing (fast-frames.ts): true to parse the record.
 * `alerted` are the IPs the kernel looks for; `wants` says whether an event of
 * that IP at that time can matter (within a window of one of its alerts). It
 * configures the kernel's keys (findKeys): one gate per kernel at a time.
 */
export function windowGate(
  kernel: ScanKernel, alerted: ReadonlySet<string>, wants: WantsInWindows, ctx: DecodeContext,
): WindowGates {
  configureIdentityKeys(kernel);
  const zonelessOffset = ctx.zone === undefined ? ctx.defaultOffsetMinutes : null;
  const timeOpts = { defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference, ...(ctx.zone !== undefined ? { zone: ctx.zone } : {}) };
  // The spellings of addresses, read again and again from busy records: canonicalized once.
  const spelled = new Map<string, string | null>();
  const quads = quadsOf(alerted);
  // The kernel decides the records whose addresses are plain dotted quads or hex IPv6
  // and whose times are of the commonest form (gateJson); it asks this gate about the others.
  const inKernel = wants.windows !== undefined && kernel.configureGate(quads, sixesOf(alerted), wants.windows, zonelessOffset, TIME_KEYS.length);
  const ips: string[] = [];
  const times: number[] = [];

  /**
   * The address the kernel hit at `at` (the dot or colon after its first group):
   * the alerted IP it spells; NOT_ALERTED when it is read exactly and is another
   * address (the kernel's search is by first group for IPv6 and by the last digits
   * of the first number for IPv4, so a busy provider's other addresses hit too);
   * or UNREADABLE.
   */
  const addressAt = (buf: Buffer, at: number, from: number, to: number): string | null => {
    if (buf[at] === 0x2e) {
      const n = plainQuadAt(buf, at, from, to);
      if (n !== -1) return quads.get(n) ?? NOT_ALERTED;
    }
    let a = at;
    while (a > from && isAddressByte(buf[a - 1]!)) a--;
    let b = at;
    while (b < to && isAddressByte(buf[b]!)) b++;
    if (b - a > 64) return UNREADABLE;
    // An escape beside the spelling ("\f" ends in a hex digit, "\u0032" spells one) can make the
    // decoded string name another address than the bytes do.
    if ((a > from && buf[a - 1] === 0x5c) || (b < to && buf[b] === 0x5c)) return UNREADABLE;
    const text = buf.toString('latin1', a, b);
    let ip = spelled.get(text);
    if (ip === undefined) {
      ip = canonicalIp(text);
      if (ip !== null && !alerted.has(ip)) ip = NOT_ALERTED;
      if (spelled.size > 100_000) spelled.clear();
      spelled.set(text, ip);
    }
    return ip;
  };

  /**
   * The value of the key whose closing quote is at `close`: a time (ms), 'skip'
   * (null, empty, not a key), or null (unreadable). `doubled`: the record is a
   * JSON text in a quoted CSV cell, each of its quotes written twice
   * (`""CreationTime"":""2026-03-02T10:00:00""`); `close` is the first of the pair.
   */
  const valueAfter = (buf: Buffer, close: number, to: number, doubled: boolean): number | 'skip' | null => {
    let i = close + 1;
    if (doubled) {
      if (buf[i] !== 0x22) return 'skip'; // not a key of the cell's JSON
      i++;
    }
    while (i < to && isSpace(buf[i]!)) i++;
    if (buf[i] !== 0x3a) return 'skip'; // a value, not a key
    i++;
    while (i < to && isSpace(buf[i]!)) i++;
    const c = buf[i];
    if (c === 0x6e /* n */) return buf.toString('latin1', i, i + 4) === 'null' ? 'skip' : UNREADABLE;
    if (c !== 0x22 || (doubled && buf[i + 1] !== 0x22)) return UNREADABLE; // a number, an object
    const start = i + (doubled ? 2 : 1);
    let j = start;
    while (j < to && j - start <= 64) {
      const b = buf[j]!;
      if (b === 0x22) break;
      if (b === 0x5c || b >= 0x80) return UNREADABLE;
      j++;
    }
    if (buf[j] !== 0x22 || (doubled && buf[j + 1] !== 0x22)) return UNREADABLE;
    return timeIn(buf, start, j);
  };

  /** The time written in buf[start, end) (ms), 'skip' when blank, or null (unreadable). */
  const timeIn = (buf: Buffer, start: number, end: number): number | 'skip' | null => {
    const fast = fastIsoMs(buf, start, end, zonelessOffset);
    if (fast !== null) return fast;
    const value = buf.toString('latin1', start, end).trim();
    if (value === '') return 'skip';
    return PLAIN_ISO.test(value) ? (parseTime(value, timeOpts)?.ms ?? UNREADABLE) : UNREADABLE;
  };

  /**
   * The times of the record's time fields (ms), or null when one cannot be read
   * exactly (`doubled`: in a Purview row's AuditData cell, see valueAfter). None
   * (an empty list) when the record has no time field of any identity decoder:
   * it cannot be a sign-in or mail access (each decoder
   * rejects a record without its time), as the network records of an alert
   * source are not — unless a backslash could hide one (an escaped key, or a
   * record nested as a JSON string, `"AuditData":"{\"CreationTime\":…}"`).
   */
  const timesOf = (buf: Buffer, from: number, to: number, doubled = false): number[] | null => {
    times.length = 0;
    const n = kernel.findKeys(from, to);
    if (n >= KEY_CAP) return UNREADABLE;
    for (let i = 0; i < n; i++) {
      const id = kernel.keyId(i);
      if (id >= TIME_KEYS.length) return UNREADABLE; // an escape, or a Log Analytics shape
      const at = kernel.keyAt(i);
      const v = valueAfter(buf, at + TIME_KEYS[id]!.length - 1, to, doubled);
      if (v === UNREADABLE) return UNREADABLE;
      if (v !== 'skip') times.push(v);
    }
    // (A Purview row's time is its AuditData's own CreationTime, escaped only by a "\u" found
    // above, or its CreationDate cell, which the caller adds: a record nested deeper is not read.)
    if (times.length > 0 || doubled) return times;
    return buf.subarray(from, to).includes(0x5c) ? UNREADABLE : times;
  };

  /** Does the record hold a "\u" escape (which could spell an address)? */
  const escapes = (from: number, to: number): boolean => kernel.hasUnicodeEscape(from, to);

  /** The alerted IPs the hits name (into `ips`): false when one cannot be read exactly. */
  const addressesOf = (buf: Buffer, from: number, to: number, hits: Uint32Array, first: number, last: number): boolean => {
    ips.length = 0;
    for (let i = first; i < last; i++) {
      const at = hits[i]!;
      if (buf[at] === 0x22) return false; // a network-alert marker: parsed as ever
      const ip = addressAt(buf, at, from, to);
      if (ip === UNREADABLE) return false;
      if (ip !== NOT_ALERTED && !ips.includes(ip)) ips.push(ip);
    }
    return true;
  };

  const wanted = (ts: readonly number[]): boolean => {
    for (const ip of ips) for (const t of ts) if (wants(ip, t)) return true;
    return false;
  };

  const json: RecordGate = (buf, from, to, hits, first, last) => {
    if (inKernel) {
      const answer = kernel.gateJson(from, to, hits, first, last);
      if (answer !== GATE_ASK) return answer === GATE_PARSE;
    }
    return jsonInScript(buf, from, to, hits, first, last);
  };

  const jsonInScript: RecordGate = (buf, from, to, hits, first, last) => {
    if (!addressesOf(buf, from, to, hits, first, last)) return true;
    // Every hit was another address than an alerted one: the record names none (as a record
    // without hits), unless an escape could spell one where the bytes do not.
    if (ips.length === 0) return escapes(from, to);
    const ts = timesOf(buf, from, to);
    if (ts === UNREADABLE) return true;
    // (No time field: not a qualifying event, whatever it names.)
    return wanted(ts);
  };

  /**
   * The gate for the rows of a Purview audit export (a header of Purview's
   * columns only, CreationDate and AuditData among them: rows only the
   * m365-audit decoder reads), or null for any other CSV (its rows are parsed
   * as before). Such a row's time is its AuditData's CreationTime, else its
   * CreationDate column: the gate takes every CreationTime (and other time key)
   * in the row and the CreationDate cell, and lets the row go unparsed only when
   * none of them is within a window of an alert of an IP it names.
   */
  const csv = (header: readonly string[]): RecordGate | null => {
    if (new Set(header).size !== header.length || !header.every((h) => PURVIEW_COLUMNS.has(h))) return null;
    const dateColumn = header.indexOf('CreationDate');
    if (dateColumn < 0 || !header.includes('AuditData')) return null;
    return (buf, from, to, hits, first, last) => {
      if (!addressesOf(buf, from, to, hits, first, last)) return true;
      if (ips.length === 0) return escapes(from, to);
      const ts = timesOf(buf, from, to, true);
      if (ts === UNREADABLE) return true;
      const cell = cellAt(buf, from, to, dateColumn);
      if (cell === null) return true;
      const date = timeIn(buf, cell.start, cell.end);
      if (date === UNREADABLE) return true;
      if (date !== 'skip') ts.push(date);
      return wanted(ts);
    };
  };

  return { json, csv, jsonInScript };
}

/**
 * The columns of Purview's audit log exports (old: CreationDate, UserIds,
 * Operations, AuditData; new: RecordId, CreationDate, RecordType, Operation,
 * UserId, AuditData, and the admin-unit columns). A CSV with only these can be
 * read by no decoder but m365-audit (entra-signin needs a category column, the
 * portal export its own, ECS a JSON object).
 */
const PURVIEW_COLUMNS: ReadonlySet<string> = new Set([
  'RecordId', 'CreationDate', 'RecordType', 'Operation', 'Operations', 'UserId', 'UserIds', 'AuditData',
  'AssociatedAdminUnits', 'AssociatedAdminUnitsNames',
]);

/**
 * Where the text of cell `column` of the CSV row buf[from, to) is (inside its
 * quotes, when quoted), or null when it is not there or holds a doubled quote.
 */
export function cellAt(buf: Buffer, from: number, to: number, column: number): { start: number; end: number } | null {
  let p = from;
  for (let c = 0; ; c++) {
    if (p > to) return null;
    let start = p;
    let end: number;
    let next: number;
    let doubled = false;
    if (buf[p] === 0x22) {
      start = p + 1;
      let q = start;
      for (;;) {
        q = buf.indexOf(0x22, q);
        if (q < 0 || q >= to) return null;
        if (buf[q + 1] === 0x22 && q + 1 < to) {
          doubled = true;
          q += 2;
          continue;
        }
        break;
      }
      end = q;
      next = q + 1;
      if (next < to && buf[next] !== 0x2c) return null;
    } else {
      const comma = buf.indexOf(0x2c, p);
      end = comma < 0 || comma >= to ? to : comma;
      next = end;
    }
    if (c === column) return doubled ? null : { start, end };
    if (next >= to) return null;
    p = next + 1;
  }
}
