/**
 * Unattributed traffic when the BPF program counts per app: what crossed an interface (its own
 * statistics, lib/link-totals.ts) minus what the program counted for sockets on it, per
 * direction. Both are at the level the interface counted at: where it carries segments the
 * apps are counted as the program counted them, every segment with its headers (count.bpf.c,
 * lib/segments.ts), and elsewhere as whole packets.
 * Both are read in the same poll, the statistics first. A packet sent is counted by the program
 * (after POSTROUTING) before its device counts it, so a sent packet in the statistics is always
 * in the map read after them. A packet received is counted by its device before the program
 * (socket delivery), so one in the map and not yet in the statistics read before is no harm:
 * the difference can come out negative, and that rest is carried to the next poll, whose totals
 * hold the packet. The reverse, a packet in the statistics and not in the map, needs a packet
 * still on its way from the device to its socket for the whole time between the two reads
 * (microseconds against milliseconds). Read the other way round, every packet received between
 * the reads would be in the totals and not yet in the map, booked as unattributed, and counted
 * again for its app the next poll. In this order what was booked as unattributed does not
 * exceed the true unattributed traffic, and once traffic pauses, apps + unattributed = the
 * totals exactly.
 */
import type { Direction } from './counters';
import type { CounterDelta, CounterValue } from './delta';

/** The family unattributed deltas are booked under (the store reads only cgroupId null and the direction). */
const FAMILY: Record<Direction, string> = { in: 'unattr_in', out: 'unattr_out' };

/** unattributedDeltas computes one poll's unattributed deltas; `carry` (per 'direction|iface') holds the negative rests between polls. */
export function unattributedDeltas(totals: readonly CounterDelta[], apps: readonly CounterDelta[], carry: Map<string, CounterValue>): CounterDelta[] {
  const sums = new Map<string, { iface: string; direction: Direction; bytes: number; packets: number; elapsedMs: number | null }>();
  const add = (d: CounterDelta, sign: 1 | -1) => {
    const k = `${d.direction}|${d.iface}`;
    const s = sums.get(k) ?? { iface: d.iface, direction: d.direction, bytes: 0, packets: 0, elapsedMs: null };
    s.bytes += sign * d.bytes;
    s.packets += sign * d.packets;
    if (sign === 1) s.elapsedMs = d.elapsedMs;
    sums.set(k, s);
  };
  for (const d of totals) add(d, 1);
  for (const d of apps) add(d, -1);
  const out: CounterDelta[] = [];
  for (const [k, s] of sums) {
    const prev = carry.get(k) ?? { bytes: 0, packets: 0 };
    const bytes = s.bytes + prev.bytes;
    const packets = s.packets + prev.packets;
    const rest = { bytes: Math.min(0, bytes), packets: Math.min(0, packets) };
    if (rest.bytes < 0 || rest.packets < 0) carry.set(k, rest);
    else carry.delete(k);
    if (bytes > 0 || packets > 0) {
      out.push({ family: FAMILY[s.direction], cgroupId: null, iface: s.iface, direction: s.direction, bytes: Math.max(0, bytes), packets: Math.max(0, packets), elapsedMs: s.elapsedMs });
    }
  }
  return out;
}
