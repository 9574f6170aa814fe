// explain (issue #17 item 8): for one IP, why each rule did or did not fire,
// with the figures. Scenarios from real record shapes (the rule samples' Suricata
// alert, Entra sign-in and M365 MailItemsAccessed, re-addressed and re-timed), one
// per reason; a property that explain says "fired" exactly when the real
// Correlator makes an episode for that rule and IP; the CLI on the rule samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { explainIp, InvalidIpError, type IpExplanation, type RuleExplanation } from '../src/detect/explain.js';
import { Correlator } from '../src/detect/correlator.js';
import { buildConfig, type CorrelatorSettings } from '../src/detect/config.js';
import { loadRules, RULES_DIR, type RuleDefinition } from '../src/detect/rules.js';
import { decodeFramed } from '../src/pipeline/decode.js';
import type { DecodedEvent, Role } from '../src/model/event.js';
import { formatInstant, type Instant } from '../src/model/time.js';
import { alertLine, decodeLines as decode, signinLine } from './scenario-lines.js';
import { generate } from '../src/generate/generator.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { frameFile } from '../src/inputs/framing.js';
import { canonicalIp } from '../src/model/ip.js';
import { runCli } from './cli-run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SAMPLES = join(ROOT, 'rules', 'samples');
const SIGNIN = 'cw-entra-signin-after-network-alert';
const MAIL = 'cw-m365-mail-access-after-network-alert';
const IP = '81.2.69.171';
const MAIL_RECORD = (JSON.parse(readFileSync(join(SAMPLES, MAIL, 'fire', 'mail-read-after-alert', 'audit.json'), 'utf8')) as Array<Record<string, unknown>>)[0]!;

/** The sample's MailItemsAccessed from `ip` at `iso` (zone-less, as M365 writes it). */
function mailLine(ip: string, iso: string, id: string, user = 'megan.bowen@contoso.com'): string {
  return JSON.stringify({ ...MAIL_RECORD, ClientIPAddress: ip, CreationTime: iso.replace(/Z$/, ''), Id: id, UserId: user, MailboxOwnerUPN: user });
}

/** The sample's sign-in, failed with Entra error 50126 (wrong password). */
function failedSigninLine(ip: string, iso: string): string {
  const s = JSON.parse(signinLine(ip, iso)) as { resultType: string; properties: { status: { errorCode: number } } };
  s.resultType = '50126';
  s.properties.status = { errorCode: 50126 };
  return JSON.stringify(s);
}


function explain(lines: string[], settings: CorrelatorSettings = {}, ip = IP, rules?: RuleDefinition[]): IpExplanation {
  const config = buildConfig(settings);
  return explainIp(ip, decode(...lines), rules ?? loadRules({ builtinWindowMs: config.windowMs }), config);
}

const ruleOf = (x: IpExplanation, id: string): RuleExplanation => x.rules.find((r) => r.id === id)!;

test('fired: the sign-in 1h30m after the alert, with the episode hunt raises', () => {
  const x = explain([alertLine(IP, '2026-03-02T10:00:00Z'), signinLine(IP, '2026-03-02T11:30:12.1234567Z', 'megan.bowen@contoso.com', 'fired')]);
  assert.equal(x.ip, IP);
  assert.equal(x.excluded, null);
  const r = ruleOf(x, SIGNIN);
  assert.equal(r.fired, true);
  assert.deepEqual(r.reasons, []);
  assert.equal(r.episodes.length, 1);
  assert.match(r.summary, /^fired: 1 episode\(s\) \([0-9a-f]{32}\), 1 sign-in within the window of a network alert$/);
  assert.deepEqual(r.alerts.map((a) => [a.at, a.anchor, a.signature, a.sensor, a.window?.users, a.window?.capped]),
    [['2026-03-02T10:00:00.000Z', true, 'ET CINS Active Threat Intelligence Poor Reputation IP group 42', 'sensor-dmz-01', 1, false]]);
  const [e] = r.events;
  assert.deepEqual([e!.verdict, e!.user, e!.app, e!.client, e!.anchor, e!.episode], ['matched', 'megan.bowen@contoso.com', 'Office 365 Exchange Online', 'Browser', '2026-03-02T10:00:00.000Z', r.episodes[0]!.id]);
  assert.equal(e!.reason, '1h30m12s 123.4567ms after the network alert at 2026-03-02T10:00:00.000Z, within the window of 8h');
  // The other rule: no mail access from the IP.
  const m = ruleOf(x, MAIL);
  assert.equal(m.fired, false);
  assert.equal(m.summary, 'did not fire: no mail access from this IP');
});

