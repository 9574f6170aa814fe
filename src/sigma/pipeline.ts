// Processing pipelines: rules written with a log source's own field names
// (SigmaHQ's Entra ID and Microsoft 365 rules say ResultType, Operation,
// ClientIP...) rewritten to the normalized event's ECS names, as pySigma's
// processing pipelines do for a backend. A pipeline is data (pipelines/*.ts): per
// log source, each raw name's normalized field, or null when crosswatch keeps
// nothing equivalent. A rule that names such a field, or a field the table does
// not know, is rejected with a reason naming the field: never a rule that
// silently matches nothing or matches something else.
//
// A mapping may carry, besides the field:
//   only    the normalized field holds the raw field's value only on some of the
//           log source's events (event.code is Entra's result code on sign-ins but
//           the record type on M365 UserLoggedIn events, which the same log source
//           covers): each test of the field gets a test of `only` beside it, so the
//           rule reads the field where it means what the rule means and, elsewhere,
//           as absent (as the raw field is absent from those records).
//   values  the normalized field holds a translation of the raw value (the admin
//           center's Status "Success" is event.outcome "success"): only plain values
//           of the table translate; anything else is rejected.
// Rules whose product the pipeline does not name pass unchanged (they already use
// ECS names); a rule of a named product whose log source has no table is rejected.
import type { NormalizedEvent } from '../model/event.js';
import type { CorrelationRule, DetectionRule, FieldMatch, LogSource, Selection, SigmaRule, SigmaValue } from './types.js';
import { hasWildcards, plainText } from './pattern.js';

/** Every dotted name at which eventField finds a value: objects are walked, scalars and arrays are leaves. */
type Leaves<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends readonly unknown[]
    ? K
    : NonNullable<T[K]> extends object
      ? `${K}.${Leaves<NonNullable<T[K]>>}`
      : K;
}[keyof T & string];

/** A field of the normalized event, as rules name it (src/model/event.ts). */
export type EcsField = Leaves<NormalizedEvent>;

/** Every EcsField (checked complete by the compiler below): names a rule may use as they are. */
export const ECS_FIELDS = [
  '@timestamp',
  'event.kind', 'event.dataset', 'event.module', 'event.action', 'event.outcome', 'event.category', 'event.type',
  'event.id', 'event.severity', 'event.provider', 'event.code',
  'source.ip', 'source.port', 'source.geo.city_name', 'source.geo.region_name', 'source.geo.country_iso_code', 'source.geo.country_name',
  'destination.ip', 'destination.port',
  'user.name', 'user.email', 'user.id', 'user.domain',
  'user_agent.original',
  'rule.name', 'rule.id', 'rule.category',
  'observer.vendor', 'observer.product', 'observer.name', 'observer.type',
  'network.transport', 'network.protocol',
  'cloud.provider', 'cloud.account.id',
  'client.app', 'client.client_app',
  'azure.signinlogs.properties.authentication_requirement', 'azure.signinlogs.properties.authentication_details',
  'azure.signinlogs.properties.mfa_detail.auth_method', 'azure.signinlogs.properties.mfa_detail.auth_detail',
  'azure.signinlogs.properties.conditional_access_status', 'azure.signinlogs.properties.risk_level_during_signin',
  'azure.signinlogs.properties.risk_state', 'azure.signinlogs.properties.risk_level_aggregated',
  'azure.signinlogs.properties.risk_detail', 'azure.signinlogs.properties.app_id',
  'o365.audit.AppId', 'o365.audit.ClientAppId', 'o365.audit.ApplicationId', 'o365.audit.ClientInfoString',
  'crosswatch.role', 'crosswatch.decoder', 'crosswatch.category',
] as const satisfies readonly EcsField[];

// A field added to NormalizedEvent and not listed above fails to compile here.
type Unlisted = Exclude<EcsField, (typeof ECS_FIELDS)[number]>;
const _everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void _everyFieldListed;

const ECS_NAMES: ReadonlySet<string> = new Set(ECS_FIELDS);

/** Whether a name is a normalized field (a rule written for crosswatch uses these as they are). */
export function isEcsField(name: string): name is EcsField {
  return ECS_NAMES.has(name);
}

/** The events on which a mapped field holds the raw field's value: `field` is one of `values`. */
export interface FieldGuard {
  field: EcsField;
  values: readonly string[];
}

