// A rule set: the detections and correlations loaded together, checked as a
// whole. References (by id or name) are resolved, chains ordered (a correlation
// after the rules it uses), cycles refused, aliases and chained group-by checked,
// and it decides which rules raise alerts of their own. A rule with a problem is
// dropped, and so is every correlation that needs it, each with a problem of its
// own: nothing disappears silently.
import { generateFlag } from './correlation.js';
import type { CorrelationRule, DetectionRule, SigmaProblem, SigmaRule } from './types.js';

/** A correlation with its references resolved: what the evaluator runs. */
export interface ResolvedCorrelation {
  rule: CorrelationRule;
  /** The referenced rules; slot i is `rule.rules[i]`. */
  inputs: readonly SigmaRule[];
  /** Per slot, the field read for each group-by entry: the alias's field for that rule, else the entry itself. */
  groupFields: readonly (readonly string[])[];
  /** Per slot, the field value_count counts (aliases apply to it too); null for other types. */
  valueFields: readonly (string | null)[];
  /** `generate`: its referenced rules still raise alerts of their own. */
  generate: boolean;
}

export interface RuleSet {
  detections: readonly DetectionRule[];
  /** Dependency order: every correlation after the correlations it references. */
  correlations: readonly ResolvedCorrelation[];
  /** The rules that raise alerts of their own, in input order. */
  alerting: readonly SigmaRule[];
  alertingIds: ReadonlySet<string>;
  /** A kept rule by id or name. */
  lookup(ref: string): SigmaRule | undefined;
  /** The kept correlations that reference a rule (by its id). */
  referencedBy(id: string): readonly CorrelationRule[];
}

const where = (r: SigmaRule): string => `${r.file}:${r.line}`;
const label = (r: SigmaRule): string => (r.name !== undefined ? `"${r.name}" (${r.id})` : `"${r.id}"`);

function lineOf(r: SigmaRule, field: string): number {
  return (r.kind === 'correlation' && r.fieldLines?.[field]) || r.line;
}

export function resolveRuleSet(rules: readonly SigmaRule[], problems: SigmaProblem[]): RuleSet {
  const dropped = new Set<SigmaRule>();
  const drop = (r: SigmaRule, field: string, message: string): void => {
    if (dropped.has(r)) return;
    dropped.add(r);
    problems.push({ file: r.file, line: lineOf(r, field), field, message });
  };

  // Ids and names are one namespace of references: a string naming two rules names neither.
  const named = new Map<string, SigmaRule[]>();
  const claim = (key: string, r: SigmaRule): void => {
    const list = named.get(key);
    if (!list) named.set(key, [r]);
    else if (!list.includes(r)) list.push(r);
  };
  for (const r of rules) {
    claim(r.id, r);
    if (r.name !== undefined) claim(r.name, r);
  }
  for (const [key, list] of named) {
    if (list.length < 2) continue;
    for (const r of list) {
      const field = r.id === key ? 'id' : 'name';
      const others = list.filter((o) => o !== r).map((o) => `${where(o)} (its ${o.id === key ? 'id' : 'name'})`).join(', ');
      drop(r, field, `duplicate ${field} "${key}": also at ${others}; rule ${label(r)} is not loaded`);
    }
  }
  const byRef = new Map<string, SigmaRule>();
  for (const [key, list] of named) if (list.length === 1) byRef.set(key, list[0]!);
  const unknown = (ref: string): string => ((named.get(ref)?.length ?? 0) > 1
    ? `"${ref}" names several rules (${named.get(ref)!.map(where).join(', ')}), so it names none`
    : `unknown rule "${ref}": no loaded rule has this id or name`);

  const corrs = rules.filter((r): r is CorrelationRule => r.kind === 'correlation' && !dropped.has(r));
  const resolved = new Map<CorrelationRule, ResolvedCorrelation>();
  for (const c of corrs) {
    const res = resolveOne(c, byRef, unknown, drop);
    if (res) resolved.set(c, res);
  }

  // Cycles (a chain that reaches itself) cannot be evaluated: every rule on one is dropped.
  const state = new Map<CorrelationRule, 1 | 2>();
  const stack: CorrelationRule[] = [];
  const visit = (c: CorrelationRule): void => {
    state.set(c, 1);
    stack.push(c);
    for (const inp of resolved.get(c)?.inputs ?? []) {
      if (inp.kind !== 'correlation') continue;
      const s = state.get(inp);
      if (s === 1) {
        const cycle = stack.slice(stack.indexOf(inp));
        const text = [...cycle, inp].map((r) => r.name ?? r.id).join(' → ');
        cycle.forEach((r, k) => {
          const slot = resolved.get(r)!.inputs.indexOf(cycle[k + 1] ?? inp);
          drop(r, `correlation.rules[${slot}]`, `correlation cycle ${text}: a chain of correlations may not reach itself`);
        });
      } else if (s === undefined) {
        visit(inp);
      }
    }
    stack.pop();
    state.set(c, 2);
  };
  for (const c of corrs) if (!state.has(c)) visit(c);

  // Whatever needs a dropped rule goes too, until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const [c, res] of resolved) {
      if (dropped.has(c)) continue;
      const i = res.inputs.findIndex((r) => dropped.has(r));
      if (i >= 0) {
        drop(c, `correlation.rules[${i}]`, `correlation ${label(c)} is not loaded: it uses ${label(res.inputs[i]!)} (${where(res.inputs[i]!)}), which has a problem`);
        changed = true;
      }
    }
  }

  // Dependency order: depth first, inputs before the correlation, in input order otherwise.
  const ordered: ResolvedCorrelation[] = [];
  const placed = new Set<CorrelationRule>();
  const place = (c: CorrelationRule): void => {
    if (placed.has(c) || dropped.has(c)) return;
    placed.add(c);
    const res = resolved.get(c)!;
    for (const inp of res.inputs) if (inp.kind === 'correlation') place(inp);
    ordered.push(res);
  };
  for (const c of corrs) if (resolved.has(c)) place(c);

  const referencedBy = new Map<string, CorrelationRule[]>();
  for (const res of ordered) {
    for (const inp of res.inputs) {
      const list = referencedBy.get(inp.id) ?? [];
      if (!list.includes(res.rule)) list.push(res.rule);
      referencedBy.set(inp.id, list);
    }
  }
  // A referenced rule alerts on its own when a correlation using it says generate: true
  // (the spec: generate "defines if the rules referred from the correlation rule should
  // be converted as stand-alone rules"); one such request is enough.
  const kept = rules.filter((r) => !dropped.has(r));
  const alerting = kept.filter((r) => {
    const users = referencedBy.get(r.id);
    return !users || users.some((u) => resolved.get(u)!.generate);
  });
  for (const [key, r] of byRef) if (dropped.has(r)) byRef.delete(key);
  return {
    detections: kept.filter((r): r is DetectionRule => r.kind === 'detection'),
    correlations: ordered,
    alerting,
    alertingIds: new Set(alerting.map((r) => r.id)),
    lookup: (ref) => byRef.get(ref),
    referencedBy: (id) => referencedBy.get(id) ?? [],
  };
}

