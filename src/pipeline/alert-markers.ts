// hunt's fast first pass: can this JSON record's raw text be a network alert?
// Every JSON network-alert format has a marker that sign-in and audit records
// lack — a necessary condition, never a sufficient one (a record that passes is
// parsed and decoded as usual). Each decoder declares the marker words of its
// JSON alerts (Decoder.alertMarkers: Suricata EVE "alert", ECS "alert" and
// "signal", Zeek notice "note", Snort 3 JSON "rule" and "sid"); the registry
// gives their union, and that is the list used here.
// Text records (CEF, PAN-OS, FortiGate, fast.log, Snort's alert_csv lines and
// alert_full blocks, syslog) always pass: they are decoded in full. So do records that do not look like one whole JSON object,
// so truncated lines are still parsed and reported.
import { alertMarkerWords } from '../decoders/index.js';

/**
 * The markers as quoted words, matched case-insensitively: the scan kernel looks
 * for these in raw bytes (inputs/fast-frames.ts), mayBeNetworkAlert in text.
 * The registry's union of what the decoders declare, in its stable order.
 */
export const MARKER_WORDS: string[] = [...alertMarkerWords()];

// One regular expression, one scan of the text.
const MARKER_RE = new RegExp(MARKER_WORDS.join('|'), 'i');

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

export function mayBeNetworkAlert(text: string): boolean {
  let a = 0;
  let b = text.length - 1;
  while (a <= b && isSpace(text.charCodeAt(a))) a++;
  while (b >= a && isSpace(text.charCodeAt(b))) b--;
  if (a > b) return true;
  const first = text.charCodeAt(a);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return true;
  // Snort's alert_full block: "[**] [gid:sid:rev] ..." up to, often, "[Xref => ...]". No JSON starts "[*".
  if (first === 0x5b && text.charCodeAt(a + 1) === 0x2a /* * */) return true;
  const last = text.charCodeAt(b);
  if (last !== 0x7d /* } */ && last !== 0x5d /* ] */) return true;
  return MARKER_RE.test(text);
}
