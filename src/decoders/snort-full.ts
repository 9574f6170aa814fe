// Snort's alert_full (Snort 2 `output alert_full`, Snort 3 `alert_full`): one
// block of lines per alert, blocks separated by a blank line (framing.ts joins
// a block into one text record):
//   [**] [1:2001219:20] ET SCAN Potential SSH Scan [**]
//   [Classification: Attempted Information Leak] [Priority: 2]
//   [AppID: SSH]                                              (Snort 3, optional)
//   04/16-08:00:07.123456 81.2.69.143:51234 -> 10.0.0.5:22
//   TCP TTL:51 TOS:0x0 ID:54321 IpLen:20 DgmLen:60 DF
//   ******S* Seq: 0x1A2B3C4D  Ack: 0x0  Win: 0x16D0  TcpLen: 40
//   [Xref => http://...]
// With -e the time line holds the Ethernet header ("MAC -> MAC type:0x800
// len:0x4A") and the addresses begin the next line, followed by the IP header on
// that line. The time takes the forms fast.log's does (snortTime: -y puts the year
// last in Snort 2, first in Snort 3). A packet without IP has only the first line
// and the time. Every block is a network alert keyed on the first address line's
// source (an ICMP error's "ORIGINAL DATAGRAM DUMP" comes later and is not read).
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject, textOf } from './types.js';
import { snippet, str } from './fields.js';
import { snortTime } from './common/time.js';
import { endpoint, endpointField, idsAlertEvent, unquoteMsg } from './common/ids-alert.js';

const NAME = 'snort-full';

/** Longest block read; a real alert_full block is well under a kilobyte (options and xrefs included). */
export const MAX_FULL_BLOCK = 64 * 1024;

