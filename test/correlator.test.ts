// Correlator semantics (DESIGN.md §1): ordering, inclusive window edges at
// 100 ns precision, exclusions, the distinct-user cap, de-duplication, episode
// folding, and independence from arrival order — checked by hand-built cases,
// by properties over random event sets against the reference implementation,
// and by batch (sealed) versus stream (unsealed) feeding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Correlator, withinAWindow, type Episode } from '../src/detect/correlator.js';
import { buildConfig, type CorrelatorSettings } from '../src/detect/config.js';
import { loadRules } from '../src/detect/rules.js';
import type { DecodedEvent, Role } from '../src/model/event.js';
import { formatInstant, type Instant } from '../src/model/time.js';
import { referencePairs, type Fact } from '../src/generate/reference.js';

/** The built-in detections, compiled, with the window of these settings. */
const rulesFor = (settings: CorrelatorSettings): ReturnType<typeof loadRules>[number]['correlation'][] =>
  loadRules({ builtinWindowMs: buildConfig(settings).windowMs }).map((r) => r.correlation);

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);

interface Spec {
  role: Exclude<Role, 'other'>;
  ip: string;
  at: Instant;
  user?: string;
  success?: boolean;
  id?: string;
}

function ev(s: Spec): DecodedEvent {
  const isAlert = s.role === 'network_alert';
  return {
    at: s.at,
    event: {
      '@timestamp': formatInstant(s.at),
      event: {
        kind: isAlert ? 'alert' : 'event',
        dataset: isAlert ? 'suricata.eve' : s.role === 'signin' ? 'azure.signinlogs' : 'o365.audit',
        outcome: isAlert ? undefined : s.success === false ? 'failure' : 'success',
        ...(s.role === 'mail_access' ? { action: 'MailItemsAccessed' } : {}),
        ...(s.id !== undefined ? { id: s.id } : {}),
      },
      source: { ip: s.ip },
      ...(s.user !== undefined ? { user: { name: s.user } } : {}),
      ...(isAlert ? { rule: { name: 'ET SCAN Suspicious inbound' } } : {}),
      crosswatch: { role: s.role, decoder: 'test' },
    },
  };
}

const at = (ms: number, ns = 0): Instant => ({ ms: T0 + ms, ns });

function run(specs: Spec[], settings: CorrelatorSettings = {}, mode: 'stream' | 'batch' | 'prepared' = 'stream'): Episode[] {
  const c = new Correlator(buildConfig(settings), rulesFor(settings));
  if (mode === 'prepared') {
    // As hunt does: network alerts made ready as their files come in, added (in input order) when sealed.
    const prepared = specs.filter((s) => s.role === 'network_alert').map((s) => c.prepareAlert(ev(s)));
    for (const p of prepared) c.addPrepared(p);
    c.sealNetworkAlerts();
    for (const s of specs) if (s.role !== 'network_alert') c.add(ev(s));
  } else if (mode === 'batch') {
    for (const s of specs) if (s.role === 'network_alert') c.add(ev(s));
    c.sealNetworkAlerts();
    for (const s of specs) if (s.role !== 'network_alert') c.add(ev(s));
  } else {
    for (const s of specs) c.add(ev(s));
  }
  return c.finish();
}

const pairs = (eps: Episode[]): string[] => [...new Set(eps.map((e) => `${e.rule} ${e.ip}`))].sort();
const SIGNIN = 'cw-entra-signin-after-network-alert';
const MAIL = 'cw-m365-mail-access-after-network-alert';
const IP = '81.2.69.142';

test('a sign-in after a network alert for the same IP fires; before it does not', () => {
  assert.deepEqual(pairs(run([
    { role: 'network_alert', ip: IP, at: at(0) },
    { role: 'signin', ip: IP, at: at(H), user: 'alice@contoso.com' },
  ])), [`${SIGNIN} ${IP}`]);
  assert.deepEqual(pairs(run([
    { role: 'network_alert', ip: IP, at: at(0) },
    { role: 'signin', ip: IP, at: at(-1), user: 'alice@contoso.com' },
  ])), []);
});

