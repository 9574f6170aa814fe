// Canonical time (DESIGN.md §2). An Instant is epoch milliseconds plus the
// sub-millisecond nanoseconds a source wrote (Entra writes 100 ns ticks), so a
// window edge compares exactly. Zone-less source times are UTC unless a zone is
// configured; the machine's TZ never matters (only Date.UTC is used).

export interface Instant {
  /** Whole milliseconds since the Unix epoch (may be negative). */
  readonly ms: number;
  /** Nanoseconds within the millisecond, 0..999999. */
  readonly ns: number;
}

export function instant(ms: number, ns = 0): Instant {
  return { ms, ns };
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.ns - b.ns;
}

export function addMs(a: Instant, ms: number): Instant {
  return { ms: a.ms + ms, ns: a.ns };
}

/** Difference a - b in milliseconds (fractional). */
export function diffMs(a: Instant, b: Instant): number {
  return a.ms - b.ms + (a.ns - b.ns) / 1e6;
}

/** ISO 8601 in UTC with `Z`; at least milliseconds, more digits only when the source had them. */
export function formatInstant(t: Instant): string {
  // Every decoded event is given its @timestamp here. The date part
  // ("YYYY-MM-DDT") of the last day is kept and the time of day written from
  // tables: Date and toISOString were ~4 % of a serve worker's time.
  const ms = t.ms;
  let head: string;
  const day = Math.floor(ms / DAY_MS);
  if (day === lastDay && Number.isInteger(ms)) {
    let rest = ms - day * DAY_MS;
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const sec = Math.floor(rest / 1000);
    head = `${lastDayText}${TWO_DIGITS[h]!}:${TWO_DIGITS[m]!}:${TWO_DIGITS[sec]!}${MILLIS[rest - sec * 1000]!}`;
  } else {
    head = new Date(ms).toISOString().slice(0, -1); // "YYYY-MM-DDTHH:MM:SS.mmm" (throws past Date's range, as ever)
    // Whole milliseconds, on a day wholly within Date's range: every time of it can be written.
    if (Number.isInteger(ms) && Math.abs(ms) < MAX_DATE_MS) {
      lastDay = day;
      lastDayText = head.slice(0, head.indexOf('T') + 1);
    }
  }
  if (t.ns === 0) return `${head}Z`;
  // Sub-millisecond digits, trailing zeros dropped.
  let ns = t.ns;
  let digits = 6;
  while (ns % 10 === 0) {
    ns /= 10;
    digits--;
  }
  return `${head}${String(ns).padStart(digits, '0')}Z`;
}
const DAY_MS = 86_400_000;
const MAX_DATE_MS = 8.64e15;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** ".000" to ".999". */
const MILLIS = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}`);
let lastDay = Number.NaN;
let lastDayText = '';

export interface TimeOptions {
  /**
   * Offset in minutes east of UTC applied to zone-less times (DESIGN.md §2:
   * default 0, i.e. UTC, whatever the machine's TZ).
   */
  defaultOffsetMinutes?: number;
  /**
   * A configured zone for zone-less device times: "+09:30", "UTC" or an IANA name
   * ("America/Chicago", daylight saving applied). Wins over defaultOffsetMinutes.
   */
  zone?: string;
}

/** Checks a zone setting; returns an error message or null. */
export function checkZone(zone: string): string | null {
  if (FIXED_ZONE_RE.test(zone) || zone === 'UTC' || zone === 'Z') return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return null;
  } catch {
    return `unknown time zone "${zone}" (use an offset such as +09:30 or an IANA name such as America/Chicago)`;
  }
}

/** Zone abbreviations devices write after a time (CEF `zzz`, FortiOS `tz`), as fixed offsets. */
const ZONE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  UTC: '+00:00', UT: '+00:00', GMT: '+00:00', Z: '+00:00', WET: '+00:00', WEST: '+01:00', BST: '+01:00',
  CET: '+01:00', CEST: '+02:00', MET: '+01:00', MEST: '+02:00', EET: '+02:00', EEST: '+03:00', MSK: '+03:00',
  IST: '+05:30', SGT: '+08:00', HKT: '+08:00', AWST: '+08:00', JST: '+09:00', KST: '+09:00', ACST: '+09:30',
  ACDT: '+10:30', AEST: '+10:00', AEDT: '+11:00', NZST: '+12:00', NZDT: '+13:00',
  EST: '-05:00', EDT: '-04:00', CST: '-06:00', CDT: '-05:00', MST: '-07:00', MDT: '-06:00',
  PST: '-08:00', PDT: '-07:00', AKST: '-09:00', AKDT: '-08:00', HST: '-10:00',
};

/**
 * A zone written next to a device time, as a TimeOptions zone: an abbreviation
 * (UTC, GMT, CET, PST, ...), an offset ("+0100", "-05:00", "-5", "UTC+2:00",
 * "GMT-03:00") or an IANA name ("Europe/Berlin"). Null when it is none of those.
 */
export function writtenZone(text: string): string | null {
  const t = text.trim();
  if (t.length === 0 || t.length > 64) return null;
  const abbr = ZONE_ABBREVIATIONS[t.toUpperCase()];
  if (abbr !== undefined) return abbr;
  const off = /^(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t);
  if (off) {
    const h = Number(off[2]);
    const mi = Number(off[3] ?? 0);
    if (h > 14 || mi > 59) return null;
    return `${off[1]}${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}`;
  }
  if (/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(t) && checkZone(t) === null) return t;
  return null;
}

const FIXED_ZONE_RE = /^[+-]\d{2}:?\d{2}$/;
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC in minutes at the instant `utcMs`. */
export function zoneOffsetMinutes(zone: string, utcMs: number): number | null {
  if (zone === 'UTC' || zone === 'Z') return 0;
  if (FIXED_ZONE_RE.test(zone)) return fixedOffset(zone);
  let fmt = zoneFormatters.get(zone);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      return null;
    }
    zoneFormatters.set(zone, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/**
 * The instants an ISO 8601 time with a four-digit year can name (0000-01-01 to
 * 9999-12-31): the canonical form. Past them formatInstant would print "+058142-…"
 * (or throw, past a Date's ±8.64e15 ms), so a parse that lands there is no time
 * (npm run fuzz found a 22-digit CEF epoch read as nanoseconds, year 58142).
 */
const MIN_ISO_MS = -62_167_219_200_000;
const MAX_ISO_MS = 253_402_300_799_999;

function inIsoRange(t: Instant): Instant | null {
  return t.ms >= MIN_ISO_MS && t.ms <= MAX_ISO_MS ? t : null;
}
/** 400 Gregorian years: exactly 146097 days. */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

// 2024-01-02T03:04:05.1234567+01:00 | 2024-01-02 03:04:05Z | 2024-01-02T03:04:05.123456+0000 | 2024-01-02T03:04Z
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;
// 1/9/2007 9:41:00 AM +01:00 (the Azure portal and some Azure Monitor records); "3/2/2026, 10:11:12.123 AM" (Log Analytics CSV)
const US_RE =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?(?:\s*([AaPp][Mm]))?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;
// Syslog / fast.log forms without a year: "Jan  2 03:04:05" or "01/02-03:04:05.123456"
const BSD_RE = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const NUMERIC_RE = /^-?\d+(?:\.\d+)?$/;

function fixedOffset(zone: string): number | null {
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (h > 23 || m > 59) return null;
  return sign * (h * 60 + m);
}

/** A written zone's offset; for no written zone, the configured zone (a string, resolved per instant) or offset. */
function offsetMinutes(zone: string | undefined, opts: TimeOptions | undefined): number | string | null {
  if (zone === undefined) return opts?.zone ?? opts?.defaultOffsetMinutes ?? 0;
  if (zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return 0;
  return fixedOffset(zone);
}

function fractionToMsNs(frac: string | undefined): [number, number] | null {
  if (!frac) return [0, 0];
  // Keep up to nanoseconds; finer digits than that no source writes meaningfully.
  const nine = (frac + '000000000').slice(0, 9);
  const n = Number(nine);
  return [Math.floor(n / 1e6), n % 1e6];
}

function build(
  y: number, mo: number, d: number, h: number, mi: number, s: number,
  frac: string | undefined, offset: number | string | null,
): Instant | null {
  if (offset === null) return null;
  if (typeof offset === 'string') {
    // A zone name: find the offset in force at that local time (DST-aware, two steps).
    const local = build(y, mo, d, h, mi, s, frac, 0);
    if (!local) return null;
    const first = zoneOffsetMinutes(offset, local.ms);
    if (first === null) return null;
    const second = zoneOffsetMinutes(offset, local.ms - first * 60_000);
    if (second === null) return null;
    return { ms: local.ms - second * 60_000, ns: local.ns };
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 60) return null;
  // Date.UTC maps years 0..99 to 1900..1999; compute those 400 years (one Gregorian
  // cycle, exactly 146097 days) later and shift back.
  const shift = y < 100 ? 400 : 0;
  const base = Date.UTC(y + shift, mo - 1, d, h, mi, s) - (shift / 400) * GREGORIAN_CYCLE_MS;
  if (!Number.isFinite(base)) return null;
  // Reject dates that Date.UTC silently rolls over (Feb 31 -> Mar 3).
  const check = new Date(Date.UTC(y + shift, mo - 1, d));
  if (check.getUTCDate() !== d) return null;
  const f = fractionToMsNs(frac);
  if (!f) return null;
  return inIsoRange({ ms: base + f[0] - offset * 60_000, ns: f[1] });
}

/**
 * Epoch numbers: seconds, milliseconds, microseconds or nanoseconds, told apart by
 * magnitude (a seconds value for year 5000 is still below 1e11).
 */
export function parseEpoch(value: number | string): Instant | null {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!NUMERIC_RE.test(text)) {
    if (typeof value === 'number' && Number.isFinite(value)) return parseEpoch(value.toFixed(9));
    return null;
  }
  const neg = text.startsWith('-');
  const [intPart = '0', fracPart = ''] = (neg ? text.slice(1) : text).split('.');
  const digits = intPart.replace(/^0+(?=\d)/, '');
  const abs = Number(digits);
  let scaleDigits: number; // how many digits of the integer part are below one second
  if (abs < 1e11) scaleDigits = 0;
  else if (abs < 1e14) scaleDigits = 3;
  else if (abs < 1e17) scaleDigits = 6;
  else scaleDigits = 9;
  // Re-split the decimal string into whole seconds and a fraction, exactly.
  const all = digits.padStart(scaleDigits + 1, '0');
  const secText = all.slice(0, all.length - scaleDigits);
  const fracText = (all.slice(all.length - scaleDigits) + fracPart).slice(0, 9);
  const secs = Number(secText);
  const f = fractionToMsNs(fracText);
  if (!f || !Number.isFinite(secs)) return null;
  // Beyond years 0000–9999 is no time: formatInstant could not print it canonically.
  if (secs * 1000 > MAX_ISO_MS) return null;
  if (!neg) return inIsoRange({ ms: secs * 1000 + f[0], ns: f[1] });
  // Negative epochs: rare, but keep the arithmetic right (and never produce -0).
  const totalNs = -(f[0] * 1e6 + f[1]);
  const ms = -secs * 1000 + Math.floor(totalNs / 1e6);
  return inIsoRange({ ms: ms === 0 ? 0 : ms, ns: totalNs - Math.floor(totalNs / 1e6) * 1e6 + 0 });
}

export interface SyslogTimeOptions extends TimeOptions {
  /** The time the record was read, to infer the missing year of "Mmm dd hh:mm:ss". */
  reference?: Instant;
}

/**
 * Parses the time forms vendors write: ISO 8601 (any fraction length, `Z`, `+01:00`,
 * `+0100`, or no zone), US "M/D/YYYY h:mm:ss AM", epoch numbers, and year-less
 * syslog stamps. Returns null for anything else.
 */
export function parseTime(value: unknown, opts?: SyslogTimeOptions): Instant | null {
  if (typeof value === 'number') return Number.isFinite(value) ? parseEpoch(value) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return null;
  return plainIsoTime(text, opts?.zone !== undefined ? null : (opts?.defaultOffsetMinutes ?? 0)) ?? parseTimeByPattern(text, opts);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by the n digits at `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * The commonest form, read without the regular expression:
 * `2026-03-02T09:00:00[.fraction](Z|±hh:mm|±hhmm|nothing)` with a year from 1970 and
 * every field in its everyday range. Each decoded sign-in and audit record has
 * one or two; the pattern path (strings for each part, the fraction padded and
 * parsed) was a tenth of the Entra decoder's time. Null for anything else — a
 * space for the T, a leap second, hour 24, a comma, more than nine fraction
 * digits, a zone name — which the pattern path reads, to the same instant
 * (test/ip-time.test.ts compares the two). A time without a zone is read at
 * `zonelessOffsetMinutes`, or not at all when that is null (a configured IANA
 * zone, whose offset depends on the date). hunt's window gate reads its times
 * from the bytes with it too (fastIsoMs).
 */
