// A detection as the correlator runs it, compiled from a Sigma correlation rule
// (rules/*.yml, --rules): a temporal_ordered correlation of two detection rules,
// grouped by source.ip — first a network alert (log source category ids), then
// within the timespan a successful sign-in or mail access. That is the shape of
// the built-in detections and the one hunt's fast path can run: pass 1 keeps
// every network alert, pass 2 only the sign-ins and mail accesses of alerted IPs.
// The correlator knows no rule by name; each base rule's Sigma detection is a
// test on the event, run when the event is added (docs/rules.md).
//
// Other correlations (event_count, value_count, temporal, chains, other
// groupings) are not of this shape: compileFastRule says why, and they run on
// the general Sigma correlator (src/sigma/correlate.ts).
import type { NormalizedEvent } from '../model/event.js';
import type { ResolvedCorrelation } from '../sigma/ruleset.js';
import type { ConditionNode, DetectionRule as SigmaDetection } from '../sigma/types.js';
import { compileMatcher } from '../sigma/match.js';
import { fieldsOf } from '../model/fields.js';
import { COMPACT_FIELDS } from '../model/event.js';
import { logSourceTest, type EventTest } from './logsource.js';

export type QualifyingRole = 'signin' | 'mail_access';

export interface DetectionRule {
  /** The correlation rule's id: the alert's rule.id. */
  id: string;
  /** The correlation's timespan: a qualifying event at t matches an anchor in [t - windowMs, t]. */
  windowMs: number;
  /** The first rule: which network alerts anchor it. */
  anchor: { test: EventTest };
  /**
   * The second rule: which successful sign-ins or mail accesses qualify, and what
   * the alert says they did. `source`: the Sigma detection `test` was compiled
   * from, from which hunt's decode workers compile the same test (a function
   * cannot be sent to another thread); rules made in code have none.
   */
  qualifying: { role: QualifyingRole; test: EventTest; verb: string; source?: SigmaDetection };
}

/** A rule's qualifying test, in the correlator's order of rules (bit i of a kept event's rules). */
export interface QualifyingTest {
  role: QualifyingRole;
  test: EventTest;
}

/** What a decode worker needs to run rules' qualifying tests (qualifyingSources, then compileQualifyingTests). */
export interface QualifyingSource {
  role: QualifyingRole;
  rule: SigmaDetection;
}

/** The sources of the rules' qualifying tests, in order; null when one of them has none. */
export function qualifyingSources(rules: readonly DetectionRule[]): QualifyingSource[] | null {
  const out: QualifyingSource[] = [];
  for (const r of rules) {
    if (!r.qualifying.source) return null;
    out.push({ role: r.qualifying.role, rule: r.qualifying.source });
  }
  return out;
}

/** The qualifying tests again from their sources (on another thread); null if one does not compile. */
export function compileQualifyingTests(sources: readonly QualifyingSource[]): QualifyingTest[] | null {
  const out: QualifyingTest[] = [];
  for (const s of sources) {
    const test = eventTest(s.rule);
    if (typeof test === 'string') return null;
    out.push({ role: s.role, test });
  }
  return out;
}

const VERBS: Record<QualifyingRole, string> = { signin: 'signed in', mail_access: 'accessed mail' };
const KEPT: ReadonlySet<string> = new Set(COMPACT_FIELDS);

/** The fields a detection's selections test (null: a keyword search). */
export function fieldsUsed(rule: SigmaDetection): Array<string | null> {
  const out = new Set<string | null>();
  for (const sel of rule.selections.values()) {
    for (const and of sel.anyOf) {
      for (const m of and) {
        out.add(m.field);
        // `field|fieldref: other` compares with another field's value.
        if (m.modifiers.includes('fieldref')) for (const v of m.values) if (v.kind === 'string') out.add(v.pattern);
      }
    }
  }
  return [...out];
}

