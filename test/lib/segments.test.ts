import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CounterDelta } from '../../lib/delta';
import { atWireLevel, updateSegmentViews, type SegmentViews } from '../../lib/segments';

const d = (family: string, cgroupId: number | null, iface: string, bytes: number, packets: number): CounterDelta => ({ family, cgroupId, iface, direction: 'in', bytes, packets, elapsedMs: 1000 });
const link = (name: string, rxPackets: number) => ({ name, since: 0, rxBytes: 0, txBytes: 0, rxPackets, txPackets: 0 });

// One GRO packet of 10 segments (10,052 bytes as netfilter sees it, 10,520 on the wire) on each interface.
const totals = [d('iface_in', null, 'eth0', 10052, 1), d('iface_in', null, 'veth0', 10052, 1)];
const segments = [d('bpf_seg_in', 42, 'eth0', 468, 9), d('bpf_seg_in', 42, 'veth0', 468, 9)];
const apps = [d('bpf_in', 42, 'eth0', 10520, 10), d('bpf_in', 42, 'veth0', 10520, 10)];

test('an interface whose own statistics counted segments carries them; one that counted the whole packet does not', () => {
  const views: SegmentViews = new Map();
  updateSegmentViews(views, totals, segments, [link('eth0', 10), link('veth0', 1)]);
  assert.deepEqual([...views], [['in|eth0', true], ['in|veth0', false]]);
  const w = atWireLevel(views, apps, segments, totals);
  assert.deepEqual(w.apps.map((a) => [a.iface, a.bytes, a.packets]), [['eth0', 10520, 10], ['veth0', 10052, 1]]);
  assert.deepEqual(w.totals.map((t) => [t.family, t.iface, t.bytes]), [['iface_in', 'eth0', 10052], ['iface_in', 'veth0', 10052], ['bpf_seg_in', 'eth0', 468]]);
});

test('without evidence (few segments, no statistics) an interface keeps its view, and one never judged counts whole packets', () => {
  const views: SegmentViews = new Map([['in|veth0', false]]);
  updateSegmentViews(views, totals, [d('bpf_seg_in', 42, 'veth0', 52, 1)], [link('veth0', 2)]);
  updateSegmentViews(views, totals, segments, undefined);
  assert.deepEqual([...views], [['in|veth0', false]]);
  const w = atWireLevel(views, apps, segments, totals);
  assert.deepEqual(w.apps.map((a) => [a.iface, a.bytes]), [['eth0', 10052], ['veth0', 10052]]);
});
