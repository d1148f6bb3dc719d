/**
 * /login and /logout, served before Next.js: a login URL with a one-time code (printed by
 * `appnet serve`/`appnet start`/`appnet login-url`) or a form where the token can be pasted.
 * Both end in an HttpOnly, SameSite=Strict session cookie and a redirect to /.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { csrfRefusal } from '../lib/security/origin';
import { tokenBucket } from './rate-limit';
import { headerLookup, readSmallBody, sendHtml, sendStatus } from './respond';
import type { SessionAuthority } from './sessions';

/**
 * Failed sign-ins (wrong token, invalid login code): 10 at once, then one per second for the
 * whole server. A right token or code costs nothing, so signing in works while nobody guesses.
 */
const failures = tokenBucket({ burst: 10, perSec: 1 });

function tooMany(res: ServerResponse, nonce: string): void {
  sendHtml(res, 429, page(nonce, 'Too many failed sign-in attempts. Wait a few seconds and try again.'), { 'Retry-After': String(failures.retryAfterSec()) });
}

/** page is the sign-in form: the dashboard's colours in light and dark, one main landmark, a labelled field. */
function page(nonce: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · appnet</title><style nonce="${nonce}">:root{color-scheme:light dark;background:#f6f7f9;color:#1b1f24}
body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
input{width:100%;box-sizing:border-box;padding:.5rem;margin:.5rem 0;font:inherit}
button{padding:.5rem 1rem;font:inherit;background:#1d4ed8;color:#fff;border:0;border-radius:8px}p.note{color:#4b5563}
@media (prefers-color-scheme:dark){:root{background:#0f1216;color:#e6e9ed}p.note{color:#aab4c0}button{background:#8ab4ff;color:#0f1216}}</style></head>
<body><main><h1>appnet</h1><p>${message}</p>
<form method="post" action="/login"><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="note">Run <code>appnet login-url</code> as the user that started the dashboard for a fresh one-time link, or paste the token from the secret file (or APPNET_TOKEN).</p></main></body></html>`;
}

function sessionCookie(name: string, value: string, maxAge: number): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;
}

function signedIn(res: ServerResponse, auth: SessionAuthority, session: { value: string; maxAge: number }): void {
  res.writeHead(303, { Location: '/', 'Set-Cookie': sessionCookie(auth.cookieName, session.value, session.maxAge), 'Cache-Control': 'no-store', 'Content-Length': 0 });
  res.end();
}

function sameOrigin(req: IncomingMessage): boolean {
  const h = headerLookup(req);
  return csrfRefusal({ method: req.method ?? 'GET', host: h.get('host'), origin: h.get('origin'), secFetchSite: h.get('sec-fetch-site') }) === null;
}

function logout(req: IncomingMessage, res: ServerResponse, auth: SessionAuthority): void {
  if (!sameOrigin(req)) return sendStatus(res, 403);
  if (req.method !== 'POST') return sendStatus(res, 405, { Allow: 'POST' });
  auth.logout(headerLookup(req));
  res.writeHead(303, { Location: '/login', 'Set-Cookie': sessionCookie(auth.cookieName, '', 0), 'Cache-Control': 'no-store', 'Content-Length': 0 });
  res.end();
}

function loginGet(req: IncomingMessage, res: ServerResponse, url: URL, auth: SessionAuthority, nonce: string): void {
  const code = url.searchParams.get('t');
  // HEAD (link previews, probes) must not use up a one-time code.
  if (code === null || req.method === 'HEAD') return sendHtml(res, 200, page(nonce, 'Sign in to the dashboard.'));
  if (!failures.available()) return tooMany(res, nonce);
  const session = auth.redeemLoginCode(code);
  if (session) return signedIn(res, auth, session);
  failures.take();
  sendHtml(res, 401, page(nonce, 'This login link is invalid, expired or was already used.'));
}

async function loginPost(req: IncomingMessage, res: ServerResponse, auth: SessionAuthority, nonce: string): Promise<void> {
  if (!sameOrigin(req)) return sendStatus(res, 403);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return sendStatus(res, 415);
  const body = await readSmallBody(req, 4096);
  if (body === null) return sendStatus(res, 413);
  if (!failures.available()) return tooMany(res, nonce);
  const session = auth.loginWithToken((new URLSearchParams(body).get('token') ?? '').trim());
  if (session) return signedIn(res, auth, session);
  failures.take();
  sendHtml(res, 401, page(nonce, 'That token is not correct.'));
}

/**
 * handleLogin serves GET /login (?t=<code> redeems a one-time code), POST /login (token
 * form, same-origin only) and POST /logout. Returns false when the path is not one of these.
 */
export async function handleLogin(req: IncomingMessage, res: ServerResponse, url: URL, auth: SessionAuthority, nonce: string): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/logout') logout(req, res, auth);
  else if (url.pathname !== '/login') return false;
  else if (method === 'GET' || method === 'HEAD') loginGet(req, res, url, auth, nonce);
  else if (method === 'POST') await loginPost(req, res, auth, nonce);
  else sendStatus(res, 405, { Allow: 'GET, POST' });
  return true;
}
