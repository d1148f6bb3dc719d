import ipaddr from 'ipaddr.js';

/**
 * isLoopbackBind says whether a listen address only accepts connections from this machine:
 * 'localhost', 127.0.0.0/8, ::1 and the IPv4-mapped forms. Parsed, not pattern-matched.
 */
export function isLoopbackBind(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (!ipaddr.isValid(h)) return false;
  let addr = ipaddr.parse(h);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === 'loopback';
}

/** hostForUrl formats a listen address for a URL: IPv6 in brackets, 0.0.0.0/:: shown as 127.0.0.1. */
export function hostForUrl(host: string): string {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (h === '0.0.0.0' || h === '::') return '127.0.0.1';
  return h.includes(':') ? `[${h}]` : h;
}
