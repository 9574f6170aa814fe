// `crosswatch rules validate|test|convert`: Sigma rules as data (docs/rules.md).
// validate checks rules as hunt and serve load them (every problem, file:line);
// test runs each alerting rule's fire and quiet samples through hunt's pipeline
// (rules-test.ts); convert prints each rule as another SIEM's query.
//
// Exit codes (DESIGN.md §4, applied to rule files as the input): 0 valid (a
// rule that hunt or serve does not run yet is a warning, not a mistake); 1 usage
// error, or a sample that does not do what it says (rules test); 2 a rule is
// invalid — the rule files are the input here, and an invalid rule is to them
// what a rejected record is under --strict.
import { BUILTIN, formatProblem, loadRuleSet, type LoadedRules } from '../detect/rules.js';
import { NOT_BY_IP, sourceIpGroupIndex } from '../detect/ip-group.js';
import type { SigmaProblem } from '../sigma/types.js';
import { convertRules, isTarget, TARGETS, type Target } from '../sigma/convert/index.js';
import { terminalSafe } from './terminal.js';
import { EXIT_INPUT, EXIT_OK, EXIT_USAGE, type Io } from './io.js';

/** A rule file or folder given is invalid: exit code 2. */
export const EXIT_INVALID_RULES = EXIT_INPUT;

/** What `rules` loaded from its paths: its problems sorted into mistakes and warnings. */
export interface CheckedRules {
  loaded: LoadedRules;
  /** Problems that are mistakes: the rules they name did not load. */
  invalid: string[];
  /** Valid rules that hunt or serve do not run (yet), or that raise no alerts: why, as `file:line: field: reason`. */
  warnings: string[];
  /** The alerting rules hunt runs, by id: the correlator's (serve's too) and the general Sigma path's. */
  huntRuns: ReadonlySet<string>;
}

/** How `rules` loads: as hunt with --rules and --pipeline. */
export interface CheckOptions {
  /** --pipeline: a processing pipeline applied to the rules first (crosswatch-microsoft). */
  pipeline?: string;
  builtinWindowMs?: number;
}

/** The rules of `paths` (none: the built-ins) as hunt loads them, problems sorted. */
export function checkRules(paths: readonly string[], opts: CheckOptions = {}): CheckedRules {
  const loaded = loadRuleSet({
    paths,
    ...(opts.builtinWindowMs !== undefined ? { builtinWindowMs: opts.builtinWindowMs } : {}),
    ...(opts.pipeline !== undefined ? { pipeline: opts.pipeline } : {}),
  });
  // notRunnable is a subset of problems, the same text: take each out once.
  const left = new Map<string, number>();
  for (const p of loaded.notRunnable) left.set(p, (left.get(p) ?? 0) + 1);
  // Rules none of which raises alerts (informational ones, which the warnings name) are valid Sigma; no rules at all are not.
  const { detections, correlations } = loaded.sigma;
  if (detections.length + correlations.length > 0) {
    const none = formatProblem({ file: (paths.length > 0 ? paths : [BUILTIN]).join(', '), line: 0, message: 'no rules that raise alerts' });
    left.set(none, (left.get(none) ?? 0) + 1);
  }
  const invalid = loaded.problems.filter((p) => {
    const n = left.get(p) ?? 0;
    if (n === 0) return true;
    left.set(p, n - 1);
    return false;
  });
  const huntRuns = new Set([...loaded.rules.map((r) => r.id), ...(loaded.general?.meta.keys() ?? [])]);
  return { loaded, invalid, warnings: [...loaded.notRunnable, ...notRunBy(loaded)], huntRuns };
}

/** Serve's limit (correlations not grouped by source.ip, which it cannot recompute per IP) and informational rules, as warnings. */
function notRunBy(loaded: LoadedRules): string[] {
  const out: SigmaProblem[] = [];
  const { sigma } = loaded;
  const general = loaded.general;
  const ipIndex = general ? sourceIpGroupIndex(general.set) : null;
  for (const rule of sigma.alerting) {
    const at = { file: rule.file, line: rule.line };
    if (rule.level === 'informational') {
      out.push({ ...at, field: 'level', message: `"${rule.id}" is informational, which raises no alerts (Sigma): a correlation may use it` });
      continue;
    }
    if (!general?.meta.has(rule.id) || rule.kind !== 'correlation') continue;
    const resolved = general.set.correlations.find((c) => c.rule.id === rule.id);
    if (resolved && ipIndex!(resolved) !== null) continue;
    out.push({ ...at, field: 'correlation.group-by', message: `"${rule.id}" is not grouped by source.ip in every rule it references: serve does not run it (hunt does); ${NOT_BY_IP}` });
  }
  return out.map(formatProblem);
}

/** `3 rules`, `1 correlation`. */
export function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One problem as a line for a terminal: control characters and newlines escaped. */
export function problemLine(p: string): string {
  return terminalSafe(p, false);
}

export interface RulesValidateFlags {
  pipeline?: string;
}

export function rulesValidateCommand(paths: string[], flags: RulesValidateFlags, io: Io): number {
  const c = checkRules(paths, flags);
  const out: string[] = [];
  for (const p of c.invalid) out.push(problemLine(p));
  for (const p of c.warnings) out.push(`warning: ${problemLine(p)}`);
  const { detections, correlations } = c.loaded.sigma;
  const counts = `${count(detections.length, 'rule')}, ${count(correlations.length, 'correlation')}`;
  if (c.invalid.length > 0) {
    out.push(`${count(c.invalid.length, 'problem')}: the rules named are invalid and do not load (${counts} loaded)`);
    io.stdout.write(`${out.join('\n')}\n`);
    return EXIT_INVALID_RULES;
  }
  const warned = c.warnings.length > 0 ? `; ${count(c.warnings.length, 'warning')} (above)` : '';
  out.push(`${counts}, all valid${warned}`);
  io.stdout.write(`${out.join('\n')}\n`);
  return EXIT_OK;
}

/** A one-line comment in the target's query language. */
export function comment(target: Target, text: string): string {
  const line = terminalSafe(text, false);
  // SPL's comments are ```…``` (Splunk 8.1+); the others' are //.
  return target === 'spl' ? `\`\`\` ${line.replace(/`/g, "'")} \`\`\`` : `// ${line}`;
}

export interface RulesConvertFlags {
  target: string;
  pipeline?: string;
}

export function rulesConvertCommand(paths: string[], flags: RulesConvertFlags, io: Io): number {
  const target = flags.target;
  if (!isTarget(target)) {
    io.stderr.write(`crosswatch: --target: expected one of ${TARGETS.join(', ')}, got ${terminalSafe(JSON.stringify(target))}\n`);
    return EXIT_USAGE;
  }
  const c = checkRules(paths, flags.pipeline !== undefined ? { pipeline: flags.pipeline } : {});
  const blocks: string[] = [];
  for (const { rule, alerting, result } of convertRules(c.loaded.sigma, target)) {
    const what = alerting ? '' : ' (used by a correlation: no alert of its own)';
    const body = 'query' in result ? result.query : result.cannot;
    blocks.push(`${comment(target, `${rule.id}: ${rule.title}${what}`)}\n${terminalSafe(body)}\n`);
  }
  io.stdout.write(blocks.join('\n'));
  if (c.invalid.length > 0) {
    for (const p of c.invalid) io.stderr.write(`crosswatch: ${problemLine(p)}\n`);
    io.stderr.write(`crosswatch: ${count(c.invalid.length, 'problem')} (above): the rules named are invalid and were not converted\n`);
    return EXIT_INVALID_RULES;
  }
  return EXIT_OK;
}