type Drop = (r: SigmaRule, field: string, message: string) => void;

/** One correlation's references, aliases and chained group-by; null when it was dropped. */
function resolveOne(c: CorrelationRule, byRef: ReadonlyMap<string, SigmaRule>, unknown: (ref: string) => string, drop: Drop): ResolvedCorrelation | null {
  const inputs: SigmaRule[] = [];
  for (let i = 0; i < c.rules.length; i++) {
    const ref = c.rules[i]!;
    const r = byRef.get(ref);
    const field = `correlation.rules[${i}]`;
    if (!r) {
      drop(c, field, unknown(ref));
      return null;
    }
    if (r === c) {
      drop(c, field, `correlation cycle ${c.name ?? c.id} → ${c.name ?? c.id}: a correlation may not reference itself`);
      return null;
    }
    const j = inputs.indexOf(r);
    if (j >= 0) {
      drop(c, field, `"${ref}" and "${c.rules[j]}" are the same rule ${label(r)}`);
      return null;
    }
    inputs.push(r);
  }
  // alias → (slot → field)
  const aliasFields = new Map<string, Map<number, string>>();
  for (const [alias, mapping] of c.aliases) {
    const perSlot = new Map<number, string>();
    for (const [ref, field] of mapping) {
      const at = `correlation.aliases.${alias}.${ref}`;
      const r = byRef.get(ref);
      if (!r) {
        drop(c, at, `alias "${alias}": ${unknown(ref)}`);
        return null;
      }
      const slot = inputs.indexOf(r);
      if (slot < 0) {
        drop(c, at, `alias "${alias}" names rule "${ref}", which is not one of this correlation's rules`);
        return null;
      }
      perSlot.set(slot, field);
    }
    aliasFields.set(alias, perSlot);
  }
  // A rule an alias does not mention is read by the alias's own name.
  const fieldFor = (name: string, slot: number): string => aliasFields.get(name)?.get(slot) ?? name;
  const groupFields = inputs.map((_, slot) => c.groupBy.map((g) => fieldFor(g, slot)));
  const valueField = c.type === 'value_count' ? c.condition?.field ?? null : null;
  const valueFields = inputs.map((_, slot) => (valueField === null ? null : fieldFor(valueField, slot)));

  // A chained correlation's matches carry only its group-by values: that is all the user may read.
  for (let slot = 0; slot < inputs.length; slot++) {
    const inner = inputs[slot]!;
    if (inner.kind !== 'correlation') continue;
    const have = inner.groupBy;
    const need: [string, string][] = groupFields[slot]!.map((f, k) => [f, `correlation.group-by[${k}]`]);
    if (valueFields[slot] !== null) need.push([valueFields[slot]!, 'correlation.condition.field']);
    for (const [f, at] of need) {
      if (have.includes(f)) continue;
      drop(c, at, `field "${f}" is not among the group-by fields of correlation ${label(inner)} (${have.join(', ') || 'none'}), ` +
        'the only fields its matches carry');
      return null;
    }
  }
  return { rule: c, inputs, groupFields, valueFields, generate: generateFlag(c.raw) };
}
