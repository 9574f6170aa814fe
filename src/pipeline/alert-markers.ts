// hunt's fast first pass: can this JSON record's raw text be a network alert?
// Every JSON network-alert format has a marker that sign-in and audit records
// lack — a necessary condition, never a sufficient one (a record that passes is
// parsed and decoded as usual):
//   Suricata EVE   "event_type": "alert"          → "alert"
//   ECS            "event.kind": "alert"/"signal"  → "alert", "signal" (any case)
//   Zeek notice    a "note" key                    → "note"
//   Snort 3 JSON   one of its packet keys          → "pkt_num", "src_ap", …
// Text lines (CEF, PAN-OS, FortiGate, fast.log, syslog) always pass: they are
// decoded in full. So do records that do not look like one whole JSON object,
// so truncated lines are still parsed and reported.

// One regular expression, one scan of the text (sixteen includes() cost sixteen).
const MARKER_RE = /"(?:alert|Alert|ALERT|signal|Signal|SIGNAL|note|pkt_num|pkt_gen|pkt_len|src_ap|dst_ap|dir|b64_data|eth_src|iface)"/;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

export function mayBeNetworkAlert(text: string): boolean {
  let a = 0;
  let b = text.length - 1;
  while (a <= b && isSpace(text.charCodeAt(a))) a++;
  while (b >= a && isSpace(text.charCodeAt(b))) b--;
  if (a > b) return true;
  const first = text.charCodeAt(a);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return true;
  const last = text.charCodeAt(b);
  if (last !== 0x7d /* } */ && last !== 0x5d /* ] */) return true;
  return MARKER_RE.test(text);
}
