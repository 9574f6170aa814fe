// Runs a compiled DetectionRule against events. A rule is compiled once into
// closures: every wildcard string to a plain string test (equals, startsWith,
// endsWith, includes, or a linear segment scan), every regex and CIDR parsed
// once. The event is seen only through `get(field)`, which returns the value of a
// (dotted) field name; how an event stores its fields is the caller's business.
//
// Matching, where the specification leaves room:
// - A field holding a list matches when any element matches; with `|all` each
//   value must match some element (field|all: [a, b] = field: a and field: b).
// - Numbers and booleans match string patterns by their string form ("All values
//   are treated as case-insensitive strings"); an object by its JSON text (a
//   "greedy search", as SigmaHQ's M365 rules expect of a list of parameters).
// - `null` matches an absent field or a null value; `|exists: true` any present
//   field, even null ("not its value, be it empty or null").
// - gt/gte/lt/lte read numbers and numeric strings; anything else never matches.
// - `|re` searches the value, as PCRE does (anchor with ^ and $ for the whole value).
// - `|cidr` reads the value as canonicalIp does (IPv4-mapped IPv6 is the IPv4, a
//   port or brackets are peeled off).
// - Keyword searches (a list of values without a field) look for each value
//   anywhere in the strings the caller's `keywords()` gives (e.g. the raw record's
//   text); without that accessor a keyword search matches nothing.
import type { ConditionNode, DetectionRule, FieldMatch, Modifier, SigmaValue } from './types.js';
import { CidrSet, canonicalIp } from '../model/ip.js';
import { base64Of, base64Offsets, compileRegex, compileWildcard, plainText, type TextTest, type WildcardMode } from './pattern.js';

/** The value of a field of the event (dotted ECS or raw name): a scalar, a list of them, or undefined when absent. */
export type FieldGetter = (field: string) => unknown;
/** The texts a keyword search looks in. Called at most once per match. */
export type KeywordSource = () => readonly string[];
export type DetectionMatcher = (get: FieldGetter, keywords?: KeywordSource) => boolean;

type Test = (get: FieldGetter, keywords: KeywordSource) => boolean;

const NO_KEYWORDS: readonly string[] = [];
const NONE: readonly unknown[] = [];

function elements(v: unknown): readonly unknown[] {
  if (v === undefined) return NONE;
  return Array.isArray(v) ? v : [v];
}

function textOf(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      if (v === null) return null;
      try {
        return JSON.stringify(v) ?? null;
      } catch {
        return null; // a cycle: not text
      }
    default:
      return null;
  }
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function numberOf(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && NUMERIC.test(v.trim())) return Number(v);
  return null;
}

function texts(values: readonly unknown[], fold: boolean): string[] {
  const out: string[] = [];
  for (const v of values) {
    const t = textOf(v);
    if (t !== null) out.push(fold ? t.toLowerCase() : t);
  }
  return out;
}

function display(v: SigmaValue): string {
  return v.kind === 'string' ? v.pattern : v.kind === 'null' ? 'null' : String(v.value);
}

/** Any value matches some item, or with `|all` every value matches some item. */
function linker<T>(tests: Array<(x: T) => boolean>, all: boolean): (items: readonly T[]) => boolean {
  if (all) return (items) => tests.every((t) => items.some(t));
  if (tests.length === 1) return (items) => items.some(tests[0]!);
  return (items) => items.some((x) => tests.some((t) => t(x)));
}

function modeOf(mods: ReadonlySet<Modifier>, fallback: WildcardMode): WildcardMode {
  return mods.has('contains') ? 'contains' : mods.has('startswith') ? 'startswith' : mods.has('endswith') ? 'endswith' : fallback;
}

