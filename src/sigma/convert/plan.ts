// A correlation rule reduced to what every target needs: the referenced detection
// rules (order kept for temporal_ordered), each one's group-by fields after
// aliases, the window, and the least count that matches. Sliding-window
// semantics: a group matches when some span of `timespan` (both ends inclusive)
// holds what the condition asks; only lower bounds are converted, since an upper
// bound on a sliding window depends on where each window starts, which Sigma
// leaves open (crosswatch's engine and a target could count different windows).
import type { CorrelationRule, CorrelationType, CountCondition, DetectionRule, SigmaRule } from '../types.js';
import { cannot } from './escape.js';

export interface Step {
  /** The reference as the correlation wrote it. */
  ref: string;
  rule: DetectionRule;
  /** The field, in this rule's events, of each group-by entry (aliases resolved). */
  group: string[];
  /** value_count: the counted field in this rule's events. */
  value?: string;
}

export interface Plan {
  type: CorrelationType;
  /** temporal_ordered: in order (a rule may recur); otherwise distinct rules. */
  steps: Step[];
  windowMs: number;
  /** The least count that matches: events, distinct values, or distinct rules (temporal_ordered: every step). */
  min: number;
}

const UPPER = 'an upper bound (lt, lte, eq) on a count in a sliding window depends on where each window starts, '
  + 'which Sigma leaves open: only lower bounds (gt, gte) convert';

function lowerBound(c: CountCondition | undefined, type: CorrelationType): number {
  if (c === undefined) return cannot(`a ${type} correlation needs a condition`);
  if (c.lt !== undefined || c.lte !== undefined || c.eq !== undefined) return cannot(UPPER);
  const bounds = [c.gt !== undefined ? Math.floor(c.gt) + 1 : -Infinity, c.gte !== undefined ? Math.ceil(c.gte) : -Infinity];
  const min = Math.max(...bounds);
  if (min === -Infinity) return cannot(`the ${type} condition sets no bound`);
  if (min < 1) return cannot('a condition that zero events meet matches groups with no events, which no query can list');
  return min;
}

/** temporal: distinct rules; an upper bound no smaller than the number of rules always holds. */
function ruleBound(c: CountCondition | undefined, n: number, ordered: boolean): number {
  if (c === undefined) return n;
  const uppers = [c.lt !== undefined ? c.lt - 1 : Infinity, c.lte ?? Infinity, c.eq ?? Infinity];
  if (Math.min(...uppers) < n) return cannot(UPPER);
  const lower = Math.max(c.gt !== undefined ? Math.floor(c.gt) + 1 : -Infinity, c.gte !== undefined ? Math.ceil(c.gte) : -Infinity, c.eq ?? -Infinity);
  const min = lower === -Infinity ? n : lower;
  if (ordered) {
    if (min !== n) return cannot('temporal_ordered converts only when every rule must occur, in order (no condition, or one met by all rules)');
    return n;
  }
  if (min > n) return cannot(`the condition asks for ${min} rules and the correlation references ${n}`);
  if (min < 1) return cannot('a condition that no rule need meet matches groups with no events, which no query can list');
  return min;
}

function fieldFor(rule: CorrelationRule, name: string, step: { ref: string; rule: DetectionRule }): string {
  const alias = rule.aliases.get(name);
  if (alias === undefined) return name;
  const f = alias.get(step.ref) ?? (step.rule.name !== undefined ? alias.get(step.rule.name) : undefined) ?? alias.get(step.rule.id);
  return f ?? cannot(`alias ${name} names no field for rule ${step.ref}`);
}

export function plan(rule: CorrelationRule, lookup: (ref: string) => SigmaRule | undefined): Plan {
  if (rule.rules.length === 0) return cannot('the correlation references no rule');
  if (!(rule.timespanMs > 0)) return cannot(`timespan ${rule.timespanText} is not a positive duration`);
  const seen = new Set<string>();
  const resolved: Array<{ ref: string; rule: DetectionRule }> = [];
  for (const ref of rule.rules) {
    const r = lookup(ref);
    if (r === undefined) return cannot(`rule ${ref}, which the correlation references, is not loaded`);
    if (r.kind === 'correlation') {
      return cannot(`rule ${ref} is itself a correlation: a chained correlation needs the inner one's matches as events, which no target query here builds`);
    }
    if (seen.has(r.id) && rule.type !== 'temporal_ordered') {
      if (rule.type === 'temporal') return cannot(`rule ${ref} is referenced twice in a temporal correlation`);
      continue; // counting events: the same rule twice is the same events
    }
    seen.add(r.id);
    resolved.push({ ref, rule: r });
  }
  const steps: Step[] = resolved.map((s) => ({
    ...s,
    group: rule.groupBy.map((g) => fieldFor(rule, g, s)),
    ...(rule.type === 'value_count' && rule.condition?.field !== undefined ? { value: fieldFor(rule, rule.condition.field, s) } : {}),
  }));
  if (rule.type === 'value_count' && rule.condition?.field === undefined) return cannot('a value_count correlation needs condition.field');
  const min = rule.type === 'event_count' || rule.type === 'value_count'
    ? lowerBound(rule.condition, rule.type)
    : ruleBound(rule.condition, steps.length, rule.type === 'temporal_ordered');
  return { type: rule.type, steps, windowMs: rule.timespanMs, min };
}