export interface FieldRule {
  /** The normalized field; null when crosswatch keeps nothing equivalent. */
  to: EcsField | null;
  /**
   * 'same' (the default): the decoders fill `to` from this raw field, its value as
   * written (in the normal form the note gives). 'copy': Microsoft writes the same
   * thing under several names and the decoders keep one copy in `to` (the note says
   * which wins when a record's copies differ).
   */
  kind?: 'same' | 'copy';
  /** Completes the reason when `to` is null ("is not kept by the decoders" by default). */
  reason?: string;
  /** For people (docs/rules-sigmahq.md): the normal form, which copy wins, what `only` is for. */
  note?: string;
  only?: FieldGuard;
  /** Raw value (matched ignoring case) → the value `to` holds. Only these translate. */
  values?: Readonly<Record<string, string>>;
}

/** A normalized field (same values), null (known, no equivalent) or a rule. */
export type FieldMapping = EcsField | null | FieldRule;

export interface PipelineLogSource {
  match: { product: string; service?: string };
  /**
   * What a rule may write before a name for the same field: Entra's diagnostic
   * records nest the sign-in under `properties.`, and the decoder reads
   * `properties.x`, `x` and `X` as one field.
   */
  prefixes?: readonly string[];
  /**
   * Raw name → mapping. Names match ignoring case (Microsoft's exports write
   * resultType and ResultType); a key `X.*` covers X and every field under it.
   */
  fields: Readonly<Record<string, FieldMapping>>;
}

export interface Pipeline {
  /** As pySigma names pipelines ("crosswatch-microsoft"). */
  name: string;
  description: string;
  logsources: readonly PipelineLogSource[];
}

/** A pipeline applied to one rule: the rewritten rule, or why it cannot run. */
export type PipelineOutcome = { rule: SigmaRule } | { rejected: string };

/**
 * For a correlation: the log source of a rule it references (by the name or id it
 * wrote); null for a referenced correlation (its fields are already normalized);
 * undefined when unknown (every table of the pipeline is then consulted).
 */
export interface PipelineContext {
  logsourceOf?: (ref: string) => LogSource | null | undefined;
}

// --- Looking names up ----------------------------------------------------------------

interface Resolved {
  /** The raw name as the table spells it (the name itself for a normalized field). */
  key: string;
  rule: FieldRule;
}

interface Index {
  exact: ReadonlyMap<string, Resolved>;
  folded: ReadonlyMap<string, Resolved>;
  /** `X.*` entries: lower-cased X. */
  nested: ReadonlyArray<readonly [string, Resolved]>;
}

function asRule(m: FieldMapping): FieldRule {
  return m === null ? { to: null } : typeof m === 'string' ? { to: m } : m;
}

const INDEXES = new WeakMap<PipelineLogSource, Index>();

function indexOf(ls: PipelineLogSource): Index {
  let ix = INDEXES.get(ls);
  if (ix) return ix;
  const exact = new Map<string, Resolved>();
  const folded = new Map<string, Resolved>();
  const nested: Array<readonly [string, Resolved]> = [];
  for (const [key, m] of Object.entries(ls.fields)) {
    const r: Resolved = { key, rule: asRule(m) };
    if (key.endsWith('.*')) {
      nested.push([key.slice(0, -2).toLowerCase(), r]);
      continue;
    }
    exact.set(key, r);
    if (!folded.has(key.toLowerCase())) folded.set(key.toLowerCase(), r);
  }
  ix = { exact, folded, nested };
  INDEXES.set(ls, ix);
  return ix;
}

function lookupName(ix: Index, name: string): Resolved | undefined {
  const hit = ix.exact.get(name) ?? ix.folded.get(name.toLowerCase());
  if (hit) return hit;
  const lower = name.toLowerCase();
  for (const [base, r] of ix.nested) if (lower === base || lower.startsWith(`${base}.`)) return r;
  return undefined;
}

/** The table's entry for a raw name (as written, ignoring case, after a prefix), undefined when none. */
export function lookupField(ls: PipelineLogSource, name: string): Resolved | undefined {
  const ix = indexOf(ls);
  const direct = lookupName(ix, name);
  if (direct) return direct;
  for (const p of ls.prefixes ?? []) {
    if (name.length > p.length && name.slice(0, p.length).toLowerCase() === p.toLowerCase()) {
      const r = lookupName(ix, name.slice(p.length));
      if (r) return r;
    }
  }
  return undefined;
}

