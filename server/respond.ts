/** Small response helpers shared by the gate and the login pages. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS, contentSecurityPolicy } from '../lib/security/csp';
import type { HeaderLookup } from '../lib/security/gate';

/** headerLookup adapts a node:http request to the Fetch-style `get(name)` the gate expects. */
export function headerLookup(req: IncomingMessage): HeaderLookup {
  return {
    get(name: string): string | null {
      const v = req.headers[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** setSecurityHeaders puts the fixed security headers and this response's CSP on res. */
export function setSecurityHeaders(res: ServerResponse, nonce: string): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(nonce));
}

const TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 405: 'Method Not Allowed', 411: 'Length Required', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error' };

/** sendStatus answers with a bare status line as text: no detail about why. */
export function sendStatus(res: ServerResponse, status: number, extra: Record<string, string> = {}): void {
  const body = `${status} ${TEXT[status] ?? 'Error'}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** sendRedirect answers 303 See Other to a path of this server. */
export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
  res.end();
}

/** sendHtml answers with a small self-contained HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(html), ...extra });
  res.end(html);
}

/** readSmallBody reads at most `limit` bytes of a request body, or null when it is larger. */
export async function readSmallBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
