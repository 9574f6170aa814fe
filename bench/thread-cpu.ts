// Each OS thread's CPU time of a child process, read from Linux's /proc while it
// runs. A V8 CPU profile samples the JavaScript threads only; TurboFan compiles,
// and the garbage collector helps, on V8's own platform threads, which share the
// cores with them — on this 2-core VM ~30 % of a 1M-record hunt's CPU once
// (docs/performance.md, twelfth round). Only /proc sees those.
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Linux's USER_HZ, the unit of /proc's CPU times (100 on every mainstream build). */
const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 50;

export interface ThreadCpu {
  tid: number;
  /** The thread's name (/proc/…/comm): Node names only the main thread, after the script. */
  name: string;
  /** User and system CPU, seconds, as last sampled (within SAMPLE_MS of its end). */
  cpuS: number;
}

/** A thread's CPU from a /proc/<pid>/task/<tid>/stat line (null if it does not read as one). */
export function statCpuSeconds(stat: string): number | null {
  // The name in parentheses may hold spaces and parentheses: the fields start after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  // After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / TICKS_PER_SECOND;
}

/** Whether this machine has /proc's per-thread files. */
export const threadCpuAvailable = (): boolean => existsSync('/proc/self/task');

/**
 * Runs the command and samples its threads' CPU until it exits. The last
 * sample of a thread that ended early is its total; a thread's last
 * SAMPLE_MS of work may be missed.
 */
export function runWithThreadCpu(
  command: string, args: string[], options: SpawnOptions,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; pid: number | undefined; threads: ThreadCpu[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    const seen = new Map<number, ThreadCpu>();
    const sample = (): void => {
      const pid = child.pid;
      if (pid === undefined) return;
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        return; // exited
      }
      for (const t of tids) {
        try {
          const tid = Number(t);
          const cpuS = statCpuSeconds(readFileSync(`/proc/${pid}/task/${t}/stat`, 'latin1'));
          if (cpuS === null) continue;
          const known = seen.get(tid);
          if (known) known.cpuS = cpuS;
          else seen.set(tid, { tid, name: readFileSync(`/proc/${pid}/task/${t}/comm`, 'latin1').trim(), cpuS });
        } catch {
          // the thread ended between the listing and the read
        }
      }
    };
    const timer = threadCpuAvailable() ? setInterval(sample, SAMPLE_MS) : null;
    child.on('error', (err) => {
      if (timer) clearInterval(timer);
      reject(err);
    });
    child.on('exit', (status, signal) => {
      if (timer) clearInterval(timer);
      resolve({ status, signal, pid: child.pid, threads: [...seen.values()].sort((a, b) => b.cpuS - a.cpuS) });
    });
  });
}