function label(ls: PipelineLogSource): string {
  return ls.match.service === undefined ? ls.match.product : `${ls.match.product}/${ls.match.service}`;
}

/** What a name becomes under one table: a rule, or the reason it cannot be used. */
function resolve(ls: PipelineLogSource | 'normalized', name: string, pipeline: Pipeline): Resolved | { problem: string } {
  if (ls === 'normalized') return { key: name, rule: { to: name as EcsField } };
  const r = lookupField(ls, name);
  if (r) {
    if (r.rule.to === null) return { problem: `field ${name} ${r.rule.reason ?? 'is not kept by the decoders'}` };
    return r;
  }
  if (isEcsField(name)) return { key: name, rule: { to: name } };
  return { problem: `field ${name} is not in ${pipeline.name}'s table for ${label(ls)}` };
}

// --- Log sources ---------------------------------------------------------------------

function products(pipeline: Pipeline): Set<string> {
  return new Set(pipeline.logsources.map((l) => l.match.product));
}

/**
 * The table for a rule's log source: a table, 'normalized' when the pipeline does not
 * name its product (the rule is left as it is), or a problem.
 */
export function tableFor(pipeline: Pipeline, logsource: LogSource): PipelineLogSource | 'normalized' | { problem: string } {
  const { product, service, category } = logsource;
  if (product === undefined || !products(pipeline).has(product)) return 'normalized';
  const hit = pipeline.logsources.find((l) => l.match.product === product && category === undefined && (l.match.service === undefined || l.match.service === service));
  if (hit) return hit;
  const written = [`product ${product}`, ...(service === undefined ? [] : [`service ${service}`]), ...(category === undefined ? [] : [`category ${category}`])].join(', ');
  return { problem: `log source ${written} has no field table in ${pipeline.name} (it has ${pipeline.logsources.map(label).join(', ')})` };
}

// --- Detection rules -----------------------------------------------------------------

function display(v: SigmaValue): string {
  return v.kind === 'string' ? v.pattern : v.kind === 'null' ? 'null' : String(v.value);
}

function keyword(fm: FieldMatch): string {
  return [fm.field ?? '', ...fm.modifiers].join('|');
}

function guardMatch(g: FieldGuard, at: FieldMatch): FieldMatch {
  return { field: g.field, modifiers: [], values: g.values.map((v) => ({ kind: 'string', pattern: v })), file: at.file, line: at.line };
}

/** Whether the match holds for an event without the field (then `only` cannot stand beside it). */
function trueWhenAbsent(fm: FieldMatch): boolean {
  if (fm.modifiers.includes('exists')) return fm.values[0]?.kind === 'boolean' && !fm.values[0].value;
  return fm.values.some((v) => v.kind === 'null');
}

function translate(fm: FieldMatch, name: string, r: FieldRule, values: Readonly<Record<string, string>>): SigmaValue[] | { problem: string } {
  const table = Object.entries(values);
  const raws = [...new Set(table.map(([raw]) => raw))];
  const accepted = raws.length <= 6 ? raws.join(', ') : `the ${raws.length} values of its table`;
  const to = r.to as string;
  if (fm.modifiers.length > 0) {
    return { problem: `field ${keyword(fm)}: ${name} maps to ${to} only as plain values (${accepted}); a modifier cannot be translated` };
  }
  const out: SigmaValue[] = [];
  for (const v of fm.values) {
    const text = v.kind === 'string' ? (hasWildcards(v.pattern) ? null : plainText(v.pattern)) : v.kind === 'null' ? null : String(v.value);
    const hit = text === null ? undefined : table.find(([raw]) => raw.toLowerCase() === text.toLowerCase());
    if (!hit) return { problem: `field ${name}: value ${display(v)} has no equivalent in ${to} (only ${accepted} translate)` };
    out.push({ kind: 'string', pattern: hit[1] });
  }
  return out;
}

