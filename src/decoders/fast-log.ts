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
import type { Instant } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject, textOf } from './types.js';
import { MAX_FIELD_CHARS, snippet, str } from './fields.js';
import { splitSyslog } from './syslog.js';
import { snortTime, syslogTime } from './common/time.js';
import { actionOf, endpoint, endpointField, idsAlertEvent, unquoteMsg } from './common/ids-alert.js';

const NAME = 'fast-log';

/** Longest line read; a real fast.log line is a few hundred characters. */
export const MAX_FAST_LINE = 16 * 1024;

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
  roles: ['network_alert'],
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
