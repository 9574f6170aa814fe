// The decode half of the service's ingest: framed records → decoders → the rows
// the store keeps, with the counters and reject reports of the batch. Pure (no
// store, no correlator), so it runs the same on the main thread (tailed files,
// syslog) and on the ingest workers (HTTP bodies, src/http/ingest-worker.ts);
// its result is made of plain values and typed arrays, cheap to send between
// threads.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { decodeRecord } from '../decoders/index.js';
import type { DecodeContext } from '../decoders/types.js';
import { formatOrigin } from '../decoders/types.js';
import { detailParts, withDetailParts, type DecodedEvent, type DetailParts, type NormalizedEvent, type Role, type SigninProperties } from '../model/event.js';
import { formatInstant } from '../model/time.js';
import { frameBuffer, type FramedItem } from '../inputs/framing.js';

export { DEFAULT_FUTURE_SKEW_MS };
import { DEFAULT_FUTURE_SKEW_MS } from '../model/time.js';
import { Counters, type CountersData } from '../pipeline/counters.js';

export const MAX_ERRORS_REPORTED = 10;

/** Roles as stored in a row's role column (and in DecodedRows.roles, by index). */
export const ROW_ROLES = ['network_alert', 'signin', 'mail_access'] as const;
export type RowRole = (typeof ROW_ROLES)[number];

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

/** What decoding one batch gives: rows to store, and what to report and count. */
export interface DecodedBatch {
  accepted: number;
  rejected: number;
  /** The first few rejects, with their place. */
  errors: Array<{ where: string; reason: string; message: string }>;
  counters: CountersData;
  rows: DecodedRows;
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

/**
 * Whether an event can ever take part in an alert, so is worth storing: a
 * network alert, or a successful sign-in / mail access, with a source IP. Failed
 * sign-ins are counted and never stored: the correlator ignores them.
 */
export function correlatable(ev: NormalizedEvent): boolean {
  const role: Role = ev.crosswatch.role;
  if (role === 'other' || !ev.source?.ip) return false;
  return role === 'network_alert' || ev.event.outcome === 'success';
}

class RowBuilder {
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

/**
 * Decodes a batch of framed records, fed in pieces as framing yields them (so
 * the parsed records die young and memory is the decoded rows, not the body's
 * objects). `watermarkMs` dates year-less text stamps (fast.log, syslog) when
 * the batch has no dated record of its own: text records wait for the end,
 * when the batch's latest dated record is known. Counters are kept under
 * `source` when given (e.g. "http", so their size does not grow per request);
 * reject reports name each record's own place, in input order.
 */
export class BatchDecoder {
  private readonly counters = new Counters();
  private readonly rows = new RowBuilder();
  private accepted = 0;
  private rejected = 0;
  private readonly errors: Array<{ at: number; where: string; reason: string; message: string }> = [];
  private readonly text: Array<{ item: FramedItem; at: number }> = [];
  private latest = Number.NEGATIVE_INFINITY;
  /** Records dated past this (arrival plus the skew) do not date the batch's year-less text stamps. */
  private readonly timeLimit = Date.now() + DEFAULT_FUTURE_SKEW_MS;
  private position = 0;

  constructor(private readonly ctx: DecodeContext, private readonly watermarkMs: number, private readonly source?: string) {}

  private note(at: number, where: string, reason: string, message: string): void {
    this.rejected++;
    // The first MAX_ERRORS_REPORTED in input order (text records are decoded last).
    const e = this.errors;
    if (e.length === MAX_ERRORS_REPORTED && at > e[e.length - 1]!.at) return;
    let i = e.length;
    while (i > 0 && e[i - 1]!.at > at) i--;
    e.splice(i, 0, { at, where, reason, message });
    if (e.length > MAX_ERRORS_REPORTED) e.pop();
  }

