// Palo Alto Networks PAN-OS syslog in the default CSV format ("1,2024/05/01
// 12:00:00,SERIAL,THREAT,vulnerability,…"), bare or after an RFC 3164 / RFC 5424
// header. THREAT entries of the threat subtypes are network alerts; URL-filtering
// and file/WildFire entries only when they say something about a threat (see
// isPanosAlert); TRAFFIC, SYSTEM, CONFIG, GLOBALPROTECT, HIPMATCH, USERID, IPTAG,
// AUTHENTICATION, DECRYPTION, CORRELATION and the other log types are status and
// audit logs, decoded minimally as 'other' (category: the log type) so they are
// counted. The same classification (common/panos.ts) serves PAN-OS CEF (cef.ts). Field positions follow the PAN-OS "Threat Log
// Fields" / "Traffic Log Fields" syslog field descriptions (PAN-OS 8.x to 11.x
// share the first 70 positions; later versions only append).
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant, parseTime } from '../model/time.js';
import type { Instant } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { port, snippet, str, setEndpoints } from './fields.js';
import { splitSyslog } from './syslog.js';
import { PANOS_ALERT_CLASSES, PANOS_BLOCK_ACTIONS, PANOS_LOG_TYPES, PANOS_SEVERITY, isPanosAlert, panosCategory } from './common/panos.js';

const NAME = 'panos-threat';

/** Longest line decoded (a THREAT entry with long URLs and HTTP headers stays well below). */
const MAX_LINE = 65_536;
/** Most CSV fields read (PAN-OS 11 THREAT has ~120). */
const MAX_FIELDS = 512;

// Positions in the CSV payload.
const F = {
  receiveTime: 1,
  serial: 2,
  type: 3,
  subtype: 4,
  generatedTime: 6,
  src: 7,
  dst: 8,
  rule: 11,
  app: 14,
  sessionId: 22,
  sport: 24,
  dport: 25,
  proto: 29,
  action: 30,
  misc: 31,
  threatId: 32,
  category: 33,
  severity: 34,
  direction: 35,
  seqno: 36,
  deviceName: 59,
  threatCategory: 69,
} as const;

/** Types whose positions 7..30 are the session fields (addresses, ports, protocol, action). */
const SESSION_TYPES = new Set(['TRAFFIC', 'THREAT', 'DECRYPTION', 'GTP', 'SCTP', 'START', 'END', 'TUNNEL']);

// "FUTURE_USE,receive time,serial,TYPE," — the receive time as PAN-OS writes it, or ISO 8601.
const HEAD_RE =
  /^[^,"\s]{0,32},(?:\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[^,]{0,40}),[^,"]{0,64},([A-Z][A-Z-]{1,19}),/;

const ALLOW_ACTIONS = new Set(['alert', 'allow', 'continue']);

/** event.action per THREAT subtype (the peer's names) and per TRAFFIC subtype. */
const THREAT_ACTIONS: Readonly<Record<string, string>> = {
  data: 'data_match', file: 'file_match', flood: 'flood_detected', packet: 'packet_attack', scan: 'scan_detected',
  spyware: 'spyware_detected', url: 'url_filtering', virus: 'virus_detected', vulnerability: 'exploit_detected',
  wildfire: 'wildfire_verdict', 'wildfire-virus': 'wildfire_virus_detected', 'ml-virus': 'ml_virus_detected',
};
const TRAFFIC_ACTIONS: Readonly<Record<string, [string, string[]]>> = {
  start: ['flow_started', ['start', 'connection']],
  end: ['flow_terminated', ['end', 'connection']],
  drop: ['flow_dropped', ['denied', 'connection']],
  deny: ['flow_denied', ['denied', 'connection']],
};

/** Words PAN-OS writes where a field has no value. */
const NO_VALUE = new Set(['', 'n/a', 'any', 'not-resolved', 'unknown', 'none']);

export type CsvSplit = { ok: true; fields: string[] } | { ok: false; message: string };

/**
 * Splits one PAN-OS CSV payload. Fields holding commas are double-quoted with
 * inner quotes doubled; an opening quote that never closes is a truncated line.
 */
