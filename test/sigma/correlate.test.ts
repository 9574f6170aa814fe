// Evaluating Sigma correlations (correlation rules specification v2.1): each
// semantics test quotes the sentence it checks. Window edges are inclusive at
// both ends, as crosswatch's tA <= tE <= tA + window; results are a function of
// the set of events (any arrival order, batch or stream); the built-in
// detections re-expressed as temporal_ordered correlations give the built-in
// correlator's episodes, ids included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SigmaCorrelator, type CorrelateOptions, type CorrelationEpisode, type CorrelationEvent } from '../../src/sigma/correlate.js';
import { resolveRuleSet, type RuleSet } from '../../src/sigma/ruleset.js';
import type { DetectionRule } from '../../src/sigma/types.js';
import { Correlator } from '../../src/detect/correlator.js';
import { buildConfig } from '../../src/detect/config.js';
import { loadRules } from '../../src/detect/rules.js';
import type { DecodedEvent } from '../../src/model/event.js';
import { formatInstant } from '../../src/model/time.js';
import { loadSigmaText } from '../../src/sigma/load.js';
import { brief, detection, parseRules } from './correlation-helpers.js';

const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;

function ruleSet(text: string, dets: DetectionRule[] = ['a', 'b', 'c'].map((n) => detection(`d-${n}`, n))): RuleSet {
  const { rules, problems } = parseRules(text);
  const set = resolveRuleSet([...dets, ...rules], problems);
  assert.deepEqual(brief(problems), []);
  return set;
}

/** An event at T0 + at that matched the detections named (a → d-a). */
function ev(at: number, matched: string, fields: Record<string, unknown> = {}, key?: string, ns = 0): CorrelationEvent {
  return {
    ms: T0 + at, ns, matched: matched.split(',').map((n) => `d-${n}`), get: (f) => fields[f],
    ...(key !== undefined ? { key } : {}),
  };
}

function run(set: RuleSet, events: readonly CorrelationEvent[], options: CorrelateOptions = {}): CorrelationEpisode[] {
  const c = new SigmaCorrelator(set, options);
  for (const e of events) c.add(e);
  return c.finish();
}

/** rule group start..end (minutes after T0) of each episode. */
const spans = (eps: CorrelationEpisode[]): string[] =>
  eps.map((e) => `${e.ruleId} ${Object.values(e.group).join('/')} ${(e.start.ms - T0) / M}..${(e.end.ms - T0) / M}`);

const corr = (id: string, body: string, extra = ''): string => `title: ${id}\nid: ${id}\n${extra}correlation:\n${body.replace(/^/gm, '    ')}\n`;

const BURST = ruleSet(corr('burst', 'type: event_count\nrules: [a]\ngroup-by: [user]\ntimespan: 1h\ncondition:\n    gte: 5'));
const user = (u: string): Record<string, unknown> => ({ user: u });

test('event_count gte 5 in 1h slides: 4 events no, the 5th within yes, 5 over 61 minutes no', () => {
  // "Counts events occurring in the given time frame specified by the referred Sigma rule or rules."
  // "The condition finally defines how many events must occur to generate a search hit."
  const four = [0, 10, 20, 30].map((m, i) => ev(m * M, 'a', user('alice'), `e${i}`));
  assert.deepEqual(spans(run(BURST, four)), []);
  const eps = run(BURST, [...four, ev(40 * M, 'a', user('alice'), 'e4')]);
  assert.deepEqual(spans(eps), ['burst alice 0..40']);
  assert.deepEqual(eps[0]!.events, ['e0', 'e1', 'e2', 'e3', 'e4']);
  assert.deepEqual([eps[0]!.matches, eps[0]!.moreEvents], [1, 0]);
  const spread = [0, 15, 30, 45, 61].map((m, i) => ev(m * M, 'a', user('alice'), `s${i}`));
  assert.deepEqual(spans(run(BURST, spread)), []);
  // Sliding, not fixed hours: 12:50..13:20 is one window although it crosses an hour.
  assert.deepEqual(spans(run(BURST, [50, 55, 60, 65, 80].map((m, i) => ev(m * M, 'a', user('alice'), `h${i}`)))), ['burst alice 50..80']);
});

