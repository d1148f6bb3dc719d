/**
 * Destinations counted by nft (issue 19), for where the BPF program cannot run: dynamic sets
 * with counters keyed by what the BPF map keys (collector/native/count.bpf.c) — the app's
 * cgroup, protocol, remote address, port and interface — filled from the accounting cascade
 * at the level that counted the packet, so an app's destinations never hold more than its
 * own counters:
 *   update @acct_out { socket cgroupv2 level 2 . oifname } meta nfproto vmap { ipv4 : goto dst4_out_l2, ipv6 : goto dst6_out_l2 }
 * Each family's chain books a packet once, in the first of four exclusive cases, with the same
 * port rule as the BPF program (a local port below the ephemeral range facing a remote one in
 * it is a service's: the key holds the local port, in the `_svc` set):
 *   meta l4proto { tcp, udp } th sport >= 32768 update @dst4_out { socket cgroupv2 level 2 . meta l4proto . ip daddr . th dport . meta oif } return
 *   meta l4proto { tcp, udp } th sport < 32768 th dport >= 32768 update @dst4_out_svc { … . th sport . meta oif } return
 *   meta l4proto { tcp, udp } th sport < 32768 th dport < 32768 update @dst4_out { … . th dport . meta oif } return
 *   meta l4proto != { tcp, udp } update @dst4_out { … . ip daddr . 0 . meta oif }
 * A full set does not take the packet (the update fails, the rule stops): it is left to the
 * app's "other destinations", as the BPF map's evictions are. Elements expire after the
 * accounting sets' idle timeout, so the poll reads every element's last value before it goes.
 */
import { DEST_SET_SIZE, DEST_SETS, MAX_LEVEL, TABLE_FAMILY, TABLE_NAME, type DestSetSpec } from './names';

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;

/** Linux hands out ephemeral ports from 32768 up (ip_local_port_range), as count.bpf.c's EPHEMERAL_FROM. */
const EPHEMERAL_FROM = 32768;

/** What a direction's key is made of. */
const SIDES = {
  out: { addr: 'daddr', local: 'th sport', remote: 'th dport', dev: 'meta oif' },
  in: { addr: 'saddr', local: 'th dport', remote: 'th sport', dev: 'meta iif' },
} as const;

const setOf = (ipv: 4 | 6, direction: 'in' | 'out', inbound: boolean): DestSetSpec =>
  DEST_SETS.find((s) => s.ipv === ipv && s.direction === direction && s.inbound === inbound)!;

/** destChain names the chain that books one family's packets of one direction at one cgroup level: dst4_out_l2. */
export const destChain = (ipv: 4 | 6, direction: 'in' | 'out', level: number): string => `dst${ipv}_${direction}_l${level}`;

/** keyOf is a set's key at a level, with `port` as its port: socket cgroupv2 level 2 . meta l4proto . ip daddr . th dport . meta oif */
function keyOf(ipv: 4 | 6, direction: 'in' | 'out', level: number, port: string): string {
  const side = SIDES[direction];
  return `socket cgroupv2 level ${level} . meta l4proto . ${ipv === 4 ? 'ip' : 'ip6'} ${side.addr} . ${port} . ${side.dev}`;
}

/** destSetDeclarations declares the eight sets: add set inet appnet dst4_out { typeof …; flags dynamic,timeout; timeout 600s; size 4096; counter; } */
export function destSetDeclarations(timeoutSec: number): string[] {
  return DEST_SETS.map((s) => {
    const side = SIDES[s.direction];
    return `add set ${T} ${s.name} { typeof ${keyOf(s.ipv, s.direction, 1, s.inbound ? side.local : side.remote)}; flags dynamic,timeout; timeout ${timeoutSec}s; size ${DEST_SET_SIZE}; counter; }`;
  });
}

/** destChainRules fills one family's chain of one direction at one level (the four cases of the file comment). */
function destChainRules(ipv: 4 | 6, direction: 'in' | 'out', level: number): string[] {
  const chain = destChain(ipv, direction, level);
  const { local, remote } = SIDES[direction];
  const rem = setOf(ipv, direction, false).name;
  const svc = setOf(ipv, direction, true).name;
  const ports = 'meta l4proto { tcp, udp }';
  const rule = (match: string, set: string, port: string, ret = ' return') => `add rule ${T} ${chain} ${match} update @${set} { ${keyOf(ipv, direction, level, port)} }${ret}`;
  return [
    `add chain ${T} ${chain}`,
    `flush chain ${T} ${chain}`,
    rule(`${ports} ${local} >= ${EPHEMERAL_FROM}`, rem, remote),
    rule(`${ports} ${local} < ${EPHEMERAL_FROM} ${remote} >= ${EPHEMERAL_FROM}`, svc, local),
    rule(`${ports} ${local} < ${EPHEMERAL_FROM} ${remote} < ${EPHEMERAL_FROM}`, rem, remote),
    rule('meta l4proto != { tcp, udp }', rem, '0', ''),
  ];
}

