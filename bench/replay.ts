// `npm run bench:replay -- <folder> [--epoch N] [--match REGEX] [--rounds R] [--per-task] [--source]`:
// a hunt's pool tasks, saved by a real hunt run with CROSSWATCH_DUMP_TASKS=<folder>
// (src/hunt/decode-worker.ts), run again on this one thread, in their order,
// round after round: the first round cold (every part of the pipeline compiled
// as it goes, as in a hunt), the others warm. What a change to the scan, the
// gate or the decoders costs, without the rest of the hunt, the other thread
// or the hour's drift (whole hunts on this VM drift by ±15–30 %).
//   CROSSWATCH_DUMP_TASKS=/tmp/tasks crosswatch hunt bench/data/n1000000-s1-ndjson-share0p5/logs --quiet --out /tmp/a.ndjson
//   npm run bench:replay -- /tmp/tasks --per-task
// Tasks are grouped in epochs by the "alerted" tasks that set what later ones
// collect (each thread got every one): epoch 0 is the alert sources' first pass,
// the last epoch (the default) the rest of the files read for the alerted IPs.
// The files the tasks name must still be where they were.
// The tasks run on the built code (dist/, as `crosswatch` runs it; `npm run build`
// after a change), not on the sources through tsx: its transform wraps every
// closure in a naming call, which a hunt does not pay and which moved the
// collector's figures (--source runs the sources anyway).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import { parseArgs } from 'node:util';
import { runTask, type RunnerState, type WorkerTask } from '../src/hunt/decode-worker.js';

type RunTask = typeof runTask;

interface Options { dir: string; epoch: number | null; match: RegExp | null; rounds: number; perTask: boolean; source: boolean }

