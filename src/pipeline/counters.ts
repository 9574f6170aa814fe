// The same counters everywhere: what each source read, what each decoder took,
// what was rejected and why (with a few samples naming file:line). The hunt
// summary, later /metrics, and the tests all read these.
import type { Role } from '../model/event.js';
import type { RecordOrigin } from '../decoders/types.js';

export interface SourceCounter {
  format: string;
  bytes: number;
  records: number;
  rejected: number;
  /** Records the fast first pass did not parse (no network-alert marker); see alert-markers.ts. */
  unparsed: number;
  /** Records per decoder that took them. */
  byDecoder: Record<string, number>;
}

export interface RejectSample {
  /** Where it came from (formatOrigin shows it as file:line). */
  origin: RecordOrigin;
  reason: string;
  message: string;
}

const MAX_REJECT_SAMPLES = 10;
/**
 * Distinct kinds of non-alert records kept by name (a kind comes from the record,
 * so a sender could invent any number); the rest are counted under one name.
 */
const MAX_OTHER_KINDS = 64;

export interface CountersData {
  sources: Array<[string, SourceCounter]>;
  decoders: Array<[string, { received: number; emitted: number; rejected: number }]>;
  rejects: Array<[string, number]>;
  rejectSamples: RejectSample[];
  roles: Record<Role, number>;
  others: Array<[string, number]>;
  future: number;
  futureSample: { origin: RecordOrigin; at: string } | null;
}

export class Counters {
  readonly sources = new Map<string, SourceCounter>();
  readonly decoders = new Map<string, { received: number; emitted: number; rejected: number }>();
  readonly rejects = new Map<string, number>();
  readonly rejectSamples: RejectSample[] = [];
  readonly roles: Record<Role, number> = { network_alert: 0, signin: 0, mail_access: 0, other: 0 };
  /**
   * Records that are neither network alerts nor qualifying events, by "decoder kind"
   * (a PAN-OS TRAFFIC entry, a Suricata flow, a FortiGate event log): read and counted,
   * never correlated, and not errors.
   */
  readonly others = new Map<string, number>();
  /** Records dated after the time of reading (plus the skew): they date nothing else. */
  future = 0;
  /** The first of them, for the warning. */
  futureSample: { origin: RecordOrigin; at: string } | null = null;

  source(name: string): SourceCounter {
    let s = this.sources.get(name);
    if (!s) {
      s = { format: 'unknown', bytes: 0, records: 0, rejected: 0, unparsed: 0, byDecoder: {} };
      this.sources.set(name, s);
    }
    return s;
  }

  /** A record dated after the time of reading: counted, and the first one kept for the warning. */
  futureRecord(origin: RecordOrigin, at: string): void {
    this.future++;
    this.futureSample ??= { origin, at };
  }

  /** `kind`: for a record of role 'other', what it is (its crosswatch.category). */
  decoded(source: string, decoder: string, role: Role, kind?: string): void {
    const s = this.source(source);
    s.records++;
    s.byDecoder[decoder] = (s.byDecoder[decoder] ?? 0) + 1;
    const d = this.decoder(decoder);
    d.received++;
    d.emitted++;
    this.roles[role]++;
    if (role === 'other') this.countOther(`${decoder} ${kind ?? 'unknown'}`, 1);
  }

  private countOther(key: string, n: number): void {
    const known = this.others.get(key);
    if (known !== undefined) this.others.set(key, known + n);
    else if (this.others.size < MAX_OTHER_KINDS) this.others.set(key, n);
    else this.others.set('(other kinds)', (this.others.get('(other kinds)') ?? 0) + n);
  }

  /** A record counted without being parsed (fast first pass). */
  unparsedRecord(source: string): void {
    this.unparsedRecords(source, 1);
  }

  unparsedRecords(source: string, n: number): void {
    const s = this.source(source);
    s.records += n;
    s.unparsed += n;
  }

  get totalUnparsed(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.unparsed;
    return n;
  }

  rejected(origin: RecordOrigin, decoder: string | null, reason: string, message: string): void {
    const s = this.source(origin.source);
    s.records++;
    s.rejected++;
    if (decoder) {
      const d = this.decoder(decoder);
      d.received++;
      d.rejected++;
    }
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1);
    if (this.rejectSamples.length < MAX_REJECT_SAMPLES) {
      this.rejectSamples.push({ origin, reason, message });
    }
  }

  /**
   * A file-level problem (binary, empty, damaged compression): counted by reason, not as
   * a record, and always shown (one a file at most, so not capped like record samples).
   */
  fileProblem(origin: RecordOrigin, reason: string, message: string): void {
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1);
    this.rejectSamples.push({ origin, reason, message });
  }

  get totalRecords(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.records;
    return n;
  }

  get totalRejected(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.rejected;
    return n;
  }

  /** A plain copy, for sending between threads. */
  toData(): CountersData {
    return {
      sources: [...this.sources],
      decoders: [...this.decoders],
      rejects: [...this.rejects],
      rejectSamples: this.rejectSamples,
      roles: this.roles,
      others: [...this.others],
      future: this.future,
      futureSample: this.futureSample,
    };
  }

  /**
   * Adds another instance's counts (a worker's, for one file) to these. `lineShift`:
   * those counts are of a range of a file whose lines were numbered from the range's
   * start; this many lines came before it.
   */
  merge(d: CountersData, lineShift = 0): void {
    for (const [name, s] of d.sources) {
      const t = this.source(name);
      if (s.format !== 'unknown') t.format = s.format;
      t.bytes += s.bytes;
      t.records += s.records;
      t.rejected += s.rejected;
      t.unparsed += s.unparsed;
      for (const [k, n] of Object.entries(s.byDecoder)) t.byDecoder[k] = (t.byDecoder[k] ?? 0) + n;
    }
    for (const [name, c] of d.decoders) {
      const t = this.decoder(name);
      t.received += c.received;
      t.emitted += c.emitted;
      t.rejected += c.rejected;
    }
    for (const [k, n] of d.rejects) this.rejects.set(k, (this.rejects.get(k) ?? 0) + n);
    for (const s of d.rejectSamples) {
      // Record samples are capped; file-level ones (line 0) are all kept.
      if (this.rejectSamples.length >= MAX_REJECT_SAMPLES && s.origin.line !== 0) continue;
      // (Line 0 is the file as a whole.)
      this.rejectSamples.push(lineShift !== 0 && s.origin.line > 0 ? { ...s, origin: { ...s.origin, line: s.origin.line + lineShift } } : s);
    }
    for (const r of Object.keys(d.roles) as Role[]) this.roles[r] += d.roles[r];
    for (const [k, n] of d.others) this.countOther(k, n);
    this.future += d.future;
    if (this.futureSample === null && d.futureSample !== null) {
      const o = d.futureSample.origin;
      this.futureSample = lineShift !== 0 ? { ...d.futureSample, origin: { ...o, line: o.line + lineShift } } : d.futureSample;
    }
  }

  private decoder(name: string): { received: number; emitted: number; rejected: number } {
    let d = this.decoders.get(name);
    if (!d) {
      d = { received: 0, emitted: 0, rejected: 0 };
      this.decoders.set(name, d);
    }
    return d;
  }
}