test('window edges are inclusive at both ends, to the nanosecond (tA <= tE <= tA + window)', () => {
  const base = [1, 2, 3].map((m, i) => ev(m * M, 'a', user('alice'), `b${i}`));
  const at = (key: string, ms: number, ns: number) => ev(ms, 'a', user('alice'), key, ns);
  assert.equal(run(BURST, [at('first', 0, 100), ...base, at('last', H, 100)]).length, 1, 'exactly one hour apart');
  assert.equal(run(BURST, [at('first', 0, 100), ...base, at('last', H, 101)]).length, 0, '1 ns more than an hour');
  assert.equal(run(BURST, [at('first', 0, 100), ...base, at('last', H, 99)]).length, 1);
});

test('group-by counts each group separately; an event without the field takes no part', () => {
  // "The resulting query must count events for each group specified by group-by separately."
  const mixed = [0, 1, 2, 3, 4].map((m, i) => ev(m * M, 'a', user(i % 2 ? 'bob' : 'alice'), `m${i}`));
  assert.deepEqual(spans(run(BURST, mixed)), []);
  const c = new SigmaCorrelator(BURST);
  for (const [i, u] of ['bob', 'bob', 'bob', 'bob', undefined, null, 'bob'].entries()) c.add(ev(i * M, 'a', { user: u }, `n${i}`));
  assert.deepEqual(spans(c.finish()), ['burst bob 0..6']);
  assert.equal(c.stats.ungrouped, 2);
  // Several group-by fields are "linked by an AND".
  const two = ruleSet(corr('two', 'type: event_count\nrules: [a]\ngroup-by: [user, host]\ntimespan: 1h\ncondition:\n    gte: 2'));
  assert.deepEqual(spans(run(two, [ev(0, 'a', { user: 'u', host: 'h1' }, 'x'), ev(M, 'a', { user: 'u', host: 'h2' }, 'y')])), []);
  const eps = run(two, [ev(0, 'a', { user: 'u', host: 'h1' }, 'x'), ev(M, 'a', { user: 'u', host: 'h1' }, 'y')]);
  assert.deepEqual(eps.map((e) => e.group), [{ user: 'u', host: 'h1' }]);
});

test('value_count counts distinct values of its field per group', () => {
  // "Counts values in a field defined by `field`." "The condition finally defines how many values must occur."
  const set = ruleSet(corr('spray', 'type: value_count\nrules: [a]\ngroup-by: [source.ip]\ntimespan: 1h\ncondition:\n    field: user\n    gte: 3'));
  const e = (m: number, u: unknown, k: string) => ev(m * M, 'a', { 'source.ip': '81.2.69.142', user: u }, k);
  assert.deepEqual(spans(run(set, [e(0, 'alice', '1'), e(1, 'alice', '2'), e(2, 'bob', '3'), e(3, 'bob', '4')])), []);
  assert.deepEqual(spans(run(set, [e(0, 'alice', '1'), e(1, 'alice', '2'), e(2, 'bob', '3'), e(3, undefined, '4'), e(9, 'carol', '5')])),
    ['spray 81.2.69.142 0..9']);
  // Values leave the window as it slides.
  assert.deepEqual(spans(run(set, [e(0, 'alice', '1'), e(30, 'bob', '2'), e(61, 'carol', '3')])), []);
});

test('temporal: all referenced rules within the timespan, in any order', () => {
  // "All events defined by the rules referred by the rule field must occur in the time frame defined by timespan."
  const set = ruleSet(corr('recon', 'type: temporal\nrules: [a, b, c]\ngroup-by: [host]\ntimespan: 5m'));
  const h = { host: 'srv1' };
  assert.deepEqual(spans(run(set, [ev(0, 'c', h, '1'), ev(M, 'a', h, '2'), ev(5 * M, 'b', h, '3')])), ['recon srv1 0..5']);
  assert.deepEqual(spans(run(set, [ev(0, 'c', h, '1'), ev(M, 'a', h, '2'), ev(5 * M + 1, 'b', h, '3')])), []);
  assert.deepEqual(spans(run(set, [ev(0, 'c', h, '1'), ev(M, 'a', h, '2'), ev(2 * M, 'a', h, '3')])), [], 'b never came');
  // "it specified the count of different event types (Sigma rules matching) in the given time frame"
  const two = ruleSet(corr('two', 'type: temporal\nrules: [a, b, c]\ngroup-by: [host]\ntimespan: 5m\ncondition:\n    gte: 2'));
  assert.deepEqual(spans(run(two, [ev(0, 'c', h, '1'), ev(2 * M, 'a', h, '2')])), ['two srv1 0..2']);
});

