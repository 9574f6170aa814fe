// Fortinet FortiGate syslog in key=value form (`date=… time=… devname="…"
// devid="…" logid="0419016384" type="utm" subtype="ips" …`), bare, after a PRI
// ("<185>date=…") or after an RFC 3164 / RFC 5424 header. UTM detections (IPS,
// anomaly/DoS, antivirus, WAF, and web filter / application control entries that
// name a threat, see isFortigateAlert) are network alerts; traffic and event logs
// are decoded minimally as 'other' (category: the log type) so they are counted.
// FortiOS 5.x wrote the UTM log kind as the type itself (type="ips", type="virus",
// …): both forms are read. Lines forwarded by FortiAnalyzer or a syslog relay may
// lack devname/devid: a line is recognised by its logid and type. The same
// classification and time rules (common/fortinet.ts) serve Fortinet CEF (cef.ts).
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { port, str, setEndpoints } from './fields.js';
import { splitSyslog } from './syslog.js';
import { FORTIGATE_ALERT_CLASSES, FORTIOS_TIME_FIELDS, fortigateCategory, fortigateKind, fortigateServerSide, fortigateTime, isFortigateAlert } from './common/fortinet.js';

const NAME = 'fortigate';

/** Longest line decoded. */
const MAX_LINE = 65_536;
/** Most key=value pairs read (a FortiOS 7 traffic log has ~70). */
const MAX_PAIRS = 512;

const BLOCK_ACTIONS = new Set(['block', 'blocked', 'dropped', 'drop', 'deny', 'reset', 'reset-client', 'reset-server', 'clear_session', 'quarantine']);
const ALLOW_ACTIONS = new Set(['pass', 'passthrough', 'detected', 'monitored', 'accept', 'allow', 'allowed', 'close', 'timeout', 'server-rst', 'client-rst']);

const TRANSPORTS: Readonly<Record<string, string>> = {
  '1': 'icmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp', '58': 'ipv6-icmp', '132': 'sctp',
};

/** IPS / anomaly `severity` and the syslog-style `level`: 1 = most severe, as PAN-OS, Suricata and Snort number it. */
export const FORTIGATE_SEVERITY: Readonly<Record<string, number>> = {
  critical: 1, high: 2, medium: 3, low: 4, info: 5, information: 5, informational: 5,
};
const LEVEL_SEVERITY: Readonly<Record<string, number>> = {
  emergency: 1, alert: 1, critical: 1, error: 2, warning: 3, notice: 4, information: 5, debug: 5,
};

export type KvParse = { ok: true; pairs: Map<string, string> } | { ok: false; message: string };

/**
 * Parses FortiOS `key=value key="quoted value"` text. A quoted value may hold
 * spaces, `=` and backslash-escaped quotes (\"); the first occurrence of a key
 * wins (FortiOS repeats `tz` in some versions). A quote that never closes is a
 * truncated line.
 */
export function parseFortigateKv(text: string): KvParse {
  const pairs = new Map<string, string>();
  const n = text.length;
  let i = 0;
  let count = 0;
  while (i < n && count < MAX_PAIRS) {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    const sp = text.indexOf(' ', i);
    if (eq < 0 || (sp >= 0 && sp < eq)) {
      // A bare word (no "="): skip it, as the peer does.
      i = sp < 0 ? n : sp + 1;
      continue;
    }
    const key = text.slice(i, eq);
    i = eq + 1;
    let v: string;
    if (text[i] === '"') {
      let out = '';
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const c = text[j]!;
        if (c === '\\' && j + 1 < n && (text[j + 1] === '"' || text[j + 1] === '\\')) {
          out += text[j + 1];
          j += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          break;
        }
        out += c;
        j++;
      }
      if (!closed) return { ok: false, message: `unbalanced quote in the value of "${key.slice(0, 40)}"` };
      v = out;
      i = j + 1;
    } else {
      const end = text.indexOf(' ', i);
      v = end < 0 ? text.slice(i) : text.slice(i, end);
      i = end < 0 ? n : end;
    }
    count++;
    if (/^[\w.-]{1,64}$/.test(key) && !pairs.has(key)) pairs.set(key, v);
  }
  return { ok: true, pairs };
}

