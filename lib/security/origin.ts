/**
 * Cross-site request forgery checks for requests authenticated by the session cookie.
 * The cookie is SameSite=Strict, but cookies are not port-scoped: a page served by any
 * other local port is same-site with the dashboard, so the Origin must match exactly.
 */

/** SAFE_METHODS never change state, so they need no CSRF check. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfInput {
  method: string;
  /** The request's Host header, already checked against the allowlist. */
  host: string | null | undefined;
  origin: string | null | undefined;
  /** Sec-Fetch-Site, sent by current browsers. */
  secFetchSite?: string | null;
}

/** isSafeMethod says whether a method is exempt from CSRF checks. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * csrfRefusal returns why a cookie-authenticated request must be refused, or null when it
 * is a safe method or carries an Origin equal to `http://<Host>`. Missing Origin and
 * `Origin: null` (sandboxed frames, some redirects, file: pages) are refused.
 */
export function csrfRefusal(req: CsrfInput): string | null {
  if (isSafeMethod(req.method)) return null;
  if (req.secFetchSite && req.secFetchSite !== 'same-origin') return 'cross-site request';
  if (!req.origin) return 'missing Origin';
  if (req.origin === 'null') return 'opaque Origin';
  if (!req.host) return 'missing Host';
  if (req.origin.toLowerCase() !== `http://${req.host.toLowerCase()}`) return 'cross-origin request';
  return null;
}

/**
 * apiReadRefusal refuses a cookie-authenticated API read that a browser made for another
 * document: `<img src>` or `fetch` from a page on another local port is same-site, so the
 * Strict cookie goes along, and a heavy report is a way to stall the dashboard. Only the
 * dashboard's own pages (`same-origin`) and a user typing the URL (`none`) may read; clients
 * that send no Sec-Fetch-Site (curl, older browsers) are judged by their cookie alone.
 */
export function apiReadRefusal(secFetchSite: string | null | undefined): string | null {
  if (!secFetchSite) return null;
  return secFetchSite === 'same-origin' || secFetchSite === 'none' ? null : 'API read from another site';
}

/**
 * bodyTypeRefusal refuses state-changing API requests whose body is not JSON: an HTML form
 * can send text/plain, urlencoded or multipart bodies cross-site without a preflight,
 * but never application/json.
 */
export function bodyTypeRefusal(method: string, contentType: string | null | undefined, hasBody: boolean): string | null {
  if (isSafeMethod(method) || !hasBody) return null;
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' ? null : 'API bodies must be application/json';
}
