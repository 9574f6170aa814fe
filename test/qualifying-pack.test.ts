// Qualifying events handed to the correlator in packs (detect/qualifying-pack.ts),
// as hunt's scan tasks do, must give the very episodes and counts that adding the
// events one by one gives — with the rules' qualifying tests run where the pack
// is made, compiled there again from their Sigma source (a worker cannot be sent
// a function), the pack copied the way postMessage copies it, packs arriving in
// any order, record ids repeated within and across packs, and a rule that tests
// a field of the event (the legacy-protocol rule's client.client_app).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Correlator } from '../src/detect/correlator.js';
import { buildConfig } from '../src/detect/config.js';
import { loadRules } from '../src/detect/rules.js';
import { compileQualifyingTests, qualifyingSources, type DetectionRule } from '../src/detect/rule.js';
import { concatPacks, packIps, PackBuilder, type QualifyingPack } from '../src/detect/qualifying-pack.js';
import type { DecodedEvent } from '../src/model/event.js';
import { formatInstant } from '../src/model/time.js';
import { LEGACY_RULE } from './legacy-rule.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-pack-'));
writeFileSync(join(dir, 'legacy.yml'), LEGACY_RULE);
const RULES: DetectionRule[] = loadRules({ paths: ['builtin', dir] }).map((r) => r.correlation);

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const IPS = ['81.2.69.142', '81.2.69.143', '2a02:cf40::1'];

function alert(ip: string, ms: number): DecodedEvent {
  const at = { ms: T0 + ms, ns: 0 };
  return {
    at,
    event: {
      '@timestamp': formatInstant(at), event: { kind: 'alert', dataset: 'suricata.eve' }, source: { ip },
      rule: { name: 'ET SCAN Suspicious inbound' }, crosswatch: { role: 'network_alert', decoder: 'suricata-eve' },
    },
  };
}

interface Spec { mail: boolean; ip: string; slot: number; ns: number; user: number; legacy: boolean; app: number; country: number; id: number | null }

/** A sign-in or mail access with the fields a row keeps: user, app, client, user agent, category, action, detail. */
function qualifying(s: Spec): DecodedEvent {
  const at = { ms: T0 + s.slot * H, ns: s.ns };
  const user = `user${s.user}@contoso.com`;
  return {
    at,
    event: {
      '@timestamp': formatInstant(at),
      event: {
        kind: 'event', dataset: s.mail ? 'o365.audit' : 'azure.signinlogs', outcome: 'success',
        action: s.mail ? 'MailItemsAccessed' : 'Sign-in activity', ...(s.id === null ? {} : { id: `rec-${s.id}` }),
      },
      source: { ip: s.ip, geo: { country_iso_code: ['NL', 'US', 'FR'][s.country]! } },
      user: { name: user },
      client: { app: `app-${s.app}`, ...(s.mail ? {} : { client_app: s.legacy ? 'IMAP4' : 'Browser' }) },
      user_agent: { original: s.legacy ? 'BAV2ROPC' : 'Mozilla/5.0' },
      ...(s.mail
        ? { o365: { audit: { ClientAppId: `client-${s.app}` } } }
        : { azure: { signinlogs: { properties: { app_id: `app-id-${s.app}`, conditional_access_status: 'notApplied' } } } }),
      crosswatch: { role: s.mail ? 'mail_access' : 'signin', decoder: 'test', category: s.mail ? 'MailItemsAccessed' : 'SignInLogs' },
    },
  };
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  mail: fc.boolean(),
  ip: fc.constantFrom(...IPS),
  slot: fc.integer({ min: 0, max: 30 }),
  ns: fc.constantFrom(0, 100),
  user: fc.integer({ min: 0, max: 3 }),
  legacy: fc.boolean(),
  app: fc.integer({ min: 0, max: 2 }),
  country: fc.integer({ min: 0, max: 2 }),
  // Few ids, so that records repeat within and across pieces.
  id: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
});

