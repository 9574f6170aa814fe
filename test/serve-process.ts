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

export async function startServe(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Served> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const [base, line] = await new Promise<[string, string]>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
    proc.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+),[^\n]*/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve([m[1]!, m[0]]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { proc, base, line };
}
