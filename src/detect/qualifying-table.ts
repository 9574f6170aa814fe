// The qualifying events the correlator keeps (sign-ins and mail accesses of
// alerted IPs), column by column: one row per event, numbers in typed arrays,
// strings as numbers into one table of distinct values. A hunt over 5M records
// with half the sign-ins from alerted IPs keeps ~220k of them until the end; as
// objects they were ~170 B each (16 fields at 8 bytes, Node having no pointer
// compression, and the time boxed as a heap number) and a third of the heap.
// Here a row is ~80 B, the busy addresses' few users, apps and user agents are
// stored once, and the garbage collector has a few big arrays to look at instead
// of hundreds of thousands of objects.
import type { EventDetail } from '../model/event.js';
import { COLUMN, NO_TEXT, TEXT_COLUMNS, type QualifyingPack } from './qualifying-pack.js';
import { RecordIds } from './record-ids.js';
import type { QualifyingRole } from './rule.js';

/** No value (a string or detail the event did not have). */
const NONE = -1;

/**
 * Distinct values, each with a number. Equal values share a number while the
 * table of them is small enough (MAX_SHARED); past that, or for long values, a
 * value gets a number of its own, so a sender of ever-new strings grows the
 * table by what it sends, as an event holding the string would, and no more.
 */
class Values<T> {
  readonly all: T[] = [];
  private readonly shared = new Map<string, number>();
  /** `key`: how equal values are recognised (the value itself for strings). */
  constructor(private readonly key: (v: T) => string) {}
  idOf(v: T | undefined): number {
    if (v === undefined) return NONE;
    return this.idOfKey(this.key(v), () => v);
  }
  /** idOf for the value whose key is `k`, made by `make` only when it is new. */
  idOfKey(k: string, make: () => T): number {
    if (k.length > MAX_SHARED_CHARS) return this.all.push(make()) - 1;
    const had = this.shared.get(k);
    if (had !== undefined) return had;
    const id = this.all.push(make()) - 1;
    if (this.shared.size < MAX_SHARED) this.shared.set(k, id);
    return id;
  }
  /**
   * The one copy kept of a value equal to `v`, or `v` itself (which is then kept
   * while the table is small enough), without giving it a number: for values the
   * caller keeps elsewhere.
   */
  copyOf(v: T): T {
    const k = this.key(v);
    if (k.length > MAX_SHARED_CHARS) return v;
    const had = this.shared.get(k);
    if (had !== undefined) return this.all[had]!;
    if (this.shared.size < MAX_SHARED) this.shared.set(k, this.all.push(v) - 1);
    return v;
  }
  /** The value for a number, or undefined for NONE. */
  at(id: number): T | undefined {
    return id === NONE ? undefined : this.all[id];
  }
}
const MAX_SHARED = 65_536;
const MAX_SHARED_CHARS = 1024;
/** A pack string not looked up yet (packNumbers). */
const UNSEEN = -2;

/** A pack's strings as numbers of a table (QualifyingTable.packNumbers). */
export interface PackNumbers {
  string(k: number): number;
  detail(k: number): number;
}

/** What add() takes for a row. */
export interface QualifyingRow {
  ip: string;
  role: QualifyingRole;
  /** Bit i: rule i's qualifying test held for the event. */
  rules: number;
  ms: number;
  ns: number;
  /** Where the record stands in the input (Correlator.add's `order`, then `index`). */
  order: number | undefined;
  index: number;
  user: string | undefined;
  app: string | undefined;
  client: string | undefined;
  userAgent: string | undefined;
  category: string | undefined;
  action: string | undefined;
  dataset: string;
  id: string | undefined;
  detail: EventDetail | undefined;
}

const TEXT = ['user', 'app', 'client', 'userAgent', 'category', 'action', 'dataset'] as const;
type TextColumn = (typeof TEXT)[number];

/** Rows, growing by doubling. A row number stays the row's for the table's life (rows are overwritten, never moved). */
export class QualifyingTable {
  private size = 0;
  private capacity = 0;
  private ms = new Float64Array(0);
  private ns = new Int32Array(0);
  /** NaN: no order given. */
  private order = new Float64Array(0);
  // (A row's place in its pack or piece: under 2^31.)
  private index = new Int32Array(0);
  private rules = new Int32Array(0);
  /** 0 sign-in, 1 mail access. */
  private roles = new Uint8Array(0);
  private ips = new Int32Array(0);
  private detail = new Int32Array(0);
  private readonly text: Record<TextColumn, Int32Array> = {
    user: new Int32Array(0), app: new Int32Array(0), client: new Int32Array(0), userAgent: new Int32Array(0),
    category: new Int32Array(0), action: new Int32Array(0), dataset: new Int32Array(0),
  };
  /** Record ids are mostly distinct (GUIDs): not through `strings`, and indexed (record-ids.ts). */
  readonly ids = new RecordIds();
  private readonly strings = new Values<string>((s) => s);
  private readonly details = new Values<EventDetail>((d) => JSON.stringify(d));

  /** One copy of a string the correlator keeps elsewhere too (an IP, an alert's signature). */
  shared(s: string | undefined): string | undefined {
    return s === undefined ? s : this.strings.copyOf(s);
  }

