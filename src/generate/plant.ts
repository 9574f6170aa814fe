// Planted cases: attacks that must fire and look-alikes that must not, each on its
// own recognisable address that background traffic never uses, so a test can check
// the truth file (and an implementation's output) case by case. All offsets are
// fractions of the window, so the cases keep their meaning for any window.
import type { Emitter } from './emitter.js';
import { RULE_MAIL, RULE_SIGNIN } from './reference.js';
import type { Rng } from './rng.js';
import type { Signature } from './vendors.js';
import { ERRORS, SIGNATURES } from './vendors.js';
import type { Geo, GenIp, GenUser, World } from './world.js';
import { ATTACKER_APPS, ATTACKER_DEVICE } from './world.js';

/** Address prefixes only planted cases use. */
export const RESERVED_PREFIXES = ['91.240.118.', '185.220.101.', '193.142.146.', '45.155.205.', '194.169.175.', '2a0d:5600:24:'];

export interface PlantedCase {
  name: string;
  /** Canonical address. */
  ip: string;
  /** Rules that must fire for this address (empty: must not fire). */
  expect: string[];
  description: string;
}

export interface PlannedItem {
  ms: number;
  ns: number;
  seq: number;
  run: () => void;
}

const MIN = 60_000;
const H = 3_600_000;

function sig(prefix: string): Signature {
  return SIGNATURES.find((s) => s.msg.startsWith(prefix))!;
}

const GEO_BAD: Geo = { city: 'Amsterdam', state: 'North Holland', country: 'NL', lat: 52.3676, lon: 4.9041, asn: 60781 };
const GEO_TOR: Geo = { city: 'Frankfurt am Main', state: 'Hesse', country: 'DE', lat: 50.1109, lon: 8.6821, asn: 60729 };
const GEO_RU: Geo = { city: 'Moscow', state: 'Moscow', country: 'RU', lat: 55.7558, lon: 37.6173, asn: 49505 };
const GEO_LAN: Geo = { city: '', state: '', country: '', lat: 0, lon: 0, asn: 0 };

export interface PlantParams {
  world: World;
  rng: Rng;
  em: Emitter;
  t0: number;
  windowMs: number;
  maxUsersPerIp: number;
  events: number;
}

