// Compiles the `logsource:` and `detection:` of a Sigma rule (rules specification
// v2, "Detection"; modifiers appendix) into the plain DetectionRule shape, and
// refuses anything crosswatch would match differently from what the rule says:
// an unknown or unsupported modifier, a combination of modifiers with no one
// meaning, a value of the wrong type, a regular expression that does not compile
// or could backtrack, a condition naming nothing. Every problem names file, line
// and YAML path. Which log sources are known is the caller's business.
import type { SigmaDocument } from './source.js';
import type { ConditionNode, DetectionRule, FieldMatch, LogSource, Modifier, RuleMeta, Selection, SigmaProblem, SigmaValue } from './types.js';
import { CidrSet } from '../model/ip.js';
import { parseCondition } from './condition.js';
import { compileRegex, hasWildcards } from './pattern.js';

/** Bounds that keep a hostile rule from taking the process down. */
export const MAX_VALUES_PER_RULE = 10_000;
export const MAX_SELECTIONS_PER_RULE = 1_000;

const STRING_KINDS = ['contains', 'startswith', 'endswith'] as const;
const TYPES = ['re', 'cidr', 'exists', 'gt', 'gte', 'lt', 'lte', 'fieldref'] as const;
const COMPARE = ['gt', 'gte', 'lt', 'lte'];
const FLAGS = ['i', 'm', 's'];
const SUPPORTED: ReadonlySet<string> = new Set<Modifier>([...STRING_KINDS, ...TYPES, 'all', 'i', 'm', 's', 'base64', 'base64offset', 'cased']);
const KEYWORD_MODIFIERS = ['all', 'contains', 'cased', 're', 'i', 'm', 's'];
const NOT_SUPPORTED = 'is not supported by crosswatch';
/** Modifiers of the specification crosswatch refuses, with why. */
const UNSUPPORTED: Record<string, string> = {
  expand: 'expand: placeholders (%name%) need values from a processing pipeline, which crosswatch does not have; the specification says a tool that cannot fill placeholders must reject the rule',
  windash: `windash (Windows command-line dash variants) ${NOT_SUPPORTED}`,
  neq: `neq ${NOT_SUPPORTED}: put the value in a filter selection and use 'not'`,
  ...Object.fromEntries(['utf16le', 'utf16be', 'utf16', 'wide'].map((m) => [m, `${m} (UTF-16 encodings of Windows logs) ${NOT_SUPPORTED}`])),
  ...Object.fromEntries(['minute', 'hour', 'day', 'week', 'month', 'year'].map((m) => [m, `${m} (time parts) ${NOT_SUPPORTED}`])),
};

type Path = (string | number)[];

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Why a modifier chain has no single meaning, or null when it is fine. */
function checkModifiers(mods: string[], keyword: boolean, list: boolean, count: number): string | null {
  const seen = new Set<string>();
  for (const m of mods) {
    if (m === '') return 'empty modifier (two | in a row, or a | at the end)';
    if (UNSUPPORTED[m]) return UNSUPPORTED[m];
    if (!SUPPORTED.has(m)) return `unknown modifier '${m}'`;
    if (seen.has(m)) return `modifier '${m}' given twice`;
    if (keyword && !KEYWORD_MODIFIERS.includes(m)) return `${m} does not apply to a keyword search (a value list without a field)`;
    seen.add(m);
  }
  const at = (m: string): number => mods.indexOf(m);
  const kinds = STRING_KINDS.filter((k) => seen.has(k));
  if (kinds.length > 1) return `only one of contains, startswith, endswith applies (found ${kinds.join(' and ')})`;
  const types = TYPES.filter((t) => seen.has(t));
  if (types.length > 1) return `${types.join(' and ')} cannot be combined: a value is one of re, cidr, exists, gt, gte, lt, lte, fieldref`;
  for (const f of FLAGS) if (seen.has(f) && !(seen.has('re') && at(f) > at('re'))) return `modifier '${f}' is a regular expression flag: only after re`;
  const b64 = ['base64', 'base64offset'].filter((b) => seen.has(b));
  if (b64.length > 1) return 'only one of base64, base64offset applies';
  const type = types[0];
  const others = [...kinds, ...b64, ...(seen.has('cased') ? ['cased'] : [])];
  if (type === 're' && others.length > 0) return `re cannot be combined with ${others.join(', ')}: write it into the regular expression (|i for case-insensitive)`;
  if (type && type !== 're' && type !== 'fieldref' && others.length > 0) return `${type} cannot be combined with ${others.join(', ')}`;
  if (type === 'fieldref' && b64.length > 0) return `fieldref cannot be combined with ${b64[0]}`;
  if (type === 'exists' && (seen.has('all') || list)) return 'exists takes one value, true or false (not a list)';
  if (b64.length > 0 && kinds.length > 0 && at(kinds[0]!) < at(b64[0]!)) return `${b64[0]} must come before ${kinds[0]} (modifiers apply in order)`;
  if (seen.has('all') && (!list || count < 2)) return 'all on a single value is not allowed (spec: "Single item values are not allowed to have an all modifier")';
  return null;
}

