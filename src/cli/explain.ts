// `crosswatch explain IP PATHS...`: why each rule did or did not fire for one
// source IP (issue #17 item 8). Reads PATHS as hunt does (files, folders, .gz, -
// for stdin; the same decoders through the one decode loop), with hunt's
// settings (--rules, --window, --allow, --max-users-per-ip, --config), keeps the
// events of that IP and prints detect/explain.ts's explanation: per rule, fired
// or not and why, the network alerts and sign-ins / mail accesses with what
// became of each; and per rule of hunt's general Sigma path (single-event
// detections, event_count, value_count, temporal, chains) what it matched and,
// for a correlation, its best window against the condition. Text from records
// (signatures, user agents, users) is escaped for the terminal; --format json
// prints the explanation as data.
import { explainIp, InvalidIpError, type EventVerdict, type IpExplanation, type RuleExplanation } from '../detect/explain.js';
import type { CorrelationRuleExplanation, DetectionSide, GeneralEvent, GeneralRuleExplanation } from '../detect/explain-general.js';
import type { DecodedEvent } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatOrigin } from '../decoders/types.js';
import { frameFile } from '../inputs/framing.js';
import { expandInputs } from '../inputs/inputs.js';
import { decodeFramed } from '../pipeline/decode.js';
import { loadDetections, loadSettings, type SettingsFlags } from './options.js';
import { terminalSafe } from './terminal.js';
import { EXIT_INPUT, EXIT_OK, type Io } from './io.js';

export interface ExplainFlags extends SettingsFlags {
  format?: 'text' | 'json';
}

const VERDICT_LABEL: Record<EventVerdict, string> = {
  matched: 'matched',
  failed: 'failed',
  duplicate: 'duplicate',
  'not-matching': 'not taken',
  excluded: 'excluded',
  'no-alert': 'no alert',
  'wrong-order': 'wrong order',
  'outside-window': 'outside window',
  capped: 'capped',
};

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
const quoted = (s: string): string => `"${s}"`;

function ruleText(r: RuleExplanation, excluded: IpExplanation['excluded']): string[] {
  const out: string[] = [];
  const nouns = r.role === 'signin' ? ['sign-in', 'sign-ins'] as const : ['mail access', 'mail accesses'] as const;
  out.push(`${r.name} (${r.id}, window ${r.window}): ${r.fired ? 'FIRED' : 'not fired'}`);
  if (r.fired) {
    for (const e of r.episodes) {
      out.push(`  episode ${e.id}: ${e.start} to ${e.end}, ${plural(e.networkAlerts.length, 'network alert', 'network alerts')}, ` +
        `${plural(e.events, nouns[0], nouns[1])}, users ${e.users.join(', ') || '(none named)'}`);
    }
  } else {
    out.push(`  ${r.summary}`);
    for (const more of r.reasons.slice(1)) out.push(`  also: ${more}`);
  }
  const base = r.baseRules;
  out.push(`  network alerts${base ? ` (first base rule ${base.anchor})` : ''}: ${r.alerts.length + r.alertsOmitted}`);
  for (const a of r.alerts) {
    const what = [a.at, a.signature !== undefined ? quoted(a.signature) : undefined, a.sensor, `(${a.dataset}${a.id !== undefined ? ` ${a.id}` : ''})`].filter(Boolean).join(' ');
    const how = a.anchor
      ? excluded
        ? `set aside: the IP is ${excluded.reason === 'allowlist' ? 'allowlisted' : 'special-purpose'} (${excluded.range})`
        : a.window!.capped
        ? `dropped: ${a.window!.reason}`
        : `anchor; in its window (to ${a.window!.end}) ${plural(a.window!.users, 'user', 'users')} with ${plural(a.window!.events, 'successful sign-in or mail access', 'successful sign-ins and mail accesses')}`
      : `not an anchor: ${a.miss}`;
    out.push(`    ${a.anchor && !a.window!.capped && !excluded ? '+' : '-'} ${what}: ${how}${a.where ? ` [${a.where}]` : ''}`);
  }
  if (r.alertsOmitted > 0) out.push(`    … and ${r.alertsOmitted} more`);
  const total = r.events.length + r.eventsOmitted;
  const tally = Object.entries(r.verdicts).map(([v, n]) => `${n} ${VERDICT_LABEL[v as EventVerdict]}`).join(', ');
  out.push(`  ${nouns[1]}${base ? ` (second base rule ${base.qualifying})` : ''}: ${total}${total > 0 ? ` (${tally})` : ''}`);
  for (const e of r.events) {
    const who = [e.user, e.app, e.client, e.userAgent !== undefined ? `user agent ${quoted(e.userAgent)}` : undefined].filter(Boolean).join(', ');
    // The reasons of the other verdicts begin with what they are ("wrong order: …", "failed sign-in …").
    const label = e.verdict === 'matched' || e.verdict === 'capped' ? `${e.verdict}: ` : '';
    out.push(`    ${e.verdict === 'matched' ? '+' : '-'} ${e.at}${who ? ` ${who}` : ''}: ${label}${e.reason}${e.episode ? ` (episode ${e.episode})` : ''}${e.where ? ` [${e.where}]` : ''}`);
  }
  if (r.eventsOmitted > 0) out.push(`    … and ${r.eventsOmitted} more (the counts above are complete)`);
  return out;
}

