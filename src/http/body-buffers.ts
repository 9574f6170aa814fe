// Request bodies are read into reused buffers: a fresh 10 MB allocation per
// request costs page faults (the kernel zeroing new memory) several times the
// copy itself. A buffer goes to an ingest worker and comes back with its reply
// (ingest-pool.ts); then it waits here for the next body of its size class.
// Bodies under 1 MiB get their own small buffer; at most `maxHeldBytes` (32 MiB) wait:
// what is waiting stays in the process's memory, and a busy server has most of its
// buffers out with requests, not waiting (64 MiB gave a 10-minute soak's highest
// memory sample 514 MB; 32 MiB 493 MB, at 55.4k records/s against 53.0k).

const MIN_POOLED = 1 << 20;

/** Size classes: powers of two and the quarters between them (1, 1.25, 1.5, 1.75, 2, 2.5 … MiB). */
function sizeClass(n: number): number {
  let p = MIN_POOLED;
  while (p * 2 < n) p *= 2;
  const step = p / 4;
  return Math.max(MIN_POOLED, Math.ceil(n / step) * step);
}

export class BodyBuffers {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private held = 0;

  constructor(private readonly maxHeldBytes = 32 * 1024 * 1024) {}

  /** A buffer of at least `size` bytes (its contents are whatever it held before). */
  take(size: number): ArrayBuffer {
    if (size < MIN_POOLED) return new ArrayBuffer(Math.max(size, 1));
    const c = sizeClass(size);
    const list = this.free.get(c);
    const ab = list?.pop();
    if (ab) {
      this.held -= ab.byteLength;
      return ab;
    }
    return new ArrayBuffer(c);
  }

  /** Gives a buffer back for reuse (ignored when too small, or enough are waiting). */
  give(ab: ArrayBuffer): void {
    const c = ab.byteLength;
    if (c < MIN_POOLED || c !== sizeClass(c) || this.held + c > this.maxHeldBytes) return;
    let list = this.free.get(c);
    if (!list) this.free.set(c, (list = []));
    list.push(ab);
    this.held += c;
  }

  /** Bytes waiting for reuse. */
  get heldBytes(): number {
    return this.held;
  }
}