/** Why this value does not fit the modifiers, or null. */
function checkValue(v: SigmaValue, mods: string[], keyword: boolean): string | null {
  const type = TYPES.find((t) => mods.includes(t));
  const text = v.kind === 'string' ? v.pattern : v.kind === 'number' ? String(v.value) : null;
  if (keyword && text === null) return 'a keyword search value is a string or a number';
  if (v.kind === 'null') return mods.length > 0 ? 'null takes no modifier' : null;
  if (type === 'exists') return v.kind === 'boolean' ? null : 'exists takes true or false';
  if (v.kind === 'boolean') return mods.length > 0 ? 'a boolean value takes no modifier but exists' : null;
  if (type && COMPARE.includes(type)) return v.kind === 'number' ? null : `${type} compares numbers: write the value as a number, unquoted`;
  if (text === null) return null;
  if (type === 'cidr') {
    try {
      new CidrSet([text]);
      return null;
    } catch {
      return `'${text}' is not a CIDR range (address/prefix, IPv4 or IPv6)`;
    }
  }
  if (type === 're') {
    const r = compileRegex(text, FLAGS.filter((f) => mods.includes(f)).join(''));
    return 'error' in r ? r.error : null;
  }
  if (type === 'fieldref' && (text === '' || hasWildcards(text))) return 'fieldref names another field: no wildcards, not empty';
  if ((mods.includes('base64') || mods.includes('base64offset')) && hasWildcards(text)) return 'base64 encodes plain text: the value cannot hold wildcards (* ?)';
  return null;
}

class DetectionCompiler {
  private values = 0;
  private bounded = false;

  constructor(
    private readonly doc: SigmaDocument,
    private readonly problems: SigmaProblem[],
  ) {}

  problem(path: Path, message: string, line = this.doc.lineOf(path)): void {
    this.problems.push({ file: this.doc.file, line, field: path.join('.'), message });
  }

  fail(path: Path, message: string, line?: number): null {
    this.problem(path, message, line);
    return null;
  }

  /** Counts values against the bound; false (and one problem) once it is passed. */
  private count(n: number, path: Path): boolean {
    this.values += n;
    if (this.values <= MAX_VALUES_PER_RULE) return true;
    if (!this.bounded) this.problem(path, `the detection has more than ${MAX_VALUES_PER_RULE} values (a bound against hostile rules)`);
    this.bounded = true;
    return false;
  }

  private value(raw: unknown): SigmaValue | null {
    if (typeof raw === 'string') return { kind: 'string', pattern: raw };
    if (typeof raw === 'number' && Number.isFinite(raw)) return { kind: 'number', value: raw };
    if (typeof raw === 'boolean') return { kind: 'boolean', value: raw };
    if (raw === null) return { kind: 'null' };
    return null;
  }

  /** `field|mod|mod: value(s)`, or a keyword map entry (`'|all': [...]`). */
  fieldMatch(mapPath: Path, key: string, raw: unknown): FieldMatch | null {
    const path = [...mapPath, key];
    const [name, ...mods] = key.split('|');
    const keyword = name === '';
    const list = Array.isArray(raw);
    const items: unknown[] = list ? raw : [raw];
    if (items.length === 0) return this.fail(path, `${key}: empty list of values`);
    if (!this.count(items.length, path)) return null;
    const lineOf = (i: number): number => this.doc.lineOf(list ? [...path, i] : path);
    const values: SigmaValue[] = [];
    for (let i = 0; i < items.length; i++) {
      const v = this.value(items[i]);
      if (!v) return this.fail(path, 'a value is a string, number, boolean or null', lineOf(i));
      if (v.kind === 'null' && list) {
        return this.fail(path, 'null cannot be part of a list of values (spec, Special Field Values): give field: null a selection of its own', lineOf(i));
      }
      values.push(v);
    }
    const wrong = checkModifiers(mods, keyword, list, items.length);
    if (wrong) return this.fail(path, wrong);
    for (let i = 0; i < values.length; i++) {
      const why = checkValue(values[i]!, mods, keyword);
      if (why) return this.fail(path, why, lineOf(i));
    }
    return { file: this.doc.file, line: this.doc.lineOf(path), field: keyword ? null : name!, modifiers: mods as Modifier[], values };
  }

  /** A map: the AND of its entries. */
  map(path: Path, m: Record<string, unknown>): FieldMatch[] | null {
    const entries = Object.entries(m);
    if (entries.length === 0) return this.fail(path, 'empty map: a selection needs at least one field');
    const out: FieldMatch[] = [];
    let ok = true;
    for (const [key, raw] of entries) {
      const fm = this.fieldMatch(path, key, raw);
      if (fm) out.push(fm);
      else ok = false;
    }
    return ok ? out : null;
  }

