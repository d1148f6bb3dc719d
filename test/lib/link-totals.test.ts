/** Each interface's IP totals from its own statistics (lib/link-totals.ts), and the unattributed rest they leave next to the program's count. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CounterValue } from '../../lib/delta';
import type { LinkDelta, LinkShape } from '../../lib/link-counters';
import { headerBytes, linkTotals } from '../../lib/link-totals';
import { unattributedDeltas } from '../../lib/unattributed';

const shape = (s: Partial<LinkShape> = {}): LinkShape => ({ type: 1, port: false, uppers: [], vlan: false, bridge: false, ...s });
const link = (name: string, rx: [number, number], tx: [number, number], s?: LinkShape): LinkDelta => ({
  name, since: 1000, rxBytes: rx[0], rxPackets: rx[1], txBytes: tx[0], txPackets: tx[1], ...(s ? { shape: s } : {}),
});
const totalsOf = (links: LinkDelta[]) => linkTotals(links, 3000).map((t) => [t.iface, t.direction, t.bytes, t.packets]);

test('headers per link type: 14 bytes on Ethernet, Wi-Fi and loopback, none on links of bare IP packets nor on what a bridge passes up', () => {
  const h = (type: number | null, bridge = false) => [headerBytes({ type, bridge }, 'in'), headerBytes({ type, bridge }, 'out')];
  assert.deepEqual(h(1), [14, 14], 'ARPHRD_ETHER (Ethernet, and Wi-Fi as mac80211 counts it)');
  assert.deepEqual(h(772), [14, 14], 'ARPHRD_LOOPBACK');
  for (const t of [65534, 519, 512, 768, 776, 778]) assert.deepEqual(h(t), [0, 0], `type ${t} (tun/WireGuard, raw-IP wwan, PPP, tunnels)`);
  assert.deepEqual(h(null), [0, 0], 'unknown type: nothing taken off, the rest stays unattributed');
  assert.deepEqual(h(1, true), [0, 14], 'a bridge counts what it receives without the header');
});

test('an Ethernet interface: each frame less its header, per direction, with the time since the last read', () => {
  const t = linkTotals([link('eth0', [10 * (1514), 10], [3 * 74, 3], shape())], 3000);
  assert.deepEqual(t.map((x) => [x.family, x.iface, x.direction, x.bytes, x.packets, x.elapsedMs]), [
    ['link_in', 'eth0', 'in', 15000, 10, 2000],
    ['link_out', 'eth0', 'out', 180, 3, 2000],
  ]);
  assert.deepEqual(totalsOf([link('wwan0', [1500, 1], [0, 0], shape({ type: 519 }))]), [['wwan0', 'in', 1500, 1]], 'raw IP: as counted; no growth, no total');
});

test("a bridge's ports are left out: the bridge counts the same frames", () => {
  const t = totalsOf([link('br0', [1000, 1], [1014, 1], shape({ bridge: true })), link('veth1', [1014, 1], [1014, 1], shape({ port: true, uppers: ['br0'] }))]);
  assert.deepEqual(t, [['br0', 'in', 1000, 1], ['br0', 'out', 1000, 1]]);
});

test('devices stacked on an interface are taken off it, a VLAN with its 4-byte tag', () => {
  const t = totalsOf([
    link('eth0', [1018 + 514, 2], [1018, 1], shape({ uppers: ['eth0.100'] })),
    link('eth0.100', [1014, 1], [1014, 1], shape({ vlan: true })),
  ]);
  assert.deepEqual(t, [['eth0', 'in', 500, 1], ['eth0.100', 'in', 1000, 1], ['eth0.100', 'out', 1000, 1]]);
  // A stacked device not read this poll (another namespace's, or new) cannot be taken off: its traffic stays on the lower one.
  assert.deepEqual(totalsOf([link('eth0', [1514, 1], [0, 0], shape({ uppers: ['mv0'] }))]), [['eth0', 'in', 1500, 1]]);
});

test('unattributed at wire level: an interface that counted every segment, less the app counted as segments, leaves the packets without a socket', () => {
  // One GRO packet of 10 segments (10,520 bytes of IP on the wire) to an app, and 3 ARP/ND frames of 100 bytes of payload.
  const carry = new Map<string, CounterValue>();
  const totals = linkTotals([link('eth0', [10520 + 10 * 14 + 3 * 114, 13], [0, 0], shape())], 3000);
  const app = { family: 'bpf_in', cgroupId: 42, iface: 'eth0', direction: 'in' as const, bytes: 10520, packets: 10, elapsedMs: 2000 };
  const u = unattributedDeltas(totals, [app], carry);
  assert.deepEqual(u.map((d) => [d.iface, d.bytes, d.packets]), [['eth0', 300, 3]]);
  assert.equal(carry.size, 0);
});
