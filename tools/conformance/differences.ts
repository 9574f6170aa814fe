// Where crosswatch deliberately differs from the peer (Elastic's integration
// pipelines) on the shared test vectors: the one list the conformance suite
// (npm run conformance, test/conformance.test.ts), the decoder tests and
// docs/conformance.md use. Keyed by fixture folder + file + record index + field;
// `ours` / `peer` pin the values (a listed difference with other values is
// unexplained). @timestamp values are ms-precision ISO instants.

export type ConformanceField =
  | '@timestamp'
  | 'source.ip'
  | 'destination.ip'
  | 'event.outcome'
  | 'event.action'
  | 'event.category'
  | 'user.name'
  | 'rule.name'
  | 'event.severity';

export interface ListedDifference {
  folder: string;
  file: string;
  /** 0-based record positions in the file. */
  indexes: number[];
  field: ConformanceField | 'decode';
  ours?: unknown;
  peer?: unknown;
  reason: string;
}

const NO_STATUS_REASON =
  'ResultStatus absent or not a final state ("InProgress"): the peer defaults event.outcome to success, crosswatch says unknown so that no record qualifies on a guess';
const ALL_15 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

export const LISTED_DIFFERENCES: readonly ListedDifference[] = [
  // --- azure-signinlogs ---------------------------------------------------------
  {
    folder: 'azure-signinlogs', file: 'test-adfs-signin.log', indexes: [0], field: '@timestamp',
    ours: '2025-12-12T14:56:31.000Z', peer: '2025-12-12T15:03:58.000Z',
    reason: 'crosswatch uses the sign-in time (properties.createdDateTime); this peer version used `time`, when the record was written',
  },
  {
    folder: 'azure-signinlogs', file: 'test-alternative-time-and-duration-as-string.log', indexes: [0], field: '@timestamp',
    ours: '2025-11-14T01:46:16.428Z', peer: '2025-11-14T01:48:53.000Z',
    reason: 'sign-in time (properties.createdDateTime) rather than the record write time `time`',
  },
  {
    folder: 'azure-signinlogs', file: 'test-invalid-time.log', indexes: [0], field: 'event.outcome', ours: 'unknown', peer: 'success',
    reason: 'no status.errorCode and no resultType: the peer defaults to success, crosswatch says unknown so that no sign-in qualifies on a guess',
  },
  {
    folder: 'azure-signinlogs', file: 'test-time-formats-corner-cases.log', indexes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], field: 'event.outcome',
    ours: 'unknown', peer: 'success',
    reason: 'minimal records without status or resultType: unknown, not a defaulted success',
  },
  {
    folder: 'azure-signinlogs', file: 'test-signinlogs.log', indexes: [1], field: 'source.ip', ours: '81.171.241.231', peer: '8.8.8.8',
    reason: 'properties.ipAddress (the sign-in client address, read first by the current Elastic pipeline) wins over the envelope callerIpAddress; this 2020 peer version read callerIpAddress only',
  },
  // --- o365-audit -------------------------------------------------------------------
  { folder: 'o365-audit', file: 'test-bad-ips.json', indexes: [3], field: 'event.outcome', ours: 'unknown', peer: 'success', reason: NO_STATUS_REASON },
  { folder: 'o365-audit', file: 'test-ip-formats-events.json', indexes: ALL_15, field: 'event.outcome', ours: 'unknown', peer: 'success', reason: NO_STATUS_REASON },
  { folder: 'o365-audit', file: 'test-numbery-json-events.json', indexes: [0, 1, 2, 3, 4], field: 'event.outcome', ours: 'unknown', peer: 'success', reason: NO_STATUS_REASON },
  { folder: 'o365-audit', file: 'test-stringly-json-events.json', indexes: [0, 1], field: 'event.outcome', ours: 'unknown', peer: 'success', reason: NO_STATUS_REASON },
  {
    folder: 'o365-audit', file: 'test-ip-formats-events.json', indexes: [7], field: 'source.ip', ours: '2001:db8::abcd', peer: undefined,
    reason: 'a bracketed address without port ("[2001:db8::abcd]") is still an address (DESIGN.md §2 strips brackets); the peer grok only knows [ip]:port',
  },
  {
    folder: 'o365-audit', file: 'test-ip-formats-events.json', indexes: [8], field: 'source.ip', ours: '10.11.12.13', peer: undefined,
    reason: 'bracketed IPv4 without port ("[10.11.12.13]"), as above',
  },
  {
    folder: 'o365-audit', file: 'test-bad-ips.json', indexes: [0, 2], field: 'source.ip', ours: '67.43.156.13', peer: undefined,
    reason: 'ClientIPAddress holds no valid IP ("NOTANIPV4 (10.9000.0.1)", "[INCORRECTIPV4 (10.900.0.1)]"); the peer stops there, crosswatch falls back to ClientIP ("67.43.156.13:12345") so that no true case is lost',
  },
  {
    folder: 'o365-audit', file: 'test-bad-ips.json', indexes: [0, 1, 2], field: 'event.category', ours: ['web'], peer: ['iam', 'web'],
    reason: 'crosswatch categorises M365 records by what it correlates (authentication, email); the peer\'s per-operation category table (GroupCreation = iam) is not replicated for records crosswatch never correlates',
  },
  {
    folder: 'o365-audit', file: 'test-exchange-item-events.json', indexes: [0, 1, 2, 3, 4, 5, 6, 7, 8], field: 'event.category', ours: ['email', 'web'], peer: ['web'],
    reason: 'an older peer version; the current Elastic pipeline also files Exchange item records under email, as its newer test-exchange-item-edge-cases.json output shows (crosswatch agrees there)',
  },
  // --- network sources (deliberate per the decoder's own documentation) -------------
  {
    folder: 'panw-panos', file: 'test-panw-panos-threat-url-no-xff-sample.log', indexes: [0], field: 'source.ip', ours: '175.16.199.1', peer: '192.168.15.224',
    reason: 'a URL-filtering THREAT record names the site the user was sent to: src/decoders/panos.ts keys such alerts (and server-to-client threats) on the outside party, the address that can later sign in; the peer keeps the session source (the internal client)',
  },
  {
    folder: 'panw-panos', file: 'test-panw-panos-threat-url-no-xff-sample.log', indexes: [0], field: 'destination.ip', ours: '192.168.15.224', peer: '175.16.199.1',
    reason: 'the other side of the same swap (src/decoders/panos.ts)',
  },
  {
    folder: 'panw-panos', file: 'test-panw-panos-threat-url-no-xff-sample.log', indexes: [0], field: 'rule.name', ours: 'URL-filtering', peer: 'new_outbound_from_trust',
    reason: 'DESIGN.md §2: rule.name is the IDS signature / threat name; the peer puts the firewall security-policy rule there',
  },
  {
    folder: 'fortinet-fortigate', file: 'test-fortinet-fix.log', indexes: [0], field: '@timestamp', ours: '2026-03-17T07:45:09.096Z', peer: '2026-03-31T12:48:26.000Z',
    reason: 'src/decoders/fortigate.ts prefers `eventtime` (epoch, zone-free, FortiOS 6.2+) over `date` + `time` + `tz`; in this synthetic test vector the two disagree by two weeks',
  },
  {
    folder: 'panw-panos', file: 'test-panw-panos-threat-url-no-xff-sample.log', indexes: [0], field: 'event.category',
    ours: ['network'], peer: ['intrusion_detection', 'network', 'threat'],
    reason: 'an informational, allowed URL-filtering entry on an allowlist category is a browsing log, not an intrusion alert: crosswatch does not key correlation on it (event.kind event); the peer files every THREAT-type line as intrusion_detection',
  },
  {
    folder: 'fortinet-fortigate', file: 'test-fortinet-fix.log', indexes: [0], field: 'event.category',
    ours: ['intrusion_detection', 'network'], peer: ['network'],
    reason: 'a FortiGate IPS signature detection is an intrusion-detection alert (ECS event.category intrusion_detection, as the Suricata integration files alerts); the peer only says network',
  },
  {
    folder: 'snort', file: 'test-log-fast.log', indexes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], field: 'event.category',
    ours: ['intrusion_detection', 'network'], peer: ['network'],
    reason: 'Snort alerts are intrusion-detection alerts (ECS event.category intrusion_detection); this peer version (ECS 1.11) only says network',
  },
  {
    folder: 'cef', file: 'test-cef.json', indexes: [0, 1, 2, 3], field: 'decode',
    reason: 'these CEF records carry no time (no rt, end or start, no syslog header): the peer stamps them with ingest time, crosswatch never uses arrival time for event time (DESIGN.md §1) and rejects them as missing-time',
  },
  {
    folder: 'cef', file: 'test-cef.log', indexes: [0, 1, 2, 3], field: 'decode',
    reason: 'the same four CEF lines as raw text: no time in the record, so missing-time rather than ingest time',
  },
];
