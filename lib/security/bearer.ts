/**
 * The one bearer-token check, for both listeners that take a token: the dashboard
 * (server/tokens.ts, server/sessions.ts) and the collector's headless /metrics
 * (collector/metrics.ts). Pure, so either side may import it.
 */
import { bearerToken } from './cookies';

/** TOKEN_CHARS is RFC 6750's b64token alphabet: what `Authorization: Bearer` can carry (lib/security/cookies.ts bearerToken). */
export const TOKEN_CHARS = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * tokenMatches compares a presented token with the expected one in time that depends on the
 * expected token's length only, never on where the two differ.
 */
export function tokenMatches(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  // Past the end of `given`, charCodeAt is NaN, which the bitwise operators read as 0.
  for (let i = 0; i < expected.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

/** bearerMatches tells whether an Authorization header carries the expected token as `Bearer <token>`. */
export function bearerMatches(header: string | null | undefined, expected: string): boolean {
  const token = bearerToken(header);
  return token !== null && tokenMatches(token, expected);
}
