import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countedDifference, linkCounts, linkDelta, linkDeltas, parseLinkFiles, type LinkReading } from '../../lib/link-counters';

const files = { ifindex: '2\n', rx_bytes: '336\n', tx_bytes: '532\n', rx_packets: '4\n', tx_packets: '6\n' };
const at = (over: Partial<LinkReading>): LinkReading => ({ name: 'wlan0', ifindex: 2, rxBytes: 1000, txBytes: 2000, rxPackets: 10, txPackets: 20, readAt: 1, ...over });

test('parseLinkFiles reads the recorded statistics of an interface', () => {
  assert.deepEqual(parseLinkFiles('wlan0', files, 5), { name: 'wlan0', ifindex: 2, rxBytes: 336, txBytes: 532, rxPackets: 4, txPackets: 6, readAt: 5 });
});

test('parseLinkFiles gives nothing for an interface that went away mid-read or a file that is not a count', () => {
  assert.equal(parseLinkFiles('wlan0', { ...files, tx_packets: null }, 5), null);
  assert.equal(parseLinkFiles('wlan0', { ...files, rx_bytes: 'garbage' }, 5), null);
  assert.equal(parseLinkFiles('wlan0', { ...files, rx_bytes: '-3' }, 5), null);
});

test('the first read is a baseline, later reads give the growth', () => {
  assert.equal(linkDelta(undefined, at({})), null);
  assert.deepEqual(linkDelta(at({}), at({ rxBytes: 1500, txBytes: 2100, rxPackets: 15, txPackets: 21 })), { name: 'wlan0', since: 1, rxBytes: 500, txBytes: 100, rxPackets: 5, txPackets: 1 });
});

test('a re-created interface (new ifindex) or a counter that went down counts its whole value', () => {
  assert.deepEqual(linkDelta(at({}), at({ ifindex: 9, rxBytes: 3000, txBytes: 40, rxPackets: 3, txPackets: 1 })), { name: 'wlan0', since: 1, rxBytes: 3000, txBytes: 40, rxPackets: 3, txPackets: 1 });
  assert.deepEqual(linkDelta(at({}), at({ rxBytes: 100, txBytes: 2500, rxPackets: 1, txPackets: 25 })), { name: 'wlan0', since: 1, rxBytes: 100, txBytes: 500, rxPackets: 1, txPackets: 5 });
});

test('linkDeltas covers the interfaces read before; a new one only once all were read before (it counts from zero)', () => {
  const prev = new Map([['wlan0', at({})]]);
  const d = linkDeltas(prev, [at({ rxBytes: 1100 }), at({ name: 'wwan0' })]);
  assert.deepEqual(d.map((x) => [x.name, x.rxBytes]), [['wlan0', 100]], "the run's first read: what wwan0 counted came before anyone looked");
  const later = linkDeltas(prev, [at({ rxBytes: 1100 }), at({ name: 'veth3' })], 7);
  assert.deepEqual(later.map((x) => [x.name, x.since, x.rxBytes, x.txPackets]), [['wlan0', 1, 100, 0], ['veth3', 7, 1000, 20]], 'veth3 appeared since the read at 7: all it counted is new');
  const renamed = linkDeltas(prev, [at({ name: 'wlp2s0', rxBytes: 1200 })], 7);
  assert.deepEqual(renamed.map((x) => [x.name, x.since, x.rxBytes]), [['wlp2s0', 1, 200]], 'wlan0 renamed: its index goes on from its reading');
});

test('linkCounts pairs each interface’s growth with appnet’s deltas on it, and only those', () => {
  const links = [{ name: 'wlan0', since: 7, rxBytes: 1514, txBytes: 74, rxPackets: 1, txPackets: 1 }];
  const c = linkCounts(links, [
    { iface: 'wlan0', direction: 'in', bytes: 1000, packets: 1 },
    { iface: 'wlan0', direction: 'in', bytes: 500, packets: 1 },
    { iface: 'wlan0', direction: 'out', bytes: 60, packets: 1 },
    { iface: 'wwan0', direction: 'out', bytes: 999, packets: 9 },
  ]);
  assert.deepEqual(c, [{ name: 'wlan0', since: 7, appnet: { rxBytes: 1500, txBytes: 60, rxPackets: 2, txPackets: 1 }, iface: { rxBytes: 1514, txBytes: 74, rxPackets: 1, txPackets: 1 } }]);
});

test('countedDifference says how much more the interface counted, as a share of its own figure', () => {
  const z = { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
  assert.deepEqual(countedDifference({ appnet: { ...z, rxBytes: 960, txBytes: 0 }, iface: { ...z, rxBytes: 1000, txBytes: 0 } }), { bytes: 40, percent: 4 });
  assert.deepEqual(countedDifference({ appnet: z, iface: z }), { bytes: 0, percent: null });
});