test('wrong order: the sign-in 100 ns before the first network alert', () => {
  const x = explain([alertLine(IP, '2026-03-02T10:00:00Z'), signinLine(IP, '2026-03-02T09:59:59.9999999Z')]);
  const r = ruleOf(x, SIGNIN);
  assert.equal(r.fired, false);
  assert.deepEqual(r.events.map((e) => e.verdict), ['wrong-order']);
  assert.equal(r.summary, 'did not fire: wrong order: 2026-03-02T09:59:59.9999999Z is 100ns before the first network alert at 2026-03-02T10:00:00.000Z');
  // Of several, the nearest miss speaks for them.
  const y = explain([signinLine(IP, '2026-03-02T08:00:00Z'), alertLine(IP, '2026-03-02T10:00:00Z'), signinLine(IP, '2026-03-02T09:59:59.9999999Z')]);
  assert.equal(ruleOf(y, SIGNIN).summary,
    'did not fire: wrong order: 2026-03-02T09:59:59.9999999Z is 100ns before the first network alert at 2026-03-02T10:00:00.000Z (and 1 more sign-in in the wrong order)');
});

test('outside the window: 9h12m after the last alert, window 8h; and a second alert brings it back in', () => {
  const lines = [alertLine(IP, '2026-03-02T10:00:00Z'), mailLine(IP, '2026-03-02T19:12:00Z', 'mail-late')];
  const r = ruleOf(explain(lines), MAIL);
  assert.equal(r.fired, false);
  assert.equal(r.events[0]!.verdict, 'outside-window');
  assert.equal(r.reasons[0], 'outside the window: 2026-03-02T19:12:00.000Z is 9h12m after the last network alert before it (2026-03-02T10:00:00.000Z); window 8h');
  // With --window 10h it is inside.
  assert.equal(ruleOf(explain(lines, { window: '10h' }), MAIL).fired, true);
  // Another alert at 12:00: 7h12m after it.
  const again = ruleOf(explain([...lines, alertLine(IP, '2026-03-02T12:00:00Z')]), MAIL);
  assert.equal(again.fired, true);
  assert.equal(again.events[0]!.anchor, '2026-03-02T12:00:00.000Z');
});

test('a failed sign-in, with its error code; duplicates count once', () => {
  const ok = signinLine(IP, '2026-03-02T11:00:00Z', 'megan.bowen@contoso.com', 'dup');
  const x = explain([alertLine(IP, '2026-03-02T10:00:00Z'), failedSigninLine(IP, '2026-03-02T10:30:00Z')]);
  const r = ruleOf(x, SIGNIN);
  assert.equal(r.fired, false);
  assert.equal(r.summary, 'did not fire: failed sign-in (outcome failure, error code 50126): only successful ones qualify');
  assert.deepEqual(r.verdicts, { failed: 1 });

  // The same record twice (Entra writes several; pipelines retry): one is counted.
  const y = explain([alertLine(IP, '2026-03-02T10:00:00Z'), ok, ok, alertLine(IP, '2026-03-02T10:00:00Z')]);
  const s = ruleOf(y, SIGNIN);
  assert.equal(s.fired, true);
  assert.deepEqual(s.verdicts, { matched: 1, duplicate: 1 });
  assert.match(s.events.find((e) => e.verdict === 'duplicate')!.reason, /^the same record \(sign-in dup-\d+, first seen at 2026-03-02T11:00:00.000Z\) again: counted once$/);
  assert.deepEqual([y.counts.duplicateEvents, y.counts.duplicateAlerts, s.alerts.length], [1, 1, 1]);
});

