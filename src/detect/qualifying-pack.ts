// The qualifying events one of hunt's scan tasks hands to the correlator (the
// successful sign-ins and mail accesses of alerted IPs), already in the form the
// correlator keeps (qualifying-table.ts): columns of numbers, strings once each,
// and each rule's qualifying test already run. Handed over as objects, every
// event was copied field by field from the worker (structured clone), rebuilt on
// the main thread, tested, flattened into a row and dropped: at 5M records with
// a fifth of the sign-ins from alerted IPs, ~2 s of CPU, most of it on the main
// thread, which also runs the correlator. A pack is a few typed arrays and one
// list of distinct strings, made where the event was decoded.
import type { DecodedEvent, NormalizedEvent } from '../model/event.js';
import { eventDetail } from '../model/event.js';
import type { QualifyingRole, QualifyingTest } from './rule.js';

/** The text columns of a pack row, in this order (stride TEXT_COLUMNS.length in `text`). */
export const TEXT_COLUMNS = ['ip', 'user', 'app', 'client', 'userAgent', 'category', 'action', 'dataset', 'detail'] as const;
export type PackTextColumn = (typeof TEXT_COLUMNS)[number];
const STRIDE = TEXT_COLUMNS.length;
export const COLUMN: { readonly [K in PackTextColumn]: number } = Object.fromEntries(TEXT_COLUMNS.map((c, i) => [c, i])) as never;

/** No value in a text column. */
export const NO_TEXT = -1;

/** Bit i set when test i is of the event's role and holds for it. */
export function qualifyingBits(tests: readonly QualifyingTest[], role: QualifyingRole, ev: NormalizedEvent): number {
  let bits = 0;
  for (let i = 0; i < tests.length; i++) if (tests[i]!.role === role && tests[i]!.test(ev)) bits |= 1 << i;
  return bits;
}

/**
 * What a row keeps of an event in the text columns besides its IP and detail:
 * the correlator's rows (Correlator.rowOf) and a pack's are both read through
 * this, so a row is the same whichever way its event came.
 */
export const ROW_TEXT = {
  user: (ev: NormalizedEvent) => ev.user?.name ?? ev.user?.email,
  app: (ev: NormalizedEvent) => ev.client?.app,
  client: (ev: NormalizedEvent) => ev.client?.client_app,
  userAgent: (ev: NormalizedEvent) => ev.user_agent?.original,
  category: (ev: NormalizedEvent) => ev.crosswatch.category,
  action: (ev: NormalizedEvent) => ev.event.action,
  dataset: (ev: NormalizedEvent): string | undefined => ev.event.dataset,
} as const;
const ROW_TEXT_COLUMNS = Object.keys(ROW_TEXT) as Array<keyof typeof ROW_TEXT>;

export interface QualifyingPack {
  /** Rows. */
  n: number;
  /** Event time: ms since the epoch, and the nanoseconds past the ms. */
  ms: Float64Array;
  ns: Int32Array;
  /** 0 sign-in, 1 mail access. */
  role: Uint8Array;
  /** Bit i: rule i's qualifying test held for the event. */
  rules: Int32Array;
  /** Row r's column c is `text[r * STRIDE + c]`: a number into `strings`, or NO_TEXT. `detail` is eventDetail as JSON. */
  text: Int32Array;
  /** Record ids (mostly distinct, so not through `strings`); null: none. */
  ids: Array<string | null>;
  strings: string[];
  /**
   * The slim events themselves, instead of rows, when the pack's maker had no
   * qualifying tests to run (rules made in code, not compiled from Sigma, which
   * a worker cannot rebuild): the correlator adds them one by one.
   */
  events?: DecodedEvent[];
}

/** A pack with no rows. */
export function emptyPack(): QualifyingPack {
  return { n: 0, ms: new Float64Array(0), ns: new Int32Array(0), role: new Uint8Array(0), rules: new Int32Array(0), text: new Int32Array(0), ids: [], strings: [] };
}

