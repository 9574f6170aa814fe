// A decode worker: runs the per-file work of a batch hunt (batch-file.ts) on
// another core and sends back only what the correlator needs. runTask is also
// what the pool runs on the main thread, which takes tasks like a worker.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { DecodeContext } from '../decoders/types.js';
import type { DecodedEvent } from '../model/event.js';
import type { ByteRange, SyncPoint } from '../inputs/fast-frames.js';
import type { FramingOptions } from '../inputs/framing.js';
import { UnreadableInput, type InputFile } from '../inputs/inputs.js';
import { answerTasks } from '../runtime/task-worker.js';
import { qualifyingOf, scanFile, scanRange, sniffFiles, textAlertsOf, wantsWithin, type Collect } from './batch-file.js';
import { compileQualifyingTests, type QualifyingSource } from '../detect/rule.js';
import { packBuffers, type QualifyingPack } from '../detect/qualifying-pack.js';

export type WorkerTask =
  | { id: number; op: 'sniff'; files: InputFile[]; decode: DecodeContext; framing: FramingOptions }
  | { id: number; op: 'scan'; file: InputFile; decode: DecodeContext; framing: FramingOptions; fast: boolean; collect: boolean }
  | { id: number; op: 'range'; file: InputFile; range: ByteRange; decode: DecodeContext; framing: FramingOptions; collect: boolean }
  | { id: number; op: 'text'; file: InputFile; decode: DecodeContext; framing: FramingOptions }
  | { id: number; op: 'qualifying'; file: InputFile; decode: DecodeContext; framing: FramingOptions; prefilter: boolean; syncs: SyncPoint[] }
  /**
   * `alertMs[i]`: the alert times (ms, sorted) of `ips[i]`; an event is wanted
   * within `windowMs` after one. `qualifying`: the rules' qualifying tests, to
   * compile here (null: events are packed whole).
   */
  | { id: number; op: 'alerted'; ips: string[]; alertMs?: number[][]; windowMs?: number; qualifying: QualifyingSource[] | null };

/** What a runner keeps between tasks: what the last 'alerted' task said to collect. */
export interface RunnerState {
  collect: Collect;
}

/**
 * With CROSSWATCH_DUMP_TASKS=<folder>, every task a hunt runs is written there
 * (node:v8 serialization, one file per task, named by the monotonic clock and
 * the thread) for `npm run bench:replay`, which runs them again warm on one
 * thread: the scan measured without the rest of the hunt or the hour's drift
 * (docs/performance.md). Read once per thread (the folder made if missing); unset, nothing is written.
 */
const DUMP_TASKS = process.env.CROSSWATCH_DUMP_TASKS;
if (DUMP_TASKS) mkdirSync(DUMP_TASKS, { recursive: true });

function dumpTask(task: WorkerTask): void {
  const name = `${process.hrtime.bigint()}-${threadId}-${task.id}-${task.op}.v8`;
  writeFileSync(join(DUMP_TASKS!, name), serialize(task));
}

/** Runs one task, on a worker or on the main thread (pool.ts uses both). */
export function runTask(task: WorkerTask, state: RunnerState, progress: (n: number) => void): Promise<unknown> {
  if (DUMP_TASKS) dumpTask(task);
  switch (task.op) {
    case 'alerted': {
      const { alertMs, windowMs } = task;
      state.collect = {
        ips: new Set(task.ips),
        ...(alertMs && windowMs !== undefined ? { wants: wantsWithin(new Map(task.ips.map((ip, i) => [ip, alertMs[i]!])), windowMs) } : {}),
        tests: task.qualifying && compileQualifyingTests(task.qualifying),
      };
      return Promise.resolve(null);
    }
    case 'sniff':
      return sniffFiles(task.files, task.decode, task.framing);
    case 'scan':
      return scanFile(task.file, task.decode, task.framing, task.fast, progress, task.collect ? state.collect : undefined);
    case 'range':
      return scanRange(task.file, task.range, task.decode, task.framing, progress, task.collect ? state.collect : undefined);
    case 'text':
      return textAlertsOf(task.file, task.decode, task.framing);
    case 'qualifying':
      return qualifyingOf(task.file, task.decode, task.framing, state.collect, task.prefilter, progress, task.syncs);
  }
}

/**
 * A scan's network alerts, as they cross to the main thread: one JSON text
 * rather than objects. Structured cloning a slim alert costs ~2 us to write and
 * ~4 to read again, JSON ~1.5 and ~1.8 (5,646 EVE alerts: 12.6 + 24.1 ms against
 * 8.3 + 10.2), and a sensor's alerts all arrive before anything else can be
 * searched. The two agree on every value a slim event holds (strings, finite
 * numbers, objects) but numbers JSON cannot write (NaN, ±Infinity become null):
 * a text with a null value in it goes as objects, as before.
 */
export interface AlertsAsJson {
  alertsJson?: string;
}

export function alertsToJson<T extends { alerts: DecodedEvent[] }>(scan: T): T & AlertsAsJson {
  if (scan.alerts.length === 0) return scan;
  const json = JSON.stringify(scan.alerts);
  if (json.includes(':null') || json.includes('[null') || json.includes(',null')) return scan;
  return { ...scan, alerts: [], alertsJson: json };
}

/** alertsToJson undone (on the main thread). */
export function alertsFromJson<T>(result: T): T {
  const r = result as (T & { alerts?: DecodedEvent[] } & AlertsAsJson) | null;
  if (r === null || typeof r !== 'object' || typeof r.alertsJson !== 'string') return result;
  r.alerts = JSON.parse(r.alertsJson) as DecodedEvent[];
  delete r.alertsJson;
  return result;
}

// Only in the thread the pool started for it: this module is also loaded on the
// main thread (runTask), and bundled with code other threads load (scripts/bundle.mjs).
const port = (workerData as { decodeWorker?: boolean } | null)?.decodeWorker ? parentPort : null;
if (port) {
  const state: RunnerState = { collect: { ips: new Set(), tests: null } };
  answerTasks<WorkerTask, unknown>(
    port,
    async (task, progress) => {
      let result = await runTask(task, state, progress);
      if (result !== null && typeof result === 'object' && Array.isArray((result as { alerts?: unknown }).alerts)) {
        result = alertsToJson(result as { alerts: DecodedEvent[] });
      }
      // A pack's columns move to the main thread rather than being copied.
      const events = (result as { events?: QualifyingPack } | null)?.events;
      return { result, ...(events ? { transfer: packBuffers(events) } : {}) };
    },
    (err) => ({ message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(err instanceof UnreadableInput ? { unreadable: err.path } : {}) }),
  );
}
