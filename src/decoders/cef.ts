// ArcSight Common Event Format, as IDS/IPS, WAF and firewall products send it
// over syslog:
//   [syslog header] CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
// Header fields escape "\|" and "\\"; extension values escape "\=", "\\", "\n"
// and "\r", may contain spaces, and run until the next " key=". Time is `rt`,
// else `end`, else `start`, else the syslog header's. Which records are network
// alerts is decided by cefRole() below (documented in docs/formats.md).
import type { NormalizedEvent, Outcome, Role } from '../events/event.js';
import { canonicalIp } from '../events/ip.js';
import { checkZone, formatInstant, parseTime, withInferredYear } from '../events/time.js';
import type { Instant } from '../events/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { MAX_FIELD_CHARS, port, snippet, str } from './fields.js';
import { splitSyslog } from './syslog.js';
import { syslogTime, timeOptions } from './fast-log.js';

const NAME = 'cef';

/** Longest line read (vendors put URLs and payload excerpts in extensions). */
export const MAX_CEF_LINE = 64 * 1024;

export interface CefRecord {
  version: string;
  vendor?: string;
  product?: string;
  deviceVersion?: string;
  signatureId?: string;
  name?: string;
  /** The Severity header field as written ("" when empty). */
  severity: string;
  /** Extension pairs, values unescaped (the last of a repeated key wins). */
  extensions: Map<string, string>;
}

export type CefParse = { ok: true; cef: CefRecord } | { ok: false; message: string };

// "CEF:" may follow at most two plain tokens the syslog splitter left in front
// ("host app[12]: CEF:0|..."); never a key=value pair, a bracket or a pipe.
const PREFIX_RE = /^(?:[\w.-]{1,64}(?:\[\d{1,10}\])?:? ){0,2}$/;

/** Where the CEF record starts in a syslog payload ("CEF:" first, or "CEF:<digits>|" after a short prefix), or -1. */
export function cefStart(message: string): number {
  // A payload that starts with "CEF:" is CEF, garbled or not (decode says what is wrong).
  if (message.startsWith('CEF:')) return 0;
  // RFC 5424 allows a UTF-8 BOM in front of the message.
  if (message.startsWith('\uFEFFCEF:')) return 1;
  const i = message.indexOf('CEF:');
  if (i < 0 || i > 160) return -1;
  if (!PREFIX_RE.test(message.slice(0, i))) return -1;
  return /^CEF: ?\d{1,3}\|/.test(message.slice(i, i + 12)) ? i : -1;
}

/** Splits the header on unescaped pipes, unescaping "\|" and "\\"; returns the 7 fields and the extension text. */
function splitHeader(text: string): { fields: string[]; extension: string } | null {
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (text[i + 1] === '|' || text[i + 1] === '\\')) {
      cur += text[i + 1];
      i++;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
      if (fields.length === 7) return { fields, extension: text.slice(i + 1) };
    } else {
      cur += c;
    }
  }
  // Header-only records without the final pipe ("...|Name|5").
  if (fields.length === 6) {
    fields.push(cur);
    return { fields, extension: '' };
  }
  return null;
}

// An extension key: alphanumeric (vendors add "_", "." and "[n]"), right before an unescaped "=",
// at the start or after whitespace.
const KEY_RE = /(?<=^|\s)([A-Za-z0-9_][\w.[\]-]{0,99})=/g;

