// A detection rule as one boolean expression over ECS fields (Pred, ir.ts), then
// bound to one table of a target (Bound): the table's own filter joined to it,
// each field replaced by its column, constants and few-valued fields decided here
// (event.kind on SigninLogs is "event", so `event.kind: alert` is false there),
// and the result simplified. The four printers only print a Bound; what a
// modifier means is decided once, here, as crosswatch's matcher (../match.ts) means it.
import ipaddr from 'ipaddr.js';
import type { ConditionNode, DetectionRule, FieldMatch, Modifier, Selection, SigmaValue } from '../types.js';
import { cannot, globLiteral, globRegExp, parseSigmaPattern, wrapGlob, type Glob } from './escape.js';
import { columnOf, type Column, type Source } from './fields.js';
import type { Pred, Test } from './ir.js';
import { parseRegex } from './regex.js';

export type { Pred, Test } from './ir.js';

export type ColumnRef = Extract<Column, { kind: 'field' } | { kind: 'expr' }>;
export type Bound =
  | { k: 'and' | 'or'; args: Bound[] }
  | { k: 'not'; arg: Bound }
  | { k: 'const'; value: boolean }
  /** A target-native test from a field table (a case of a few-valued field). */
  | { k: 'raw'; text: string }
  | { k: 'atom'; field: string; col: ColumnRef; test: Test; other?: ColumnRef };

const and = <T extends Pred | Bound>(args: T[]): T => ({ k: 'and', args }) as unknown as T;
const or = <T extends Pred | Bound>(args: T[]): T => ({ k: 'or', args }) as unknown as T;
const not = <T extends Pred | Bound>(arg: T): T => ({ k: 'not', arg }) as T;

// --- rule → Pred ---------------------------------------------------------------------------------

export function detectionPred(rule: DetectionRule): Pred {
  const sel = (name: string): Pred => {
    const s = rule.selections.get(name);
    return s ? selection(s) : cannot(`the condition names ${name}, which is no selection of rule ${rule.id}`);
  };
  const walk = (n: ConditionNode): Pred => {
    switch (n.op) {
      case 'and': case 'or': return { k: n.op, args: n.args.map(walk) };
      case 'not': return not(walk(n.arg));
      case 'ref': return sel(n.name);
      case 'of':
        if (n.names.length === 0) return cannot(`"${n.quantifier === 'one' ? '1' : 'all'} of ${n.pattern}" names no selection`);
        return (n.quantifier === 'one' ? or : and)(n.names.map(sel));
    }
  };
  return walk(rule.condition);
}

function selection(s: Selection): Pred {
  if (s.anyOf.length === 0) return cannot(`selection ${s.name} is empty`);
  return or(s.anyOf.map((group) => and(group.map(fieldMatch))));
}

const STRING_MODS = new Set<Modifier>(['contains', 'startswith', 'endswith', 'all', 'cased', 'base64', 'base64offset']);
const ONLY: Partial<Record<Modifier, Modifier[]>> = {
  exists: ['exists'], cidr: ['cidr', 'all'], re: ['re', 'i', 'm', 's', 'all'], fieldref: ['fieldref', 'cased', 'all'],
  gt: ['gt', 'all'], gte: ['gte', 'all'], lt: ['lt', 'all'], lte: ['lte', 'all'],
};

function fieldMatch(fm: FieldMatch): Pred {
  const field = fm.field;
  if (field === null) return cannot('a keyword search (values without a field) has no exact equivalent: targets search their own text, not crosswatch\'s fields');
  if (fm.values.length === 0) return cannot(`${field} has no values`);
  const mods = new Set(fm.modifiers);
  const head = fm.modifiers.find((m) => m in ONLY);
  const allowed = head ? ONLY[head]! : [...STRING_MODS];
  const odd = fm.modifiers.filter((m) => !allowed.includes(m));
  const positions = ['contains', 'startswith', 'endswith'].filter((m) => mods.has(m as Modifier)).length;
  if (odd.length > 0 || positions > 1 || (mods.has('base64') && mods.has('base64offset'))) {
    return cannot(`${field}|${fm.modifiers.join('|')}: these modifiers do not combine`);
  }
  const tests = fm.values.map((v) => value(field, mods, v));
  return mods.has('all') ? and(tests) : or(tests);
}

