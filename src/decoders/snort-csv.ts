// Snort's alert_csv: one header-less line per alert, fields in the order the
// sensor's configuration lists them.
//   Snort 2 (`output alert_csv: alert.csv default`): separator ",", the time with a
//     trailing space, msg in double quotes with \" and \\ escaped; default fields
//     timestamp,sig_generator,sig_id,sig_rev,msg,proto,src,srcport,dst,dstport,
//     ethsrc,ethdst,ethlen,tcpflags,tcpseq,tcpack,tcplen,tcpwindow,ttl,tos,id,
//     dgmlen,iplen,icmptype,icmpcode,icmpid,icmpseq
//   Snort 3 (`alert_csv`): separator ", " (configurable, e.g. "\t"); default fields
//     timestamp pkt_num proto pkt_gen pkt_len dir src_ap dst_ap rule action, and
//     optional msg (written with the rule's quotes), class, priority, gid/sid/rev,
//     src_addr/src_port, seconds, ...
// There is no header, so fields are told apart by their shapes: the Snort time,
// a "gid:sid:rev" rule (Snort 3) or three numbers right after the time (Snort 2's
// sig_generator,sig_id,sig_rev), the quoted msg, "addr:port" pairs (src_ap first)
// or bare addresses (src first; a port number right after one is its port), the
// protocol, the action, the classification (the unquoted text with spaces) and an
// epoch second that agrees with the time (`seconds`, preferred: the time is local
// unless -U). Every line is a network alert keyed on the source address.
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { parseEpoch } from '../model/time.js';
import type { Instant } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject, textOf } from './types.js';
import { MAX_FIELD_CHARS, port, snippet, str } from './fields.js';
import { isSnortTime, preferSeconds, snortTime } from './common/time.js';
import { actionOf, idsAlertEvent, unquoteMsg } from './common/ids-alert.js';

const NAME = 'snort-csv';

/** Longest line read: b64_data of a full-size packet is about 87 K characters. */
export const MAX_CSV_LINE = 128 * 1024;
/** Snort 3 has 52 fields; more than this is not an alert_csv line. */
const MAX_FIELDS = 64;
const SEPARATORS = ',\t;|';

// A line that starts with a Snort time and a field separator (Snort 2 writes a space before it).
const START_RE = /^\s*\d{2}\/\d{2}(?:\/\d{2,4})?-\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?\s*[,\t;|]/;

/** Is this line (a file's first) one of Snort's alert_csv lines? Framing asks, so a Snort 2 "alert.csv" is not read as a CSV export with a header. */
export function startsLikeSnortCsv(line: string): boolean {
  return START_RE.test(line.slice(0, 64));
}

interface Field {
  text: string;
  quoted: boolean;
}

/**
 * Splits on the separator (the first of , TAB ; | outside quotes), trimming
 * spaces. A field starting with a double quote runs to its closing quote, with
 * backslash escapes (Snort's TextLog_Quote) and doubled quotes (CSV) read as one
 * character. One pass over the line.
 */
function splitLine(line: string): { ok: true; fields: Field[] } | { ok: false; message: string } {
  let sep = '';
  for (let i = 0, inQuote = false; i < line.length; i++) {
    const c = line[i]!;
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (SEPARATORS.includes(c)) {
      sep = c;
      break;
    }
  }
  if (sep === '') return { ok: false, message: 'no field separator' };
  const fields: Field[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && line[i] === ' ') i++;
    if (fields.length >= MAX_FIELDS) return { ok: false, message: `more than ${MAX_FIELDS} fields` };
    if (line[i] === '"') {
      let text = '';
      let j = i + 1;
      let closed = false;
      while (j < line.length) {
        const c = line[j]!;
        if (c === '\\' && j + 1 < line.length) {
          text += line[j + 1];
          j += 2;
        } else if (c === '"' && line[j + 1] === '"') {
          text += '"';
          j += 2;
        } else if (c === '"') {
          closed = true;
          j++;
          break;
        } else {
          text += c;
          j++;
        }
      }
      if (!closed) return { ok: false, message: `unterminated quoted field ${snippet(line.slice(i))}` };
      while (j < line.length && line[j] === ' ') j++;
      if (j < line.length && line[j] !== sep) return { ok: false, message: `text after the quoted field ${snippet(text)}: ${snippet(line.slice(j))}` };
      fields.push({ text, quoted: true });
      if (j >= line.length) break;
      i = j + 1;
      continue;
    }
    const end = line.indexOf(sep, i);
    fields.push({ text: line.slice(i, end < 0 ? line.length : end).trim(), quoted: false });
    if (end < 0) break;
    i = end + 1;
  }
  return { ok: true, fields };
}

