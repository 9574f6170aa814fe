// Rule values are attacker-adjacent text: whatever a value holds, it must stay
// inside a literal of the query it is converted into. Each query is read back
// with its target's literal rules; with the literals taken out, no trace of the
// value may remain, brackets must balance, and the literals must read back to
// what the value asked for.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { convertRule, TARGETS, type Target } from '../../src/sigma/convert/index.js';
import type { DetectionRule, FieldMatch, Modifier } from '../../src/sigma/types.js';

const MARK = 'ZQXJ';

function rule(field: string, modifiers: Modifier[], value: string): DetectionRule {
  const match: FieldMatch = { file: 't.yml', line: 1, field, modifiers, values: [{ kind: 'string', pattern: value }] };
  return {
    kind: 'detection', file: 't.yml', line: 1, id: 'escape', title: 'escape', level: 'low', generate: true, raw: {},
    logsource: { product: 'azure', service: 'signinlogs' },
    selections: new Map([['selection', { file: 't.yml', line: 1, name: 'selection', anyOf: [[match]] }]]),
    condition: { op: 'not', arg: { op: 'ref', name: 'selection' } },
    conditionText: ['not selection'],
  };
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', "'": "'" };

/** The query with every literal replaced by `S`, and the literals' texts. Throws on a literal left open. */
export function readBack(q: string, target: Target): { skeleton: string; literals: string[] } {
  let skeleton = '';
  const literals: string[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if ((target === 'eql' || target === 'kql') && c === '/' && q[i + 1] === '/' && (i === 0 || q[i - 1] === '\n')) {
      while (i < q.length && q[i] !== '\n') i++; // a comment line the converter wrote (EQL's index)
      continue;
    }
    const verbatim = target === 'kql' && c === '@' && q[i + 1] === '"';
    const quote = verbatim ? '"' : c === '"' || (target === 'spl' && c === "'") ? c : null;
    if (quote === null) {
      skeleton += c;
      i++;
      continue;
    }
    let j = i + (verbatim ? 2 : 1);
    let text = '';
    for (;;) {
      if (j >= q.length) throw new Error(`literal left open at ${i}: ${q.slice(i, i + 40)}`);
      const d = q[j]!;
      if (d === '\n' || d === '\r') throw new Error(`raw line break inside a literal at ${j}`);
      if (verbatim && d === '"' && q[j + 1] === '"') { text += '"'; j += 2; continue; }
      if (d === quote) break;
      if (!verbatim && d === '\\') {
        const e = q[j + 1]!;
        if (!(e in ESCAPES)) throw new Error(`unknown escape \\${e} at ${j}`);
        text += ESCAPES[e];
        j += 2;
        continue;
      }
      text += d;
      j++;
    }
    literals.push(text);
    skeleton += 'S';
    i = j + 1;
  }
  return { skeleton, literals };
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(' || c === '[') depth++;
    if (c === ')' || c === ']') depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
}

// Fields every target has a column for in every sign-in table.
const SHAPES: Array<[string, Modifier[]]> = [
  ['user.name', []],
  ['client.client_app', ['contains']],
  ['client.client_app', ['startswith', 'cased']],
  ['user.name', ['endswith']],
];

// Mostly the characters that mean something to one of the four languages, some of anything else.
const TRICKY = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('"', "'", '\\', '*', '?', '|', '`', '@', '$', '%', '_', '(', ')', '[', ']', '{', '}', '/', '#', ';', ' ', '\n', '\r', '\t', '\u0000', '\u0007', '\u2028', 'a', 'Z', 'é') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

test('no value reaches a query outside a literal', () => {
  fc.assert(
    fc.property(fc.string({ unit: TRICKY, maxLength: 40 }), fc.constantFrom(...SHAPES), (s, [field, mods]) => {
      for (const target of TARGETS) {
        const c = convertRule(rule(field, mods, `${s}${MARK}${s}`), target, () => undefined);
        if (!('query' in c)) return false;
        const { skeleton, literals } = readBack(c.query, target);
        assert.ok(!skeleton.includes(MARK), `${target}: the value leaked out of its literal:\n${c.query}`);
        assert.ok(balanced(skeleton), `${target}: brackets do not balance outside literals:\n${c.query}`);
        assert.ok(literals.length > 0, `${target}: no literal carries the value`);
      }
      return true;
    }),
    { numRuns: 500 },
  );
});

test('hostile values keep every query one query', () => {
  const hostile = ['"; drop', '\\"', '\\', 'a | where true', "' or '1'='1", '`x`', '*/ //', '\n| eval x=1', 'x"\n| stats count', '@"', '""', '\u0000\u0007\u001b', '\u2028\u2029', '😀'];
  for (const h of hostile) {
    for (const [field, mods] of SHAPES) {
      for (const target of TARGETS) {
        const c = convertRule(rule(field, mods, `${h}${MARK}`), target, () => undefined);
        assert.ok('query' in c, `${target} refused ${JSON.stringify(h)}: ${'cannot' in c ? c.cannot : ''}`);
        const { skeleton } = readBack(c.query, target);
        assert.ok(!skeleton.includes(MARK) && balanced(skeleton), `${target} ${JSON.stringify(h)}:\n${c.query}`);
        // The query's lines are the converter's own: a value's line break never starts a command.
        const plain = convertRule(rule(field, mods, `plain${MARK}`), target, () => undefined);
        assert.ok('query' in plain);
        assert.equal(c.query.split('\n').length, plain.query.split('\n').length, `${target}: a value added a line:\n${c.query}`);
      }
    }
  }
});

test('equality literals read back to the value', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/[*?\\]/.test(s) && ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)), (s) => {
      const expect: Record<Target, string> = { esql: s.toLowerCase(), eql: s, kql: s, spl: s.toLowerCase() };
      for (const target of TARGETS) {
        const c = convertRule(rule('client.client_app', [], s), target, () => undefined);
        assert.ok('query' in c);
        const { literals } = readBack(c.query, target);
        assert.ok(literals.includes(expect[target]), `${target}: ${JSON.stringify(s)} not among ${JSON.stringify(literals)}`);
      }
    }),
    { numRuns: 200 },
  );
});
