// Store faults (disk full, read-only, failing, locked, damaged) as replies that
// say so and may be retried, instead of a 500; and what /readyz needs to know
// about the last one.
import { unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { atRoot } from './root-plugin.js';

/** /readyz says not ready this long after a store fault, unless a commit goes through. */
const NOT_READY_AFTER_FAULT_MS = 30_000;

/**
 * A store fault as a reply: the transaction was rolled back, so nothing of the
 * request was stored, and it may be sent again later. The store's disk full: 507
 * Insufficient Storage; the store read-only, its disk failing, or locked: 503.
 * Null for any other error (a bug stays a 500). With the store's file, a failed
 * write is told apart: SQLite says "disk I/O error" for a read-only file system too.
 */
export function storeFault(err: unknown, file?: string): { status: 503 | 507; error: string } | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const what = code === 'SQLITE_FULL' ? 'the disk holding the store is full'
    : /^SQLITE_READONLY/.test(code) ? 'the store cannot be written (read-only)'
      : /^SQLITE_(IOERR|CANTOPEN)/.test(code) ? 'the store\'s disk failed a read or write'
        : /^SQLITE_(BUSY|LOCKED)/.test(code) ? 'the store is locked by another process'
          : /^SQLITE_(CORRUPT|NOTADB)/.test(code) ? 'the store is damaged' : null;
  if (what === null) return null;
  let why = '';
  if (file && /^SQLITE_(IOERR|READONLY|CANTOPEN)/.test(code)) {
    const probe = join(dirname(file), '.crosswatch-write-probe');
    try {
      writeFileSync(probe, '');
      unlinkSync(probe);
    } catch (e) {
      why = (e as NodeJS.ErrnoException).code === 'EROFS' ? `; ${dirname(file)} is on a read-only file system` : `; ${(e as Error).message}`;
    }
  }
  return { status: code === 'SQLITE_FULL' ? 507 : 503, error: `${what} (${code}: ${(err as Error).message}${why}); nothing of this request was stored: send it again later` };
}

/** The last store fault, for /readyz; one per app. */
export class StoreHealth {
  private last: { error: string; at: number } | null = null;

  fault(error: string): void {
    this.last = { error, at: performance.now() };
  }

  /** A commit went through: the store is fine again. */
  clear(): void {
    this.last = null;
  }

  /** The last fault's message while it is recent, else null. */
  recentFault(): string | null {
    return this.last && performance.now() - this.last.at < NOT_READY_AFTER_FAULT_MS ? this.last.error : null;
  }
}

export interface StoreFaultOptions {
  health: StoreHealth;
  /** The store's file (tells a read-only file system apart). */
  file: string;
}

/**
 * The error handler of every route (so registered before them): a store fault is
 * answered 503 or 507 with Retry-After and noted for /readyz; anything else goes on
 * to Fastify's own handler.
 */
export const storeFaults = atRoot<StoreFaultOptions>('crosswatch-store-faults', async (app, o) => {
  app.setErrorHandler((err, req, reply) => {
    const f = storeFault(err, o.file);
    if (!f) throw err; // to Fastify's own handler
    o.health.fault(f.error);
    req.log.error({ err }, f.error);
    return reply.code(f.status).header('retry-after', '10').send({ error: f.error });
  });
});