function value(field: string, mods: Set<Modifier>, v: SigmaValue): Pred {
  const atom = (test: Test): Pred => ({ k: 'atom', field, test });
  const text = v.kind === 'string' ? v.pattern : v.kind === 'null' ? null : String(v.value);
  const at = `${field}|${[...mods].join('|')}`;
  if (mods.has('exists')) {
    if (v.kind !== 'boolean') return cannot(`${at} takes true or false`);
    return v.value ? atom({ t: 'exists' }) : not(atom({ t: 'exists' }));
  }
  if (text === null) {
    if (mods.size > (mods.has('all') ? 1 : 0)) return cannot(`${at}: null takes no modifier`);
    return not(atom({ t: 'exists' }));
  }
  if (mods.has('cidr')) return atom(cidrTest(text));
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    if (!mods.has(op)) continue;
    // crosswatch compares with numbers only (a quoted "5" never matches there).
    if (v.kind !== 'number' || !Number.isFinite(v.value)) return cannot(`${at} takes a number`);
    return atom({ t: 'cmp', op: ({ gt: '>', gte: '>=', lt: '<', lte: '<=' } as const)[op], value: v.value });
  }
  if (mods.has('re')) {
    if (v.kind !== 'string') return cannot(`${at} takes a regular expression`);
    // A leading PCRE flag group, (?i) and the like, is flags to crosswatch's matcher too.
    const inline = /^\(\?([ims]+)\)/.exec(text);
    const body = inline ? text.slice(inline[0].length) : text;
    const has = (f: 'i' | 'm' | 's'): boolean => mods.has(f) || (inline?.[1]?.includes(f) ?? false);
    return atom({ t: 're', tree: parseRegex(body), source: body, flags: { i: has('i'), m: has('m'), s: has('s') } });
  }
  if (mods.has('fieldref')) return atom({ t: 'ref', other: text, cased: mods.has('cased') });
  const stringMods = [...mods].filter((m) => m !== 'all');
  if (v.kind === 'number' && stringMods.length === 0) return atom({ t: 'num', value: v.value });
  // Booleans and numbers under string modifiers are matched as their text.
  let globs: Glob[] = [v.kind === 'string' ? parseSigmaPattern(text) : [{ lit: text }]];
  if (mods.has('base64') || mods.has('base64offset')) {
    const lit = globLiteral(globs[0]!);
    if (lit === null) return cannot(`${at}: a base64 value cannot hold wildcards`);
    if (mods.has('base64offset') && !mods.has('contains')) return cannot(`${at}: base64offset needs contains`);
    globs = (mods.has('base64') ? [base64(lit)] : base64Offsets(lit)).filter((s) => s !== '').map((s) => [{ lit: s }]);
    if (globs.length === 0) return cannot(`${at}: the value is too short to have a base64 form`);
  }
  const cased = mods.has('cased');
  return or(globs.map((g) => atom({
    t: 'str', cased,
    glob: wrapGlob(g, mods.has('contains') || mods.has('endswith'), mods.has('contains') || mods.has('startswith')),
  })));
}

function base64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** The three encodings of a value at byte offsets 0, 1, 2 of a longer base64 text, cut to the stable characters. */
function base64Offsets(s: string): string[] {
  const bytes = Buffer.from(s, 'utf8');
  return [0, 1, 2].map((i) => {
    const enc = Buffer.concat([Buffer.alloc(i), bytes]).toString('base64');
    const start = [0, 2, 3][i]!;
    const end = [0, -3, -2][(bytes.length + i) % 3]!;
    return enc.slice(start, end === 0 ? undefined : end);
  });
}

