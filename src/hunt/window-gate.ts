// hunt's window gate (issue #18): a record the scan kernel flagged because it
// names an alerted IP is parsed only if it can be a qualifying event within a
// window of one of that IP's alerts. On real tenants the busy addresses (VPN
// egress, a NAT'd office) that sensors alert on have hundreds of thousands of
// records, nearly all far from any alert: JSON.parse-ing them was most of a
// hunt's time. The gate reads, from the raw bytes, the addresses the kernel
// found and the record's time fields, and lets a record go unparsed only when
// every (address, time) pair it names is outside every window — a conservative
// test: anything it cannot read exactly (an escape, a number, a time that is
// not plain ISO 8601, an address it cannot spell back) sends the record to the
// parser as before.
import type { DecodeContext } from '../decoders/types.js';
import { canonicalIp, ipv4Number } from '../model/ip.js';
import { parseTime } from '../model/time.js';
import type { RecordGate } from '../inputs/fast-frames.js';
import { KEY_CAP, type ScanKernel } from '../inputs/scan-kernel.js';

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

/** ISO 8601 as the decoders read it without rewriting (trimmed): date, time, optional fraction and offset. */
const PLAIN_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isAddressByte = (b: number): boolean =>
  (b >= 0x30 && b <= 0x3a) /* 0-9 : */ || b === 0x2e /* . */ || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) /* a-f */;

/**
 * A plain ISO time's milliseconds, computed directly when that is sure to be
 * what parseTime gives (to the millisecond: the window test has a millisecond
 * of slack), else parseTime's answer (null: not a time).
 */
