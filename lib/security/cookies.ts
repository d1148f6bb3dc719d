/** parseCookies reads a Cookie header into name → first value (RFC 6265 pairs; no decoding of values). */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

/** sessionCookieName is per port, so two appnet instances on one host do not overwrite each other's cookie. */
export function sessionCookieName(port: number): string {
  return `appnet_session_${port}`;
}

/** bearerToken extracts the token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,512})$/i.exec(header.trim());
  return m ? m[1] : null;
}
