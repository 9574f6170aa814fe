// Zeek logs other than notice.log — conn, dns, http, ssl, weird, files, x509, ssh,
// … — as JSON lines or as the TSV records src/inputs/framing.ts builds (string
// values, `_path` from the #path header). They are Zeek's protocol and connection
// records, not detections: read minimally and counted as role 'other' with the log
// name as crosswatch.category ("conn", "dns", …), never correlated. Before this
// decoder a folder holding conn.log next to notice.log reported every connection
// as an unknown format. notice.log / notice_alarm.log belong to zeek-notice, which
// comes first in the registry.
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant, parseTime } from '../model/time.js';
import type { AlertClasses, Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { field, isObject, port, present, snippet, str } from './fields.js';

const NAME = 'zeek-log';

/** The notice logs: zeek-notice's. */
const NOTICE_PATHS = new Set(['notice', 'notice_alarm']);

/**
 * Zeek JSON lines carry no `_path` unless the writer adds it: the log is told by
 * fields only it has (first match wins; every one also has `ts`).
 */
const SHAPES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['conn', ['conn_state', 'history', 'orig_bytes', 'missed_bytes', 'orig_ip_bytes']],
  ['dns', ['qtype_name', 'rcode_name', 'trans_id', 'rejected']],
  ['http', ['status_code', 'trans_depth', 'request_body_len', 'resp_mime_types']],
  ['ssl', ['cipher', 'ssl_history', 'server_name', 'established', 'resumed']],
  ['ssh', ['auth_success', 'auth_attempts', 'host_key', 'kex_alg']],
  ['smtp', ['mailfrom', 'rcptto', 'helo', 'last_reply']],
  ['dhcp', ['assigned_addr', 'msg_types', 'lease_time']],
  ['weird', ['addl', 'peer']],
  ['files', ['fuid', 'seen_bytes', 'mime_type', 'analyzers']],
];
/** files.log without a connection id (Zeek 5+ writes one, older versions tx_hosts/rx_hosts). */
const FILES_KEYS = ['seen_bytes', 'mime_type', 'analyzers', 'total_bytes', 'tx_hosts'];

/** Zeek's protocol and connection logs are never alerts, whatever their name (notices are zeek-notice's). */
const ZEEK_LOG_CLASSES: AlertClasses = {
  alerts: [],
  byRule: [],
  notAlerts: [...SHAPES.map(([kind]) => kind), 'x509', 'zeek'],
  otherwise: 'not-alert',
};

/** Has the flattened ("id.orig_h", as Zeek's JSON writer writes) or nested connection id. */
function hasConnId(o: Record<string, unknown>): boolean {
  return 'id.orig_h' in o || (isObject(o['id']) && 'orig_h' in o['id']);
}

/** The log's name: `_path` when written, else by shape; null when the record is no Zeek log (or a notice). */
export function zeekLogKind(o: Record<string, unknown>): string | null {
  // ECS documents and Suricata EVE have their own decoders; notices are zeek-notice's.
  if ('@timestamp' in o || 'event_type' in o || typeof o['note'] === 'string') return null;
  if (!('ts' in o)) return null;
  const path = o['_path'];
  if (path !== undefined) {
    if (typeof path !== 'string' || !/^[a-z0-9_.-]{1,64}$/i.test(path) || NOTICE_PATHS.has(path)) return null;
    return path;
  }
  // Without _path: a connection id plus a uid (conn, dns, http, ssl, weird, …), a
  // file id (files) or a certificate (x509); shapes then name the log.
  if (hasConnId(o) && typeof o['uid'] === 'string') {
    for (const [kind, keys] of SHAPES) if (keys.some((k) => k in o)) return kind;
    return 'zeek';
  }
  if (typeof o['fuid'] === 'string' && FILES_KEYS.some((k) => k in o)) return 'files';
  if ('certificate.version' in o && 'certificate.serial' in o) return 'x509';
  return null;
}

function ipOf(o: Record<string, unknown>, path: string): string | null {
  return canonicalIp(field(o, path));
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'json') return reject('unknown-format', 'zeek-log reads JSON records only');
  const o = record.value;
  const kind = zeekLogKind(o);
  if (kind === null) return reject('unknown-format', 'not a Zeek log record');

  const ts = o['ts'];
  if (!present(ts)) return reject('missing-time', `zeek ${kind} record has no "ts"`);
  const at = parseTime(ts, { zone: ctx.zone, defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference });
  if (!at) return reject('invalid-time', `ts is not a time: ${snippet(ts)}`);

  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: { kind: 'event', dataset: `zeek.${kind}`, module: 'zeek', category: ['network'] },
    observer: { vendor: 'Zeek', product: 'Zeek', type: 'ids' },
    crosswatch: { role: 'other', decoder: NAME, category: kind },
  };
  const uid = str(o['uid'], 128) ?? str(o['fuid'], 128);
  if (uid !== undefined) event.event.id = uid;
  const src = ipOf(o, 'id.orig_h');
  const dst = ipOf(o, 'id.resp_h');
  const sport = port(field(o, 'id.orig_p'));
  const dport = port(field(o, 'id.resp_p'));
  if (src !== null || sport !== undefined) {
    event.source = {};
    if (src !== null) event.source.ip = src;
    if (sport !== undefined) event.source.port = sport;
  }
  if (dst !== null || dport !== undefined) {
    event.destination = {};
    if (dst !== null) event.destination.ip = dst;
    if (dport !== undefined) event.destination.port = dport;
  }
  const proto = str(o['proto'], 16)?.toLowerCase();
  if (proto !== undefined && /^[a-z0-9_-]+$/.test(proto)) event.network = { transport: proto };
  return { ok: true, event: { at, event } };
}

const isJson = (r: RawRecord): r is Extract<RawRecord, { kind: 'json' }> => r.kind === 'json' && isObject(r.value);

export const zeekLog: Decoder = {
  roles: ['other'],
  timeFields: ['ts'],
  alertClasses: ZEEK_LOG_CLASSES,
  name: NAME,
  description: 'Zeek logs other than notice.log (conn, dns, http, ssl, weird, files, …), JSON or TSV: read and counted by log name, never network alerts',
  cues: [
    { label: 'is a JSON object', test: (r) => isJson(r) },
    { label: 'has "ts"', test: (r) => isJson(r) && 'ts' in r.value },
    {
      label: 'has a Zeek _path other than notice, or a connection id (id.orig_h) with a uid, or a file id (fuid)',
      test: (r) => isJson(r) && zeekLogKind(r.value) !== null,
    },
    { label: 'has no "note" (notices are zeek-notice\'s)', test: (r) => isJson(r) && typeof r.value['note'] !== 'string' },
  ] satisfies Cue[],
  accepts(record: RawRecord): boolean {
    return isJson(record) && zeekLogKind(record.value) !== null;
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