  private take(item: FramedItem, at: number, ctx: DecodeContext): void {
    if (item.kind === 'problem') {
      if (item.reason === 'empty-file') return;
      this.counters.rejected(item.origin, null, item.reason, item.message);
      this.note(at, formatOrigin(item.origin), item.reason, item.message);
      return;
    }
    const { decoder, result } = decodeRecord(item, ctx);
    if (!result.ok) {
      this.counters.rejected(item.origin, decoder, result.error.reason, result.error.message);
      this.note(at, formatOrigin(item.origin), result.error.reason, result.error.message);
      return;
    }
    const ev = result.event.event;
    if (item.kind !== 'text' && result.event.at.ms > this.latest && result.event.at.ms <= this.timeLimit) this.latest = result.event.at.ms;
    this.counters.decoded(item.origin.source, decoder ?? 'unknown', ev.crosswatch.role, ev.crosswatch.category);
    this.accepted++;
    if (correlatable(ev)) this.rows.add(result.event, at);
  }

  push(items: FramedItem[]): void {
    for (const item of items) {
      const at = this.position++;
      if (item.kind === 'text') this.text.push({ item, at });
      else this.take(item, at, this.ctx);
    }
  }

  finish(): DecodedBatch {
    if (this.text.length > 0) {
      // Dated records first: year-less text stamps take their year from the data's
      // own time — this batch's when it has dated records (one export replayed),
      // else the watermark — never from the wall clock.
      const latest = Number.isFinite(this.latest) ? this.latest : this.watermarkMs;
      const textCtx = Number.isFinite(latest) ? { ...this.ctx, reference: { ms: latest, ns: 0 } } : this.ctx;
      for (const { item, at } of this.text) this.take(item, at, textCtx);
    }
    const data = this.counters.toData();
    let counters = data;
    if (this.source !== undefined) {
      // One source entry for the whole batch (an HTTP request's id would make one per request).
      const merged = new Counters();
      merged.merge({ ...data, sources: [], rejectSamples: [] });
      const s = merged.source(this.source);
      for (const [, c] of data.sources) {
        s.records += c.records;
        s.rejected += c.rejected;
        for (const [k, n] of Object.entries(c.byDecoder)) s.byDecoder[k] = (s.byDecoder[k] ?? 0) + n;
      }
      counters = { ...merged.toData(), rejectSamples: data.rejectSamples };
    }
    return {
      accepted: this.accepted, rejected: this.rejected,
      errors: this.errors.map(({ where, reason, message }) => ({ where, reason, message })),
      counters, rows: this.rows.build(),
    };
  }
}

/** Decodes one batch of framed records at once (see BatchDecoder). */
export function decodeBatch(items: FramedItem[], ctx: DecodeContext, watermarkMs: number, source?: string): DecodedBatch {
  const d = new BatchDecoder(ctx, watermarkMs, source);
  d.push(items);
  return d.finish();
}

/** A body that could not be read at all (the request's reply says why). */
export interface BodyError {
  status: number;
  error: string;
}

export interface BodyTask {
  body: Uint8Array;
  /** Content-Encoding: gzip was declared. */
  gzip: boolean;
  /** Names the body in reject reports ("request req-7"). */
  display: string;
  /** The counters' source for the whole body ("http"). */
  source: string;
  decode: DecodeContext;
  watermarkMs: number;
  /** Largest decompressed body. */
  maxBytes: number;
}

/** Frames and decodes one HTTP body: gunzip when declared, then the same framing as a file. */
export async function decodeBody(t: BodyTask): Promise<DecodedBatch | BodyError> {
  let body = Buffer.from(t.body.buffer, t.body.byteOffset, t.body.byteLength);
  if (t.gzip) {
    try {
      body = gunzipSync(body, { maxOutputLength: t.maxBytes });
    } catch (err) {
      const tooBig = /maxOutputLength|Cannot create a Buffer/i.test((err as Error).message);
      return tooBig ? { status: 413, error: 'decompressed body too large' } : { status: 400, error: `invalid gzip body: ${(err as Error).message}` };
    }
  }
  const d = new BatchDecoder(t.decode, t.watermarkMs, t.source);
  for await (const batch of frameBuffer(body, t.display)) d.push(batch);
  return d.finish();
}
