// Runs the CLI in-process (src/cli/main.ts) with its own stdout and stderr, for
// tests of what a command prints and returns.
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli/main.js';

export interface Run { code: number; stdout: string; stderr: string }

/** `tty` makes stdout look like a terminal (the table view); stdin is the given text. */
export async function runCli(args: string[], opts: { stdin?: string; tty?: boolean } = {}): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => { stdout += c.toString(); });
  err.on('data', (c: Buffer) => { stderr += c.toString(); });
  Object.assign(out, { isTTY: opts.tty ?? false });
  const code = await main(args, { stdout: out, stderr: err, stdin: Readable.from([opts.stdin ?? '']) });
  return { code, stdout, stderr };
}
