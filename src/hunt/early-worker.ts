// A big hunt's decode worker, started by bin/crosswatch.js before the CLI itself
// loads. Why: a worker spends ~0.15 s compiling its code before its first task;
// started when the hunt makes its pool, that came after the main thread had
// loaded the CLI, its rules and the list of inputs, and the worker's first
// useful work began ~0.2 s after the main thread's (a sixth of a 1M-record hunt).
// Started first, it compiles on the other core while the main thread loads.
//
// The started worker waits in a slot on globalThis (bin/crosswatch.js loads this
// file apart from the CLI's bundle: two copies of this module, one slot), unref'd
// so that it never keeps the process alive; the decode pool takes it
// (takeEarlyDecodeWorker), or the hunt ends it (dropEarlyDecodeWorker) when it
// runs on one thread.
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/worker.js';

/** Below this much input (or with one file), a hunt runs on the main thread alone (batch.ts defaultThreads): starting workers costs more than it saves. */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
/** Entries looked at before calling a tree of inputs big without reading more of it. */
const LOOK_AT_MOST = 2_000;

/**
 * Will the hunt in these arguments (after `hunt`) run on more than one thread?
 * Asked before the CLI is loaded, so without its option parser: the arguments
 * that name files or folders are added up (not the one after --out, which the
 * hunt will overwrite), as far as it takes to see 2 files and 16 MB. A wrong
 * guess costs time (a worker started late, or one started for nothing), never
 * an answer.
 */
export function earlyWorkerPays(args: readonly string[]): boolean {
  if (availableParallelism() < 2) return false;
  let files = 0;
  let bytes = 0;
  let looked = 0;
  const pending: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--out') i++;
    else if ((a === '--threads' && args[i + 1] === '1') || a === '--threads=1') return false;
    else if (!a.startsWith('-')) pending.push(a);
  }
  while (pending.length > 0) {
    if (++looked > LOOK_AT_MOST) return true;
    const path = pending.pop()!;
    try {
      const st = statSync(path);
      if (st.isDirectory()) {
        for (const name of readdirSync(path)) if (!name.startsWith('.')) pending.push(join(path, name));
      } else if (st.isFile()) {
        files++;
        bytes += st.size;
        if (files >= 2 && bytes >= PARALLEL_MIN_BYTES) return true;
      }
    } catch {
      // (Not a path: an option's value, say. The hunt will say what is wrong with it.)
    }
  }
  return false;
}

const YOUNG_GENERATION_MB = 12; // the main thread's (semi-spaces of 4 MB), see bin/crosswatch.js

/** A hunt decode worker (hunt/decode-worker.ts). */
export function startDecodeWorker(): Worker {
  // A small young generation: what a worker allocates dies young (records it parsed), and
  // V8's default semi-spaces would hold tens of MB per worker for nothing.
  return startWorker(import.meta.url, 'decode-worker', { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB }, workerData: { decodeWorker: true } });
}

interface EarlySlot {
  worker: Worker;
  /** It failed or exited before it was taken: the pool starts a fresh one (and hears why, if it fails too). */
  lost: boolean;
  onLoss: () => void;
}

const SLOT = Symbol.for('crosswatch.earlyDecodeWorker');
const slots = globalThis as { [SLOT]?: EarlySlot };

/** Starts a decode worker for the hunt about to load (once; a no-op if one waits). `start`: tests start others. */
export function startEarlyDecodeWorker(start: () => Worker = startDecodeWorker): void {
  if (slots[SLOT]) return;
  const worker = start();
  worker.unref();
  const slot: EarlySlot = { worker, lost: false, onLoss: () => { slot.lost = true; } };
  // (A listener for 'error', or an unheard error would end the process.)
  worker.on('error', slot.onLoss);
  worker.on('exit', slot.onLoss);
  slots[SLOT] = slot;
}

/** The worker started early, if one waits and is alive: the caller owns it from now on. */
export function takeEarlyDecodeWorker(): Worker | undefined {
  const slot = slots[SLOT];
  if (!slot) return undefined;
  delete slots[SLOT];
  slot.worker.off('error', slot.onLoss);
  slot.worker.off('exit', slot.onLoss);
  if (slot.lost) return undefined;
  slot.worker.ref();
  return slot.worker;
}

/** Ends the worker started early if nothing took it (a hunt on one thread). */
export function dropEarlyDecodeWorker(): void {
  const worker = takeEarlyDecodeWorker();
  if (worker) void worker.terminate();
}
