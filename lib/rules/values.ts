/**
 * Parsers for the small values a firewall rule is made of: remote address lists,
 * port lists, byte sizes, app selectors. Each returns a canonical form or a
 * sentence saying what is wrong; nothing here is trusted to reach nft unparsed.
 */
import ipaddr from 'ipaddr.js';
import { OTHER_APPS } from './vocabulary';

export interface PortRange {
  from: number;
  to: number;
}

export interface RemoteLists {
  v4: string[];
  v6: string[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_LIST = 256;

/** splitList splits "a, b c" or ['a', 'b,c'] into trimmed non-empty items. */
export function splitList(v: string | readonly string[] | undefined | null): string[] {
  if (v === undefined || v === null) return [];
  const parts = typeof v === 'string' ? [v] : [...v];
  return parts.flatMap((p) => p.split(/[\s,]+/)).filter((p) => p.length > 0);
}

interface Cidr {
  kind: 'ipv4' | 'ipv6';
  addr: ipaddr.IPv4 | ipaddr.IPv6;
  bits: number;
}

// ipaddr.js parses leniently (octal '010', short '10.1', a bare '10', hex parts): each of
// those would silently change what a rule matches. Only the standard text forms pass.
const DEC_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const DOTTED_QUAD = `${DEC_OCTET}(?:\\.${DEC_OCTET}){3}`;
const IPV4_FORM = new RegExp(`^${DOTTED_QUAD}$`);
const HEX_GROUP = '[0-9A-Fa-f]{1,4}';
const IPV6_TAIL = new RegExp(`^(?:${HEX_GROUP}(?::${HEX_GROUP})*)?$`);
const PREFIX_FORM = /^(?:0|[1-9]\d{0,2})$/;
const IPV4_HINT = 'write four decimal numbers 0–255 without leading zeros, e.g. 10.0.0.1';
const IPV6_HINT = 'write up to eight groups of 1–4 hex digits with at most one ::, e.g. fd00::1';

/** isIpv6Form checks RFC 4291 text form: hex groups, one '::' at most, an optional dotted-quad tail, no zone. */
function isIpv6Form(s: string): boolean {
  let text = s;
  let groups = 0;
  const quad = /:((?:\d+\.){3}\d+)$/.exec(text);
  if (quad) {
    if (!IPV4_FORM.test(quad[1])) return false;
    text = text.slice(0, quad.index + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  for (const h of halves) {
    if (!IPV6_TAIL.test(h)) return false;
    groups += h === '' ? 0 : h.split(':').length;
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

/** checkForm says why an address text is not one of the standard forms, or null when it is. */
function checkForm(item: string): string | null {
  const slash = item.indexOf('/');
  const addr = slash === -1 ? item : item.slice(0, slash);
  const v6 = addr.includes(':');
  if (v6 ? !isIpv6Form(addr) : !IPV4_FORM.test(addr)) {
    return `'${item.slice(0, 60)}' is not a valid ${v6 ? 'IPv6' : 'IPv4'} address: ${v6 ? IPV6_HINT : IPV4_HINT}`;
  }
  if (slash === -1) return null;
  const bits = item.slice(slash + 1);
  if (!PREFIX_FORM.test(bits) || Number(bits) > (v6 ? 128 : 32)) {
    return `'${item.slice(0, 60)}' is not a valid CIDR: the prefix length '${bits.slice(0, 10)}' must be a whole number 0–${v6 ? 128 : 32} without leading zeros`;
  }
  return null;
}

function parseOneCidr(item: string): Cidr | string {
  if (!/^[0-9A-Za-z:.%\/]{1,64}$/.test(item)) return `'${item.slice(0, 60)}' is not an IP address or CIDR`;
  const bad = checkForm(item);
  if (bad) return bad;
  try {
    if (item.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(item);
      const net = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(item) : ipaddr.IPv6.networkAddressFromCIDR(item);
      return { kind: addr.kind(), addr: net, bits };
    }
    const addr = ipaddr.parse(item);
    return { kind: addr.kind(), addr, bits: addr.kind() === 'ipv4' ? 32 : 128 };
  } catch {
    return `'${item}' is not a valid IP address or CIDR`;
  }
}

function cidrText(c: Cidr): string {
  const full = c.kind === 'ipv4' ? 32 : 128;
  return c.bits === full ? c.addr.toString() : `${c.addr.toString()}/${c.bits}`;
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.kind !== inner.kind || outer.bits > inner.bits) return false;
  return (inner.addr as ipaddr.IPv4).match(outer.addr as ipaddr.IPv4, outer.bits);
}

/**
 * parseRemote parses addresses and CIDRs (IPv4 and IPv6, mixed) with ipaddr.js into
 * canonical network addresses, split by family. Entries covered by a wider entry are
 * dropped, because nft refuses overlapping intervals in one anonymous set.
 */
export function parseRemote(v: string | readonly string[] | undefined | null): Parsed<RemoteLists> {
  const items = splitList(v);
  if (items.length > MAX_LIST) return { ok: false, error: `at most ${MAX_LIST} addresses, got ${items.length}` };
  const cidrs: Cidr[] = [];
  for (const item of items) {
    const c = parseOneCidr(item);
    if (typeof c === 'string') return { ok: false, error: c };
    cidrs.push(c);
  }
  const kept = cidrs.filter((c, i) => !cidrs.some((o, j) => j !== i && contains(o, c) && (o.bits < c.bits || j < i)));
  const uniq = (k: 'ipv4' | 'ipv6') => [...new Set(kept.filter((c) => c.kind === k).map(cidrText))].sort();
  return { ok: true, value: { v4: uniq('ipv4'), v6: uniq('ipv6') } };
}

/** parsePorts parses "80", "1000-2000", "80,443" (or a number) into merged, sorted ranges within 1–65535. */
export function parsePorts(v: string | number | readonly string[] | undefined | null): Parsed<PortRange[]> {
  const items = typeof v === 'number' ? [String(v)] : splitList(v);
  if (items.length > 64) return { ok: false, error: `at most 64 ports or ranges, got ${items.length}` };
  const ranges: PortRange[] = [];
  for (const item of items) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item);
    if (!m) return { ok: false, error: `'${(typeof v === 'string' ? v : item).slice(0, 60)}' is not a port (1–65535), a range like 1000-2000 or a list like 80,443` };
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (const p of [from, to]) if (p < 1 || p > 65535) return { ok: false, error: `port ${p} is out of range: ports are 1–65535` };
    if (to < from) return { ok: false, error: `range ${item} is reversed: write ${to}-${from}` };
    ranges.push({ from, to });
  }
  ranges.sort((a, b) => a.from - b.from);
  const merged: PortRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push({ ...r });
  }
  return { ok: true, value: merged };
}

/** remoteText renders parsed addresses canonically: "10.0.0.0/8,fd00::/8" (IPv4 first). */
export function remoteText(r: RemoteLists): string {
  return [...r.v4, ...r.v6].join(',');
}

/** portsText renders ranges canonically: "80,1000-2000". */
export function portsText(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(',');
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** parseBytes reads "2GiB", "500 MB", "1048576" into a whole number of bytes. */
export function parseBytes(v: string | number): Parsed<number> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]{0,3})\s*$/.exec(String(v));
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) return { ok: false, error: `'${String(v).slice(0, 40)}' is not a size like 2GiB, 500MB or 1048576` };
  const n = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n < 1) return { ok: false, error: `size ${String(v)} is out of range` };
  return { ok: true, value: n };
}