test('temporal_ordered: in the listed order within the timespan; equal times count as in order', () => {
  // "requires in addition that the events appear in the order provided in the rule attribute"
  const set = ruleSet(corr('seq', 'type: temporal_ordered\nrules: [a, b, c]\ngroup-by: [user]\ntimespan: 10m'));
  const u = user('alice');
  assert.deepEqual(spans(run(set, [ev(0, 'a', u, '1'), ev(M, 'b', u, '2'), ev(2 * M, 'c', u, '3')])), ['seq alice 0..2']);
  assert.deepEqual(spans(run(set, [ev(0, 'b', u, '1'), ev(M, 'a', u, '2'), ev(2 * M, 'c', u, '3')])), [], 'b before a');
  assert.deepEqual(spans(run(set, [ev(0, 'a', u, '1'), ev(M, 'c', u, '2'), ev(2 * M, 'b', u, '3')])), [], 'c before b');
  assert.deepEqual(spans(run(set, [ev(0, 'a', u, '1'), ev(0, 'b', u, '2'), ev(0, 'c', u, '3')])), ['seq alice 0..0']);
  // The run need not be contiguous, and starts at the earliest first-rule event that can begin it.
  const eps = run(set, [ev(0, 'a', u, '1'), ev(M, 'c', u, 'x'), ev(2 * M, 'a', u, '2'), ev(3 * M, 'b', u, '3'), ev(11 * M, 'c', u, '4')]);
  assert.deepEqual(spans(eps), ['seq alice 2..11'], 'the a at 0 is more than 10m before the c at 11');
  assert.deepEqual(eps[0]!.events, ['2', '3', '4']);
});

test('aliases: group-by names an alias, read from each rule\'s own field (the specification\'s example)', () => {
  // "The alias field names can then be referenced in `group-by` attributes and are resolved to their respective field names."
  const dets = [detection('d-err', 'internal_error'), detection('d-conn', 'new_network_connection')];
  const set = ruleSet(corr('aliased', `type: temporal
rules:
    - internal_error
    - new_network_connection
group-by:
    - internal_ip
    - remote_ip
timespan: 10s
aliases:
    internal_ip:
        internal_error: destination.ip
        new_network_connection: source.ip
    remote_ip:
        internal_error: source.ip
        new_network_connection: destination.ip`), dets);
  const err = (at: number, src: string, dst: string, key: string): CorrelationEvent =>
    ({ ms: T0 + at, matched: ['d-err'], key, get: (f) => ({ 'source.ip': src, 'destination.ip': dst })[f] });
  const conn = (at: number, src: string, dst: string, key: string): CorrelationEvent =>
    ({ ms: T0 + at, matched: ['d-conn'], key, get: (f) => ({ 'source.ip': src, 'destination.ip': dst })[f] });
  const eps = run(set, [err(0, '203.0.113.9', '10.0.0.5', 'e1'), conn(3 * S, '10.0.0.5', '203.0.113.9', 'c1')]);
  assert.deepEqual(eps.map((e) => e.group), [{ internal_ip: '10.0.0.5', remote_ip: '203.0.113.9' }]);
  assert.equal(run(set, [err(0, '203.0.113.9', '10.0.0.5', 'e1'), conn(3 * S, '203.0.113.9', '10.0.0.5', 'c1')]).length, 0, 'same fields, not the aliased ones');
});

const CHAIN = `${corr('outer', 'type: temporal_ordered\nrules:\n    - many_failed\n    - success\ngroup-by:\n    - user\ntimespan: 10m')}---
${corr('inner', 'type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 10m\ncondition:\n    gte: 3', 'name: many_failed\n')}`;
const CHAIN_DETS = [detection('d-failed', 'failed'), detection('d-success', 'success')];

