// The ingest workers: HTTP bodies are framed and decoded on worker_threads
// (ingest-worker.ts) by the runtime pool (runtime/pool.ts), one body per worker
// at a time, the rest queued: small bodies ahead of large ones (so a few records
// are not stuck behind 10 MB batches), large ones in arrival order, and none
// waits more than a second while small ones pass. A worker that dies fails its
// body's request and is replaced.
import { setFlagsFromString } from 'node:v8';
import { startWorker } from '../runtime/worker.js';
import { WorkerPool, type QueuedTask } from '../runtime/pool.js';
import type { BodyTask } from '../stream/stream-decode.js';
import type { IngestResult } from './ingest-worker.js';

/** A decoded body, and its buffer back (null when it could not come back, e.g. the worker died). */
export interface Decoded { result: IngestResult['result']; body: ArrayBuffer | null }

/** Bodies up to this size go ahead of the large ones (a probe, a small shipper, a syslog relay). */
const SMALL_BODY = 256 * 1024;
/** A large body that has waited this long goes next all the same. */
const MAX_WAIT_MS = 1000;

/**
 * The workers' young generation: 48 MB (semi-spaces of 16 MB). Records parsed
 * and not yet decoded survive the scavenges that find them, so how many wait at
 * once (framing's batch) and this size trade memory for GC work. With batches
 * of 512, 2-minute soaks of 2,000-record bodies (bench/serve-load.ts) gave 24 MB
 * 38.9k records/s, 48 MB 41.9k, 144 MB 45.9k at 628-722 MB. With batches of 64
 * (2026-12-06): 24 MB 48.6k records/s, RSS 398-407 MB (max 459); 36 MB 51.7k,
 * 417-424 (max 467); 48 MB 50.2-52.0k, 398-438 (max 482). But over 10 minutes
 * 36 MB gave 48.3k records/s at 367 / 467 / 448 MB (start, half, end; max 521)
 * and 48 MB 51.2k at 414 / 467 / 443 (max 527): the young generation is not what
 * the long run's memory is made of.
 * It needs the process's semi-space flag lifted: the entry point's
 * --max-semi-space-size=4 (set for hunt, bin/crosswatch.js) overrides a
 * worker's resourceLimits (it left serve's workers at 24 MB when it was 8).
 */
const YOUNG_GENERATION_MB = 48;

/** Small bodies first, unless the oldest large one is overdue. */
function smallFirst(queue: readonly QueuedTask<BodyTask>[]): number {
  const large = queue.findIndex((q) => q.size > SMALL_BODY);
  if (large >= 0 && performance.now() - queue[large]!.queuedAt > MAX_WAIT_MS) return large;
  const small = queue.findIndex((q) => q.size <= SMALL_BODY);
  return small >= 0 ? small : 0;
}

export class IngestPool {
  private readonly pool: WorkerPool<BodyTask, IngestResult>;

  constructor(readonly size: number) {
    // (Read as each isolate is made: the process's own heap keeps its size.)
    setFlagsFromString(`--max-semi-space-size=${YOUNG_GENERATION_MB / 3}`);
    this.pool = new WorkerPool<BodyTask, IngestResult>({
      name: 'ingest',
      workers: size,
      start: () => startWorker(import.meta.url, 'ingest-worker', { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } }),
      pick: smallFirst,
    });
  }

  /**
   * Decodes one body on a worker. The body's whole buffer moves to the worker
   * (unusable here until it comes back with the result), so it must be the
   * body's own, not a slice of a shared one.
   */
  async decode(t: BodyTask): Promise<Decoded> {
    let body = t.body;
    if (!(body.buffer instanceof ArrayBuffer)) body = new Uint8Array(body);
    const r = await this.pool.run({ ...t, body }, { size: body.byteLength, transfer: [body.buffer as ArrayBuffer] });
    return { result: r.result, body: r.body };
  }

  /** Bodies waiting for a worker. */
  get queued(): number {
    return this.pool.queued;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
