// The same counters everywhere: what each source read, what each decoder took,
// what was rejected and why (with a few samples naming file:line). The hunt
// summary, later /metrics, and the tests all read these.
import type { Role } from '../events/event.js';
import type { RecordOrigin } from '../decoders/types.js';
import { formatOrigin } from '../decoders/types.js';

export interface SourceCounter {
  format: string;
  bytes: number;
  records: number;
  rejected: number;
  /** Records per decoder that took them. */
  byDecoder: Record<string, number>;
}

export interface RejectSample {
  where: string;
  reason: string;
  message: string;
}

const MAX_REJECT_SAMPLES = 10;

export class Counters {
  readonly sources = new Map<string, SourceCounter>();
  readonly decoders = new Map<string, { received: number; emitted: number; rejected: number }>();
  readonly rejects = new Map<string, number>();
  readonly rejectSamples: RejectSample[] = [];
  readonly roles: Record<Role, number> = { network_alert: 0, signin: 0, mail_access: 0, other: 0 };

  source(name: string): SourceCounter {
    let s = this.sources.get(name);
    if (!s) {
      s = { format: 'unknown', bytes: 0, records: 0, rejected: 0, byDecoder: {} };
      this.sources.set(name, s);
    }
    return s;
  }

  decoded(source: string, decoder: string, role: Role): void {
    const s = this.source(source);
    s.records++;
    s.byDecoder[decoder] = (s.byDecoder[decoder] ?? 0) + 1;
    const d = this.decoder(decoder);
    d.received++;
    d.emitted++;
    this.roles[role]++;
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
      this.rejectSamples.push({ where: formatOrigin(origin), reason, message });
    }
  }

  /** A file-level problem (binary, empty): counted by reason, not as a record. */
  fileProblem(origin: RecordOrigin, reason: string, message: string): void {
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1);
    if (this.rejectSamples.length < MAX_REJECT_SAMPLES) {
      this.rejectSamples.push({ where: formatOrigin(origin), reason, message });
    }
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

  private decoder(name: string): { received: number; emitted: number; rejected: number } {
    let d = this.decoders.get(name);
    if (!d) {
      d = { received: 0, emitted: 0, rejected: 0 };
      this.decoders.set(name, d);
    }
    return d;
  }
}
