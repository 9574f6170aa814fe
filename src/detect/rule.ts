// A detection's correlation, as data (the `correlation:` block of a rule file in
// rules/): which events anchor it, which events qualify, grouped by what. The
// correlator takes these compiled objects and knows no rule by name, so a new
// detection over the fields below is a YAML file and its samples, no code.
//
//   correlation:
//     group_by: source.ip
//     anchor: { role: network_alert }                    # optional where: {field: value | [values]}
//     qualifying: { role: signin, verb: signed in, where: { event.dataset: o365.audit } }
//
// A qualifying event matches when an anchor of its group lies in
// [t - window, t] (DESIGN.md §1); the window and the shared-infrastructure cap
// are the detection settings (detect/config.ts).
import type { NetworkAlertEvidence, QualifyingEvidence } from './episode.js';

export type QualifyingRole = 'signin' | 'mail_access';
export const QUALIFYING_ROLES: readonly QualifyingRole[] = ['signin', 'mail_access'];

/** A condition: the field's value is one of these (exact, as ECS keywords compare). */
export interface Condition {
  field: string;
  values: ReadonlySet<string>;
}

export interface DetectionRule {
  id: string;
  /** The anchors: network alerts (the only anchor role so far), with conditions. */
  anchor: { role: 'network_alert'; where: readonly Condition[] };
  qualifying: { role: QualifyingRole; where: readonly Condition[]; verb: string };
}

/** The fields a condition may name, and where the correlator's entries keep them. */
export const ANCHOR_FIELDS: Readonly<Record<string, (a: NetworkAlertEvidence) => string | undefined>> = {
  'event.dataset': (a) => a.dataset,
  'rule.name': (a) => a.signature,
  'observer.name': (a) => a.sensor,
};
export const QUALIFYING_FIELDS: Readonly<Record<string, (e: QualifyingEvidence) => string | undefined>> = {
  'event.dataset': (e) => e.dataset,
  'event.action': (e) => e.action,
  'crosswatch.category': (e) => e.category,
  'user.name': (e) => e.user,
  'client.app': (e) => e.app,
  'client.client_app': (e) => e.client,
  'user_agent.original': (e) => e.userAgent,
};

const VERBS: Record<QualifyingRole, string> = { signin: 'signed in', mail_access: 'accessed mail' };

export function holds<T>(where: readonly Condition[], fields: Readonly<Record<string, (x: T) => string | undefined>>, x: T): boolean {
  for (const c of where) {
    const v = fields[c.field]!(x);
    if (v === undefined || !c.values.has(v)) return false;
  }
  return true;
}

type Problems = string[];

function conditions(raw: unknown, where: string, fields: Readonly<Record<string, unknown>>, problems: Problems): Condition[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${where}: expected a mapping of field: value (or [values])`);
    return [];
  }
  const out: Condition[] = [];
  for (const [field, v] of Object.entries(raw)) {
    if (!(field in fields)) {
      problems.push(`${where}.${field}: not a field a condition can use (known: ${Object.keys(fields).join(', ')})`);
      continue;
    }
    const values = Array.isArray(v) ? v : [v];
    if (values.length === 0 || !values.every((x) => typeof x === 'string' || typeof x === 'number')) {
      problems.push(`${where}.${field}: expected a value or a list of values`);
      continue;
    }
    out.push({ field, values: new Set(values.map(String)) });
  }
  return out;
}

/**
 * Compiles a rule file's `correlation:` block; problems are added with the file
 * and key. `id` is the rule's id.
 */
export function compileCorrelation(id: string, raw: unknown, file: string, problems: Problems): DetectionRule | null {
  const at = `${file}: correlation`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${at}: expected a mapping with group_by, anchor and qualifying`);
    return null;
  }
  const before = problems.length;
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!['group_by', 'anchor', 'qualifying'].includes(k)) problems.push(`${at}.${k}: unknown key (known: group_by, anchor, qualifying)`);
  }
  if (c.group_by !== 'source.ip') problems.push(`${at}.group_by: must be source.ip (the only grouping so far)`);
  const part = (k: 'anchor' | 'qualifying'): Record<string, unknown> => {
    const v = c[k];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      problems.push(`${at}.${k}: expected a mapping with role (and where)`);
      return {};
    }
    return v as Record<string, unknown>;
  };
  const a = part('anchor');
  const q = part('qualifying');
  if (a.role !== undefined && a.role !== 'network_alert') problems.push(`${at}.anchor.role: must be network_alert (the only anchor so far)`);
  if (a.role === undefined && Object.keys(a).length > 0) problems.push(`${at}.anchor.role: missing`);
  for (const k of Object.keys(a)) if (!['role', 'where'].includes(k)) problems.push(`${at}.anchor.${k}: unknown key (known: role, where)`);
  if (!QUALIFYING_ROLES.includes(q.role as QualifyingRole)) problems.push(`${at}.qualifying.role: must be one of ${QUALIFYING_ROLES.join(', ')}`);
  for (const k of Object.keys(q)) if (!['role', 'where', 'verb'].includes(k)) problems.push(`${at}.qualifying.${k}: unknown key (known: role, where, verb)`);
  if (q.verb !== undefined && (typeof q.verb !== 'string' || q.verb.trim() === '')) problems.push(`${at}.qualifying.verb: expected text such as "signed in"`);
  const anchorWhere = conditions(a.where, `${at}.anchor.where`, ANCHOR_FIELDS, problems);
  const qualifyingWhere = conditions(q.where, `${at}.qualifying.where`, QUALIFYING_FIELDS, problems);
  if (problems.length > before) return null;
  const role = q.role as QualifyingRole;
  return {
    id,
    anchor: { role: 'network_alert', where: anchorWhere },
    qualifying: { role, where: qualifyingWhere, verb: typeof q.verb === 'string' ? q.verb : VERBS[role] },
  };
}