// "[**] [gid:sid:rev] " (a block's first line).
const FIRST_RE = /^\[\*\*\]\s*\[(\d{1,10}):(\d{1,10}):(\d{1,10})\]\s*/;
const PRIORITY_RE = /^(?:\[Classification:\s*([^\]]{0,512})\]\s*)?(?:\[Priority:\s*(\d{1,5})\]\s*)?$/;
const APPID_RE = /^\[AppID:\s*[^\]]{0,256}\]$/;
const TIME_RE = /^(\d{2}\/\d{2}(?:\/\d{2,4})?-\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(?:\s+(.*))?$/;
// "SRC -> DST", then on the same line (with -e) the IP header's "PROTO TTL:...".
const ADDRS_RE = /^(\S{1,80}) -> (\S{1,80})(?:\s+(\S{1,24}) TTL:.*)?$/;
const IPHDR_RE = /^(\S{1,24}) TTL:/;
// Snort 2 and 3 print the Ethernet header as "%02X:...:%02X -> ... type:0x%X len:0x%X".
const ETHER_RE = /^[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5} -> /;

/** Is this line the first of an alert_full block? (framing.ts sniffs a file's first line with it.) */
export function isFullHead(line: string): boolean {
  return FIRST_RE.test(line.slice(0, 64));
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'text') return reject('unknown-format', 'snort-full reads text blocks only');
  const block = record.value;
  if (block.length > MAX_FULL_BLOCK) return reject('record-too-large', `alert_full block of ${block.length} characters (limit ${MAX_FULL_BLOCK})`);
  const lines = block.split('\n').map((l) => l.trim());
  const first = lines[0] ?? '';
  const head = FIRST_RE.exec(first);
  if (!head) return reject('invalid-field', `not an alert_full block (no "[**] [gid:sid:rev]" first): ${snippet(first)}`);
  const [, gid, sid, rev] = head;
  let rest = first.slice(head[0].length);
  if (!rest.endsWith('[**]')) return reject('invalid-field', `alert_full first line does not end in "[**]": ${snippet(first)}`);
  rest = rest.slice(0, -4).trim();
  // "-I": the interface in angle brackets before the message.
  const iface = /^<[^<>\s]{1,64}>\s*/.exec(rest);
  if (iface) rest = rest.slice(iface[0].length);
  const msg = unquoteMsg(str(rest));

  let i = 1;
  let classification: string | undefined;
  let priority: string | undefined;
  for (; i < lines.length && i < 4; i++) {
    const l = lines[i]!;
    const p = l.startsWith('[') ? PRIORITY_RE.exec(l) : null;
    if (p && l !== '') {
      classification = p[1];
      priority = p[2];
    } else if (!APPID_RE.test(l)) break;
  }
  const timeLine = lines[i] ?? '';
  const tm = TIME_RE.exec(timeLine);
  if (!tm) {
    return timeLine === ''
      ? reject('missing-time', 'alert_full block ends before its time line')
      : reject('invalid-time', `alert_full time line does not start with a Snort time: ${snippet(timeLine)}`);
  }
  const at = snortTime(tm[1]!, ctx);
  if (!at) return reject('invalid-time', `not a Snort time: ${snippet(tm[1])}`);

  let addrLine = tm[2]?.trim() ?? '';
  let next = i + 1;
  if (ETHER_RE.test(addrLine) || /\btype:0x[0-9A-Fa-f]+\b/.test(addrLine)) {
    addrLine = lines[next] ?? '';
    next++;
  }
  const addrs = addrLine === '' ? null : ADDRS_RE.exec(addrLine);
  if (addrLine !== '' && !addrs && !/^IP header truncated/.test(addrLine)) {
    return reject('invalid-field', `alert_full address line is not "SRC -> DST": ${snippet(addrLine)}`);
  }
  let proto = addrs?.[3];
  if (addrs && proto === undefined) proto = IPHDR_RE.exec(lines[next] ?? '')?.[1];
  const transport = proto?.toLowerCase();
  // Snort prints ports for TCP and UDP only; without the IP header line, a port is read where one is written.
  const withPorts = transport === undefined || transport === 'tcp' || transport === 'udp';
  let src: ReturnType<typeof endpoint> = null;
  let dst: ReturnType<typeof endpoint> = null;
  if (addrs) {
    src = endpoint(addrs[1]!, withPorts);
    if (!src) return reject('invalid-field', `source is not an address: ${snippet(addrs[1])}`);
    dst = endpoint(addrs[2]!, withPorts);
    if (!dst) return reject('invalid-field', `destination is not an address: ${snippet(addrs[2])}`);
  }

  const event = idsAlertEvent(at, NAME, { vendor: 'Cisco', product: 'Snort', type: 'ids' });
  event.event.code = `${gid}:${sid}:${rev}`;
  event.rule = { id: sid! };
  if (msg !== undefined) event.rule!.name = msg;
  const cls = str(classification);
  if (cls !== undefined) event.rule!.category = cls;
  if (priority !== undefined) event.event.severity = Number(priority);
  if (src) event.source = endpointField(src);
  if (dst) event.destination = endpointField(dst);
  if (transport !== undefined && /^[a-z0-9_-]{1,24}$/.test(transport)) event.network = { transport };
  return { ok: true, event: { at, event } };
}

export const snortFull: Decoder = {
  roles: ['network_alert'],
  name: NAME,
  description: 'Snort 2 / Snort 3 alert_full blocks (one alert per blank-line-separated block; network alerts keyed on SRC)',
  cues: [
    { label: 'is a text record', test: (r) => r.kind === 'text' },
    { label: 'starts with "[**] [gid:sid:rev]"', test: (r) => isFullHead(textOf(r) ?? '') },
    {
      label: 'has a line starting with "MM/DD-hh:mm:ss.uuuuuu"',
      test: (r) => (textOf(r)?.slice(0, MAX_FULL_BLOCK).split('\n').slice(1, 5) ?? []).some((l) => TIME_RE.test(l.trim())),
    },
  ] satisfies Cue[],
  accepts(record: RawRecord): boolean {
    return record.kind === 'text' && isFullHead(record.value);
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