const RULE_RE = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/;
const INT_RE = /^\d{1,10}$/;
const B64_RE = /^[A-Za-z0-9+/=]*$/;
const PROTOS = new Set(['tcp', 'udp', 'icmp', 'ip', 'sctp', 'ipv6-icmp', 'icmp6', 'icmpv6', 'arp']);
/** Snort 3's action strings (packet_io/active.cc), and "pass". */
const ACTION_RE = /^(?:(?:cant_|would_|force_)?(?:drop|block|reset|rewrite)|allow|trust|hold|retry|pass)$/;
/** Snort 3's direction field: a cue that the line is alert_csv. */
const DIRS = new Set(['C2S', 'S2C', 'UNK']);

interface Endpoint {
  ip?: string;
  port?: number;
  /** "addr:port" (src_ap / dst_ap) rather than a bare address. */
  pair: boolean;
}

/** "1.2.3.4:80", "2001:db8::1:80" (Snort writes IPv6 unbracketed), ":0" (no address): an address-and-port pair, or null. */
function pairOf(text: string): Endpoint | null {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return null;
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  const p = port(portText);
  if (p === undefined) return null;
  const host = text.slice(0, colon);
  if (host === '') return { pair: true }; // a packet without IP: Snort writes ":0"
  const ip = canonicalIp(host);
  if (ip === null) return null;
  return p === 0 ? { ip, pair: true } : { ip, port: p, pair: true };
}

interface Layout {
  ts?: number;
  seconds?: number;
  gid?: string;
  sid?: string;
  rev?: string;
  msg?: string;
  cls?: string;
  proto?: string;
  action?: string;
  src?: Endpoint;
  dst?: Endpoint;
}

/** Snort 2's time carries a trailing space before the separator; Snort 2 has no `seconds` field. */
const SNORT2_RE = /^\s*\d{2}\/\d{2}(?:\/\d{2})?-\d{2}:\d{2}:\d{2}\.\d{6} ,/;

