// The one worker pool of crosswatch (hunt's decode threads, serve's ingest
// workers): tasks queue here and go to a free worker thread — or to this
// thread, when the pool is given a local runner (a hunt's main thread has
// nothing else to do) — and their progress, results and errors come back by
// task id. What differs between hunt and serve is policy, given as options:
// which queued task goes next (`pick`, or `affinity`: hunt keeps each kind of
// record to one thread), and whether a busy worker is sent its next task ahead
// (`aheadMinQueued`). A worker that dies fails its own tasks
// and is replaced, so one bad body or file never takes the pool down.
// The worker side of the protocol is answerTasks (task-worker.ts).
import type { Worker } from 'node:worker_threads';

/** What a worker sends back about a task. */
export type PoolReply<R> =
  | { id: number; progress: number }
  /** Sent before a big result: the pool may send the worker its next task while it reads this one. */
  | { id: number; ready: true }
  | { id: number; result: R }
  | { id: number; error: SerializedError };

/** An error as it crosses threads (extra fields let the pool rebuild the right class). */
export interface SerializedError {
  message: string;
  stack?: string;
  [extra: string]: unknown;
}

/** A task waiting for a thread, as a `pick` policy sees it. */
export interface QueuedTask<T> {
  task: T;
  /** The task's weight for scheduling (serve: the body's bytes); 0 when not given. */
  size: number;
  /** performance.now() when queued. */
  queuedAt: number;
  /** Tasks with the same key are best run by the same thread (PoolOptions.affinity). */
  affinity?: string;
}

export interface PoolOptions<T, R> {
  /** Worker threads to start. */
  workers: number;
  /** Starts one worker (runtime/worker.ts startWorker, with the pool's resource limits). */
  start(): Worker;
  /** Runs a task on this thread when it is free, beside the workers (hunt); none: workers only. */
  local?: (task: T & { id: number }, progress: (n: number) => void) => Promise<R>;
  /** The index of the queued task to send next (default: the oldest). */
  pick?: (queue: readonly QueuedTask<T>[]) => number;
  /**
   * Instead of `pick`: a thread takes the oldest queued task whose affinity key
   * it ran first, else one of a key no thread has run yet (it then owns that key),
   * else the oldest. Each thread's code warms up on its own (V8 optimizes per
   * isolate), so one kind of record kept to one thread is code made fast once,
   * not once per thread; the queue still drains whatever the keys, so the
   * threads finish together as before.
   */
  affinity?: boolean;
  /** A busy worker is sent one more task while at least this many wait, and a second while twice as many do (default: never). */
  aheadMinQueued?: number;
  /** An error from a worker, as the caller throws it (default: an Error with its message and stack). */
  error?: (e: SerializedError) => Error;
  /** What to call a worker that died, in the error its tasks fail with. */
  name?: string;
}

interface Job<T, R> extends QueuedTask<T> {
  transfer: ArrayBuffer[];
  resolve(v: R): void;
  reject(e: Error): void;
  onProgress: ((n: number) => void) | undefined;
}

interface Slot<T, R> {
  worker: Worker;
  /** Tasks sent and not yet ready (at most 3). */
  inFlight: Map<number, Job<T, R>>;
  /** Of those, the ones that said ready but have not answered yet. */
  readied: Set<number>;
  dead: boolean;
}

