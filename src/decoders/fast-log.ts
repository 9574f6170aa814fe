// Snort / Suricata "fast" alert lines:
//   TIME  [ACTION] [**] [gid:sid:rev] [<iface>] MSG [**] [Classification: C] [Priority: N] [AppID: A] {PROTO} SRC[:PORT] -> DST[:PORT]
// as written to fast.log (Snort 2/3, Suricata), with or without a syslog header
// in front, and Snort's alert_syslog form ("snort[pid]: [gid:sid:rev] MSG
// [Classification: C] [Priority: N] {PROTO} ...", whose time is the syslog
// header's). ACTION is Suricata's "[Drop]"/"[wDrop]", Snort 2's "[Drop]"/"[WDrop]"
// or Snort 3's "[block]", "[would_drop]", ...; Snort 3 keeps the rule's quotes
// around MSG. TIME is one of (see snortTime):
//   MM/DD-hh:mm:ss.uuuuuu        Snort 2 and 3 by default (year inferred)
//   MM/DD/YY-hh:mm:ss.uuuuuu     Snort 2 with -y
//   YY/MM/DD-hh:mm:ss.uuuuuu     Snort 3 with -y (util.cc ts_print puts the year first)
//   MM/DD/YYYY-hh:mm:ss.uuuuuu   Suricata
// Every line is a network alert keyed on SRC.
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant, parseTime, withInferredYear } from '../model/time.js';
import type { Instant, SyslogTimeOptions } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject, textOf } from './types.js';
import { MAX_FIELD_CHARS, port, snippet, str } from './fields.js';
import { splitSyslog } from './syslog.js';

const NAME = 'fast-log';

/** Longest line read; a real fast.log line is a few hundred characters. */
export const MAX_FAST_LINE = 16 * 1024;

/** parseTime options for zone-less device times: the configured zone (else UTC) and the reference for year-less stamps. */
export function timeOptions(ctx: DecodeContext): SyslogTimeOptions {
  const opts: SyslogTimeOptions = { defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference };
  if (ctx.zone !== undefined) opts.zone = ctx.zone;
  return opts;
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

/** Snort 3 writes a rule's msg with its quotes ("\"ET SCAN nmap\""); the name is what is inside. */
export function unquoteMsg(msg: string | undefined): string | undefined {
  if (msg === undefined || msg.length < 2 || !msg.startsWith('"') || !msg.endsWith('"')) return msg;
  return str(msg.slice(1, -1));
}

/**
 * What an action word says: Suricata/Snort 2 "Drop" (dropped), "wDrop"/"WDrop"
 * (would have), Snort 3 "block", "would_block", "cant_drop", "force_reset", ...
 * Only a done (or forced) drop, block or reset stopped the packet.
 */
/**
 * The ECS shape every Snort / Suricata text alert shares (fast.log, alert_full,
 * alert_csv): a network alert of the sensor, denied when the sensor dropped it.
 * Each decoder adds the rule, the endpoints and the protocol it read.
 */
export function idsAlertEvent(at: Instant, decoder: string, observer: NonNullable<NormalizedEvent['observer']>, act?: { action: string; denied: boolean }): NormalizedEvent {
  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: 'alert',
      dataset: 'snort.log',
      module: 'snort',
      category: ['network', 'intrusion_detection'],
      type: [act?.denied ? 'denied' : 'allowed'],
    },
    observer,
    crosswatch: { role: 'network_alert', decoder, category: 'alert' },
  };
  if (act) event.event.action = act.action;
  return event;
}

/** source.* / destination.* of an endpoint read from an alert line. */
export function endpointField(ep: { ip: string; port?: number | undefined }): { ip: string; port?: number } {
  return ep.port === undefined ? { ip: ep.ip } : { ip: ep.ip, port: ep.port };
}

