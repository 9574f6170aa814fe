// Rules are Sigma rules (SigmaHQ specification v2): the built-ins in rules/ (the
// two detections of DESIGN.md §1 as temporal_ordered correlations over three
// base rules) and the files and folders given with --rules. Every file is
// checked: a rule with a problem is dropped with file:line and the reason, the
// others still load (docs/rules.md). Each alerting correlation the correlator
// can run (rule.ts compileFastRule) becomes a RuleDefinition: what it runs, and
// what its alert documents say (name, severity, ATT&CK, guide).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSigmaText, readRuleTexts, type RuleText } from '../sigma/load.js';
import { cachedRuleText } from '../sigma/builtin-cache.js';
import { applyPipelineToRules, isEcsField } from '../sigma/pipeline.js';
import { PIPELINES, pipelineByName } from '../sigma/pipelines/index.js';
import { resolveRuleSet, type RuleSet } from '../sigma/ruleset.js';
import type { GeneralAlertMeta, GeneralRules } from './general.js';
import type { DetectionRule as SigmaDetection, SigmaProblem, SigmaRule } from '../sigma/types.js';
import { compileFastRule, fieldsUsed, type DetectionRule } from './rule.js';
import { logSourceTest } from './logsource.js';
import { MAX_RULES } from './correlator.js';

export interface Threat {
  framework: string;
  tactic: { id: string; name: string; reference: string };
  technique: { id: string; name: string; reference: string };
}

export interface RuleDefinition {
  id: string;
  /** The rule's title: the alert's rule.name. */
  name: string;
  description: string;
  /** What the correlator runs (the Sigma correlation, compiled). */
  correlation: DetectionRule;
  /** The correlation's two base rules as parsed (for `explain`: which field made an event miss). */
  sigma?: { anchor: SigmaDetection; qualifying: SigmaDetection };
  severity: 'low' | 'medium' | 'high' | 'critical';
  risk_score: number;
  threat?: Threat;
  references: string[];
  false_positives: string[];
  /** Markdown (crosswatch.guide, else the description). */
  guide: string;
  /** The file it was loaded from. */
  file: string;
}

/** rules/ at the package root, from src/detect or dist/detect alike. */
export const RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));
/** The built-in rules as the build parsed them (sigma/builtin-cache.ts): dist/builtin-rules.v8, beside dist/bundle and dist/detect. */
export const BUILTIN_CACHE = fileURLToPath(new URL('../builtin-rules.v8', import.meta.url));
/** What `--rules builtin` names. */
export const BUILTIN = 'builtin';

export class RuleLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid rules:\n  ${problems.join('\n  ')}`);
    this.name = 'RuleLoadError';
  }
}

export interface LoadOptions {
  /** Rule files and folders; `builtin` names rules/ (the default when none are given). */
  paths?: readonly string[];
  /** The built-in correlations' timespan (the --window setting); default: their files' (8h). */
  builtinWindowMs?: number;
  /** A processing pipeline's name (src/sigma/pipelines: crosswatch-microsoft), applied to every rule loaded. */
  pipeline?: string;
  /**
   * The rule texts, already read (LoadedRules.sources of an earlier load), in
   * place of `paths`: a worker thread loads the very rules the main thread did.
   */
  sources?: readonly RuleSource[];
}

/** A rule file's text as loaded; `builtin` when it came from rules/ (the --window setting applies to it). */
export interface RuleSource extends RuleText {
  builtin: boolean;
}

export interface LoadedRules {
  /** What the correlator runs: network alert → sign-in / mail access correlations grouped by source.ip (hunt's fast path, serve). */
  rules: RuleDefinition[];
  /** The other alerting rules, for the general Sigma path (hunt only, so far); null when there are none. */
  general: GeneralRules | null;
  /** Every problem, as `file:line: field: reason`; the rules named in them did not load. */
  problems: string[];
  /**
   * Those of `problems` (the same text) that are no mistake: valid Sigma that
   * hunt and serve do not run (yet). `crosswatch rules validate` warns of these
   * and calls the others invalid.
   */
  notRunnable: string[];
  /** The Sigma rules that loaded, resolved: what `rules validate` counts and `rules convert` converts. */
  sigma: RuleSet;
  /** The texts read, for loading the same rules again elsewhere (LoadOptions.sources). */
  sources: RuleSource[];
}

/** Sigma `level` → the alert's severity and default risk score (Elastic's scale). */
const LEVELS: Record<SigmaRule['level'], { severity: RuleDefinition['severity']; risk: number }> = {
  informational: { severity: 'low', risk: 21 },
  low: { severity: 'low', risk: 21 },
  medium: { severity: 'medium', risk: 47 },
  high: { severity: 'high', risk: 73 },
  critical: { severity: 'critical', risk: 99 },
};

export function formatProblem(p: SigmaProblem): string {
  return `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/** Loads and checks rules; problems are returned, not thrown (a bad rule never stops the others). */
