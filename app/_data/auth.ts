/**
 * Authorisation inside Next.js, in addition to the server's gate (CVE-2025-29927: never let a
 * single layer decide). Route handlers call requireApiAuth(req); pages, layouts and server
 * actions call requirePageAuth(). Both ask the gate the appnet server registered on start;
 * when there is none (Next.js started some other way) everything is refused.
 */
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { decide, registeredAuthGate } from '../../lib/security/gate';
import { bodyTypeRefusal } from '../../lib/security/origin';

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 415: 'Unsupported Media Type' };

function refuse(status: 401 | 403 | 415): Response {
  return new Response(`${status} ${STATUS_TEXT[status]}\n`, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/**
 * requireApiAuth returns a 401/403/415 Response to send back, or null when the request may
 * proceed: allowed Host, valid bearer token or session cookie, same Origin for a
 * cookie-authenticated state change, and a JSON body for any state change.
 */
export async function requireApiAuth(req: Request): Promise<Response | null> {
  const verdict = decide(registeredAuthGate(), req.method, req.headers, { api: true });
  if (!verdict.ok) return refuse(verdict.status);
  const length = req.headers.get('content-length');
  const hasBody = req.headers.has('transfer-encoding') || (length !== null && length !== '0');
  if (bodyTypeRefusal(req.method, req.headers.get('content-type'), hasBody)) return refuse(415);
  return null;
}

/**
 * requirePageAuth redirects to /login when the visitor is not signed in and throws when the
 * request is forbidden. A request that looks state-changing (a server action, a form post,
 * anything carrying Origin or a body type) must come from the dashboard's own origin.
 * Calling it (it reads request headers) also makes the page dynamic, which the per-response
 * CSP nonce needs: call it from the root layout.
 */
export async function requirePageAuth(): Promise<void> {
  const h = await headers();
  const changing = h.has('next-action') || h.has('origin') || h.has('content-type');
  const verdict = decide(registeredAuthGate(), changing ? 'POST' : 'GET', h);
  if (verdict.ok) return;
  if (verdict.status === 401) redirect('/login');
  throw new Error('403 Forbidden');
}
