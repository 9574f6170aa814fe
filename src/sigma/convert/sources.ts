// A Sigma log source → the tables a target keeps it in (one or more: crosswatch's
// sign-ins are Entra's sign-in records and M365's UserLoggedIn records alike).
// The log sources are crosswatch's own (src/detect/logsource.ts): `product: azure,
// service: signinlogs`; `product: m365` with `service: audit` (every unified audit
// record) or `exchange`; `category: ids` (network alerts), optionally with the
// product of its sensor.
import type { LogSource } from '../types.js';
import { cannot } from './escape.js';
import { elasticSources } from './fields-elastic.js';
import { kqlSources } from './fields-kql.js';
import { splSources } from './fields-spl.js';
import type { Family, Source } from './fields.js';

function keyOf(ls: LogSource): { key: string; product?: string } | null {
  const { product, service, category } = ls;
  if (category !== undefined) {
    if (category !== 'ids' || service !== undefined) return null;
    return product === undefined ? { key: 'ids' } : { key: 'ids', product };
  }
  if (product === 'azure' && service === 'signinlogs') return { key: 'signin' };
  if (product === 'm365' && (service === 'audit' || service === undefined)) return { key: 'm365' };
  if (product === 'm365' && service === 'exchange') return { key: 'exchange' };
  return null;
}

export function describe(ls: LogSource): string {
  return Object.entries(ls).filter(([, v]) => v !== undefined).map(([key, v]) => `${key}: ${String(v)}`).join(', ') || '(none)';
}

// Sentinel reads network alerts from ASIM (fields-kql.ts), which has none of one sensor's.
const SENTINEL_NO_SENSOR = 'ASIM holds no threat rows of this sensor: its PAN-OS and FortiGate parsers read traffic logs only, its Zeek parser '
  + 'connection logs only, and Suricata, Snort and CEF as such have none; `category: ids` alone reads every ASIM threat row';

const NAMES: Record<Family, string> = { elastic: 'Elastic data stream', sentinel: 'Sentinel table', splunk: 'Splunk source' };

/** The target's tables for a log source; refuses a log source it keeps nowhere. */
export function sourcesFor(family: Family, ls: LogSource): Source[] {
  const which = keyOf(ls);
  const found = which === null ? null
    : family === 'elastic' ? elasticSources(which.key, which.product)
      : family === 'sentinel' ? kqlSources(which.key, which.product)
        : splSources(which.key, which.product);
  if (found === null) {
    const why = family === 'sentinel' && which?.key === 'ids' ? ` (${SENTINEL_NO_SENSOR})` : '';
    return cannot(`log source ${describe(ls)} has no ${NAMES[family]}${why}`);
  }
  return found;
}
