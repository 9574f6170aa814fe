// Who may call what. Every route but /healthz, /readyz and the sign-in form needs
// a scoped API token (access.ts) as a bearer token, or a browser session signed
// in with one (sessions.ts): alerts name users and addresses. Changes by a
// browser session must come from the service's own pages with the session's
// CSRF token. Here: the check before every route, sign-in, sign-out and "who am I".
import fastifyCookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { findToken, hasScope, routeScope, type ApiToken, type Scope } from './access.js';
import { atRoot } from './root-plugin.js';
import { SessionStore } from './sessions.js';
import { LOGIN_HTML, UI_CSP } from './ui.js';

export interface AuthOptions {
  /** The API tokens, named and scoped (at least one). */
  tokens: readonly ApiToken[];
  sessions: SessionStore;
}

/** Methods that change nothing: the browser session may use them from anywhere it is sent. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Largest sign-in form body: a token and its field name. */
const LOGIN_BODY_LIMIT = 4096;
/** Sign-in attempts per address per minute, right or wrong. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;
/** The browser session's cookie: its random id (sessions.ts), never a token. */
const SESSION_COOKIE = 'crosswatch_session';
/** The header that carries a session's CSRF token on every change the UI makes. */
const CSRF_HEADER = 'x-csrf-token';

/** Who made a request: a token (bearer) or a browser session signed in with one. */
export interface Caller {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** The session's id and record, when it came with the session cookie. */
  session?: { id: string; csrf: string };
}
const callers = new WeakMap<FastifyRequest, Caller>();

/** Who made a request that passed the check (none for the routes anyone may reach). */
export function callerOf(req: FastifyRequest): Caller | undefined {
  return callers.get(req);
}

/**
 * Whether a request's Origin names this service's host. (By host, not scheme: behind
 * a proxy that ends TLS the page is https while the service sees http.)
 */
function sameHost(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

const signInPage = (reply: FastifyReply, code: number): FastifyReply =>
  reply.code(code).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', UI_CSP).send(LOGIN_HTML);

/**
 * The check before every route, unknown paths too (at the root, so a 404 tells
 * nothing to someone without a token). It runs first of the onRequest hooks:
 * @fastify/cookie's own hook is added after it, and it reads the cookie header
 * itself.
 */
export const authentication = atRoot<AuthOptions>('crosswatch-auth', async (app, o) => {
  const { tokens, sessions } = o;
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?', 1)[0] ?? '';
    const need = routeScope(req.method, path);
    if (need === null) return;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    let caller: Caller | null = null;
    if (bearer) {
      const t = findToken(bearer[1]!.trim(), tokens);
      if (t) caller = { name: t.name, scopes: t.scopes };
    } else {
      const id = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
      const s = id ? sessions.get(id) : null;
      if (s && id) caller = { name: s.name, scopes: s.scopes, session: { id, csrf: s.csrf } };
    }
    if (!caller) {
      // A person at the UI gets the sign-in form (it shows no data); programs get JSON.
      if (path === '/' && req.method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''))) {
        await signInPage(reply, 401);
        return;
      }
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token, or no browser session (sign in at /)' });
      return;
    }
    if (caller.session && !SAFE_METHODS.has(req.method)) {
      // The browser sends the cookie with any page's request, a foreign one's too (CSRF):
      // ingest never by cookie; other changes only from the service's own pages, with the
      // session's CSRF token, which only those pages can read.
      if (need === 'ingest') {
        await reply.code(403).send({ error: 'ingest takes a bearer token (Authorization: Bearer …), not the browser session' });
        return;
      }
      if (!sameHost(req.headers.origin, req.headers.host)) {
        await reply.code(403).send({ error: 'a change by the browser session must come from this service\'s own pages (Origin)' });
        return;
      }
      if (!SessionStore.csrfMatches(caller.session.csrf, req.headers[CSRF_HEADER])) {
        await reply.code(403).send({ error: `a change by the browser session needs its CSRF token (${CSRF_HEADER} header)` });
        return;
      }
    }
    if (need !== 'session' && !hasScope(caller.scopes, need)) {
      await reply.code(403).send({ error: `the token "${caller.name}" does not have the ${need} scope` });
      return;
    }
    callers.set(req, caller);
  });
  // parseCookie (above) and setCookie/clearCookie (sign-in, sign-out).
  app.register(fastifyCookie);
});

/** Who is signed in (GET /api/v1/session). The reply is written from this schema: a field not named here is left out. */
const sessionReply = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'The name of the token, or of the token the session signed in with' },
    scopes: { type: 'array', items: { type: 'string' } },
    csrf: { type: 'string', description: 'The session\'s CSRF token, for the x-csrf-token header (browser sessions only)' },
  },
  required: ['name', 'scopes'],
} as const;

/** Sign-in (POST /login), sign-out (POST /logout) and who is signed in (GET /api/v1/session). */
export const sessionRoutes: FastifyPluginAsync<AuthOptions> = async (app, o) => {
  const { tokens, sessions } = o;
  // Sign-in is the one route anyone may send a body to: a few KiB at most, and a few
  // attempts a minute per address (checked before the body is read). Registered in a
  // plugin of its own so that it loads after the rate limiter, whose route hook it needs.
  app.register(rateLimit, { global: false });
  app.register(async (scope) => {
    scope.post('/login', { bodyLimit: LOGIN_BODY_LIMIT, config: { rateLimit: { max: LOGIN_ATTEMPTS_PER_MINUTE, timeWindow: 60_000 } } }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const token = new URLSearchParams(body).get('token') ?? '';
      const t = token ? findToken(token, tokens) : null;
      if (!t) return signInPage(reply, 401);
      // The UI shows alerts: a token that may only send records (a sensor's) cannot sign in.
      if (!hasScope(t.scopes, 'read')) return signInPage(reply, 403);
      // A new id at every sign-in (no session fixation); the old session, if any, ends.
      const old = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
      if (old) sessions.destroy(old);
      const { id } = sessions.create(t.name, t.scopes);
      return reply.code(303)
        .setCookie(SESSION_COOKIE, id, {
          httpOnly: true, sameSite: 'strict', path: '/', secure: req.protocol === 'https', maxAge: Math.floor(sessions.maxMs / 1000),
        })
        .header('location', '/')
        .send();
    });
  });
  // Sign-out: the session ends on the server, and the cookie is cleared.
  app.post('/logout', async (req, reply) => {
    const c = callers.get(req);
    if (c?.session) sessions.destroy(c.session.id);
    return reply.code(303).clearCookie(SESSION_COOKIE, { path: '/' }).header('location', '/').send();
  });
  // Who is signed in, and the session's CSRF token for the UI's changes.
  app.get('/api/v1/session', { schema: { response: { 200: sessionReply } } }, async (req) => {
    const c = callers.get(req)!;
    return { name: c.name, scopes: [...c.scopes], ...(c.session ? { csrf: c.session.csrf } : {}) };
  });
};
