// The `correlation:` block of a Sigma correlation rule (specification v2.1,
// "Correlation section"), compiled to plain data. Everything that can be checked
// from one document is checked here, and each problem names file, line and the
// dotted field; what needs the other rules (references, cycles, aliases naming
// rules) is ruleset.ts's.
import type { SigmaDocument } from './source.js';
import type { CorrelationBody, CorrelationType, CountCondition, SigmaProblem } from './types.js';

const TYPES: ReadonlySet<string> = new Set<CorrelationType>(['event_count', 'value_count', 'temporal', 'temporal_ordered']);
/** Sigma 2.1's metric types: known, not evaluated by crosswatch. */
const METRIC_TYPES: ReadonlySet<string> = new Set(['value_sum', 'value_avg', 'value_percentile', 'value_median']);
const KEYS: ReadonlySet<string> = new Set(['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate']);
const OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;

/** Timespan units: the specification's s, m, h, d, and pySigma's w, M (month) and y as well. */
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_629_746_000, y: 31_556_952_000,
};
const TIMESPAN_RE = /^([0-9]{1,9})([smhdwMy])$/;

/** The evaluator keeps a correlation's rules in a bit mask of this many bits. */
export const MAX_CORRELATION_RULES = 30;

type Path = (string | number)[];

function fieldName(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compiles `doc.data.correlation`; null (with problems) when anything in it is wrong. */
export function compileCorrelation(doc: SigmaDocument, problems: SigmaProblem[]): CorrelationBody | null {
  const before = problems.length;
  const fieldLines: Record<string, number> = {};
  const problem = (path: Path, message: string): void => {
    problems.push({ file: doc.file, line: doc.lineOf(path), field: fieldName(path), message });
  };
  const note = (path: Path): void => {
    fieldLines[fieldName(path)] = doc.lineOf(path);
  };
  const data = isMap(doc.data) ? doc.data : {};
  const block = data.correlation;
  if (!isMap(block)) {
    problem(['correlation'], 'correlation: must be a map (type, rules, group-by, timespan, condition)');
    return null;
  }
  note(['correlation']);
  for (const key of Object.keys(block)) {
    if (!KEYS.has(key)) problem(['correlation', key], `unknown key "${key}" (a correlation has ${[...KEYS].join(', ')})`);
  }

  const type = readType(block.type, problem);
  const rules = readNames(block.rules, ['correlation', 'rules'], 'rules', problem, note);
  if (rules && rules.length > MAX_CORRELATION_RULES) {
    problem(['correlation', 'rules'], `at most ${MAX_CORRELATION_RULES} rules in one correlation, got ${rules.length}`);
  }
  // The specification marks group-by mandatory; `group-by: []` says "one group" explicitly.
  const groupBy = readNames(block['group-by'], ['correlation', 'group-by'], 'group-by', problem, note, true);
  const timespan = readTimespan(block.timespan, problem);
  const condition = type && rules ? readCondition(block.condition, type, rules.length, problem, note) : undefined;
  const aliases = readAliases(block.aliases, problem, note);
  const generate = readGenerate(block.generate, data.generate, problem);

  if (problems.length > before || !type || !rules || !groupBy || !timespan || condition === null || !aliases || generate === null) return null;
  return {
    type,
    rules,
    groupBy,
    timespanMs: timespan.ms,
    timespanText: timespan.text,
    ...(condition !== undefined ? { condition } : {}),
    aliases,
    fieldLines,
    generate,
  };
}

type Problem = (path: Path, message: string) => void;

function readType(v: unknown, problem: Problem): CorrelationType | null {
  const path = ['correlation', 'type'];
  if (v === undefined) {
    problem(path, 'correlation.type is required (event_count, value_count, temporal or temporal_ordered)');
  } else if (typeof v === 'string' && TYPES.has(v)) {
    return v as CorrelationType;
  } else if (typeof v === 'string' && METRIC_TYPES.has(v)) {
    problem(path, `correlation type "${v}" (a Sigma 2.1 metric) is not supported; use event_count, value_count, temporal or temporal_ordered`);
  } else {
    problem(path, `unknown correlation type ${JSON.stringify(v)} (event_count, value_count, temporal or temporal_ordered)`);
  }
  return null;
}

/** A list of names (rules, group-by); a single string is taken as a list of one, as pySigma does. */
function readNames(v: unknown, path: Path, what: string, problem: Problem, note: (p: Path) => void, emptyOk = false): string[] | null {
  if (v === undefined) {
    problem(path, `correlation.${what} is required`);
    return null;
  }
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) {
    problem(path, `correlation.${what} must be a list of names`);
    return null;
  }
  if (list.length === 0 && !emptyOk) {
    problem(path, `correlation.${what} must name at least one rule`);
    return null;
  }
  const out: string[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const at = typeof v === 'string' ? path : [...path, i];
    if (typeof item !== 'string' || item.trim() === '') {
      problem(at, `correlation.${what} entries must be non-empty strings, got ${JSON.stringify(item)}`);
      ok = false;
    } else if (out.includes(item)) {
      problem(at, `"${item}" is listed twice in correlation.${what}`);
      ok = false;
    } else {
      out.push(item);
      note(at);
    }
  });
  return ok ? out : null;
}

