// The store's row format (owned here, not by the pipelines): a correlatable
// event as the columns the store indexes (record key, IP, role, time) and a
// compact document of what the correlator reads beyond them. The streaming
// pipeline builds rows as it decodes (RowBuilder); the store keeps them and gives
// them back as decoded events (storedEvent), from which alerts are the same as
// from the whole event.
import { createHash } from 'node:crypto';
import { detailParts, withDetailParts, type DecodedEvent, type DetailParts, type NormalizedEvent, type Role, type SigninProperties } from '../model/event.js';
import { formatInstant } from '../model/time.js';

/** Roles as stored in a row's role column (and in DecodedRows.roles, by index). */
export const ROW_ROLES = ['network_alert', 'signin', 'mail_access'] as const;
export type RowRole = (typeof ROW_ROLES)[number];
/** The role index of network alerts (the anchors) in DecodedRows.roles. */
export const ALERT_ROW_ROLE = ROW_ROLES.indexOf('network_alert');

/** The correlatable events of a batch, column by column. */
export interface DecodedRows {
  n: number;
  keys: string[];
  ips: string[];
  /** Index into ROW_ROLES. */
  roles: Uint8Array;
  atMs: Float64Array;
  atNs: Float64Array;
  /** The stored form of each event (storedDoc). */
  docs: string[];
}

/** A stable key for "the same source record": its id when it has one, else its content. */
export function recordKey(ev: NormalizedEvent): string {
  const role = ev.crosswatch.role;
  if (ev.event.id !== undefined) return `${role}:${ev.event.dataset}:${ev.event.id}`;
  return `${role}:h:${createHash('sha256').update(JSON.stringify(ev)).digest('base64url')}`;
}

/**
 * The part of an event the store keeps, as compact JSON: what the correlator
 * reads (Correlator.add) beyond the row's own columns (role, IP, time) — not the
 * whole normalized event. A positional array, trailing empties left out:
 *   [dataset, decoder, category, action, outcome, id, severity, user.name,
 *    user.email (1: same as user.name), user_agent, rule.name, rule.id,
 *    observer.name, observer.product, client.app, client.client_app,
 *    the evidence detail of a sign-in or mail access (packDetail: an array)]
 * Alerts are computed from this alone, so they are the same as from the full event.
 */
export function storedDoc(ev: NormalizedEvent): string {
  const e = ev.event;
  const u = ev.user;
  const email = u?.email !== undefined && u.email === u.name ? 1 : u?.email;
  const role = ev.crosswatch.role;
  const a: unknown[] = [
    e.dataset, ev.crosswatch.decoder, ev.crosswatch.category, e.action, e.outcome, e.id, e.severity, u?.name, email,
    ev.user_agent?.original, ev.rule?.name, ev.rule?.id, ev.observer?.name, ev.observer?.product, ev.client?.app, ev.client?.client_app,
    role === 'signin' || role === 'mail_access' ? packDetail(detailParts(ev)) : undefined,
  ];
  let n = a.length;
  while (n > 0 && a[n - 1] === undefined) n--;
  a.length = n;
  for (let i = 0; i < n; i++) if (a[i] === undefined) a[i] = null;
  return JSON.stringify(a);
}

/**
 * The event back from a stored row: the compact form of storedDoc, or (rows of a
 * store written before it) the whole normalized event as JSON.
 */
export function storedEvent(role: string, ip: string, atMs: number, atNs: number, doc: string): DecodedEvent {
  const at = { ms: atMs, ns: atNs };
  if (doc.charCodeAt(0) !== 0x5b /* [ */) return { at, event: JSON.parse(doc) as NormalizedEvent };
  const a = JSON.parse(doc) as Array<string | number | object | null | undefined>;
  const str = (i: number): string | undefined => (typeof a[i] === 'string' ? (a[i] as string) : undefined);
  const ev: NormalizedEvent = {
    '@timestamp': formatInstant(at),
    event: { kind: role === 'network_alert' ? 'alert' : 'event', dataset: str(0) ?? '' },
    source: { ip },
    crosswatch: { role: role as Role, decoder: str(1) ?? '' },
  };
  if (str(2) !== undefined) ev.crosswatch.category = str(2);
  if (str(3) !== undefined) ev.event.action = str(3);
  if (str(4) !== undefined) ev.event.outcome = str(4) as NormalizedEvent['event']['outcome'];
  if (str(5) !== undefined) ev.event.id = str(5);
  if (typeof a[6] === 'number') ev.event.severity = a[6];
  const name = str(7);
  const email = a[8] === 1 ? name : str(8);
  if (name !== undefined || email !== undefined) ev.user = { ...(name !== undefined ? { name } : {}), ...(email !== undefined ? { email } : {}) };
  if (str(9) !== undefined) ev.user_agent = { original: str(9)! };
  if (str(10) !== undefined || str(11) !== undefined) ev.rule = { ...(str(10) !== undefined ? { name: str(10)! } : {}), ...(str(11) !== undefined ? { id: str(11)! } : {}) };
  if (str(12) !== undefined || str(13) !== undefined) ev.observer = { ...(str(12) !== undefined ? { name: str(12)! } : {}), ...(str(13) !== undefined ? { product: str(13)! } : {}) };
  if (str(14) !== undefined || str(15) !== undefined) ev.client = { ...(str(14) !== undefined ? { app: str(14)! } : {}), ...(str(15) !== undefined ? { client_app: str(15)! } : {}) };
  if (Array.isArray(a[16])) withDetailParts(ev, unpackDetail(a[16]));
  return { at, event: ev };
}