export class WorkerPool<T extends object, R> {
  private readonly slots: Slot<T, R>[] = [];
  private readonly queue: Job<T, R>[] = [];
  private localBusy = false;
  /** Affinity key → the thread that ran its first task. */
  private readonly owners = new Map<string, Slot<T, R> | 'local'>();
  private dispatchSoon = false;
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: PoolOptions<T, R>) {
    for (let i = 0; i < opts.workers; i++) this.slots.push(this.spawn());
  }

  /** Threads that run tasks: the workers, and this one with a local runner. */
  get size(): number {
    return this.slots.length + (this.opts.local ? 1 : 0);
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Queues a task. `transfer`: buffers that move to the worker with it
   * (unusable here until a result brings them back).
   */
  run(task: T, options: { size?: number; transfer?: ArrayBuffer[]; onProgress?: (n: number) => void; affinity?: string } = {}): Promise<R> {
    if (this.closed) return Promise.reject(new Error(`${this.opts.name ?? 'worker'} pool closed`));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({
        task, size: options.size ?? 0, queuedAt: performance.now(), transfer: options.transfer ?? [], resolve, reject, onProgress: options.onProgress,
        ...(options.affinity === undefined ? {} : { affinity: options.affinity }),
      });
      if (!this.opts.affinity) this.dispatch();
      else if (!this.dispatchSoon) {
        // Tasks queued in one go are all seen before any is given out, so that a
        // thread can be given the kind it runs, not whatever was queued first.
        this.dispatchSoon = true;
        queueMicrotask(() => {
          this.dispatchSoon = false;
          this.dispatch();
        });
      }
    });
  }

  /** Sends the same task to every thread now, ahead of the queue (shared state, such as hunt's alerted IPs). */
  async broadcast(task: T): Promise<void> {
    if (this.opts.local) await this.opts.local({ ...task, id: 0 }, () => {});
    await Promise.all(this.slots.map((slot) => new Promise<void>((resolve, reject) => {
      const job: Job<T, R> = { task, size: 0, queuedAt: 0, transfer: [], resolve: () => resolve(), reject, onProgress: undefined };
      this.send(slot, job);
    })));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error(`${this.opts.name ?? 'worker'} pool closed`));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot<T, R> {
    const slot: Slot<T, R> = { worker: this.opts.start(), inFlight: new Map(), readied: new Set(), dead: false };
    slot.worker.on('message', (m: PoolReply<R>) => this.reply(slot, m));
    const fail = (err: Error): void => {
      // 'error' is followed by 'exit': one replacement.
      if (slot.dead) return;
      slot.dead = true;
      for (const job of slot.inFlight.values()) job.reject(err);
      slot.inFlight.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.slots[i] = this.spawn();
        this.dispatch();
      }
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`${this.opts.name ?? 'worker'} thread exited with code ${code}`));
    });
    return slot;
  }

  private send(slot: Slot<T, R>, job: Job<T, R>): void {
    const id = this.nextId++;
    slot.inFlight.set(id, job);
    slot.worker.postMessage({ ...job.task, id }, job.transfer);
  }

  /** Tasks a worker holds that it has not said ready for. */
  private load(slot: Slot<T, R>): number {
    return slot.inFlight.size - slot.readied.size;
  }

  /**
   * Where the next task goes: this thread first when it is free (the first,
   * biggest task goes to the thread that is ready now, not to a worker still
   * starting), then a worker with nothing to do, then one ahead to a busy one.
   */
  private nextThread(): Slot<T, R> | 'local' | null {
    if (this.opts.local && !this.localBusy) return 'local';
    let ahead: Slot<T, R> | null = null;
    const aheadMin = this.opts.aheadMinQueued ?? Infinity;
    for (const s of this.slots) {
      if (s.dead) continue;
      const n = this.load(s);
      if (n === 0) return s;
      // Two ahead when many wait: a worker of short tasks ran through the one it had while
      // this thread was inside a long task of its own, deaf to its "ready" (gaps of ~20 ms
      // in a hunt's sample of 4 MB pieces); near a pass's end, one, so none waits long behind another.
      if ((n === 1 && this.queue.length >= aheadMin) || (n === 2 && this.queue.length >= 2 * aheadMin)) ahead ??= s;
    }
    return ahead;
  }

  private dispatch(): void {
    for (let to = this.nextThread(); to && this.queue.length > 0; to = this.nextThread()) {
      const i = this.opts.affinity ? this.affine(to) : this.opts.pick ? this.opts.pick(this.queue) : 0;
      const job = this.queue.splice(i, 1)[0]!;
      if (to !== 'local') {
        this.send(to, job);
        continue;
      }
      this.localBusy = true;
      const free = (): void => {
        this.localBusy = false;
        this.dispatch();
      };
      const local = this.opts.local!;
      // Started on a later turn, so the caller can queue the rest first and the workers get theirs.
      setImmediate(() => local({ ...job.task, id: 0 }, (n) => job.onProgress?.(n)).then(
        (v) => { free(); job.resolve(v); },
        (e: Error) => { free(); job.reject(e); },
      ));
    }
  }

  /** The index of the queued task `to` takes under affinity (see PoolOptions.affinity). */
  private affine(to: Slot<T, R> | 'local'): number {
    return affineIndex(this.queue, this.owners, to, (t) => t === 'local' || !t.dead);
  }

  private reply(slot: Slot<T, R>, m: PoolReply<R>): void {
    const job = slot.inFlight.get(m.id);
    if (!job) return;
    if ('progress' in m) {
      job.onProgress?.(m.progress);
      return;
    }
    if ('ready' in m) {
      slot.readied.add(m.id);
      this.dispatch();
      return;
    }
    slot.inFlight.delete(m.id);
    slot.readied.delete(m.id);
    if ('error' in m) {
      let err: Error;
      if (this.opts.error) err = this.opts.error(m.error);
      else {
        err = new Error(m.error.message);
        if (m.error.stack) err.stack = m.error.stack;
      }
      job.reject(err);
    } else {
      job.resolve(m.result);
    }
    this.dispatch();
  }
}

/**
 * The index of the queued task thread `to` takes under affinity
 * (PoolOptions.affinity): the oldest of a key it owns, else the oldest of no
 * key or of a key no live thread owns (it then owns that key), else the oldest.
 */
export function affineIndex<Thread>(
  queue: readonly Pick<QueuedTask<unknown>, 'affinity'>[], owners: Map<string, Thread>, to: Thread, alive: (t: Thread) => boolean,
): number {
  let unowned = -1;
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i]!.affinity;
    if (key === undefined) {
      if (unowned < 0) unowned = i;
      continue;
    }
    const owner = owners.get(key);
    if (owner === to) return i;
    if (unowned < 0 && (owner === undefined || !alive(owner))) unowned = i;
  }
  if (unowned < 0) return 0;
  const key = queue[unowned]!.affinity;
  if (key !== undefined) owners.set(key, to);
  return unowned;
}