/** The string tests of a value list: wildcards (after any base64 form), or regular expressions. */
function textTests(fm: FieldMatch, mods: ReadonlySet<Modifier>, fallback: WildcardMode): TextTest[] {
  if (mods.has('re')) {
    const flags = (['i', 'm', 's'] as const).filter((f) => mods.has(f)).join('');
    return fm.values.map((v) => {
      const r = compileRegex(display(v), flags);
      if ('error' in r) throw new Error(`${fm.file}:${fm.line}: ${r.error}`);
      return (s) => r.re.test(s);
    });
  }
  const mode = modeOf(mods, fallback);
  const fold = !mods.has('cased');
  return fm.values.map((v) => {
    const pattern = display(v);
    const forms = mods.has('base64') ? [base64Of(plainText(pattern))] : mods.has('base64offset') ? base64Offsets(plainText(pattern)) : [pattern];
    const tests = forms.map((f) => compileWildcard(f, mode, fold));
    return tests.length === 1 ? tests[0]! : (s) => tests.some((t) => t(s));
  });
}

function compileFieldMatch(fm: FieldMatch): Test {
  const mods: ReadonlySet<Modifier> = new Set(fm.modifiers);
  const all = mods.has('all');
  const field = fm.field;
  if (field === null) {
    const fold = !mods.has('cased') && !mods.has('re');
    const check = linker(textTests(fm, mods, 'contains'), all);
    return (_get, keywords) => check(texts(keywords(), fold));
  }
  const first = fm.values[0];
  if (mods.has('exists')) {
    const want = first?.kind === 'boolean' && first.value;
    return (get) => (get(field) !== undefined) === want;
  }
  if (first?.kind === 'null') {
    return (get) => {
      const v = get(field);
      return v === undefined || v === null || (Array.isArray(v) && v.includes(null));
    };
  }
  const compare = (['gt', 'gte', 'lt', 'lte'] as const).find((m) => mods.has(m));
  if (compare) {
    const tests = fm.values.map((v): ((n: number) => boolean) => {
      const x = v.kind === 'number' ? v.value : NaN;
      return compare === 'gt' ? (n) => n > x : compare === 'gte' ? (n) => n >= x : compare === 'lt' ? (n) => n < x : (n) => n <= x;
    });
    const check = linker(tests, all);
    return (get) => check(elements(get(field)).map(numberOf).filter((n): n is number => n !== null));
  }
  if (mods.has('cidr')) {
    const check = linker(fm.values.map((v) => {
      const set = new CidrSet([display(v)]);
      return (ip: string) => set.match(ip) !== null;
    }), all);
    return (get) => check(elements(get(field)).map(canonicalIp).filter((ip): ip is string => ip !== null));
  }
  if (mods.has('fieldref')) {
    const fold = !mods.has('cased');
    const mode = modeOf(mods, 'equals');
    const has = (a: string, b: string): boolean =>
      mode === 'contains' ? a.includes(b) : mode === 'startswith' ? a.startsWith(b) : mode === 'endswith' ? a.endsWith(b) : a === b;
    const refs = fm.values.map((v) => plainText(display(v)));
    return (get) => {
      const mine = texts(elements(get(field)), fold);
      const hit = (ref: string): boolean => texts(elements(get(ref)), fold).some((b) => mine.some((a) => has(a, b)));
      return all ? refs.every(hit) : refs.some(hit);
    };
  }
  const fold = !mods.has('cased') && !mods.has('re');
  const tests = textTests(fm, mods, 'equals');
  const check = linker(tests, all);
  // The usual event value is one string: test it without building lists.
  const one = tests.length === 1 ? tests[0]! : all ? (s: string) => tests.every((t) => t(s)) : (s: string) => tests.some((t) => t(s));
  return (get) => {
    const v = get(field);
    if (typeof v === 'string') return one(fold ? v.toLowerCase() : v);
    return check(texts(elements(v), fold));
  };
}

interface CompiledSelection {
  name: string;
  line: number;
  alternatives: Array<Array<{ fm: FieldMatch; test: Test }>>;
  test: Test;
}

