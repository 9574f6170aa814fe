// The summary `hunt` prints on stderr: records per source and format, rejects
// with samples, IPs excluded and why, alerts per rule.
import type { BatchResult } from '../pipeline/batch.js';
import { formatOrigin } from '../decoders/types.js';
import { formatDuration } from '../events/time.js';

function n(x: number): string {
  return x.toLocaleString('en-US');
}

export function huntSummary(r: BatchResult, elapsedMs: number, ruleNames: Map<string, string>): string {
  const lines: string[] = [];
  const c = r.counters;
  const mb = r.bytes / 1e6;
  lines.push(
    `crosswatch hunt: ${n(c.totalRecords)} records from ${n(r.files)} file(s), ${mb.toFixed(1)} MB in ${formatDuration(elapsedMs)}` +
      `${r.threads > 1 ? ` on ${r.threads} threads` : ''}` +
      (elapsedMs > 0 ? ` (${n(Math.round((c.totalRecords * 1000) / elapsedMs))} records/s)` : ''),
  );
  lines.push('sources:');
  for (const [name, s] of c.sources) {
    const dec = Object.entries(s.byDecoder).map(([d, k]) => `${d} ${n(k)}`).join(', ');
    lines.push(`  ${name} [${s.format}]: ${n(s.records)} records${s.rejected ? `, ${n(s.rejected)} rejected` : ''}${dec ? ` (${dec}${s.unparsed ? `, ${n(s.unparsed)} not parsed` : ''})` : s.unparsed ? ` (${n(s.unparsed)} not parsed)` : ''}`);
  }
  lines.push(
    `events: ${n(c.roles.network_alert)} network alerts, ${n(c.roles.signin)} sign-ins, ${n(c.roles.mail_access)} mail accesses, ${n(c.roles.other)} other`,
  );
  if (c.others.size > 0) {
    // Read and counted, not errors: the log types that are not security alerts (docs/formats.md lists them per vendor).
    const kinds = [...c.others.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`);
    lines.push(`not alerts, counted and skipped: ${kinds.join(', ')}`);
  }
  if (r.fastScan) {
    lines.push(
      `fast scan: ${n(c.totalUnparsed)} records could not be network alerts and were counted without being parsed; ` +
        'of those, only the ones naming an alerted IP were read in full (use --full-scan to parse and check every record)',
    );
  }
  const corr = r.correlation;
  lines.push(
    `correlation: ${n(corr.qualifyingEvents)} successful sign-ins/mail accesses from alerted IPs within a window of their alerts, ` +
      `${n(corr.failedEvents)} failed, ${n(corr.duplicateRecords)} duplicate records counted once, ${n(corr.withoutIp)} without a source IP`,
  );
  if (c.rejects.size > 0) {
    const by = [...c.rejects.entries()].map(([k, v]) => `${k} ${n(v)}`).join(', ');
    lines.push(`rejected: ${by}`);
    for (const s of c.rejectSamples) lines.push(`  ${formatOrigin(s.origin)}: ${s.reason}: ${s.message}`);
  }
  const ex = corr.excludedIps;
  const exTotal = ex['special-purpose'] + ex.allowlist + ex['shared-infrastructure'];
  if (exTotal > 0) {
    lines.push('alerted IPs excluded:');
    for (const reason of ['special-purpose', 'allowlist', 'shared-infrastructure'] as const) {
      if (ex[reason] === 0) continue;
      const why = reason === 'special-purpose' ? 'IANA special-purpose range' : reason === 'allowlist' ? 'in the allowlist' : 'shared infrastructure (too many distinct users)';
      lines.push(`  ${n(ex[reason])} ${why}: ${corr.excludedSamples[reason].join(', ')}${ex[reason] > corr.excludedSamples[reason].length ? ', …' : ''}`);
    }
  }
  const per = new Map<string, number>();
  for (const a of r.alerts) per.set(a.rule.id, (per.get(a.rule.id) ?? 0) + 1);
  lines.push(`alerts: ${n(r.alerts.length)}`);
  for (const [id, name] of ruleNames) lines.push(`  ${name}: ${n(per.get(id) ?? 0)}`);
  return `${lines.join('\n')}\n`;
}
