// `crosswatch rules test [PATH...]`: rule tests as data. Each alerting rule's
// samples live beside it, in samples/<rule id>/fire/<scenario>/ (raw log files
// that must raise at least one alert of the rule) and quiet/<scenario>/ (none of
// it); each scenario runs through hunt's own pipeline (runBatch, the loaded
// rules, hunt's settings, one thread). A scenario with a rejected record fails:
// a quiet sample that decodes to nothing proves nothing.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import Table from 'cli-table3';
import { BUILTIN, RULES_DIR, type LoadedRules } from '../detect/rules.js';
import { runBatch } from '../hunt/batch.js';
import { expandInputs, UnreadableInput } from '../inputs/inputs.js';
import { formatOrigin } from '../decoders/types.js';
import type { SigmaAlertDocument } from '../model/alert.js';
import { loadSettings, type Settings } from './options.js';
import { checkRules, count, EXIT_INVALID_RULES, problemLine } from './rules.js';
import { terminalSafe } from './terminal.js';
import { EXIT_OK, type Io } from './io.js';

/** A sample that does not do what it says: exit code 1 (a failed test, as test runners exit). */
export const EXIT_SAMPLES_FAILED = 1;

export interface RulesTestFlags {
  config?: string;
  pipeline?: string;
  format?: 'table' | 'text';
}

type Kind = 'fire' | 'quiet';
const KINDS: readonly Kind[] = ['fire', 'quiet'];

interface Scenario { kind: Kind; name: string; path: string }
/** A sample that failed: <rule id>/<fire|quiet>/<scenario>, as its folder under samples/. */
interface Failure { sample: string; why: string }

interface RuleRow {
  id: string;
  /** tested: samples ran; none: no samples; not-run: hunt does not run the rule. */
  state: 'tested' | 'none' | 'not-run';
  passed: Record<Kind, number>;
  total: Record<Kind, number>;
}

/**
 * samples/<id>/ of a rule: beside its file, or in a folder above it up to the
 * folder it was loaded from (`rules test my-rules/` finds my-rules/samples/
 * for my-rules/cloud/x.yml).
 */
export function samplesDir(ruleFile: string, id: string, roots: readonly string[]): string | null {
  // An id is a folder name here: one that would leave samples/ has none.
  if (id === '' || id === '.' || id === '..' || /[/\\\0]/.test(id)) return null;
  const top = roots.map((r) => resolve(r));
  for (let dir = dirname(resolve(ruleFile)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'samples', id);
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return candidate;
    // Up only while still inside a folder that was given.
    if (!top.some((r) => dir.startsWith(r + sep)) || dirname(dir) === dir) return null;
  }
}

/** The scenarios of samples/<id>/: each entry of fire/ and quiet/ (a folder of log files, or one file). */
function scenarios(dir: string): Scenario[] {
  const out: Scenario[] = [];
  for (const kind of KINDS) {
    let names: string[];
    try {
      names = readdirSync(join(dir, kind)).filter((n) => !n.startsWith('.')).sort();
    } catch {
      continue;
    }
    for (const name of names) out.push({ kind, name, path: join(dir, kind, name) });
  }
  return out;
}

