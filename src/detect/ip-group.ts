// Which correlations are grouped by the source IP all the way down: the
// group-by entry that reads source.ip in every rule the correlation references
// (through field aliases, and through the inner correlations of a chain). Such
// a correlation only ever gathers events of one IP per group, so it can be
// explained for one IP (explain-general.ts) and recomputed one IP at a time
// (serve, src/stream/general-stream.ts). One grouped by user.name alone, say,
// gathers events of any IP: neither applies.
import type { ResolvedCorrelation, RuleSet } from '../sigma/ruleset.js';

/** Why serve does not run a correlation not grouped by source.ip all the way down. */
export const NOT_BY_IP = 'a correlation grouped by other fields than source.ip gathers records of every IP; serve recomputes one IP at a time (hunt runs it)';

/** A lookup: per correlation of `set`, the index of its group-by entry that carries source.ip, or null. */
export function sourceIpGroupIndex(set: RuleSet): (res: ResolvedCorrelation) => number | null {
  const resolved = new Map(set.correlations.map((c) => [c.rule.id, c]));
  const memo = new Map<string, number | null>();
  const index = (res: ResolvedCorrelation): number | null => {
    if (memo.has(res.rule.id)) return memo.get(res.rule.id)!;
    memo.set(res.rule.id, null); // (no cycles: resolveRuleSet dropped them)
    let found: number | null = null;
    for (let g = 0; g < res.rule.groupBy.length && found === null; g++) {
      const ok = res.inputs.every((inp, s) => {
        const f = res.groupFields[s]![g]!;
        if (inp.kind === 'detection') return f === 'source.ip';
        const inner = resolved.get(inp.id);
        const ii = inner ? index(inner) : null;
        return ii !== null && inp.groupBy.indexOf(f) === ii;
      });
      if (ok) found = g;
    }
    memo.set(res.rule.id, found);
    return found;
  };
  return index;
}