/** A record as a general rule's listing shows it: time, then user, action, outcome, signature, user agent. */
function generalEventText(e: GeneralEvent): string {
  const what = [e.user, e.action, e.outcome, e.signature !== undefined ? quoted(e.signature) : undefined, e.userAgent !== undefined ? `user agent ${quoted(e.userAgent)}` : undefined]
    .filter(Boolean).join(', ');
  return `${e.at}${what ? ` ${what}` : ''}`;
}

/** A detection's records: those it takes (+), and when it takes none (or always, for a single-event rule) a sample of those it does not (-) with why. */
function sideText(side: DetectionSide, pad: string, misses: boolean): string[] {
  const out: string[] = [];
  for (const e of side.matched) out.push(`${pad}+ ${generalEventText(e)}${e.alert !== undefined ? `: alert ${e.alert}` : ''}${e.where ? ` [${e.where}]` : ''}`);
  if (side.matchedOmitted > 0) out.push(`${pad}… and ${side.matchedOmitted} more`);
  if (misses && side.notMatched.count > 0) {
    out.push(`${pad}not taken: ${plural(side.notMatched.count, 'record', 'records')} of its log source${side.notMatched.count > side.notMatched.sample.length ? `, the first ${side.notMatched.sample.length}` : ''}`);
    for (const e of side.notMatched.sample) out.push(`${pad}- ${generalEventText(e)}: ${e.miss}${e.where ? ` [${e.where}]` : ''}`);
  }
  if (side.outsideLogSource > 0) out.push(`${pad}outside its log source: ${plural(side.outsideLogSource, 'record', 'records')}`);
  return out;
}

const groupName = (group: Record<string, string>): string => Object.entries(group).map(([k, v]) => `${k} ${v}`).join(', ');

/** A correlation: verdict and reasons, episodes, the groups not said yet, then each referenced rule (an inner correlation the same way, nested). */
function correlationText(c: CorrelationRuleExplanation, pad: string, head: string, p = `${pad}  `): string[] {
  const status = c.fired === null ? 'explain by IP does not apply' : c.alerting ? (c.fired ? 'FIRED' : 'not fired') : c.fired ? 'held' : 'never held';
  const out = [`${pad}${head}${c.name} (${c.id}, ${c.shape}, group-by ${c.groupBy.join(', ') || 'none'}, timespan ${c.timespan}, condition ${c.condition}): ${status}`];
  out.push(`${p}${c.summary}`);
  for (const more of c.reasons.slice(1)) out.push(`${p}also: ${more}`);
  for (const e of c.episodes) out.push(`${p}episode ${e.id}: ${e.start} to ${e.end} (${groupName(e.group)})`);
  // (A group whose verdict the lines above give is not said again.)
  for (const g of c.groups) if (![c.summary, ...c.reasons].some((r) => r.includes(g.verdict))) out.push(`${p}group ${groupName(g.group)}: ${g.verdict}`);
  if (c.groupsOmitted > 0) out.push(`${p}… and ${c.groupsOmitted} more groups`);
  c.inputs.forEach((x, i) => {
    const n = `${i + 1}. `;
    if (x.kind === 'correlation') {
      out.push(...correlationText(x.inner, p, `${n}${x.ref}: `, `${p}   `));
      return;
    }
    const extra = [x.excluded ? 'dropped: engine policy' : '', x.ungrouped > 0 ? `${x.ungrouped} without the group-by fields` : ''].filter(Boolean).join('; ');
    out.push(`${p}${n}${x.ref} (${x.id}, ${x.logsource}): ${plural(x.matchedCount, 'record', 'records')}${extra ? ` (${extra})` : ''}`);
    out.push(...sideText(x, `${p}   `, x.matchedCount === 0));
  });
  return out;
}