export function loadRuleSet(opts: LoadOptions = {}): LoadedRules {
  const problems: SigmaProblem[] = [];
  const sigma: SigmaRule[] = [];
  const builtin = new Set<SigmaRule>();
  const loaded: SigmaRule[] = [];
  const paths = opts.paths && opts.paths.length > 0 ? opts.paths : [BUILTIN];
  const sources: RuleSource[] = opts.sources ? [...opts.sources] : [];
  if (!opts.sources) {
    for (const p of new Set(paths)) {
      const path = p === BUILTIN ? RULES_DIR : p;
      try {
        statSync(path);
      } catch (err) {
        problems.push({ file: p, line: 0, message: `cannot read rules: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        continue;
      }
      const r = readRuleTexts(path);
      problems.push(...r.problems);
      for (const t of r.texts) sources.push({ ...t, builtin: p === BUILTIN });
    }
  }
  for (const src of sources) {
    const r = (src.builtin ? cachedRuleText(BUILTIN_CACHE, src.file, src.text) : undefined) ?? loadSigmaText(src.text, src.file);
    problems.push(...r.problems);
    for (const rule of r.rules) if (src.builtin) builtin.add(rule);
    loaded.push(...r.rules);
  }
  let rulesRead = loaded;
  if (opts.pipeline !== undefined) {
    // Field names rewritten (SigmaHQ's Microsoft names → ours) before anything is compiled.
    const pipeline = pipelineByName(opts.pipeline);
    if (!pipeline) {
      problems.push({ file: opts.pipeline, line: 0, message: `unknown pipeline (known: ${[...PIPELINES.keys()].join(', ')})` });
    } else {
      const out = applyPipelineToRules(loaded, pipeline);
      for (const { rule, reason } of out.rejected) problems.push({ file: rule.file, line: rule.line, message: `${pipeline.name}: ${reason}` });
      const mapped = new Map(out.rules.map((m, i) => [m, i]));
      rulesRead = out.rules;
      // (A rule's built-in standing survives its rewriting: matched by position among the kept ones.)
      const keptOriginals = loaded.filter((r) => !out.rejected.some((x) => x.rule === r));
      for (const [m, i] of mapped) if (builtin.has(keptOriginals[i]!)) builtin.add(m);
    }
  }
  for (const rule of rulesRead) {
    // A log source we do not know drops the rule here (and what depends on it, at resolve).
    if (rule.kind === 'detection') {
      const t = logSourceTest(rule.logsource);
      if (typeof t === 'string') {
        problems.push({ file: rule.file, line: rule.logsourceLine ?? rule.line, field: 'logsource', message: t });
        continue;
      }
      // A field no event has would make the rule match nothing, silently: refused, named.
      const unknown = fieldsUsed(rule).filter((f): f is string => f !== null && !isEcsField(f));
      if (unknown.length > 0) {
        const hint = opts.pipeline === undefined && (rule.logsource.product === 'azure' || rule.logsource.product === 'm365')
          ? ' (Microsoft\'s own field names, as SigmaHQ\'s rules use: add --pipeline crosswatch-microsoft)' : ' (docs/rules.md lists the fields)';
        problems.push({ file: rule.file, line: rule.line, field: 'detection', message: `not fields of the normalized event: ${unknown.join(', ')}${hint}` });
        continue;
      }
    }
    sigma.push(rule);
  }
  const set = resolveRuleSet(sigma, problems);
  const rules: RuleDefinition[] = [];
  // Valid Sigma that hunt and serve do not run (yet): a problem (problems.push), noted as such here.
  const notRunnable = new Set<SigmaProblem>();
  const general: SigmaRule[] = [];
  const meta = new Map<string, GeneralAlertMeta>();
  for (const rule of set.alerting) {
    // Sigma, on `level: informational`: "No case or alerting should be triggered by such rules because
    // it is expected that a huge amount of events will match these rules" — the built-in base rules are.
    if (rule.level === 'informational') continue;
    const x = extension(rule, problems);
    const level = LEVELS[rule.level];
    const resolved = rule.kind === 'correlation' ? set.correlations.find((c) => c.rule === rule)! : null;
    const windowMs = builtin.has(rule) && opts.builtinWindowMs !== undefined && rule.kind === 'correlation' ? opts.builtinWindowMs : rule.kind === 'correlation' ? rule.timespanMs : 0;
    const fast = resolved ? compileFastRule(resolved, windowMs, x.verb) : 'a detection';
    if (typeof fast === 'string' || rules.length === MAX_RULES) {
      // The general Sigma path runs it (hunt), exactly as the specification says.
      general.push(rule);
      meta.set(rule.id, {
        id: rule.id, name: rule.title, description: rule.description ?? rule.title, risk_score: x.riskScore ?? level.risk,
        ...(rule.references?.[0] ? { reference: rule.references[0] } : {}), ...(rule.author ? { author: rule.author } : {}),
      });
      continue;
    }
    if (!resolved) continue;
    rules.push({
      id: rule.id,
      name: rule.title,
      description: rule.description ?? rule.title,
      correlation: fast,
      // compileFastRule took only a correlation of two detections.
      sigma: { anchor: resolved.inputs[0] as SigmaDetection, qualifying: resolved.inputs[1] as SigmaDetection },
      severity: level.severity,
      risk_score: x.riskScore ?? level.risk,
      ...(x.threat ? { threat: x.threat } : {}),
      references: rule.references ?? [],
      false_positives: rule.falsepositives ?? [],
      guide: x.guide ?? rule.description ?? rule.title,
      file: rule.file,
    });
  }
  if (rules.length === 0 && general.length === 0 && problems.length === 0) problems.push({ file: paths.join(', '), line: 0, message: 'no rules that raise alerts' });
  return { rules, general: generalRules(sigma, set, general, meta), problems: problems.map(formatProblem), notRunnable: problems.filter((p) => notRunnable.has(p)).map(formatProblem), sigma: set, sources };
}

/** The general path's rule set: its alerting rules and every rule they reference, resolved again on their own. */
function generalRules(all: readonly SigmaRule[], set: RuleSet, alerting: readonly SigmaRule[], meta: ReadonlyMap<string, GeneralAlertMeta>): GeneralRules | null {
  if (alerting.length === 0) return null;
  const need = new Set<SigmaRule>();
  const visit = (r: SigmaRule): void => {
    if (need.has(r)) return;
    need.add(r);
    if (r.kind === 'correlation') for (const ref of r.rules) visit(set.lookup(ref)!);
  };
  alerting.forEach(visit);
  // (Resolved once already: no new problems. A rule referenced only by the correlator's
  // rules is not in it, so it alerts here only if it alerted in the whole set.)
  const sub = resolveRuleSet(all.filter((r) => need.has(r)), []);
  return { set: { ...sub, alerting: sub.alerting.filter((r) => meta.has(r.id)), alertingIds: new Set([...sub.alertingIds].filter((id) => meta.has(id))) }, meta };
}

/**
 * Every alerting rule of a loaded set for the general Sigma path, the correlator's
 * own included (which `general` leaves out): for running the built-ins both ways
 * and comparing (bench/sigma-bench.ts). hunt and serve do not use it.
 */
export function allAsGeneral(loaded: LoadedRules): GeneralRules | null {
  const set = loaded.sigma;
  const alerting = set.alerting.filter((r) => r.level !== 'informational');
  const meta = new Map(alerting.map((r): [string, GeneralAlertMeta] => [r.id, {
    id: r.id, name: r.title, description: r.description ?? r.title, risk_score: extension(r, []).riskScore ?? LEVELS[r.level].risk,
  }]));
  return generalRules([...set.detections, ...set.correlations.map((c) => c.rule)], set, alerting, meta);
}

/** The rules, or a RuleLoadError naming every problem (for callers that take no partial set, and tests). */
export function loadRules(opts: LoadOptions = {}): RuleDefinition[] {
  const r = loadRuleSet(opts);
  if (r.problems.length > 0) throw new RuleLoadError(r.problems);
  return r.rules;
}

interface Extension { riskScore?: number; verb?: string; guide?: string; threat?: Threat }

/** The `crosswatch:` block of a correlation (docs/rules.md), checked. */
function extension(rule: SigmaRule, problems: SigmaProblem[]): Extension {
  const raw = rule.raw.crosswatch;
  const out: Extension = {};
  const at = (field: string, message: string): void => {
    problems.push({ file: rule.file, line: rule.line, field: `crosswatch.${field}`, message });
  };
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    at('', 'expected a mapping (risk_score, verb, threat, guide)');
    return out;
  }
  const x = raw as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!['risk_score', 'verb', 'threat', 'guide'].includes(k)) at(k, 'unknown key (known: risk_score, verb, threat, guide)');
  if (x.risk_score !== undefined) {
    if (typeof x.risk_score === 'number' && Number.isInteger(x.risk_score) && x.risk_score >= 0 && x.risk_score <= 100) out.riskScore = x.risk_score;
    else at('risk_score', 'expected a whole number from 0 to 100');
  }
  for (const k of ['verb', 'guide'] as const) {
    if (x[k] === undefined) continue;
    if (typeof x[k] === 'string' && x[k].trim() !== '') out[k] = x[k];
    else at(k, 'expected text');
  }
  if (x.threat !== undefined) {
    const t = x.threat as Threat;
    const part = (p: unknown): boolean => typeof p === 'object' && p !== null && ['id', 'name', 'reference'].every((k) => typeof (p as Record<string, unknown>)[k] === 'string');
    if (typeof t === 'object' && t !== null && typeof t.framework === 'string' && part(t.tactic) && part(t.technique)) out.threat = t;
    else at('threat', 'expected framework, and tactic and technique each with id, name and reference');
  }
  return out;
}
