/**
 * Each interface's total IP traffic from its own statistics, for the unattributed rest next to
 * the BPF program (lib/unattributed.ts). The kernel keeps those counters anyway, so they cost
 * nothing per packet, where any per-packet count of ours (an nft rule, a tc program) cost about
 * the whole budget of counting (BENCHMARKS.md figure 1b). Three things set them apart from the
 * IP packets the program counts, and are taken out here:
 * - the link-layer header of every frame: 14 bytes on Ethernet, Wi-Fi (mac80211 counts the
 *   Ethernet frame it makes) and loopback; none on the links that carry bare IP packets (wwan
 *   raw-IP, PPP, tun and WireGuard, IP tunnels), nor on what a bridge passes up to the host
 *   (it counts the frame after its port took the header off; measured here: 1,000 bytes per
 *   1,000-byte IP packet received, 1,014 sent). Where a driver counts otherwise the rest is off
 *   by 14 bytes a frame: a veth that receives through NAPI (GRO on, or an XDP program) counts
 *   without the header, so its received total reads low and its unattributed rest stays at
 *   zero (the negative rest is carried: apps are never cut);
 * - ports: a bridge's or bond's port counts the same frames as its master (the IP layer sees
 *   the master; frames bridged between ports never reach it), so ports are left out;
 * - stacked devices: a VLAN or macvlan on eth0 sends and receives through eth0, which counts the
 *   frame again (a VLAN's with its 4-byte tag), so the devices stacked on an interface are taken
 *   off its figure.
 * What stays is what nft's per-interface counters saw, plus frames no IP hook sees (ARP, LLDP):
 * traffic no app made, booked as unattributed. An interface whose stacked device is in another
 * network namespace (a container's macvlan) keeps that device's traffic: it is not ours.
 */
import type { Direction } from './counters';
import type { CounterDelta } from './delta';
import type { LinkDelta, LinkShape } from './link-counters';

const ARPHRD_ETHER = 1;
const ARPHRD_IEEE802 = 6;
const ARPHRD_LOOPBACK = 772;

/** The family the totals are handed on under (never stored: only the unattributed rest is). */
export const LINK_TOTAL_FAMILY: Record<Direction, string> = { in: 'link_in', out: 'link_out' };

/** headerBytes is the link-layer header each frame of an interface carries in its statistics, by its ARPHRD type (and, for a bridge, the direction). */
export function headerBytes(shape: Pick<LinkShape, 'type' | 'bridge'> | undefined, direction: Direction): number {
  if (!shape || (shape.bridge && direction === 'in')) return 0;
  return shape.type === ARPHRD_ETHER || shape.type === ARPHRD_IEEE802 || shape.type === ARPHRD_LOOPBACK ? 14 : 0;
}

const TAG_BYTES = 4;

/**
 * linkTotals turns one poll's growth of the interfaces' statistics into each interface's IP
 * totals per direction ('in' is received), as CounterDeltas with no cgroup. `now` is when the
 * statistics were read.
 */
export function linkTotals(links: readonly LinkDelta[], now: number): CounterDelta[] {
  const byName = new Map(links.map((l) => [l.name, l]));
  const out: CounterDelta[] = [];
  for (const l of links) {
    const shape: LinkShape | undefined = l.shape;
    if (shape?.port) continue;
    let { rxBytes, txBytes, rxPackets, txPackets } = l;
    for (const u of shape?.uppers ?? []) {
      const up = byName.get(u);
      if (!up) continue;
      const tag = up.shape?.vlan ? TAG_BYTES : 0;
      rxBytes -= up.rxBytes + tag * up.rxPackets;
      txBytes -= up.txBytes + tag * up.txPackets;
      rxPackets -= up.rxPackets;
      txPackets -= up.txPackets;
    }
    const elapsedMs = Math.max(0, now - l.since);
    for (const [direction, bytes, packets] of [['in', rxBytes, rxPackets], ['out', txBytes, txPackets]] as const) {
      const p = Math.max(0, packets);
      const b = Math.max(0, bytes - headerBytes(shape, direction) * p);
      if (b > 0 || p > 0) out.push({ family: LINK_TOTAL_FAMILY[direction], cgroupId: null, iface: l.name, direction, bytes: b, packets: p, elapsedMs });
    }
  }
  return out;
}
