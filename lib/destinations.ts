/**
 * Destination deltas: what each destination counter of the BPF map (lib/dest-dump.ts) added
 * since the previous poll, with the same rules as the per-app counters (lib/delta.ts). The
 * map is an LRU hash: an entry missing from a dump was evicted (or deleted) and comes back
 * from zero, so its stored value is dropped at once instead of waiting for an expiry. Counted
 * by nft instead (lib/nft/dest-sets.ts), entries expire after an idle timeout and are kept
 * under a family of their own (NFT_DEST_FAMILY): one missing from a listing is forgotten only
 * once it must have expired, as the per-app counters are (a listing can skip elements).
 */
import { counterDelta, expiryOf, type CounterState } from './delta';
import type { DestEntry } from './dest-dump';
import type { Direction } from './counters';

/** The family destination counters are stored under in the counter state. */
export const DEST_FAMILY = 'dest';
/** The family of the destinations nft's sets count (the `--counter nft` source). */
export const NFT_DEST_FAMILY = 'dest_nft';

/** A destination counter as read: with its time to expiry where its counters expire (nft's sets). */
export interface DestReading extends DestEntry {
  /** Milliseconds until the kernel drops it unless a packet refreshes it; null or missing: it does not expire. */
  expiresMs?: number | null;
}

/** How a source's destination counters live: their family in the state and their idle timeout (null: they never expire, an LRU evicts them). */
export interface DestCounterKind {
  family: string;
  timeoutMs: number | null;
}

const BPF_DESTS: DestCounterKind = { family: DEST_FAMILY, timeoutMs: null };

/** A destination's traffic since the previous poll. */
export interface DestDelta {
  cgroupId: number;
  ifindex: number;
  /** The interface's name (its index's, `if7`, when it has none any more). */
  iface: string;
  direction: Direction;
  remote: string;
  proto: number;
  port: number;
  inbound: boolean;
  bytes: number;
  packets: number;
}

/** destElemKey names a destination counter in the state: 'CGROUP|#IFINDEX|DIR|ADDR|PROTO|PORT|L' (the cgroup first, as every element key). */
export function destElemKey(e: Pick<DestEntry, 'cgroupId' | 'ifindex' | 'direction' | 'remote' | 'proto' | 'port' | 'inbound'>): string {
  return `${e.cgroupId}|#${e.ifindex}|${e.direction}|${e.remote}|${e.proto}|${e.port}|${e.inbound ? 'L' : 'R'}`;
}

export interface DestDeltaResult {
  deltas: DestDelta[];
  next: CounterState[];
  /** State keys ('dest/…') of destination counters no longer in the map. */
  gone: string[];
  /** Entries read unchanged since the previous poll. */
  idle: DestEntry[];
}

/** destDeltas computes one dump's deltas against the stored states (map id or table handle = generation). */
export function destDeltas(entries: readonly DestReading[], mapId: number, states: ReadonlyMap<string, CounterState>, now: number, kind: DestCounterKind = BPF_DESTS): DestDeltaResult {
  const deltas: DestDelta[] = [];
  const next: CounterState[] = [];
  const idle: DestEntry[] = [];
  const present = new Set<string>();
  for (const e of entries) {
    const elemKey = destElemKey(e);
    const key = `${kind.family}/${elemKey}`;
    if (present.has(key)) continue;
    present.add(key);
    const prev = states.get(key);
    const reading = { bytes: e.bytes, packets: e.packets, tableHandle: mapId, expiresMs: e.expiresMs ?? null };
    const d = counterDelta(prev, reading, { now, timeoutMs: kind.timeoutMs });
    next.push({ setName: kind.family, elemKey, tableHandle: mapId, bytes: e.bytes, packets: e.packets, seenAt: now, expiresAt: expiryOf(reading, now) });
    if (d.bytes > 0 || d.packets > 0) {
      deltas.push({ cgroupId: e.cgroupId, ifindex: e.ifindex, iface: e.ifname ?? `if${e.ifindex}`, direction: e.direction, remote: e.remote, proto: e.proto, port: e.port, inbound: e.inbound, bytes: d.bytes, packets: d.packets });
    } else if (prev) idle.push(e);
  }
  const gone: string[] = [];
  for (const [k, v] of states) {
    if (v.setName !== kind.family || present.has(k)) continue;
    if (v.expiresAt === null || v.tableHandle !== mapId || now > v.expiresAt + 5000) gone.push(k);
  }
  return { deltas, next, gone, idle };
}

const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/** protocolName names an IP protocol number as reports show it: tcp, udp, icmp, icmpv6, else the number. */
export function protocolName(proto: number): string {
  return PROTOCOLS[proto] ?? String(proto);
}

/** What names a destination of an app: remote address, protocol, port, and whether the port is the app's own (a connection made to it). */
export interface DestinationKey {
  remote: string;
  proto: number;
  port: number;
  inbound: boolean;
}

/** Bytes and packets each way. */
export interface DestinationTraffic {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** One row of an app's destinations table (the app page), plain and serialisable. */
export interface DestinationView extends DestinationKey, Pick<DestinationTraffic, 'rxBytes' | 'txBytes'> {
  host: string | null;
  lastSeen: number;
  /** How many addresses the row stands for: more than 1 when `remote` is a /64 of privacy addresses (lib/dest-fold.ts). */
  addresses: number;
}

/** An app's destinations over a period, as the app page shows them. */
export interface DestinationsView {
  rows: DestinationView[];
  other: { rxBytes: number; txBytes: number };
  total: number;
  /** Destinations are being recorded: the collector's report (lib/dest-state.ts), else the global setting. */
  recording: boolean;
  /** The collector's state in one sentence (destinationsStateText). */
  recordingText: string;
}

/** A rule pre-filled from a destination: this app, this direction, this address and port. */
export interface RulePrefill {
  direction: 'in' | 'out';
  remote: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  localPort: string;
  remotePort: string;
}

/** blockParam is how a destination row asks the app page for a pre-filled rule: `out,10.0.0.1,tcp,443` (a folded row: `in,2001:db8:1:2::/64,tcp,443`). */
export function blockParam(d: Pick<DestinationView, 'remote' | 'proto' | 'port' | 'inbound'>): string {
  const p = protocolName(d.proto);
  return [d.inbound ? 'in' : 'out', d.remote, p === 'tcp' || p === 'udp' || p === 'icmp' ? p : 'any', d.port].join(',');
}

/**
 * parseBlockParam reads blockParam's value back (anything else: null): the rule form's initial
 * values. Only the characters of an address or prefix pass; the rule form validates it as any
 * typed remote (lib/rules/values.ts) before it can become a rule.
 */
export function parseBlockParam(v: unknown): RulePrefill | null {
  if (typeof v !== 'string') return null;
  const m = /^(in|out),([0-9a-fA-F.:]{2,45}(?:\/\d{1,3})?),(tcp|udp|icmp|any),(\d{1,5})$/.exec(v);
  if (!m || Number(m[4]) > 65535) return null;
  const port = m[3] === 'tcp' || m[3] === 'udp' ? (Number(m[4]) ? m[4] : '') : '';
  const direction = m[1] as 'in' | 'out';
  return { direction, remote: m[2], protocol: m[3] as RulePrefill['protocol'], localPort: direction === 'in' ? port : '', remotePort: direction === 'out' ? port : '' };
}
