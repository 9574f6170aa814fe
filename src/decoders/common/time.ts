// Device times several decoders read: the configured zone for zone-less stamps,
// syslog header stamps (fast.log's alert_syslog form, CEF without rt), and the
// Snort / Suricata alert time (fast.log, alert_full, alert_csv, alert_json).
// Decoders import these from here, never from each other.
import { parseTime, withInferredYear } from '../../model/time.js';
import type { Instant, SyslogTimeOptions } from '../../model/time.js';
import type { DecodeContext } from '../types.js';

/** parseTime options for zone-less device times: the configured zone (else UTC) and the reference for year-less stamps. */
export function timeOptions(ctx: DecodeContext): SyslogTimeOptions {
  const opts: SyslogTimeOptions = { defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference };
  if (ctx.zone !== undefined) opts.zone = ctx.zone;
  return opts;
}

const BSD_YEAR_RE = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\s+(\d{4})$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** A syslog header's timestamp (RFC 3164 with or without a year, RFC 5424 / ISO), or null. */
export function syslogTime(ts: string, ctx: DecodeContext): Instant | null {
  const opts = timeOptions(ctx);
  const m = BSD_YEAR_RE.exec(ts.trim());
  if (m) {
    const mon = MONTHS.indexOf(m[1]!.toLowerCase()) + 1;
    if (mon === 0) return null;
    return parseTime(`${m[4]}-${String(mon).padStart(2, '0')}-${m[2]!.padStart(2, '0')}T${m[3]}`, opts);
  }
  return parseTime(ts, opts);
}

const SNORT_TS_RE = /^(\d{2})\/(\d{2})(?:\/(\d{2}|\d{4}))?-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Is the text shaped like a Snort / Suricata alert time (whatever its values)? */
export function isSnortTime(text: string): boolean {
  return SNORT_TS_RE.test(text.trim());
}

/**
 * Snort / Suricata alert time, in the configured zone (else UTC; Snort writes
 * the sensor's local time unless run with -U):
 *   "MM/DD-hh:mm:ss.uuuuuu"      year inferred from the reference;
 *   "MM/DD/YY-..."               Snort 2 -y (20YY);
 *   "YY/MM/DD-..."               Snort 3 -y: told from Snort 2's form by its first
 *                                number, a year (13 or more) where Snort 2 has a
 *                                month (Snort 3 was first released in 2014);
 *   "MM/DD/YYYY-..."             Suricata.
 * Null when it is not such a time.
 */
export function snortTime(text: string, ctx: DecodeContext): Instant | null {
  const m = SNORT_TS_RE.exec(text.trim());
  if (!m) return null;
  const [, a, b, c, h, mi, s, frac] = m;
  const opts = timeOptions(ctx);
  if (c === undefined) {
    return withInferredYear(Number(a), Number(b), Number(h), Number(mi), Number(s), frac, opts);
  }
  let year: number;
  let mo = a!;
  let d = b!;
  if (c.length === 4) year = Number(c);
  else if (Number(a) > 12) {
    year = 2000 + Number(a);
    mo = b!;
    d = c;
  } else year = 2000 + Number(c);
  return parseTime(`${String(year).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}`, opts);
}

/**
 * Snort's `seconds` (the packet's epoch second, whatever the sensor's zone) is
 * the truth; the timestamp (local time unless -U) only adds its sub-second
 * digits, when both name the same second of the minute (zones differ by whole
 * minutes).
 */
export function preferSeconds(fromTs: Instant | null, seconds: Instant): Instant {
  if (fromTs && Math.floor(fromTs.ms / 1000) % 60 === Math.floor(seconds.ms / 1000) % 60) {
    const sub = fromTs.ms - Math.floor(fromTs.ms / 1000) * 1000;
    return { ms: Math.floor(seconds.ms / 1000) * 1000 + sub, ns: fromTs.ns };
  }
  return seconds;
}