/** Events cut into pieces (each with its place in the input), and the order the pieces arrive in. */
const inputArb = fc.record({
  alerts: fc.array(fc.record({ ip: fc.constantFrom(...IPS), slot: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 6 }),
  pieces: fc.array(fc.array(specArb, { maxLength: 15 }), { minLength: 1, maxLength: 5 }),
  sealed: fc.boolean(),
}).chain((x) => fc.record({ x: fc.constant(x), arrival: fc.shuffledSubarray(x.pieces.map((_, i) => i), { minLength: x.pieces.length, maxLength: x.pieces.length }) }));

function correlator(alerts: Array<{ ip: string; slot: number }>, sealed: boolean, rules = RULES): Correlator {
  const c = new Correlator(buildConfig({ maxUsersPerIp: 3 }), rules);
  for (const a of alerts) c.add(alert(a.ip, a.slot * H));
  if (sealed) c.sealNetworkAlerts();
  return c;
}

/** A pack made as a worker makes it: tests compiled from the rules' sources, then copied as postMessage copies. */
function workerPack(events: DecodedEvent[], rules = RULES): QualifyingPack {
  const sources = qualifyingSources(rules);
  const b = new PackBuilder(sources && compileQualifyingTests(structuredClone(sources)));
  for (const e of events) b.add(e);
  return structuredClone(b.build());
}

const answer = (c: Correlator): unknown => ({ episodes: c.finish(), stats: c.stats });

test('property: packs from workers give the episodes and counts of adding each event, whatever order the packs arrive in', () => {
  fc.assert(
    fc.property(inputArb, ({ x, arrival }) => {
      const pieces = x.pieces.map((p) => p.map(qualifying));
      const one = correlator(x.alerts, x.sealed);
      for (const k of arrival) pieces[k]!.forEach((e, i) => one.add(e, k + 1, i));
      const packed = correlator(x.alerts, x.sealed);
      for (const k of arrival) packed.addPack(workerPack(pieces[k]!), k + 1);
      assert.deepEqual(answer(packed), answer(one));
    }),
    { numRuns: 300 },
  );
});

test('property: packs joined (a file read in pieces, merged) are the pack of all their events', () => {
  fc.assert(
    fc.property(inputArb, ({ x }) => {
      const pieces = x.pieces.map((p) => p.map(qualifying));
      const whole = correlator(x.alerts, x.sealed);
      whole.addPack(workerPack(pieces.flat()), 7);
      const joined = correlator(x.alerts, x.sealed);
      joined.addPack(concatPacks(pieces.map((p) => workerPack(p))), 7);
      assert.deepEqual(answer(joined), answer(whole));
    }),
    { numRuns: 200 },
  );
});

test('only the IPs asked for are added, and counted', () => {
  const events = IPS.flatMap((ip, k) => Array.from({ length: k + 2 }, (_, i) => qualifying({ mail: false, ip, slot: 1, ns: 0, user: i % 3, legacy: false, app: 0, country: 0, id: 100 * k + i })));
  const pack = workerPack(events);
  assert.deepEqual(packIps(pack), events.map((e) => e.event.source!.ip!));
  const c = correlator([{ ip: IPS[0]!, slot: 0 }, { ip: IPS[2]!, slot: 0 }], true);
  assert.equal(c.addPack(pack, 1, new Set([IPS[0]!, IPS[2]!])), 2 + 4);
  assert.equal(c.stats.qualifyingEvents, 2 + 4);
  assert.deepEqual(c.finish().map((e) => `${e.rule} ${e.ip} ${e.events.length}`).sort(), [
    `cw-entra-signin-after-network-alert ${IPS[2]} 4`,
    `cw-entra-signin-after-network-alert ${IPS[0]} 2`,
  ].sort());
});

test('rules made in code (no Sigma source to compile elsewhere): the pack carries the events whole, with the same answer', () => {
  const inCode: DetectionRule[] = RULES.map((r) => ({ ...r, qualifying: { role: r.qualifying.role, test: r.qualifying.test, verb: r.qualifying.verb } }));
  assert.equal(qualifyingSources(inCode), null);
  const specs = Array.from({ length: 40 }, (_, i): Spec => ({ mail: i % 3 === 0, ip: IPS[i % 3]!, slot: i % 11, ns: 0, user: i % 4, legacy: i % 2 === 0, app: i % 3, country: i % 3, id: i % 9 }));
  const events = specs.map(qualifying);
  const pack = workerPack(events, inCode);
  assert.equal(pack.events?.length, events.length);
  const alerts = IPS.map((ip) => ({ ip, slot: 2 }));
  const one = correlator(alerts, true, inCode);
  events.forEach((e, i) => one.add(e, 1, i));
  const packed = correlator(alerts, true, inCode);
  packed.addPack(pack, 1);
  assert.deepEqual(answer(packed), answer(one));
  // The legacy rule fired on the IMAP sign-ins only, in either form.
  assert.ok(one.finish().some((e) => e.rule === 'local-legacy-protocol-signin-after-network-alert'));
});

test('a pack row is the same made from the whole decoded event or from its slim copy (generated records of every shape)', async () => {
  // hunt's scan tasks pack whole events, without making the slim copy that events kept
  // whole are reduced to; the row must not tell the difference, on the generator's
  // sign-ins and mail accesses of every export shape (MFA steps, locations, app ids, user agents).
  const { generate } = await import('../src/generate/generator.js');
  const { expandInputs } = await import('../src/inputs/inputs.js');
  const { DEFAULT_FRAMING, frameFile } = await import('../src/inputs/framing.js');
  const { decodeRecord } = await import('../src/decoders/index.js');
  const { slimEvent } = await import('../src/hunt/batch-file.js');
  const root = mkdtempSync(join(tmpdir(), 'cw-pack-gen-'));
  await generate({ outDir: root, events: 3000, seed: 5 });
  const tests = compileQualifyingTests(qualifyingSources(RULES)!)!;
  const whole = new PackBuilder(tests);
  const slim = new PackBuilder(tests);
  const ctx = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
  const roles = new Map<string, number>();
  for (const f of (await expandInputs([root], null as never)).files) {
    for await (const batch of frameFile(f.path, f.display, DEFAULT_FRAMING)) {
      for (const item of batch) {
        if (item.kind === 'problem') continue;
        const { result } = decodeRecord(item, ctx);
        if (!result.ok) continue;
        const ev = result.event.event;
        if (ev.crosswatch.role === 'network_alert' || ev.crosswatch.role === 'other' || !ev.source?.ip || ev.event.outcome !== 'success') continue;
        roles.set(`${ev.crosswatch.decoder} ${ev.crosswatch.category}`, (roles.get(`${ev.crosswatch.decoder} ${ev.crosswatch.category}`) ?? 0) + 1);
        whole.add(result.event);
        slim.add(slimEvent(result.event));
      }
    }
  }
  const a = whole.build();
  const b = slim.build();
  assert.ok(a.n > 500, `only ${a.n} sign-ins and mail accesses generated`);
  // Every shape the generator writes took part: the Entra categories, M365 sign-ins and mail access.
  assert.ok(roles.size >= 5, [...roles.keys()].join(', '));
  assert.ok([...Array(a.n).keys()].some((r) => a.rules[r] !== 0), 'no row held a rule');
  assert.deepEqual(a, b);
});
