// A small pool of decode workers (worker_threads), one per core, the main thread
// being one of them (it has nothing else to do during a hunt, and every isolate
// costs memory): tasks go to whichever is free; progress and errors come back
// by task id.
//
// The main thread hears from the workers only between its own stretches of work
// (and takes a while to read a big result), so a worker that waited for its next
// task after each one sat idle for that long (~150 ms of a 1M-record hunt). So a
// worker is sent its next task while it still works on one, as long as plenty are
// queued, and says it is ready before it sends its result.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/worker.js';
import { UnreadableInput } from '../inputs/inputs.js';
import { runTask, type RunnerState, type WorkerReply, type WorkerTask } from './decode-worker.js';

const YOUNG_GENERATION_MB = 24; // about the main thread's (semi-spaces of 8 MB), see bin/crosswatch.js

type Pending = { resolve(v: unknown): void; reject(e: Error): void; onProgress?: (n: number) => void; ready?: () => void };
type TaskBody = WorkerTask extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

/** The main thread's slot in the pool. */
const MAIN = 'main';
/**
 * A worker is sent a second task only while at least this many are queued: near
 * the end, one queued behind another on a worker could leave the main thread idle.
 */
const AHEAD_MIN_QUEUED = 3;

export class DecodePool {
  private readonly workers: Worker[] = [];
  /** Tasks sent to each worker and not yet done (at most 2). */
  private readonly sent = new Map<Worker, number>();
  private mainBusy = false;
  private readonly mainState: RunnerState = { alerted: new Set() };
  private readonly queue: Array<{ task: WorkerTask; pending: Pending }> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `size` threads in all: the main thread and size - 1 workers. */
  constructor(size: number) {
    for (let i = 1; i < size; i++) {
      // A small young generation: what a worker allocates dies young (records it parsed), and
      // V8's default semi-spaces would hold tens of MB per worker for nothing.
      const options = { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB }, workerData: { decodeWorker: true } };
      const w = startWorker(import.meta.url, 'decode-worker', options);
      w.on('message', (m: WorkerReply) => this.reply(w, m));
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
      this.sent.set(w, 0);
    }
  }

  get size(): number {
    return this.workers.length + 1;
  }

  run<T>(body: TaskBody, onProgress?: (n: number) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task = { ...body, id: this.nextId++ } as WorkerTask;
      this.queue.push({ task, pending: { resolve: resolve as (v: unknown) => void, reject, ...(onProgress ? { onProgress } : {}) } });
      this.dispatch();
    });
  }

  /** Sends the same task to every worker (shared state such as the alerted IPs). */
  async broadcast(body: TaskBody): Promise<void> {
    await runTask({ ...body, id: 0 } as WorkerTask, this.mainState, () => {});
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: () => resolve(), reject });
      w.postMessage({ ...body, id });
    })));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /**
   * Where the next task goes: the main thread first when it is free (the first,
   * biggest task goes to the thread that is ready now, not to a worker still
   * starting), then a worker with nothing to do, then one task ahead to a busy one.
   */
  private nextThread(): Worker | typeof MAIN | null {
    if (!this.mainBusy) return MAIN;
    let ahead: Worker | null = null;
    for (const w of this.workers) {
      const n = this.sent.get(w)!;
      if (n === 0) return w;
      if (n === 1 && this.queue.length >= AHEAD_MIN_QUEUED) ahead ??= w;
    }
    return ahead;
  }

  private dispatch(): void {
    for (let w = this.nextThread(); w && this.queue.length > 0; w = this.nextThread()) {
      const { task, pending } = this.queue.shift()!;
      if (w === MAIN) {
        this.mainBusy = true;
        const free = (): void => {
          this.mainBusy = false;
          this.dispatch();
        };
        // Started on a later turn, so the caller can queue the rest first and the workers get theirs.
        setImmediate(() => runTask(task, this.mainState, (n) => pending.onProgress?.(n)).then(
          (v) => { free(); pending.resolve(v); },
          (e: Error) => { free(); pending.reject(e); },
        ));
        continue;
      }
      const worker = w;
      this.sent.set(worker, this.sent.get(worker)! + 1);
      let freed = false;
      const ready = (): void => {
        if (freed) return;
        freed = true;
        this.sent.set(worker, this.sent.get(worker)! - 1);
        this.dispatch();
      };
      this.pending.set(task.id, {
        ...pending,
        ready,
        resolve: (v) => { ready(); pending.resolve(v); },
        reject: (e) => { ready(); pending.reject(e); },
      });
      worker.postMessage(task);
    }
  }

  private reply(_w: Worker, m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if ('ready' in m) {
      p.ready?.();
      return;
    }
    if ('progress' in m) {
      p.onProgress?.(m.progress);
      return;
    }
    this.pending.delete(m.id);
    if ('error' in m) {
      const err = m.error.unreadable !== undefined ? new UnreadableInput(m.error.unreadable, m.error.message.replace(/^cannot read [^:]*: /, '')) : new Error(m.error.message);
      if (m.error.stack && !(err instanceof UnreadableInput)) err.stack = m.error.stack;
      p.reject(err);
    } else {
      p.resolve(m.result);
    }
  }
}