/** Packs the successful qualifying events of one task, in the order they are added. */
export class PackBuilder {
  private n = 0;
  private cap = 0;
  private ms = new Float64Array(0);
  private ns = new Int32Array(0);
  private role = new Uint8Array(0);
  private rules = new Int32Array(0);
  private text = new Int32Array(0);
  private readonly ids: Array<string | null> = [];
  private readonly strings: string[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly events: DecodedEvent[] | null;

  /** `tests`: the correlator's rules' qualifying tests, in its order; null keeps the events whole (QualifyingPack.events). */
  constructor(private readonly tests: readonly QualifyingTest[] | null) {
    this.events = tests ? null : [];
  }

  get size(): number {
    return this.events ? this.events.length : this.n;
  }

  /** Does the pack keep the events themselves (no qualifying tests to run)? Then add slim events, not whole ones. */
  get keepsEvents(): boolean {
    return this.events !== null;
  }

  /**
   * Adds a successful sign-in or mail access with a source IP: a slim event
   * (batch-file.ts slimEvent) when the pack keeps events, else the whole event
   * or a slim one alike — a row reads only what a slim event keeps as the whole
   * event has it (the compact fields; eventDetail, through detailParts).
   */
  add(slim: DecodedEvent): void {
    if (this.events) {
      this.events.push(slim);
      return;
    }
    const ev = slim.event;
    const role: QualifyingRole = ev.crosswatch.role === 'signin' ? 'signin' : 'mail_access';
    if (this.n === this.cap) this.grow();
    const r = this.n++;
    this.ms[r] = slim.at.ms;
    this.ns[r] = slim.at.ns;
    this.role[r] = role === 'signin' ? 0 : 1;
    this.rules[r] = qualifyingBits(this.tests!, role, ev);
    const detail = eventDetail(ev);
    const at = r * STRIDE;
    this.text[at + COLUMN.ip] = this.number(ev.source?.ip);
    for (const c of ROW_TEXT_COLUMNS) this.text[at + COLUMN[c]] = this.number(ROW_TEXT[c](ev));
    this.text[at + COLUMN.detail] = this.number(detail === undefined ? undefined : JSON.stringify(detail));
    this.ids.push(ev.event.id ?? null);
  }

  /** The pack (the builder is spent). */
  build(): QualifyingPack {
    if (this.events) return { ...emptyPack(), n: this.events.length, events: this.events };
    const n = this.n;
    return {
      n,
      ms: this.ms.slice(0, n),
      ns: this.ns.slice(0, n),
      role: this.role.slice(0, n),
      rules: this.rules.slice(0, n),
      text: this.text.slice(0, n * STRIDE),
      ids: this.ids,
      strings: this.strings,
    };
  }

  private number(s: string | undefined): number {
    if (s === undefined) return NO_TEXT;
    let k = this.numbers.get(s);
    if (k === undefined) {
      k = this.strings.push(s) - 1;
      this.numbers.set(s, k);
    }
    return k;
  }

  private grow(): void {
    const cap = Math.max(256, this.cap * 2);
    const to = <A extends Float64Array | Int32Array | Uint8Array>(a: A, b: A): A => {
      b.set(a);
      return b;
    };
    this.ms = to(this.ms, new Float64Array(cap));
    this.ns = to(this.ns, new Int32Array(cap));
    this.role = to(this.role, new Uint8Array(cap));
    this.rules = to(this.rules, new Int32Array(cap));
    this.text = to(this.text, new Int32Array(cap * STRIDE));
    this.cap = cap;
  }
}

/** Packs one after the other as one (a file read in pieces, scanned as a whole). */
export function concatPacks(packs: readonly QualifyingPack[]): QualifyingPack {
  const live = packs.filter((p) => p.n > 0);
  if (live.length === 0) return emptyPack();
  if (live.length === 1) return live[0]!;
  if (live.some((p) => p.events)) {
    if (!live.every((p) => p.events)) throw new Error('cannot join packs of rows and packs of events');
    const events = live.flatMap((p) => p.events!);
    return { ...emptyPack(), n: events.length, events };
  }
  const n = live.reduce((k, p) => k + p.n, 0);
  const out: QualifyingPack = {
    n, ms: new Float64Array(n), ns: new Int32Array(n), role: new Uint8Array(n), rules: new Int32Array(n), text: new Int32Array(n * STRIDE), ids: [], strings: [],
  };
  const numbers = new Map<string, number>();
  let at = 0;
  for (const p of live) {
    out.ms.set(p.ms, at);
    out.ns.set(p.ns, at);
    out.role.set(p.role, at);
    out.rules.set(p.rules, at);
    const renumber = p.strings.map((s) => {
      let k = numbers.get(s);
      if (k === undefined) {
        k = out.strings.push(s) - 1;
        numbers.set(s, k);
      }
      return k;
    });
    for (let i = 0; i < p.n * STRIDE; i++) {
      const k = p.text[i]!;
      out.text[at * STRIDE + i] = k === NO_TEXT ? NO_TEXT : renumber[k]!;
    }
    for (const id of p.ids) out.ids.push(id);
    at += p.n;
  }
  return out;
}

/** The buffers of a pack's columns (to move to another thread; the pack is then unusable here). */
export function packBuffers(p: QualifyingPack): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of [p.ms, p.ns, p.role, p.rules, p.text]) if (a.byteLength > 0) out.add(a.buffer as ArrayBuffer);
  return [...out];
}

/** Row r's value in a text column (undefined: none). */
export function packText(p: QualifyingPack, r: number, c: PackTextColumn): string | undefined {
  const k = p.text[r * STRIDE + COLUMN[c]]!;
  return k === NO_TEXT ? undefined : p.strings[k];
}

/** The IPs of a pack's rows, in order (for tests and summaries). */
export function packIps(p: QualifyingPack): string[] {
  if (p.events) return p.events.map((e) => e.event.source!.ip!);
  return Array.from({ length: p.n }, (_, r) => packText(p, r, 'ip')!);
}
