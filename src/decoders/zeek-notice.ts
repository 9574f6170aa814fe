// Zeek notice.log (and notice_alarm.log): one JSON object per line as Zeek's
// JSON writer emits it (`ts` epoch seconds, or ISO 8601 with
// LogAscii::json_timestamps), or the TSV form that src/inputs/framing.ts turns
// into the same field names (string values, `_path: "notice"`). Every notice is a
// network alert keyed on `src` (else `id.orig_h`); a notice without an address
// (CaptureLoss::Too_Much_Loss) is still an alert, just one without source.ip.
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant, parseTime } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { field, isObject, port, present, snippet, str } from './fields.js';

const NAME = 'zeek-notice';

/** `_path` values of logs that carry notices. */
const NOTICE_PATHS = new Set(['notice', 'notice_alarm']);

/** Fields every notice.log record has some of, besides `note` and `ts`. */
const NOTICE_KEYS = ['msg', 'sub', 'src', 'dst', 'actions', 'peer_descr', 'peer_name', 'suppress_for', 'uid', 'id.orig_h', 'n', 'p', 'fuid', 'email_dest'];

function looksLikeNotice(o: Record<string, unknown>): boolean {
  if ('@timestamp' in o || 'event_type' in o) return false; // ECS documents, Suricata EVE
  if (typeof o['note'] !== 'string') return false;
  const path = o['_path'];
  if (path !== undefined) return typeof path === 'string' && NOTICE_PATHS.has(path);
  if (!('ts' in o)) return false;
  return NOTICE_KEYS.some((k) => k in o);
}

function ipField(o: Record<string, unknown>, paths: readonly string[]): string | undefined {
  for (const p of paths) {
    const ip = canonicalIp(field(o, p));
    if (ip !== null) return ip;
  }
  return undefined;
}

function portField(o: Record<string, unknown>, paths: readonly string[]): number | undefined {
  for (const p of paths) {
    // TSV-derived records write ports as strings; Zeek's JSON writes numbers.
    const v = port(field(o, p));
    if (v !== undefined) return v;
  }
  return undefined;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'json') return reject('unknown-format', 'zeek-notice reads JSON records only');
  const o = record.value;

  const ts = o['ts'];
  if (!present(ts)) return reject('missing-time', 'zeek notice has no "ts"');
  const at = parseTime(ts, { zone: ctx.zone, defaultOffsetMinutes: ctx.defaultOffsetMinutes, reference: ctx.reference });
  if (!at) return reject('invalid-time', `ts is not a time: ${snippet(ts)}`);

  const note = str(o['note']);
  if (note === undefined) return reject('invalid-field', `note is not a notice type: ${snippet(o['note'])}`);

  const dropped = o['dropped'];
  const droppedFlag = dropped === true || dropped === 'T' || dropped === 'true' ? true
    : dropped === false || dropped === 'F' || dropped === 'false' ? false : undefined;

  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: 'alert',
      dataset: 'zeek.notice',
      module: 'zeek',
      category: ['intrusion_detection'],
      type: droppedFlag === undefined ? ['info'] : ['info', droppedFlag ? 'denied' : 'allowed'],
    },
    rule: { name: note },
    observer: { vendor: 'Zeek', product: 'Zeek', type: 'ids' },
    crosswatch: { role: 'network_alert', decoder: NAME, category: 'notice' },
  };

  const uid = str(o['uid'], 128);
  if (uid !== undefined) event.event.id = uid;
  // "Scan::Port_Scan": the module part names the notice's family.
  const sep = note.indexOf('::');
  if (sep > 0) event.rule!.category = note.slice(0, sep);

  const sensor = str(o['peer_descr'], 256) ?? str(o['peer_name'], 256);
  if (sensor !== undefined) event.observer!.name = sensor;

  const src = ipField(o, ['src', 'id.orig_h']);
  const sport = portField(o, ['id.orig_p']);
  if (src !== undefined || sport !== undefined) {
    event.source = {};
    if (src !== undefined) event.source.ip = src;
    if (sport !== undefined) event.source.port = sport;
  }
  const dst = ipField(o, ['dst', 'id.resp_h']);
  const dport = portField(o, ['p', 'id.resp_p']);
  if (dst !== undefined || dport !== undefined) {
    event.destination = {};
    if (dst !== undefined) event.destination.ip = dst;
    if (dport !== undefined) event.destination.port = dport;
  }

  const proto = str(o['proto'], 16)?.toLowerCase();
  if (proto !== undefined && /^[a-z0-9_-]+$/.test(proto)) event.network = { transport: proto };

  return { ok: true, event: { at, event } };
}

const isJson = (r: RawRecord): r is Extract<RawRecord, { kind: 'json' }> => r.kind === 'json' && isObject(r.value);

export const zeekNotice: Decoder = {
  roles: ['network_alert'],
  alertMarkers: ['"note"'],
  timeFields: ['ts'],
  name: NAME,
  description: 'Zeek notice.log / notice_alarm.log, JSON or TSV (every notice is a network alert keyed on src / id.orig_h)',
  cues: [
    { label: 'is a JSON object', test: (r) => isJson(r) },
    { label: 'has "note" (text)', test: (r) => isJson(r) && typeof r.value['note'] === 'string' },
    { label: 'has "ts" or _path "notice"', test: (r) => isJson(r) && ('ts' in r.value || r.value['_path'] === 'notice') },
    { label: 'has notice fields (msg, src, actions, peer_descr, uid, id.orig_h, ...)', test: (r) => isJson(r) && NOTICE_KEYS.some((k) => k in r.value) },
    { label: 'has no "@timestamp" or "event_type" (not ECS, not EVE)', test: (r) => isJson(r) && !('@timestamp' in r.value) && !('event_type' in r.value) },
  ] satisfies Cue[],
  accepts(record: RawRecord): boolean {
    return isJson(record) && looksLikeNotice(record.value);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
