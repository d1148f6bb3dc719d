/**
 * The interface's own counters (`/sys/class/net/<if>/statistics`), next to what appnet
 * counted: parsed from recorded text and turned into growth between two reads. The
 * interface counts frames — every segment, its link-layer header, ARP and whatever
 * netfilter's `inet` hooks do not see — so its figure is the one a carrier's bill or
 * vnStat shows; appnet counts IP packets as netfilter sees them.
 */

/** One read of one interface's counters. */
export interface LinkReading {
  name: string;
  /** The kernel's interface index: a new index under the same name is a new interface, counting from zero. */
  ifindex: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** When it was read, unix ms. */
  readAt: number;
  /** How the interface sits among the others (lib/link-totals.ts), when it was read with its counters. */
  shape?: LinkShape;
}

/**
 * How an interface sits among the others, for turning its statistics into its own IP traffic
 * (lib/link-totals.ts): its link type, whether it is a port of another device (a bridge's or
 * bond's: the packet is counted again on that device), and the devices stacked on it (VLANs,
 * macvlans: their packets cross it too).
 */
export interface LinkShape {
  /** ARPHRD_* link type (/sys/class/net/<if>/type); null when unreadable. */
  type: number | null;
  /** A port of a bridge, bond, team or Open vSwitch: what it carries is the master's traffic. */
  port: boolean;
  /** Interfaces stacked on this one (upper_<name> in sysfs). */
  uppers: string[];
  /** A VLAN device: each of its frames carries 4 more bytes (the tag) on the device below. */
  vlan: boolean;
  /** A bridge: it counts what it passes up to the host without the frame's header. */
  bridge: boolean;
}

export interface Traffic {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** How much one interface's counters grew between two reads. */
export interface LinkDelta {
  name: string;
  /** When the previous read was taken, unix ms: the growth happened after it. */
  since: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** The interface's shape at this read (see LinkReading). */
  shape?: LinkShape;
}

/** The files of /sys/class/net/<if> a reading is made of, as read (null: missing or unreadable). */
export interface LinkFiles {
  ifindex: string | null;
  rx_bytes: string | null;
  tx_bytes: string | null;
  rx_packets: string | null;
  tx_packets: string | null;
}

function counter(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/**
 * parseLinkFiles turns the recorded statistics of one interface into a reading; null when
 * any file is missing or not a whole number (an interface going away mid-read).
 */
export function parseLinkFiles(name: string, files: LinkFiles, readAt: number): LinkReading | null {
  const v = [files.ifindex, files.rx_bytes, files.tx_bytes, files.rx_packets, files.tx_packets].map(counter);
  if (v.some((x) => x === null)) return null;
  const [ifindex, rxBytes, txBytes, rxPackets, txPackets] = v as number[];
  return { name, ifindex, rxBytes, txBytes, rxPackets, txPackets, readAt };
}

const FIELDS = ['rxBytes', 'txBytes', 'rxPackets', 'txPackets'] as const;

/**
 * linkDelta gives how much an interface's counters grew since the previous read. The first
 * read of an interface is its baseline (no growth: when its counters started is unknown). A
 * new ifindex under the same name is a re-created interface, and a counter that went down
 * was reset (a driver reload, a 32-bit counter wrapping): its whole value is new.
 */
export function linkDelta(prev: LinkReading | undefined, cur: LinkReading): LinkDelta | null {
  if (!prev) return null;
  const fresh = prev.ifindex !== cur.ifindex;
  const d: LinkDelta = { name: cur.name, since: prev.readAt, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
  if (cur.shape) d.shape = cur.shape;
  for (const f of FIELDS) d[f] = fresh || cur[f] < prev[f] ? cur[f] : cur[f] - prev[f];
  return d;
}

/**
 * linkDeltas applies linkDelta to every interface read now. An interface read for the first
 * time gives none (its counters hold what it carried before anyone looked), unless it appeared
 * since the previous read of all interfaces, at `appearedSince`: a new interface counts from
 * zero, so all it counted is new (a container's veth that carried its traffic before the poll).
 * A renamed interface (its index read before under a name now gone) goes on from that reading.
 */
export function linkDeltas(prev: ReadonlyMap<string, LinkReading>, next: readonly LinkReading[], appearedSince: number | null = null): LinkDelta[] {
  const out: LinkDelta[] = [];
  const names = new Set(next.map((r) => r.name));
  const renamed = new Map([...prev.values()].filter((p) => !names.has(p.name)).map((p) => [p.ifindex, p]));
  for (const r of next) {
    const before = prev.get(r.name) ?? renamed.get(r.ifindex) ?? (appearedSince === null ? undefined : { ...r, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0, readAt: appearedSince });
    const d = linkDelta(before, r);
    if (d) out.push(d);
  }
  return out;
}

/** One interface's growth in one poll, counted by appnet and by the interface. */
export interface LinkCount {
  name: string;
  since: number;
  appnet: Traffic;
  iface: Traffic;
}

/**
 * linkCounts pairs the interfaces' growth with what appnet counted on each of them in the same
 * poll (appnet's deltas: direction 'in' is received). Only interfaces whose growth is known are
 * paired, so both figures always cover the same polls.
 */
export function linkCounts(links: readonly LinkDelta[], appnet: ReadonlyArray<{ iface: string; direction: 'in' | 'out'; bytes: number; packets: number }>): LinkCount[] {
  const byName = new Map<string, LinkCount>();
  for (const l of links) {
    byName.set(l.name, { name: l.name, since: l.since, appnet: { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 }, iface: { rxBytes: l.rxBytes, txBytes: l.txBytes, rxPackets: l.rxPackets, txPackets: l.txPackets } });
  }
  for (const d of appnet) {
    const c = byName.get(d.iface);
    if (!c) continue;
    if (d.direction === 'in') {
      c.appnet.rxBytes += d.bytes;
      c.appnet.rxPackets += d.packets;
    } else {
      c.appnet.txBytes += d.bytes;
      c.appnet.txPackets += d.packets;
    }
  }
  return [...byName.values()];
}

/** Both figures for one network over one stretch of time. */
export interface NetworkCounted {
  networkId: number;
  /** Start of the earliest interval counted, unix s (later than asked when counting began later). */
  since: number;
  appnet: Traffic;
  iface: Traffic;
}

/** countedDifference is how much more the interface counted than appnet, in bytes and as a share of the interface's figure. */
export function countedDifference(c: Pick<NetworkCounted, 'appnet' | 'iface'>): { bytes: number; percent: number | null } {
  const a = c.appnet.rxBytes + c.appnet.txBytes;
  const i = c.iface.rxBytes + c.iface.txBytes;
  return { bytes: i - a, percent: i === 0 ? null : Math.round(((i - a) / i) * 1000) / 10 };
}