test('window edges are inclusive at both ends, to the nanosecond', () => {
  const alert: Spec = { role: 'network_alert', ip: IP, at: at(0, 100) };
  const cases: Array<[Instant, boolean]> = [
    [at(0, 100), true], // tie
    [at(0, 0), false], // 100 ns before
    [at(8 * H, 100), true], // exactly tA + 8h
    [at(8 * H, 200), false], // 100 ns after the window
    [at(8 * H + 1, 100), false],
  ];
  for (const [t, fires] of cases) {
    const got = pairs(run([alert, { role: 'mail_access', ip: IP, at: t, user: 'bob@contoso.com' }]));
    assert.deepEqual(got, fires ? [`${MAIL} ${IP}`] : [], `event at ${formatInstant(t)}`);
  }
});

test('failed sign-ins, special-purpose ranges and the allowlist never fire', () => {
  assert.deepEqual(pairs(run([
    { role: 'network_alert', ip: IP, at: at(0) },
    { role: 'signin', ip: IP, at: at(H), user: 'a', success: false },
  ])), []);
  for (const ip of ['10.1.2.3', '192.168.1.1', '100.64.0.9', '172.20.1.1', '::1', 'fe80::1', '2001:db8::5', '203.0.113.7']) {
    assert.deepEqual(pairs(run([
      { role: 'network_alert', ip, at: at(0) },
      { role: 'signin', ip, at: at(H), user: 'a' },
    ])), [], ip);
  }
  const specs: Spec[] = [
    { role: 'network_alert', ip: IP, at: at(0) },
    { role: 'signin', ip: IP, at: at(H), user: 'a' },
  ];
  assert.deepEqual(pairs(run(specs, { allow: '81.2.69.0/24' })), []);
  assert.deepEqual(pairs(run(specs, { allow: '81.2.70.0/24' })), [`${SIGNIN} ${IP}`]);
});

test('an address is set aside for the same reason however many addresses were asked about before it (the answers the correlator remembers are bounded)', () => {
  const settings = { allow: '81.2.69.0/24' };
  const c = new Correlator(buildConfig(settings), rulesFor(settings));
  const probes: Array<[string, 'special-purpose' | 'allowlist' | null]> = [
    ['10.1.2.3', 'special-purpose'], ['fd12:3456:789a:1::25', 'special-purpose'], ['2001:db8::5', 'special-purpose'],
    ['81.2.69.7', 'allowlist'], ['8.8.8.8', null], ['2a02:8108:32ca:a1f3::1', null], ['81.2.70.7', null],
  ];
  const ask = (): Array<boolean> => probes.map(([ip]) => c.excludes(ip));
  const want = probes.map(([, why]) => why !== null);
  assert.deepEqual(ask(), want);
  // More distinct public addresses than the correlator remembers: its memory is emptied on the way.
  for (let i = 0; i < 70_000; i++) assert.equal(c.excludes(`1.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`), false);
  assert.deepEqual(ask(), want);
  // Each excluded address counted once, under its reason, however often its alerts come.
  for (let round = 0; round < 2; round++) for (const [ip] of probes) c.add(ev({ role: 'network_alert', ip, at: at(round * H) }));
  assert.deepEqual(c.stats.excludedIps, { 'special-purpose': 3, allowlist: 1, 'shared-infrastructure': 0 });
  assert.deepEqual(c.stats.excludedSamples.allowlist, ['81.2.69.7']);
});

