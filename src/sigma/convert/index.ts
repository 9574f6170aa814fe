// Sigma rules (as parsed, types.ts) into SIEM queries: Elastic ES|QL and EQL,
// Microsoft Sentinel KQL, Splunk SPL. A query is given only where it means what
// crosswatch's own engine means by the rule; anything else is refused with the
// reason (the Sigma correlation spec: refuse rather than emit a looser query).
//
// API (what `crosswatch rules convert --target esql|eql|kql|spl [PATH]` calls):
//
//   convertRules(set: RuleSet, target: Target): RuleConversion[]
//     Every rule of a resolved rule set (ruleset.ts resolveRuleSet over what
//     load.ts loadSigmaPath loaded): its detections in input order, then its
//     correlations in dependency order. Each entry is
//       { rule: SigmaRule; alerting: boolean; result: { query: string } | { cannot: string } }
//     where `cannot` is one line starting "cannot convert: " and giving the reason,
//     and `alerting` says whether crosswatch raises alerts for the rule itself (a
//     base rule a correlation uses does not, unless the correlation says generate).
//     Never throws for a rule it cannot convert.
//   convertRule(rule, target, lookup): Conversion — one rule; `lookup` resolves the
//     rules a correlation names (RuleSet.lookup).
//   TARGETS, isTarget(text), TARGET_NAMES — the targets and their display names.
//   CORRELATION_DECISIONS — the decision table below as data (docs/rules-convert.md
//     prints it; the refusals by type are these reasons, word for word).
//   sourceTables(target, logsource) — where a target keeps a log source (docs).
//
// Field names in the queries are the SIEM's own: ECS as Elastic's integrations
// write it (fields-elastic.ts), the Log Analytics columns of the Entra sign-in
// tables and OfficeActivity for Sentinel, ASIM's Network Session names for its
// network alerts (fields-kql.ts), the Splunk add-ons' fields for Splunk, CIM's
// Intrusion_Detection names for network alerts (fields-spl.ts). A log source may span several tables (sources.ts): a sign-in is
// an Entra sign-in record or an M365 UserLoggedIn record of the
// AzureActiveDirectory workload, as crosswatch's decoders read them.
//
// Correlation semantics converted are crosswatch's engine's (src/sigma/README.md,
// plan.ts): per group (events lacking a group-by field take no part), the
// condition is evaluated at every instant t at which the group has an event, over
// [t - timespan, t], inclusive at both ends; an event matching several of the
// rules is one event; temporal_ordered matches at an instant with an event of the
// last rule when the rules' events lie in the window in the listed order, equal
// times counting as in order, and takes no condition but "all of its rules".
//
// Decision table (target × type):
//
//          event_count             value_count             temporal                temporal_ordered
//   ES|QL  cannot (1)              cannot (1)              cannot (1)              cannot (2)
//   EQL    sequence of N like      cannot (3)              cannot (4)              sequence by g with
//          terms, N <= 100;                                                        maxspan (5)
//          lower bound only (6)
//   KQL    at least N: next() over each instant joined    each instant joined    per instant, joins
//          events sorted by group  to its window's         to its window's rules   keeping the latest
//          and time; other bounds: distinct values                                 in-order start
//          each instant joined to
//          its window's events
//   SPL    the Nth (and M+1th)     streamstats             latest time of each     per instant, streamstats
//          latest event by         time_window dc();       rule (streamstats)      chain of the latest
//          streamstats window=N,   lower bound only (7)                            in-order start
//          N <= 10000
//
// (1) ES|QL groups time only into fixed buckets (BUCKET, DATE_TRUNC) and has no
//     sliding window, row order or self-join: events within one timespan that
//     straddle a bucket edge would be missed.
// (2) ES|QL's STATS keeps no order between events, and its buckets are fixed (1).
// (3) EQL has no distinct count (its count pipe is not supported) and its join
//     keys only ever require equal values, never different ones.
// (4) EQL's `sample` (any order) takes no maxspan, and one `sequence` fixes one
//     order; no EQL query says "all of these, in any order, within the span".
// (5) Kept, with one difference at a single instant: EQL orders events of the same
//     @timestamp by its tiebreaker and gives each event one step, where crosswatch
//     takes an instant's events together (an event matching two of the rules may
//     stand for both). Events at distinct times agree; the difference can only
//     miss a match, never add one.
// (6) A sequence says "at least N"; an upper bound (lt, lte, eq) has no EQL form.
// (7) Splunk's time_window edge (an event exactly one timespan earlier) is not
//     documented: a lower bound can then only miss a match at that edge, never make
//     one; an upper bound could, so it is refused.
// Every target refuses chained correlations (the inner correlation's matches would
// have to become events), conditions no count can meet, and unknown rules. Where
// crosswatch counts a record delivered twice once (same record id and time), the
// queries count rows. Sentinel reads `category: ids` from ASIM's network sessions
// that carry a threat (fields-kql.ts), and has nothing for one sensor's alerts
// (`product: panos` and the like: ASIM's parsers bring none of their threats), so
// the built-in correlations convert to EQL, KQL and SPL. What Sigma cannot say
// and crosswatch applies as engine policy (public source addresses only, the
// allowlist, the shared-infrastructure cap) is in no query.
//
// Field and log-source tables: fields*.ts, sources.ts. Detection rules: expr.ts
// (modifiers), regex.ts (`re`), escape.ts (literals), then one printer per target.
import type { RuleSet } from '../ruleset.js';
import type { CorrelationType, LogSource, SigmaRule } from '../types.js';
import { eqlCorrelation, eqlDetection } from './eql.js';
import { esqlDetection } from './esql.js';
import { CannotConvert } from './escape.js';
import type { Family } from './fields.js';
import { kqlCorrelation, kqlDetection } from './kql.js';
import { plan } from './plan.js';
import { sourcesFor } from './sources.js';
import { splCorrelation, splDetection } from './spl.js';