function compileSelections(rule: DetectionRule): Map<string, CompiledSelection> {
  const out = new Map<string, CompiledSelection>();
  for (const sel of rule.selections.values()) {
    const alternatives = sel.anyOf.map((and) => and.map((fm) => ({ fm, test: compileFieldMatch(fm) })));
    const ands = alternatives.map((and): Test => (and.length === 1 ? and[0]!.test : (g, k) => and.every((x) => x.test(g, k))));
    const test: Test = ands.length === 1 ? ands[0]! : (g, k) => ands.some((t) => t(g, k));
    out.set(sel.name, { name: sel.name, line: sel.line, alternatives, test });
  }
  return out;
}

function compileCondition(node: ConditionNode, sels: Map<string, CompiledSelection>): Test {
  const ref = (name: string): Test => {
    const s = sels.get(name);
    if (!s) throw new Error(`condition names unknown search identifier '${name}'`);
    return s.test;
  };
  switch (node.op) {
    case 'ref':
      return ref(node.name);
    case 'not': {
      const arg = compileCondition(node.arg, sels);
      return (g, k) => !arg(g, k);
    }
    case 'of': {
      const tests = node.names.map(ref);
      return node.quantifier === 'all' ? (g, k) => tests.every((t) => t(g, k)) : (g, k) => tests.some((t) => t(g, k));
    }
    default: {
      const tests = node.args.map((a) => compileCondition(a, sels));
      return node.op === 'and' ? (g, k) => tests.every((t) => t(g, k)) : (g, k) => tests.some((t) => t(g, k));
    }
  }
}

/** Whether the rule has a keyword search (and so wants the `keywords` accessor). */
export function usesKeywords(rule: DetectionRule): boolean {
  return [...rule.selections.values()].some((s) => s.anyOf.some((and) => and.some((fm) => fm.field === null)));
}

const noKeywords: KeywordSource = () => NO_KEYWORDS;

/** The keyword accessor for one match: called at most once, only when a keyword search needs it. */
function once(keywords: KeywordSource | undefined): KeywordSource {
  if (!keywords) return noKeywords;
  let cached: readonly string[] | undefined;
  return () => (cached ??= keywords());
}

/** Compiles the rule once into a predicate over events. Throws only for a rule that did not come from compileDetection. */
export function compileMatcher(rule: DetectionRule): DetectionMatcher {
  const root = compileCondition(rule.condition, compileSelections(rule));
  if (!usesKeywords(rule)) return (get) => root(get, noKeywords);
  return (get, keywords) => root(get, once(keywords));
}

/** A field match that failed, with the event's value (undefined when absent). */
export interface FieldMiss {
  field: string | null;
  modifiers: Modifier[];
  values: string[];
  line: number;
  actual: unknown;
}

export interface SelectionExplanation {
  name: string;
  line: number;
  matched: boolean;
  /** When not matched: for each alternative (a list of maps has several), its first failing field match. */
  misses: FieldMiss[];
}

export interface DetectionExplanation {
  matched: boolean;
  selections: SelectionExplanation[];
}

/** Why the rule did or did not match the event, per search identifier (for `explain`). Plain data. */
export function explainDetection(rule: DetectionRule, get: FieldGetter, keywords?: KeywordSource): DetectionExplanation {
  const sels = compileSelections(rule);
  const kw = once(keywords);
  const selections = [...sels.values()].map((s): SelectionExplanation => {
    const matched = s.test(get, kw);
    const misses: FieldMiss[] = [];
    if (!matched) {
      for (const and of s.alternatives) {
        const miss = and.find((x) => !x.test(get, kw));
        if (!miss) continue;
        const { fm } = miss;
        misses.push({ field: fm.field, modifiers: [...fm.modifiers], values: fm.values.map(display), line: fm.line, actual: fm.field === null ? undefined : get(fm.field) });
      }
    }
    return { name: s.name, line: s.line, matched, misses };
  });
  return { matched: compileCondition(rule.condition, sels)(get, kw), selections };
}
