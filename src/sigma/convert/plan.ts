// A correlation rule reduced to what every target needs: the referenced detection
// rules (order kept for temporal_ordered), each one's group-by fields after
// aliases, the window, and the counts that match. The semantics are crosswatch's
// engine's (src/sigma/README.md): the condition is evaluated at every instant at
// which a group has an event, over [t - timespan, t], inclusive at both ends; an
// event matching several of the rules is one event; temporal_ordered matches at an
// instant with an event of the last rule when the rules' events lie in the window
// in the listed order, equal times counting as in order.
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
  /**
   * The counts that match, lo <= count <= hi (hi Infinity when unbounded): events,
   * distinct values, or distinct rules; temporal_ordered: every step. An evaluated
   * instant always has an event, so lo is at least 1.
   */
  lo: number;
  hi: number;
}

/** The integer counts a condition admits. */
function bounds(c: CountCondition): { lo: number; hi: number } {
  const lo = Math.max(1, c.gt !== undefined ? Math.floor(c.gt) + 1 : -Infinity, c.gte !== undefined ? Math.ceil(c.gte) : -Infinity, c.eq !== undefined ? Math.ceil(c.eq) : -Infinity);
  const hi = Math.min(c.lt !== undefined ? Math.ceil(c.lt) - 1 : Infinity, c.lte !== undefined ? Math.floor(c.lte) : Infinity, c.eq !== undefined ? Math.floor(c.eq) : Infinity);
  if (hi < lo) return cannot('the condition can never hold');
  return { lo, hi };
}

/** event_count and value_count: the condition is required. */
function countBounds(c: CountCondition | undefined, type: CorrelationType): { lo: number; hi: number } {
  return c === undefined ? cannot(`a ${type} correlation needs a condition`) : bounds(c);
}

/** temporal: distinct rules, all of them without a condition; temporal_ordered: only all of them. */
function ruleBounds(c: CountCondition | undefined, n: number, ordered: boolean): { lo: number; hi: number } {
  const b = c === undefined ? { lo: n, hi: Infinity } : bounds(c);
  const hi = b.hi >= n ? Infinity : b.hi;
  if (b.lo > n) return cannot(`the condition asks for ${b.lo} rules and the correlation references ${n}`);
  if (ordered && (b.lo !== n || hi !== Infinity)) return cannot('temporal_ordered takes no condition but "all of its rules"');
  return { lo: b.lo, hi };
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
  const b = rule.type === 'event_count' || rule.type === 'value_count'
    ? countBounds(rule.condition, rule.type)
    : ruleBounds(rule.condition, steps.length, rule.type === 'temporal_ordered');
  return { type: rule.type, steps, windowMs: rule.timespanMs, ...b };
}