function unescapeValue(v: string): string {
  return v.replace(/\\([=\\nr|])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

function parseExtension(text: string): Map<string, string> | string {
  const out = new Map<string, string>();
  const keys: Array<{ key: string; start: number; valueStart: number }> = [];
  KEY_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = KEY_RE.exec(text)) !== null) {
    // Bounded by the line cap (MAX_CEF_LINE): at most a few thousand pairs.
    keys.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  const lead = keys.length > 0 ? text.slice(0, keys[0]!.start) : text;
  if (lead.trim() !== '') return `extension does not start with key=value: ${snippet(lead)}`;
  for (let k = 0; k < keys.length; k++) {
    const { key, valueStart } = keys[k]!;
    const end = k + 1 < keys.length ? keys[k + 1]!.start : text.length;
    out.set(key, unescapeValue(text.slice(valueStart, end).trim()));
  }
  return out;
}

/** Parses a CEF payload (starting at "CEF:"); pure, bounded, never throws on bad input. */
export function parseCef(payload: string): CefParse {
  if (!payload.startsWith('CEF:')) return { ok: false, message: 'no "CEF:" header' };
  const split = splitHeader(payload.slice(4));
  if (!split) return { ok: false, message: `truncated CEF header (fewer than 7 "|"-separated fields): ${snippet(payload)}` };
  const [version = '', vendor, product, deviceVersion, signatureId, name, severity = ''] = split.fields;
  if (!/^\d{1,3}$/.test(version.trim())) return { ok: false, message: `CEF version is not a number: ${snippet(version)}` };
  if (!cefSeverity(severity).ok) {
    return { ok: false, message: `CEF severity is not 0-10 or Unknown/Low/Medium/High/Very-High (an unescaped "|" in the header?): ${snippet(severity)}` };
  }
  const ext = parseExtension(split.extension);
  if (typeof ext === 'string') return { ok: false, message: ext };
  const cef: CefRecord = { version: version.trim(), severity: severity.trim(), extensions: ext };
  const set = (k: 'vendor' | 'product' | 'deviceVersion' | 'signatureId' | 'name', v: string | undefined): void => {
    const s = str(v);
    if (s !== undefined) cef[k] = s;
  };
  set('vendor', vendor);
  set('product', product);
  set('deviceVersion', deviceVersion);
  set('signatureId', signatureId);
  set('name', name);
  return { ok: true, cef };
}

const SEVERITY_WORDS: Record<string, number | null> = {
  unknown: null, low: 0, medium: 4, high: 7, 'very-high': 9, 'very high': 9, veryhigh: 9,
};

/**
 * CEF Severity on its own 0..10 scale: integers as written; the words take the
 * lower bound of their range (Low 0, Medium 4, High 7, Very-High 9, as Elastic's
 * decode_cef does); Unknown or empty is none. Anything else is not a severity
 * (typically an unescaped "|" in the Name shifted the header).
 */
export function cefSeverity(text: string): { ok: true; value?: number } | { ok: false } {
  const t = text.trim().toLowerCase();
  if (t === '') return { ok: true };
  if (/^\d{1,2}$/.test(t)) {
    const n = Number(t);
    return n <= 10 ? { ok: true, value: n } : { ok: false };
  }
  if (t in SEVERITY_WORDS) {
    const v = SEVERITY_WORDS[t];
    return v === null || v === undefined ? { ok: true } : { ok: true, value: v };
  }
  return { ok: false };
}

// --- time -------------------------------------------------------------------

const ZONE_ABBREVIATIONS: Record<string, string> = {
  UTC: '+00:00', UT: '+00:00', GMT: '+00:00', Z: '+00:00', WET: '+00:00', WEST: '+01:00', BST: '+01:00',
  CET: '+01:00', CEST: '+02:00', MET: '+01:00', MEST: '+02:00', EET: '+02:00', EEST: '+03:00', MSK: '+03:00',
  IST: '+05:30', SGT: '+08:00', HKT: '+08:00', AWST: '+08:00', JST: '+09:00', KST: '+09:00', ACST: '+09:30',
  ACDT: '+10:30', AEST: '+10:00', AEDT: '+11:00', NZST: '+12:00', NZDT: '+13:00',
  EST: '-05:00', EDT: '-04:00', CST: '-06:00', CDT: '-05:00', MST: '-07:00', MDT: '-06:00',
  PST: '-08:00', PDT: '-07:00', AKST: '-09:00', AKDT: '-08:00', HST: '-10:00',
};

/** A written zone: abbreviation, "+01:00" / "+0100" / "GMT+01:00", or an IANA name; null when unknown. */
function zoneOf(text: string): string | null {
  const t = text.trim();
  const abbr = ZONE_ABBREVIATIONS[t.toUpperCase()];
  if (abbr !== undefined) return abbr;
  const off = /^(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t);
  if (off) {
    const h = Number(off[2]);
    const mi = Number(off[3] ?? 0);
    if (h > 14 || mi > 59) return null;
    return `${off[1]}${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}`;
  }
  if (/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(t) && checkZone(t) === null) return t;
  return null;
}

const CEF_DATE_RE =
  /^([A-Za-z]{3})\s+(\d{1,2})\s+(?:(\d{4})\s+)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:\s+(\S{1,40}))?$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * CEF time values: epoch milliseconds, "MMM dd yyyy HH:mm:ss[.SSS] [zzz]", the same
 * without the year (inferred from the reference), and ISO 8601. A written zone
 * wins; otherwise the configured zone (else UTC).
 */
