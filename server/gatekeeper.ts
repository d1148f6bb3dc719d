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
import { headerLookup, sendHtml, sendStatus, setSecurityHeaders } from './respond';
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

const UNAUTHORISED_HTML = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>401 Unauthorized</title></head><body><p>401 Unauthorized. <a href="/login">Sign in</a></p></body></html>';

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
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
    const verdict = decide(auth, method, headerLookup(req));
    if (!verdict.ok) {
      if (verdict.status === 401 && (req.headers.accept ?? '').includes('text/html')) return sendHtml(res, 401, UNAUTHORISED_HTML);
      return sendStatus(res, verdict.status);
    }
    if (url.pathname.startsWith('/api/') && bodyTypeRefusal(method, req.headers['content-type'], hasBody(req))) return sendStatus(res, 415);
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