/** A Sigma detection as a test on a normalized event: its log source, then its condition. */
export function eventTest(rule: SigmaDetection): EventTest | string {
  const source = logSourceTest(rule.logsource);
  if (typeof source === 'string') return source;
  const match = compileMatcher(rule);
  return (ev: NormalizedEvent) => source(ev) && match(fieldsOf(ev));
}

/**
 * Whether every way the condition can hold requires `field` to equal `value`
 * (as a plain, unmodified Sigma value, compared without case): then the rule
 * can only match events that have it.
 */
export function requires(rule: SigmaDetection, field: string, value: string): boolean {
  const want = value.toLowerCase();
  const selectionRequires = (name: string): boolean => {
    const sel = rule.selections.get(name);
    if (!sel || sel.anyOf.length === 0) return false;
    return sel.anyOf.every((and) => and.some((m) =>
      m.field === field && m.modifiers.length === 0 && m.values.length > 0 &&
      m.values.every((v) => v.kind === 'string' && !/[*?\\]/.test(v.pattern) && v.pattern.toLowerCase() === want)));
  };
  const walk = (n: ConditionNode): boolean => {
    switch (n.op) {
      case 'ref': return selectionRequires(n.name);
      case 'and': return n.args.some(walk);
      case 'or': return n.args.length > 0 && n.args.every(walk);
      case 'not': return false;
      case 'of': return n.quantifier === 'all' ? n.names.some(selectionRequires) : n.names.length > 0 && n.names.every(selectionRequires);
    }
  };
  return walk(rule.condition);
}

/** The role a rule's events must have, when its log source and detection decide it. */
function qualifyingRoleOf(rule: SigmaDetection): QualifyingRole | null {
  const { product, service, category } = rule.logsource;
  if (category !== undefined) return null;
  if (product === 'azure' && service === 'signinlogs') return 'signin';
  // MailItemsAccessed is a mail access whatever else the audit record says (m365-audit.ts roleOf).
  if (product === 'm365' && requires(rule, 'event.action', 'MailItemsAccessed')) return 'mail_access';
  return null;
}

/**
 * The correlator's form of a correlation, or why it has none (then it runs on
 * the general Sigma correlator). `verb`: what the alert says the account did
 * (the rule's `crosswatch.verb`, else from the role).
 */
export function compileFastRule(c: ResolvedCorrelation, windowMs: number, verb?: string): DetectionRule | string {
  const r = c.rule;
  if (r.type !== 'temporal_ordered') return `a ${r.type} correlation`;
  if (r.groupBy.length !== 1 || r.groupBy[0] !== 'source.ip') return 'not grouped by source.ip alone';
  if (c.inputs.length !== 2) return `${c.inputs.length} rules, not a network alert then a sign-in or mail access`;
  if (r.aliases.size > 0) return 'aliases';
  const [first, second] = c.inputs as [typeof c.inputs[0], typeof c.inputs[0]];
  if (first.kind !== 'detection' || second.kind !== 'detection') return 'a chain of correlations';
  if (first.logsource.category !== 'ids') return `its first rule (${first.id}) is not on network alerts (category: ids)`;
  const role = qualifyingRoleOf(second);
  if (!role) return `its second rule (${second.id}) is not on sign-ins (product azure, service signinlogs) or MailItemsAccessed`;
  if (!requires(second, 'event.outcome', 'success')) return `its second rule (${second.id}) does not require event.outcome: success`;
  for (const rule of [first, second]) {
    const beyond = fieldsUsed(rule).filter((f) => f === null || !KEPT.has(f));
    if (beyond.length > 0) {
      return `its rule ${rule.id} tests ${beyond.map((f) => f ?? 'keywords (no field)').join(', ')}, which the compact events of hunt's fast path and serve's store do not keep`;
    }
  }
  const anchor = eventTest(first);
  const qualifying = eventTest(second);
  if (typeof anchor === 'string') return anchor;
  if (typeof qualifying === 'string') return qualifying;
  return { id: r.id, windowMs, anchor: { test: anchor }, qualifying: { role, test: qualifying, verb: verb ?? VERBS[role], source: second } };
}