test('the shared-infrastructure cap counts distinct users in the alert window, not events', () => {
  const base: Spec[] = [{ role: 'network_alert', ip: IP, at: at(0) }];
  const users = (n: number, offset = H): Spec[] =>
    Array.from({ length: n }, (_, i) => ({ role: 'signin' as const, ip: IP, at: at(offset + i * 1000), user: `user${i}@contoso.com` }));
  assert.deepEqual(pairs(run([...base, ...users(20)])), [`${SIGNIN} ${IP}`]);
  assert.deepEqual(pairs(run([...base, ...users(21)])), []);
  // 21 users, but the 21st outside [tA, tA + window]: still under the cap.
  const spread = users(20);
  spread.push({ role: 'signin', ip: IP, at: at(9 * H), user: 'late@contoso.com' });
  assert.deepEqual(pairs(run([...base, ...spread])), [`${SIGNIN} ${IP}`]);
  // One attacker reading thousands of mails from one IP: one user, must fire.
  const reads: Spec[] = Array.from({ length: 5000 }, (_, i) => ({
    role: 'mail_access', ip: IP, at: at(H + i), user: 'victim@contoso.com', id: `m${i}`,
  }));
  const eps = run([...base, ...reads]);
  assert.deepEqual(pairs(eps), [`${MAIL} ${IP}`]);
  assert.equal(eps[0]!.events.length, 5000);
  // Users count across both rules: 15 sign-in users + 6 mail users = 21 > 20.
  const mixed: Spec[] = [
    ...users(15),
    ...Array.from({ length: 6 }, (_, i) => ({ role: 'mail_access' as const, ip: IP, at: at(2 * H + i), user: `m${i}@contoso.com` })),
  ];
  assert.deepEqual(pairs(run([...base, ...mixed])), []);
  // Compatibility cap on raw events, off by default.
  assert.deepEqual(pairs(run([...base, ...reads], { maxEventsPerIp: 100 })), []);
});

test('a record delivered twice counts once; matches fold into one episode per window', () => {
  const specs: Spec[] = [
    { role: 'network_alert', ip: IP, at: at(0), id: 'a1' },
    { role: 'signin', ip: IP, at: at(H), user: 'alice', id: 's1' },
    { role: 'signin', ip: IP, at: at(H), user: 'alice', id: 's1' },
    { role: 'signin', ip: IP, at: at(2 * H), user: 'alice', id: 's2' },
  ];
  const eps = run(specs);
  assert.equal(eps.length, 1);
  assert.equal(eps[0]!.events.length, 2);
  assert.deepEqual(eps[0]!.users, ['alice']);
  // A network alert delivered twice too (with its id, or without one: same sensor, time and signature), in either mode.
  for (const mode of ['stream', 'prepared'] as const) {
    for (const id of ['a1', undefined]) {
      const alert: Spec = { role: 'network_alert', ip: IP, at: at(0), ...(id ? { id } : {}) };
      const again = run([alert, ...specs.slice(1), alert], {}, mode);
      assert.equal(again.length, 1, mode);
      assert.equal(again[0]!.networkAlerts.length, 1, `${mode}: one network alert in the evidence`);
    }
  }
  // A second alert two days later, with its own sign-in: a second episode, another id.
  const later: Spec[] = [
    ...specs,
    { role: 'network_alert', ip: IP, at: at(48 * H), id: 'a2' },
    { role: 'signin', ip: IP, at: at(49 * H), user: 'alice', id: 's3' },
  ];
  const two = run(later);
  assert.equal(two.length, 2);
  assert.notEqual(two[0]!.id, two[1]!.id);
  assert.equal(two[0]!.id, eps[0]!.id, 'an episode keeps its id when later data arrives');
});

// Random event sets over a few IPs and users, times on a coarse grid so ties and
// edges are frequent. Some records carry an id and some are redelivered whole.
const specArb: fc.Arbitrary<Spec> = fc.record({
  role: fc.constantFrom<Spec['role']>('network_alert', 'signin', 'mail_access'),
  ip: fc.constantFrom(IP, '2a02:cf40::1', '81.2.69.143', '10.0.0.5'),
  slot: fc.integer({ min: 0, max: 40 }),
  ns: fc.constantFrom(0, 100),
  user: fc.constantFrom('alice', 'bob', 'carol', 'dave'),
  success: fc.boolean(),
}).map((r) => ({ role: r.role, ip: r.ip, at: at(r.slot * H, r.ns), user: r.user, success: r.success }));

const setArb: fc.Arbitrary<Spec[]> = fc
  .array(fc.tuple(specArb, fc.boolean()), { maxLength: 40 })
  .map((xs) => xs.map(([s, withId], i) => (withId ? { ...s, id: `r${i}` } : s)))
  .chain((specs) => fc.subarray(specs.filter((s) => s.id !== undefined)).map((dups) => [...specs, ...dups]));