export function cefTime(value: string, ctx: DecodeContext): Instant | null {
  const t = value.trim();
  if (t.length === 0 || t.length > 64) return null;
  const m = CEF_DATE_RE.exec(t);
  if (!m) return parseTime(t, timeOptions(ctx));
  const [, monText, d, y, h, mi, s, frac, zoneText] = m;
  const mon = MONTHS.indexOf(monText!.toLowerCase()) + 1;
  if (mon === 0) return null;
  const opts = timeOptions(ctx);
  if (zoneText !== undefined) {
    const zone = zoneOf(zoneText);
    if (zone === null) return null;
    opts.zone = zone;
  }
  if (y === undefined) return withInferredYear(mon, Number(d), Number(h), Number(mi), Number(s), frac, opts);
  const iso = `${y}-${String(mon).padStart(2, '0')}-${d!.padStart(2, '0')}T${h!.padStart(2, '0')}:${mi}:${s}${frac ? `.${frac}` : ''}`;
  return parseTime(iso, opts);
}

// --- role -------------------------------------------------------------------

const THREAT_HINT =
  /intrusion|\bips\b|\bids\b|attack|threat|virus|malware|exploit|\bscan|botnet|reputation|anomal|spyware|vulnerab|\bc2\b|command.and.control|brute|\bwaf\b|signature|trojan|phish|ransom|\bworm\b|backdoor|injection|\bxss\b|\bdos\b|\bddos\b|suspicious|malicious|blacklist|blocklist/i;
const INFO_NAMES = new Set([
  'traffic', 'session', 'flow', 'netflow', 'connection', 'authentication', 'auth', 'login', 'logon', 'logout', 'logoff',
  'audit', 'system', 'config', 'configuration', 'health', 'heartbeat', 'status', 'statistics', 'log', 'web request',
  'http request', 'request', 'access', 'url access', 'accept', 'allow', 'allowed', 'permit', 'start', 'end',
]);
const INFO_PREFIX = /^(?:traffic|session|flow|netflow|connection)(?:$|[\s:/_.-])/i;
const INFO_CATEGORY =
  /^\/?(?:traffic|session|flow|netflow|connection|audit|authentication|system|config(?:uration)?|health|heartbeat|statistics|status|event:)(?:$|[\s:/_.-])/i;
const ALLOW_ACTIONS = new Set(['accept', 'accepted', 'allow', 'allowed', 'permit', 'permitted', 'pass', 'passed', 'success', 'ok']);

/**
 * Which CEF records are network alerts (DESIGN.md §1.4), in order:
 * 1. Name, Signature ID or cat naming a threat (intrusion, IPS/IDS, attack, scan,
 *    malware, exploit, reputation, botnet, brute force, ...) → network alert.
 * 2. Name or Signature ID that is a log class (TRAFFIC, traffic:forward, session,
 *    flow, Authentication, Audit, System, Web request, ...) or cat naming one
 *    (traffic, audit, authentication, system, event:...) → other.
 * 3. act says the traffic was allowed (accept, allow, permit, pass) and Severity is
 *    Low (0-3) or absent → other.
 * 4. Everything else (a signature with a severity, a block, a drop) → network alert.
 */
