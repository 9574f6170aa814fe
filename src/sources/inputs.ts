// Input paths: files, folders (recursive, sorted so runs are repeatable) and "-"
// for stdin. Stdin is spooled to a temporary file because a batch hunt reads its
// input twice (network alerts first, then the events that follow them).
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface InputFile {
  /** Where to read the bytes. */
  path: string;
  /** How to name it in messages ("-" for stdin). */
  display: string;
  size: number;
}

/** A path that cannot be read: the run ends with exit code 2. */
export class UnreadableInput extends Error {
  constructor(readonly path: string, reason: string) {
    super(`cannot read ${path}: ${reason}`);
    this.name = 'UnreadableInput';
  }
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  return e.message ?? String(err);
}

async function walk(dir: string, out: InputFile[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new UnreadableInput(dir, reasonOf(err));
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // .DS_Store, editor swap files
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push({ path: p, display: p, size: (await stat(p)).size });
  }
}

export interface ExpandedInputs {
  files: InputFile[];
  /** Removes spooled stdin, if any. */
  cleanup(): Promise<void>;
}

export async function expandInputs(paths: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<ExpandedInputs> {
  const files: InputFile[] = [];
  let spoolDir: string | null = null;
  for (const p of paths) {
    if (p === '-') {
      spoolDir = await mkdtemp(join(tmpdir(), 'crosswatch-stdin-'));
      const spooled = join(spoolDir, 'stdin');
      await pipeline(stdin, createWriteStream(spooled));
      files.push({ path: spooled, display: '-', size: (await stat(spooled)).size });
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      throw new UnreadableInput(p, reasonOf(err));
    }
    if (st.isDirectory()) await walk(p, files);
    else files.push({ path: p, display: p, size: st.size });
  }
  const dir = spoolDir;
  return {
    files,
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
