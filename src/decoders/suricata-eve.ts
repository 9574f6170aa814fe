// Suricata EVE JSON (one object per line, `event_type` + `timestamp`). Alerts are
// network alerts keyed on src_ip; every other event type (flow, dns, http, tls,
// stats, anomaly, ...) is decoded as 'other' so it is counted, then skipped.
import type { NormalizedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant } from '../model/time.js';
import type { AlertClasses, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { firstStr, isObject, num, port, readTime, str } from './fields.js';

const NAME = 'suricata-eve';

const PROTOCOL_EVENT_TYPES = new Set([
  'dns', 'http', 'http2', 'tls', 'ssh', 'smtp', 'ftp', 'ftp_data', 'smb', 'nfs', 'dhcp', 'krb5', 'rdp', 'sip', 'snmp',
  'tftp', 'ikev2', 'ike', 'mqtt', 'quic', 'rfb', 'dnp3', 'modbus', 'pgsql', 'bittorrent-dht', 'ldap',
]);

/** The one event type that is a network alert; crosswatch.category is the event type. */
const ALERT_EVENT_TYPE = 'alert';

/** Alerts are alerts; flows, protocol events, stats, anomalies and every other event type are counted. */
const EVE_ALERT_CLASSES: AlertClasses = {
  alerts: [ALERT_EVENT_TYPE],
  byRule: [],
  notAlerts: ['flow', 'netflow', 'stats', 'anomaly', ...PROTOCOL_EVENT_TYPES],
  otherwise: 'not-alert',
};

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.kind !== 'json') return reject('unknown-format', 'suricata-eve reads JSON records only');
  const o = record.value;
  const time = readTime([['timestamp', o['timestamp']]], ctx);
  if (!time.ok) return time.result;

  const eventType = str(o['event_type'], 64) ?? 'unknown';
  const isAlert = eventType === ALERT_EVENT_TYPE;
  const alert = isObject(o['alert']) ? o['alert'] : undefined;

  const event: NormalizedEvent = {
    '@timestamp': formatInstant(time.at),
    event: {
      kind: isAlert ? 'alert' : 'event',
      dataset: 'suricata.eve',
      module: 'suricata',
      category: isAlert ? ['network', 'intrusion_detection'] : ['network'],
      type: isAlert
        ? [str(alert?.['action'], 32) === 'blocked' ? 'denied' : 'allowed']
        : [eventType === 'flow' || eventType === 'netflow' ? 'connection' : 'protocol'],
    },
    crosswatch: { role: isAlert ? 'network_alert' : 'other', decoder: NAME, category: eventType },
  };

  const src = canonicalIp(o['src_ip']);
  const sport = port(o['src_port']);
  if (src !== null || sport !== undefined) {
    event.source = {};
    if (src !== null) event.source.ip = src;
    if (sport !== undefined) event.source.port = sport;
  }
  const dst = canonicalIp(o['dest_ip']);
  const dport = port(o['dest_port']);
  if (dst !== null || dport !== undefined) {
    event.destination = {};
    if (dst !== null) event.destination.ip = dst;
    if (dport !== undefined) event.destination.port = dport;
  }

  const transport = str(o['proto'], 32)?.toLowerCase();
  const app = str(o['app_proto'], 64)?.toLowerCase();
  // Protocol events (dns, http, tls, ...) name their protocol in event_type when app_proto is absent.
  const appProto = app ?? (PROTOCOL_EVENT_TYPES.has(eventType) ? eventType : undefined);
  if (transport !== undefined || (appProto !== undefined && appProto !== 'failed')) {
    event.network = {};
    if (transport !== undefined) event.network.transport = transport;
    if (appProto !== undefined && appProto !== 'failed') event.network.protocol = appProto;
  }

  if (isAlert) {
    const observer: NonNullable<NormalizedEvent['observer']> = { vendor: 'OISF', product: 'Suricata', type: 'ids' };
    const sensor = firstStr(o, ['host', 'sensor_name']);
    if (sensor !== undefined) observer.name = sensor;
    event.observer = observer;
    if (alert) {
      const rule: NonNullable<NormalizedEvent['rule']> = {};
      const name = str(alert['signature']);
      const id = str(alert['signature_id'], 64);
      const category = str(alert['category']);
      if (name !== undefined) rule.name = name;
      if (id !== undefined) rule.id = id;
      if (category !== undefined) rule.category = category;
      if (Object.keys(rule).length > 0) event.rule = rule;
      const severity = num(alert['severity']);
      if (severity !== undefined) event.event.severity = severity;
    }
  }
  return { ok: true, event: { at: time.at, event } };
}

export const suricataEve: Decoder = {
  roles: ['network_alert', 'other'],
  alertMarkers: [`"${ALERT_EVENT_TYPE}"`],
  timeFields: ['timestamp'],
  alertClasses: EVE_ALERT_CLASSES,
  cues: [
    { label: 'is a JSON object', test: (r) => r.kind === 'json' },
    { label: 'has "event_type" (text)', test: (r) => r.kind === 'json' && typeof r.value.event_type === 'string' },
    { label: 'has "timestamp", "flow_id", "src_ip" or "in_iface"', test: (r) => r.kind === 'json' && ['timestamp', 'flow_id', 'src_ip', 'in_iface'].some((k) => k in r.value) },
    { label: 'has no "@timestamp" (not ECS)', test: (r) => r.kind === 'json' && !('@timestamp' in r.value) },
  ],
  name: NAME,
  description: 'Suricata EVE JSON (alert events are network alerts; other event types are counted)',
  accepts(record: RawRecord): boolean {
    if (record.kind !== 'json' || !isObject(record.value)) return false;
    const o = record.value;
    if (typeof o['event_type'] !== 'string' || '@timestamp' in o) return false;
    // A record that lost its timestamp is still EVE (and is then rejected as missing-time).
    return 'timestamp' in o || 'flow_id' in o || 'src_ip' in o || 'in_iface' in o;
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