/** One field match under a table: its replacement (with any `only` tests), or a problem. */
function mapMatch(fm: FieldMatch, ls: PipelineLogSource | 'normalized', pipeline: Pipeline): { matches: FieldMatch[] } | { problem: string } {
  if (fm.field === null) return { matches: [fm] };
  const r = resolve(ls, fm.field, pipeline);
  if ('problem' in r) return r;
  const guards: FieldGuard[] = [];
  const { rule } = r;
  let values = fm.values;
  if (rule.values) {
    const t = translate(fm, fm.field, rule, rule.values);
    if ('problem' in t) return t;
    values = t;
  }
  if (rule.only) guards.push(rule.only);
  if (fm.modifiers.includes('fieldref')) {
    const refs: SigmaValue[] = [];
    for (const v of fm.values) {
      const ref = plainText(display(v));
      const rr = resolve(ls, ref, pipeline);
      if ('problem' in rr) return rr;
      if (rr.rule.values) return { problem: `field ${ref} (named by ${keyword(fm)}) maps to ${rr.rule.to as string} only by translating values, which a field reference cannot` };
      if (rr.rule.only) guards.push(rr.rule.only);
      refs.push({ kind: 'string', pattern: rr.rule.to as string });
    }
    values = refs;
  }
  if (guards.length > 0 && trueWhenAbsent(fm)) {
    const g = guards[0]!;
    return { problem: `field ${keyword(fm)}: ${fm.field} is ${rule.to as string} only where ${g.field} is ${g.values.join(' or ')}, so a test true of an absent field cannot be translated` };
  }
  const mapped: FieldMatch = { ...fm, field: rule.to as string, modifiers: [...fm.modifiers], values: [...values] };
  return { matches: [mapped, ...guards.map((g) => guardMatch(g, fm))] };
}

function guardKey(fm: FieldMatch): string {
  return JSON.stringify([fm.field, fm.modifiers, fm.values]);
}

function mapDetection(rule: DetectionRule, ls: PipelineLogSource | 'normalized', pipeline: Pipeline, problems: string[]): DetectionRule {
  const selections = new Map<string, Selection>();
  for (const [name, sel] of rule.selections) {
    const anyOf = sel.anyOf.map((and) => {
      const out: FieldMatch[] = [];
      const extra = new Map<string, FieldMatch>();
      for (const fm of and) {
        const m = mapMatch(fm, ls, pipeline);
        if ('problem' in m) {
          problems.push(m.problem);
          continue;
        }
        out.push(m.matches[0]!);
        for (const g of m.matches.slice(1)) if (!extra.has(guardKey(g))) extra.set(guardKey(g), g);
      }
      // An `only` test already written by the rule itself is not repeated.
      const written = new Set(out.map(guardKey));
      return [...out, ...[...extra].filter(([k]) => !written.has(k)).map(([, g]) => g)];
    });
    selections.set(name, { ...sel, anyOf });
  }
  return { ...rule, selections };
}

// --- Correlation rules ---------------------------------------------------------------

/** A table a correlation's field is read under; strict when a referenced rule is known to use it. */
interface Reading {
  table: PipelineLogSource | 'normalized';
  strict: boolean;
}

/**
 * The tables of the referenced rules: a known detection's table, 'normalized' for a
 * referenced correlation (its fields are already normalized) or a product the
 * pipeline does not name, and every table, not strictly, for a reference not known.
 */
function readingsOf(refs: readonly string[], pipeline: Pipeline, ctx: PipelineContext): Reading[] {
  const out = new Map<PipelineLogSource | 'normalized', boolean>();
  const add = (table: PipelineLogSource | 'normalized', strict: boolean): void => {
    out.set(table, (out.get(table) ?? false) || strict);
  };
  for (const ref of refs) {
    const ls = ctx.logsourceOf?.(ref);
    if (ls === null) {
      add('normalized', true);
    } else if (ls === undefined) {
      for (const l of pipeline.logsources) add(l, false);
    } else {
      const t = tableFor(pipeline, ls);
      // A referenced rule without a table is rejected itself (and the correlation with it, by the rule set).
      if (typeof t === 'string' || !('problem' in t)) add(t, true);
    }
  }
  return [...out].map(([table, strict]) => ({ table, strict }));
}

