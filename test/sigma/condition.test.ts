// The `condition:` language. Quoted sentences are from the Sigma rules
// specification v2.1.0, section "Condition".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCondition, MAX_CONDITION_DEPTH } from '../../src/sigma/condition.js';
import type { ConditionNode } from '../../src/sigma/types.js';
import { fires } from './sigma-helpers.js';

const NAMES = ['a', 'b', 'c', 'selection_main', 'selection_extra', 'filter_main_x', 'filter_optional_y', '_private', 'keywords'];

function parse(text: string, names: readonly string[] = NAMES): ConditionNode {
  const r = parseCondition(text, names);
  if (!r.ok) assert.fail(`"${text}": ${r.message}`);
  return r.node;
}

function error(text: string, names: readonly string[] = NAMES): string {
  const r = parseCondition(text, names);
  if (r.ok) assert.fail(`"${text}" parsed as ${JSON.stringify(r.node)}`);
  return r.message;
}

/** A compact text form of a parsed condition, to compare trees in one line. */
function show(n: ConditionNode): string {
  switch (n.op) {
    case 'ref': return n.name;
    case 'not': return `not(${show(n.arg)})`;
    case 'of': return `${n.quantifier}[${n.names.join(',')}]`;
    default: return `${n.op}(${n.args.map(show).join(',')})`;
  }
}

test('spec: "Logical AND/OR" and "Negation with \'not\'" and "Brackets"', () => {
  assert.equal(show(parse('a and b')), 'and(a,b)');
  assert.equal(show(parse('a or b')), 'or(a,b)');
  assert.equal(show(parse('a and not b')), 'and(a,not(b))');
  assert.equal(show(parse('a and (b or c)')), 'and(a,or(b,c))');
  assert.equal(show(parse('((a))')), 'a');
  assert.equal(show(parse('  a   and\tb ')), 'and(a,b)');
  assert.equal(show(parse('a and b and c')), 'and(a,b,c)');
  assert.equal(show(parse('not not a')), 'not(not(a))');
});

test('spec: "Operator Precedence (least to most binding): or, and, not, x of search-identifier, ( expression )"', () => {
  assert.equal(show(parse('a or b and c')), 'or(a,and(b,c))');
  assert.equal(show(parse('a and b or c')), 'or(and(a,b),c)');
  assert.equal(show(parse('not a and b')), 'and(not(a),b)');
  assert.equal(show(parse('not a or b')), 'or(not(a),b)');
  assert.equal(show(parse('not 1 of selection_* and a')), 'and(not(one[selection_main,selection_extra]),a)');
  assert.equal(show(parse('(a or b) and c')), 'and(or(a,b),c)');
  assert.equal(show(parse('not (a or b)')), 'not(or(a,b))');
});

test('spec: "1/all of search-identifier-pattern ... Matching is done with * wildcards (any number of characters) at arbitrary positions"', () => {
  assert.deepEqual(parse('1 of selection_*'), { op: 'of', quantifier: 'one', pattern: 'selection_*', names: ['selection_main', 'selection_extra'] });
  assert.deepEqual(parse('all of selection*'), { op: 'of', quantifier: 'all', pattern: 'selection*', names: ['selection_main', 'selection_extra'] });
  assert.equal(show(parse('any of filter_*')), 'one[filter_main_x,filter_optional_y]');
  assert.equal(show(parse('1 of *_main*')), 'one[selection_main,filter_main_x]');
  assert.equal(show(parse('1 of selection_main')), 'one[selection_main]');
  assert.equal(show(parse('1 of selection* and not 1 of filter*')), 'and(one[selection_main,selection_extra],not(one[filter_main_x,filter_optional_y]))');
});

test('spec: "1/all of them ... across all defined search identifiers not starting with an underscore"', () => {
  const names = ['a', 'b', '_private'];
  assert.deepEqual(parse('1 of them', names), { op: 'of', quantifier: 'one', pattern: 'them', names: ['a', 'b'] });
  assert.equal(show(parse('all of them', names)), 'all[a,b]');
  assert.match(error('1 of them', ['_only']), /no search identifier/);
  // A pattern that itself starts with an underscore reaches the underscore names.
  assert.equal(show(parse('1 of _*', names)), 'one[_private]');
  assert.equal(show(parse('1 of *', names)), 'one[a,b]');
  assert.equal(show(parse('_private', names)), '_private', 'named directly it is usable');
});

