// Browser sessions for the web UI (issue #15, item 6). Signing in with an API
// token creates a session: a random id in an HttpOnly, SameSite=Strict cookie
// (Secure under TLS), never the token itself. The session ends on sign-out, after
// `idleMs` without a request, and `maxMs` after sign-in whatever happens. Every
// session has a CSRF token the UI reads from GET /api/v1/session (a foreign page
// cannot read it) and sends back in a header with every change.
//
// Sessions live in the service's SQLite file, so a restart does not sign everyone
// out. Only the SHA-256 of a session id is stored: a copy of the data folder
// gives no live session.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Scope } from './access.js';

export interface Session {
  /** The name of the API token that signed in. */
  name: string;
  scopes: ReadonlySet<Scope>;
  csrf: string;
  createdMs: number;
  seenMs: number;
}

export interface SessionOptions {
  /** Ends after this long without a request (default 30 minutes). */
  idleMs?: number;
  /** Ends this long after sign-in whatever happens (default 12 hours). */
  maxMs?: number;
  /** Sessions kept at most; the oldest go first (default 1,000). */
  maxSessions?: number;
  now?: () => number;
}

export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_SESSION_MAX_MS = 12 * 3_600_000;
const DEFAULT_MAX_SESSIONS = 1000;
/** A session's last-seen time is written at most this often (a page makes many requests). */
const SEEN_RESOLUTION_MS = 10_000;

const idHash = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex');

export class SessionStore {
  readonly idleMs: number;
  readonly maxMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  /** Prepared once: get() runs for every request the browser makes. */
  private readonly select: Database.Statement;
  private readonly touch: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(private readonly db: Database.Database, opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.maxMs = opts.maxMs ?? DEFAULT_SESSION_MAX_MS;
    this.maxSessions = opts.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.now = opts.now ?? Date.now;
    db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id_sha256 TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      scopes TEXT NOT NULL,
      csrf TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      seen_ms INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.select = db.prepare('SELECT name, scopes, csrf, created_ms, seen_ms FROM sessions WHERE id_sha256 = ?');
    this.touch = db.prepare('UPDATE sessions SET seen_ms = ? WHERE id_sha256 = ?');
    this.remove = db.prepare('DELETE FROM sessions WHERE id_sha256 = ?');
  }

  /** A new session; returns its id (for the cookie). */
  create(name: string, scopes: ReadonlySet<Scope>): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: Session = { name, scopes, csrf: randomBytes(32).toString('base64url'), createdMs: now, seenMs: now };
    this.db.transaction(() => {
      this.purge(now);
      this.db.prepare('INSERT INTO sessions (id_sha256, name, scopes, csrf, created_ms, seen_ms) VALUES (?, ?, ?, ?, ?, ?)')
        .run(idHash(id), name, JSON.stringify([...scopes]), session.csrf, now, now);
      // Bounded: sign-ins (rate-limited per address) cannot grow the table without end.
      this.db.prepare('DELETE FROM sessions WHERE id_sha256 IN (SELECT id_sha256 FROM sessions ORDER BY seen_ms DESC LIMIT -1 OFFSET ?)').run(this.maxSessions);
    })();
    return { id, session };
  }

  /** The live session with this id (its last-seen time moves on), or null when unknown or expired. */
  get(id: string): Session | null {
    if (id.length === 0 || id.length > 128) return null;
    const h = idHash(id);
    const row = this.select.get(h) as
      { name: string; scopes: string; csrf: string; created_ms: number; seen_ms: number } | undefined;
    if (!row) return null;
    const now = this.now();
    if (now - row.seen_ms > this.idleMs || now - row.created_ms > this.maxMs) {
      this.remove.run(h);
      return null;
    }
    if (now - row.seen_ms >= SEEN_RESOLUTION_MS) this.touch.run(now, h);
    return { name: row.name, scopes: new Set(JSON.parse(row.scopes) as Scope[]), csrf: row.csrf, createdMs: row.created_ms, seenMs: now };
  }

  /** Sign-out. */
  destroy(id: string): void {
    this.remove.run(idHash(id));
  }

  /** Whether a request's CSRF header is the session's token (constant time). */
  static csrfMatches(expected: string, given: unknown): boolean {
    if (typeof given !== 'string') return false;
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(expected).digest();
    return timingSafeEqual(a, b);
  }

  private purge(now: number): void {
    this.db.prepare('DELETE FROM sessions WHERE seen_ms < ? OR created_ms < ?').run(now - this.idleMs, now - this.maxMs);
  }
}