function cidrTest(text: string): Test {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    const t = text.trim();
    // A bare address is the range of that one address, as crosswatch's CidrSet reads it.
    if (t.includes('/')) parsed = ipaddr.parseCIDR(t);
    else {
      const a = ipaddr.parse(t);
      parsed = [a, a.kind() === 'ipv4' ? 32 : 128];
    }
  } catch {
    return cannot(`${JSON.stringify(text)} is not a CIDR range`);
  }
  let [addr, bits] = parsed;
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  const net = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  return { t: 'cidr', cidr: `${net.toString()}/${bits}`, v6: addr.kind() === 'ipv6' };
}

// --- Pred → Bound --------------------------------------------------------------------------------

/** What crosswatch's matcher makes of a test on a known value (a constant or a case of a few-valued field). */
function holds(test: Test, v: string): boolean {
  switch (test.t) {
    case 'str': return globRegExp(test.glob, test.cased).test(v);
    case 're': {
      let re: RegExp;
      try {
        re = new RegExp(test.source, `${test.flags.i ? 'i' : ''}${test.flags.m ? 'm' : ''}${test.flags.s ? 's' : ''}`);
      } catch {
        return cannot(`regular expression ${JSON.stringify(test.source)} does not compile`);
      }
      return re.test(v);
    }
    case 'cidr': {
      if (!ipaddr.isValid(v)) return false;
      const a = ipaddr.parse(v);
      const r = ipaddr.parseCIDR(test.cidr);
      return a.kind() === r[0].kind() && a.match(r);
    }
    case 'cmp': case 'num': {
      const n = /^-?\d+(?:\.\d+)?$/.test(v) ? Number(v) : NaN;
      if (Number.isNaN(n)) return false;
      return test.t === 'num' ? n === test.value
        : test.op === '<' ? n < test.value : test.op === '<=' ? n <= test.value : test.op === '>' ? n > test.value : n >= test.value;
    }
    case 'exists': return true;
    case 'ref': return cannot('fieldref against a field every row of this source has the same value of is not supported');
  }
}

/** Binds a Pred; `internal`: a table's own Pred, which may name the table's internal fields. */
function bindAll(p: Pred, src: Source, internal: boolean): Bound {
  switch (p.k) {
    case 'and': case 'or': return { k: p.k, args: p.args.map((a) => bindAll(a, src, internal)) };
    case 'not': return not(bindAll(p.arg, src, internal));
    case 'const': return p;
    case 'atom': break;
  }
  const { field, test } = p;
  const col = columnOf(src, field, internal);
  if (col.kind === 'const') return { k: 'const', value: col.values.some((v) => holds(test, v)) };
  if (col.kind === 'enum') {
    // The field always has one of the cases' values (crosswatch sets it for every row).
    if (test.t === 'exists') return { k: 'const', value: true };
    return or(col.cases.filter(([v]) => holds(test, v)).map(([, t]): Bound => (typeof t === 'string' ? { k: 'raw', text: t } : bindAll(t, src, true))));
  }
  if (test.t !== 'ref') return { k: 'atom', field, col, test };
  const other = columnOf(src, test.other, internal);
  if (other.kind !== 'field' && other.kind !== 'expr') return cannot(`fieldref to ${test.other}, which has no column of its own in ${src.label}`);
  return { k: 'atom', field, col, test, other };
}

/** A rule's expression over one table's columns, with the table's filter, simplified; refuses fields the table has no column for. */
export function bind(p: Pred, src: Source): Bound {
  const rule = bindAll(p, src, false);
  return simplify(src.filter ? and([bindAll(src.filter, src, true), rule]) : rule);
}

export function simplify(b: Bound): Bound {
  switch (b.k) {
    case 'not': {
      const a = simplify(b.arg);
      if (a.k === 'const') return { k: 'const', value: !a.value };
      return a.k === 'not' ? a.arg : not(a);
    }
    case 'and': case 'or': {
      const unit = b.k === 'and';
      const args: Bound[] = [];
      for (const a of b.args.map(simplify)) {
        if (a.k === 'const') {
          if (a.value !== unit) return a;
          continue;
        }
        if (a.k === b.k) args.push(...a.args);
        else args.push(a);
      }
      if (args.length === 0) return { k: 'const', value: unit };
      return args.length === 1 ? args[0]! : { k: b.k, args };
    }
    default: return b;
  }
}
