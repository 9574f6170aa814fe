// Sigma rules (as parsed, types.ts) into SIEM queries: Elastic ES|QL and EQL,
// Microsoft Sentinel KQL, Splunk SPL. A query is given only where it means what
// crosswatch's own engine means by the rule; anything else is refused with the
// reason (the Sigma correlation spec: refuse rather than emit a looser query).
//
// Correlation semantics converted (plan.ts): per group (group-by after aliases;
// events lacking a group field take no part), a match is a span of `timespan`,
// both ends inclusive, holding: event_count — at least N events of the rules;
// value_count — at least N distinct values; temporal — events of at least N of
// the rules (all, without a condition); temporal_ordered — an event of every
// rule, in the listed order (equal times allowed), distinct events. Lower
// bounds only; upper bounds (lt, lte, eq) and chained correlations are refused
// by every target.
//
// Decision table (target × type):
//
//                  event_count         value_count          temporal              temporal_ordered
//   ES|QL          cannot (1)          cannot (1)           cannot (1)            cannot (2)
//   EQL            sequence of N       cannot (3)           cannot (4)            sequence by g
//                  like terms, N≤100                                              with maxspan (5)
//   KQL            next() over events  self-join in span,   self-join in span,    join chain keeping the
//                  sorted by g, time   distinct values      rules seen per event  latest chain start
//   SPL            streamstats         streamstats          streamstats latest    streamstats chain of
//                  window=N (N≤10000)  time_window dc() (6) time per rule         latest starts
//
// (1) ES|QL groups time only into fixed buckets (BUCKET, DATE_TRUNC) and has no
//     sliding window, row order or self-join: events within one timespan that
//     straddle a bucket edge would be missed.
// (2) ES|QL's STATS keeps no order between events, and its buckets are fixed (1).
// (3) EQL has no distinct count (its count pipe is not supported) and its join
//     keys only ever require equal values, never different ones.
// (4) EQL's `sample` (any order) takes no maxspan, and one `sequence` fixes one
//     order; no EQL query says "all of these, in any order, within the span".
// (5) EQL orders events by @timestamp then its tiebreaker: two events at the very
//     same instant are taken in index order, where crosswatch accepts either.
// (6) Splunk's time_window counts the events of the span before each event; the
//     event exactly one timespan earlier is on a boundary Splunk leaves undocumented.
//     SPL windows hold at most limits.conf max_stream_window events (10,000).
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
