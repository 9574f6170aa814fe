// A decode worker: runs the per-file work of a batch hunt (batch-file.ts) on
// another core and sends back only what the correlator needs. runTask is also
// what the pool runs on the main thread, which takes tasks like a worker.
import { parentPort, workerData } from 'node:worker_threads';
import type { DecodeContext } from '../decoders/types.js';
import type { ByteRange, SyncPoint } from '../inputs/fast-frames.js';
import type { FramingOptions } from '../inputs/framing.js';
import { UnreadableInput, type InputFile } from '../inputs/inputs.js';
import { answerTasks } from '../runtime/task-worker.js';
import { qualifyingOf, scanFile, scanRange, textAlertsOf, wantsWithin, type WantsEvent } from './batch-file.js';

export type WorkerTask =
  | { id: number; op: 'scan'; file: InputFile; decode: DecodeContext; framing: FramingOptions; fast: boolean; collect: boolean }
  | { id: number; op: 'range'; file: InputFile; range: ByteRange; decode: DecodeContext; framing: FramingOptions; collect: boolean }
  | { id: number; op: 'text'; file: InputFile; decode: DecodeContext; framing: FramingOptions }
  | { id: number; op: 'qualifying'; file: InputFile; decode: DecodeContext; framing: FramingOptions; prefilter: boolean; syncs: SyncPoint[] }
  /** `alertMs[i]`: the alert times (ms, sorted) of `ips[i]`; an event is wanted within `windowMs` after one. */
  | { id: number; op: 'alerted'; ips: string[]; alertMs?: number[][]; windowMs?: number };

/** What a runner keeps between tasks: the alerted IPs of the last 'alerted' task, and their windows. */
export interface RunnerState {
  alerted: ReadonlySet<string>;
  wants?: WantsEvent;
}

/** Runs one task, on a worker or on the main thread (pool.ts uses both). */
export function runTask(task: WorkerTask, state: RunnerState, progress: (n: number) => void): Promise<unknown> {
  switch (task.op) {
    case 'alerted': {
      state.alerted = new Set(task.ips);
      const { alertMs, windowMs } = task;
      if (alertMs && windowMs !== undefined) state.wants = wantsWithin(new Map(task.ips.map((ip, i) => [ip, alertMs[i]!])), windowMs);
      else delete state.wants;
      return Promise.resolve(null);
    }
    case 'scan':
      return scanFile(task.file, task.decode, task.framing, task.fast, progress, task.collect ? state.alerted : undefined, state.wants);
    case 'range':
      return scanRange(task.file, task.range, task.decode, task.framing, progress, task.collect ? state.alerted : undefined, state.wants);
    case 'text':
      return textAlertsOf(task.file, task.decode, task.framing);
    case 'qualifying':
      return qualifyingOf(task.file, task.decode, task.framing, state.alerted, task.prefilter, progress, task.syncs, state.wants);
  }
}

// Only in the thread the pool started for it: this module is also loaded on the
// main thread (runTask), and bundled with code other threads load (scripts/bundle.mjs).
const port = (workerData as { decodeWorker?: boolean } | null)?.decodeWorker ? parentPort : null;
if (port) {
  const state: RunnerState = { alerted: new Set() };
  answerTasks<WorkerTask, unknown>(
    port,
    async (task, progress) => ({ result: await runTask(task, state, progress) }),
    (err) => ({ message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(err instanceof UnreadableInput ? { unreadable: err.path } : {}) }),
  );
}
