// A decode worker: runs the per-file work of a batch hunt (batch-file.ts) on
// another core and sends back only what the correlator needs.
import { parentPort } from 'node:worker_threads';
import type { DecodeContext } from '../decoders/types.js';
import type { SyncPoint } from '../sources/fast-frames.js';
import type { FramingOptions } from '../sources/framing.js';
import { UnreadableInput, type InputFile } from '../sources/inputs.js';
import { qualifyingOf, scanFile, textAlertsOf } from './batch-file.js';

export type WorkerTask =
  | { id: number; op: 'scan'; file: InputFile; decode: DecodeContext; framing: FramingOptions; fast: boolean; collect: boolean }
  | { id: number; op: 'text'; file: InputFile; decode: DecodeContext; framing: FramingOptions }
  | { id: number; op: 'qualifying'; file: InputFile; decode: DecodeContext; framing: FramingOptions; prefilter: boolean; syncs: SyncPoint[] }
  | { id: number; op: 'alerted'; ips: string[] };

export type WorkerReply =
  | { id: number; progress: number }
  | { id: number; result: unknown }
  | { id: number; error: { unreadable?: string; message: string; stack?: string } };

let alerted: ReadonlySet<string> = new Set();
const port = parentPort;
if (port) {
  port.on('message', (task: WorkerTask) => {
    const progress = (n: number): void => port.postMessage({ id: task.id, progress: n } satisfies WorkerReply);
    const work = async (): Promise<unknown> => {
      switch (task.op) {
        case 'alerted':
          alerted = new Set(task.ips);
          return null;
        case 'scan':
          return scanFile(task.file, task.decode, task.framing, task.fast, progress, task.collect ? alerted : undefined);
        case 'text':
          return textAlertsOf(task.file, task.decode, task.framing);
        case 'qualifying':
          return qualifyingOf(task.file, task.decode, task.framing, alerted, task.prefilter, progress, task.syncs);
      }
    };
    work().then(
      (result) => port.postMessage({ id: task.id, result } satisfies WorkerReply),
      (err: Error) => port.postMessage({
        id: task.id,
        error: { message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(err instanceof UnreadableInput ? { unreadable: err.path } : {}) },
      } satisfies WorkerReply),
    );
  });
}