test('chained correlations: an outer correlation takes the inner one\'s matches as events at their time', () => {
  // "Refers to one or multiple Sigma or Correlations rules. Allowing the user to chain multiple correlations together."
  const set = ruleSet(CHAIN, CHAIN_DETS);
  const f = (m: number, k: string, u = 'alice'): CorrelationEvent => ({ ms: T0 + m * M, matched: ['d-failed'], key: k, get: (x) => (x === 'user' ? u : undefined) });
  const ok = (m: number, k: string, u = 'alice'): CorrelationEvent => ({ ms: T0 + m * M, matched: ['d-success'], key: k, get: (x) => (x === 'user' ? u : undefined) });
  const eps = run(set, [f(0, 'f1'), f(1, 'f2'), f(2, 'f3'), ok(5, 's1'), f(3, 'f4', 'bob'), ok(6, 's2', 'bob')]);
  // The inner correlation is referenced without generate: it raises nothing of its own.
  assert.deepEqual(spans(eps), ['outer alice 2..5']);
  const innerId = createHash('sha256').update(`inner\u0000alice\u0000${T0}.0`).digest('hex').slice(0, 32);
  assert.deepEqual(eps[0]!.events, [`${innerId}@${T0 + 2 * M}.0`, 's1']);
  assert.deepEqual(spans(run(set, [ok(0, 's0'), f(1, 'f1'), f(2, 'f2'), f(3, 'f3')])), [], 'success before the burst');
});

test('value_count through an alias, and over a chained correlation\'s group values', () => {
  // Aliases "are resolved to their respective field names" (crosswatch applies them to condition.field too).
  const set = ruleSet(corr('accounts', `type: value_count
rules: [a, b]
group-by: [source.ip]
timespan: 1h
condition:
    field: account
    gte: 2
aliases:
    account:
        a: user.name
        b: user.target`));
  const ip = '81.2.69.142';
  assert.deepEqual(spans(run(set, [ev(0, 'a', { 'source.ip': ip, 'user.name': 'x' }, '1'), ev(M, 'b', { 'source.ip': ip, 'user.target': 'x' }, '2')])), []);
  assert.deepEqual(spans(run(set, [ev(0, 'a', { 'source.ip': ip, 'user.name': 'x' }, '1'), ev(M, 'b', { 'source.ip': ip, 'user.target': 'y' }, '2')])),
    [`accounts ${ip} 0..1`]);
  // A user bursting on two hosts: the inner correlation groups by user and host, the outer counts hosts per user.
  const chained = ruleSet(`${corr('hosts', 'type: value_count\nrules: [burst2]\ngroup-by: [user]\ntimespan: 1h\ncondition:\n    field: host\n    gte: 2')}---
${corr('burst2', 'type: event_count\nrules: [a]\ngroup-by: [user, host]\ntimespan: 10m\ncondition:\n    gte: 2', 'name: burst2\n')}`);
  const e = (m: number, host: string, k: string) => ev(m * M, 'a', { user: 'u', host }, k);
  assert.deepEqual(spans(run(chained, [e(0, 'h1', '1'), e(1, 'h1', '2'), e(5, 'h2', '3'), e(30, 'h2', '4')])), [], 'h2 never bursts');
  assert.deepEqual(spans(run(chained, [e(0, 'h1', '1'), e(1, 'h1', '2'), e(5, 'h2', '3'), e(9, 'h2', '4')])), ['hosts u 1..9']);
});

test('the specification\'s example end to end: loaded, resolved, evaluated', () => {
  // "Correlation - Multiple Failed Logins Followed by Successful Login", its count lowered to 3.
  const text = `title: Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
level: high
correlation:
    type: temporal_ordered
    rules: [multiple_failed_login, successful_login]
    group-by: [User]
    timespan: 10m
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [User]
    timespan: 10m
    condition:
        gte: 3
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: [529, 4625]
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: [528, 4624]
    condition: selection
`;
  const { rules, problems } = loadSigmaText(text, 'spec.yml');
  const set = resolveRuleSet(rules, problems);
  assert.deepEqual(brief(problems), []);
  assert.deepEqual(set.alerting.map((r) => r.title), ['Multiple Failed Logins Followed by Successful Login']);
  const failed = '53ba33fd-3a50-4468-a5ef-c583635cfa92';
  const ok = '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8';
  const e = (m: number, id: string, key: string): CorrelationEvent => ({ ms: T0 + m * M, matched: [id], key, get: (f) => (f === 'User' ? 'alice' : undefined) });
  const eps = run(set, [e(0, failed, 'f1'), e(1, failed, 'f2'), e(2, failed, 'f3'), e(5, ok, 's1')]);
  // The chained match is an event at its own time (the third failure), named by the inner episode.
  assert.deepEqual(spans(eps), ['b180ead8-d58f-40b2-ae54-c8940995b9b6 alice 2..5']);
  assert.equal(eps[0]!.events.length, 2);
  assert.deepEqual(run(set, [e(0, failed, 'f1'), e(1, failed, 'f2'), e(5, ok, 's1')]), [], 'two failures are not many');
});

