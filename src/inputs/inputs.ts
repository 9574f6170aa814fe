// Input paths: files, folders (recursive, sorted so runs are repeatable) and "-"
// for stdin. Stdin is spooled to a temporary file because a batch hunt reads its
// input twice (network alerts first, then the events that follow them).
import { constants, createReadStream, createWriteStream, type Stats } from 'node:fs';
import { access, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
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

/** An entry inside a folder that was not read, and why (the summary names each). */
export interface SkippedInput {
  path: string;
  reason: string;
}

/** What a folder entry that is not a plain file or folder is, for the skip reason. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

interface Walk {
  out: InputFile[];
  skipped: SkippedInput[];
  /** Real paths of the folders entered, so a symbolic link back up the tree is not followed round. */
  seen: Set<string>;
}

/**
 * Folders are read recursively. Symbolic links are followed (exported logs are
 * often linked in), except round a loop. Entries that cannot be read, or that are
 * not files (a FIFO would block the run forever), are skipped and named with
 * their reason; a folder given on the command line that cannot be read is fatal.
 */
async function walk(dir: string, w: Walk, top: boolean): Promise<void> {
  let entries;
  try {
    const real = await realpath(dir);
    if (w.seen.has(real)) {
      w.skipped.push({ path: dir, reason: 'a link to a folder already read (loop)' });
      return;
    }
    w.seen.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (top) throw new UnreadableInput(dir, reasonOf(err));
    w.skipped.push({ path: dir, reason: `folder cannot be read: ${reasonOf(err)}` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // .DS_Store, editor swap files
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      await walk(p, w, false);
      continue;
    }
    let st: Stats;
    try {
      st = await stat(p); // follows a symbolic link
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      w.skipped.push({ path: p, reason: e.isSymbolicLink() && (code === 'ENOENT' || code === 'ELOOP') ? 'broken symbolic link' : reasonOf(err) });
      continue;
    }
    if (st.isDirectory()) await walk(p, w, false);
    else if (!st.isFile()) w.skipped.push({ path: p, reason: kindOf(st) });
    else {
      try {
        await access(p, constants.R_OK);
      } catch (err) {
        w.skipped.push({ path: p, reason: reasonOf(err) });
        continue;
      }
      w.out.push({ path: p, display: p, size: st.size });
    }
  }
}

export interface ExpandedInputs {
  files: InputFile[];
  /** Entries inside the folders given that were not read, with the reason. */
  skipped: SkippedInput[];
  /** Removes spooled input, if any. */
  cleanup(): Promise<void>;
}

export async function expandInputs(paths: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<ExpandedInputs> {
  const w: Walk = { out: [], skipped: [], seen: new Set() };
  let spoolDir: string | null = null;
  // A stream (stdin, or a pipe named on the command line such as bash's <(zcat …))
  // is copied to a temporary file: a hunt reads its input more than once.
  const spool = async (from: NodeJS.ReadableStream, display: string): Promise<void> => {
    spoolDir ??= await mkdtemp(join(tmpdir(), 'crosswatch-stdin-'));
    const spooled = join(spoolDir, `input-${w.out.length}`);
    await pipeline(from, createWriteStream(spooled));
    w.out.push({ path: spooled, display, size: (await stat(spooled)).size });
  };
  for (const p of paths) {
    if (p === '-') {
      await spool(stdin, '-');
      continue;
    }
    let st;
    try {
      st = await stat(p);
      if (!st.isDirectory()) await access(p, constants.R_OK);
    } catch (err) {
      throw new UnreadableInput(p, reasonOf(err));
    }
    if (st.isDirectory()) await walk(p, w, true);
    else if (st.isFIFO() || st.isCharacterDevice()) {
      await spool(createReadStream(p), p);
    } else if (!st.isFile()) throw new UnreadableInput(p, kindOf(st));
    else w.out.push({ path: p, display: p, size: st.size });
  }
  const dir = spoolDir;
  return {
    files: w.out,
    skipped: w.skipped,
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