export type Target = 'esql' | 'eql' | 'kql' | 'spl';
export type Conversion = { query: string } | { cannot: string };

export const TARGETS: readonly Target[] = ['esql', 'eql', 'kql', 'spl'];
export const TARGET_NAMES: Readonly<Record<Target, string>> = {
  esql: 'Elastic ES|QL', eql: 'Elastic EQL', kql: 'Microsoft Sentinel KQL', spl: 'Splunk SPL',
};
export const CORRELATION_TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];

export function isTarget(text: string): text is Target {
  return (TARGETS as readonly string[]).includes(text);
}

/**
 * What a target does with a correlation type: a query (how, and the limits past
 * which that rule is refused), or a refusal for every rule of the type.
 */
export type Decision =
  | { query: string; limits: string }
  | { cannot: string };

const BUCKETS = 'ES|QL has only fixed time buckets, no sliding window:';
const SENTINEL_TABLES = 'every rule\'s log source needs a Sentinel table (`category: ids` with a sensor\'s product has none)';
const NONE = 'none beyond those of every target';

/** The decision table at the top of this file, as data; `cannot` is the refusal's reason word for word. */
export const CORRELATION_DECISIONS: Readonly<Record<Target, Readonly<Record<CorrelationType, Decision>>>> = {
  esql: {
    event_count: { cannot: `${BUCKETS} events within one timespan that straddle a bucket edge would be missed` },
    value_count: { cannot: `${BUCKETS} values within one timespan that straddle a bucket edge would be missed` },
    temporal: { cannot: `${BUCKETS} events within one timespan that straddle a bucket edge would be missed` },
    temporal_ordered: { cannot: 'ES|QL cannot require an order between events (STATS keeps none) and has only fixed time buckets' },
  },
  eql: {
    event_count: {
      query: '`sequence by` the group-by fields `with maxspan` the timespan, of N terms that each match any of the rules (N = 1: `any where`)',
      limits: 'at least N only (an upper bound has no EQL form); N <= 100; each rule\'s group-by field one field in all its indices',
    },
    value_count: { cannot: 'EQL has no distinct count, and its join keys can only require equal values, never different ones' },
    temporal: { cannot: 'EQL cannot say "all of these, in any order, within the span": sample takes no maxspan and a sequence fixes one order' },
    temporal_ordered: {
      query: '`sequence by` the group-by fields `with maxspan` the timespan, one term per rule in order',
      limits: 'events with the same @timestamp are ordered by EQL\'s tiebreaker and each stands for one rule (crosswatch takes an instant\'s events together): EQL can miss a match within one instant, never add one',
    },
  },
  kql: {
    event_count: {
      query: 'at least N: `next()` over the events sorted by group and time; with an upper bound: each instant joined to its window\'s events, counted',
      limits: SENTINEL_TABLES,
    },
    value_count: { query: 'each instant joined to its window\'s events, distinct values counted', limits: SENTINEL_TABLES },
    temporal: { query: 'each instant joined to its window\'s events, distinct rules counted', limits: SENTINEL_TABLES },
    temporal_ordered: { query: 'per instant, a chain of joins keeping the latest start of an in-order run of the rules', limits: SENTINEL_TABLES },
  },
  spl: {
    event_count: {
      query: 'the Nth latest event of the group by `streamstats window=N`, inside the span (an upper bound M: the (M+1)th outside it)',
      limits: 'N, M+1 <= 10000 (max_stream_window)',
    },
    value_count: {
      query: '`streamstats time_window` the timespan, `dc()` of the field',
      limits: 'lower bounds only: Splunk leaves the time_window edge undocumented, so an upper bound could count a value crosswatch does not',
    },
    temporal: { query: 'the latest time each rule was seen (`streamstats max`), rules within the span counted at each instant', limits: NONE },
    temporal_ordered: { query: 'per instant, a `streamstats` chain of the latest start of an in-order run of the rules', limits: NONE },
  },
};