  /** A search identifier: a map (AND), a list of maps (OR), a list of plain values (keywords), or one plain value. */
  selection(name: string, def: unknown): Selection | null {
    const path: Path = ['detection', name];
    const base = { file: this.doc.file, line: this.doc.lineOf(path), name };
    if (isMap(def)) {
      const and = this.map(path, def);
      return and ? { ...base, anyOf: [and] } : null;
    }
    const items = Array.isArray(def) ? def : def === null ? [] : [def];
    if (items.length === 0) return this.fail(path, `search identifier '${name}' is empty`);
    const anyOf: FieldMatch[][] = [];
    const keywords: SigmaValue[] = [];
    let firstKeyword = -1;
    let ok = true;
    items.forEach((item, i) => {
      const itemLine = this.doc.lineOf(Array.isArray(def) ? [...path, i] : path);
      if (isMap(item)) {
        const and = this.map([...path, i], item);
        if (and) anyOf.push(and);
        else ok = false;
      } else if (typeof item === 'string' || (typeof item === 'number' && Number.isFinite(item))) {
        keywords.push(this.value(item)!);
        if (firstKeyword < 0) firstKeyword = itemLine;
      } else {
        this.problem(path, 'a keyword search value is a string or a number (or a list holds a map of fields)', itemLine);
        ok = false;
      }
    });
    if (!ok || !this.count(keywords.length, path)) return null;
    if (keywords.length > 0) anyOf.push([{ file: this.doc.file, line: firstKeyword, field: null, modifiers: [], values: keywords }]);
    return { ...base, anyOf };
  }
}

function parseLogSource(doc: SigmaDocument, c: DetectionCompiler): LogSource | null {
  const raw = (doc.data as Record<string, unknown>)['logsource'];
  if (!isMap(raw)) return c.fail(['logsource'], 'logsource is required: a map of category, product and/or service');
  const out: LogSource = {};
  let ok = true;
  for (const key of ['category', 'product', 'service', 'definition'] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') {
      c.problem(['logsource', key], `logsource.${key} must be a string`);
      ok = false;
    } else if (key !== 'definition') {
      out[key] = v;
    }
  }
  if (!['category', 'product', 'service'].some((k) => raw[k] !== undefined && raw[k] !== null)) {
    c.problem(['logsource'], 'logsource names none of category, product or service');
    ok = false;
  }
  return ok ? out : null;
}

/**
 * Compiles a detection document (its metadata already parsed). Returns null,
 * with every problem recorded, when anything in logsource or detection is wrong.
 */
export function compileDetection(doc: SigmaDocument, meta: RuleMeta, problems: SigmaProblem[]): DetectionRule | null {
  const before = problems.length;
  const c = new DetectionCompiler(doc, problems);
  const logsource = parseLogSource(doc, c);
  const det = (doc.data as Record<string, unknown>)['detection'];
  if (!isMap(det)) {
    c.problem(['detection'], 'detection must be a map of search identifiers and a condition');
    return null;
  }
  const selections = new Map<string, Selection>();
  // Every identifier counts for the condition, also one that failed: its own problem says why.
  const names: string[] = [];
  for (const [name, def] of Object.entries(det)) {
    if (name === 'condition') continue;
    if (name === 'timeframe') {
      c.problem(['detection', name], 'timeframe (a Sigma v1 aggregation window) is gone in Sigma v2: write a correlation rule with a timespan');
      continue;
    }
    if (names.length >= MAX_SELECTIONS_PER_RULE) {
      c.problem(['detection', name], `the detection has more than ${MAX_SELECTIONS_PER_RULE} search identifiers`);
      break;
    }
    names.push(name);
    const sel = c.selection(name, def);
    if (sel) selections.set(name, sel);
  }
  const raw = det['condition'];
  const texts = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.length > 0 && raw.every((t) => typeof t === 'string') ? (raw as string[]) : null;
  const nodes: ConditionNode[] = [];
  if (raw === undefined || raw === null) c.problem(['detection', 'condition'], 'the detection has no condition', doc.lineOf(['detection']));
  else if (!texts) c.problem(['detection', 'condition'], 'condition must be a string or a list of strings');
  else {
    texts.forEach((text, i) => {
      const path: Path = Array.isArray(raw) ? ['detection', 'condition', i] : ['detection', 'condition'];
      const r = parseCondition(text, names);
      if (r.ok) nodes.push(r.node);
      else c.problem(path, r.message);
    });
  }
  if (problems.length > before || !logsource || !texts) return null;
  const condition = nodes.length === 1 ? nodes[0]! : { op: 'or' as const, args: nodes };
  return { ...meta, kind: 'detection', logsource, logsourceLine: doc.lineOf(['logsource']), selections, condition, conditionText: texts };
}