function toFacts(specs: Spec[]): Fact[] {
  return specs.map((s) => ({
    role: s.role,
    ip: s.ip,
    at: s.at,
    user: s.user,
    success: s.role === 'network_alert' ? true : s.success !== false,
    ...(s.id !== undefined ? { recordId: `${s.role === 'network_alert' ? 'a' : s.role}:${s.id}` } : {}),
  }));
}

test('property: the correlator agrees with the reference implementation', () => {
  fc.assert(
    fc.property(setArb, fc.constantFrom(1, 2, 20), (specs, cap) => {
      const got = pairs(run(specs, { maxUsersPerIp: cap }));
      const want = referencePairs(toFacts(specs), { windowMs: 8 * H, maxUsersPerIp: cap }).map((p) => `${p.rule} ${p.ip}`).sort();
      assert.deepEqual(got, want);
    }),
    { numRuns: 400 },
  );
});

test('property: arrival order, reversal and batch sealing change nothing', () => {
  fc.assert(
    fc.property(setArb.chain((specs) => fc.tuple(fc.constant(specs), fc.shuffledSubarray(specs, { minLength: specs.length, maxLength: specs.length }))), ([specs, shuffled]) => {
      const ids = (eps: Episode[]): string[] => eps.map((e) => `${e.id} ${e.events.length} ${e.networkAlerts.length}`).sort();
      const base = ids(run(specs));
      assert.deepEqual(ids(run(shuffled)), base);
      assert.deepEqual(ids(run([...specs].reverse())), base);
      assert.deepEqual(ids(run(shuffled, {}, 'batch')), base);
    }),
    { numRuns: 300 },
  );
});

test('property: network alerts prepared ahead (hunt) give the very episodes and counts that adding them does', () => {
  fc.assert(
    fc.property(setArb, (specs) => {
      const counts = (mode: 'batch' | 'prepared'): unknown => {
        const c = new Correlator(buildConfig({}), rulesFor({}));
        for (const s of specs) {
          if (s.role !== 'network_alert') continue;
          if (mode === 'batch') c.add(ev(s));
          else c.addPrepared(c.prepareAlert(ev(s)));
        }
        return c.stats;
      };
      assert.deepEqual(run(specs, {}, 'prepared'), run(specs, {}, 'batch'));
      assert.deepEqual(counts('prepared'), counts('batch'));
    }),
    { numRuns: 200 },
  );
});

// Hunt's cap sample (batch.ts): the alerts a sample of the events already puts over the
// shared-infrastructure cap (alertsOverCap); the rest of the data is then read only within
// the windows of the other alerts. Whatever the sample, the episodes must be the very same.
// Two busy addresses, alerts and events on an hour grid with a millisecond and 100 ns either
// side of it (so that the window's edges and an alert's nanoseconds are often in play), a few
// users: caps of 1 and 2 are often reached, in the sample and in all.
const busyArb: fc.Arbitrary<Spec[]> = fc.array(fc.record({
  role: fc.constantFrom<Spec['role']>('network_alert', 'signin', 'signin', 'mail_access'),
  ip: fc.constantFrom(IP, '81.2.69.143'),
  slot: fc.integer({ min: 0, max: 24 }),
  ms: fc.constantFrom(-1, 0, 1),
  ns: fc.constantFrom(0, 100),
  user: fc.constantFrom('alice', 'bob', 'carol', 'dave'),
}), { maxLength: 60 }).map((xs) => xs.map((r, i) => ({ role: r.role, ip: r.ip, at: at(r.slot * H + r.ms, r.ns), user: r.user, id: `r${i}` })));