export function plainIsoTime(text: string, zonelessOffsetMinutes: number | null): Instant | null {
  const len = text.length;
  if (len < 19 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(10) !== 0x54 /* T */
    || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return null;
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const sec = digits(text, 17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return null;
  if (d > (mo === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 29 : DAYS_IN_MONTH[mo - 1]!)) return null;
  let i = 19;
  let fraction = 0;
  if (i < len && text.charCodeAt(i) === 0x2e /* . */) {
    const from = ++i;
    while (i < len && i - from < 10) {
      const c = text.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) break;
      fraction = fraction * 10 + c;
      i++;
    }
    const n = i - from;
    if (n < 1 || n > 9) return null;
    for (let k = n; k < 9; k++) fraction *= 10;
  }
  let offset: number;
  if (i === len) {
    if (zonelessOffsetMinutes === null) return null;
    offset = zonelessOffsetMinutes;
  } else if (i === len - 1 && text.charCodeAt(i) === 0x5a /* Z */) {
    offset = 0;
  } else if ((i === len - 6 && text.charCodeAt(i + 3) === 0x3a) || i === len - 5) {
    // ±hh:mm, or ±hhmm as Suricata's EVE writes it ("+0000").
    const c = text.charCodeAt(i);
    if (c !== 0x2b && c !== 0x2d) return null;
    const oh = digits(text, i + 1, 2);
    const om = digits(text, len - 2, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return null;
    offset = (c === 0x2d ? -1 : 1) * (oh * 60 + om);
  } else {
    return null;
  }
  const ns = fraction % 1e6;
  return inIsoRange({ ms: Date.UTC(y, mo - 1, d, h, mi, sec) + (fraction - ns) / 1e6 - offset * 60_000, ns });
}

/** parseTime's reading of a trimmed text by its patterns (exported for the test that holds plainIsoTime to it). */
export function parseTimeByPattern(text: string, opts?: SyslogTimeOptions): Instant | null {
  let m = ISO_RE.exec(text);
  if (m) {
    return build(
      Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0),
      m[7], offsetMinutes(m[8], opts),
    );
  }
  m = US_RE.exec(text);
  if (m) {
    let h = Number(m[4] ?? 0);
    const ampm = m[8]?.toUpperCase();
    if (ampm) {
      if (h < 1 || h > 12) return null;
      if (ampm === 'AM' && h === 12) h = 0;
      if (ampm === 'PM' && h !== 12) h += 12;
    }
    return build(
      Number(m[3]), Number(m[1]), Number(m[2]), h, Number(m[5] ?? 0), Number(m[6] ?? 0),
      m[7], offsetMinutes(m[9], opts),
    );
  }
  if (NUMERIC_RE.test(text)) return parseEpoch(text);
  m = BSD_RE.exec(text);
  if (m) {
    const mon = MONTHS[m[1]!.toLowerCase()];
    if (!mon) return null;
    return withInferredYear(mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6], opts);
  }
  return null;
}