// Recognition: a FortiOS log id (10 digits), a type, and one more FortiOS key (a
// device name or id, a subtype, or a time): relays and FortiAnalyzer forwarding
// may drop devname/devid, and a line without any time is still FortiGate's (it is
// then rejected as missing-time, not as an unknown format).
const START_RE = /^[a-z_]{2,20}=/;
const LOGID_RE = /(?:^| )logid="?\d{10}"?(?: |$)/;
const TYPE_RE = /(?:^| )type="?[a-z-]{2,20}"?(?: |$)/;
const MORE_RE = /(?:^| )(?:devid|devname|subtype|eventtime|date)=/;

function payloadOf(line: string): string {
  return START_RE.test(line) ? line : splitSyslog(line).message;
}

function looksLikeFortigate(head: string): boolean {
  const p = payloadOf(head);
  return START_RE.test(p) && LOGID_RE.test(p) && TYPE_RE.test(p) && MORE_RE.test(p);
}

function nonEmpty(v: string | undefined, max?: number): string | undefined {
  const s = str(v, max);
  return s === undefined || s.toLowerCase() === 'n/a' ? undefined : s;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'text') return reject('unknown-format', 'fortigate reads text lines only');
  const line = record.value;
  if (line.length > MAX_LINE) return reject('record-too-large', `FortiGate line of ${line.length} characters (limit ${MAX_LINE})`);
  const header = START_RE.test(line) ? undefined : splitSyslog(line);
  const payload = header ? header.message : line;
  const parsed = parseFortigateKv(payload);
  if (!parsed.ok) return reject('invalid-field', `FortiGate: ${parsed.message}`);
  const kv = parsed.pairs;
  const type = (nonEmpty(kv.get('type'), 32) ?? '').toLowerCase();
  if (type === '') return reject('invalid-field', 'FortiGate line without a type field');
  const subtype = (nonEmpty(kv.get('subtype'), 32) ?? '').toLowerCase();
  const kind = fortigateKind(type, subtype);

  const when = fortigateTime((k) => kv.get(k), ctx);
  if (!when.ok) return when.result;
  const at = when.at;

  const alert = kind !== '' && isFortigateAlert(kind, kv);
  const action = nonEmpty(kv.get('action'), 64)?.toLowerCase();
  const eventtype = nonEmpty(kv.get('eventtype'), 64);

  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: alert ? 'alert' : 'event',
      dataset: 'fortinet_fortigate.log',
      module: 'fortinet_fortigate',
      category: alert ? (kind === 'virus' ? ['network', 'malware'] : ['network', 'intrusion_detection']) : ['network'],
    },
    crosswatch: { role: alert ? 'network_alert' : 'other', decoder: NAME, category: fortigateCategory(type, subtype, kind) },
  };
  // The peer's event.action is the event type (signature, infected, ftgd_blk, …); traffic logs have none: the action.
  const act = eventtype ?? action;
  if (act !== undefined) event.event.action = act;
  if (kind !== '' && action !== undefined) event.event.outcome = 'success';
  const types: string[] = [];
  if (action !== undefined) {
    if (BLOCK_ACTIONS.has(action)) types.push('denied');
    else if (ALLOW_ACTIONS.has(action)) types.push('allowed');
  }
  if (type === 'traffic') types.push('connection');
  if (types.length > 0) event.event.type = types;
  const logid = nonEmpty(kv.get('logid'), 16);
  if (logid !== undefined) event.event.code = logid;

  const sevWord = (nonEmpty(kv.get('severity'), 32) ?? nonEmpty(kv.get('crlevel'), 32))?.toLowerCase();
  const levelWord = nonEmpty(kv.get('level'), 32)?.toLowerCase();
  const severity = (sevWord !== undefined ? FORTIGATE_SEVERITY[sevWord] : undefined) ?? (levelWord !== undefined ? LEVEL_SEVERITY[levelWord] : undefined);
  if (kind !== '' && severity !== undefined) event.event.severity = severity;

  const observer: NonNullable<NormalizedEvent['observer']> = { vendor: 'Fortinet', product: 'FortiGate', type: 'firewall' };
  const device = nonEmpty(kv.get('devname'), 255) ?? str(header?.host, 255);
  if (device !== undefined) observer.name = device;
  event.observer = observer;

  // The threat side goes in source.ip (the correlation key). srcip is the session's
  // originator; direction="incoming" marks traffic from the server back to it (a
  // malicious download, a client-side exploit): then the server is the threat.
  // For web filter and application control the threat is the site/server reached.
  const src = canonicalIp(nonEmpty(kv.get('srcip'), 256));
  const dst = canonicalIp(nonEmpty(kv.get('dstip'), 256));
  const sport = port(kv.get('srcport'));
  const dport = port(kv.get('dstport'));
  const serverSide = fortigateServerSide(kind, (kv.get('direction') ?? '').toLowerCase());
  const a = serverSide ? { ip: dst, port: dport } : { ip: src, port: sport };
  const b = serverSide ? { ip: src, port: sport } : { ip: dst, port: dport };
  setEndpoints(event, a, b);
  const transport = TRANSPORTS[kv.get('proto') ?? ''];
  const service = nonEmpty(kv.get('service'), 64)?.toLowerCase();
  if (transport !== undefined || service !== undefined) {
    event.network = {};
    if (transport !== undefined) event.network.transport = transport;
    if (service !== undefined) event.network.protocol = service;
  }

  if (kind !== '') {
    const rule: NonNullable<NormalizedEvent['rule']> = {};
    let name: string | undefined;
    let id: string | undefined;
    let category: string | undefined;
    if (kind === 'ips' || kind === 'anomaly' || kind === 'virtual-patch') {
      name = nonEmpty(kv.get('attack'));
      id = nonEmpty(kv.get('attackid'), 32);
    } else if (kind === 'virus') {
      name = nonEmpty(kv.get('virus'));
      id = nonEmpty(kv.get('virusid'), 32);
      category = nonEmpty(kv.get('dtype'), 64);
    } else if (kind === 'webfilter') {
      name = nonEmpty(kv.get('catdesc'));
      id = nonEmpty(kv.get('cat'), 32);
      category = nonEmpty(kv.get('catdesc'), 128);
    } else if (kind === 'app-ctrl') {
      name = nonEmpty(kv.get('app'));
      id = nonEmpty(kv.get('appid'), 32);
      category = nonEmpty(kv.get('appcat'), 128);
    }
    name ??= nonEmpty(kv.get('msg'));
    id ??= logid;
    if (name !== undefined) rule.name = name;
    if (id !== undefined) rule.id = id;
    if (category !== undefined) rule.category = category;
    if (Object.keys(rule).length > 0) event.rule = rule;
  }
  return { ok: true, event: { at, event } };
}