const EXACT_UNITS: Array<[string, number]> = [['TiB', 2 ** 40], ['TB', 1e12], ['GiB', 2 ** 30], ['GB', 1e9], ['MiB', 2 ** 20], ['MB', 1e6], ['KiB', 2 ** 10], ['kB', 1e3]];

/**
 * bytesText writes a size the way a person types it, exactly: 52428800 → '50 MiB', 2e9 →
 * '2 GB', 1610612736 → '1.5 GiB', 1572864000 → '1500 MiB'; a size no unit writes as a
 * whole number or a short decimal stays a plain number. parseBytes(bytesText(n)) === n.
 */
export function bytesText(n: number): string {
  for (const [unit, size] of EXACT_UNITS) {
    const v = n / size;
    const whole = Number.isInteger(v);
    if (v >= 1 && (whole || (v < 1000 && Math.round(v * 1000) / 1000 === v && Math.round(v * size) === n))) return `${v} ${unit}`;
  }
  return String(n);
}

/**
 * isAppSelector accepts '*', an app key from lib/identity.ts appIdentity()
 * ('nginx.service', 'app:firefox', 'user:pipewire.service') or a cgroup path
 * ('system.slice/foo.service'); the characters are those of systemd unit names.
 */
export function isAppSelector(s: string): boolean {
  if (s === OTHER_APPS) return true;
  if (s.length === 0 || s.length > 512) return false;
  return s.split('/').every((p) => /^[A-Za-z0-9_.:@+\\-]{1,255}$/.test(p) && p !== '.' && p !== '..');
}
