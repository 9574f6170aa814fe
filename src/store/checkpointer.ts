// Checkpoints of the store's write-ahead log on a thread of their own. In WAL
// mode SQLite copies committed pages from the log into the database file now
// and then ("checkpoint"); by default the connection that commits does it,
// inside a commit — on the service's main thread, where it holds up ingest.
// Here a second connection on a worker thread runs PASSIVE checkpoints (which
// never block the writer) every `intervalMs`; the writer's own automatic
// checkpoint stays as a fallback for a log that grows too large anyway.
// Checkpoints do not change what is durable: a commit is durable once it is in
// the log (synchronous=FULL syncs the log at every commit).
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/worker.js';
import Database from 'better-sqlite3';

interface Config { file: string; intervalMs: number; synchronous: 'FULL' | 'NORMAL' }

if (!isMainThread && parentPort && (workerData as { checkpointer?: Config } | null)?.checkpointer) {
  const c = (workerData as { checkpointer: Config }).checkpointer;
  const db = new Database(c.file);
  db.pragma('busy_timeout = 1000');
  db.pragma(`synchronous = ${c.synchronous}`);
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // busy or closing: the next tick tries again
    }
  }, c.intervalMs);
  parentPort.on('message', (m: string) => {
    if (m !== 'stop') return;
    clearInterval(timer);
    db.close();
    parentPort!.postMessage('stopped');
  });
}

/** Starts the checkpoint thread for a store file; stop() ends it. */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, synchronous: 'FULL' | 'NORMAL', intervalMs = 200) {
    const checkpointer: Config = { file, intervalMs, synchronous };
    // This file, run as the thread (beside the code calling it, compiled or bundled: scripts/bundle.mjs).
    this.worker = startWorker(import.meta.url, 'checkpointer', { workerData: { checkpointer } });
    this.worker.unref();
    // A failed checkpointer only means the writer checkpoints itself (its fallback).
    this.worker.on('error', () => undefined);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      this.worker.once('message', () => {
        clearTimeout(t);
        resolve();
      });
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      this.worker.postMessage('stop');
    });
    await this.worker.terminate();
  }
}
