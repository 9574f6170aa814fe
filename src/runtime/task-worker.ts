// The worker side of runtime/pool.ts: answers the pool's tasks one at a time, in
// the order sent (the pool may send one ahead), with progress, a "ready" before
// the result (so the next task can start while the pool reads a big result), and
// errors as data.
import type { MessagePort } from 'node:worker_threads';
import type { PoolReply, SerializedError } from './pool.js';

export interface TaskAnswer<R> {
  result: R;
  /** Buffers that move back with the result instead of being copied. */
  transfer?: ArrayBuffer[];
}

export function answerTasks<T extends { id: number }, R>(
  port: MessagePort,
  run: (task: T, progress: (n: number) => void) => Promise<TaskAnswer<R>>,
  serializeError: (err: Error) => SerializedError = (err) => ({ message: err.message, ...(err.stack ? { stack: err.stack } : {}) }),
): void {
  let queue: Promise<void> = Promise.resolve();
  const one = (task: T): Promise<void> => {
    const progress = (n: number): void => port.postMessage({ id: task.id, progress: n } satisfies PoolReply<R>);
    return run(task, progress).then(
      ({ result, transfer }) => {
        port.postMessage({ id: task.id, ready: true } satisfies PoolReply<R>);
        port.postMessage({ id: task.id, result } satisfies PoolReply<R>, transfer ?? []);
      },
      (err: Error) => port.postMessage({ id: task.id, error: serializeError(err) } satisfies PoolReply<R>),
    );
  };
  port.on('message', (task: T) => {
    queue = queue.then(() => one(task));
  });
}
