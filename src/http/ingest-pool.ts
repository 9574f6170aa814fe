// The ingest workers: HTTP bodies are framed and decoded on worker_threads
// (ingest-worker.ts), one body per worker at a time, the rest queued: small
// bodies ahead of large ones (so a few records are not stuck behind 10 MB
// batches), large ones in arrival order, and none waits more than a second
// while small ones pass. A worker that dies fails its body's request and is
// replaced.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/worker.js';
import type { BodyError, BodyTask, DecodedBatch } from '../stream/stream-decode.js';
import type { IngestReply, IngestTask } from './ingest-worker.js';

/** A decoded body, and its buffer back (null when it could not come back, e.g. the worker died). */
export interface Decoded { result: DecodedBatch | BodyError; body: ArrayBuffer | null }

type Pending = { task: IngestTask; transfer: ArrayBuffer[]; queuedAt: number; resolve(v: Decoded): void; reject(e: Error): void };

/** Bodies up to this size go ahead of the large ones (a probe, a small shipper, a syslog relay). */
const SMALL_BODY = 256 * 1024;
/** A large body that has waited this long goes next all the same. */
const MAX_WAIT_MS = 1000;

export class IngestPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly small: Pending[] = [];
  private readonly large: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    // A young generation much larger than V8's default (semi-spaces of 48 MB, not 16):
    // framing hands over records parsed 512 at a time, and with small semi-spaces
    // each batch lives through two scavenges and is promoted, so the old generation
    // fills with garbage. Measured: half the decode time per record.
    const resourceLimits = { maxYoungGenerationSizeMb: 144 };
    const w = startWorker(import.meta.url, 'ingest-worker', { resourceLimits });
    w.on('message', (m: IngestReply) => {
      const p = this.busy.get(w);
      if (!p || p.task.id !== m.id) return;
      this.busy.delete(w);
      if ('error' in m) {
        const err = new Error(m.error.message);
        if (m.error.stack) err.stack = m.error.stack;
        p.reject(err);
      } else {
        p.resolve({ result: m.result, body: m.body });
      }
      this.idle.push(w);
      this.dispatch();
    });
    let dead = false;
    const fail = (err: Error): void => {
      // 'error' is followed by 'exit': one replacement.
      if (dead) return;
      dead = true;
      const p = this.busy.get(w);
      this.busy.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      p?.reject(err);
      if (!this.closed) {
        this.idle.push(this.spawn());
        this.dispatch();
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!this.closed) fail(new Error(`ingest worker exited with code ${code}`));
    });
    return w;
  }

  /**
   * Decodes one body on a worker. The body's whole buffer moves to the worker
   * (unusable here until it comes back with the result), so it must be the
   * body's own, not a slice of a shared one.
   */
  decode(t: BodyTask): Promise<Decoded> {
    if (this.closed) return Promise.reject(new Error('ingest pool closed'));
    let body = t.body;
    if (!(body.buffer instanceof ArrayBuffer)) body = new Uint8Array(body);
    const task: IngestTask = { ...t, body, id: this.nextId++ };
    return new Promise((resolve, reject) => {
      const p: Pending = { task, transfer: [body.buffer as ArrayBuffer], queuedAt: performance.now(), resolve, reject };
      (body.byteLength <= SMALL_BODY ? this.small : this.large).push(p);
      this.dispatch();
    });
  }

  /** Bodies waiting for a worker. */
  get queued(): number {
    return this.small.length + this.large.length;
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queued > 0) {
      const w = this.idle.pop()!;
      const overdue = this.large.length > 0 && performance.now() - this.large[0]!.queuedAt > MAX_WAIT_MS;
      const p = (overdue || this.small.length === 0 ? this.large : this.small).shift()!;
      this.busy.set(w, p);
      w.postMessage(p.task, p.transfer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of [...this.small.splice(0), ...this.large.splice(0)]) p.reject(new Error('ingest pool closed'));
    const all = [...this.idle, ...this.busy.keys()];
    await Promise.all(all.map((w) => w.terminate()));
  }
}