  /** Adds a row; its number. */
  add(row: QualifyingRow): number {
    if (this.size === this.capacity) this.grow();
    const r = this.size++;
    this.set(r, row);
    return r;
  }

  /** Writes a row over row `r`. */
  set(r: number, row: QualifyingRow): void {
    this.ms[r] = row.ms;
    this.ns[r] = row.ns;
    this.order[r] = row.order ?? NaN;
    this.index[r] = row.index;
    this.rules[r] = row.rules;
    this.roles[r] = row.role === 'signin' ? 0 : 1;
    this.ips[r] = this.strings.idOf(row.ip);
    this.detail[r] = this.details.idOf(row.detail);
    for (const c of TEXT) this.text[c][r] = this.strings.idOf(row[c]);
    this.ids.set(r, row.id);
  }

  /**
   * Adds row `i` of a pack (qualifying-pack.ts); its number. `strings` and
   * `details` are the pack's own numbers for this table (packNumbers).
   */
  addPacked(p: QualifyingPack, i: number, order: number | undefined, numbers: PackNumbers): number {
    if (this.size === this.capacity) this.grow();
    const r = this.size++;
    this.setPacked(r, p, i, order, numbers);
    return r;
  }

  /** Writes row `i` of a pack over row `r`. */
  setPacked(r: number, p: QualifyingPack, i: number, order: number | undefined, numbers: PackNumbers): void {
    this.ms[r] = p.ms[i]!;
    this.ns[r] = p.ns[i]!;
    this.order[r] = order ?? NaN;
    this.index[r] = i;
    this.rules[r] = p.rules[i]!;
    this.roles[r] = p.role[i]!;
    const at = i * TEXT_COLUMNS.length;
    this.ips[r] = numbers.string(p.text[at + COLUMN.ip]!);
    this.detail[r] = numbers.detail(p.text[at + COLUMN.detail]!);
    for (const c of TEXT) this.text[c][r] = numbers.string(p.text[at + COLUMN[c]]!);
    this.ids.set(r, p.ids[i] ?? undefined);
  }

  /**
   * The table's numbers for a pack's strings, each looked up once (a pack's
   * rows repeat a few users, apps and details many times).
   */
  packNumbers(p: QualifyingPack): PackNumbers {
    const strings = new Int32Array(p.strings.length).fill(UNSEEN);
    const details = new Int32Array(p.strings.length).fill(UNSEEN);
    return {
      string: (k) => {
        if (k === NO_TEXT) return NONE;
        let v = strings[k]!;
        if (v === UNSEEN) v = strings[k] = this.strings.idOf(p.strings[k]!);
        return v;
      },
      detail: (k) => {
        if (k === NO_TEXT) return NONE;
        let v = details[k]!;
        if (v === UNSEEN) {
          const json = p.strings[k]!;
          v = details[k] = this.details.idOfKey(json, () => JSON.parse(json) as EventDetail);
        }
        return v;
      },
    };
  }

  // By half, not double: at 5M records with half the sign-ins from alerted IPs the
  // columns are a hunt's biggest buffers, grown while its memory nears its high
  // point, and the old columns live on while the new are filled.
  private grow(): void {
    const n = Math.max(1024, Math.ceil(this.capacity * 1.5));
    const to = <A extends Float64Array | Int32Array | Uint8Array>(a: A, make: (n: number) => A): A => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.ms = to(this.ms, (k) => new Float64Array(k));
    this.ns = to(this.ns, (k) => new Int32Array(k));
    this.order = to(this.order, (k) => new Float64Array(k));
    this.index = to(this.index, (k) => new Int32Array(k));
    this.rules = to(this.rules, (k) => new Int32Array(k));
    this.roles = to(this.roles, (k) => new Uint8Array(k));
    this.ips = to(this.ips, (k) => new Int32Array(k));
    this.detail = to(this.detail, (k) => new Int32Array(k));
    for (const c of TEXT) this.text[c] = to(this.text[c], (k) => new Int32Array(k));
    this.ids.grow(n);
    this.capacity = n;
  }

  msOf(r: number): number { return this.ms[r]!; }
  nsOf(r: number): number { return this.ns[r]!; }
  orderOf(r: number): number | undefined {
    const o = this.order[r]!;
    return Number.isNaN(o) ? undefined : o;
  }
  indexOf(r: number): number { return this.index[r]!; }
  rulesOf(r: number): number { return this.rules[r]!; }
  roleOf(r: number): QualifyingRole { return this.roles[r] === 0 ? 'signin' : 'mail_access'; }
  ipOf(r: number): string { return this.strings.at(this.ips[r]!)!; }
  idOf(r: number): string | undefined { return this.ids.get(r); }
  detailOf(r: number): EventDetail | undefined { return this.details.at(this.detail[r]!); }
  textOf(r: number, c: TextColumn): string | undefined { return this.strings.at(this.text[c][r]!); }
  /** Is row `r` of this IP and role? (Without making the IP's string.) */
  is(r: number, ip: string, role: QualifyingRole): boolean {
    return this.roles[r] === (role === 'signin' ? 0 : 1) && this.ipOf(r) === ip;
  }
}
