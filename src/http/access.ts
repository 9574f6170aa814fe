// Who may do what (issue #15, item 6). Every caller presents an API token (as a
// bearer token, or once at sign-in for a browser session). Tokens are named and
// scoped, so a sensor that sends records cannot read the alerts, which name
// users and addresses:
//   ingest  POST /api/v1/ingest
//   read    the alerts, rules, status and metrics; the web UI
//   triage  change an alert's status (PATCH /api/v1/alerts/:id)
//   admin   everything
// Only the SHA-256 of each token is kept in memory, and a presented token is
// compared with every known one in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ingest', 'read', 'triage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** At least this many characters: tokens are made with `crosswatch token new` (32 random bytes). */
export const MIN_TOKEN_CHARS = 32;

export interface ApiToken {
  /** Shown in logs, in triage history and in the UI; never the secret. */
  name: string;
  /** SHA-256 of the token. */
  sha256: Buffer;
  scopes: ReadonlySet<Scope>;
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function apiToken(name: string, secret: { token: string } | { sha256: string }, scopes: Iterable<Scope>): ApiToken {
  const sha256 = 'token' in secret ? tokenHash(secret.token) : Buffer.from(secret.sha256, 'hex');
  return { name, sha256, scopes: new Set(scopes) };
}

/** The known token that `given` is, or null. Every token is compared (constant time), whichever matches. */
export function findToken(given: string, tokens: readonly ApiToken[]): ApiToken | null {
  const h = tokenHash(given);
  let found: ApiToken | null = null;
  for (const t of tokens) if (timingSafeEqual(h, t.sha256) && !found) found = t;
  return found;
}

export function hasScope(scopes: ReadonlySet<Scope>, need: Scope): boolean {
  return scopes.has('admin') || scopes.has(need);
}

/**
 * The scope a request needs, or null for routes anyone may reach (health, the
 * sign-in form) and 'session' for what any signed-in caller may do (its own
 * session: who am I, sign out).
 */
export function routeScope(method: string, path: string): Scope | 'session' | null {
  if (path === '/healthz' || path === '/readyz') return null;
  if (path === '/login' && method === 'POST') return null;
  if (path === '/logout' || path === '/api/v1/session') return 'session';
  if (path === '/api/v1/ingest') return 'ingest';
  if (method === 'PATCH' && path.startsWith('/api/v1/alerts/')) return 'triage';
  // Everything else reads: the UI and its script, alerts, rules, status, metrics.
  // (Unknown routes too, so that a 404 tells nothing to someone without a token.)
  return method === 'GET' || method === 'HEAD' ? 'read' : 'admin';
}