/** destChains builds the chains of the given levels, both directions and families; added before the cascade that jumps to them. */
export function destChains(levels: readonly number[]): string[] {
  return levels.flatMap((l) => (['out', 'in'] as const).flatMap((d) => [4, 6].flatMap((v) => destChainRules(v as 4 | 6, d, l))));
}

/** destDispatch is what a cascade rule does after counting the packet to its app: meta nfproto vmap { ipv4 : goto dst4_out_l2, ipv6 : goto dst6_out_l2 } */
export function destDispatch(direction: 'in' | 'out', level: number): string {
  return `meta nfproto vmap { ipv4 : goto ${destChain(4, direction, level)}, ipv6 : goto ${destChain(6, direction, level)} }`;
}

/**
 * dropDestChains removes the destination chains of every level not in `keep` (all of them when
 * destinations are off); runs after the cascade was flushed, so nothing refers to them.
 */
export function dropDestChains(keep: readonly number[]): string[] {
  const out: string[] = [];
  for (let l = 1; l <= MAX_LEVEL; l++) {
    if (keep.includes(l)) continue;
    for (const d of ['out', 'in'] as const) {
      for (const v of [4, 6] as const) out.push(`add chain ${T} ${destChain(v, d, l)}`, `flush chain ${T} ${destChain(v, d, l)}`, `delete chain ${T} ${destChain(v, d, l)}`);
    }
  }
  return out;
}

/** dropDestSets deletes the eight sets and their counters (destinations off): add first, as a delete of a missing set fails. */
export function dropDestSets(timeoutSec: number): string[] {
  const decl = destSetDeclarations(timeoutSec);
  return DEST_SETS.flatMap((s, i) => [decl[i], `delete set ${T} ${s.name}`]);
}

/** One element of a destination set, as collector/native/nftdump reads it. */
export interface NftDestElement {
  set: DestSetSpec;
  cgroupId: number;
  proto: number;
  /** The remote address: dotted IPv4 or IPv6 text as inet_ntop writes it. */
  remote: string;
  port: number;
  ifindex: number;
  bytes: number;
  packets: number;
  /** Seconds until the kernel drops it unless a packet refreshes it. */
  expiresSec: number | null;
}

/** Key lengths: cgroup id 8, protocol 4, address 4 or 16, port 4, interface index 4 (each part padded to 4 bytes). */
export const DEST_KEYLEN: Record<4 | 6, number> = { 4: 24, 6: 36 };

/** destSetSpec finds a destination set by name. */
export function destSetSpec(name: string): DestSetSpec | undefined {
  return DEST_SETS.find((s) => s.name === name);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const ADDR: Record<4 | 6, RegExp> = { 4: /^\d{1,3}(\.\d{1,3}){3}$/, 6: /^[0-9a-f:.]{2,45}$/ };

/**
 * parseDestElems reads one `delems` record's array (`[[ID,PROTO,"ADDR",PORT,IFINDEX,BYTES,PACKETS,EXPIRES_MS],…]`)
 * into `out`; returns how many elements the set holds. Throws a message naming what is wrong
 * (the caller adds where); elements without a counter are skipped.
 */
export function parseDestElems(set: DestSetSpec, items: unknown, out: NftDestElement[]): number {
  if (!Array.isArray(items)) throw new Error(`elements of ${set.name} are not an array`);
  for (const it of items) {
    if (!Array.isArray(it) || it.length !== 8) throw new Error(`an element of ${set.name} is not [id, proto, addr, port, ifindex, bytes, packets, expires]`);
    const [id, proto, addr, port, ifindex, bytes, packets, expires] = it as unknown[];
    if (bytes === null) continue;
    const ok =
      isCount(id) && isCount(proto) && proto <= 255 && typeof addr === 'string' && ADDR[set.ipv].test(addr) && isCount(port) && port <= 65535 &&
      isCount(ifindex) && isCount(bytes) && isCount(packets) && (expires === null || isCount(expires));
    if (!ok) throw new Error(`bad element of ${set.name}: ${JSON.stringify(it).slice(0, 120)}`);
    out.push({ set, cgroupId: id, proto, remote: addr, port, ifindex, bytes, packets, expiresSec: expires === null ? null : (expires as number) / 1000 });
  }
  return items.length;
}
