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
import { canonicalIp } from '../model/ip.js';
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

/**
 * ISO 8601 as the decoders read it without rewriting (trimmed): date, time,
 * optional fraction and offset. Such a value is read with parseTime, as they read it.
 */
const PLAIN_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?$/;

const isAddressByte = (b: number): boolean =>
  (b >= 0x30 && b <= 0x3a) /* 0-9 : */ || b === 0x2e /* . */ || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) /* a-f */;

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
  // The spellings of addresses, read again and again from busy records: canonicalized once.
  const spelled = new Map<string, string | null>();
  const ips: string[] = [];
  const times: number[] = [];

  /** The alerted address the kernel hit at `at` (the dot or colon after its first group), or null. */
  const addressAt = (buf: Buffer, at: number, from: number, to: number): string | null => {
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
    return PLAIN_ISO.test(value) ? (parseTime(value, timeOpts)?.ms ?? UNREADABLE) : UNREADABLE;
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
