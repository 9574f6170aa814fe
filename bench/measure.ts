// Runs one command as a child process under /usr/bin/time and returns its wall
// time (measured here, around spawn → exit), its peak RSS (GNU time's %M: the
// child's maximum resident set size, VmHWM) and, when the child reports one, the
// time it measured itself.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const TIME_BIN = '/usr/bin/time';

export interface Sample {
  /** Wall time of the whole process, seconds. */
  wallS: number;
  /** Peak RSS of the process, MB (10^6 bytes). */
  rssMB: number;
}

export interface RunSpec {
  cmd: string;
  args: string[];
  /** Where the child's stdout goes (a file path), or null to discard it. */
  stdoutTo: string | null;
  cwd?: string;
}

export async function runMeasured(spec: RunSpec, timeFile: string): Promise<Sample> {
  if (!existsSync(TIME_BIN)) throw new Error(`${TIME_BIN} not found: it measures the peak RSS of each run`);
  rmSync(timeFile, { force: true });
  const out = spec.stdoutTo === null ? 'ignore' : openSync(spec.stdoutTo, 'w');
  const t0 = performance.now();
  const child = spawn(TIME_BIN, ['-f', '%M', '-o', timeFile, spec.cmd, ...spec.args], {
    cwd: spec.cwd,
    stdio: ['ignore', out, 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    if (stderr.length < 20000) stderr += s;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const wallS = (performance.now() - t0) / 1000;
  if (typeof out === 'number') closeSync(out);
  if (code !== 0) {
    throw new Error(`${spec.cmd} ${spec.args.join(' ')} exited with ${String(code)}\n${stderr.slice(-4000)}`);
  }
  const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
  const kb = Number(lines[lines.length - 1]);
  return { wallS, rssMB: Number.isFinite(kb) ? (kb * 1024) / 1e6 : NaN };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
