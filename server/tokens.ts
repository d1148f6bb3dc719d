/**
 * Session cookies, one-time login codes and bearer checks, all derived from the per-install
 * secret. Both tokens are stateless HMACs, so `appnet login-url` can mint a code from the
 * secret file without talking to the running server; the server remembers only which codes
 * were used and which sessions were logged out.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { tokenMatches } from '../lib/security/bearer';

export interface Keys {
  /** The secret itself: what a bearer token must equal. */
  readonly bearer: string;
  readonly sessionKey: Buffer;
  readonly loginKey: Buffer;
}

/** SESSION_TTL_SEC is how long a browser session lasts. */
export const SESSION_TTL_SEC = 24 * 3600;
/** LOGIN_CODE_TTL_SEC is how long a printed login URL stays valid (and it works once). */
export const LOGIN_CODE_TTL_SEC = 15 * 60;

const mac = (key: Buffer, s: string): string => createHmac('sha256', key).update(s, 'utf8').digest('base64url');

/** deriveKeys splits the secret into independent keys, so no token doubles as another kind. */
export function deriveKeys(secret: string): Keys {
  const k = (label: string): Buffer => createHmac('sha256', secret).update(`appnet ${label} v1`).digest();
  return Object.freeze({ bearer: secret, sessionKey: k('session'), loginKey: k('login') });
}

/** verifyBearer checks a bearer token against the secret (lib/security/bearer.ts, the check /metrics uses too). */
export function verifyBearer(keys: Keys, token: string): boolean {
  return tokenMatches(token, keys.bearer);
}

export interface SignedToken {
  /** Random id: the session id, or the login code's nonce. */
  id: string;
  /** Expiry, unix seconds. */
  exp: number;
}

const TOKEN_RE = /^([A-Za-z0-9_-]{22})\.(\d{10})\.([A-Za-z0-9_-]{43})$/;

function mint(key: Buffer, ttlSec: number, nowSec: number): { value: string } & SignedToken {
  const id = randomBytes(16).toString('base64url');
  const exp = Math.floor(nowSec) + ttlSec;
  return { value: `${id}.${exp}.${mac(key, `${id}.${exp}`)}`, id, exp };
}

function verify(key: Buffer, value: string, nowSec: number): SignedToken | null {
  const m = TOKEN_RE.exec(value);
  if (!m) return null;
  const expected = Buffer.from(mac(key, `${m[1]}.${m[2]}`));
  const given = Buffer.from(m[3]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const exp = Number(m[2]);
  return exp > nowSec ? { id: m[1], exp } : null;
}

/** mintSession creates a session cookie value `<sid>.<exp>.<hmac>`. */
export function mintSession(keys: Keys, nowSec: number): { value: string } & SignedToken {
  return mint(keys.sessionKey, SESSION_TTL_SEC, nowSec);
}

/** verifySession returns the session id and expiry of a genuine, unexpired cookie value, else null. */
export function verifySession(keys: Keys, value: string, nowSec: number): SignedToken | null {
  return verify(keys.sessionKey, value, nowSec);
}

/** mintLoginCode creates a one-time login code for the URL /login?t=<code>. */
export function mintLoginCode(keys: Keys, nowSec: number): string {
  return mint(keys.loginKey, LOGIN_CODE_TTL_SEC, nowSec).value;
}

/** verifyLoginCode checks a login code's signature and expiry (single use is the caller's job). */
export function verifyLoginCode(keys: Keys, code: string, nowSec: number): SignedToken | null {
  return verify(keys.loginKey, code, nowSec);
}

/** newSecret returns 32 random bytes as base64url: the per-install secret and bearer token. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
