// An ingest worker (worker_threads): frames and decodes HTTP bodies off the
// main thread, which only stores and correlates what comes back
// (stream-decode.ts; the pool is ingest-pool.ts).
import { parentPort } from 'node:worker_threads';
import { answerTasks } from '../runtime/task-worker.js';
import { decodeBody, type BodyError, type BodyTask, type DecodedBatch } from '../stream/stream-decode.js';

/** `body`: the request body's buffer, given back for reuse. */
export interface IngestResult { result: DecodedBatch | BodyError; body: ArrayBuffer }

const port = parentPort;
if (port) {
  answerTasks<BodyTask & { id: number }, IngestResult>(port, async (task) => {
    const result = await decodeBody(task);
    // The typed arrays and the body's buffer move, the strings are copied.
    const body = task.body.buffer as ArrayBuffer;
    const transfer = 'rows' in result ? [result.rows.roles.buffer, result.rows.atMs.buffer, result.rows.atNs.buffer, body] : [body];
    return { result: { result, body }, transfer: transfer as ArrayBuffer[] };
  });
}
