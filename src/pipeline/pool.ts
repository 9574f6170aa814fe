// A small pool of decode workers (worker_threads), one per core: tasks go to
// whichever worker is free; progress and errors come back by task id.
import { Worker } from 'node:worker_threads';
import { UnreadableInput } from '../sources/inputs.js';
import type { WorkerReply, WorkerTask } from './decode-worker.js';

type Pending = { resolve(v: unknown): void; reject(e: Error): void; onProgress?: (n: number) => void };
type TaskBody = WorkerTask extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ task: WorkerTask; pending: Pending }> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(size: number) {
    // The compiled worker sits beside this file (dist/pipeline/decode-worker.js); when
    // running from source under tsx (tests), beside it is the .ts, and the worker
    // inherits tsx through execArgv.
    const fromSource = import.meta.url.endsWith('.ts');
    const url = new URL(fromSource ? './decode-worker.ts' : './decode-worker.js', import.meta.url);
    // From source (tests under tsx), the worker registers tsx itself before loading the .ts.
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
    for (let i = 0; i < size; i++) {
      const w = fromSource ? new Worker(boot, { eval: true }) : new Worker(url);
      w.on('message', (m: WorkerReply) => this.reply(w, m));
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
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
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: () => resolve(), reject });
      w.postMessage({ ...body, id });
    })));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const { task, pending } = this.queue.shift()!;
      this.pending.set(task.id, { ...pending, resolve: (v) => { this.idle.push(w); pending.resolve(v); this.dispatch(); }, reject: (e) => { this.idle.push(w); pending.reject(e); this.dispatch(); } });
      w.postMessage(task);
    }
  }

  private reply(_w: Worker, m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
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