test('generate: true on the outer correlation lets the referenced rules alert too', () => {
  // Generate: "defines if the rules referred from the correlation rule should be converted as stand-alone rules"
  const set = ruleSet(CHAIN.replace('title: outer\n', 'title: outer\ngenerate: true\n'), CHAIN_DETS);
  // Only the rules it refers to directly: d-failed is the inner correlation's, whose generate is false.
  assert.deepEqual(set.alerting.map((r) => r.id), ['d-success', 'outer', 'inner']);
  const events = [0, 1, 2].map((m) => ({ ms: T0 + m * M, matched: ['d-failed'], key: `f${m}`, get: () => 'alice' }));
  assert.deepEqual(spans(run(set, events)), ['inner alice 0..2']);
});

test('episodes: matches within one timespan of the last fold into one; a longer gap starts another; ids are deterministic', () => {
  const set = ruleSet(corr('pair', 'type: event_count\nrules: [a]\ngroup-by: [user]\ntimespan: 10m\ncondition:\n    gte: 2'));
  const times = [0, 5, 14, 23, 40, 45];
  const eps = run(set, times.map((m, i) => ev(m * M, 'a', user('alice'), `k${i}`)));
  // Matches at 5, 14 (with 5), 23 (with 14): one episode; 45 (with 40) is 22 minutes after 23: a new one.
  assert.deepEqual(spans(eps), ['pair alice 0..23', 'pair alice 40..45']);
  assert.deepEqual(eps.map((e) => e.matches), [3, 1]);
  assert.deepEqual(eps[0]!.events, ['k0', 'k1', 'k2', 'k3']);
  const id = (start: number) => createHash('sha256').update(`pair\u0000alice\u0000${T0 + start * M}.0`).digest('hex').slice(0, 32);
  assert.deepEqual(eps.map((e) => e.id), [id(0), id(40)]);
  // Evidence is capped, the rest counted.
  const many = run(set, Array.from({ length: 10 }, (_, i) => ev(i * S, 'a', user('alice'), `m${i}`)), { maxEvidence: 4 });
  assert.deepEqual([many[0]!.events, many[0]!.moreEvents], [['m0', 'm1', 'm2', 'm3'], 6]);
});

test('the same event key added twice counts once: no duplicate episodes, no inflated counts', () => {
  const events = [0, 1, 2, 3].map((m, i) => ev(m * M, 'a', user('alice'), `e${i}`));
  const c = new SigmaCorrelator(BURST);
  for (const e of [...events, ...events, events[0]!]) c.add(e);
  assert.deepEqual(c.finish(), [], 'four distinct events, not nine');
  assert.equal(c.stats.duplicates, 5);
  const five = [...events, ev(4 * M, 'a', user('alice'), 'e4')];
  assert.deepEqual(run(BURST, [...five, ...five]), run(BURST, five));
  // One event matching two of a correlation's rules is one event.
  const both = ruleSet(corr('ab', 'type: event_count\nrules: [a, b]\ngroup-by: [user]\ntimespan: 1h\ncondition:\n    gte: 2'));
  assert.deepEqual(run(both, [ev(0, 'a,b', user('alice'), 'x')]), []);
});

test('stream: a late event within the lateness is used; one later than that is counted and not', () => {
  const c = new SigmaCorrelator(BURST, { latenessMs: 10 * M });
  for (const [i, m] of [0, 10, 20, 30].entries()) c.add(ev(m * M, 'a', user('alice'), `e${i}`));
  c.add(ev(40 * M, 'a', user('alice'), 'on-time'));
  c.add(ev(35 * M, 'a', user('alice'), 'late-ok')); // newest is 40: within 10m of it
  c.add(ev(100 * M, 'b', user('x'), 'tick')); // no rule of BURST: moves the clock only
  c.add(ev(20 * M, 'a', user('alice'), 'too-late'));
  const eps = [...c.flush(), ...c.finish()];
  assert.deepEqual(spans(eps), ['burst alice 0..40']);
  assert.deepEqual(eps[0]!.events, ['e0', 'e1', 'e2', 'e3', 'late-ok', 'on-time']);
  assert.equal(c.stats.late, 1);
});