test('property: alerts over the cap in any sample of the events change no episode when the events only in their windows are left out', () => {
  const qualifying = (s: Spec): boolean => s.role !== 'network_alert';
  fc.assert(
    fc.property(busyArb.chain((specs) => fc.tuple(fc.constant(specs), fc.subarray(specs.filter(qualifying)))), fc.constantFrom(1, 2), ([specs, sample], cap) => {
      const settings: CorrelatorSettings = { maxUsersPerIp: cap };
      const cfg = buildConfig(settings);
      const early = new Correlator(cfg, rulesFor(settings));
      for (const s of sample) early.add(ev(s));
      const times = new Map<string, number[]>();
      for (const s of specs) if (s.role === 'network_alert') times.set(s.ip, [...(times.get(s.ip) ?? []), s.at.ms]);
      for (const t of times.values()) t.sort((a, b) => a - b);
      const over = early.alertsOverCap(times);
      // The rest as hunt reads it after the sample: an alerted IP's events only within a window
      // of one of its alerts not over the cap (none for an IP all of whose alerts are).
      const rest = specs.filter((s) => {
        if (!qualifying(s) || sample.includes(s) || !times.has(s.ip)) return true;
        const left = Float64Array.from(times.get(s.ip)!.filter((t) => !over.get(s.ip)?.has(t)));
        return withinAWindow(left, s.at.ms, cfg.windowMs);
      });
      const shape = (eps: Episode[]): string[] => eps.map((e) => `${e.id} ${e.events.map((x) => x.id ?? x.user).join(',')} ${e.networkAlerts.length} ${e.users.join(',')}`).sort();
      assert.deepEqual(shape(run([...sample, ...rest.filter((s) => !sample.includes(s))], settings, 'batch')), shape(run(specs, settings, 'batch')));
    }),
    { numRuns: 1000 },
  );
});

test('the cap counts the users in [tA, tA + window], both ends included, to the nanosecond', () => {
  const w = 8 * H;
  const alert: Spec = { role: 'network_alert', ip: IP, at: at(0, 100) };
  const alice: Spec = { role: 'signin', ip: IP, at: at(H), user: 'alice', id: 'a' };
  const episodes = (bobAt: Instant): number => run([alert, alice, { role: 'signin', ip: IP, at: bobAt, user: 'bob', id: 'b' }], { maxUsersPerIp: 1 }).length;
  assert.equal(episodes(at(0, 100)), 0, 'bob at the alert: two users, over a cap of 1');
  assert.equal(episodes(at(0, 99)), 1, 'bob 1 ns before it: outside');
  assert.equal(episodes(at(w, 100)), 0, 'bob at the window\'s end: inside');
  assert.equal(episodes(at(w, 101)), 1, 'bob 1 ns after it: outside');
});

test('alertsOverCap counts only events surely inside the window, each user once, and events in compatibility mode', () => {
  const c = new Correlator(buildConfig({ maxUsersPerIp: 2 }), rulesFor({ maxUsersPerIp: 2 }));
  const w = 8 * H;
  // At the alert's millisecond and at its window's last: not surely inside (the alert's nanoseconds could move them out).
  c.add(ev({ role: 'signin', ip: IP, at: at(0, 500), user: 'edge1' }));
  c.add(ev({ role: 'signin', ip: IP, at: at(w), user: 'edge2' }));
  c.add(ev({ role: 'signin', ip: IP, at: at(H), user: 'Alice' }));
  c.add(ev({ role: 'signin', ip: IP, at: at(2 * H), user: 'alice' }));
  c.add(ev({ role: 'mail_access', ip: IP, at: at(3 * H), user: 'bob' }));
  const times = new Map([[IP, [T0]]]);
  assert.equal(c.alertsOverCap(times).size, 0, 'two users inside: not over a cap of 2');
  c.add(ev({ role: 'signin', ip: IP, at: at(w - 1), user: 'carol' }));
  assert.deepEqual([...c.alertsOverCap(times).get(IP) ?? []], [T0], 'a third user inside: over');
  // An alert a window later has none of them inside.
  assert.deepEqual([...c.alertsOverCap(new Map([[IP, [T0, T0 + w]]])).get(IP) ?? []], [T0]);
  // Compatibility mode: more than maxEventsPerIp events, whoever they are.
  const compat = new Correlator(buildConfig({ maxEventsPerIp: 3 }), rulesFor({ maxEventsPerIp: 3 }));
  for (let i = 1; i <= 3; i++) compat.add(ev({ role: 'signin', ip: IP, at: at(i * H), user: 'alice', id: `s${i}` }));
  compat.add(ev({ role: 'signin', ip: IP, at: at(w + H), user: 'alice', id: 'after' }));
  assert.equal(compat.alertsOverCap(times).size, 0, 'three events inside (a fourth after the window): not more than 3');
  compat.add(ev({ role: 'signin', ip: IP, at: at(4 * H), user: 'alice', id: 's4' }));
  assert.deepEqual([...compat.alertsOverCap(times).get(IP) ?? []], [T0]);
});

