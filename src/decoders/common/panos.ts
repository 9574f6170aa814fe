// What PAN-OS says about its own logs, for both decoders that read them: the
// syslog CSV (panos.ts) and PAN-OS CEF (cef.ts). Log types, THREAT subtypes,
// severities, which entries are network alerts (isPanosAlert) and the table of
// kinds that docs/formats.md and the tests read (PANOS_ALERT_CLASSES).
import type { AlertClasses } from '../types.js';

/** Log types PAN-OS writes to syslog (the 4th CSV field; the Name or Signature ID of PAN-OS CEF). */
export const PANOS_LOG_TYPES: ReadonlySet<string> = new Set([
  'TRAFFIC', 'THREAT', 'SYSTEM', 'CONFIG', 'HIPMATCH', 'HIP-MATCH', 'USERID', 'GLOBALPROTECT', 'DECRYPTION',
  'AUTHENTICATION', 'CORRELATION', 'GTP', 'IPTAG', 'SCTP', 'START', 'END', 'AUDIT', 'TUNNEL',
]);

/** THREAT subtypes PAN-OS documents ("Threat/Content Type"). */
export const PANOS_THREAT_SUBTYPES: ReadonlySet<string> = new Set([
  'vulnerability', 'spyware', 'virus', 'wildfire-virus', 'ml-virus', 'scan', 'flood', 'packet', 'url', 'file', 'data', 'wildfire',
]);
/** THREAT subtypes that always describe an attack or malware. */
const ALWAYS_ALERT: ReadonlySet<string> = new Set(['vulnerability', 'spyware', 'virus', 'wildfire-virus', 'ml-virus', 'scan', 'flood', 'packet']);
/** THREAT subtypes that never name an attacker: data filtering (DLP) matches the user's own uploads. */
const NEVER_ALERT: ReadonlySet<string> = new Set(['data']);
/** URL categories that are a threat verdict, not a policy topic. */
const THREAT_URL_CATEGORIES = new Set([
  'malware', 'phishing', 'command-and-control', 'grayware', 'ransomware', 'scanning-activity', 'compromised-website',
]);
/** Actions that stopped the request or session. */
export const PANOS_BLOCK_ACTIONS: ReadonlySet<string> = new Set([
  'block-url', 'block-continue', 'block-override', 'override-lockout', 'deny', 'drop', 'drop-icmp', 'reset-client',
  'reset-server', 'reset-both', 'block-ip', 'random-drop', 'sinkhole', 'block',
]);

/** PAN-OS severities as Elastic's panw integration numbers them (1 = most severe, as Suricata and Snort do). */
export const PANOS_SEVERITY: Readonly<Record<string, number>> = {
  critical: 1, high: 2, medium: 3, low: 4, informational: 5,
};

/**
 * Which THREAT entries are network alerts. Attack and malware subtypes always;
 * URL filtering only for a threat category (malware, phishing, C2, …), a blocked
 * request or severity medium and above (an informational URL entry is a browsing
 * log); file, WildFire verdict and other subtypes only at severity medium and
 * above (benign verdicts and file-type logs are informational or low); data
 * filtering never (DLP flags our own users, not an attacker).
 */
export function isPanosAlert(subtype: string, severity: number | undefined, action: string | undefined, category: string | undefined): boolean {
  if (ALWAYS_ALERT.has(subtype)) return true;
  if (NEVER_ALERT.has(subtype)) return false;
  const atLeastMedium = severity !== undefined && severity <= 3;
  if (subtype === 'url') {
    const threatCategory = (category ?? '').toLowerCase().split(',').some((c) => THREAT_URL_CATEGORIES.has(c.trim()));
    return atLeastMedium || threatCategory || (action !== undefined && PANOS_BLOCK_ACTIONS.has(action));
  }
  return atLeastMedium;
}

/**
 * crosswatch.category of a PAN-OS entry: "THREAT/<subtype>" for THREAT entries
 * (alerts or not: the subtype is their kind), else the log type alone
 * ("TRAFFIC", "GLOBALPROTECT", "HIPMATCH", …), the kind the run summary counts.
 */
export function panosCategory(type: string, subtype: string): string {
  return type === 'THREAT' && subtype !== '' ? `THREAT/${subtype}` : type;
}

/**
 * The kinds isPanosAlert and the log types decide by: THREAT entries of the attack
 * and malware subtypes always; url, file, wildfire and any other THREAT subtype by
 * the rule above; data filtering and every other log type never.
 */
export const PANOS_ALERT_CLASSES: AlertClasses = {
  alerts: [...ALWAYS_ALERT].map((s) => panosCategory('THREAT', s)),
  byRule: [
    ...[...PANOS_THREAT_SUBTYPES].filter((s) => !ALWAYS_ALERT.has(s) && !NEVER_ALERT.has(s)).map((s) => panosCategory('THREAT', s)),
    'THREAT',
  ],
  notAlerts: [...[...NEVER_ALERT].map((s) => panosCategory('THREAT', s)), ...[...PANOS_LOG_TYPES].filter((t) => t !== 'THREAT')],
  otherwise: 'not-alert',
};
