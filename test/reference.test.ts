// The reference implementation of DESIGN.md §1, scenario by scenario: each test
// builds facts by hand and asserts the exact pair set.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RULE_MAIL, RULE_SIGNIN, referencePairs } from '../src/generate/reference.js';
import type { Fact, Pair } from '../src/generate/reference.js';

const H = 3_600_000;
const W = 8 * H;
const T = Date.UTC(2026, 2, 2, 10, 0, 0);
const X = '91.240.118.10';
const Y = '185.220.101.7';
const P = { windowMs: W, maxUsersPerIp: 20 };

const alert = (ip: string | null, ms: number, ns = 0): Fact => ({ role: 'network_alert', ip, at: { ms, ns }, success: true });
const signin = (ip: string | null, ms: number, user = 'alice@fabrikam.com', success = true, recordId?: string, ns = 0): Fact => {
  const f: Fact = { role: 'signin', ip, at: { ms, ns }, user, success };
  if (recordId !== undefined) f.recordId = recordId;
  return f;
};
const mail = (ip: string | null, ms: number, user = 'alice@fabrikam.com', success = true, recordId?: string): Fact => {
  const f: Fact = { role: 'mail_access', ip, at: { ms, ns: 0 }, user, success };
  if (recordId !== undefined) f.recordId = recordId;
  return f;
};
const pairs = (...list: Array<[string, string]>): Pair[] => list.map(([rule, ip]) => ({ rule, ip }));
const users = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `user${from + i}@fabrikam.com`);