function readTimespan(v: unknown, problem: Problem): { ms: number; text: string } | null {
  const path = ['correlation', 'timespan'];
  if (v === undefined) {
    problem(path, 'correlation.timespan is required (a number and a unit: 30s, 5m, 8h, 1d)');
    return null;
  }
  const m = typeof v === 'string' ? TIMESPAN_RE.exec(v) : null;
  if (!m) {
    problem(path, `timespan ${JSON.stringify(v)} is not a number followed by one unit letter (s, m, h, d, w, M, y), e.g. 8h`);
    return null;
  }
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms <= 0) {
    problem(path, `timespan ${JSON.stringify(v)} must be longer than zero`);
    return null;
  }
  return { ms, text: v as string };
}

/**
 * undefined: no condition (temporal types); null: a problem. Bounds combine as a
 * range ("To define a range, you can use the conjunction 'AND' in the mapping").
 */
function readCondition(v: unknown, type: CorrelationType, ruleCount: number, problem: Problem, note: (p: Path) => void): CountCondition | undefined | null {
  const path = ['correlation', 'condition'];
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  if (v === undefined) {
    if (temporal) return undefined; // all referenced rules (pySigma's default gte: number of rules)
    problem(path, `correlation.condition is required for ${type} (e.g. gte: 5)`);
    return null;
  }
  if (!isMap(v)) {
    problem(path, 'correlation.condition must be a map of gt, gte, lt, lte, eq, neq' + (type === 'value_count' ? ' and field' : ''));
    return null;
  }
  const cond: CountCondition = {};
  let ok = true;
  for (const [key, value] of Object.entries(v)) {
    const at = [...path, key];
    if ((OPERATORS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        problem(at, `condition.${key} must be a whole number of at least 0, got ${JSON.stringify(value)}`);
        ok = false;
      } else {
        cond[key as (typeof OPERATORS)[number]] = value;
      }
    } else if (key === 'field') {
      if (type !== 'value_count') {
        problem(at, `condition.field is for value_count, not ${type}`);
        ok = false;
        continue;
      }
      // A list of fields is "linked by an AND" (their combinations); only a list of one is supported.
      const f = Array.isArray(value) && value.length === 1 ? value[0] : value;
      if (typeof f !== 'string' || f.trim() === '') {
        problem(at, Array.isArray(value) ? 'condition.field: a list of several fields is not supported; name one field' : 'condition.field must be a field name');
        ok = false;
      } else {
        cond.field = f;
        note(at);
      }
    } else {
      problem(at, `unknown condition key "${key}" (gt, gte, lt, lte, eq, neq${type === 'value_count' ? ', field' : ''})`);
      ok = false;
    }
  }
  if (!ok) return null;
  if (type === 'value_count' && cond.field === undefined) {
    problem(path, 'a value_count condition needs field: the field whose distinct values are counted');
    return null;
  }
  if (OPERATORS.every((op) => cond[op] === undefined)) {
    problem(path, 'the condition needs one of gt, gte, lt, lte, eq, neq');
    return null;
  }
  // Counts that can occur: 1.. for counts of events or values; 1..n distinct rules for temporal.
  const max = temporal ? ruleCount : Number.MAX_SAFE_INTEGER;
  const b = countBounds(cond);
  const possible = Math.max(b.lo, 1) <= Math.min(b.hi, max) && !(b.lo === b.hi && b.lo === cond.neq);
  if (!possible) {
    problem(path, temporal ? `the condition can never hold: ${type} counts between 1 and ${ruleCount} distinct rules` : 'the condition can never hold');
    return null;
  }
  // In order, a count below all of the rules has no meaning the specification gives.
  let allOnly = true;
  for (let c = 1; c <= ruleCount; c++) if ((c >= b.lo && c <= b.hi && c !== b.neq) !== (c === ruleCount)) allOnly = false;
  if (type === 'temporal_ordered' && !allOnly) {
    problem(path, `temporal_ordered supports only the condition "all of its rules" (gte: ${ruleCount}); leave it out`);
    return null;
  }
  return cond;
}

