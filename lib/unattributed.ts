/**
 * Unattributed traffic when the BPF program counts per app: what crossed an interface minus
 * what the program counted for sockets on it, per direction. Where the program counts at wire
 * level (every segment of a GSO/GRO packet with its headers), nft's per-interface totals see
 * merged packets, so the totals passed here are nft's plus the segment headers the program kept
 * (count.bpf.c, lib/segments.ts): the same packets at wire level.
 * Both are read in the same poll, our table first. Every packet is counted by nft (input and
 * output hooks) before it reaches the program (socket delivery, after POSTROUTING), so a
 * packet that arrives between the two reads is in the map but not yet in the totals: the
 * difference can come out negative, and that rest is carried to the next poll, whose totals
 * hold the packet. Read the other way round, such a packet would be in the totals and not yet
 * in the map, booked as unattributed, and then counted again for its app the next poll: a
 * permanent overcount. In this order what was booked as unattributed never exceeds the true
 * unattributed traffic, and once traffic pauses, apps + unattributed = the totals exactly.
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
