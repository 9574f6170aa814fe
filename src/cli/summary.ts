// The summary `hunt` prints on stderr: records per source and format, rejects
// with samples, IPs excluded and why, alerts per rule.
import type { BatchResult } from '../hunt/batch.js';
import { formatOrigin } from '../decoders/types.js';
import { formatDuration } from '../model/time.js';
import type { SkippedInput } from '../inputs/inputs.js';
import { terminalSafe, type Style } from './terminal.js';

function n(x: number): string {
  return x.toLocaleString('en-US');
}

/** Most kinds of non-alert records named in the summary (the rest are summed). */
const MAX_KINDS_SHOWN = 12;

export interface SummaryOptions {
  /** Entries of the input folders that were not read, and why. */
  skipped?: SkippedInput[];
  /** Colours for a terminal (identity when not on one). */
  colour?: (style: Style, s: string) => string;
}

export function huntSummary(r: BatchResult, elapsedMs: number, ruleNames: Map<string, string>, opts: SummaryOptions = {}): string {
  // File names, reject messages and record kinds come from the input: every line is
  // written with its control characters escaped, and coloured (ours) after that.
  const styled: Array<[string[], Style | undefined]> = [];
  const lines = { push: (...texts: string[]) => { styled.push([texts, undefined]); } };
  const pushStyled = (style: Style, text: string): void => { styled.push([[text], style]); };
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
    const sorted = [...c.others.entries()].sort((a, b) => b[1] - a[1]);
    const kinds = sorted.slice(0, MAX_KINDS_SHOWN).map(([k, v]) => `${k} ${n(v)}`);
    const rest = sorted.slice(MAX_KINDS_SHOWN).reduce((t, [, v]) => t + v, 0);
    lines.push(`not alerts, counted and skipped: ${kinds.join(', ')}${rest > 0 ? `, ${n(rest)} of other kinds` : ''}`);
  }
  if (r.fastScan) {
    lines.push(
      `fast scan: ${n(c.totalUnparsed)} records could not be network alerts and were counted without being parsed; ` +
        'of those, only the ones naming an alerted IP were read in full (use --full-scan to parse and check every record)',
    );
    const cap = r.capSample;
    if (cap && cap.alerts > 0) {
      lines.push(
        `shared-infrastructure cap, judged first on a sample (${(cap.bytes / 1e6).toFixed(1)} MB of the sign-in and audit logs): ` +
          `${n(cap.alerts)} network alert(s) of ${n(cap.ips)} address(es) already over it; the rest was read only in the windows of the others ` +
          '(the correlation counts below leave out what was not read)',
      );
    }
  }
  const corr = r.correlation;
  lines.push(
    `correlation: ${n(corr.qualifyingEvents)} successful sign-ins/mail accesses from alerted IPs within a window of their alerts, ` +
      `${n(corr.failedEvents)} failed, ${n(corr.duplicateRecords)} duplicate records counted once, ${n(corr.withoutIp)} without a source IP`,
  );
  if (c.future > 0 && c.futureSample) {
    pushStyled('yellow', `${n(c.future)} record${c.future === 1 ? '' : 's'} dated after the time of reading (first: ${formatOrigin(c.futureSample.origin)}, ${c.futureSample.at}): ${c.future === 1 ? 'it dates' : 'they date'} no year-less stamp`);
  }
  if (opts.skipped && opts.skipped.length > 0) {
    pushStyled('yellow', `skipped inputs: ${n(opts.skipped.length)}`);
    for (const sk of opts.skipped.slice(0, 20)) lines.push(`  ${sk.path}: ${sk.reason}`);
    if (opts.skipped.length > 20) lines.push(`  … and ${n(opts.skipped.length - 20)} more`);
  }
  if (c.rejects.size > 0) {
    const by = [...c.rejects.entries()].map(([k, v]) => `${k} ${n(v)}`).join(', ');
    pushStyled('yellow', `rejected: ${by}`);
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
  const per = r.alertCounts;
  const all = [...per.values()].reduce((a, b) => a + b, 0);
  pushStyled(all > 0 ? 'red' : 'green', `alerts: ${n(all)}`);
  for (const [id, name] of ruleNames) lines.push(`  ${name}: ${n(per.get(id) ?? 0)}`);
  const colour = opts.colour ?? ((_s: Style, t: string) => t);
  const out = styled.map(([texts, style]) => {
    const safe = texts.map((t) => terminalSafe(t, false)).join('\n');
    return style ? colour(style, safe) : safe;
  });
  return `${out.join('\n')}\n`;
}
