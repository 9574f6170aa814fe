// Folder tailing for `serve`: new lines appended to matching files are framed
// and ingested. Offsets (with the file's inode) are kept in the store and saved
// only after the lines they cover were committed, so a restart reads nothing
// twice that was stored, and loses nothing (a line read again after a crash is
// the same record and counts once). Rotation (a new inode at the path) and
// truncation (the file got shorter) start the file from the beginning.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { frameLine, ZeekTsvHeader, type FramedItem } from './framing.js';

export interface OffsetStore {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

export interface TailOptions {
  dir: string;
  /** Which file names to follow (default: every file not starting with "."). */
  pattern?: RegExp;
  pollMs?: number;
  /** Longest line kept; longer ones are reported and skipped. */
  maxLineBytes?: number;
  /** Takes a batch of framed records; must commit them before returning. */
  ingest(items: FramedItem[]): void;
  offsets: OffsetStore;
  onError?(err: Error): void;
}

interface Position { ino: number; offset: number; line: number }

const READ_CHUNK = 1 << 20;

export class FolderTailer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Zeek TSV headers seen per file, so data lines keep their columns across polls. */
  private readonly zeek = new Map<string, ZeekTsvHeader>();

  constructor(private readonly o: TailOptions) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.poll().catch((err: Error) => this.o.onError?.(err)).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs ?? 500);
      });
    };
    tick();
  }

  /** Stops polling and waits for the current pass to finish (its offsets saved). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the folder; exported for tests that want no timers. */
  async poll(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.o.dir);
    } catch (err) {
      this.o.onError?.(err as Error);
      return;
    }
    names.sort();
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (this.o.pattern && !this.o.pattern.test(name)) continue;
      await this.follow(join(this.o.dir, name));
    }
  }

  private key(path: string): string {
    return `tail:${path}`;
  }

  private position(path: string): Position | null {
    const v = this.o.offsets.getMeta(this.key(path));
    return v ? (JSON.parse(v) as Position) : null;
  }

  private async follow(path: string): Promise<void> {
    let st;
    try {
      st = await stat(path);
    } catch {
      return; // gone between readdir and stat
    }
    if (!st.isFile()) return;
    let pos = this.position(path);
    if (!pos || pos.ino !== st.ino || st.size < pos.offset) {
      // New file, rotated (new inode), or truncated: from the start.
      pos = { ino: st.ino, offset: 0, line: 0 };
      this.zeek.delete(path);
    }
    if (st.size === pos.offset) return;
    const fh = await open(path, 'r');
    try {
      let offset = pos.offset;
      let line = pos.line;
      const max = this.o.maxLineBytes ?? 32 * 1024 * 1024;
      let zeek = this.zeek.get(path);
      if (!zeek) {
        zeek = new ZeekTsvHeader();
        this.zeek.set(path, zeek);
      }
      while (offset < st.size && !this.stopped) {
        const want = Math.min(READ_CHUNK, st.size - offset);
        const buf = Buffer.alloc(want);
        const { bytesRead } = await fh.read(buf, 0, want, offset);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        const lastNl = chunk.lastIndexOf(0x0a);
        if (lastNl < 0) {
          // No complete line in this window: an over-long line, or one still being written.
          if (bytesRead >= max) {
            const items: FramedItem[] = [{ kind: 'problem', origin: { source: path, line: line + 1 }, reason: 'record-too-large', message: `line longer than ${max} bytes; skipped` }];
            const skipTo = await this.findNewline(fh, offset + bytesRead, st.size);
            if (skipTo < 0) break;
            this.o.ingest(items);
            line++;
            offset = skipTo + 1;
            this.save(path, { ino: st.ino, offset, line });
            continue;
          }
          break; // wait for the writer to finish the line
        }
        const complete = chunk.subarray(0, lastNl + 1);
        const items: FramedItem[] = [];
        let start = 0;
        for (let nl = complete.indexOf(0x0a); nl >= 0; nl = complete.indexOf(0x0a, start)) {
          line++;
          let end = nl;
          if (end > start && complete[end - 1] === 0x0d) end--;
          const text = complete.toString('utf8', start, end);
          const origin = { source: path, line };
          if (!zeek.take(text, origin, items)) frameLine(text, origin, items);
          start = nl + 1;
        }
        this.o.ingest(items);
        offset += complete.length;
        this.save(path, { ino: st.ino, offset, line });
      }
    } finally {
      await fh.close();
    }
  }

  private async findNewline(fh: import('node:fs/promises').FileHandle, from: number, size: number): Promise<number> {
    const buf = Buffer.alloc(READ_CHUNK);
    for (let at = from; at < size; at += READ_CHUNK) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(READ_CHUNK, size - at), at);
      const i = buf.subarray(0, bytesRead).indexOf(0x0a);
      if (i >= 0) return at + i;
    }
    return -1;
  }

  private save(path: string, pos: Position): void {
    this.o.offsets.setMeta(this.key(path), JSON.stringify(pos));
  }
}