test('special-purpose and allowlisted sources: nothing can fire, and which range says why', () => {
  const priv = '10.20.30.40';
  const x = explain([alertLine(priv, '2026-03-02T10:00:00Z'), signinLine(priv, '2026-03-02T11:00:00Z')], {}, priv);
  assert.deepEqual(x.excluded, { reason: 'special-purpose', range: '10.0.0.0/8', message: '10.20.30.40 is in the special-purpose range 10.0.0.0/8: not a public source, nothing from it can fire' });
  for (const r of x.rules) {
    assert.equal(r.fired, false);
    assert.equal(r.summary, `did not fire: ${x.excluded!.message}`);
  }
  assert.equal(ruleOf(x, SIGNIN).events[0]!.verdict, 'excluded');

  const lines = [alertLine(IP, '2026-03-02T10:00:00Z'), signinLine(IP, '2026-03-02T11:00:00Z')];
  const y = explain(lines, { allow: '192.0.2.0/24,81.2.69.0/24' });
  assert.deepEqual([y.excluded?.reason, y.excluded?.range], ['allowlist', '81.2.69.0/24']);
  assert.equal(ruleOf(y, SIGNIN).summary, 'did not fire: 81.2.69.171 is allowlisted (81.2.69.0/24): nothing from it can fire');
  assert.deepEqual(y.settings.allow, ['192.0.2.0/24', '81.2.69.0/24']);
  // IPv6 spelled any way is canonicalized first.
  assert.equal(explain([], {}, '[2a02:cf40:0:0::1]:443').ip, '2a02:cf40::1');
  assert.equal(explain([], {}, '::ffff:81.2.69.171').ip, IP);
});

test('the shared-infrastructure cap: 23 distinct users within the window of the 10:00 alert > maxUsersPerIp 20', () => {
  const lines = [alertLine(IP, '2026-03-02T10:00:00Z')];
  for (let i = 0; i < 23; i++) lines.push(signinLine(IP, `2026-03-02T11:${String(i).padStart(2, '0')}:00Z`, `user${i}@contoso.com`));
  // An attacker reading many mails is one user: not the cap (counted with the sign-ins' users, though).
  const x = explain(lines);
  const r = ruleOf(x, SIGNIN);
  assert.equal(r.fired, false);
  const cap = '23 distinct users with a successful sign-in or mail access within the window of the 2026-03-02T10:00:00.000Z alert (to 2026-03-02T18:00:00.000Z) > maxUsersPerIp 20: shared infrastructure';
  assert.equal(r.alerts[0]!.window?.reason, cap);
  assert.deepEqual([r.alerts[0]!.window?.users, r.alerts[0]!.window?.events, r.alerts[0]!.window?.capped], [23, 23, true]);
  assert.deepEqual(r.verdicts, { capped: 23 });
  assert.equal(r.summary, `did not fire: the network alert(s) before it within the window are dropped: ${cap} (and 22 more sign-ins capped)`);
  // The same with --max-users-per-ip 25: fires.
  assert.equal(ruleOf(explain(lines, { maxUsersPerIp: 25 }), SIGNIN).fired, true);
  // Elastic's compatibility cap on raw events.
  const few = [alertLine(IP, '2026-03-02T10:00:00Z'), ...[1, 2, 3].map((i) => mailLine(IP, `2026-03-02T11:0${i}:00Z`, `m${i}`))];
  const c = ruleOf(explain(few, { maxEventsPerIp: 2 }), MAIL);
  assert.equal(c.fired, false);
  assert.match(c.summary, /3 successful sign-ins and mail accesses within the window of the 2026-03-02T10:00:00.000Z alert .* > maxEventsPerIp 2/);
});

