// The user-written Sigma rules the hunt, explain and serve tests of the general
// Sigma path share (bench/sigma-rules/, one file each: a single-event detection,
// an event_count chained into a temporal_ordered, a value_count, a scan-only
// temporal_ordered), and the records they are tried on: the rule samples'
// Entra sign-in and Suricata alert, re-addressed and re-timed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES_DIR } from '../src/detect/rules.js';

export const SIGMA_RULES_DIR = fileURLToPath(new URL('../bench/sigma-rules/', import.meta.url));

/** The rule files, by name: their texts. */
export const RULES: Record<string, string> = Object.fromEntries(
  readdirSync(SIGMA_RULES_DIR).filter((f) => f.endsWith('.yml')).sort().map((f) => [f, readFileSync(join(SIGMA_RULES_DIR, f), 'utf8')]),
);

const SCENARIO = join(RULES_DIR, 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
export const T0 = Date.parse('2026-03-02T10:00:00Z');
const M = 60_000;
/** T0 + `min` minutes, ISO. */
export const iso = (min: number): string => new Date(T0 + min * M).toISOString();

let n = 0;
/** An Entra diagnostic sign-in (the sample's record) from `ip` at T0 + `min` minutes. */
export function signin(ip: string, min: number, o: { user?: string; ok?: boolean; ua?: string; id?: string } = {}): string {
  const s = JSON.parse(readFileSync(join(SCENARIO, 'signins.json'), 'utf8')) as { callerIpAddress: string; resultType: string; properties: Record<string, unknown> };
  s.callerIpAddress = ip;
  s.resultType = o.ok === false ? '50126' : '0';
  Object.assign(s.properties, {
    ipAddress: ip, id: o.id ?? `rec-${n++}`, createdDateTime: iso(min), userPrincipalName: o.user ?? 'megan.bowen@contoso.com',
    status: o.ok === false ? { errorCode: 50126, failureReason: 'Invalid username or password.' } : { errorCode: 0 },
    ...(o.ua ? { userAgent: o.ua } : {}),
  });
  return JSON.stringify(s);
}

/** The sample's Suricata alert from `ip` at T0 + `min`, with its signature. */
export function alert(ip: string, min: number, signature: string): string {
  const e = JSON.parse(readFileSync(join(SCENARIO, 'eve.json'), 'utf8')) as { src_ip: string; timestamp: string; alert: { signature: string } };
  e.src_ip = ip;
  e.timestamp = iso(min).replace('Z', '+0000');
  e.alert.signature = signature;
  return JSON.stringify(e);
}
