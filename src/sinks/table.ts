// The readable table `hunt` prints on a terminal: one row per alert, with the
// first network alert, the first qualifying event and the delay between them.
import Table from 'cli-table3';
import type { AlertDocument } from '../alerts/document.js';
import { formatDuration } from '../events/time.js';

/** Terminal text from attacker-controlled fields: no control characters, bounded. */
export function printable(s: string | undefined, max = 60): string {
  if (!s) return '';
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function alertsTable(alerts: AlertDocument[]): string {
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
      a.source.ip,
      users,
      na ? `${na['@timestamp']}\n${printable(na.signature, 50)}` : a.event.start,
      qe ? `${qe['@timestamp']}\n${printable(qe.app ?? qe.action ?? qe.category, 50)}` : '',
      formatDuration(a.crosswatch.delay_ms),
      `${ev.network_alert_count} alert(s)\n${ev.event_count} event(s)`,
    ]);
  }
  return `${table.toString()}\n`;
}