function textStart(r: RawRecord): string | null {
  return r.kind === 'text' ? r.value.slice(0, 4096) : null;
}

const cues: readonly Cue[] = [
  { label: 'is a text line', test: (r) => r.kind === 'text' },
  {
    label: 'payload (after any syslog header) starts with key=value',
    test: (r) => {
      const t = textStart(r);
      return t !== null && START_RE.test(payloadOf(t));
    },
  },
  { label: 'has logid="<10 digits>"', test: (r) => { const t = textStart(r); return t !== null && LOGID_RE.test(payloadOf(t)); } },
  { label: 'has type=', test: (r) => { const t = textStart(r); return t !== null && TYPE_RE.test(payloadOf(t)); } },
  {
    label: 'has devid=, devname=, subtype=, eventtime= or date=',
    test: (r) => { const t = textStart(r); return t !== null && MORE_RE.test(payloadOf(t)); },
  },
];

export const fortigate: Decoder = {
  roles: ['network_alert', 'other'],
  timeFields: FORTIOS_TIME_FIELDS,
  alertClasses: FORTIGATE_ALERT_CLASSES,
  name: NAME,
  description: 'Fortinet FortiGate key=value syslog (IPS, anomaly, antivirus, WAF and threat web-filter/app-control entries are network alerts; traffic and event logs are counted)',
  cues,
  accepts(record: RawRecord): boolean {
    const t = textStart(record);
    return t !== null && looksLikeFortigate(t);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
