// Files the CLI writes (--out): the folder is made if missing, and a file that
// cannot be written is named with its reason, exit code 1, never a raw ENOENT.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An output path that cannot be written (exit code 1). */
export class OutputError extends Error {
  constructor(readonly flag: string, readonly path: string, cause: unknown) {
    super(`${flag} ${path}: cannot write: ${describe(cause)}`);
    this.name = 'OutputError';
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOTDIR' || e.code === 'EEXIST') return 'a part of the path is a file, not a folder';
  if (e.code === 'EISDIR') return 'it is a folder';
  if (e.code === 'EROFS') return 'read-only file system';
  if (e.code === 'ENOSPC') return 'no space left on device';
  return e.message ?? String(err);
}

/** Makes the folder an output file goes into (as `mkdir -p`), or says why it cannot be. */
export async function prepareOutputFile(path: string, flag: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw new OutputError(flag, path, err);
  }
}