test('batch mode keeps no state for IPs without network alerts', () => {
  const c = new Correlator(buildConfig({}), rulesFor({}));
  c.add(ev({ role: 'network_alert', ip: IP, at: at(0) }));
  c.sealNetworkAlerts();
  for (let i = 0; i < 10_000; i++) {
    c.add(ev({ role: 'mail_access', ip: `81.3.${(i >> 8) & 255}.${i & 255}`, at: at(H), user: 'u' }));
  }
  assert.equal(c.stateSize, 1);
  assert.equal(c.stats.unalertedEvents, 10_000);
});

test('batch mode keeps only the events within a window of their IP\'s alerts, with the same episodes as streaming', () => {
  const w = 8 * H;
  const specs: Spec[] = [
    { role: 'network_alert', ip: IP, at: at(0) },
    { role: 'network_alert', ip: IP, at: at(30 * H) },
    // before the first alert, inside, at the edges, between the windows, a second before the second alert
    ...[-H, 0, 4 * H, w, 20 * H, 30 * H - 1000, 30 * H + w].map((ms, i) => ({ role: 'signin' as const, ip: IP, at: at(ms), user: `u${i}`, id: `s${i}` })),
    { role: 'mail_access', ip: IP, at: at(w, 1), user: 'edge-ns', id: 'm1' },
    { role: 'mail_access', ip: IP, at: at(30 * H + w, 0), user: 'edge', id: 'm2' },
  ];
  const batch = new Correlator(buildConfig({}), rulesFor({}));
  for (const s of specs) if (s.role === 'network_alert') batch.add(ev(s));
  batch.sealNetworkAlerts();
  for (const s of specs) if (s.role !== 'network_alert') batch.add(ev(s));
  // In windows: 0, 4h, 8h (sign-ins), 38h (sign-in), 38h (mail); 8h + 100 ns is kept too (ms slack) but matches nothing.
  assert.equal(batch.stats.qualifyingEvents, 6);
  const ids = (eps: Episode[]): string[] => eps.map((e) => `${e.rule} ${e.id} ${e.events.map((x) => x.id).join(',')}`).sort();
  const episodes = batch.finish();
  assert.deepEqual(ids(episodes), ids(run(specs)));
  assert.deepEqual(episodes.flatMap((e) => e.events.map((x) => x.id)).sort(), ['m2', 's1', 's2', 's3', 's6']);
});

test('events at the same instant give the same evidence, in the same order, whatever order they arrive in', () => {
  const specs: Spec[] = [
    { role: 'network_alert', ip: IP, at: at(0) },
    ...['b', 'a', 'c'].map((u, i) => ({ role: 'mail_access' as const, ip: IP, at: at(H), user: `${u}@contoso.com`, id: `m${2 - i}` })),
    { role: 'mail_access', ip: IP, at: at(H), user: 'no-id@contoso.com' },
  ];
  const forward = run(specs, {}, 'batch');
  assert.equal(forward.length, 1);
  assert.deepEqual(run([...specs].reverse(), {}, 'batch'), forward);
  assert.deepEqual(run([specs[0]!, specs[3]!, specs[1]!, specs[4]!, specs[2]!]), forward);
  assert.deepEqual(forward[0]!.events.map((e) => e.id ?? '-'), ['-', 'm0', 'm1', 'm2']);
});

