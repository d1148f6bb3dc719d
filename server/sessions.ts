/**
 * The server's small memory: login codes already used and sessions logged out, each kept
 * until it would have expired anyway. A restart forgets both lists, so the server also
 * refuses every code and session minted before it started (`notBefore`): a used code or a
 * logged-out cookie never works again, at the price of signing in again after a restart.
 * Tokens carry whole seconds, so the sessions this server mints count from the second after its
 * start (`sessionsFrom`): a cookie of the server before it, logged out in the same second as this
 * one started, would otherwise look minted by this one.
 */
import type { AuthGate, AuthMethod, HeaderLookup } from '../lib/security/gate';
import { bearerToken, parseCookies, sessionCookieName } from '../lib/security/cookies';
import { LOGIN_CODE_TTL_SEC, SESSION_TTL_SEC, type Keys, type SignedToken, verifyBearer, verifyLoginCode, verifySession, mintSession } from './tokens';
import { nowSeconds } from '../lib/time';

const MAX_REMEMBERED = 10_000;

class ExpiringSet {
  private readonly items = new Map<string, number>();
  add(id: string, exp: number): void {
    if (this.items.size >= MAX_REMEMBERED) this.prune(nowSeconds());
    this.items.set(id, exp);
  }
  has(id: string): boolean {
    return this.items.has(id);
  }
  prune(nowSec: number): void {
    for (const [id, exp] of this.items) if (exp <= nowSec) this.items.delete(id);
  }
}

/** mintedSince says whether a token with this lifetime was minted at or after `notBefore` (unix seconds). */
function mintedSince(token: SignedToken | null, ttlSec: number, notBefore: number): token is SignedToken {
  return token !== null && token.exp - ttlSec >= notBefore;
}

export class SessionAuthority implements AuthGate {
  private readonly usedCodes = new ExpiringSet();
  private readonly loggedOut = new ExpiringSet();
  /** Start of this server's memory (whole seconds, as tokens carry): nothing minted earlier is accepted. */
  private readonly notBefore: number;
  /** The first second this server's own sessions carry as minted; earlier ones are another server's. */
  private readonly sessionsFrom: number;
  readonly cookieName: string;

  constructor(
    private readonly keys: Keys,
    readonly allowedHosts: ReadonlySet<string>,
    port: number,
    private readonly clock: () => number = nowSeconds,
  ) {
    this.cookieName = sessionCookieName(port);
    this.notBefore = Math.floor(clock());
    this.sessionsFrom = this.notBefore + 1;
  }

  /** authenticate: an Authorization header is judged alone; otherwise the session cookie. */
  authenticate(headers: HeaderLookup): AuthMethod | null {
    const auth = headers.get('authorization');
    if (auth !== null) {
      const token = bearerToken(auth);
      return token !== null && verifyBearer(this.keys, token) ? 'bearer' : null;
    }
    return this.sessionId(headers) !== null ? 'session' : null;
  }

  /** sessionId returns the id of a valid, not logged-out session cookie, else null. */
  sessionId(headers: HeaderLookup): string | null {
    const value = parseCookies(headers.get('cookie')).get(this.cookieName);
    if (!value) return null;
    const s = verifySession(this.keys, value, this.clock());
    return mintedSince(s, SESSION_TTL_SEC, this.sessionsFrom) && !this.loggedOut.has(s.id) ? s.id : null;
  }

  /** redeemLoginCode turns a genuine, unexpired, unused login code into a new session cookie value. */
  redeemLoginCode(code: string): { value: string; maxAge: number } | null {
    const now = this.clock();
    const c = verifyLoginCode(this.keys, code, now);
    if (!mintedSince(c, LOGIN_CODE_TTL_SEC, this.notBefore) || this.usedCodes.has(c.id)) return null;
    this.usedCodes.add(c.id, c.exp);
    return this.newSession();
  }

  /** loginWithToken exchanges the secret itself (typed into the login form) for a session. */
  loginWithToken(token: string): { value: string; maxAge: number } | null {
    return verifyBearer(this.keys, token) ? this.newSession() : null;
  }

  /** logout forgets a session until its natural expiry. */
  logout(headers: HeaderLookup): void {
    const value = parseCookies(headers.get('cookie')).get(this.cookieName);
    const s = value ? verifySession(this.keys, value, this.clock()) : null;
    if (s) this.loggedOut.add(s.id, s.exp);
  }

  private newSession(): { value: string; maxAge: number } {
    const now = this.clock();
    // Minted in the start second, a session counts from the next (it lives up to a second longer).
    const s = mintSession(this.keys, Math.max(now, this.sessionsFrom));
    return { value: s.value, maxAge: s.exp - Math.floor(now) };
  }
}