// The evidence detail of a stored event (detailParts), positionally: a sign-in's
// is written with every row, and its field names would be most of it. A field
// added to detailParts needs its place here (test/evidence.test.ts checks the
// round trip).
const GEO_KEYS = ['city_name', 'region_name', 'country_iso_code', 'country_name'] as const;
const SIGNIN_KEYS = ['authentication_requirement', 'conditional_access_status', 'risk_level_during_signin', 'risk_state', 'risk_level_aggregated', 'risk_detail', 'app_id'] as const;
const O365_KEYS = ['AppId', 'ClientAppId', 'ApplicationId'] as const;
const STEPS_AT = GEO_KEYS.length + SIGNIN_KEYS.length;

/** [geo..., signin..., steps as [method, result] pairs, mfa method, mfa detail, o365 ids...], trailing empties left out. */
function packDetail(p: DetailParts | undefined): unknown[] | undefined {
  if (!p) return undefined;
  const steps = p.signin?.authentication_details?.map((x) => [x.authentication_method ?? null, x.authentication_step_result_detail ?? null]);
  const a: unknown[] = [
    ...GEO_KEYS.map((k) => p.geo?.[k]), ...SIGNIN_KEYS.map((k) => p.signin?.[k]), steps,
    p.signin?.mfa_detail?.auth_method, p.signin?.mfa_detail?.auth_detail, ...O365_KEYS.map((k) => p.o365?.[k]),
  ];
  let n = a.length;
  while (n > 0 && a[n - 1] === undefined) n--;
  a.length = n;
  for (let i = 0; i < n; i++) if (a[i] === undefined) a[i] = null;
  return n > 0 ? a : undefined;
}

function unpackDetail(a: unknown[]): DetailParts | undefined {
  const s = (i: number): string | undefined => (typeof a[i] === 'string' ? (a[i] as string) : undefined);
  const pick = <K extends string>(keys: readonly K[], from: number): Partial<Record<K, string>> | undefined => {
    const o: Partial<Record<K, string>> = {};
    keys.forEach((k, i) => { const v = s(from + i); if (v !== undefined) o[k] = v; });
    return Object.keys(o).length > 0 ? o : undefined;
  };
  const parts: DetailParts = {};
  const geo = pick(GEO_KEYS, 0);
  if (geo) parts.geo = geo;
  const signin: SigninProperties = pick(SIGNIN_KEYS, GEO_KEYS.length) ?? {};
  const steps = a[STEPS_AT];
  if (Array.isArray(steps)) {
    signin.authentication_details = steps.filter(Array.isArray).map(([m, r]: unknown[]) => ({
      ...(typeof m === 'string' ? { authentication_method: m } : {}), ...(typeof r === 'string' ? { authentication_step_result_detail: r } : {}),
    }));
  }
  const mfaMethod = s(STEPS_AT + 1);
  const mfaDetail = s(STEPS_AT + 2);
  if (mfaMethod !== undefined || mfaDetail !== undefined) {
    signin.mfa_detail = { ...(mfaMethod !== undefined ? { auth_method: mfaMethod } : {}), ...(mfaDetail !== undefined ? { auth_detail: mfaDetail } : {}) };
  }
  if (Object.keys(signin).length > 0) parts.signin = signin;
  const o365 = pick(O365_KEYS, STEPS_AT + 3);
  if (o365) parts.o365 = o365;
  return Object.keys(parts).length > 0 ? parts : undefined;
}

/** Collects decoded events as rows, in the records' order. */
export class RowBuilder {
  private keys: string[] = [];
  private ips: string[] = [];
  private roles: number[] = [];
  private atMs: number[] = [];
  private atNs: number[] = [];
  private docs: string[] = [];
  /** Each row's record position in the batch (rows of text records are added last). */
  private order: number[] = [];
  private sorted = true;

  add(d: DecodedEvent, position: number): void {
    const ev = d.event;
    if (this.order.length > 0 && position < this.order[this.order.length - 1]!) this.sorted = false;
    this.order.push(position);
    this.keys.push(recordKey(ev));
    this.ips.push(ev.source!.ip!);
    this.roles.push(ROW_ROLES.indexOf(ev.crosswatch.role as RowRole));
    this.atMs.push(d.at.ms);
    this.atNs.push(d.at.ns);
    this.docs.push(storedDoc(ev));
  }

  /** The rows, in the records' order (the first of two records with one key is the one stored). */
  build(): DecodedRows {
    let perm: number[] | null = null;
    if (!this.sorted) perm = this.order.map((_, i) => i).sort((a, b) => this.order[a]! - this.order[b]!);
    const pick = <T>(xs: T[]): T[] => (perm ? perm.map((i) => xs[i]!) : xs);
    return {
      n: this.keys.length, keys: pick(this.keys), ips: pick(this.ips), roles: Uint8Array.from(pick(this.roles)),
      atMs: Float64Array.from(pick(this.atMs)), atNs: Float64Array.from(pick(this.atNs)), docs: pick(this.docs),
    };
  }
}

/** The rows at the given indexes (in that order), as rows of their own. */
export function pickRows(rows: DecodedRows, which: readonly number[]): DecodedRows {
  return {
    n: which.length, keys: which.map((i) => rows.keys[i]!), ips: which.map((i) => rows.ips[i]!),
    roles: Uint8Array.from(which, (i) => rows.roles[i]!), atMs: Float64Array.from(which, (i) => rows.atMs[i]!),
    atNs: Float64Array.from(which, (i) => rows.atNs[i]!), docs: which.map((i) => rows.docs[i]!),
  };
}

/** The row at index i as a decoded event (as the store gives it back). */
export function rowEvent(rows: DecodedRows, i: number): DecodedEvent {
  return storedEvent(ROW_ROLES[rows.roles[i]!]!, rows.ips[i]!, rows.atMs[i]!, rows.atNs[i]!, rows.docs[i]!);
}