describe('referencePairs', () => {
  it('matches a successful sign-in after an alert on the same address', () => {
    assert.deepEqual(referencePairs([alert(X, T), signin(X, T + H)], P), pairs([RULE_SIGNIN, X]));
  });

  it('matches a successful mail access after an alert', () => {
    assert.deepEqual(referencePairs([alert(X, T), mail(X, T + H)], P), pairs([RULE_MAIL, X]));
  });

  it('gives both rules for one address, sorted by rule then ip, each once', () => {
    const facts = [
      alert(Y, T), alert(Y, T + 1000), signin(Y, T + H), signin(Y, T + 2 * H), mail(Y, T + H),
      alert(X, T), mail(X, T + H), mail(X, T + 2 * H),
    ];
    // Rule ids sort "cw-entra-..." before "cw-m365-..."; addresses as strings ("185..." < "91...").
    assert.deepEqual(referencePairs(facts, P), pairs([RULE_SIGNIN, Y], [RULE_MAIL, Y], [RULE_MAIL, X]));
  });

  it('does not match a different address', () => {
    assert.deepEqual(referencePairs([alert(X, T), signin(Y, T + H)], P), []);
  });

  it('matches a tie: tE == tA', () => {
    assert.deepEqual(referencePairs([alert(X, T, 500), signin(X, T, 'a', true, undefined, 500)], P), pairs([RULE_SIGNIN, X]));
    assert.deepEqual(referencePairs([signin(X, T), alert(X, T)], P), pairs([RULE_SIGNIN, X]), 'input order does not matter');
  });

  it('is inclusive at tA + window, exactly, at nanosecond precision', () => {
    const a = alert(X, T + 123, 456000);
    assert.deepEqual(referencePairs([a, signin(X, T + 123 + W, 'a', true, undefined, 456000)], P), pairs([RULE_SIGNIN, X]));
    assert.deepEqual(referencePairs([a, signin(X, T + 123 + W, 'a', true, undefined, 455900)], P), pairs([RULE_SIGNIN, X]));
    assert.deepEqual(referencePairs([a, signin(X, T + 123 + W, 'a', true, undefined, 456100)], P), [], '+100 ns');
    assert.deepEqual(referencePairs([a, signin(X, T + 124 + W, 'a', true, undefined, 456000)], P), [], '+1 ms');
  });

  it('does not match events before the alert, even by 100 ns', () => {
    assert.deepEqual(referencePairs([alert(X, T, 100), signin(X, T, 'a', true, undefined, 0)], P), []);
    assert.deepEqual(referencePairs([alert(X, T), signin(X, T - 1), mail(X, T - H)], P), []);
  });

  it('matches against any of several alerts', () => {
    // The event is too late for the first alert but within the window of the second.
    const facts = [alert(X, T), alert(X, T + 5 * H), signin(X, T + W + H)];
    assert.deepEqual(referencePairs(facts, P), pairs([RULE_SIGNIN, X]));
  });

  it('ignores failed sign-ins and failed mail access', () => {
    assert.deepEqual(referencePairs([alert(X, T), signin(X, T + H, 'a', false), mail(X, T + H, 'a', false)], P), []);
  });

  it('ignores other events and alerts alone', () => {
    const other: Fact = { role: 'other', ip: X, at: { ms: T + H, ns: 0 }, user: 'a', success: true };
    assert.deepEqual(referencePairs([alert(X, T), other], P), []);
    assert.deepEqual(referencePairs([alert(X, T), alert(X, T + 1)], P), []);
    assert.deepEqual(referencePairs([signin(X, T), mail(X, T)], P), []);
  });

  it('never matches special-purpose addresses', () => {
    for (const ip of ['10.20.30.40', '172.20.5.17', '192.168.1.9', '100.72.14.9', '127.0.0.1', '169.254.3.3', '198.51.100.77', '203.0.113.5', '192.0.2.1', 'fd12:3456:789a:1::25', 'fe80::1', '::1', '2001:db8::5']) {
      assert.deepEqual(referencePairs([alert(ip, T), signin(ip, T + H), mail(ip, T + H)], P), [], ip);
    }
  });

  it('never matches allowlisted addresses (CIDR or single address)', () => {
    const facts = [alert(X, T), signin(X, T + H), alert(Y, T), mail(Y, T + H)];
    assert.deepEqual(referencePairs(facts, { ...P, allow: ['91.240.118.0/24'] }), pairs([RULE_MAIL, Y]));
    assert.deepEqual(referencePairs(facts, { ...P, allow: ['91.240.118.0/24', Y] }), []);
    const v6 = '2a0d:5600:24:a1::1f';
    assert.deepEqual(referencePairs([alert(v6, T), signin(v6, T + H)], { ...P, allow: ['2a0d:5600::/32'] }), []);
    assert.deepEqual(referencePairs([alert(v6, T), signin(v6, T + H)], P), pairs([RULE_SIGNIN, v6]));
  });

  it('compares canonical addresses: spellings of one address meet', () => {
    const facts = [
      alert('2a0d:5600:0024:00a1:0000:0000:0000:001f', T), signin('2A0D:5600:24:A1::1F', T + H), mail('[2a0d:5600:24:a1::1f]:443', T + H),
      alert('91.240.118.11', T), mail('::ffff:91.240.118.11', T + H), signin('91.240.118.11:51234', T + H),
    ];
    assert.deepEqual(referencePairs(facts, P), pairs(
      [RULE_SIGNIN, '2a0d:5600:24:a1::1f'], [RULE_SIGNIN, '91.240.118.11'], [RULE_MAIL, '2a0d:5600:24:a1::1f'], [RULE_MAIL, '91.240.118.11'],
    ));
  });

  it('ignores facts without an address', () => {
    assert.deepEqual(referencePairs([alert(null, T), signin(null, T + H)], P), []);
    assert.deepEqual(referencePairs([alert(X, T), signin('Unknown', T + H)], P), []);
  });

  it('keeps the match with exactly maxUsersPerIp users, drops it with one more', () => {
    const twenty = [alert(X, T), ...users(20).map((u, i) => signin(X, T + i * 60_000, u))];
    assert.deepEqual(referencePairs(twenty, P), pairs([RULE_SIGNIN, X]));
    const twentyOne = [...twenty, signin(X, T + H, 'user20@fabrikam.com')];
    assert.deepEqual(referencePairs(twentyOne, P), []);
  });

  it('counts sign-in and mail users together for the cap, dropping both rules', () => {
    const facts = [
      alert(X, T),
      ...users(11).map((u, i) => signin(X, T + i * 60_000, u)),
      ...users(10, 11).map((u, i) => mail(X, T + i * 60_000, u)),
    ];
    assert.deepEqual(referencePairs(facts, P), []);
    const ten = [alert(X, T), ...users(10).map((u) => signin(X, T + H, u)), ...users(10, 10).map((u) => mail(X, T + H, u))];
    assert.deepEqual(referencePairs(ten, P), pairs([RULE_SIGNIN, X], [RULE_MAIL, X]));
  });

  it('counts users, not events: one user with thousands of events is caught', () => {
    const facts = [alert(X, T), signin(X, T + 1000), ...Array.from({ length: 5000 }, (_, i) => mail(X, T + 2000 + i * 1000))];
    assert.deepEqual(referencePairs(facts, P), pairs([RULE_SIGNIN, X], [RULE_MAIL, X]));
  });

  it('does not count failed users, nor users outside [tA, tA + window]', () => {
    const facts = [
      alert(X, T),
      ...users(20).map((u) => signin(X, T + H, u)),
      ...users(5, 20).map((u) => signin(X, T + H, u, false)),
      ...users(5, 25).map((u) => signin(X, T - H, u)),
      ...users(5, 30).map((u) => mail(X, T + W + 1, u)),
    ];
    assert.deepEqual(referencePairs(facts, P), pairs([RULE_SIGNIN, X]));
  });

  it('applies the cap per alert window, not globally', () => {
    const later = T + 3 * W;
    const facts = [
      alert(X, T),
      ...users(30).map((u, i) => signin(X, T + i * 60_000, u)),
      alert(X, later),
      mail(X, later + H, 'user0@fabrikam.com'),
    ];
    // The first alert's window has 30 users (dropped); the second has one (kept).
    assert.deepEqual(referencePairs(facts, P), pairs([RULE_MAIL, X]));
  });

  it('does not count events without a user toward the cap, but lets them qualify', () => {
    const anon: Fact = { role: 'signin', ip: X, at: { ms: T + H, ns: 0 }, success: true };
    assert.deepEqual(referencePairs([alert(X, T), anon], P), pairs([RULE_SIGNIN, X]));
  });

  it('counts a record delivered twice once (same recordId)', () => {
    // The same sign-in arrives through two pipelines with the user spelled differently:
    // 20 distinct records, 20 users; counted per fact it would be 21 "users".
    const facts = [
      alert(X, T),
      ...users(20).map((u, i) => signin(X, T + H, u, true, `rec-${i}`)),
      signin(X, T + H, 'USER19@FABRIKAM.COM', true, 'rec-19'),
    ];
    assert.deepEqual(referencePairs(facts, P), pairs([RULE_SIGNIN, X]));
    // Without ids they are two users.
    const noIds = facts.map((f) => ({ ...f, recordId: undefined }) as Fact);
    assert.deepEqual(referencePairs(noIds, P), []);
  });

  it('honours windowMs and maxUsersPerIp parameters', () => {
    const facts = [alert(X, T), signin(X, T + 2 * H, 'a'), signin(X, T + 2 * H, 'b')];
    assert.deepEqual(referencePairs(facts, { windowMs: H, maxUsersPerIp: 20 }), []);
    assert.deepEqual(referencePairs(facts, { windowMs: 2 * H, maxUsersPerIp: 20 }), pairs([RULE_SIGNIN, X]));
    assert.deepEqual(referencePairs(facts, { windowMs: 2 * H, maxUsersPerIp: 1 }), []);
  });
});