export function plant(p: PlantParams): { cases: PlantedCase[]; items: PlannedItem[] } {
  const { world, rng, em } = p;
  const W = p.windowMs;
  const cap = p.maxUsersPerIp;
  const cases: PlantedCase[] = [];
  const items: PlannedItem[] = [];
  let seq = 0;
  const at = (ms: number, ns: number, run: () => void): void => {
    items.push({ ms, ns, seq: seq++, run });
  };
  const ip = (text: string, geo: Geo): GenIp => world.registry.get(text, geo, true);
  const both = [RULE_SIGNIN, RULE_MAIL].sort();

  // Distinct users drawn without replacement, per case.
  const pickUsers = (n: number): GenUser[] => {
    const pool = world.users;
    const chosen = new Set<number>();
    const out: GenUser[] = [];
    while (out.length < Math.min(n, pool.length)) {
      const i = rng.int(pool.length);
      if (chosen.has(i)) continue;
      chosen.add(i);
      out.push(pool[i]!);
    }
    return out;
  };

  let slot = 0;
  const base = (): number => p.t0 + 90 * MIN + slot++ * 131 * MIN;
  const add = (name: string, addr: GenIp, expect: string[], description: string): void => {
    cases.push({ name, ip: addr.canon, expect, description });
  };

  // 1. Phished account, then thousands of mails read from the attacker's address.
  {
    const t = base();
    const x = ip('91.240.118.172', GEO_BAD);
    const [victim] = pickUsers(1) as [GenUser];
    const reads = Math.max(150, Math.min(3000, Math.floor(p.events / 100)));
    at(t - 20 * MIN, 0, () => em.alert({ ms: t - 20 * MIN, ns: 331000, ip: x, sig: sig('ET SCAN Possible Nmap') }));
    at(t, 0, () => em.alert({ ms: t + 250, ns: 750000, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 2') }));
    const tl = t + Math.round(W * 0.01);
    at(tl, 0, () => em.signin({ ms: tl, user: victim, ip: x, error: ERRORS.badPassword, app: ATTACKER_APPS[2], device: ATTACKER_DEVICE }));
    const ts = t + Math.round(W * 0.02);
    at(ts, 0, () => em.signin({ ms: ts, user: victim, ip: x, app: ATTACKER_APPS[2], device: ATTACKER_DEVICE, risk: 'medium' }));
    at(ts + 5000, 0, () => em.aadLogin({ ms: ts + 5000, user: victim, ip: x, device: ATTACKER_DEVICE }));
    const t1 = t + Math.round(W * 0.03);
    const span = Math.round(W * 0.37);
    for (let i = 0; i < reads; i++) {
      const tm = t1 + Math.floor((span * i) / reads);
      at(tm, 0, () => em.mail({
        ms: tm, user: victim, ip: x,
        ipAddress: i % 3 === 0 ? `::ffff:${x.canon}` : x.canon,
        clientIp: i % 2 === 0 ? `${x.canon}:${51000 + (i % 9000)}` : null,
        clientInfo: 'Client=REST;Client=RESTSystem;;', appId: '00000003-0000-0000-c000-000000000000', sync: false,
      }));
    }
    const tr = t + Math.round(W * 0.41);
    at(tr, 0, () => em.exchangeOp({ ms: tr, user: victim, ip: x, op: 'New-InboxRule', subject: '..' }));
    for (let i = 0; i < 3; i++) at(tr + (i + 1) * MIN, 0, () => em.exchangeOp({ ms: tr + (i + 1) * MIN, user: victim, ip: x, op: 'Send', subject: 'Updated wire instructions' }));
    add('attack-mail-bulk', x, both, `network alerts, then one phished user signs in and reads mail ${reads} times from the same address (1 user, many events)`);
  }

  // 2. Password spray from a Tor exit: hundreds of accounts, two successes.
  {
    const t = base();
    const x = ip('185.220.101.47', GEO_TOR);
    const n = Math.max(60, Math.min(300, Math.floor(p.events / 1000)));
    const users = pickUsers(n);
    at(t, 0, () => em.alert({ ms: t, ns: 12000, ip: x, sig: sig('ET TOR') }));
    at(t + 10 * MIN, 0, () => em.alert({ ms: t + 10 * MIN, ns: 1000, ip: x, sig: sig('ET CINS Active Threat Intelligence Poor Reputation IP group 3') }));
    const sprayStart = t + 15 * MIN;
    const sprayLen = Math.round(W * 0.125);
    const winners = [Math.floor(n / 3), Math.floor((2 * n) / 3)];
    users.forEach((u, i) => {
      const tm = sprayStart + Math.floor((sprayLen * i) / n);
      const ok = winners.includes(i);
      at(tm, 0, () => {
        em.signin({ ms: tm, user: u, ip: x, error: ok ? null : ERRORS.badPassword, app: ATTACKER_APPS[0], device: ATTACKER_DEVICE });
        if (i % 5 === 0) em.aadLogin({ ms: tm, user: u, ip: x, failed: !ok, device: ATTACKER_DEVICE });
        if (i % 17 === 0 && !ok) em.signin({ ms: tm + 4000, user: u, ip: x, error: ERRORS.locked, app: ATTACKER_APPS[0], device: ATTACKER_DEVICE });
      });
    });
    const winner = users[winners[0]!]!;
    const tm0 = sprayStart + sprayLen + 10 * MIN;
    for (let i = 0; i < 20; i++) at(tm0 + i * 30000, 0, () => em.mail({ ms: tm0 + i * 30000, user: winner, ip: x }));
    add('password-spray', x, both, `alerts, then a spray at ${n} accounts (50126/50053 failures) with 2 successes and mail reads by one of them`);
  }

  // 3. Window start: tE == tA (M365 second precision, alert on a whole second).
  {
    const t = Math.floor(base() / 1000) * 1000;
    const x = ip('193.142.146.35', GEO_RU);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET DROP Dshield') }));
    at(t, 1, () => em.mail({ ms: t, user: u, ip: x }));
    add('edge-start-tie', x, [RULE_MAIL], 'MailItemsAccessed at exactly the alert time (tE == tA)');
  }

  // 4-6. Window end at 100 ns precision.
  {
    const t = base();
    const x = ip('45.155.205.233', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t + 123, ns: 456000, ip: x, sig: sig('ET CINS Active Threat Intelligence Poor Reputation IP group 42') }));
    at(t + W, 0, () => em.signin({ ms: t + 123 + W, ns: 456000, user: u, ip: x, interactive: false, delayMs: 3 * MIN }));
    add('edge-end-inclusive', x, [RULE_SIGNIN], 'non-interactive sign-in at exactly tA + window (createdDateTime 100 ns digits equal); its `time` is 3 min later');
  }
  {
    const t = base();
    const x = ip('45.155.205.234', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t + 123, ns: 456000, ip: x, sig: sig('ET CINS Active Threat Intelligence Poor Reputation IP group 42') }));
    at(t + W, 0, () => em.signin({ ms: t + 123 + W, ns: 456100, user: u, ip: x, interactive: false }));
    add('edge-end-plus-100ns', x, [], 'sign-in at tA + window + 100 ns (last createdDateTime digit one more)');
  }
  {
    const t = base();
    const x = ip('45.155.205.235', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t + 123, ns: 456000, ip: x, sig: sig('ET CINS Active Threat Intelligence Poor Reputation IP group 42') }));
    at(t + W + 1, 0, () => em.signin({ ms: t + 124 + W, ns: 456000, user: u, ip: x, via: 'graph' }));
    const tm = Math.floor((t + 123 + W) / 1000) * 1000 + 1000;
    at(tm, 0, () => em.mail({ ms: tm, user: u, ip: x }));
    add('edge-end-plus-1ms', x, [], 'Graph sign-in at tA + window + 1 ms, mail access in the next second after tA + window');
  }

  // 7. Everything before the alert.
  {
    const t = base();
    const x = ip('193.142.146.36', GEO_RU);
    const [u] = pickUsers(1) as [GenUser];
    const tA = t + 500;
    at(tA - H, 0, () => em.signin({ ms: tA - H, user: u, ip: x }));
    at(tA - 1000, 0, () => em.mail({ ms: tA - 1000, user: u, ip: x }));
    at(tA - 1, 999900, () => em.signin({ ms: tA - 1, ns: 999900, user: u, ip: x }));
    at(tA, 0, () => em.alert({ ms: tA, ns: 0, ip: x, sig: sig('ET SCAN Potential SSH Scan') }));
    add('before-alert', x, [], 'sign-ins and mail access before the only alert (the last one 100 ns before it)');
  }

  // 8. Everything after the window.
  {
    const t = base();
    const x = ip('193.142.146.37', GEO_RU);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 77000, ip: x, sig: sig('ET SCAN Suspicious inbound to MSSQL') }));
    at(t + W + 5 * MIN, 0, () => em.signin({ ms: t + W + 5 * MIN, user: u, ip: x }));
    at(t + W + H, 0, () => em.mail({ ms: t + W + H, user: u, ip: x }));
    at(t + 2 * W, 0, () => em.aadLogin({ ms: t + 2 * W, user: u, ip: x }));
    add('after-window', x, [], 'sign-in, mail access and UserLoggedIn only after tA + window');
  }

  // 9. Failed attempts only.
  {
    const t = base();
    const x = ip('185.220.101.48', GEO_TOR);
    const users = pickUsers(8);
    at(t, 0, () => em.alert({ ms: t, ns: 5000, ip: x, sig: sig('ET TOR') }));
    const errs = [ERRORS.badPassword, ERRORS.mfaRequired, ERRORS.mfaRequiredLocation, ERRORS.kmsi, ERRORS.caBlocked, ERRORS.locked, ERRORS.noUser];
    errs.forEach((e, i) => {
      const tm = t + (i + 1) * 7 * MIN;
      at(tm, 0, () => em.signin({ ms: tm, user: users[i]!, ip: x, error: e, device: ATTACKER_DEVICE }));
    });
    at(t + H, 0, () => em.signin({ ms: t + H, user: users[7]!, ip: x, interactive: false, error: ERRORS.refreshExpired }));
    at(t + 70 * MIN, 0, () => em.aadLogin({ ms: t + 70 * MIN, user: users[0]!, ip: x, failed: true }));
    at(t + 80 * MIN, 0, () => em.mail({ ms: t + 80 * MIN, user: users[1]!, ip: x, failed: true }));
    add('failed-only', x, [], 'alert, then only failed sign-ins (50126, 50074, 50076, 50140, 53003, 50053, 50034, 700082), UserLoginFailed and a failed MailItemsAccessed');
  }

  // 10. Special-purpose sources: alert + success + mail, never a match.
  for (const [name, text] of [
    ['special-private-10', '10.20.30.40'],
    ['special-private-172', '172.20.5.17'],
    ['special-cgnat-100-64', '100.72.14.9'],
    ['special-ula-v6', 'fd12:3456:789a:1::25'],
    ['special-documentation', '198.51.100.77'],
  ] as const) {
    const t = base();
    const x = ip(text, GEO_LAN);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 250000, ip: x, sig: sig('ET SCAN Potential SSH Scan'), sensor: 1, dest: x.v6 ? 'fd12:3456:789a:0001:0000:0000:0000:0001' : '10.1.2.25' }));
    at(t + 10 * MIN, 0, () => em.signin({ ms: t + 10 * MIN, user: u, ip: x }));
    at(t + 20 * MIN, 0, () => em.mail({ ms: t + 20 * MIN, user: u, ip: x }));
    add(name, x, [], `alert, sign-in and mail access from a special-purpose address ${x.canon}`);
  }

  // 11-14. Shared-infrastructure cap, counted in users per window (needs cap + 16 distinct users).
  const capCases = cap + 16 <= world.users.length;
  const crowd = (t: number, x: GenIp, users: GenUser[], mailFrom: number): void => {
    users.forEach((u, i) => {
      const tm = t + 5 * MIN + Math.floor((Math.round(W * 0.8) * i) / users.length);
      if (i < mailFrom) at(tm, 0, () => em.signin({ ms: tm, user: u, ip: x, interactive: i % 2 === 0 }));
      else at(tm, 0, () => em.mail({ ms: tm, user: u, ip: x }));
    });
  };
  if (capCases) {
    const t = base();
    const x = ip('194.169.175.10', GEO_BAD);
    const users = pickUsers(cap + 5);
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 29') }));
    crowd(t, x, users, Math.ceil(users.length / 2));
    add('cap-over', x, [], `${users.length} distinct users succeed (sign-in or mail) within the window: shared egress, suppressed`);
  }
  if (capCases) {
    const t = base();
    const x = ip('194.169.175.11', GEO_BAD);
    const users = pickUsers(cap + 1);
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 29') }));
    crowd(t, x, users, Math.ceil(users.length / 2));
    add('cap-max-plus-1', x, [], `${users.length} distinct users: ${Math.ceil(users.length / 2)} sign in, the others only read mail (both kinds count together)`);
  }
  if (capCases) {
    const t = base();
    const x = ip('194.169.175.12', GEO_BAD);
    const users = pickUsers(cap + 16);
    const inWin = users.slice(0, cap);
    const failedOnly = users.slice(cap, cap + 6);
    const before = users.slice(cap + 6, cap + 11);
    const after = users.slice(cap + 11, cap + 16);
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 29') }));
    crowd(t, x, inWin, Math.ceil(inWin.length / 2));
    failedOnly.forEach((u, i) => at(t + (i + 1) * 11 * MIN, 0, () => em.signin({ ms: t + (i + 1) * 11 * MIN, user: u, ip: x, error: ERRORS.badPassword })));
    before.forEach((u, i) => at(t - (i + 1) * 5 * MIN, 0, () => em.signin({ ms: t - (i + 1) * 5 * MIN, user: u, ip: x })));
    after.forEach((u, i) => at(t + W + (i + 1) * 5 * MIN, 0, () => em.mail({ ms: t + W + (i + 1) * 5 * MIN, user: u, ip: x })));
    add('cap-at-max', x, both, `exactly ${cap} distinct successful users in the window (plus failed-only users in it, and successful users before and after it, which do not count)`);
  }
  if (capCases) {
    const t = base();
    const x = ip('194.169.175.13', GEO_BAD);
    const busy = pickUsers(cap + 5);
    const quiet = pickUsers(3);
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 29') }));
    crowd(t, x, busy, Math.ceil(busy.length / 2));
    const t2 = t + 2 * W + H;
    at(t2, 0, () => em.alert({ ms: t2, ns: 0, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 29') }));
    const q = Math.round(W * 0.1);
    at(t2 + q, 0, () => em.signin({ ms: t2 + q, user: quiet[0]!, ip: x }));
    at(t2 + 2 * q, 0, () => em.mail({ ms: t2 + 2 * q, user: quiet[1]!, ip: x }));
    at(t2 + 3 * q, 0, () => em.aadLogin({ ms: t2 + 3 * q, user: quiet[2]!, ip: x }));
    add('cap-per-window', x, both, `one alert with ${busy.length} users in its window (dropped), a later alert with 3 users in its window (fires): the cap is per window, not global`);
  }

  // 15. IPv6 written four ways.
  {
    const t = base();
    const x = ip('2a0d:5600:24:a1::1f', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 640000, ip: x, sig: sig('ET DROP Spamhaus') }));
    const q = Math.round(W * 0.1);
    at(t + q, 0, () => em.signin({ ms: t + q, user: u, ip: x, device: ATTACKER_DEVICE }));
    at(t + q + 10000, 0, () => em.aadLogin({ ms: t + q + 10000, user: u, ip: x, clientIp: '2A0D:5600:24:A1:0:0:0:1F' }));
    at(t + 2 * q, 0, () => em.mail({ ms: t + 2 * q, user: u, ip: x, ipAddress: '2a0d:5600:0024:00a1:0000:0000:0000:001f', clientIp: '[2A0D:5600:24:A1::1F]:443' }));
    add('ipv6-spellings', x, both, 'IPv6 source: EVE expanded, Entra compressed, M365 upper-case/zero-padded and "[..]:443"');
  }

  // 16. IPv4-mapped and port-suffixed spellings only.
  {
    const t = base();
    const x = ip('91.240.118.173', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 9000, ip: x, sig: sig('ET DROP Dshield') }));
    const q = Math.round(W * 0.2);
    at(t + q, 0, () => em.aadLogin({ ms: t + q, user: u, ip: x, clientIp: `${x.canon}:50123` }));
    at(t + q + MIN, 0, () => em.mail({ ms: t + q + MIN, user: u, ip: x, ipAddress: `::ffff:${x.canon}`, clientIp: `${x.canon}:58312` }));
    add('ipv4-mapped-and-port', x, both, 'UserLoggedIn with ClientIP "a.b.c.d:port", MailItemsAccessed with ClientIPAddress "::ffff:a.b.c.d"');
  }

  // 17. The same records delivered more than once.
  {
    const t = base();
    const x = ip('185.220.101.49', GEO_TOR);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 3000, ip: x, sig: sig('ET TOR') }));
    const q = Math.round(W * 0.05);
    at(t + q, 0, () => em.signin({ ms: t + q, user: u, ip: x, via: 'both', copies: 2 }));
    at(t + 2 * q, 0, () => em.mail({ ms: t + 2 * q, user: u, ip: x, via: 'both', copies: 2 }));
    add('duplicates', x, both, 'one sign-in written twice to NDJSON and once to a Graph page (same id); one MailItemsAccessed twice in a content blob and once in the Purview CSV (same Id)');
  }

  // 18-19. Sensor writing +0100: the offset decides.
  {
    const t = base();
    const x = ip('91.240.118.174', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 2'), sensor: 1 }));
    at(t + 30 * MIN, 0, () => em.mail({ ms: t + 30 * MIN, user: u, ip: x, via: 'csv' }));
    add('offset-purview-only', x, [RULE_MAIL], 'alert from the +0100 sensor; MailItemsAccessed 30 min later, only in the Purview CSV (misses if the offset is ignored)');
  }
  {
    const t = base();
    const x = ip('91.240.118.175', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET COMPROMISED Known Compromised or Hostile Host Traffic group 2'), sensor: 1 }));
    at(t - 30 * MIN, 0, () => em.signin({ ms: t - 30 * MIN, user: u, ip: x }));
    at(t - 40 * MIN, 0, () => em.mail({ ms: t - 40 * MIN, user: u, ip: x }));
    add('offset-before', x, [], 'alert from the +0100 sensor; sign-in 30 min and mail 40 min before it (fires if the offset is applied with the wrong sign)');
  }

  // 20-23. Each qualifying source on its own.
  {
    const t = base();
    const x = ip('193.142.146.38', GEO_RU);
    const sp = world.sps.find((s) => !s.managed)!;
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET SCAN Suspicious inbound to mySQL') }));
    const q = Math.round(W * 0.05);
    at(t + q, 0, () => em.spSignin({ ms: t + q, sp, ip: x, error: ERRORS.badSecret }));
    at(t + q + MIN, 0, () => em.spSignin({ ms: t + q + MIN, sp, ip: x }));
    add('service-principal', x, [RULE_SIGNIN], `ServicePrincipalSignInLogs success for ${sp.name} (in a {"records":[...]} blob) after an alert`);
  }
  {
    const t = base();
    const x = ip('193.142.146.39', GEO_RU);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET EXPLOIT Apache log4j') }));
    const q = Math.round(W * 0.3);
    at(t + q, 0, () => em.signin({ ms: t + q, user: u, ip: x, via: 'graph', device: ATTACKER_DEVICE }));
    add('graph-only', x, [RULE_SIGNIN], 'successful sign-in present only in a Microsoft Graph page');
  }
  {
    const t = base();
    const x = ip('193.142.146.40', GEO_RU);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET SCAN Potential VNC') }));
    const q = Math.round(W * 0.5);
    at(t + q, 0, () => em.aadLogin({ ms: t + q, user: u, ip: x }));
    add('userloggedin-only', x, [RULE_SIGNIN], 'only an M365 UserLoggedIn (AzureActiveDirectory) record: a tenant without Entra ID P1');
  }
  {
    const t = base();
    const x = ip('193.142.146.41', GEO_RU);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET SCAN Potential SSH Scan') }));
    const q = Math.round(W * 0.1);
    at(t + q, 0, () => em.sharePoint({ ms: t + q, user: u, ip: x, op: 'FileDownloaded' }));
    at(t + 2 * q, 0, () => em.exchangeOp({ ms: t + 2 * q, user: u, ip: x, op: 'Send' }));
    at(t + 3 * q, 0, () => em.exchangeOp({ ms: t + 3 * q, user: u, ip: x, op: 'New-InboxRule', subject: 'x' }));
    add('other-operations-only', x, [], 'alert, then only FileDownloaded, Send and New-InboxRule from the address (not qualifying events)');
  }

  // 24. `time` vs createdDateTime: only the write time falls in the window.
  {
    const t = base();
    const x = ip('45.155.205.236', GEO_BAD);
    const [u] = pickUsers(1) as [GenUser];
    at(t, 0, () => em.alert({ ms: t, ns: 0, ip: x, sig: sig('ET CINS Active Threat Intelligence Poor Reputation IP group 3') }));
    at(t - 2 * MIN, 0, () => em.signin({ ms: t - 2 * MIN, user: u, ip: x, delayMs: 5 * MIN }));
    add('write-delay-before', x, [], 'sign-in created 2 min before the alert, written (`time`) 3 min after it: event time decides');
  }

  items.sort((a, b) => a.ms - b.ms || a.ns - b.ns || a.seq - b.seq);
  cases.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { cases, items };
}