function options(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { epoch: { type: 'string' }, match: { type: 'string' }, rounds: { type: 'string' }, 'per-task': { type: 'boolean' }, source: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new Error('usage: npm run bench:replay -- <folder> [--epoch N] [--match REGEX] [--rounds R] [--per-task] [--source]');
  const o: Options = {
    dir: positionals[0]!, epoch: values.epoch === undefined ? null : Number(values.epoch),
    match: values.match === undefined ? null : new RegExp(values.match), rounds: Number(values.rounds ?? 5), perTask: values['per-task'] ?? false, source: values.source ?? false,
  };
  if (!(o.rounds >= 1) || (o.epoch !== null && !(o.epoch >= 0))) throw new Error('--rounds takes a count of at least 1, --epoch a number from 0');
  return o;
}

/** The saved tasks, in the order they started (file names lead with the monotonic clock). */
export function loadTasks(dir: string): WorkerTask[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.v8'));
  files.sort((a, b) => {
    const x = BigInt(a.split('-', 1)[0]!);
    const y = BigInt(b.split('-', 1)[0]!);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return files.map((f) => deserialize(readFileSync(join(dir, f))) as WorkerTask);
}

/**
 * The tasks of one epoch (after the epoch-th "alerted" broadcast; null: the last),
 * and the state the epoch's tasks ran with (that broadcast run on this thread).
 * Each thread ran each broadcast: one of each suffices.
 */
export async function epochOf(tasks: WorkerTask[], epoch: number | null, run: RunTask = runTask): Promise<{ tasks: WorkerTask[]; state: RunnerState; epochs: number }> {
  const cuts: number[] = [];
  tasks.forEach((t, i) => {
    if (t.op === 'alerted' && (i === 0 || tasks[i - 1]!.op !== 'alerted')) cuts.push(i);
  });
  const epochs = cuts.length + 1;
  const e = epoch ?? cuts.length;
  if (e >= epochs) throw new Error(`epoch ${e}: the hunt had epochs 0 to ${epochs - 1}`);
  const state: RunnerState = { collect: { ips: new Set(), tests: null } };
  const from = e === 0 ? 0 : cuts[e - 1]!;
  if (e > 0) await run(tasks[from]!, state, () => {});
  const to = e < cuts.length ? cuts[e]! : tasks.length;
  return { tasks: tasks.slice(from, to).filter((t) => t.op !== 'alerted'), state, epochs };
}

const bytesOf = (t: WorkerTask): number => {
  if (t.op === 'range') return Math.max(0, Math.min(t.range.to, t.file.size) - t.range.from);
  if (t.op === 'sniff' || t.op === 'alerted') return 0;
  return t.file.size;
};
const nameOf = (t: WorkerTask): string => {
  if (t.op === 'sniff') return `${t.files.length} files`;
  if (t.op === 'alerted') return `${t.ips.length} alerted IPs`;
  return t.file.display.split('/').slice(-2).join('/');
};

/** What a task's result holds, for the table: events packed, network alerts. */
function counts(result: unknown): { events: number; alerts: number } {
  const r = result as { events?: { n: number }; alerts?: unknown[] } | null;
  return { events: r?.events?.n ?? 0, alerts: Array.isArray(r?.alerts) ? r.alerts.length : 0 };
}

/** runTask as the build has it (dist/hunt/decode-worker.js). */
async function builtRunTask(): Promise<RunTask> {
  const built = new URL('../dist/hunt/decode-worker.js', import.meta.url);
  if (!existsSync(built)) throw new Error('no build to replay on: run `npm run build` (or pass --source)');
  return ((await import(built.href)) as { runTask: RunTask }).runTask;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const all = loadTasks(o.dir);
  const run = o.source ? runTask : await builtRunTask();
  const { tasks: epochTasks, state, epochs } = await epochOf(all, o.epoch, run);
  const tasks = epochTasks.filter((t) => o.match === null || o.match.test(nameOf(t)));
  if (tasks.length === 0) throw new Error('no task to replay (see --epoch and --match)');
  const times = tasks.map(() => [] as number[]);
  const rounds: number[] = [];
  let events = 0;
  let alerts = 0;
  const per = tasks.map(() => ({ events: 0, alerts: 0 }));
  for (let r = 0; r < o.rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < tasks.length; i++) {
      const t0 = performance.now();
      per[i] = counts(await run(tasks[i]!, state, () => {}));
      times[i]!.push(performance.now() - t0);
    }
    rounds.push(performance.now() - start);
  }
  for (const p of per) {
    events += p.events;
    alerts += p.alerts;
  }
  const mb = tasks.reduce((n, t) => n + bytesOf(t), 0) / 1e6;
  const warm = rounds.length > 1 ? [...rounds.slice(1)].sort((a, b) => a - b) : rounds;
  const median = warm[Math.floor(warm.length / 2)]!;
  const epoch = o.epoch ?? epochs - 1;
  console.log(`epoch ${epoch} of 0-${epochs - 1}: ${tasks.length} tasks, ${mb.toFixed(0)} MB, ${events} events packed, ${alerts} network alerts`);
  console.log(`rounds (ms): ${rounds.map((t) => t.toFixed(0)).join(' ')}; warm median ${median.toFixed(0)} ms (${(median / mb).toFixed(3)} ms a MB); the first round ${(rounds[0]! - median).toFixed(0)} ms over it`);
  if (o.perTask) {
    console.log('task                                               MB  events  alerts  first ms  warm ms');
    tasks.forEach((t, i) => {
      const w = times[i]!.length > 1 ? Math.min(...times[i]!.slice(1)) : times[i]![0]!;
      console.log(`${`${t.op} ${nameOf(t)}`.slice(-48).padEnd(48)} ${(bytesOf(t) / 1e6).toFixed(1).padStart(6)} ${String(per[i]!.events).padStart(7)} ${String(per[i]!.alerts).padStart(7)} ${times[i]![0]!.toFixed(1).padStart(9)} ${w.toFixed(1).padStart(8)}`);
    });
  }
}

// (Imported by its test for loadTasks and epochOf: run only as the command.)
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