function generalText(g: GeneralRuleExplanation): string[] {
  if (g.kind === 'not-run') return [`${g.name} (${g.id}): ${g.summary}`];
  if (g.kind === 'correlation') return correlationText(g, '', '');
  const out = [`${g.name} (${g.id}, single-event detection, ${g.logsource}): ${g.fired ? 'FIRED' : 'not fired'}`, `  ${g.summary}`];
  for (const more of g.reasons.slice(1)) out.push(`  also: ${more}`);
  out.push(`  matched: ${g.matchedCount}`);
  out.push(...sideText(g, '    ', true));
  return out;
}

/** The explanation for people: one block per rule. Every line terminal-safe. */
export function explanationText(x: IpExplanation): string {
  const c = x.counts;
  const lines: string[] = [
    `${x.ip}: ${plural(c.networkAlerts, 'network alert', 'network alerts')}, ${plural(c.signins, 'sign-in', 'sign-ins')}, ` +
    `${plural(c.mailAccesses, 'mail access', 'mail accesses')}${c.other > 0 ? `, ${c.other} other` : ''}` +
    `${c.duplicateAlerts + c.duplicateEvents > 0 ? ` (${c.duplicateAlerts + c.duplicateEvents} duplicate record(s) counted once)` : ''}; ` +
    `maxUsersPerIp ${x.settings.maxUsersPerIp}${x.settings.maxEventsPerIp !== null ? `, maxEventsPerIp ${x.settings.maxEventsPerIp}` : ''}, ` +
    `allowlist ${x.settings.allow.length > 0 ? x.settings.allow.join(',') : 'none'}`,
  ];
  if (x.excluded) lines.push(x.excluded.message);
  for (const r of x.rules) lines.push('', ...ruleText(r, x.excluded));
  for (const g of x.general ?? []) lines.push('', ...generalText(g));
  return `${lines.map((l) => terminalSafe(l, false)).join('\n')}\n`;
}

export async function explainCommand(ipText: string, paths: string[], flags: ExplainFlags, io: Io): Promise<number> {
  // The IP first: a typo is said at once, not after reading everything.
  const ip = canonicalIp(ipText);
  if (ip === null) {
    io.stderr.write(`crosswatch: explain: ${terminalSafe(new InvalidIpError(ipText).message, false)}\n`);
    return EXIT_INPUT;
  }
  const settings = loadSettings(flags);
  const { rules, general } = loadDetections(flags, settings, (line) => io.stderr.write(`crosswatch: ${terminalSafe(line, false)}\n`));
  const inputs = await expandInputs(paths, io.stdin);
  const events: DecodedEvent[] = [];
  const where = new Map<DecodedEvent, string>();
  let records = 0;
  let rejected = 0;
  let damaged = 0;
  try {
    for (const f of inputs.files) {
      for await (const batch of frameFile(f.path, f.display)) {
        decodeFramed(batch, { ctx: settings.decode }, {
          problem: (item) => {
            if (item.reason === 'invalid-compression') {
              damaged++;
              io.stderr.write(`${terminalSafe(`crosswatch: ${formatOrigin(item.origin)}: invalid-compression: ${item.message}`, false)}\n`);
            } else if (item.reason !== 'binary-file' && item.reason !== 'empty-file') {
              records++;
              rejected++;
            }
          },
          decoded: ({ result }, item) => {
            records++;
            if (!result.ok) {
              rejected++;
              return;
            }
            if (result.event.event.source?.ip !== ip) return;
            events.push(result.event);
            where.set(result.event, formatOrigin(item.origin));
          },
        });
      }
    }
  } finally {
    await inputs.cleanup();
  }
  const x = explainIp(ip, events, rules, settings.config, { where: (d) => where.get(d), general });
  io.stdout.write(flags.format === 'json' ? `${JSON.stringify(x, null, 2)}\n` : explanationText(x));
  for (const sk of inputs.skipped) io.stderr.write(`${terminalSafe(`crosswatch: skipped ${sk.path}: ${sk.reason}`, false)}\n`);
  io.stderr.write(`crosswatch explain: ${records} records, ${rejected} rejected, ${events.length} event(s) from ${ip}\n`);
  if (damaged > 0) {
    io.stderr.write(`crosswatch: ${damaged} compressed input(s) damaged; read up to the damage (see above)\n`);
    return EXIT_INPUT;
  }
  return EXIT_OK;
}
