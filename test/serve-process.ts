// Starts the real `crosswatch serve` (the built binary) on loopback for tests and
// the serve benchmark, and waits for its "listening on" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = join(fileURLToPath(new URL('..', import.meta.url)), 'bin', 'crosswatch.js');

export interface Served {
  proc: ChildProcess;
  /** http://127.0.0.1:PORT */
  base: string;
  /** The whole startup line (it names the syslog ports too). */
  line: string;
}

/** `nodeArgs` go to node before the script (e.g. --cpu-prof for the benchmark); `bin` is another build's entry point. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = process.env, nodeArgs: string[] = [], bin = BIN): Promise<Served> {
  const proc = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const [base, line] = await new Promise<[string, string]>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
    const onData = (c: Buffer): void => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+),[^\n]*/.exec(err);
      if (m) {
        clearTimeout(timer);
        // From now on its logs are read and dropped (a long run would otherwise pile them up here).
        proc.stderr!.off('data', onData);
        proc.stderr!.resume();
        proc.off('exit', onExit);
        resolve([m[1]!, m[0]]);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`serve exited ${code}: ${err}`));
    proc.stderr!.on('data', onData);
    proc.on('exit', onExit);
  });
  return { proc, base, line };
}
