/**
 * Which interfaces carry segments. The BPF program counts a GSO/GRO packet as the segments a
 * network card puts on the wire, and keeps what the segments added apart (count.bpf.c). That is
 * what crossed a NIC, whose card (or the kernel, without TSO) cuts every large send and whose
 * arrivals GRO merged; but loopback, and a veth or tunnel with TSO on (a container's link), pass
 * the 64 KB packet whole: nothing was ever cut. The interface's own statistics say which: they
 * count frames as the device handled them. So per interface and direction, once the program
 * saw segments, appnet counts segments where the growth of the interface's packet count is
 * closer to the apps' segment count than to their whole packets, and packets otherwise, judged
 * on the sums over the polls (updateSegmentViews says why not poll by poll). The interface's
 * statistics are also its total (lib/link-totals.ts), so its view decides only how the apps are
 * counted: the total is what the interface counted either way.
 */
import type { Direction } from './counters';
import type { CounterDelta } from './delta';
import type { LinkDelta } from './link-counters';

/** Segments' extra packets below which the evidence says nothing about an interface (a stray retransmission). */
const EVIDENCE = 5;

/**
 * Frames (or segments' extra packets) above which the sums are halved, so that an interface
 * whose offloads change (ethtool -K) is judged anew after some 50,000 frames instead of never,
 * and the frames netfilter never sees (ARP, LLDP) stay as few against the segments as in a
 * short stretch of time. Halving all three sums at once keeps them aligned.
 */
const DECAY_AT = 100_000;

/** What one interface and direction is judged on: the growth of its own packet count, of the apps' whole packets, and of the segments' extra packets. */
interface Evidence {
  carries: boolean | null;
  own: number;
  whole: number;
  extra: number;
}

/** Per 'direction|iface': the evidence so far and whether the interface carries segments (null: not judged yet). */
export type SegmentViews = Map<string, Evidence>;

const keyOf = (direction: Direction, iface: string) => `${direction}|${iface}`;

function sumPackets(deltas: readonly CounterDelta[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of deltas) out.set(keyOf(d.direction, d.iface), (out.get(keyOf(d.direction, d.iface)) ?? 0) + d.packets);
  return out;
}

/**
 * updateSegmentViews judges which interfaces carry segments: `whole` are the apps' deltas of
 * this poll counted as whole packets (the program's count less its segments), `segments` the
 * program's segment deltas, `links` the interfaces' own growth (undefined: not read this poll,
 * the next read covers it).
 *
 * The statistics and the map are read one after the other, tens or hundreds of milliseconds
 * apart on a loaded machine, so one poll's deltas cover different intervals: a transfer that
 * ends between the two reads is in this poll's statistics and the next poll's segments. Judged
 * poll by poll, such a poll could say "the interface counted whole packets" and the next one has
 * no evidence, so the wrong view stuck. The sums since the interface's first read telescope
 * instead: each is its counter's growth between two reads, so they disagree only by what arrived
 * while one poll's reads were made, which a bulk transfer outgrows. An interface never judged
 * counts whole packets: nothing is claimed that was not seen.
 *
 * The interface's own count also holds the frames no app sent or received (ARP, forwarded
 * packets, kernel replies), which lean the judgement towards segments: on an interface that
 * counts whole packets and forwards more packets than half the apps' extra segments (a
 * container bridge busy with its containers' own bulk traffic), the apps' bulk transfers are
 * counted with the headers of segments that were never cut, about 3 % of their bytes, taken
 * from that interface's unattributed rest.
 */
export function updateSegmentViews(views: SegmentViews, whole: readonly CounterDelta[], segments: readonly CounterDelta[], links: readonly LinkDelta[] | undefined): void {
  const wholeSums = sumPackets(whole);
  const extra = sumPackets(segments);
  const of = (k: string) => {
    let v = views.get(k);
    if (!v) views.set(k, (v = { carries: null, own: 0, whole: 0, extra: 0 }));
    return v;
  };
  for (const [k, n] of wholeSums) of(k).whole += n;
  for (const [k, n] of extra) of(k).extra += n;
  if (!links) return;
  const read = new Set<string>();
  for (const l of links) {
    for (const [direction, own] of [['in', l.rxPackets], ['out', l.txPackets]] as const) {
      const k = keyOf(direction, l.name);
      read.add(k);
      const v = of(k);
      v.own += own;
      if (v.extra >= EVIDENCE) v.carries = Math.abs(v.own - (v.whole + v.extra)) < Math.abs(v.own - v.whole);
      if (v.extra > DECAY_AT || v.own > DECAY_AT) {
        v.own /= 2;
        v.whole /= 2;
        v.extra /= 2;
      }
    }
  }
  // An interface without growth this poll (read for the first time, or unreadable) starts its sums at its next read.
  for (const [k, v] of views) {
    if (read.has(k)) continue;
    if (v.carries === null) {
      views.delete(k);
      continue;
    }
    v.own = 0;
    v.whole = 0;
    v.extra = 0;
  }
}

/**
 * atWireLevel gives the apps' deltas as the interfaces carried them: where an interface carries
 * segments, as the program counted them; elsewhere (and with no views at all: their whole
 * packets), each app's count less its segments' part.
 */
export function atWireLevel(views: SegmentViews, apps: readonly CounterDelta[], segments: readonly CounterDelta[]): CounterDelta[] {
  const carries = (d: CounterDelta) => views.get(keyOf(d.direction, d.iface))?.carries ?? false;
  const whole = new Map<string, CounterDelta>();
  for (const s of segments) if (!carries(s)) whole.set(`${s.cgroupId}|${keyOf(s.direction, s.iface)}`, s);
  return apps.flatMap((a) => {
    const s = whole.get(`${a.cgroupId}|${keyOf(a.direction, a.iface)}`);
    if (!s) return [a];
    const d = { ...a, bytes: Math.max(0, a.bytes - s.bytes), packets: Math.max(0, a.packets - s.packets) };
    return d.bytes > 0 || d.packets > 0 ? [d] : [];
  });
}
