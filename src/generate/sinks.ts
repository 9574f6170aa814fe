// Output files for the generator: buffered writers over fs.WriteStream that
// honour backpressure (the generator awaits `drain()` whenever a stream's buffer
// is full), and the framings the vendors use: NDJSON, JSON arrays split into
// content blobs, `{"records":[...]}` envelopes, Graph pages, and the Purview CSV.
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';

const CHUNK = 1 << 20;

export interface FileInfo {
  path: string;
  format: string;
  records: number;
}

/** One file: records are UTF-8 encoded straight into ~1 MB buffers before they reach the stream. */
class OutFile {
  private readonly stream: WriteStream;
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private off = 0;
  /** Set while the stream's buffer is full: resolves on its next 'drain'. */
  private drained: Promise<unknown> | null = null;
  records = 0;

  constructor(readonly path: string, readonly format: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path);
  }

  write(s: string): void {
    // A UTF-8 encoding takes at most 3 bytes per UTF-16 unit.
    if (this.off + s.length * 3 > CHUNK) {
      this.flush();
      if (s.length * 3 > CHUNK) {
        this.push(Buffer.from(s, 'utf8'));
        return;
      }
    }
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  flush(): void {
    if (this.off === 0) return;
    const full = this.buf.subarray(0, this.off);
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.off = 0;
    this.push(full);
  }

  private push(b: Buffer): void {
    const ok = this.stream.write(b);
    // Listen now, not when the generator gets round to waiting: the event may come first.
    if (!ok && this.drained === null) this.drained = once(this.stream, 'drain');
  }

  get blocked(): boolean {
    return this.drained !== null;
  }

  async drain(): Promise<void> {
    if (this.drained === null) return;
    await this.drained;
    this.drained = null;
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }

  info(): FileInfo {
    return { path: this.path, format: this.format, records: this.records };
  }
}

/** Every file the generator opened, for draining, closing and the result list. */
export class OutDir {
  private readonly open = new Set<OutFile>();
  private readonly all: OutFile[] = [];

  constructor(readonly root: string) {}

  file(rel: string, format: string): OutFile {
    const f = new OutFile(join(this.root, rel), format);
    this.open.add(f);
    this.all.push(f);
    return f;
  }

  private readonly closing: Array<Promise<void>> = [];
  private error: unknown = null;

  /** Ends a file; its completion is awaited by closeAll (errors surface there). */
  closeFile(f: OutFile): void {
    if (!this.open.delete(f)) return;
    this.closing.push(f.close().catch((e: unknown) => {
      this.error ??= e;
    }));
  }

  /** True when some stream asked us to wait. */
  get blocked(): boolean {
    for (const f of this.open) if (f.blocked) return true;
    return false;
  }

  async drain(): Promise<void> {
    for (const f of this.open) await f.drain();
  }

  async closeAll(): Promise<void> {
    for (const f of [...this.open]) this.closeFile(f);
    await Promise.all(this.closing);
    if (this.error !== null) throw this.error;
  }

  files(): FileInfo[] {
    return this.all.map((f) => f.info()).filter((f) => f.records > 0).sort((a, b) => (a.path < b.path ? -1 : 1));
  }
}

export interface Sink {
  add(record: string): void;
  finish(): Promise<void>;
}

export class NdjsonSink implements Sink {
  private readonly f: OutFile;
  constructor(dir: OutDir, rel: string, format: string) {
    this.f = dir.file(rel, format);
  }
  add(record: string): void {
    this.f.write(record + '\n');
    this.f.records++;
  }
  async finish(): Promise<void> {}
}

/**
 * A JSON container streamed in pieces and rotated every `perFile` records:
 * `prefix` + records joined by `sep` + `suffix`. Files are named by `name(n)`.
 */
export class BlobSink implements Sink {
  private cur: OutFile | null = null;
  private n = 0;

  constructor(
    private readonly dir: OutDir,
    private readonly name: (n: number) => string,
    private readonly format: string,
    private readonly perFile: number,
    private readonly prefix: string,
    private readonly sep: string,
    private readonly suffix: string,
  ) {}

  add(record: string): void {
    let f = this.cur;
    if (f === null || f.records >= this.perFile) {
      if (f !== null) this.close(f);
      f = this.cur = this.dir.file(this.name(++this.n), this.format);
      f.write(this.prefix);
    } else {
      f.write(this.sep);
    }
    f.write(record);
    f.records++;
  }

  private close(f: OutFile): void {
    f.write(this.suffix);
    this.dir.closeFile(f);
  }

  async finish(): Promise<void> {
    if (this.cur !== null) this.close(this.cur);
    this.cur = null;
  }
}

/**
 * Microsoft Graph list pages: `{"@odata.context":..,"@odata.nextLink":..,"value":[..]}`.
 * A page is held in memory until it is full (bounded by `perPage`), so the
 * nextLink can come before `value` as Graph writes it; the last page has none.
 */
export class GraphPageSink implements Sink {
  private page: string[] = [];
  private n = 0;

  constructor(
    private readonly dir: OutDir,
    private readonly perPage: number,
    private readonly skipToken: string,
  ) {}

  add(record: string): void {
    if (this.page.length >= this.perPage) this.writePage(true);
    this.page.push(record);
  }

  private writePage(more: boolean): void {
    this.n++;
    const f = this.dir.file(`graph/signIns-page-${String(this.n).padStart(4, '0')}.json`, 'graph-signins');
    const next = more
      ? `\n  "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=${this.perPage}&$skiptoken=${this.skipToken}_${this.n}",`
      : '';
    f.write(`{\n  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",${next}\n  "value": [\n    `);
    f.write(this.page.join(',\n    '));
    f.write('\n  ]\n}\n');
    f.records = this.page.length;
    this.page = [];
    this.dir.closeFile(f);
  }

  async finish(): Promise<void> {
    if (this.page.length > 0 || this.n === 0) this.writePage(false);
  }
}

/** Purview audit search export: UTF-8 with BOM, CRLF, one header line. */
export class CsvSink {
  private readonly f: OutFile;
  constructor(dir: OutDir, rel: string, header: string) {
    this.f = dir.file(rel, 'purview-csv');
    this.f.write('\ufeff' + header + '\r\n');
  }
  get rows(): number {
    return this.f.records;
  }
  addRow(row: string): void {
    this.f.write(row);
    this.f.records++;
  }
  async finish(): Promise<void> {}
}