/** What an alert is about: its source IP, or a correlation's group-by values. */
function about(a: SigmaAlertDocument): string {
  if (a.source) return a.source.ip;
  const group = Object.entries(a.crosswatch.group ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  return group || a.event.start;
}

/** A few alerts in a line: rule id and what each is about. */
function describe(alerts: readonly SigmaAlertDocument[], withRule: boolean): string {
  const shown = alerts.slice(0, 3).map((a) => (withRule ? `${a.rule.id} for ${about(a)}` : about(a)));
  if (alerts.length > 3) shown.push(`${alerts.length - 3} more`);
  return shown.join(', ');
}

/** Runs one scenario; null when it passed, else why not. */
async function runScenario(s: Scenario, id: string, loaded: LoadedRules, settings: Settings): Promise<string | null> {
  let inputs;
  try {
    inputs = await expandInputs([s.path]);
  } catch (err) {
    if (err instanceof UnreadableInput) return `cannot read: ${err.message}`;
    throw err;
  }
  try {
    if (inputs.files.length === 0) return 'no log files in it';
    const res = await runBatch(inputs.files, { config: settings.config, rules: loaded.rules, general: loaded.general, decode: settings.decode, threads: 1 });
    const rejected = res.counters.totalRejected;
    if (rejected > 0) {
      const first = res.counters.rejectSamples[0];
      return `${count(rejected, 'record')} rejected${first ? ` (first: ${formatOrigin(first.origin)}: ${first.message})` : ''}: a sample must decode`;
    }
    const alerts: SigmaAlertDocument[] = [...res.alerts, ...res.sigmaAlerts];
    const mine = alerts.filter((a) => a.rule.id === id);
    if (s.kind === 'fire') {
      if (mine.length > 0) return null;
      const others = alerts.filter((a) => a.rule.id !== id);
      return `raised no alert of this rule; ${others.length > 0 ? `raised instead: ${describe(others, true)}` : 'nothing fired'}`;
    }
    return mine.length === 0 ? null : `raised ${count(mine.length, 'alert')} of this rule: for ${describe(mine, false)}`;
  } catch (err) {
    if (err instanceof UnreadableInput) return `cannot read: ${err.message}`;
    throw err;
  } finally {
    await inputs.cleanup();
  }
}

export async function rulesTestCommand(paths: string[], flags: RulesTestFlags, io: Io): Promise<number> {
  const settings = loadSettings(flags);
  // As hunt: the paths given, else the config file's rules:, else the built-ins; --pipeline over the file's pipeline:.
  const given = paths.length > 0 ? paths : settings.rules ?? [];
  const pipeline = flags.pipeline ?? settings.pipeline;
  const roots = (given.length > 0 ? given : [BUILTIN]).map((p) => (p === BUILTIN ? RULES_DIR : p));
  const c = checkRules(given, { builtinWindowMs: settings.config.windowMs, ...(pipeline !== undefined ? { pipeline } : {}) });
  const { rules, sigma } = c.loaded;
  // As hunt: state is kept for the longest window of the correlator's rules.
  if (rules.length > 0) settings.config.windowMs = rules.reduce((m, r) => Math.max(m, r.correlation.windowMs), 0);

  const rows: RuleRow[] = [];
  const failures: Failure[] = [];
  const notes: string[] = [];
  // The rules that raise alerts: not those of level informational (Sigma: no alerts from them).
  for (const rule of sigma.alerting.filter((r) => r.level !== 'informational')) {
    const row: RuleRow = { id: rule.id, state: 'tested', passed: { fire: 0, quiet: 0 }, total: { fire: 0, quiet: 0 } };
    rows.push(row);
    if (!c.huntRuns.has(rule.id)) {
      row.state = 'not-run';
      continue;
    }
    const dir = samplesDir(rule.file, rule.id, roots);
    const list = dir ? scenarios(dir) : [];
    if (list.length === 0) {
      row.state = 'none';
      notes.push(`${rule.id}: no samples (add samples/${rule.id}/fire/<scenario>/ and quiet/<scenario>/ beside its file)`);
      continue;
    }
    for (const s of list) {
      row.total[s.kind]++;
      const why = await runScenario(s, rule.id, c.loaded, settings);
      if (why === null) row.passed[s.kind]++;
      else failures.push({ sample: `${rule.id}/${s.kind}/${s.name}`, why });
    }
    for (const kind of KINDS) if (row.total[kind] === 0) notes.push(`${rule.id}: no ${kind} samples`);
  }
  // Why a rule is not run (the loader's words).
  for (const p of c.loaded.notRunnable) notes.push(`not run by hunt: ${p}`);

  const format = flags.format ?? (io.stdout.isTTY ? 'table' : 'text');
  const out: string[] = [rows.length > 0 ? resultTable(rows, format) : 'No rules that raise alerts.'];
  if (failures.length > 0) out.push('failed:', ...failures.map((f) => `  ${safe(f.sample)}: ${safe(f.why)}`));
  if (notes.length > 0) out.push('not tested:', ...notes.map((n) => `  ${safe(n)}`));
  out.push(summary(rows, failures.length));
  io.stdout.write(`${out.join('\n')}\n`);

  if (c.invalid.length > 0) {
    for (const p of c.invalid) io.stderr.write(`crosswatch: ${problemLine(p)}\n`);
    io.stderr.write(`crosswatch: ${count(c.invalid.length, 'problem')} (above): the rules named are invalid and were not tested\n`);
    return EXIT_INVALID_RULES;
  }
  return failures.length > 0 ? EXIT_SAMPLES_FAILED : EXIT_OK;
}

function safe(s: string): string {
  return terminalSafe(s, false);
}

function result(r: RuleRow): string {
  if (r.state === 'not-run') return 'not run by hunt';
  if (r.state === 'none') return 'no samples';
  return r.passed.fire === r.total.fire && r.passed.quiet === r.total.quiet ? 'pass' : 'FAIL';
}

const cell = (r: RuleRow, kind: Kind): string => (r.state === 'tested' ? `${r.passed[kind]}/${r.total[kind]}` : '-');

/** The per-rule table: cli-table3's on a terminal, aligned columns otherwise (grep-able, one rule a line). */
function resultTable(rows: readonly RuleRow[], format: 'table' | 'text'): string {
  const head = ['rule', 'fire', 'quiet', 'result'];
  const body = rows.map((r) => [safe(r.id), cell(r, 'fire'), cell(r, 'quiet'), result(r)]);
  if (format === 'table') {
    const table = new Table({ head, style: { head: [], border: [] } });
    table.push(...body);
    return table.toString();
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cols) => cols.map((v, i) => (i === cols.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n');
}

function summary(rows: readonly RuleRow[], failed: number): string {
  const tested = rows.filter((r) => r.state === 'tested');
  const samples = tested.reduce((n, r) => n + r.total.fire + r.total.quiet, 0);
  const parts = [tested.length === 0 ? 'no rule tested'
    : `${count(tested.length, 'rule')} tested: ${failed > 0 ? `${failed} of ${count(samples, 'sample')} failed` : `${count(samples, 'sample')}, all passed`}`];
  const none = rows.filter((r) => r.state === 'none').length;
  const notRun = rows.filter((r) => r.state === 'not-run').length;
  if (none > 0) parts.push(`${none} without samples`);
  if (notRun > 0) parts.push(`${notRun} not run by hunt`);
  return parts.join('; ');
}