export function splitPanosCsv(text: string): CsvSplit {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (fields.length >= MAX_FIELDS) return { ok: true, fields };
    if (text[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return { ok: false, message: `unbalanced quote in CSV field ${fields.length}` };
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i >= n) return { ok: true, fields };
      if (text[i] !== ',') return { ok: false, message: `unexpected text after the quoted CSV field ${fields.length - 1}` };
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return { ok: true, fields };
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** The CSV payload of a line (after any syslog header), when it looks like PAN-OS; else null. */
function payloadOf(line: string): string | null {
  if (HEAD_RE.test(line)) return line;
  const h = splitSyslog(line);
  if (HEAD_RE.test(h.message)) return h.message;
  // "Mmm dd hh:mm:ss 1,2024/…" with no host: splitSyslog took the first CSV field for a host.
  if (h.host !== undefined && h.host.includes(',')) {
    const joined = `${h.host} ${h.message}`;
    if (HEAD_RE.test(joined)) return joined;
  }
  return null;
}

function logType(line: string): string | null {
  const payload = payloadOf(line);
  if (payload === null) return null;
  const m = HEAD_RE.exec(payload);
  return m && PANOS_LOG_TYPES.has(m[1]!) ? m[1]! : null;
}

/** A PAN-OS device time ("2018/11/30 16:44:36" or ISO 8601); zone-less means the configured zone, else UTC. */
function deviceTime(value: string, ctx: DecodeContext): Instant | null {
  const text = /^\d{4}\/\d{2}\/\d{2} /.test(value) ? value.replace(/\//g, '-') : value;
  return parseTime(text, { zone: ctx.zone, defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference });
}

function value(fields: readonly string[], i: number, max?: number): string | undefined {
  const v = str(fields[i], max);
  return v === undefined || NO_VALUE.has(v.toLowerCase()) ? undefined : v;
}

/** "Name(12345)" → name and id; "(9999)" is URL filtering. */
function splitThreatId(text: string | undefined): { name?: string; id?: string } {
  if (text === undefined) return {};
  const m = /^([\s\S]*?)\s*\(\s*(\d{1,20})\s*\)$/.exec(text);
  if (!m) return { name: text };
  const name = m[1]!.trim();
  const id = m[2]!;
  if (name !== '') return { name, id };
  return id === '9999' ? { name: 'URL-filtering', id } : { id };
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'text') return reject('unknown-format', 'panos-threat reads text lines only');
  const line = record.value;
  if (line.length > MAX_LINE) return reject('record-too-large', `PAN-OS line of ${line.length} characters (limit ${MAX_LINE})`);
  const header = splitSyslog(line);
  const payload = payloadOf(line);
  if (payload === null) return reject('unknown-format', 'not a PAN-OS CSV log line');
  const split = splitPanosCsv(payload);
  if (!split.ok) return reject('invalid-field', `PAN-OS: ${split.message}`);
  const f = split.fields;
  const type = f[F.type] ?? '';
  const need = type === 'THREAT' ? F.direction + 1 : SESSION_TYPES.has(type) ? F.action + 1 : F.generatedTime + 1;
  if (f.length < need) {
    return reject('invalid-field', `PAN-OS ${type} line has ${f.length} fields, expected at least ${need} (truncated?)`);
  }

  // Time: generated time (when the data plane saw it); the receive time only when that is empty.
  const timeField = present(f[F.generatedTime]) ? F.generatedTime : present(f[F.receiveTime]) ? F.receiveTime : -1;
  if (timeField < 0) return reject('missing-time', 'PAN-OS line has neither a generated time nor a receive time');
  const timeText = f[timeField]!.trim();
  const at = deviceTime(timeText, ctx);
  if (!at) {
    const name = timeField === F.generatedTime ? 'generated time' : 'receive time';
    return reject('invalid-time', `PAN-OS ${name} is not a time: ${snippet(timeText)}`);
  }

  const subtype = (str(f[F.subtype], 32) ?? '').toLowerCase();
  const isThreat = type === 'THREAT';
  const action = str(f[F.action], 32)?.toLowerCase();
  const severityWord = isThreat ? str(f[F.severity], 32)?.toLowerCase() : undefined;
  const severity = severityWord !== undefined ? PANOS_SEVERITY[severityWord] : undefined;
  const urlCategory = isThreat ? value(f, F.category, 256) : undefined;
  const alert = isThreat && isPanosAlert(subtype, severity, action, urlCategory);

  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: alert ? 'alert' : 'event',
      dataset: 'panw.panos',
      module: 'panw',
    },
    crosswatch: { role: alert ? 'network_alert' : 'other', decoder: NAME, category: panosCategory(type, subtype) },
  };

  const observer: NonNullable<NormalizedEvent['observer']> = { vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' };
  const device = value(f, F.deviceName, 255) ?? str(header.host, 255);
  if (device !== undefined) observer.name = device;
  event.observer = observer;

  if (SESSION_TYPES.has(type)) {
    const types: string[] = [];
    if (action !== undefined) {
      if (ALLOW_ACTIONS.has(action)) types.push('allowed');
      else if (PANOS_BLOCK_ACTIONS.has(action)) types.push('denied');
      // The peer's rule: only alert / allow / continue let the traffic through.
      event.event.outcome = ALLOW_ACTIONS.has(action) ? 'success' : 'failure';
    }
    if (isThreat) {
      event.event.category = alert ? ['intrusion_detection', 'threat', 'network'] : ['network'];
      const act = THREAT_ACTIONS[subtype];
      if (act !== undefined) event.event.action = act;
    } else {
      event.event.category = ['network'];
      const t = type === 'TRAFFIC' ? TRAFFIC_ACTIONS[subtype] : undefined;
      if (t) {
        event.event.action = t[0];
        for (const x of t[1]) if (!types.includes(x)) types.push(x);
      }
    }
    if (types.length > 0) event.event.type = types;

    // The threat side goes in source.ip (the correlation key): the server for URL
    // filtering (the site the user was sent to) and for server-to-client threats
    // (a malicious download or response); otherwise the client that sent it.
    const src = canonicalIp(f[F.src]);
    const dst = canonicalIp(f[F.dst]);
    const sport = port(f[F.sport]);
    const dport = port(f[F.dport]);
    const direction = isThreat ? str(f[F.direction], 32)?.toLowerCase() : undefined;
    const serverSide = isThreat && (subtype === 'url' || direction === 'server-to-client' || direction === '1');
    const a = serverSide ? { ip: dst, port: dport } : { ip: src, port: sport };
    const b = serverSide ? { ip: src, port: sport } : { ip: dst, port: dport };
    setEndpoints(event, a, b);
    const transport = value(f, F.proto, 16)?.toLowerCase();
    if (transport !== undefined) event.network = { transport };
  }

  if (isThreat) {
    if (severity !== undefined) event.event.severity = severity;
    const threat = splitThreatId(str(f[F.threatId]));
    const rule: NonNullable<NormalizedEvent['rule']> = {};
    if (threat.name !== undefined) rule.name = threat.name;
    if (threat.id !== undefined) rule.id = threat.id;
    // URL entries: the URL category; others: the threat category (PAN-OS 9.1+), as position 33 is the session's URL category there.
    const category = subtype === 'url' ? urlCategory : value(f, F.threatCategory, 128);
    if (category !== undefined) rule.category = category;
    if (Object.keys(rule).length > 0) event.rule = rule;
    // A log entry is unique per device by its sequence number.
    const serial = value(f, F.serial, 64);
    const seqno = value(f, F.seqno, 32);
    if (serial !== undefined && seqno !== undefined && /^\d+$/.test(seqno)) event.event.id = `${serial}:${seqno}`;
  }
  return { ok: true, event: { at, event } };
}

function present(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '';
}

function textStart(r: RawRecord): string | null {
  return r.kind === 'text' ? r.value.slice(0, 2048) : null;
}

const cues: readonly Cue[] = [
  { label: 'is a text line', test: (r) => r.kind === 'text' },
  {
    label: 'payload (after any syslog header) starts "FUTURE_USE,YYYY/MM/DD hh:mm:ss,SERIAL,TYPE,"',
    test: (r) => {
      const t = textStart(r);
      return t !== null && payloadOf(t) !== null;
    },
  },
  {
    label: 'TYPE is a PAN-OS log type (THREAT, TRAFFIC, SYSTEM, CONFIG, …)',
    test: (r) => {
      const t = textStart(r);
      return t !== null && logType(t) !== null;
    },
  },
];

export const panosThreat: Decoder = {
  roles: ['network_alert', 'other'],
  timeFields: ['generated time', 'receive time'],
  alertClasses: PANOS_ALERT_CLASSES,
  name: NAME,
  description: 'Palo Alto Networks PAN-OS syslog CSV (THREAT entries are network alerts; TRAFFIC, SYSTEM, CONFIG, … are counted)',
  cues,
  accepts(record: RawRecord): boolean {
    const t = textStart(record);
    return t !== null && logType(t) !== null;
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
