// ArcSight Common Event Format, as IDS/IPS, WAF and firewall products send it
// over syslog:
//   [syslog header] CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
// Header fields escape "\|" and "\\"; extension values escape "\=", "\\", "\n"
// and "\r", may contain spaces, and run until the next " key=". Time is `rt`,
// else `end`, else `start`, else Fortinet's FTNTFGTeventtime / FTNTFGTdate +
// FTNTFGTtime, else the syslog header's. Which records are network alerts: PAN-OS
// and FortiGate CEF by their vendor's own list (common/panos.ts, common/fortinet.ts: status and
// audit logs such as GLOBALPROTECT or traffic are not alerts), every other vendor
// by cefRole() below (documented in docs/formats.md).
import type { NormalizedEvent, Outcome, Role } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant, parseTime, withInferredYear, writtenZone } from '../model/time.js';
import type { Instant } from '../model/time.js';
import type { AlertClasses, Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { MAX_FIELD_CHARS, port, setEndpoints, snippet, str } from './fields.js';
import { splitSyslog } from './syslog.js';
import { syslogTime, timeOptions } from './common/time.js';
import { PANOS_ALERT_CLASSES, PANOS_LOG_TYPES, PANOS_SEVERITY, PANOS_THREAT_SUBTYPES, isPanosAlert, panosCategory } from './common/panos.js';
import { FORTIGATE_ALERT_CLASSES, FORTIOS_TIME_FIELDS, fortigateCategory, fortigateKind, fortigateServerSide, fortigateTime, isFortigateAlert } from './common/fortinet.js';

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
  // PAN-OS CORRELATION entries write their severity word ($severity) in the header.
  informational: 0, critical: 9,
};

/**
 * CEF Severity on its own 0..10 scale: integers as written; the words take the
 * lower bound of their range (Low 0, Medium 4, High 7, Very-High 9, as Elastic's
 * decode_cef does; PAN-OS's Informational 0 and Critical 9); Unknown or empty is none. Anything else is not a severity
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

const CEF_DATE_RE =
  /^([A-Za-z]{3})\s+(\d{1,2})\s+(?:(\d{4})\s+)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:\s+(\S{1,40}))?$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * CEF time values, every form of the ArcSight spec's "Date formats": epoch
 * milliseconds; "MMM dd yyyy HH:mm:ss", "MMM dd yyyy HH:mm:ss.SSS", each with or
 * without a zone ("zzz": UTC, GMT, PST, CET, GMT+01:00, +0100, an IANA name); the
 * same without the year (inferred from the reference, as syslog stamps). Also ISO
 * 8601 and epoch seconds/µs/ns (by magnitude), which some vendors send. A written
 * zone wins; otherwise the configured zone (else UTC).
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
    const zone = writtenZone(zoneText);
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
  // VPN and identity status logs (a remote worker's VPN login is no attacker): other vendors' GlobalProtect-like records.
  'vpn', 'globalprotect', 'hipmatch', 'hip-match', 'hip match', 'userid', 'user-id', 'iptag', 'ip-tag', 'decryption', 'tunnel',
  'dhcp', 'dns', 'ntp',
]);
const INFO_PREFIX = /^(?:traffic|session|flow|netflow|connection|vpn)(?:$|[\s:/_.-])/i;
const INFO_CATEGORY =
  /^\/?(?:traffic|session|flow|netflow|connection|vpn|audit|authentication|system|config(?:uration)?|health|heartbeat|statistics|status|event:)(?:$|[\s:/_.-])/i;
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

/**
 * The kinds cefClass decides by: cefRole's ("threat" and "alert" are network
 * alerts, "log" and "allowed" are not), and PAN-OS's and FortiGate's own lists
 * for their records.
 */
const CEF_ALERT_CLASSES: AlertClasses = {
  alerts: ['threat', 'alert', ...PANOS_ALERT_CLASSES.alerts, ...FORTIGATE_ALERT_CLASSES.alerts],
  byRule: [...PANOS_ALERT_CLASSES.byRule, ...FORTIGATE_ALERT_CLASSES.byRule],
  notAlerts: ['log', 'allowed', ...PANOS_ALERT_CLASSES.notAlerts, ...FORTIGATE_ALERT_CLASSES.notAlerts],
  otherwise: 'not-alert',
};

// --- vendors with their own list ---------------------------------------------

/** How a record is classed: its role, crosswatch.category, and whether the threat side is `dst`. */
export interface CefClass {
  role: Role;
  category: string;
  serverSide: boolean;
}

/**
 * The PAN-OS log type and subtype of a Palo Alto Networks CEF record, or null. The
 * firewall's CEF templates write Signature ID = subtype (CONFIG: the result, HIP
 * match: the match type, some 9.x templates: the threat id) and Name = the log type;
 * Strata Logging Service (product "LF") writes them the other way round.
 */