// --- Properties ---------------------------------------------------------------------

const MIXED = ruleSet([
  corr('burst3', 'type: event_count\nrules: [a]\ngroup-by: [user]\ntimespan: 10m\ncondition:\n    gte: 3', 'name: burst3\n'),
  corr('spray', 'type: value_count\nrules: [a, b]\ngroup-by: [user]\ntimespan: 15m\ncondition:\n    field: host\n    gte: 2'),
  corr('tmp', 'type: temporal\nrules: [a, b, c]\ngroup-by: [user]\ntimespan: 20m'),
  corr('ord', 'type: temporal_ordered\nrules: [b, c]\ngroup-by: [user]\ntimespan: 10m'),
  corr('chain', 'type: temporal_ordered\nrules: [burst3, c]\ngroup-by: [user]\ntimespan: 30m\ngenerate: true'),
].join('---\n'));

/** Events of rules a, b, c for two users over `minutes` minutes. */
const arbEvents = (maxLength: number, minutes: number) => fc.array(fc.record({
  m: fc.integer({ min: 0, max: minutes }),
  ns: fc.constantFrom(0, 0, 1),
  rules: fc.subarray(['a', 'b', 'c'], { minLength: 1 }),
  user: fc.constantFrom('u1', 'u2'),
  host: fc.constantFrom('h1', 'h2', 'h3', undefined),
}), { maxLength, size: 'max' }).map((list) => list.map((r, i) => ev(r.m * M, r.rules.join(','), { user: r.user, host: r.host }, `k${i}`, r.ns)));

test('property: any arrival order gives the same episodes as time order (batch)', () => {
  fc.assert(fc.property(arbEvents(60, 180), fc.func(fc.integer()), (events, f) => {
    const sorted = [...events].sort((x, y) => x.ms - y.ms || (x.ns ?? 0) - (y.ns ?? 0));
    const shuffled = [...events].sort((x, y) => f(x.key) - f(y.key));
    assert.deepEqual(run(MIXED, shuffled), run(MIXED, sorted));
  }), { numRuns: 300 });
});

/** Each event arrives when the clock reaches its time plus a delay of at most J (pseudo-random from seed). */
function streamEqualsBatch(events: CorrelationEvent[], seed: number, flushAt: number[]): void {
  const J = 30 * M;
  let x = seed >>> 0;
  const delay = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % (J + 1);
  const arrival = events.map((e) => ({ e, at: e.ms + delay() })).sort((a, b) => a.at - b.at).map((a) => a.e);
  const c = new SigmaCorrelator(MIXED, { latenessMs: J });
  const got: CorrelationEpisode[] = [];
  arrival.forEach((e, i) => {
    c.add(e);
    if (flushAt.includes(i)) got.push(...c.flush());
  });
  got.push(...c.finish());
  assert.equal(c.stats.late, 0);
  const key = (e: CorrelationEpisode) => `${e.start.ms}.${e.start.ns} ${e.ruleId} ${JSON.stringify(e.group)}`;
  assert.deepEqual(got.sort((a, b) => (key(a) < key(b) ? -1 : 1)), run(MIXED, events).sort((a, b) => (key(a) < key(b) ? -1 : 1)));
}

test('property: a stream (late arrivals within the lateness, flushes anywhere) gives the batch\'s episodes', () => {
  fc.assert(fc.property(arbEvents(60, 180), fc.integer(), fc.array(fc.nat(60), { maxLength: 5 }), streamEqualsBatch), { numRuns: 300 });
  // Long streams: windows slide far, groups are pruned, compacted and forgotten.
  fc.assert(fc.property(arbEvents(3000, 3 * 24 * 60), fc.integer(), fc.array(fc.nat(3000), { maxLength: 20 }), streamEqualsBatch), { numRuns: 15 });
});