export function cefRole(cef: CefRecord, severity: number | undefined): { role: Role; why: string } {
  const cat = cef.extensions.get('cat') ?? cef.extensions.get('deviceEventCategory') ?? '';
  const name = cef.name ?? '';
  const sig = cef.signatureId ?? '';
  if (THREAT_HINT.test(name) || THREAT_HINT.test(cat) || THREAT_HINT.test(sig)) return { role: 'network_alert', why: 'threat' };
  const isInfo = (s: string): boolean => INFO_NAMES.has(s.trim().toLowerCase()) || INFO_PREFIX.test(s.trim());
  if (isInfo(name) || isInfo(sig) || INFO_CATEGORY.test(cat.trim())) return { role: 'other', why: 'log' };
  const act = (cef.extensions.get('act') ?? cef.extensions.get('deviceAction') ?? '').trim().toLowerCase();
  if (ALLOW_ACTIONS.has(act) && (severity === undefined || severity <= 3)) return { role: 'other', why: 'allowed' };
  return { role: 'network_alert', why: 'alert' };
}

// --- decoding ---------------------------------------------------------------

function ext(cef: CefRecord, keys: readonly string[], max = MAX_FIELD_CHARS): string | undefined {
  for (const k of keys) {
    const v = str(cef.extensions.get(k), max);
    if (v !== undefined) return v;
  }
  return undefined;
}

function extIp(cef: CefRecord, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const ip = canonicalIp(cef.extensions.get(k));
    if (ip !== null) return ip;
  }
  return undefined;
}

const TIME_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['rt', 'deviceReceiptTime'],
  ['end', 'endTime'],
  ['start', 'startTime'],
];

