/**
 * Folding IPv6 privacy addresses to their /64 (issue 19). Privacy addresses (RFC 4941) rotate:
 * one client network reaching a server app, or one peer network, shows up as many addresses of
 * a /64, each a row of its own. Where several addresses of one app share a /64, the same
 * protocol and port, and no host name tells them apart, they read better as one row
 * `2001:db8:1:2::/64` ("N addresses") whose traffic is their exact sum. An address whose
 * interface identifier is a small number (::1, ::53, ::a.b.c.d) was numbered by hand: a host of
 * its own, never folded. Pure: the read layer (db/queries/destinations.ts) folds what it read.
 */
import ipaddr from 'ipaddr.js';
import type { DestinationKey, DestinationTraffic } from './destinations';

/** FOLD6: `auto` folds privacy addresses to their /64 as above; `off` lists every address. */
export const FOLD6 = ['auto', 'off'] as const;
export type Fold6 = (typeof FOLD6)[number];

/** A destination row folding can merge: its key, host name, traffic and (when read) first and last seen. */
export interface FoldableDestination extends DestinationKey, DestinationTraffic {
  host: string | null;
  firstSeen?: number;
  lastSeen?: number;
}

/** A destination row after folding: `addresses` is how many remote addresses it stands for (1: as stored). */
export type Folded<T> = T & { addresses: number };

/**
 * The text inet_ntop writes for an address with no two zero groups in a row: eight groups, no
 * '::'. Privacy addresses nearly always have it; read by splitting, not by ipaddr.js's general
 * parser, which costs a few microseconds an address (a month of a busy server's clients is tens
 * of thousands). Anything else goes to ipaddr.js.
 */
const EIGHT_GROUPS = /^[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}$/;

/** prefixOf is privacyPrefix64 with the /64 texts already made, by their first four groups' text. */
function prefixOf(remote: string, made: Map<string, string>): string | null {
  let parts: number[];
  if (EIGHT_GROUPS.test(remote)) {
    parts = remote.split(':').map((g) => parseInt(g, 16));
  } else {
    if (!remote.includes(':')) return null;
    let a: ipaddr.IPv6;
    try {
      a = ipaddr.IPv6.parse(remote);
    } catch {
      return null;
    }
    if (a.zoneId) return null;
    parts = a.parts;
  }
  if (parts[4] === 0 && parts[5] === 0) return null;
  // ::ffff:a.b.c.d, in any of its spellings: an IPv4 peer.
  if (parts[5] === 0xffff && parts[0] === 0 && parts[1] === 0 && parts[2] === 0 && parts[3] === 0 && parts[4] === 0) return null;
  const key = `${parts[0]}:${parts[1]}:${parts[2]}:${parts[3]}`;
  let text = made.get(key);
  if (text === undefined) {
    text = `${new ipaddr.IPv6([parts[0], parts[1], parts[2], parts[3], 0, 0, 0, 0]).toString()}/64`;
    made.set(key, text);
  }
  return text;
}

/**
 * privacyPrefix64 is the /64 (`2001:db8:1:2::/64`) of an IPv6 address that may be a privacy
 * address, or null: IPv4, IPv4-mapped, or an interface identifier below 2^32 (numbered by hand).
 */
export function privacyPrefix64(remote: string): string | null {
  return prefixOf(remote, new Map());
}

const bytesOf = (r: DestinationTraffic) => r.rxBytes + r.txBytes;

/** byBytes orders rows as the queries do: most bytes first, then by remote (binary order, as SQLite compares text). */
function byBytes(a: FoldableDestination, b: FoldableDestination): number {
  return bytesOf(b) - bytesOf(a) || (a.remote < b.remote ? -1 : a.remote > b.remote ? 1 : 0);
}

/** merge sums a group of rows into its /64 row: exact sums, earliest first seen, latest last seen. */
function merge<T extends FoldableDestination>(prefix: string, group: readonly T[]): Folded<T> {
  const sums = { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
  let firstSeen: number | undefined;
  let lastSeen: number | undefined;
  for (const r of group) {
    sums.rxBytes += r.rxBytes;
    sums.txBytes += r.txBytes;
    sums.rxPackets += r.rxPackets;
    sums.txPackets += r.txPackets;
    if (r.firstSeen !== undefined) firstSeen = Math.min(firstSeen ?? r.firstSeen, r.firstSeen);
    if (r.lastSeen !== undefined) lastSeen = Math.max(lastSeen ?? r.lastSeen, r.lastSeen);
  }
  const seen = { ...(firstSeen === undefined ? {} : { firstSeen }), ...(lastSeen === undefined ? {} : { lastSeen }) };
  return { ...group[0], ...sums, ...seen, remote: prefix, addresses: group.length };
}

/**
 * foldPrivacy64 folds one app's destination rows (see the file comment): privacy addresses of
 * one /64 with the same protocol, port, direction and host name (or none) become one row when
 * there are at least two; everything else stays as it is. The result is ordered most bytes
 * first; its sums equal the input's exactly. `off` only adds `addresses: 1`.
 */
export function foldPrivacy64<T extends FoldableDestination>(rows: readonly T[], mode: Fold6 = 'auto'): Array<Folded<T>> {
  if (mode === 'off') return rows.map((r) => ({ ...r, addresses: 1 }));
  const groups = new Map<string, { prefix: string; rows: T[] }>();
  const made = new Map<string, string>();
  const out: Array<Folded<T>> = [];
  for (const r of rows) {
    const prefix = prefixOf(r.remote, made);
    if (prefix === null) {
      out.push({ ...r, addresses: 1 });
      continue;
    }
    // The host last: a name may hold '|', the other parts cannot.
    const key = `${prefix}|${r.proto}|${r.port}|${r.inbound ? 1 : 0}|${r.host === null ? '' : `=${r.host}`}`;
    const g = groups.get(key);
    if (g) g.rows.push(r);
    else groups.set(key, { prefix, rows: [r] });
  }
  for (const g of groups.values()) out.push(g.rows.length === 1 ? { ...g.rows[0], addresses: 1 } : merge(g.prefix, g.rows));
  return out.sort(byBytes);
}
