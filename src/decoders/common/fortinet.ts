// What FortiOS says about its own logs, for both decoders that read them: the
// key=value syslog (fortigate.ts) and Fortinet CEF, whose FTNTFGT… extensions
// carry the same fields (cef.ts). UTM kinds, which entries are network alerts
// (isFortigateAlert), which side is the threat, the event time, and the table of
// kinds that docs/formats.md and the tests read (FORTIGATE_ALERT_CLASSES).
import { parseTime, writtenZone } from '../../model/time.js';
import type { Instant } from '../../model/time.js';
import type { AlertClasses, DecodeContext, DecodeResult } from '../types.js';
import { reject } from '../types.js';
import { snippet } from '../fields.js';

/** The legacy top-level UTM types (FortiOS 5.x) and the utm subtypes. */
const UTM_KINDS: ReadonlySet<string> = new Set([
  'ips', 'anomaly', 'virus', 'webfilter', 'app-ctrl', 'waf', 'dlp', 'emailfilter', 'dns', 'voip', 'ssh', 'ssl',
  'file-filter', 'icap', 'cifs', 'casb', 'virtual-patch', 'sctp-filter', 'forti-switch',
]);
/** UTM kinds whose every entry is a detection. */
const ALWAYS_ALERT: ReadonlySet<string> = new Set(['ips', 'anomaly', 'waf', 'virtual-patch']);
/** UTM kinds whose entries are detections when they name a threat (isFortigateAlert). */
const BY_RULE: ReadonlySet<string> = new Set(['virus', 'webfilter', 'app-ctrl']);
/** The log types that are no UTM kind (type="traffic", type="event"). */
const LOG_TYPES = ['traffic', 'event'];

/** Antivirus event types that are no detection: sandbox submission, size and scan limits. */
const VIRUS_NOT_DETECTIONS = new Set(['analytics', 'oversize', 'scanerror', 'switchproto', 'mimefragmented', 'exempt']);
/** FortiGuard web filter categories of the "Security Risk" group (by name and by id). */
const SECURITY_RISK_CATEGORIES = new Set([
  'malicious websites', 'phishing', 'spam urls', 'dynamic dns', 'newly observed domain', 'newly registered domain', 'crypto mining',
]);
const SECURITY_RISK_CATEGORY_IDS = new Set(['26', '61', '86', '88', '90', '91', '98']);

/** The FortiOS fields fortigateTime reads, in order of preference (`tz` zones date + time). */
export const FORTIOS_TIME_FIELDS = ['eventtime', 'date', 'time'] as const;

export type When = { ok: true; at: Instant } | { ok: false; result: DecodeResult };

/**
 * Event time from FortiOS fields, read through `get` (the key=value map, or the
 * FTNTFGT… extensions of Fortinet CEF; `prefix` names the fields in messages):
 * `eventtime` when present and not 0 — epoch seconds (FortiOS 6.0), milliseconds,
 * microseconds or nanoseconds (6.2+), told apart by magnitude; an epoch is
 * zone-free, so `tz` does not move it — else `date` + `time` in the `tz` zone
 * (-0500, +01:00, UTC+2:00, GMT-3, CEST, an IANA name), else in the configured
 * device zone, else UTC. Neither: missing-time (arrival time is never used).
 */
export function fortigateTime(get: (key: string) => string | undefined, ctx: DecodeContext, prefix = ''): When {
  const et = get('eventtime')?.trim();
  if (et !== undefined && et !== '' && et !== '0') {
    if (!/^\d{1,20}$/.test(et)) return { ok: false, result: reject('invalid-time', `${prefix}eventtime is not an epoch number: ${snippet(et)}`) };
    const at = parseTime(et);
    if (!at) return { ok: false, result: reject('invalid-time', `${prefix}eventtime is not a time: ${snippet(et)}`) };
    return { ok: true, at };
  }
  const date = get('date')?.trim();
  const time = get('time')?.trim();
  if (!date || !time) return { ok: false, result: reject('missing-time', `no ${prefix}eventtime and no ${prefix}date/${prefix}time fields`) };
  if (!/^\d{4}[-/]\d{2}[-/]\d{2}$/.test(date) || !/^\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/.test(time)) {
    return { ok: false, result: reject('invalid-time', `${prefix}date/${prefix}time is not a time: ${snippet(`${date} ${time}`)}`) };
  }
  const local = `${date.replace(/\//g, '-')} ${time}`;
  const tz = get('tz');
  let zone = ctx.zone;
  if (tz !== undefined && tz.trim() !== '') {
    const z = writtenZone(tz);
    if (z === null) return { ok: false, result: reject('invalid-time', `${prefix}tz is not a zone: ${snippet(tz)}`) };
    zone = z;
  }
  const at = parseTime(local, { zone, defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference });
  if (!at) return { ok: false, result: reject('invalid-time', `${prefix}date/${prefix}time is not a time: ${snippet(local)}`) };
  return { ok: true, at };
}