test('memory: a long stream keeps only recent groups and windows', () => {
  const c = new SigmaCorrelator(MIXED, { latenessMs: M });
  const users = 500;
  for (let i = 0; i < 200_000; i++) {
    // 200k events over ~23 days, each user active for a while, then never again.
    const u = `u${Math.floor(i / 400) * 7 % users + Math.floor(i / 20_000) * users}`;
    c.add(ev(i * 10 * S, 'abc'[i % 3]!, { user: u, host: `h${i % 5}` }, `k${i}`));
    if (i % 10_000 === 0) c.flush();
  }
  c.flush();
  assert.equal(c.stats.late, 0);
  // Only users seen within the last half hour or so keep state (5 correlations each, at most).
  assert.ok(c.groupCount <= 5 * 4, `groups: ${c.groupCount}`);
});

// --- The built-in detections as Sigma correlations ----------------------------------

const BUILTIN = ruleSet([
  corr('cw-entra-signin-after-network-alert', 'type: temporal_ordered\nrules: [network_alert, signin]\ngroup-by: [source.ip]\ntimespan: 8h'),
  corr('cw-m365-mail-access-after-network-alert', 'type: temporal_ordered\nrules: [network_alert, mail_access]\ngroup-by: [source.ip]\ntimespan: 8h'),
].join('---\n'), [detection('net', 'network_alert'), detection('signin', 'signin'), detection('mail', 'mail_access')]);

type Role = 'network_alert' | 'signin' | 'mail_access';

function decoded(role: Role, ip: string, ms: number, ns: number, id: string): DecodedEvent {
  const at = { ms, ns };
  const alert = role === 'network_alert';
  return {
    at,
    event: {
      '@timestamp': formatInstant(at),
      event: {
        kind: alert ? 'alert' : 'event', dataset: alert ? 'suricata.eve' : role === 'signin' ? 'azure.signinlogs' : 'o365.audit', id,
        ...(alert ? {} : { outcome: 'success' }), ...(role === 'mail_access' ? { action: 'MailItemsAccessed' } : {}),
      },
      source: { ip },
      user: { name: `user-${id}` },
      ...(alert ? { rule: { name: 'ET SCAN' } } : {}),
      crosswatch: { role, decoder: 'test' },
    },
  } as DecodedEvent;
}

test('the built-in detections as temporal_ordered correlations give the built-in correlator\'s episodes, ids and evidence', () => {
  const rules = loadRules().map((r) => r.correlation);
  const roles: Role[] = ['network_alert', 'signin', 'mail_access'];
  fc.assert(fc.property(fc.array(fc.record({
    role: fc.constantFrom(...roles),
    ip: fc.constantFrom('81.2.69.142', '81.2.69.160'),
    m: fc.integer({ min: 0, max: 48 * 6 }).map((x) => x * 10 * M),
    ns: fc.constantFrom(0, 100, 200),
  }), { maxLength: 40, size: 'max' }), (specs) => {
    const builtin = new Correlator(buildConfig({ maxUsersPerIp: 1_000_000 }), rules);
    const sigma = new SigmaCorrelator(BUILTIN);
    specs.forEach((s, i) => {
      builtin.add(decoded(s.role, s.ip, T0 + s.m, s.ns, `r${i}`));
      const matched = [s.role === 'network_alert' ? 'net' : s.role === 'signin' ? 'signin' : 'mail'];
      sigma.add({ ms: T0 + s.m, ns: s.ns, matched, key: `r${i}`, get: (f) => (f === 'source.ip' ? s.ip : undefined) });
    });
    const want = builtin.finish().map((e) => ({ id: e.id, rule: e.rule, ip: e.ip, start: e.start, end: e.end, evidence: e.networkAlerts.length + e.events.length }));
    const got = sigma.finish().map((e) => ({ id: e.id, rule: e.ruleId, ip: e.group['source.ip']!, start: e.start, end: e.end, evidence: e.events.length + e.moreEvents }));
    const order = (x: { start: { ms: number; ns: number }; rule: string; ip: string }) => `${x.start.ms}.${x.start.ns} ${x.rule} ${x.ip}`;
    assert.deepEqual(got.sort((x, y) => (order(x) < order(y) ? -1 : 1)), want.sort((x, y) => (order(x) < order(y) ? -1 : 1)));
  }), { numRuns: 300 });
});
