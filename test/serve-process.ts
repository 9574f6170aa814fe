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
      const m = /listening on (https?:\/\/\S+),[^\n]*/.exec(err);
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

/** Every alert of a running service, page by page (`limit` a page), as the API gives them. */
export async function allAlerts<T>(base: string, token: string, limit = 200): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const r = await fetch(`${base}/api/v1/alerts?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) throw new Error(`GET /api/v1/alerts: ${r.status} ${await r.text()}`);
    const page = (await r.json()) as { alerts: T[]; next: string | null };
    out.push(...page.alerts);
    cursor = page.next;
  } while (cursor);
  return out;
}

/** Polls `probe` every 50 ms until it gives a value (not undefined); throws naming `what` after `ms`. */
export async function waitFor<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