/** The UTM kind of an entry: the subtype of type="utm", the legacy UTM type itself (FortiOS 5.x), else "". */
export function fortigateKind(type: string, subtype: string): string {
  return type === 'utm' ? subtype : UTM_KINDS.has(type) ? type : '';
}

/**
 * crosswatch.category: "type/subtype" for UTM entries (alerts or not: the subtype is
 * their kind, e.g. "utm/ips", "utm/dns"), else the log type alone ("traffic",
 * "event"), the kind the run summary counts.
 */
export function fortigateCategory(type: string, subtype: string, kind: string): string {
  return kind !== '' && subtype !== '' ? `${type}/${subtype}` : type;
}

/**
 * Whether the threat side is the session's responder (dstip): always for web filter
 * and application control (the site reached); for IPS, antivirus, WAF and virtual
 * patching when direction="incoming" (a malicious download, a client-side exploit).
 */
export function fortigateServerSide(kind: string, direction: string): boolean {
  return kind === 'webfilter' || kind === 'app-ctrl' ||
    ((kind === 'ips' || kind === 'virus' || kind === 'waf' || kind === 'virtual-patch') && direction === 'incoming');
}

/**
 * Which entries are network alerts, by UTM kind (the subtype of type="utm", or the
 * legacy type): IPS, anomaly (DoS policy), WAF and virtual patching always;
 * antivirus unless the event type is no detection (sandbox submission, oversize,
 * scan error); web filter when the FortiGuard category is a security risk
 * (malicious, phishing, spam, dynamic DNS, newly observed/registered domains,
 * crypto mining) or the request was blocked; application control when the
 * application is in the Botnet category or its risk is critical. Everything else
 * (traffic, event, DNS, DLP, email, SSL, …) is not.
 */
export function isFortigateAlert(kind: string, kv: ReadonlyMap<string, string>): boolean {
  if (ALWAYS_ALERT.has(kind)) return true;
  const action = kv.get('action')?.toLowerCase();
  switch (kind) {
    case 'virus':
      return !VIRUS_NOT_DETECTIONS.has((kv.get('eventtype') ?? '').toLowerCase());
    case 'webfilter': {
      const cat = (kv.get('catdesc') ?? '').toLowerCase();
      return SECURITY_RISK_CATEGORIES.has(cat) || SECURITY_RISK_CATEGORY_IDS.has(kv.get('cat') ?? '') || action === 'blocked' || action === 'block';
    }
    case 'app-ctrl':
      return (kv.get('appcat') ?? '').toLowerCase() === 'botnet' || (kv.get('apprisk') ?? '').toLowerCase() === 'critical';
    default:
      return false;
  }
}

/** A UTM kind as crosswatch.category names it: "utm/<kind>", and the FortiOS 5.x type "<kind>" (its category "<kind>/<subtype>"). */
const utmKinds = (kinds: Iterable<string>): string[] => [...kinds].flatMap((k) => [`utm/${k}`, k]);

/**
 * The kinds isFortigateAlert decides by: IPS, anomaly, WAF and virtual patching
 * always; antivirus, web filter and application control by the rule above; the
 * other UTM kinds, traffic and event logs (SSL VPN logins included) never.
 */
export const FORTIGATE_ALERT_CLASSES: AlertClasses = {
  alerts: utmKinds(ALWAYS_ALERT),
  byRule: utmKinds(BY_RULE),
  notAlerts: [...LOG_TYPES, ...utmKinds([...UTM_KINDS].filter((k) => !ALWAYS_ALERT.has(k) && !BY_RULE.has(k)))],
  otherwise: 'not-alert',
};
