// A deliberately simple reference implementation of DESIGN.md §1, used to compute
// the generator's ground truth. Brute force over "facts" (what each written record
// means to the detections), no cleverness: for every network alert, look at every
// fact of the same address. Correctness here is by inspection; speed comes only
// from grouping by address first.
import { CidrSet, canonicalIp, specialPurpose } from '../model/ip.js';
import { compareInstants, addMs } from '../model/time.js';
import type { Instant } from '../model/time.js';

export const RULE_SIGNIN = 'cw-entra-signin-after-network-alert';
export const RULE_MAIL = 'cw-m365-mail-access-after-network-alert';

export type FactRole = 'network_alert' | 'signin' | 'mail_access' | 'other';

export interface Fact {
  role: FactRole;
  /** Canonical address (canonicalIp), or null when the record has none. */
  ip: string | null;
  /** Event time as the record states it. */
  at: Instant;
  user?: string;
  /** The outcome: only successful sign-ins and mail accesses qualify or count. */
  success: boolean;
  /** The source's record id; facts with the same id count once. */
  recordId?: string;
}

export interface ReferenceParams {
  windowMs: number;
  maxUsersPerIp: number;
  /** Allowlisted CIDRs or addresses: never a match. */
  allow?: string[];
}

export interface Pair {
  rule: string;
  ip: string;
}

function ruleFor(f: Fact): string | null {
  if (!f.success) return null;
  if (f.role === 'signin') return RULE_SIGNIN;
  if (f.role === 'mail_access') return RULE_MAIL;
  return null;
}

/** Sorted by rule, then ip (plain string order). */
export function comparePairs(a: Pair, b: Pair): number {
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0;
}

/**
 * The (rule, ip) pairs that DESIGN.md §1 says alert, for the given facts.
 *
 * A network alert A (time tA) and a successful sign-in or mail access E (time tE)
 * on the same canonical address x match iff tA <= tE <= tA + window; x must not be
 * special-purpose nor allowlisted; and the match is dropped when more than
 * maxUsersPerIp distinct users have a successful sign-in or mail access on x with
 * time in [tA, tA + window]. Facts with the same recordId count once (the first).
 */
export function referencePairs(facts: Iterable<Fact>, params: ReferenceParams): Pair[] {
  const allow = new CidrSet(params.allow ?? []);

  // 1. Duplicates by record id count once.
  const seenIds = new Set<string>();
  const byIp = new Map<string, Fact[]>();
  for (const f of facts) {
    if (f.recordId !== undefined) {
      if (seenIds.has(f.recordId)) continue;
      seenIds.add(f.recordId);
    }
    if (f.ip === null) continue;
    const ip = canonicalIp(f.ip);
    if (ip === null) continue;
    let list = byIp.get(ip);
    if (!list) byIp.set(ip, (list = []));
    list.push(f);
  }

  const found = new Map<string, Pair>();
  for (const [ip, list] of byIp) {
    // 2. Public, not allowlisted.
    if (specialPurpose.match(ip) !== null) continue;
    if (allow.match(ip) !== null) continue;

    for (const a of list) {
      if (a.role !== 'network_alert') continue;
      const start = a.at;
      const end = addMs(a.at, params.windowMs);
      const inWindow = (f: Fact): boolean => compareInstants(start, f.at) <= 0 && compareInstants(f.at, end) <= 0;

      // 3. Distinct users with a successful sign-in or mail access in [tA, tA + window].
      const users = new Set<string>();
      const rules = new Set<string>();
      for (const e of list) {
        const rule = ruleFor(e);
        if (rule === null || !inWindow(e)) continue;
        rules.add(rule);
        if (e.user !== undefined) users.add(e.user);
      }
      if (users.size > params.maxUsersPerIp) continue;

      // 1. Order and window: every qualifying event in the window matches.
      for (const rule of rules) found.set(`${rule}\u0000${ip}`, { rule, ip });
    }
  }
  return [...found.values()].sort(comparePairs);
}