test('records with one id: with their places in the input, the earliest is kept whatever the arrival order', () => {
  // Hunt's threads hand events over as each piece of a file is done; which copy of a
  // redelivered record is the evidence must not depend on which piece finished first.
  const copies: Array<{ spec: Spec; order: number; index: number }> = [
    { spec: { role: 'signin', ip: IP, at: at(2 * H), user: 'late-file@contoso.com', id: 'rec-1' }, order: 3, index: 0 },
    { spec: { role: 'signin', ip: IP, at: at(2 * H), user: 'early-index@contoso.com', id: 'rec-1' }, order: 2, index: 1 },
    { spec: { role: 'signin', ip: IP, at: at(2 * H), user: 'first@contoso.com', id: 'rec-1' }, order: 2, index: 0 },
    { spec: { role: 'signin', ip: IP, at: at(3 * H), user: 'other@contoso.com', id: 'rec-2' }, order: 5, index: 7 },
  ];
  const permutations = (xs: typeof copies): Array<typeof copies> =>
    xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
  const seen = new Set<string>();
  for (const arrival of permutations(copies)) {
    const c = new Correlator(buildConfig({}), rulesFor({}));
    c.add(ev({ role: 'network_alert', ip: IP, at: at(0) }));
    c.sealNetworkAlerts();
    for (const { spec, order, index } of arrival) c.add(ev(spec), order, index);
    assert.equal(c.stats.duplicateRecords, 2);
    assert.equal(c.stats.qualifyingEvents, 2);
    const eps = c.finish();
    assert.deepEqual(eps.flatMap((e) => e.users), ['first@contoso.com', 'other@contoso.com']);
    seen.add(JSON.stringify(eps));
  }
  assert.equal(seen.size, 1, 'one answer for every arrival order');
  // Without places, the first to arrive stays (serve's redeliveries).
  const c = new Correlator(buildConfig({}), rulesFor({}));
  c.add(ev({ role: 'network_alert', ip: IP, at: at(0) }));
  for (const { spec } of copies) c.add(ev(spec));
  assert.deepEqual(c.finish().flatMap((e) => e.users), ['late-file@contoso.com', 'other@contoso.com']);
});

test('forgetQualifying takes back every record id of those IPs, even of events the seal dropped; other IPs keep theirs', () => {
  // Hunt adds an IP's events early, seals (dropping those outside every window), and
  // for an IP whose alerts turned out different forgets its events and reads them again.
  const OTHER = '81.2.69.143';
  const c = new Correlator(buildConfig({}), rulesFor({}));
  for (const ip of [IP, OTHER]) c.add(ev({ role: 'network_alert', ip, at: at(0) }));
  c.add(ev({ role: 'signin', ip: IP, at: at(30 * H), user: 'late@contoso.com', id: 's1' }), 1, 0);
  c.add(ev({ role: 'signin', ip: IP, at: at(H), user: 'early@contoso.com', id: 's2' }), 1, 1);
  c.add(ev({ role: 'signin', ip: OTHER, at: at(H), user: 'other@contoso.com', id: 's3' }), 1, 2);
  c.sealNetworkAlerts();
  assert.equal(c.stats.qualifyingEvents, 3 - 1, 's1 is outside the window: dropped');
  // A later alert (an alert after sealing lifts the window test for its IP) ...
  c.add(ev({ role: 'network_alert', ip: IP, at: at(29 * H) }));
  c.forgetQualifying(new Set([IP]));
  assert.equal(c.stats.qualifyingEvents, 1);
  // ... and the IP's records read again: s1 is new to the correlator, not a copy of the dropped one.
  c.add(ev({ role: 'signin', ip: IP, at: at(30 * H), user: 'late@contoso.com', id: 's1' }), 1, 0);
  c.add(ev({ role: 'signin', ip: IP, at: at(H), user: 'early@contoso.com', id: 's2' }), 1, 1);
  c.add(ev({ role: 'signin', ip: OTHER, at: at(H), user: 'other@contoso.com', id: 's3' }), 1, 2);
  assert.equal(c.stats.duplicateRecords, 1, 'only the other IP\'s record is a copy');
  assert.deepEqual(c.finish().flatMap((e) => e.users).sort(), ['early@contoso.com', 'late@contoso.com', 'other@contoso.com']);
});
