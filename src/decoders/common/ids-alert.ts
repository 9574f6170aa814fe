// What the Snort / Suricata alert decoders share (fast.log, alert_full,
// alert_csv, alert_json): the rule message as Snort 3 quotes it, the action
// words, the address forms of an alert line and the ECS shape of a text alert.
import type { NormalizedEvent } from '../../model/event.js';
import { canonicalIp } from '../../model/ip.js';
import { formatInstant } from '../../model/time.js';
import type { Instant } from '../../model/time.js';
import { port, str } from '../fields.js';

/** Snort 3 writes a rule's msg with its quotes ("\"ET SCAN nmap\""); the name is what is inside. */
export function unquoteMsg(msg: string | undefined): string | undefined {
  if (msg === undefined || msg.length < 2 || !msg.startsWith('"') || !msg.endsWith('"')) return msg;
  return str(msg.slice(1, -1));
}

/**
 * The ECS shape every Snort / Suricata text alert shares (fast.log, alert_full,
 * alert_csv): a network alert of the sensor, denied when the sensor dropped it.
 * Each decoder adds the rule, the endpoints and the protocol it read.
 */
export function idsAlertEvent(at: Instant, decoder: string, observer: NonNullable<NormalizedEvent['observer']>, act?: { action: string; denied: boolean }): NormalizedEvent {
  const event: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: {
      kind: 'alert',
      dataset: 'snort.log',
      module: 'snort',
      category: ['network', 'intrusion_detection'],
      type: [act?.denied ? 'denied' : 'allowed'],
    },
    observer,
    crosswatch: { role: 'network_alert', decoder, category: 'alert' },
  };
  if (act) event.event.action = act.action;
  return event;
}

/** source.* / destination.* of an endpoint read from an alert line. */
export function endpointField(ep: { ip: string; port?: number | undefined }): { ip: string; port?: number } {
  return ep.port === undefined ? { ip: ep.ip } : { ip: ep.ip, port: ep.port };
}

/**
 * What an action word says: Suricata/Snort 2 "Drop" (dropped), "wDrop"/"WDrop"
 * (would have), Snort 3 "block", "would_block", "cant_drop", "force_reset", ...
 * Only a done (or forced) drop, block or reset stopped the packet.
 */
export function actionOf(word: string): { action: string; denied: boolean } {
  if (word === 'Drop') return { action: 'drop', denied: true };
  if (word === 'wDrop' || word === 'WDrop') return { action: 'would_drop', denied: false };
  const action = word.toLowerCase();
  return { action, denied: /^(?:force_)?(?:drop|block|reset)$/.test(action) };
}

/** "1.2.3.4:80", "1.2.3.4", "[2001:db8::1]:80", "2001:db8::1", "2001:db8::1:80" (Snort 2), full-form IPv6 + ":port". */
export function endpoint(text: string, withPorts: boolean): { ip: string; port?: number } | null {
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracket) {
    const ip = canonicalIp(bracket[1]);
    if (ip === null) return null;
    const p = bracket[2] !== undefined ? port(bracket[2]) : undefined;
    return p === undefined ? { ip } : { ip, port: p };
  }
  const colons = text.split(':').length - 1;
  if (colons <= 1) {
    // IPv4 with or without a port.
    const [addr = '', portText] = text.split(':');
    const ip = canonicalIp(addr);
    if (ip === null || ip.includes(':')) return null;
    if (portText === undefined) return { ip };
    const p = /^\d{1,5}$/.test(portText) ? port(portText) : undefined;
    return p === undefined ? null : { ip, port: p };
  }
  // Plain IPv6: on TCP/UDP lines the port is appended with one more colon
  // ("2001:db8::1:80" from Snort 2, "2001:0db8:...:0001:80" full form), so the last
  // group is the port when what precedes it is an address.
  if (withPorts) {
    const last = text.lastIndexOf(':');
    const portText = text.slice(last + 1);
    const ip = /^\d{1,5}$/.test(portText) ? canonicalIp(text.slice(0, last)) : null;
    const p = port(portText);
    if (ip !== null && p !== undefined) return { ip, port: p };
  }
  const ip = canonicalIp(text);
  return ip === null ? null : { ip };
}