export function panosCefKind(cef: CefRecord): { type: string; subtype: string } | null {
  if ((cef.vendor ?? '').trim().toLowerCase() !== 'palo alto networks') return null;
  const name = (cef.name ?? '').trim();
  const sig = (cef.signatureId ?? '').trim();
  // PAN-OS writes the type in capitals and subtypes in lower case ("SYSTEM|globalprotect"): a
  // capitalised type is taken first, so a subtype that is also a type's name is not mistaken for it.
  if (PANOS_LOG_TYPES.has(name)) return { type: name, subtype: sig.toLowerCase() };
  if (PANOS_LOG_TYPES.has(sig)) return { type: sig, subtype: name.toLowerCase() };
  if (PANOS_LOG_TYPES.has(name.toUpperCase())) return { type: name.toUpperCase(), subtype: sig.toLowerCase() };
  if (PANOS_LOG_TYPES.has(sig.toUpperCase())) return { type: sig.toUpperCase(), subtype: name.toLowerCase() };
  return null;
}

/** A labelled custom field (csN with csNLabel) when its label matches, or unlabelled. */
function labelled(cef: CefRecord, key: string, label: RegExp): string | undefined {
  const l = cef.extensions.get(`${key}Label`);
  return l === undefined || label.test(l) ? str(cef.extensions.get(key), 256) : undefined;
}

/**
 * PAN-OS's rule (isPanosAlert): THREAT entries of the attack and malware subtypes;
 * url / file / wildfire ones only when they name a threat; every other log type
 * (TRAFFIC, GLOBALPROTECT, HIPMATCH, USERID, IPTAG, SYSTEM, CONFIG, AUTHENTICATION,
 * DECRYPTION, CORRELATION, …) is a status or audit log. Severity: a written word
 * (PanOSSeverity, PanOSThreatSeverity, severity) as PAN-OS names it; else the header,
 * which the templates fill with $number-of-severity (1-5) or its CEF 0-10 form:
 * only 4 and up is "medium or above" on both.
 */
function panosCefClass(cef: CefRecord, type: string, subtype: string, headerSeverity: number | undefined): CefClass {
  if (type !== 'THREAT') return { role: 'other', category: panosCategory(type, subtype), serverSide: false };
  const sub = PANOS_THREAT_SUBTYPES.has(subtype) ? subtype : '';
  const word = ext(cef, ['PanOSSeverity', 'PanOSThreatSeverity', 'severity'], 32)?.toLowerCase();
  const severity = (word !== undefined ? PANOS_SEVERITY[word] : undefined) ??
    (headerSeverity === undefined ? undefined : headerSeverity >= 4 ? PANOS_SEVERITY['medium'] : PANOS_SEVERITY['low']);
  const action = ext(cef, ['act', 'deviceAction'], 64)?.toLowerCase();
  // The URL category: cs2 ("URL Category") in the firewall's templates, PanOSURLCategory in LF's.
  const categories = [labelled(cef, 'cs2', /url\s*category/i), ext(cef, ['PanOSURLCategory'], 256), ext(cef, ['cat'], 256)]
    .filter((c): c is string => c !== undefined).join(',');
  const alert = isPanosAlert(sub, severity, action, categories === '' ? undefined : categories);
  // As in the CSV decoder: for URL entries and server-to-client threats the threat side is the server.
  const direction = (labelled(cef, 'flexString2', /direction/i) ?? '').toLowerCase();
  const s2c = direction === 'server-to-client' || direction === '1' || ext(cef, ['PanOSIsServertoClient'], 8)?.toLowerCase() === 'true';
  return { role: alert ? 'network_alert' : 'other', category: panosCategory('THREAT', sub), serverSide: sub === 'url' || s2c };
}

/** A FortiOS field in CEF: FTNTFGT<key>, or FortinetFortiGate<key> (FortiOS 6.2 wrote that prefix). */
function fortiField(cef: CefRecord, key: string, max = 256): string | undefined {
  return ext(cef, [`FTNTFGT${key}`, `FortinetFortiGate${key}`], max);
}

const FORTI_KIND_RE = /^([a-z][a-z-]{1,19}):([a-z0-9-]{1,32})/i;