/** Refused by every target, whatever the type. */
export const ALWAYS_REFUSED = 'chained correlations (the inner one\'s matches would have to become events), conditions no count can meet, '
  + 'rules that are not loaded, fields with no column and log sources with no table';

const FAMILY: Record<Target, Family> = { esql: 'elastic', eql: 'elastic', kql: 'sentinel', spl: 'splunk' };

/** The tables, index patterns or searches a target reads for a log source, or why it has none. */
export function sourceTables(target: Target, ls: LogSource): { tables: string[] } | { cannot: string } {
  try {
    return { tables: sourcesFor(FAMILY[target], ls).map((s) => s.doc ?? s.label) };
  } catch (err) {
    if (err instanceof CannotConvert) return { cannot: `cannot convert: ${err.message}` };
    throw err;
  }
}

export function convertRule(rule: SigmaRule, target: Target, lookup: (ref: string) => SigmaRule | undefined): Conversion {
  try {
    if (rule.kind === 'detection') {
      const print = { esql: esqlDetection, eql: eqlDetection, kql: kqlDetection, spl: splDetection }[target];
      return { query: print(rule) };
    }
    const decision = CORRELATION_DECISIONS[target][rule.type];
    if ('cannot' in decision) return { cannot: `cannot convert: ${decision.cannot}` };
    const p = plan(rule, lookup);
    const print = { esql: undefined, eql: eqlCorrelation, kql: kqlCorrelation, spl: splCorrelation }[target];
    return print ? { query: print(p) } : { cannot: 'cannot convert: ES|QL converts no correlation' };
  } catch (err) {
    if (err instanceof CannotConvert) return { cannot: `cannot convert: ${err.message}` };
    throw err;
  }
}

export interface RuleConversion {
  rule: SigmaRule;
  /** Whether crosswatch raises alerts for this rule itself (RuleSet.alertingIds). */
  alerting: boolean;
  result: Conversion;
}

/** Every rule of a resolved set into one target: detections in input order, then correlations in dependency order. */
export function convertRules(set: RuleSet, target: Target): RuleConversion[] {
  const rules: SigmaRule[] = [...set.detections, ...set.correlations.map((c) => c.rule)];
  return rules.map((rule) => ({ rule, alerting: set.alertingIds.has(rule.id), result: convertRule(rule, target, (ref) => set.lookup(ref)) }));
}
