// The decode half of the service's ingest: framed records → decoders → the rows
// the store keeps, with the counters and reject reports of the batch. Pure (no
// store, no correlator), so it runs the same on the main thread (tailed files,
// syslog) and on the ingest workers (HTTP bodies, src/http/ingest-worker.ts);
// its result is made of plain values and typed arrays, cheap to send between
// threads.
import { gunzipSync } from 'node:zlib';
import type { DecodeContext, RawRecord } from '../decoders/types.js';
import { formatOrigin } from '../decoders/types.js';
import type { NormalizedEvent, Role } from '../model/event.js';
import { RowBuilder, type DecodedRows } from '../store/rows.js';
import { frameBuffer, type FramedItem } from '../inputs/framing.js';

export { DEFAULT_FUTURE_SKEW_MS };
import { DEFAULT_FUTURE_SKEW_MS } from '../model/time.js';
import { Counters, type CountersData } from '../pipeline/counters.js';
import { decodeFramed, decodeOne, type FramedVisitor } from '../pipeline/decode.js';
import { servedFromSpec, type GeneralRow, type GeneralSpec, type ServedGeneral } from './general-stream.js';

export const MAX_ERRORS_REPORTED = 10;

/** What decoding one batch gives: rows to store, and what to report and count. */
export interface DecodedBatch {
  accepted: number;
  rejected: number;
  /** The first few rejects, with their place. */
  errors: Array<{ where: string; reason: string; message: string }>;
  counters: CountersData;
  rows: DecodedRows;
  /** The records the general Sigma rules serve runs take (general-stream.ts); absent when it runs none. */
  general?: GeneralRow[];
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
  private readonly text: Array<{ item: RawRecord; at: number }> = [];
  /** In finish(): the deferred text records are being decoded. */
  private finishing = false;
  private latest = Number.NEGATIVE_INFINITY;
  /** Records dated past this (arrival plus the skew) do not date the batch's year-less text stamps. */
  private readonly timeLimit = Date.now() + DEFAULT_FUTURE_SKEW_MS;
  private position = 0;
  private readonly general: GeneralRow[] = [];

  /** `served`: the general rules serve runs, whose records are kept whole (general-stream.ts). */
  constructor(private readonly ctx: DecodeContext, private readonly watermarkMs: number, private readonly source?: string, private readonly served?: ServedGeneral | null) {}

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

  /** What this path keeps of each framed item: rows to store, reject reports in input order; text records wait for finish(). */
  private readonly visitor: FramedVisitor = {
    problem: (item, at) => {
      if (item.reason === 'empty-file') return;
      this.counters.rejected(item.origin, null, item.reason, item.message);
      this.note(at, formatOrigin(item.origin), item.reason, item.message);
    },
    before: (item, at) => {
      if (item.kind !== 'text' || this.finishing) return true;
      this.text.push({ item, at });
      return false;
    },
    decoded: ({ result }, item, at) => {
      if (!result.ok) {
        this.note(at, formatOrigin(item.origin), result.error.reason, result.error.message);
        return;
      }
      const ev = result.event.event;
      if (item.kind !== 'text' && result.event.at.ms > this.latest && result.event.at.ms <= this.timeLimit) this.latest = result.event.at.ms;
      this.accepted++;
      if (correlatable(ev)) this.rows.add(result.event, at);
      if (this.served) {
        const g = this.served.row(result.event);
        if (g) this.general.push(g);
      }
    },
  };

  push(items: FramedItem[]): void {
    decodeFramed(items, { ctx: this.ctx, counters: { counters: this.counters } }, this.visitor, this.position);
    this.position += items.length;
  }

  finish(): DecodedBatch {
    if (this.text.length > 0) {
      // Dated records first: year-less text stamps take their year from the data's
      // own time — this batch's when it has dated records (one export replayed),
      // else the watermark — never from the wall clock.
      const latest = Number.isFinite(this.latest) ? this.latest : this.watermarkMs;
      const textCtx = Number.isFinite(latest) ? { ...this.ctx, reference: { ms: latest, ns: 0 } } : this.ctx;
      this.finishing = true;
      for (const { item, at } of this.text) decodeOne(item, { ctx: textCtx, counters: { counters: this.counters } }, this.visitor, at);
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
      ...(this.served ? { general: this.general } : {}),
    };
  }
}

/** Decodes one batch of framed records at once (see BatchDecoder). */
export function decodeBatch(items: FramedItem[], ctx: DecodeContext, watermarkMs: number, source?: string, served?: ServedGeneral | null): DecodedBatch {
  const d = new BatchDecoder(ctx, watermarkMs, source, served);
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
  /** The general Sigma rules serve runs, as texts (a worker compiles them once); absent when none. */
  general?: GeneralSpec;
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
  const d = new BatchDecoder(t.decode, t.watermarkMs, t.source, t.general ? servedFromSpec(t.general) : null);
  for await (const batch of frameBuffer(body, t.display)) d.push(batch);
  return d.finish();
}
