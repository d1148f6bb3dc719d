/**
 * The request pipeline in front of Next.js: security headers, Host allowlist (403), login
 * pages, authentication (401), CSRF (403), JSON-only API bodies (415), then a fresh CSP
 * nonce handed to Next.js through the request's CSP header.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decide } from '../lib/security/gate';
import { isAllowedHost } from '../lib/security/host';
import { bodyTypeRefusal } from '../lib/security/origin';
import { contentSecurityPolicy } from '../lib/security/csp';
import { handleLogin } from './login';
import { headerLookup, sendRedirect, sendStatus, setSecurityHeaders } from './respond';
import type { SessionAuthority } from './sessions';

export type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * INTERNAL_HEADERS are meaningful only between Next.js' own components or behind a trusted
 * proxy; a client sending them is lying (CVE-2025-29927 used x-middleware-subrequest).
 */
const INTERNAL_HEADERS = [
  'x-middleware-subrequest', 'x-middleware-invoke', 'x-middleware-next', 'x-middleware-rewrite', 'x-middleware-set-cookie',
  'x-invoke-path', 'x-invoke-query', 'x-invoke-status', 'x-invoke-error', 'x-invoke-output', 'x-matched-path',
  'x-now-route-matches', 'x-prerender-revalidate', 'x-prerender-revalidate-if-generated', 'x-next-revalidate-tag-token',
  'x-next-revalidated-tags', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-for', 'forwarded',
  'content-security-policy', 'content-security-policy-report-only',
];

/**
 * API_BODY_LIMIT bounds what an authenticated API request may send (a rule is well under
 * 1 KiB; the collector's socket takes 64 KiB). The length must be declared up front, so
 * nothing is read before the check.
 */
export const API_BODY_LIMIT = 64 * 1024;

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** apiBodyStatus is 411 for a body of undeclared length, 413 for one over the limit, else null. */
function apiBodyStatus(req: IncomingMessage): 411 | 413 | null {
  if (!hasBody(req)) return null;
  const len = req.headers['content-length'];
  if (len === undefined) return 411;
  return Number(len) > API_BODY_LIMIT ? 413 : null;
}

/** wantsPage: a browser navigating to a page, which should land on the sign-in form rather than a bare 401. */
function wantsPage(req: IncomingMessage, path: string): boolean {
  const method = req.method ?? 'GET';
  return (method === 'GET' || method === 'HEAD') && !path.startsWith('/api/') && (req.headers.accept ?? '').includes('text/html');
}

/** createGatekeeper wraps the Next.js request handler with every server-level check. */
export function createGatekeeper(auth: SessionAuthority, next: NextHandler): (req: IncomingMessage, res: ServerResponse) => void {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const nonce = randomBytes(16).toString('base64');
    setSecurityHeaders(res, nonce);
    const rawUrl = req.url ?? '';
    if (!rawUrl.startsWith('/') || rawUrl.startsWith('//')) return sendStatus(res, 400);
    if (!isAllowedHost(req.headers.host, auth.allowedHosts)) return sendStatus(res, 403);
    for (const h of INTERNAL_HEADERS) delete req.headers[h];
    const url = new URL(rawUrl, 'http://appnet.invalid');
    if (await handleLogin(req, res, url, auth, nonce)) return;
    const method = req.method ?? 'GET';
    const api = url.pathname.startsWith('/api/');
    const verdict = decide(auth, method, headerLookup(req), { api });
    if (!verdict.ok) {
      if (verdict.status === 401 && wantsPage(req, url.pathname)) return sendRedirect(res, '/login');
      return sendStatus(res, verdict.status);
    }
    if (api && bodyTypeRefusal(method, req.headers['content-type'], hasBody(req))) return sendStatus(res, 415);
    const bodyStatus = api ? apiBodyStatus(req) : null;
    if (bodyStatus) return sendStatus(res, bodyStatus, { Connection: 'close' });
    req.headers['content-security-policy'] = contentSecurityPolicy(nonce);
    await next(req, res);
  };
  return (req, res) => {
    serve(req, res).catch((err: unknown) => {
      process.stderr.write(`appnet serve: ${req.method} ${req.url}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      if (!res.headersSent) sendStatus(res, 500);
      else res.destroy();
    });
  };
}