export function actionOf(word: string): { action: string; denied: boolean } {
  if (word === 'Drop') return { action: 'drop', denied: true };
  if (word === 'wDrop' || word === 'WDrop') return { action: 'would_drop', denied: false };
  const action = word.toLowerCase();
  return { action, denied: /^(?:force_)?(?:drop|block|reset)$/.test(action) };
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

// "[ts  ][Drop] [**] [gid:sid:rev] [<iface>] " at the start of the payload ("[**] R" / "F": Snort 2 MARK_TAGGED builds).
const HEAD_RE =
  /^(?:(\d{2}\/\d{2}(?:\/\d{2,4})?-\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\s+)?(?:\[(Drop|wDrop|WDrop|(?:cant_|would_|force_)?(?:drop|block|reset|rewrite))\]\s*)?(\[\*\*\]\s*(?:[RF]\s+)?)?\[(\d{1,10}):(\d{1,10}):(\d{1,10})\]\s*(?:<[^<>\s]{1,64}>\s*)?/;
// What follows the message: "[**] [Classification: C] [Priority: N] [AppID: A] {PROTO} SRC -> DST" (each part optional).
// Matched against the trimmed tail and ending in "$", not "\s*$": two whitespace runs
// that can meet (a part's "\]\s*" and a final "\s*") backtrack quadratically over a
// long run of spaces (bench/fuzz.ts found 300+ ms for a 14 KB line).
const TAIL_RE =
  /^(?:\[\*\*\]\s*)?(?:\[Classification:\s*([^\]]{0,512})\]\s*)?(?:\[Priority:\s*(\d{1,5})\]\s*)?(?:\[AppID:\s*[^\]]{0,256}\]\s*)?(?:\{([A-Za-z0-9_:.-]{1,32})\}\s+(\S{1,80})\s+->\s+(\S{1,80}))?$/;
const MARKERS = ['[**]', '[Classification:', '[Priority:'];

interface Head {
  ts?: string;
  drop?: string;
  stars: boolean;
  gid: string;
  sid: string;
  rev: string;
  rest: string;
}

function head(message: string): Head | null {
  const m = HEAD_RE.exec(message);
  if (!m) return null;
  const h: Head = { stars: m[3] !== undefined, gid: m[4]!, sid: m[5]!, rev: m[6]!, rest: message.slice(m[0].length) };
  if (m[1] !== undefined) h.ts = m[1];
  if (m[2] !== undefined) h.drop = m[2];
  return h;
}

/** Does the line look like a fast alert (cheap: a regex on the first characters)? */
function looksLikeFast(line: string): boolean {
  const sys = splitSyslog(line.length > 1024 ? line.slice(0, 1024) : line);
  const h = head(sys.message);
  if (!h) return false;
  // Without its own time or "[**]", only Snort's syslog form, which has a syslog header.
  return h.ts !== undefined || h.stars || h.drop !== undefined || sys.timestamp !== undefined;
}

