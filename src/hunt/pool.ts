// Hunt's decode threads: the runtime pool (runtime/pool.ts) with the main thread
// as one of its threads (it has nothing else to do during a hunt, and every
// isolate costs memory), and a busy worker sent its next task ahead.
//
// The main thread hears from the workers only between its own stretches of work
// (and takes a while to read a big result), so a worker that waited for its next
// task after each one sat idle for that long (~150 ms of a 1M-record hunt). So a
// worker is sent its next task while it still works on one, as long as plenty are
// queued, and says it is ready before it sends its result.
import { WorkerPool } from '../runtime/pool.js';
import { UnreadableInput } from '../inputs/inputs.js';
import { alertsFromJson, runTask, type RunnerState, type WorkerTask } from './decode-worker.js';
import { startDecodeWorker, takeEarlyDecodeWorker } from './early-worker.js';

type TaskBody = WorkerTask extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

/**
 * A busy worker is sent a task ahead only while at least this many are queued (a
 * second ahead while twice as many are: runtime/pool.ts): near the end, one
 * queued behind another on a worker could leave the main thread idle
 * (the sensors' logs of a 1M-record hunt: the main thread idle ~55 ms at their
 * end while the worker finished a file of alerts, then the piece sent ahead
 * behind it). 4, not 3: interleaved, 8 runs each, two sets, 1M / 50 %: NDJSON
 * 2.130 -> 1.990 and 2.420 -> 2.360 s median, vendor formats 2.495 -> 2.450 and
 * 2.375 -> 2.350 s (docs/performance.md, nineteenth round).
 */
const AHEAD_MIN_QUEUED = 4;

export class DecodePool {
  private readonly pool: WorkerPool<TaskBody, unknown>;
  private readonly mainState: RunnerState = { collect: { ips: new Set(), tests: null } };

  /** `size` threads in all: the main thread and size - 1 workers. */
  constructor(size: number) {
    this.pool = new WorkerPool<TaskBody, unknown>({
      name: 'decode',
      workers: size - 1,
      // (The first may have been started before the CLI loaded: early-worker.ts.)
      start: () => takeEarlyDecodeWorker() ?? startDecodeWorker(),
      local: (task, progress) => runTask(task as WorkerTask, this.mainState, progress),
      aheadMinQueued: AHEAD_MIN_QUEUED,
      // A file's kind of records (its decoder) stays on one thread where it can.
      affinity: true,
      error: (e) => {
        if (typeof e.unreadable === 'string') return new UnreadableInput(e.unreadable, e.message.replace(/^cannot read [^:]*: /, ''));
        const err = new Error(e.message);
        if (e.stack) err.stack = e.stack;
        return err;
      },
    });
  }

  get size(): number {
    return this.pool.size;
  }

  /** `affinity`: the kind of records the task reads (tasks of one kind go to one thread where they can). */
  run<T>(body: TaskBody, onProgress?: (n: number) => void, affinity?: string): Promise<T> {
    // (A worker's scan sends its network alerts as JSON: alertsToJson.)
    return this.pool.run(body, { ...(onProgress ? { onProgress } : {}), ...(affinity === undefined ? {} : { affinity }) }).then((r) => alertsFromJson(r as T));
  }

  /** Sends the same task to every thread (shared state such as the alerted IPs). */
  broadcast(body: TaskBody): Promise<void> {
    return this.pool.broadcast(body);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
