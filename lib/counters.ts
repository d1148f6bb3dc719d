/**
 * The seam between the collector's counter sources (nft sets, the cgroup_skb BPF map) and
 * everything after them: each source reads its kernel counters into this typed snapshot,
 * and deltas, unattributed traffic and the store work on it alone, whatever counted.
 */

export type Direction = 'in' | 'out';

/** Which kernel mechanism counts per app: nft set counters or the cgroup_skb BPF program. */
export type CounterSourceKind = 'nft' | 'bpf';

/** One kernel counter as a source read it. */
export interface CounterEntry {
  /**
   * The counter's family: the nft set or BPF map (and direction) it lives in. With the key
   * below it names the counter for good: its stored state is `family/cgroupId|iface`.
   */
  family: string;
  /** Cgroup id (inode) of the socket it counts; null for a per-interface counter. */
  cgroupId: number | null;
  /** Interface name, as the collector's network namespace calls it. */
  iface: string;
  /**
   * The interface's index, when the kernel counts by index (the BPF map): then the index, not the
   * name, names the counter, so a renamed interface or one whose name is no longer known keeps
   * its counter's stored value.
   */
  ifindex?: number;
  direction: Direction;
  bytes: number;
  packets: number;
  /** Milliseconds until the kernel drops the counter unless a packet refreshes it; null: it does not expire. */
  expiresMs: number | null;
  /** The family's idle timeout, ms; null: its counters never expire. */
  timeoutMs: number | null;
}

/** One reading of one source. */
export interface CounterSnapshot {
  source: CounterSourceKind;
  /**
   * Incarnation of the counters: the nft table's handle, the BPF map's id. Another value
   * means the counters were created anew and start from zero.
   */
  generation: number;
  entries: CounterEntry[];
  /** Counters held and capacity, per family, for fill monitoring. */
  fill: Record<string, { count: number; size: number | null }>;
}

/** stateKey names a counter in the delta state and the store: 'acct_out/4242|wlan0', 'unattr_in/|wwan0'. */
export function stateKey(family: string, cgroupId: number | null, iface: string): string {
  return `${family}/${cgroupId ?? ''}|${iface}`;
}

/** elemKeyOf is the part of a state key after the family: '4242|wlan0' or '|wwan0'. */
export function elemKeyOf(cgroupId: number | null, iface: string): string {
  return `${cgroupId ?? ''}|${iface}`;
}

/** entryElemKey is the element key of an entry: by interface index where the kernel counts by index, else by name. */
export function entryElemKey(e: Pick<CounterEntry, 'cgroupId' | 'iface' | 'ifindex'>): string {
  return elemKeyOf(e.cgroupId, e.ifindex === undefined ? e.iface : `#${e.ifindex}`);
}

/** cgroupIdOfElemKey reads the cgroup id back from an element key; null for a per-interface counter. */
export function cgroupIdOfElemKey(elemKey: string): number | null {
  const id = Number(elemKey.slice(0, elemKey.indexOf('|')));
  return id > 0 ? id : null;
}