function mapCorrelationField(name: string, where: string, readings: readonly Reading[], pipeline: Pipeline): string | { problem: string } {
  const seen = new Map<string, string[]>();
  const saw = (to: string, from: string): void => {
    seen.set(to, [...(seen.get(to) ?? []), from]);
  };
  for (const { table, strict } of readings) {
    if (table === 'normalized') {
      saw(name, 'as written');
      continue;
    }
    const e = lookupField(table, name);
    if (e) {
      if (e.rule.to === null) return { problem: `${where}: field ${name} ${e.rule.reason ?? 'is not kept by the decoders'}` };
      if (e.rule.only || e.rule.values) {
        return { problem: `${where}: field ${name} is ${e.rule.to} only on some events or through translated values, which a correlation cannot group or count by` };
      }
      saw(e.rule.to, label(table));
    } else if (isEcsField(name)) {
      saw(name, label(table));
    } else if (strict) {
      return { problem: `${where}: field ${name} is not in ${pipeline.name}'s table for ${label(table)}` };
    }
  }
  if (seen.size > 1) {
    return { problem: `${where}: field ${name} is ${[...seen].map(([to, from]) => `${to} (${from.join(', ')})`).join(' but ')}: the referenced rules' log sources disagree` };
  }
  const [only] = seen.keys();
  return only ?? { problem: `${where}: field ${name} is in no table of ${pipeline.name}` };
}

function mapCorrelation(rule: CorrelationRule, pipeline: Pipeline, ctx: PipelineContext, problems: string[]): CorrelationRule {
  const all = readingsOf(rule.rules, pipeline, ctx);
  const field = (name: string, where: string, readings = all): string => {
    const m = mapCorrelationField(name, where, readings, pipeline);
    if (typeof m === 'string') return m;
    problems.push(m.problem);
    return name;
  };
  const aliases = new Map<string, ReadonlyMap<string, string>>();
  for (const [alias, byRule] of rule.aliases) {
    const inner = new Map<string, string>();
    for (const [ref, f] of byRule) inner.set(ref, field(f, `aliases.${alias}.${ref}`, readingsOf([ref], pipeline, ctx)));
    aliases.set(alias, inner);
  }
  // An alias in group-by names the alias, not a field.
  const groupBy = rule.groupBy.map((g, i) => (rule.aliases.has(g) ? g : field(g, `group-by[${i}]`)));
  const out: CorrelationRule = { ...rule, groupBy, aliases };
  if (rule.condition?.field !== undefined) out.condition = { ...rule.condition, field: field(rule.condition.field, 'condition.field') };
  return out;
}

// --- Applying ------------------------------------------------------------------------

/**
 * The rule with its fields renamed to the normalized event's, or why it cannot run
 * (every unusable field named, "; "-separated). The rule given is not changed.
 */
export function applyPipeline(rule: SigmaRule, pipeline: Pipeline, ctx: PipelineContext = {}): PipelineOutcome {
  const problems: string[] = [];
  let out: SigmaRule;
  if (rule.kind === 'detection') {
    const t = tableFor(pipeline, rule.logsource);
    if (typeof t !== 'string' && 'problem' in t) return { rejected: t.problem };
    if (t === 'normalized') return { rule };
    out = mapDetection(rule, t, pipeline, problems);
  } else {
    out = mapCorrelation(rule, pipeline, ctx, problems);
  }
  if (problems.length > 0) return { rejected: [...new Set(problems)].join('; ') };
  return { rule: out };
}

export interface PipelineResult {
  rules: SigmaRule[];
  rejected: Array<{ rule: SigmaRule; reason: string }>;
}

/**
 * A pipeline over a set of rules: a correlation's fields are read under the tables of
 * the rules it references (by id or name). Rules that reference a rejected rule are
 * the rule set's to drop (ruleset.ts), as for any missing reference.
 */
export function applyPipelineToRules(rules: readonly SigmaRule[], pipeline: Pipeline): PipelineResult {
  const byRef = new Map<string, LogSource | null>();
  for (const r of rules) {
    const ls = r.kind === 'detection' ? r.logsource : null;
    byRef.set(r.id, ls);
    if (r.name !== undefined) byRef.set(r.name, ls);
  }
  const ctx: PipelineContext = { logsourceOf: (ref) => byRef.get(ref) };
  const out: PipelineResult = { rules: [], rejected: [] };
  for (const r of rules) {
    const o = applyPipeline(r, pipeline, ctx);
    if ('rule' in o) out.rules.push(o.rule);
    else out.rejected.push({ rule: r, reason: o.rejected });
  }
  return out;
}
