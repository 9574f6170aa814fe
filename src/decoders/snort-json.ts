// Snort 3 alert_json (one object per line). The fields are configurable; the
// default set is "timestamp pkt_num proto pkt_gen pkt_len dir src_ap dst_ap rule
// action", and msg, class, priority, gid/sid/rev, src_addr/src_port, seconds ...
// are optional. `timestamp` is Snort's "MM/DD-hh:mm:ss.uuuuuu", with -y
// "YY/MM/DD-..." (Snort 3 puts the year first), in the sensor's local time (UTC
// with `-U`); `seconds` is the epoch second, the truth when present. Every record
// is an IDS event: a network alert keyed on src_addr (else the address of src_ap).
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant, parseEpoch } from '../model/time.js';
import type { Instant } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { isObject, num, port, present, snippet, str } from './fields.js';
import { preferSeconds, snortTime } from './common/time.js';
import { unquoteMsg } from './common/ids-alert.js';

const NAME = 'snort-json';

const RULE_RE = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/;
/** Keys that only Snort's alert_json writes (together with a rule reference). */
const SNORT_KEYS = ['pkt_num', 'pkt_gen', 'pkt_len', 'src_ap', 'dst_ap', 'dir', 'b64_data', 'eth_src', 'iface'];

function hasRuleRef(o: Record<string, unknown>): boolean {
  const rule = o['rule'];
  if (typeof rule === 'string' && RULE_RE.test(rule.trim())) return true;
  return 'sid' in o && 'gid' in o;
}

function looksLikeSnort(o: Record<string, unknown>): boolean {
  if ('@timestamp' in o || 'event_type' in o) return false; // ECS documents, Suricata EVE
  if (!hasRuleRef(o)) return false;
  return SNORT_KEYS.some((k) => k in o) || (('timestamp' in o || 'seconds' in o) && ('src_addr' in o || 'msg' in o));
}

/** "1.2.3.4:80" / "2001:db8::1:80" (Snort writes "%s:%u", IPv6 unbracketed; port 0 when none). */
function splitAp(v: unknown): { ip?: string; port?: number } {
  const s = str(v, 80);
  if (s === undefined) return {};
  const bracket = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s);
  const colon = s.lastIndexOf(':');
  const host = bracket ? bracket[1]! : colon > 0 ? s.slice(0, colon) : s;
  const portText = bracket ? bracket[2] : colon > 0 ? s.slice(colon + 1) : undefined;
  const out: { ip?: string; port?: number } = {};
  const ip = canonicalIp(host);
  if (ip !== null) out.ip = ip;
  const p = portText !== undefined && /^\d{1,5}$/.test(portText) ? port(portText) : undefined;
  if (p !== undefined && p !== 0) out.port = p;
  return out;
}

