// Starting a worker thread from a module beside the caller, the one way every
// pool here does it (hunt's decode threads, serve's ingest workers, the WAL
// checkpointer). Compiled, the worker is the .js beside the caller (dist/ or the
// bundle: scripts/bundle.mjs makes each worker an entry point of its own); run
// from source under tsx (the tests), it is the .ts, and the thread registers tsx
// itself before loading it.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `name` (without extension) from the folder of `callerUrl`
 * (the caller's import.meta.url).
 */
export function startWorker(callerUrl: string, name: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl);
  if (!fromSource) return new Worker(url, options);
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
