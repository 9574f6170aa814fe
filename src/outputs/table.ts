// The readable table `hunt` prints on a terminal: one row per alert, with the
// first network alert, the first qualifying event (and what an analyst asks first
// about it: MFA, conditional access, risk, location) and the delay between them.
import Table from 'cli-table3';
import type { SigmaAlertDocument, AlertDocument, EvidenceEvent } from '../model/alert.js';
import { formatDuration } from '../model/time.js';

/** Terminal text from attacker-controlled fields: no control characters, bounded. */
export function printable(s: string | undefined, max = 60): string {
  if (!s) return '';
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

const REQUIREMENT: Record<string, string> = { singleFactorAuthentication: 'single-factor', multiFactorAuthentication: 'multi-factor' };

/** The first qualifying event in a few short lines: time, app and client, MFA, CA and risk, place. */
export function eventLines(e: EvidenceEvent): string[] {
  const lines = [e['@timestamp']];
  const app = e.app ?? e.app_id ?? e.action ?? e.category;
  const appLine = [printable(app, 50), e.client ? `(${printable(e.client, 40)})` : ''].filter(Boolean).join(' ');
  if (appLine) lines.push(appLine);
  const auth = e.authentication;
  if (auth?.requirement !== undefined || auth?.methods !== undefined) {
    const req = auth.requirement !== undefined ? (REQUIREMENT[auth.requirement] ?? auth.requirement) : '';
    lines.push(printable(`MFA: ${[req, auth.methods?.join(', ')].filter(Boolean).join('; ')}`, 60));
  }
  const ca = e.conditional_access_status !== undefined ? `CA ${e.conditional_access_status}` : undefined;
  const risk = e.risk?.level_during_signin !== undefined || e.risk?.state !== undefined
    ? `risk ${e.risk.level_during_signin ?? '?'}/${e.risk.state ?? '?'}` : undefined;
  if (ca !== undefined || risk !== undefined) lines.push(printable([ca, risk].filter(Boolean).join(' · '), 60));
  const loc = e.location;
  if (loc) lines.push(printable([loc.city, loc.region, loc.country].filter(Boolean).join(', '), 60));
  return lines;
}

export function alertsTable(alerts: readonly (AlertDocument | SigmaAlertDocument)[]): string {
  if (alerts.length === 0) return 'No alerts.\n';
  const table = new Table({
    head: ['rule', 'source IP', 'users', 'first network alert', 'first qualifying event', 'delay', 'events'],
    style: { head: [], border: [] },
    wordWrap: true,
  });
  for (const a of alerts) {
    const ev = a.crosswatch.evidence;
    const na = ev.network_alerts[0];
    const qe = ev.events[0];
    const users = a.user.name.length > 3 ? `${a.user.name.slice(0, 3).map((u) => printable(u, 40)).join('\n')}\n+${a.user.name.length - 3} more` : a.user.name.map((u) => printable(u, 40)).join('\n');
    table.push([
      printable(a.rule.name, 48),
      // A general Sigma rule grouped by something else: its group values.
      a.source?.ip ?? Object.entries(a.crosswatch.group ?? {}).map(([k, v]) => printable(`${k} ${v}`, 48)).join('\n'),
      users,
      na ? `${na['@timestamp']}\n${printable(na.signature, 50)}` : a.event.start,
      qe ? eventLines(qe).join('\n') : '',
      formatDuration(a.crosswatch.delay_ms),
      `${ev.network_alert_count} alert(s)\n${ev.event_count} event(s)`,
    ]);
  }
  return `${table.toString()}\n`;
}