function readSnortTime(o: Record<string, unknown>, ctx: DecodeContext): { ok: true; at: Instant } | { ok: false; result: DecodeResult } {
  const ts = o['timestamp'];
  const secs = o['seconds'];
  let fromTs: Instant | null = null;
  if (present(ts)) {
    fromTs = typeof ts === 'string' ? snortTime(ts, ctx) : null;
    if (!fromTs) return { ok: false, result: reject('invalid-time', `timestamp is not a Snort time: ${snippet(ts)}`) };
  }
  if (present(secs)) {
    const n = num(secs);
    const at = n !== undefined && Number.isInteger(n) && n >= 0 ? parseEpoch(n) : null;
    if (!at) return { ok: false, result: reject('invalid-time', `seconds is not an epoch second: ${snippet(secs)}`) };
    return { ok: true, at: preferSeconds(fromTs, at) };
  }
  if (fromTs) return { ok: true, at: fromTs };
  return { ok: false, result: reject('missing-time', 'no time field (looked for timestamp, seconds)') };
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'json') return reject('unknown-format', 'snort-json reads JSON records only');
  const o = record.value;
  const time = readSnortTime(o, ctx);
  if (!time.ok) return time.result;

  let sid = str(o['sid'], 16);
  let gid = str(o['gid'], 16);
  let rev = str(o['rev'], 16);
  const ruleRef = str(o['rule'], 64);
  if (ruleRef !== undefined) {
    const m = RULE_RE.exec(ruleRef);
    if (!m) return reject('invalid-field', `rule is not "gid:sid:rev": ${snippet(o['rule'])}`);
    gid ??= m[1];
    sid ??= m[2];
    rev ??= m[3];
  }
  if (sid !== undefined && !/^\d+$/.test(sid)) return reject('invalid-field', `sid is not a number: ${snippet(o['sid'])}`);

  const action = str(o['action'], 32)?.toLowerCase();
  // "would_block" etc. (IDS mode) did not stop the packet.
  const denied = action !== undefined && /^(block|drop|reject|reset|max_drop|blacklist|blocklist)/.test(action);
  const event: NormalizedEvent = {
    '@timestamp': formatInstant(time.at),
    event: {
      kind: 'alert',
      dataset: 'snort.alert',
      module: 'snort',
      category: ['network', 'intrusion_detection'],
      type: [denied ? 'denied' : 'allowed'],
    },
    observer: { vendor: 'Cisco', product: 'Snort', type: 'ids' },
    crosswatch: { role: 'network_alert', decoder: NAME, category: 'alert' },
  };
  if (action !== undefined) event.event.action = action;

  const priority = num(o['priority']);
  if (priority !== undefined && Number.isInteger(priority) && priority >= 0) event.event.severity = priority;

  const rule: NonNullable<NormalizedEvent['rule']> = {};
  const msg = str(o['msg']);
  // Snort 3 keeps the rule's quotes around msg.
  const name = unquoteMsg(msg);
  if (name !== undefined) rule.name = name;
  if (sid !== undefined) rule.id = sid;
  const cls = str(o['class']);
  if (cls !== undefined && cls !== 'none') rule.category = cls;
  if (Object.keys(rule).length > 0) event.rule = rule;
  if (gid !== undefined && sid !== undefined) event.event.code = rev === undefined ? `${gid}:${sid}` : `${gid}:${sid}:${rev}`;

  const srcAp = splitAp(o['src_ap']);
  const dstAp = splitAp(o['dst_ap']);
  const src = canonicalIp(o['src_addr']) ?? srcAp.ip;
  const sport = port(o['src_port']) ?? srcAp.port;
  if (src !== undefined || sport !== undefined) {
    event.source = {};
    if (src !== undefined) event.source.ip = src;
    if (sport !== undefined) event.source.port = sport;
  }
  const dst = canonicalIp(o['dst_addr']) ?? dstAp.ip;
  const dport = port(o['dst_port']) ?? dstAp.port;
  if (dst !== undefined || dport !== undefined) {
    event.destination = {};
    if (dst !== undefined) event.destination.ip = dst;
    if (dport !== undefined) event.destination.port = dport;
  }

  const proto = str(o['proto'], 16)?.toLowerCase();
  const service = str(o['service'], 32)?.toLowerCase();
  if ((proto !== undefined && /^[a-z0-9_-]+$/.test(proto)) || (service !== undefined && service !== 'unknown')) {
    event.network = {};
    if (proto !== undefined && /^[a-z0-9_-]+$/.test(proto)) event.network.transport = proto;
    if (service !== undefined && service !== 'unknown') event.network.protocol = service;
  }
  return { ok: true, event: { at: time.at, event } };
}

const isJson = (r: RawRecord): r is Extract<RawRecord, { kind: 'json' }> => r.kind === 'json' && isObject(r.value);

export const snortJson: Decoder = {
  roles: ['network_alert'],
  alertMarkers: ['"rule"', '"sid"'],
  timeFields: ['seconds', 'timestamp'],
  name: NAME,
  description: 'Snort 3 alert_json (every record is a network alert keyed on src_addr / src_ap)',
  cues: [
    { label: 'is a JSON object', test: (r) => isJson(r) },
    { label: 'has "rule" ("gid:sid:rev") or "gid" and "sid"', test: (r) => isJson(r) && hasRuleRef(r.value) },
    { label: 'has Snort fields (pkt_num, pkt_gen, pkt_len, src_ap, dst_ap, dir, ...)', test: (r) => isJson(r) && SNORT_KEYS.some((k) => k in r.value) },
    { label: 'has "timestamp" or "seconds"', test: (r) => isJson(r) && ('timestamp' in r.value || 'seconds' in r.value) },
    { label: 'has no "@timestamp" or "event_type" (not ECS, not EVE)', test: (r) => isJson(r) && !('@timestamp' in r.value) && !('event_type' in r.value) },
  ] satisfies Cue[],
  accepts(record: RawRecord): boolean {
    return isJson(record) && looksLikeSnort(record.value);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
