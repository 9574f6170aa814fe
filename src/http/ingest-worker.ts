// An ingest worker (worker_threads): frames and decodes HTTP bodies off the
// main thread, which only stores and correlates what comes back
// (stream-decode.ts; the pool is ingest-pool.ts).
import { parentPort } from 'node:worker_threads';
import { decodeBody, type BodyError, type BodyTask, type DecodedBatch } from '../stream/stream-decode.js';

export type IngestTask = BodyTask & { id: number };
export type IngestReply =
  /** `body`: the request body's buffer, given back for reuse. */
  | { id: number; result: DecodedBatch | BodyError; body: ArrayBuffer }
  | { id: number; error: { message: string; stack?: string } };

const port = parentPort;
if (port) {
  port.on('message', (task: IngestTask) => {
    decodeBody(task).then(
      (result) => {
        // The typed arrays and the body's buffer move, the strings are copied.
        const body = task.body.buffer as ArrayBuffer;
        const transfer = 'rows' in result ? [result.rows.roles.buffer, result.rows.atMs.buffer, result.rows.atNs.buffer, body] : [body];
        port.postMessage({ id: task.id, result, body } satisfies IngestReply, transfer as ArrayBuffer[]);
      },
      (err: Error) => port.postMessage({ id: task.id, error: { message: err.message, ...(err.stack ? { stack: err.stack } : {}) } } satisfies IngestReply),
    );
  });
}