/** Which field is which, by shape (see the file comment). */
function layoutOf(fields: Field[], snort2: boolean, ctx: DecodeContext): Layout {
  const out: Layout = {};
  const used = new Set<number>();
  const take = (i: number): void => {
    used.add(i);
  };
  const plain = (i: number): string | undefined => {
    const f = fields[i];
    return f && !f.quoted && !used.has(i) ? f.text : undefined;
  };

  const ts = fields.findIndex((f) => !f.quoted && isSnortTime(f.text));
  if (ts >= 0) {
    out.ts = ts;
    take(ts);
  }
  const rule = fields.findIndex((f, i) => !used.has(i) && !f.quoted && RULE_RE.test(f.text));
  if (rule >= 0) {
    const m = RULE_RE.exec(fields[rule]!.text)!;
    [out.gid, out.sid, out.rev] = [m[1]!, m[2]!, m[3]!];
    take(rule);
  } else if (ts >= 0 && [1, 2, 3].every((k) => INT_RE.test(plain(ts + k) ?? ''))) {
    // Snort 2: sig_generator,sig_id,sig_rev follow the time.
    [out.gid, out.sid, out.rev] = [fields[ts + 1]!.text, fields[ts + 2]!.text, fields[ts + 3]!.text];
    take(ts + 1);
    take(ts + 2);
    take(ts + 3);
  }

  // seconds: an epoch second whose time of day is the timestamp's, give or take a
  // zone (a whole quarter hour, at most 14 h); without a timestamp, the only one.
  const wall = ts >= 0 ? snortTime(fields[ts]!.text, { defaultOffsetMinutes: 0, reference: ctx.reference }) : null;
  const candidates: number[] = [];
  fields.forEach((f, i) => {
    if (snort2 || f.quoted || used.has(i) || !/^\d{9,10}$/.test(f.text)) return;
    const secs = Number(f.text);
    if (secs < 1e9) return;
    if (wall) {
      const day = 86_400;
      const diff = (((Math.floor(wall.ms / 1000) - secs) % day) + day) % day;
      if (diff % 900 !== 0 || (diff > 14 * 3600 && diff < day - 14 * 3600)) return;
    }
    candidates.push(i);
  });
  if (candidates.length === 1 || (wall && candidates.length > 0)) {
    out.seconds = candidates[0]!;
    take(candidates[0]!);
  }

  // msg: the quoted field that is not base64 (b64_data is quoted too).
  const quoted = fields.map((f, i) => (f.quoted ? i : -1)).filter((i) => i >= 0);
  const msgAt = quoted.find((i) => !B64_RE.test(fields[i]!.text)) ?? quoted[0];
  if (msgAt !== undefined) {
    out.msg = fields[msgAt]!.text;
    take(msgAt);
  }

  // Addresses: pairs first (Snort 3 src_ap, dst_ap), else bare addresses (Snort 2 src, dst; Snort 3 src_addr, dst_addr).
  const pairs: Endpoint[] = [];
  const bare: Array<{ at: number; ep: Endpoint }> = [];
  fields.forEach((f, i) => {
    if (f.quoted || used.has(i) || f.text === '') return;
    const ip = canonicalIp(f.text);
    const nextIsPort = INT_RE.test(plain(i + 1) ?? '') && port(fields[i + 1]!.text) !== undefined;
    const pair = pairOf(f.text);
    // "2a02:cf40::1:443" reads both ways: a port field right after it says it is a bare address.
    if (pair && !(ip !== null && nextIsPort)) pairs.push(pair);
    else if (ip !== null) bare.push({ at: i, ep: { ip, pair: false } });
  });
  if (pairs.length > 0) {
    out.src = pairs[0]!;
    if (pairs[1]) out.dst = pairs[1];
  } else {
    for (const [k, b] of bare.slice(0, 2).entries()) {
      take(b.at);
      const p = plain(b.at + 1);
      if (p !== undefined && INT_RE.test(p)) {
        const n = port(p);
        if (n !== undefined) {
          b.ep.port = n;
          take(b.at + 1);
        }
      }
      if (k === 0) out.src = b.ep;
      else out.dst = b.ep;
    }
  }

  // The words left: protocol, action, and the classification (text with spaces; the msg when it was not quoted).
  const texts: string[] = [];
  fields.forEach((f, i) => {
    if (f.quoted || used.has(i)) return;
    const lower = f.text.toLowerCase();
    if (out.proto === undefined && PROTOS.has(lower)) out.proto = lower;
    else if (out.action === undefined && ACTION_RE.test(lower)) out.action = lower;
    else if (/\s/.test(f.text) && !isSnortTime(f.text)) texts.push(f.text);
  });
  if (out.msg === undefined && texts.length > 0) out.msg = texts.shift();
  if (texts.length > 0) out.cls = texts[0];
  return out;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'text') return reject('unknown-format', 'snort-csv reads text lines only');
  const line = record.value;
  if (line.length > MAX_CSV_LINE) return reject('record-too-large', `alert_csv line of ${line.length} characters (limit ${MAX_CSV_LINE})`);
  if (line.includes('\n')) return reject('invalid-field', 'alert_csv records are single lines');
  const split = splitLine(line);
  if (!split.ok) return reject('invalid-field', `not an alert_csv line: ${split.message}`);
  const fields = split.fields;
  const l = layoutOf(fields, SNORT2_RE.test(line.slice(0, 64)), ctx);

  let fromTs: Instant | null = null;
  if (l.ts !== undefined) {
    fromTs = snortTime(fields[l.ts]!.text, ctx);
    if (!fromTs) return reject('invalid-time', `not a Snort time: ${snippet(fields[l.ts]!.text)}`);
  }
  let at: Instant;
  if (l.seconds !== undefined) {
    const secs = parseEpoch(fields[l.seconds]!.text);
    if (!secs) return reject('invalid-time', `not an epoch second: ${snippet(fields[l.seconds]!.text)}`);
    at = preferSeconds(fromTs, secs);
  } else if (fromTs) {
    at = fromTs;
  } else {
    return reject('missing-time', 'alert_csv line has no Snort time (MM/DD-hh:mm:ss.uuuuuu) and no epoch second');
  }
  if (l.sid === undefined && l.src === undefined) {
    return reject('invalid-field', `alert_csv line names neither a rule (gid:sid:rev) nor an address: ${snippet(line)}`);
  }

  const act = l.action === undefined ? undefined : actionOf(l.action);
  const event = idsAlertEvent(at, NAME, { vendor: 'Cisco', product: 'Snort', type: 'ids' }, act);
  if (l.gid !== undefined && l.sid !== undefined && l.rev !== undefined) event.event.code = `${l.gid}:${l.sid}:${l.rev}`;
  const rule: NonNullable<NormalizedEvent['rule']> = {};
  if (l.sid !== undefined) rule.id = l.sid;
  const name = unquoteMsg(str(l.msg));
  if (name !== undefined) rule.name = name;
  const cls = str(l.cls);
  if (cls !== undefined && cls !== 'none') rule.category = cls;
  if (Object.keys(rule).length > 0) event.rule = rule;
  for (const [side, ep] of [['source', l.src], ['destination', l.dst]] as const) {
    if (!ep || (ep.ip === undefined && ep.port === undefined)) continue;
    const out: { ip?: string; port?: number } = {};
    if (ep.ip !== undefined) out.ip = ep.ip;
    if (ep.port !== undefined) out.port = ep.port;
    event[side] = out;
  }
  if (l.proto !== undefined) event.network = { transport: l.proto.slice(0, MAX_FIELD_CHARS) };
  return { ok: true, event: { at, event } };
}

export const snortCsv: Decoder = {
  roles: ['network_alert'],
  timeFields: ['seconds', 'timestamp'],
  name: NAME,
  description: 'Snort 2 / Snort 3 alert_csv lines (header-less; network alerts keyed on the source address)',
  cues: [
    { label: 'is a text line', test: (r) => r.kind === 'text' },
    { label: 'starts with "MM/DD-hh:mm:ss.uuuuuu" and a field separator (, TAB ; |)', test: (r) => startsLikeSnortCsv(textOf(r) ?? '') },
    {
      label: 'has a "gid:sid:rev" field, a Snort 3 direction (C2S, S2C, UNK) or a quoted msg',
      test: (r) => {
        const t = textOf(r);
        if (t === undefined || t.length > MAX_CSV_LINE) return false;
        const s = splitLine(t);
        return s.ok && s.fields.some((f) => (!f.quoted && (RULE_RE.test(f.text) || DIRS.has(f.text))) || (f.quoted && f.text.length > 0));
      },
    },
  ] satisfies Cue[],
  accepts(record: RawRecord): boolean {
    return record.kind === 'text' && !record.value.includes('\n') && startsLikeSnortCsv(record.value);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
