/**
 * The authorisation decision shared by the HTTP server (before any routing) and by every
 * route handler, page and server action (again, inside Next.js). The server registers its
 * gate on globalThis; code running inside Next.js finds it there. Without a registered gate
 * (e.g. someone ran `next start` directly) every check fails closed.
 */
import { isAllowedHost } from './host';
import { apiReadRefusal, csrfRefusal } from './origin';

/** How a request proved who it is. */
export type AuthMethod = 'bearer' | 'session';

/** A header lookup that both node:http requests and the Fetch API's Headers can provide. */
export interface HeaderLookup {
  get(name: string): string | null;
}

export interface AuthGate {
  /** Exact `name:port` values a Host header may carry. */
  readonly allowedHosts: ReadonlySet<string>;
  /** authenticate returns how the request is authenticated (bearer token or session cookie), or null. */
  authenticate(headers: HeaderLookup): AuthMethod | null;
}

export type Decision =
  | { ok: true; via: AuthMethod }
  | { ok: false; status: 401 | 403; reason: string };

const GATE_KEY = Symbol.for('appnet.authGate.v1');

/** registerAuthGate installs the process-wide gate (called once by the server before it listens). */
export function registerAuthGate(gate: AuthGate): void {
  (globalThis as Record<symbol, unknown>)[GATE_KEY] = Object.freeze(gate);
}

/** registeredAuthGate returns the gate the server installed, or null when there is none. */
export function registeredAuthGate(): AuthGate | null {
  const g = (globalThis as Record<symbol, unknown>)[GATE_KEY];
  return g && typeof g === 'object' && typeof (g as AuthGate).authenticate === 'function' ? (g as AuthGate) : null;
}

/** What decide needs to know about the request beyond method and headers. */
export interface DecideOptions {
  /** The path is under /api/: cookie reads must come from the dashboard's own pages too. */
  api?: boolean;
}

/**
 * decide checks Host (403), credentials (401) and, for session-authenticated requests, the
 * Origin of state changes and the Sec-Fetch-Site of API reads (403), in that order. Bearer
 * requests need neither: a browser never adds an Authorization header on its own.
 */
export function decide(gate: AuthGate | null, method: string, headers: HeaderLookup, opts: DecideOptions = {}): Decision {
  if (!gate) return { ok: false, status: 401, reason: 'no authentication configured' };
  const host = headers.get('host');
  if (!isAllowedHost(host, gate.allowedHosts)) return { ok: false, status: 403, reason: 'host not allowed' };
  const via = gate.authenticate(headers);
  if (!via) return { ok: false, status: 401, reason: 'not authenticated' };
  if (via === 'session') {
    const refusal =
      csrfRefusal({ method, host, origin: headers.get('origin'), secFetchSite: headers.get('sec-fetch-site') }) ??
      (opts.api ? apiReadRefusal(headers.get('sec-fetch-site')) : null);
    if (refusal) return { ok: false, status: 403, reason: refusal };
  }
  return { ok: true, via };
}