test('a condition naming an unknown search identifier, or a pattern matching none, is an error', () => {
  assert.match(error('a and nope'), /unknown search identifier 'nope'/);
  assert.match(error('1 of x*'), /'x\*' matches no search identifier/);
  assert.match(error('all of nothing'), /'nothing' matches no search identifier/);
});

test('the removed v1 aggregations (`| count() by x > 5`, near) are refused, pointing to correlation rules', () => {
  assert.match(error('a | count() by User > 5'), /Sigma v2.*correlation rule/);
  assert.match(error('a | near b'), /correlation rule/);
});

test('syntax errors say what was expected and where', () => {
  assert.match(error(''), /empty/);
  assert.match(error('   '), /empty/);
  assert.match(error('a and'), /expected a search identifier.*end/);
  assert.match(error('(a or b'), /expected '\)'/);
  assert.match(error('a b'), /expected 'and', 'or' or end.*'b'/);
  assert.match(error('a )'), /unexpected '\)'/);
  assert.match(error('a = b'), /unexpected character '='/);
  assert.match(error('1 of'), /pattern/);
  assert.match(error('2 of a*'), /expected 'and', 'or' or end|unknown search identifier '2'/);
  assert.match(error('not'), /expected a search identifier/);
});

test('operators are lower-case, as the specification writes them (and as pySigma reads them): AND is refused with a hint', () => {
  assert.match(error('a AND b'), /lower-case/);
  assert.match(error('NOT a'), /lower-case/);
  assert.match(error('1 OF a*'), /lower-case/);
  // A search identifier may still be called And when it exists.
  assert.equal(show(parse('And or a', ['And', 'a'])), 'or(And,a)');
});

test(`a condition nested deeper than ${MAX_CONDITION_DEPTH} is refused, not a stack overflow`, () => {
  const deep = '('.repeat(MAX_CONDITION_DEPTH + 1) + 'a' + ')'.repeat(MAX_CONDITION_DEPTH + 1);
  assert.match(error(deep), /nested deeper/);
  const nots = 'not '.repeat(100_000) + 'a';
  assert.match(error(nots), /nested deeper/);
  const ok = '('.repeat(MAX_CONDITION_DEPTH - 2) + 'a' + ')'.repeat(MAX_CONDITION_DEPTH - 2);
  assert.equal(show(parse(ok)), 'a');
});

// --- The same conditions evaluated on events ------------------------------------

const BODY = `
selection_a:
    A: 1
selection_b:
    B: 1
filter_c:
    C: 1
`;

test('evaluation: precedence and quantifiers decide matches as the tree says', () => {
  const run = (condition: string, ev: Record<string, unknown>): boolean => fires(`${BODY}condition: ${condition}`, ev);
  // or binds least: A or (B and C)
  assert.equal(run('selection_a or selection_b and filter_c', { A: 1 }), true);
  assert.equal(run('selection_a or selection_b and filter_c', { B: 1 }), false);
  assert.equal(run('(selection_a or selection_b) and filter_c', { A: 1 }), false);
  // not binds tighter than and
  assert.equal(run('not selection_a and selection_b', { B: 1 }), true);
  assert.equal(run('not selection_a and selection_b', { A: 1, B: 1 }), false);
  // 1 of / all of / all of them
  assert.equal(run('1 of selection_*', { B: 1 }), true);
  assert.equal(run('all of selection_*', { B: 1 }), false);
  assert.equal(run('all of selection_*', { A: 1, B: 1 }), true);
  assert.equal(run('all of them', { A: 1, B: 1 }), false);
  assert.equal(run('all of them', { A: 1, B: 1, C: 1 }), true);
  assert.equal(run('1 of selection_* and not 1 of filter_*', { A: 1, C: 1 }), false);
  assert.equal(run('1 of selection_* and not 1 of filter_*', { A: 1, C: 2 }), true);
});
