/**
 * Reads DNS answers out of logged IP packets (collector/native/dnslog): which addresses a
 * queried name resolved to, following CNAME chains, with each answer's TTL. Pure and
 * defensive: a malformed or truncated packet yields no names, never a throw or a loop.
 */

/** One learned name: `addr` was given as an address of `name` (the name the app asked for) for `ttl` seconds. */
export interface DnsName {
  addr: string;
  name: string;
  ttl: number;
}

const A = 1;
const CNAME = 5;
const AAAA = 28;
const MAX_NAME = 253;

/** readName reads a (possibly compressed) domain name at `off`; returns it and the offset after it in place, or null. */
function readName(b: Uint8Array, off: number): { name: string; next: number } | null {
  const labels: string[] = [];
  let next = -1;
  let jumps = 0;
  let len = 0;
  for (;;) {
    if (off >= b.length) return null;
    const n = b[off];
    if (n === 0) {
      if (next < 0) next = off + 1;
      break;
    }
    if ((n & 0xc0) === 0xc0) {
      if (off + 1 >= b.length || ++jumps > 32) return null;
      if (next < 0) next = off + 2;
      off = ((n & 0x3f) << 8) | b[off + 1];
      continue;
    }
    if (n & 0xc0 || off + 1 + n > b.length) return null;
    let label = '';
    for (let i = 0; i < n; i++) {
      const c = b[off + 1 + i];
      // Host names only: letters, digits, '-', '_'; anything else makes the record unusable as a label.
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f)) return null;
      label += String.fromCharCode(c);
    }
    labels.push(label.toLowerCase());
    len += n + 1;
    if (len > MAX_NAME + 1) return null;
    off += 1 + n;
  }
  return { name: labels.join('.'), next };
}

function ipv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** ipv6 formats 16 bytes as inet_ntop does (lower case, longest run of zero groups as ::, dotted for mapped IPv4). */
export function ipv6(b: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${ipv4(b, o + 12)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** parseDnsMessage reads the answers of one DNS response (the UDP payload). */
export function parseDnsMessage(b: Uint8Array): DnsName[] {
  if (b.length < 12 || !(b[2] & 0x80) || (b[3] & 0x0f) !== 0) return []; // a query, or an error answer
  const qd = (b[4] << 8) | b[5];
  const an = (b[6] << 8) | b[7];
  if (qd !== 1) return [];
  const q = readName(b, 12);
  if (!q || q.next + 4 > b.length) return [];
  let off = q.next + 4;
  const cnames = new Map<string, string>(); // alias → canonical
  const addrs: Array<{ owner: string; addr: string; ttl: number }> = [];
  for (let i = 0; i < an; i++) {
    const owner = readName(b, off);
    if (!owner || owner.next + 10 > b.length) break;
    const p = owner.next;
    const type = (b[p] << 8) | b[p + 1];
    const ttl = ((b[p + 4] << 24) >>> 0) + (b[p + 5] << 16) + (b[p + 6] << 8) + b[p + 7];
    const rdlen = (b[p + 8] << 8) | b[p + 9];
    const rd = p + 10;
    if (rd + rdlen > b.length) break;
    if (type === A && rdlen === 4) addrs.push({ owner: owner.name, addr: ipv4(b, rd), ttl });
    else if (type === AAAA && rdlen === 16) addrs.push({ owner: owner.name, addr: ipv6(b, rd), ttl });
    else if (type === CNAME) {
      const target = readName(b, rd);
      if (target) cnames.set(owner.name, target.name);
    }
    off = rd + rdlen;
  }
  // Keep the addresses the chain from the asked name reaches, under the asked name.
  const chain = new Set<string>([q.name]);
  for (let name = q.name, k = 0; cnames.has(name) && k < 16; k++) chain.add((name = cnames.get(name)!));
  return q.name ? addrs.filter((a) => chain.has(a.owner)).map((a) => ({ addr: a.addr, name: q.name, ttl: a.ttl })) : [];
}

/** parseDnsPacket reads the answers of one logged IP packet (IPv4 or IPv6, UDP from port 53). */
export function parseDnsPacket(b: Uint8Array): DnsName[] {
  if (b.length < 1) return [];
  let udp: number;
  const version = b[0] >> 4;
  if (version === 4) {
    if (b.length < 20 || b[9] !== 17 || ((b[6] & 0x1f) | b[7]) !== 0) return []; // not UDP, or a later fragment
    udp = (b[0] & 0x0f) * 4;
  } else if (version === 6) {
    if (b.length < 40 || b[6] !== 17) return [];
    udp = 40;
  } else return [];
  if (udp + 8 > b.length || ((b[udp] << 8) | b[udp + 1]) !== 53) return [];
  return parseDnsMessage(b.subarray(udp + 8));
}

/** parseDnslogLine reads one line of dnslog's output: the names in a `p HEX` packet, none for anything else. */
export function parseDnslogLine(line: string): DnsName[] {
  if (!line.startsWith('p ') || line.length % 2 !== 0) return [];
  const hex = line.slice(2);
  if (!/^[0-9a-f]*$/.test(hex)) return [];
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return parseDnsPacket(b);
}