function outcomeOf(v: string | undefined): Outcome | undefined {
  const o = v?.toLowerCase();
  if (o === undefined) return undefined;
  if (o === 'success' || o === 'succeeded' || o === '/success') return 'success';
  if (o === 'failure' || o === 'failed' || o === '/failure') return 'failure';
  return undefined;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'text') return reject('unknown-format', 'cef reads text lines only');
  const line = record.value;
  if (line.length > MAX_CEF_LINE) return reject('record-too-large', `CEF line of ${line.length} characters (limit ${MAX_CEF_LINE})`);
  const sys = splitSyslog(line);
  const start = cefStart(sys.message);
  if (start < 0) return reject('invalid-field', `no "CEF:<version>|" header: ${snippet(sys.message)}`);
  const parsed = parseCef(sys.message.slice(start).replace(/^CEF: /, 'CEF:'));
  if (!parsed.ok) return reject('invalid-field', parsed.message);
  const cef = parsed.cef;
  const sev = cefSeverity(cef.severity);
  if (!sev.ok) return reject('invalid-field', `CEF severity is not valid: ${snippet(cef.severity)}`);

  let at: Instant | null = null;
  for (const [short, long] of TIME_KEYS) {
    const v = cef.extensions.get(short) ?? cef.extensions.get(long);
    if (v === undefined || v.trim() === '') continue;
    at = cefTime(v, ctx);
    if (!at) return reject('invalid-time', `${short} is not a time: ${snippet(v)}`);
    break;
  }
  if (!at && sys.timestamp !== undefined) {
    at = syslogTime(sys.timestamp, ctx);
    if (!at) return reject('invalid-time', `syslog header time is not a time: ${snippet(sys.timestamp)}`);
  }
  if (!at) return reject('missing-time', 'CEF record has no rt, end or start and no syslog header time');

  const { role, why } = cefRole(cef, sev.value);
  const alert = role === 'network_alert';
  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: alert ? 'alert' : 'event',
      dataset: 'cef.log',
      module: 'cef',
      category: alert ? ['network', 'intrusion_detection'] : ['network'],
    },
    crosswatch: { role, decoder: NAME, category: why },
  };
  if (sev.value !== undefined) event.event.severity = sev.value;
  if (cef.signatureId !== undefined) event.event.code = cef.signatureId.slice(0, 256);
  const id = ext(cef, ['externalId', 'eventId'], 256);
  if (id !== undefined) event.event.id = id;
  const act = ext(cef, ['act', 'deviceAction'], 64);
  if (act !== undefined) event.event.action = act;
  const outcome = outcomeOf(ext(cef, ['outcome', 'eventOutcome'], 32));
  if (outcome !== undefined) event.event.outcome = outcome;
  if (act !== undefined) {
    const a = act.toLowerCase();
    if (ALLOW_ACTIONS.has(a) || a === 'alert' || a === 'detected' || a === 'log') event.event.type = ['allowed'];
    else if (/^(block|blocked|deny|denied|drop|dropped|reject|rejected|reset|prevent|prevented|quarantine|clean)/.test(a)) event.event.type = ['denied'];
  }

  const rule: NonNullable<NormalizedEvent['rule']> = {};
  if (cef.name !== undefined) rule.name = cef.name;
  if (cef.signatureId !== undefined) rule.id = cef.signatureId.slice(0, 256);
  const cat = ext(cef, ['cat', 'deviceEventCategory']);
  if (cat !== undefined) rule.category = cat;
  if (Object.keys(rule).length > 0) event.rule = rule;

  const observer: NonNullable<NormalizedEvent['observer']> = {};
  if (cef.vendor !== undefined) observer.vendor = cef.vendor;
  if (cef.product !== undefined) observer.product = cef.product;
  const sensor = ext(cef, ['dvchost', 'deviceHostName']) ?? str(sys.host) ?? ext(cef, ['dvc', 'deviceAddress']);
  if (sensor !== undefined) observer.name = sensor;
  if (Object.keys(observer).length > 0) event.observer = observer;

  // src is the source (IPv4, or IPv6 in newer CEF); c6a2 is the spec's "Source IPv6 Address".
  // sourceTranslatedAddress (NAT) is never the attacker, so it is not a fallback.
  const src = extIp(cef, ['src', 'sourceAddress', 'c6a2', 'deviceCustomIPv6Address2']);
  const spt = port(cef.extensions.get('spt') ?? cef.extensions.get('sourcePort'));
  if (src !== undefined || spt !== undefined) {
    event.source = {};
    if (src !== undefined) event.source.ip = src;
    if (spt !== undefined) event.source.port = spt;
  }
  const dst = extIp(cef, ['dst', 'destinationAddress', 'c6a3', 'deviceCustomIPv6Address3']);
  const dpt = port(cef.extensions.get('dpt') ?? cef.extensions.get('destinationPort'));
  if (dst !== undefined || dpt !== undefined) {
    event.destination = {};
    if (dst !== undefined) event.destination.ip = dst;
    if (dpt !== undefined) event.destination.port = dpt;
  }

  const userName = ext(cef, ['suser', 'sourceUserName'], 256) ?? ext(cef, ['duser', 'destinationUserName'], 256);
  if (userName !== undefined) event.user = { name: userName };

  const proto = ext(cef, ['proto', 'transportProtocol'], 16)?.toLowerCase();
  const app = ext(cef, ['app', 'applicationProtocol'], 32)?.toLowerCase();
  const transport = proto !== undefined && /^[a-z0-9_-]+$/.test(proto) ? proto : undefined;
  if (transport !== undefined || app !== undefined) {
    event.network = {};
    if (transport !== undefined) event.network.transport = transport;
    if (app !== undefined) event.network.protocol = app;
  }
  return { ok: true, event: { at, event } };
}

function cefOffset(r: RawRecord): number {
  if (r.kind !== 'text') return -1;
  const head = r.value.length > 2048 ? r.value.slice(0, 2048) : r.value;
  return cefStart(splitSyslog(head).message);
}

export const cef: Decoder = {
  networkOnly: true,
  name: NAME,
  description: 'ArcSight CEF lines, bare or after a syslog header (threat records are network alerts; traffic/audit records are counted)',
  cues: [
    { label: 'is a text line', test: (r) => r.kind === 'text' },
    { label: 'payload (after any syslog header and up to two plain tokens) starts with "CEF:"', test: (r) => cefOffset(r) >= 0 },
  ] satisfies Cue[],
  accepts(record: RawRecord): boolean {
    return cefOffset(record) >= 0;
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