/** The range of counts a condition admits: lo <= count <= hi, and count !== neq. */
export function countBounds(c: CountCondition): { lo: number; hi: number; neq: number } {
  let lo = 0;
  let hi = Number.MAX_SAFE_INTEGER;
  if (c.gt !== undefined) lo = Math.max(lo, c.gt + 1);
  if (c.gte !== undefined) lo = Math.max(lo, c.gte);
  if (c.lt !== undefined) hi = Math.min(hi, c.lt - 1);
  if (c.lte !== undefined) hi = Math.min(hi, c.lte);
  if (c.eq !== undefined) {
    lo = Math.max(lo, c.eq);
    hi = Math.min(hi, c.eq);
  }
  return { lo, hi, neq: c.neq ?? -1 };
}

function readAliases(v: unknown, problem: Problem, note: (p: Path) => void): Map<string, Map<string, string>> | null {
  const out = new Map<string, Map<string, string>>();
  if (v === undefined) return out;
  const path = ['correlation', 'aliases'];
  if (!isMap(v)) {
    problem(path, 'correlation.aliases must be a map: alias → (rule name → field)');
    return null;
  }
  let ok = true;
  for (const [alias, mapping] of Object.entries(v)) {
    if (!isMap(mapping) || Object.keys(mapping).length === 0) {
      problem([...path, alias], `alias "${alias}" must map rule names to field names`);
      ok = false;
      continue;
    }
    const m = new Map<string, string>();
    for (const [rule, field] of Object.entries(mapping)) {
      if (typeof field !== 'string' || field.trim() === '') {
        problem([...path, alias, rule], `alias "${alias}": the field for rule "${rule}" must be a field name, got ${JSON.stringify(field)}`);
        ok = false;
      } else {
        m.set(rule, field);
        note([...path, alias, rule]);
      }
    }
    out.set(alias, m);
  }
  return ok ? out : null;
}

function readGenerate(inBlock: unknown, topLevel: unknown, problem: Problem): boolean | null {
  let ok = true;
  for (const [v, path] of [[inBlock, ['correlation', 'generate']], [topLevel, ['generate']]] as const) {
    if (v !== undefined && typeof v !== 'boolean') {
      problem([...path], `generate must be true or false, got ${JSON.stringify(v)}`);
      ok = false;
    }
  }
  if (!ok) return null;
  if (inBlock !== undefined && topLevel !== undefined && inBlock !== topLevel) {
    problem(['generate'], 'generate is given twice (top level and in correlation:) with different values');
    return null;
  }
  return (inBlock ?? topLevel ?? false) as boolean;
}

/** The `generate` flag of a correlation's raw document (as compileCorrelation reads it). */
export function generateFlag(raw: Record<string, unknown>): boolean {
  const block = raw.correlation;
  const v = isMap(block) && typeof block.generate === 'boolean' ? block.generate : raw.generate;
  return v === true;
}