/** A copy of the built-in rules, the network-alert base rule narrowed to SCAN signatures and a legacy-protocol rule added. */
function customRules(): { dir: string; rules: RuleDefinition[] } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-explain-rules-'));
  for (const f of readdirSync(RULES_DIR)) {
    if (!f.endsWith('.yml')) continue;
    let text = readFileSync(join(RULES_DIR, f), 'utf8');
    if (f === 'network-alert.yml') text = text.replace('detection:\n  alert:\n    event.kind: alert\n', 'detection:\n  alert:\n    event.kind: alert\n    rule.name|contains: SCAN\n');
    writeFileSync(join(dir, f), text);
  }
  writeFileSync(join(dir, 'legacy.yml'), `title: Legacy sign-in
id: legacy-signin
name: legacy_signin
logsource: { product: azure, service: signinlogs }
detection:
  success:
    event.outcome: success
    client.client_app: [IMAP4, POP3]
  condition: success
level: informational
---
title: Legacy-protocol sign-in after a network alert
id: legacy-after-alert
level: high
correlation:
  type: temporal_ordered
  rules: [network_alert, legacy_signin]
  group-by: [source.ip]
  timespan: 8h
`);
  return { dir, rules: loadRules({ paths: [dir] }) };
}

test('a network alert or sign-in the base rules do not take: the failing field, its value and the rule line', () => {
  const { dir, rules } = customRules();
  try {
    assert.ok(rules.some((r) => r.id === 'legacy-after-alert'), rules.map((r) => r.id).join());
    const x = explain([alertLine(IP, '2026-03-02T10:00:00Z'), signinLine(IP, '2026-03-02T11:00:00Z')], {}, IP, rules);
    const r = ruleOf(x, SIGNIN);
    assert.equal(r.fired, false);
    assert.equal(r.alerts[0]!.anchor, false);
    assert.match(r.alerts[0]!.miss!, /^cw-network-alert does not take it: alert: rule\.name is "ET CINS Active Threat Intelligence Poor Reputation IP group 42", the rule wants rule\.name\|contains: SCAN \(network-alert\.yml:\d+\)$/);
    assert.match(r.summary, /^did not fire: none of the 1 network alert\(s\) is taken by the first base rule: cw-network-alert does not take it: alert: rule\.name is/);
    assert.equal(r.events[0]!.verdict, 'no-alert');

    // A SCAN alert anchors; the Browser sign-in is not a legacy protocol.
    const scan = JSON.parse(alertLine(IP, '2026-03-02T10:00:00Z')) as { alert: { signature: string } };
    scan.alert.signature = 'ET SCAN Potential SSH Scan';
    const y = explain([JSON.stringify(scan), signinLine(IP, '2026-03-02T11:00:00Z')], {}, IP, rules);
    assert.equal(ruleOf(y, SIGNIN).fired, true);
    const legacy = ruleOf(y, 'legacy-after-alert');
    assert.equal(legacy.fired, false);
    assert.deepEqual(legacy.baseRules, { anchor: 'cw-network-alert', qualifying: 'legacy-signin' });
    assert.match(legacy.summary, /^did not fire: legacy-signin does not take it: success: client\.client_app is "Browser", the rule wants client\.client_app: one of IMAP4, POP3 \(legacy\.yml:\d+\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid IP is an error; events of other IPs are left out and counted', () => {
  assert.throws(() => explain([], {}, 'not-an-ip'), (e: unknown) => e instanceof InvalidIpError && e.message === 'not an IP address: "not-an-ip"');
  const x = explain([alertLine('81.2.69.9', '2026-03-02T10:00:00Z'), signinLine(IP, '2026-03-02T11:00:00Z')]);
  assert.deepEqual([x.counts.otherIp, x.counts.events, x.counts.signins], [1, 1, 1]);
  assert.equal(ruleOf(x, SIGNIN).summary, 'did not fire: no network alert for this IP');
});

// --- The property: explain's verdict is the Correlator's, on random inputs. ---

const T0 = Date.UTC(2026, 2, 2, 12);

interface Spec { role: Exclude<Role, 'other'>; t: number; ns: number; user: number; success: boolean; id: number | null; sig: number; client: number }

function synthetic(s: Spec, ip: string): DecodedEvent {
  const at: Instant = { ms: T0 + s.t, ns: s.ns };
  const isAlert = s.role === 'network_alert';
  return {
    at,
    event: {
      '@timestamp': formatInstant(at),
      event: {
        kind: isAlert ? 'alert' : 'event',
        dataset: isAlert ? 'suricata.eve' : s.role === 'signin' ? 'azure.signinlogs' : 'o365.audit',
        ...(isAlert ? {} : { outcome: s.success ? 'success' : 'failure' }),
        ...(s.role === 'mail_access' ? { action: 'MailItemsAccessed' } : {}),
        ...(s.id !== null ? { id: `r${s.id}` } : {}),
      },
      source: { ip },
      ...(s.user > 0 ? { user: { name: `User${s.user}@contoso.com` } } : {}),
      ...(isAlert ? { rule: { name: ['ET SCAN Nmap', 'ET CINS Poor Reputation'][s.sig]! }, observer: { name: 'sensor-1' } } : {}),
      ...(s.role === 'signin' ? { client: { client_app: ['Browser', 'IMAP4'][s.client]! } } : {}),
      crosswatch: { role: s.role, decoder: 'test' },
    },
  };
}

const specArb = fc.record({
  role: fc.constantFrom<Spec['role']>('network_alert', 'network_alert', 'signin', 'mail_access'),
  // Within ±12h of T0, on a 30-minute grid with exact edges: ties and window edges happen.
  t: fc.integer({ min: -24, max: 24 }).map((k) => k * 30 * 60_000),
  ns: fc.constantFrom(0, 0, 100),
  user: fc.integer({ min: 0, max: 4 }),
  success: fc.boolean(),
  id: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
  sig: fc.integer({ min: 0, max: 1 }),
  client: fc.integer({ min: 0, max: 1 }),
});

test('property: explain says "fired" for a rule exactly when the Correlator makes an episode for it and the IP, with the same ids', () => {
  const { dir, rules: custom } = customRules();
  const builtin = loadRules();
  try {
    fc.assert(fc.property(
      fc.array(specArb, { maxLength: 14 }),
      fc.constantFrom('81.2.69.171', '2a02:cf40::1', '10.1.2.3'),
      fc.record({ maxUsersPerIp: fc.integer({ min: 1, max: 3 }), maxEventsPerIp: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), allowed: fc.boolean() }),
      fc.boolean(),
      (specs, ip, s, useCustom) => {
        const rules = useCustom ? custom : builtin;
        const config = buildConfig({ maxUsersPerIp: s.maxUsersPerIp, ...(s.maxEventsPerIp !== undefined ? { maxEventsPerIp: s.maxEventsPerIp } : {}), ...(s.allowed ? { allow: '81.2.69.0/24' } : {}) });
        const events = specs.map((x) => synthetic(x, ip));
        // In the order given, and reversed (a record delivered twice at different times counts where it came first, for both).
        for (const order of [events, [...events].reverse()]) {
          const c = new Correlator(config, rules.map((r) => r.correlation));
          for (const e of order) c.add(e);
          const episodes = c.finish();
          const x = explainIp(ip, order, rules, config);
          for (const r of x.rules) {
            const mine = episodes.filter((e) => e.rule === r.id && e.ip === ip).map((e) => e.id);
            assert.equal(r.fired, mine.length > 0, `${r.id}: ${r.summary}`);
            assert.deepEqual(r.episodes.map((e) => e.id), mine);
            // Every matched event is in an episode; a rule that did not fire says why.
            for (const e of r.events) if (e.verdict === 'matched') assert.ok(e.episode && mine.includes(e.episode), JSON.stringify(e));
            if (!r.fired) assert.ok(r.reasons.length > 0 && r.summary.startsWith('did not fire: '));
          }
        }
      },
    ), { numRuns: 400 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- The generator's planted cases: every one explained as its truth says. ---

test("the generator's planted cases: fired exactly as the truth expects, for the reason each case plants", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-explain-gen-'));
  try {
    const gen = await generate({ outDir: dir, events: 4000, seed: 11 });
    const truth = JSON.parse(readFileSync(gen.truthPath, 'utf8')) as { cases: Array<{ name: string; ip: string; expect: string[] }> };
    const byIp = new Map<string, DecodedEvent[]>();
    const ctx = { defaultOffsetMinutes: 0, reference: { ms: Date.now(), ns: 0 } };
    for (const f of (await expandInputs([gen.logsDir])).files) {
      for await (const batch of frameFile(f.path, f.display)) {
        decodeFramed(batch, { ctx }, {
          decoded: ({ result }) => {
            const ip = result.ok ? result.event.event.source?.ip : undefined;
            if (!result.ok || !ip) return;
            byIp.set(ip, [...(byIp.get(ip) ?? []), result.event]);
          },
        });
      }
    }
    const config = buildConfig({});
    const rules = loadRules();
    const verdicts = (x: IpExplanation): Set<string> => new Set(x.rules.flatMap((r) => r.events.map((e) => e.verdict)));
    assert.ok(truth.cases.length >= 20);
    for (const c of truth.cases) {
      const x = explainIp(c.ip, byIp.get(canonicalIp(c.ip)!) ?? [], rules, config);
      assert.deepEqual(x.rules.filter((r) => r.fired).map((r) => r.id).sort(), [...c.expect].sort(), `${c.name} (${c.ip}): ${x.rules.map((r) => r.summary).join(' | ')}`);
      const v = verdicts(x);
      const planted: Record<string, () => boolean> = {
        'before-alert': () => v.has('wrong-order') && !v.has('matched'),
        'after-window': () => v.has('outside-window') && !v.has('matched'),
        'edge-end-plus-100ns': () => x.rules[0]!.summary.includes('is 8h 100ns after the last network alert'),
        'cap-over': () => v.has('capped') && x.rules.every((r) => r.summary.includes('> maxUsersPerIp 20: shared infrastructure')),
        'cap-max-plus-1': () => x.rules.every((r) => r.summary.includes('21 distinct users')),
        'cap-per-window': () => v.has('capped') && v.has('matched'),
        'failed-only': () => v.has('failed') && !v.has('matched'),
        duplicates: () => v.has('duplicate') && x.counts.duplicateEvents > 0,
      };
      if (planted[c.name]) assert.ok(planted[c.name]!(), `${c.name}: ${JSON.stringify(x.rules.map((r) => [r.summary, r.verdicts]))}`);
      if (c.name.startsWith('special-')) assert.equal(x.excluded?.reason, 'special-purpose', c.name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- The command line, on the rule samples. ---

test('crosswatch explain on the rule samples: each scenario says its reason', async () => {
  const at = (rule: string, kind: string, name: string): string => join(SAMPLES, rule, kind, name);
  const fire = await runCli(['explain', '81.2.69.160', at(SIGNIN, 'fire', 'signin-after-scan')]);
  assert.equal(fire.code, 0, fire.stderr);
  assert.match(fire.stdout, /^Detect Entra ID Sign-in After Network Alert \(cw-entra-signin-after-network-alert, window 8h\): FIRED/m);
  // The episode's id is hunt's alert id.
  const hunt = await runCli(['hunt', '--quiet', at(SIGNIN, 'fire', 'signin-after-scan')]);
  const id = (JSON.parse(hunt.stdout.trim()) as { event: { id: string } }).event.id;
  assert.ok(fire.stdout.includes(`episode ${id}`), fire.stdout);

  const cases: Array<[string, string, string, string, RegExp]> = [
    ['81.2.69.160', SIGNIN, 'quiet', 'failed-signin', /did not fire: failed sign-in \(outcome failure, error code 50126\): only successful ones qualify/],
    ['81.2.69.160', SIGNIN, 'quiet', 'signin-before-alert', /did not fire: wrong order: 2026-03-02T09:59:59\.9999999Z is 100ns before the first network alert at 2026-03-02T10:00:00\.000Z/],
    ['81.2.69.160', MAIL, 'quiet', 'mail-read-after-window', /did not fire: outside the window: 2026-03-02T18:00:01\.000Z is 8h1s after the last network alert before it \(2026-03-02T10:00:00\.000Z\); window 8h/],
    ['10.20.30.40', MAIL, 'quiet', 'private-source', /did not fire: 10\.20\.30\.40 is in the special-purpose range 10\.0\.0\.0\/8/],
    ['81.2.69.160', MAIL, 'fire', 'mail-read-after-alert', /Detect M365 Mail Access After Network Alert \(cw-m365-mail-access-after-network-alert, window 8h\): FIRED/],
  ];
  for (const [ip, rule, kind, name, want] of cases) {
    const r = await runCli(['explain', ip, at(rule, kind, name)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, want, `${name}:\n${r.stdout}`);
  }
  // The allowlist and the window flags, as hunt takes them.
  const allowed = await runCli(['explain', '81.2.69.160', '--allow', '81.2.69.0/24', at(SIGNIN, 'fire', 'signin-after-scan')]);
  assert.match(allowed.stdout, /did not fire: 81\.2\.69\.160 is allowlisted \(81\.2\.69\.0\/24\)/);
  const wide = await runCli(['explain', '81.2.69.160', '--window', '9h', at(MAIL, 'quiet', 'mail-read-after-window')]);
  assert.match(wide.stdout, /cw-m365-mail-access-after-network-alert, window 9h\): FIRED/);
});

test('crosswatch explain --format json, an invalid IP (exit 2), and attacker strings escaped for the terminal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-explain-cli-'));
  try {
    const eve = JSON.parse(alertLine(IP, '2026-03-02T10:00:00Z')) as { alert: { signature: string } };
    eve.alert.signature = 'ET SCAN \u001b[2J\u001b]0;pwned\u0007 evil';
    const signin = JSON.parse(signinLine(IP, '2026-03-02T11:00:00Z')) as { properties: { userAgent: string } };
    signin.properties.userAgent = 'curl\u001b[31m/8.0';
    writeFileSync(join(dir, 'records.json'), `${JSON.stringify(eve)}\n${JSON.stringify(signin)}\n${failedSigninLine(IP, '2026-03-02T10:30:00Z')}\n`);

    const text = await runCli(['explain', IP, dir]);
    assert.equal(text.code, 0, text.stderr);
    assert.ok(!text.stdout.includes('\u001b') && !text.stdout.includes('\u0007'), 'no control character reaches the terminal');
    assert.ok(text.stdout.includes('ET SCAN \\x1b[2J\\x1b]0;pwned\\x07 evil'), text.stdout);
    assert.ok(text.stdout.includes('curl\\x1b[31m/8.0'), text.stdout);
    assert.match(text.stdout, /failed sign-in \(outcome failure, error code 50126\)/);

    const json = await runCli(['explain', '--format', 'json', IP, dir]);
    assert.equal(json.code, 0, json.stderr);
    const x = JSON.parse(json.stdout) as IpExplanation;
    assert.equal(x.ip, IP);
    const r = ruleOf(x, SIGNIN);
    assert.equal(r.fired, true);
    assert.deepEqual(r.verdicts, { matched: 1, failed: 1 });
    assert.equal(r.alerts[0]!.signature, eve.alert.signature, 'JSON keeps the value as it is (JSON escapes it)');
    assert.match(r.events[0]!.where!, /records\.json:3$/);

    const bad = await runCli(['explain', '81.2.69.999', dir]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^crosswatch: explain: not an IP address: "81\.2\.69\.999"\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/explain.md: its examples are what the CLI prints now', async () => {
  const doc = readFileSync(join(ROOT, 'docs', 'explain.md'), 'utf8');
  const re = /<!-- explain-example: (.+) -->\n```text\n([\s\S]*?)```/g;
  let n = 0;
  for (let m = re.exec(doc); m; m = re.exec(doc)) {
    // `--rules DIR` (a path from the root, as the others) may come first.
    const words = m[1]!.split(' ');
    const flags: string[] = [];
    while (words[0]?.startsWith('--')) flags.push(words.shift()!, join(ROOT, words.shift()!));
    const [ip, ...paths] = words;
    const r = await runCli(['explain', ...flags, ip!, ...paths.map((p) => join(ROOT, p))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split(`${ROOT}${ROOT.endsWith('/') ? '' : '/'}`).join(''), m[2], `example ${m[1]} (regenerate docs/explain.md)`);
    n++;
  }
  assert.ok(n >= 4, 'docs/explain.md has its examples');
});