function isoMs(text: string, m: RegExpExecArray, opts: { defaultOffsetMinutes?: number; zone?: string }): number | null {
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!, h = +m[4]!, mi = +m[5]!, sec = +m[6]!;
  const zone = m[8];
  let offset: number | null = null;
  if (zone === undefined) offset = opts.zone === undefined ? (opts.defaultOffsetMinutes ?? 0) : null;
  else if (zone === 'Z') offset = 0;
  else if (zone.length === 6 || zone.length === 5) {
    const hh = +zone.slice(1, 3), mm = +zone.slice(zone.length - 2);
    if (hh <= 23 && mm <= 59) offset = (zone[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  }
  if (offset === null || y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 28 || h > 23 || mi > 59 || sec > 59) {
    return parseTime(text, opts)?.ms ?? null;
  }
  const frac = m[7];
  const ms = frac === undefined ? 0 : Math.floor(+frac.slice(0, 3).padEnd(3, '0'));
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offset * 60_000;
}

/** Sentinel: the record cannot be judged from its bytes (parse it). */
const UNREADABLE = null;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * The gate for the fast framing (fast-frames.ts): true to parse the record.
 * `alerted` are the IPs the kernel looks for; `wants` says whether an event of
 * that IP at that time can matter (within a window of one of its alerts). It
 * configures the kernel's keys (findKeys): one gate per kernel at a time.
 */
export function windowGate(
  kernel: ScanKernel, alerted: ReadonlySet<string>, wants: (ip: string, atMs: number) => boolean, ctx: DecodeContext,
): RecordGate {
  kernel.configureKeys(GATE_KEYS);
  const timeOpts = { defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference, ...(ctx.zone !== undefined ? { zone: ctx.zone } : {}) };
  // Alerted IPv4s by number: a dotted quad is read straight from the bytes.
  const byNumber = new Map<number, string>();
  for (const ip of alerted) {
    const n = ipv4Number(ip);
    if (n !== null) byNumber.set(n, ip);
  }
  // Other spellings (IPv6, mapped, with ports), read again and again from busy addresses: canonicalized once.
  const spelled = new Map<string, string | null>();
  const ips: string[] = [];
  const times: number[] = [];

  /** A dotted quad a.b.c.d whose first dot is at `at` and that stands alone, as a number; else -1. */
  const quadAt = (buf: Buffer, at: number, from: number, to: number): number => {
    let a = at;
    while (a > from && a > at - 3 && isDigit(buf[a - 1]!)) a--;
    if (a === at || (a > from && isAddressByte(buf[a - 1]!))) return -1;
    let n = 0;
    let i = a;
    for (let part = 0; part < 4; part++) {
      if (part > 0) {
        if (buf[i] !== 0x2e) return -1;
        i++;
      }
      let v = 0;
      const start = i;
      while (i < to && i - start < 3 && isDigit(buf[i]!)) v = v * 10 + buf[i++]! - 0x30;
      if (i === start || v > 255 || (i - start > 1 && buf[start] === 0x30)) return -1;
      n = n * 256 + v;
    }
    if (i < to && isAddressByte(buf[i]!)) return -1;
    return n;
  };

  /** The alerted address the kernel hit at `at` (the dot or colon after its first group), or null. */
  const addressAt = (buf: Buffer, at: number, from: number, to: number): string | null => {
    if (buf[at] === 0x2e) {
      const n = quadAt(buf, at, from, to);
      if (n >= 0) return byNumber.get(n) ?? null;
    }
    let a = at;
    while (a > from && isAddressByte(buf[a - 1]!)) a--;
    let b = at;
    while (b < to && isAddressByte(buf[b]!)) b++;
    if (b - a > 64) return null;
    const text = buf.toString('latin1', a, b);
    let ip = spelled.get(text);
    if (ip === undefined) {
      ip = canonicalIp(text);
      if (ip !== null && !alerted.has(ip)) ip = null;
      if (spelled.size > 100_000) spelled.clear();
      spelled.set(text, ip);
    }
    return ip;
  };

  /** The value of the key whose closing quote is at `close`: a time (ms), 'skip' (null, empty, not a key), or null (unreadable). */
  const valueAfter = (buf: Buffer, close: number, to: number): number | 'skip' | null => {
    let i = close + 1;
    while (i < to && isSpace(buf[i]!)) i++;
    if (buf[i] !== 0x3a) return 'skip'; // a value, not a key
    i++;
    while (i < to && isSpace(buf[i]!)) i++;
    const c = buf[i];
    if (c === 0x6e /* n */) return buf.toString('latin1', i, i + 4) === 'null' ? 'skip' : UNREADABLE;
    if (c !== 0x22) return UNREADABLE; // a number, an object
    const start = i + 1;
    let j = start;
    while (j < to && j - start <= 64) {
      const b = buf[j]!;
      if (b === 0x22) break;
      if (b === 0x5c || b >= 0x80) return UNREADABLE;
      j++;
    }
    if (buf[j] !== 0x22) return UNREADABLE;
    const value = buf.toString('latin1', start, j).trim();
    if (value === '') return 'skip';
    const iso = PLAIN_ISO.exec(value);
    return iso ? isoMs(value, iso, timeOpts) : UNREADABLE;
  };

  /** The times of the record's time fields (ms), or null when one cannot be read exactly. */
  const timesOf = (buf: Buffer, from: number, to: number): number[] | null => {
    times.length = 0;
    const n = kernel.findKeys(from, to);
    if (n >= KEY_CAP) return UNREADABLE;
    for (let i = 0; i < n; i++) {
      const id = kernel.keyId(i);
      if (id >= TIME_KEYS.length) return UNREADABLE; // an escape, or a Log Analytics shape
      const at = kernel.keyAt(i);
      const v = valueAfter(buf, at + TIME_KEYS[id]!.length - 1, to);
      if (v === UNREADABLE) return UNREADABLE;
      if (v !== 'skip') times.push(v);
    }
    return times.length > 0 ? times : UNREADABLE;
  };

  return (buf, from, to, hits, first, last) => {
    ips.length = 0;
    for (let i = first; i < last; i++) {
      const at = hits[i]!;
      if (buf[at] === 0x22) return true; // a network-alert marker: parsed as ever
      const ip = addressAt(buf, at, from, to);
      if (ip === null) return true;
      if (!ips.includes(ip)) ips.push(ip);
    }
    if (ips.length === 0) return true;
    const ts = timesOf(buf, from, to);
    if (ts === UNREADABLE) return true;
    for (const ip of ips) for (const t of ts) if (wants(ip, t)) return true;
    return false;
  };
}