/** "1.2.3.4:80", "1.2.3.4", "[2001:db8::1]:80", "2001:db8::1", "2001:db8::1:80" (Snort 2), full-form IPv6 + ":port". */
export function endpoint(text: string, withPorts: boolean): { ip: string; port?: number } | null {
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracket) {
    const ip = canonicalIp(bracket[1]);
    if (ip === null) return null;
    const p = bracket[2] !== undefined ? port(bracket[2]) : undefined;
    return p === undefined ? { ip } : { ip, port: p };
  }
  const colons = text.split(':').length - 1;
  if (colons <= 1) {
    // IPv4 with or without a port.
    const [addr = '', portText] = text.split(':');
    const ip = canonicalIp(addr);
    if (ip === null || ip.includes(':')) return null;
    if (portText === undefined) return { ip };
    const p = /^\d{1,5}$/.test(portText) ? port(portText) : undefined;
    return p === undefined ? null : { ip, port: p };
  }
  // Plain IPv6: on TCP/UDP lines the port is appended with one more colon
  // ("2001:db8::1:80" from Snort 2, "2001:0db8:...:0001:80" full form), so the last
  // group is the port when what precedes it is an address.
  if (withPorts) {
    const last = text.lastIndexOf(':');
    const portText = text.slice(last + 1);
    const ip = /^\d{1,5}$/.test(portText) ? canonicalIp(text.slice(0, last)) : null;
    const p = port(portText);
    if (ip !== null && p !== undefined) return { ip, port: p };
  }
  const ip = canonicalIp(text);
  return ip === null ? null : { ip };
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'text') return reject('unknown-format', 'fast-log reads text lines only');
  const line = record.value;
  if (line.length > MAX_FAST_LINE) return reject('record-too-large', `fast.log line of ${line.length} characters (limit ${MAX_FAST_LINE})`);
  const sys = splitSyslog(line);
  const h = head(sys.message);
  if (!h) return reject('invalid-field', `not a fast.log alert (no "[gid:sid:rev]"): ${snippet(sys.message)}`);

  let end = -1;
  for (const marker of MARKERS) {
    const i = h.rest.indexOf(marker);
    if (i >= 0 && (end < 0 || i < end)) end = i;
  }
  if (end < 0) return reject('invalid-field', `truncated fast.log line: nothing after the message ${snippet(h.rest)}`);
  const msg = str(h.rest.slice(0, end));
  const tail = TAIL_RE.exec(h.rest.slice(end).trim());
  if (!tail) return reject('invalid-field', `fast.log line does not end in "[Priority: N] {PROTO} SRC -> DST": ${snippet(h.rest.slice(end))}`);
  const [, classification, priority, proto, srcText, dstText] = tail;

  let at: Instant | null;
  if (h.ts !== undefined) {
    at = snortTime(h.ts, ctx);
    if (!at) return reject('invalid-time', `not a fast.log time: ${snippet(h.ts)}`);
  } else if (sys.timestamp !== undefined) {
    at = syslogTime(sys.timestamp, ctx);
    if (!at) return reject('invalid-time', `syslog header time is not a time: ${snippet(sys.timestamp)}`);
  } else {
    return reject('missing-time', 'fast.log line has no time and no syslog header');
  }

  const transport = proto?.toLowerCase();
  const withPorts = transport === 'tcp' || transport === 'udp' || transport === 'sctp';
  let src: ReturnType<typeof endpoint> = null;
  let dst: ReturnType<typeof endpoint> = null;
  if (srcText !== undefined && dstText !== undefined) {
    src = endpoint(srcText, withPorts);
    if (!src) return reject('invalid-field', `source is not an address: ${snippet(srcText)}`);
    dst = endpoint(dstText, withPorts);
    if (!dst) return reject('invalid-field', `destination is not an address: ${snippet(dstText)}`);
  }

  const app = sys.app?.toLowerCase();
  const act = h.drop === undefined ? undefined : actionOf(h.drop);
  // Suricata always writes a four-digit year; "wDrop" is Suricata's, "WDrop",
  // Snort 3's lower-case actions, quoted messages and year-first time are Snort's.
  const suricata = h.drop === 'wDrop' || (h.ts !== undefined && /\/\d{4}-/.test(h.ts)) || (app?.includes('suricata') ?? false);
  const snort = !suricata && ((app?.includes('snort') ?? false) || h.drop === 'WDrop' || (h.drop !== undefined && h.drop !== 'Drop') ||
    (h.ts !== undefined && Number(h.ts.slice(0, 2)) > 12) || (msg !== undefined && msg.length >= 2 && msg.startsWith('"') && msg.endsWith('"')));
  const observer: NonNullable<NormalizedEvent['observer']> = { type: 'ids' };
  if (suricata) Object.assign(observer, { vendor: 'OISF', product: 'Suricata' });
  else if (snort) Object.assign(observer, { vendor: 'Cisco', product: 'Snort' });
  if (sys.host !== undefined) observer.name = sys.host.slice(0, MAX_FIELD_CHARS);

  const event = idsAlertEvent(at, NAME, observer, act);
  event.event.code = `${h.gid}:${h.sid}:${h.rev}`;
  event.rule = { id: h.sid };
  const name = unquoteMsg(msg);
  if (name !== undefined) event.rule!.name = name;
  const cls = str(classification);
  if (cls !== undefined && cls !== '(null)') event.rule!.category = cls;
  if (priority !== undefined) event.event.severity = Number(priority);
  if (src) event.source = endpointField(src);
  if (dst) event.destination = endpointField(dst);
  if (transport !== undefined) event.network = { transport };
  return { ok: true, event: { at, event } };
}

export const fastLog: Decoder = {
  networkOnly: true,
  name: NAME,
  description: 'Snort / Suricata fast.log alert lines, also syslog-wrapped and Snort alert_syslog (network alerts keyed on SRC)',
  cues: [
    { label: 'is a text line', test: (r) => r.kind === 'text' },
    {
      label: 'starts (after any syslog header) with "MM/DD-hh:mm:ss.uuuuuu" and/or "[**]" before "[gid:sid:rev]"',
      test: (r) => {
        const t = textOf(r);
        return t !== undefined && head(splitSyslog(t.slice(0, 1024)).message) !== null;
      },
    },
    { label: 'has "[Priority: N]" or "[Classification: ...]"', test: (r) => (textOf(r)?.slice(0, MAX_FAST_LINE) ?? '').search(/\[(?:Priority|Classification):/) >= 0 },
  ] satisfies Cue[],
  accepts(record: RawRecord): boolean {
    return record.kind === 'text' && looksLikeFast(record.value);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
