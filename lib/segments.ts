/**
 * Which interfaces carry segments. The BPF program counts a GSO/GRO packet as the segments a
 * network card puts on the wire, and keeps what the segments added apart (count.bpf.c). That is
 * what crossed a NIC, whose card (or the kernel, without TSO) cuts every large send and whose
 * arrivals GRO merged; but loopback, and a veth or tunnel with TSO on (a container's link), pass
 * the 64 KB packet whole: nothing was ever cut. The interface's own statistics say which: they
 * count frames as the device handled them. So per interface and direction, in every poll where
 * the program saw segments, appnet counts segments where the interface's packet count is
 * closer to the segment count than to the packet count netfilter saw, and packets otherwise.
 */
import type { Direction } from './counters';
import type { CounterDelta } from './delta';
import type { LinkDelta } from './link-counters';

/** Segments' extra packets below which a poll says nothing about an interface (a stray retransmission). */
const EVIDENCE = 5;

/** Per 'direction|iface': whether the interface carries segments (true) or whole packets. */
export type SegmentViews = Map<string, boolean>;

const keyOf = (direction: Direction, iface: string) => `${direction}|${iface}`;

function sumPackets(deltas: readonly CounterDelta[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of deltas) out.set(keyOf(d.direction, d.iface), (out.get(keyOf(d.direction, d.iface)) ?? 0) + d.packets);
  return out;
}

/**
 * updateSegmentViews decides, from one poll, which interfaces carry segments: `totals` are nft's
 * per-interface deltas (whole packets), `segments` the program's segment deltas, `links` the
 * interfaces' own growth over the same poll. An interface without evidence keeps its view;
 * one never judged (its statistics unreadable, or read for the first time) counts whole
 * packets, as netfilter sees them: nothing is claimed that was not seen.
 */
export function updateSegmentViews(views: SegmentViews, totals: readonly CounterDelta[], segments: readonly CounterDelta[], links: readonly LinkDelta[] | undefined): void {
  if (!links) return;
  const whole = sumPackets(totals);
  const extra = sumPackets(segments);
  for (const l of links) {
    for (const [direction, own] of [['in', l.rxPackets], ['out', l.txPackets]] as const) {
      const k = keyOf(direction, l.name);
      const e = extra.get(k) ?? 0;
      if (e < EVIDENCE) continue;
      const w = whole.get(k) ?? 0;
      views.set(k, Math.abs(own - (w + e)) < Math.abs(own - w));
    }
  }
}

/**
 * atWireLevel gives the apps' deltas and the per-interface totals as the interfaces carried them:
 * where an interface carries segments, the apps' counts as the program made them and nft's
 * totals plus the segments' extra headers; elsewhere, each app's count less its segments' part,
 * and nft's totals as they are.
 */
export function atWireLevel(views: SegmentViews, apps: readonly CounterDelta[], segments: readonly CounterDelta[], totals: readonly CounterDelta[]): { apps: CounterDelta[]; totals: CounterDelta[] } {
  const carries = (d: CounterDelta) => views.get(keyOf(d.direction, d.iface)) ?? false;
  const whole = new Map<string, CounterDelta>();
  for (const s of segments) if (!carries(s)) whole.set(`${s.cgroupId}|${keyOf(s.direction, s.iface)}`, s);
  return {
    apps: apps.flatMap((a) => {
      const s = whole.get(`${a.cgroupId}|${keyOf(a.direction, a.iface)}`);
      if (!s) return [a];
      const d = { ...a, bytes: Math.max(0, a.bytes - s.bytes), packets: Math.max(0, a.packets - s.packets) };
      return d.bytes > 0 || d.packets > 0 ? [d] : [];
    }),
    totals: [...totals, ...segments.filter(carries)],
  };
}