/**
 * Year-less stamps take the year that puts them closest before (or at most a day
 * after) the reference time, as syslog daemons do around New Year.
 */
export function withInferredYear(
  mon: number, d: number, h: number, mi: number, s: number, frac: string | undefined,
  opts?: SyslogTimeOptions,
): Instant | null {
  const ref = opts?.reference ?? { ms: Date.now(), ns: 0 };
  const refYear = new Date(ref.ms).getUTCFullYear();
  const offset = offsetMinutes(undefined, opts);
  let t = build(refYear, mon, d, h, mi, s, frac, offset);
  if (t && t.ms > ref.ms + 86_400_000) t = build(refYear - 1, mon, d, h, mi, s, frac, offset);
  return t;
}

/** Parses durations like "8h", "30m", "90s", "1d", "1h30m", "500ms" or plain milliseconds. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const n = Number(m[1]);
    const unit = m[2];
    const factor = unit === 'ms' ? 1 : unit === 's' ? 1e3 : unit === 'm' ? 6e4 : unit === 'h' ? 3.6e6 : unit === 'd' ? 8.64e7 : 6.048e8;
    total += n * factor;
    matched = re.lastIndex;
  }
  if (matched !== s.length || s.length === 0) return null;
  return Math.round(total);
}

/** "8h", "1h30m", "45s": the shortest readable form of a duration in ms. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000) return `${sign}${rest}ms`;
  const parts: string[] = [];
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [u, f] of units) {
    const n = Math.floor(rest / f);
    if (n > 0) { parts.push(`${n}${u}`); rest -= n * f; }
  }
  return sign + parts.join('');
}

/**
 * How far ahead of the clock of whoever reads it an event's time still counts
 * (DESIGN.md §8): a sensor clock a little fast does; a record dated 9999 moves no
 * one's time (serve's watermark, the year of year-less stamps).
 */
export const DEFAULT_FUTURE_SKEW_MS = 15 * 60_000;
