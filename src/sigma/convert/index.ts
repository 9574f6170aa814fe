// Sigma rules (as parsed, types.ts) into SIEM queries: Elastic ES|QL and EQL,
// Microsoft Sentinel KQL, Splunk SPL. A query is given only where it means what
// crosswatch's own engine means by the rule; anything else is refused with the
// reason (the Sigma correlation spec: refuse rather than emit a looser query).
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
//     stand for both). Events at distinct times agree.
// (6) A sequence says "at least N"; an upper bound (lt, lte, eq) has no EQL form.
// (7) Splunk's time_window edge (an event exactly one timespan earlier) is not
//     documented: a lower bound can then only miss a match at that edge, never make
//     one; an upper bound could, so it is refused.
// Every target refuses chained correlations (the inner correlation's matches would
// have to become events), conditions no count can meet, and unknown rules. Where
// crosswatch counts a record delivered twice once (same record id and time), the
// queries count rows. KQL has no table for `category: ids` as a whole (fields.ts),
// so the built-in detections convert to EQL and SPL only.
//
// Field and log-source tables: fields.ts. Detection rules: expr.ts (modifiers),
// regex.ts (`re`), escape.ts (literals), then one printer per target.
import type { SigmaRule } from '../types.js';
import { eqlCorrelation, eqlDetection } from './eql.js';
import { esqlDetection } from './esql.js';
import { CannotConvert } from './escape.js';
import { kqlCorrelation, kqlDetection } from './kql.js';
import { plan } from './plan.js';
import { splCorrelation, splDetection } from './spl.js';

export type Target = 'esql' | 'eql' | 'kql' | 'spl';
export type Conversion = { query: string } | { cannot: string };

export const TARGETS: readonly Target[] = ['esql', 'eql', 'kql', 'spl'];

/** Refusals that depend on the target and the type only (the numbers refer to the table above). */
const REFUSED: Partial<Record<Target, Partial<Record<string, string>>>> = {
  esql: {
    event_count: 'ES|QL has only fixed time buckets, no sliding window: events within one timespan that straddle a bucket edge would be missed',
    value_count: 'ES|QL has only fixed time buckets, no sliding window: values within one timespan that straddle a bucket edge would be missed',
    temporal: 'ES|QL has only fixed time buckets, no sliding window: events within one timespan that straddle a bucket edge would be missed',
    temporal_ordered: 'ES|QL cannot require an order between events (STATS keeps none) and has only fixed time buckets',
  },
  eql: {
    value_count: 'EQL has no distinct count, and its join keys can only require equal values, never different ones',
    temporal: 'EQL cannot say "all of these, in any order, within the span": sample takes no maxspan and a sequence fixes one order',
  },
};

export function convertRule(rule: SigmaRule, target: Target, lookup: (ref: string) => SigmaRule | undefined): Conversion {
  try {
    if (rule.kind === 'detection') {
      const print = { esql: esqlDetection, eql: eqlDetection, kql: kqlDetection, spl: splDetection }[target];
      return { query: print(rule) };
    }
    const refused = REFUSED[target]?.[rule.type];
    if (refused !== undefined) return { cannot: `cannot convert: ${refused}` };
    const p = plan(rule, lookup);
    const print = { esql: undefined, eql: eqlCorrelation, kql: kqlCorrelation, spl: splCorrelation }[target];
    return print ? { query: print(p) } : { cannot: 'cannot convert: ES|QL converts no correlation' };
  } catch (err) {
    if (err instanceof CannotConvert) return { cannot: `cannot convert: ${err.message}` };
    throw err;
  }
}