/** The FortiOS type and subtype of a FortiGate CEF record ("cat=utm:ips", else the Name "utm:ips signature"), or null. */
export function fortinetCefKind(cef: CefRecord): { type: string; subtype: string } | null {
  if ((cef.vendor ?? '').trim().toLowerCase() !== 'fortinet' || !/^forti(?:gate|os)/i.test((cef.product ?? '').trim())) return null;
  const m = FORTI_KIND_RE.exec(ext(cef, ['cat', 'deviceEventCategory'], 64) ?? '') ?? FORTI_KIND_RE.exec(cef.name ?? '');
  const type = (m?.[1] ?? fortiField(cef, 'type', 32) ?? '').toLowerCase();
  if (type === '') return null;
  return { type, subtype: (fortiField(cef, 'subtype', 32) ?? m?.[2] ?? '').toLowerCase() };
}

/** FortiGate's rule (isFortigateAlert), over the FTNTFGT… fields that carry its inputs. */
function fortinetCefClass(cef: CefRecord, type: string, subtype: string): CefClass {
  const kind = fortigateKind(type, subtype);
  const kv = new Map<string, string>();
  const action = ext(cef, ['act', 'deviceAction'], 64) ?? fortiField(cef, 'action', 64);
  if (action !== undefined) kv.set('action', action);
  for (const k of ['eventtype', 'catdesc', 'cat', 'appcat', 'apprisk']) {
    const v = fortiField(cef, k);
    if (v !== undefined) kv.set(k, v);
  }
  const alert = kind !== '' && isFortigateAlert(kind, kv);
  return {
    role: alert ? 'network_alert' : 'other',
    category: fortigateCategory(type, subtype, kind),
    serverSide: fortigateServerSide(kind, (fortiField(cef, 'direction', 32) ?? '').toLowerCase()),
  };
}

/** The class of a record: by the vendor's list for PAN-OS and FortiGate, else by cefRole. */
export function cefClass(cef: CefRecord, severity: number | undefined): CefClass {
  const pan = panosCefKind(cef);
  if (pan) return panosCefClass(cef, pan.type, pan.subtype, severity);
  const forti = fortinetCefKind(cef);
  if (forti) return fortinetCefClass(cef, forti.type, forti.subtype);
  const { role, why } = cefRole(cef, severity);
  return { role, category: why, serverSide: false };
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
/** Where decode() reads the time, in order: the CEF keys (short or full name), then FortiGate's own (before the syslog header's). */
const CEF_TIME_FIELDS: readonly string[] = [...TIME_KEYS.flat(), ...FORTIOS_TIME_FIELDS.map((f) => `FTNTFGT${f}`)];

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
  const fortiEventtime = fortiField(cef, 'eventtime');
  const fortiTime = fortinetCefKind(cef) !== null && ((fortiEventtime !== undefined && fortiEventtime !== '0') ||
    (fortiField(cef, 'date') !== undefined && fortiField(cef, 'time') !== undefined));
  if (!at && fortiTime) {
    // FortiGate CEF often has no rt: its own eventtime (epoch s/ms/µs/ns) or date + time in tz.
    const when = fortigateTime((k) => fortiField(cef, k, 64), ctx, 'FTNTFGT');
    if (!when.ok) return when.result;
    at = when.at;
  }
  if (!at && sys.timestamp !== undefined) {
    at = syslogTime(sys.timestamp, ctx);
    if (!at) return reject('invalid-time', `syslog header time is not a time: ${snippet(sys.timestamp)}`);
  }
  if (!at) return reject('missing-time', 'CEF record has no rt, end or start and no syslog header time');

  const { role, category, serverSide } = cefClass(cef, sev.value);
  const alert = role === 'network_alert';
  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: alert ? 'alert' : 'event',
      dataset: 'cef.log',
      module: 'cef',
      category: alert ? ['network', 'intrusion_detection'] : ['network'],
    },
    crosswatch: { role, decoder: NAME, category },
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
  const src = { ip: extIp(cef, ['src', 'sourceAddress', 'c6a2', 'deviceCustomIPv6Address2']) ?? null, port: port(cef.extensions.get('spt') ?? cef.extensions.get('sourcePort')) };
  const dst = { ip: extIp(cef, ['dst', 'destinationAddress', 'c6a3', 'deviceCustomIPv6Address3']) ?? null, port: port(cef.extensions.get('dpt') ?? cef.extensions.get('destinationPort')) };
  // source.ip is the threat side (the correlation key): the server for PAN-OS URL and
  // server-to-client threats and FortiGate web filter / incoming entries, as their syslog decoders do.
  if (serverSide) setEndpoints(event, dst, src);
  else setEndpoints(event, src, dst);

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
  roles: ['network_alert', 'other'],
  timeFields: CEF_TIME_FIELDS,
  alertClasses: CEF_ALERT_CLASSES,
  name: NAME,
  description: 'ArcSight CEF lines, bare or after a syslog header (threat records are network alerts; traffic, VPN and audit records, PAN-OS and FortiGate status logs are counted)',
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
