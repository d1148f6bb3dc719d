/**
 * Host-header allowlist: the defence against DNS rebinding. A browser that was tricked
 * into resolving evil.example to 127.0.0.1 still sends `Host: evil.example`, so only
 * names the user chose (loopback names by default) reach the dashboard.
 */

/** LOOPBACK_NAMES are always allowed, each with the listening port. */
export const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

export interface HostPolicy {
  /** The port the server listens on; a Host header must carry exactly this port. */
  port: number;
  /** Extra names from --allow-host (a bare name, an IPv4 address or a bracketed IPv6 address). */
  extraNames?: readonly string[];
}

const NAME_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6_RE = /^\[[0-9a-f:.]+\]$/;

/** normalizeAllowedName lowercases a --allow-host value and rejects anything that is not a host name or IP literal. */
export function normalizeAllowedName(raw: string): string {
  let name = raw.trim().toLowerCase();
  if (name.includes(':') && !name.startsWith('[')) name = `[${name}]`; // bare IPv6
  if (name.length > 253 || !(NAME_RE.test(name) || IPV6_RE.test(name))) {
    throw new Error(`--allow-host ${JSON.stringify(raw)} is not a host name or IP address (give it without a port or scheme)`);
  }
  return name;
}

/** allowedHosts lists every exact `name:port` value a Host header may have. */
export function allowedHosts(policy: HostPolicy): Set<string> {
  const names = [...LOOPBACK_NAMES, ...(policy.extraNames ?? []).map(normalizeAllowedName)];
  return new Set(names.map((n) => `${n}:${policy.port}`));
}

/**
 * isAllowedHost checks one Host header value against the allowlist: exact name and port,
 * case-insensitive, nothing else (no trailing dot, no userinfo, no missing port).
 */
export function isAllowedHost(host: string | undefined | null, allowed: ReadonlySet<string>): boolean {
  if (typeof host !== 'string' || host.length === 0 || host.length > 300) return false;
  return allowed.has(host.toLowerCase());
}
