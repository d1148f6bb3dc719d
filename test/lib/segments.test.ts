import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CounterDelta } from '../../lib/delta';
import { atWireLevel, updateSegmentViews, type SegmentViews } from '../../lib/segments';

const d = (family: string, cgroupId: number | null, iface: string, bytes: number, packets: number): CounterDelta => ({ family, cgroupId, iface, direction: 'in', bytes, packets, elapsedMs: 1000 });
const carrying = (views: SegmentViews) => [...views].filter(([, v]) => v.carries !== null).map(([k, v]) => [k, v.carries]);
const link = (name: string, rxPackets: number) => ({ name, since: 0, rxBytes: 0, txBytes: 0, rxPackets, txPackets: 0 });

// One GRO packet of 10 segments (10,052 bytes whole, 10,520 on the wire) on each interface: the app's whole packet, its segments' part, and the program's count.
const whole = [d('bpf_in', 42, 'eth0', 10052, 1), d('bpf_in', 42, 'veth0', 10052, 1)];
const segments = [d('bpf_seg_in', 42, 'eth0', 468, 9), d('bpf_seg_in', 42, 'veth0', 468, 9)];
const apps = [d('bpf_in', 42, 'eth0', 10520, 10), d('bpf_in', 42, 'veth0', 10520, 10)];

test('an interface whose own statistics counted segments carries them; one that counted the whole packet does not', () => {
  const views: SegmentViews = new Map();
  assert.deepEqual(atWireLevel(new Map(), apps, segments).map((a) => [a.iface, a.bytes, a.packets]), whole.map((a) => [a.iface, a.bytes, a.packets]), 'with no views: whole packets');
  updateSegmentViews(views, whole, segments, [link('eth0', 10), link('veth0', 1)]);
  assert.deepEqual(carrying(views), [['in|eth0', true], ['in|veth0', false]]);
  const w = atWireLevel(views, apps, segments);
  assert.deepEqual(w.map((a) => [a.iface, a.bytes, a.packets]), [['eth0', 10520, 10], ['veth0', 10052, 1]]);
});

test('without evidence (few segments, no statistics) an interface keeps its view, and one never judged counts whole packets', () => {
  const views: SegmentViews = new Map([['in|veth0', { carries: false, own: 0, whole: 0, extra: 0 }]]);
  updateSegmentViews(views, whole, [d('bpf_seg_in', 42, 'veth0', 52, 1)], [link('veth0', 2)]);
  updateSegmentViews(views, whole, segments, undefined);
  assert.deepEqual(carrying(views), [['in|veth0', false]]);
  const w = atWireLevel(views, apps, segments);
  assert.deepEqual(w.map((a) => [a.iface, a.bytes]), [['eth0', 10052], ['veth0', 10052]]);
});

test('reads of one poll made at different moments do not turn a NIC-like interface into one that counts whole packets', () => {
  // Measured on a loaded machine (link-counted.test.ts): the statistics were read after a
  // download ended, the map before, so the download was in one poll's statistics and the
  // next poll's segments. Judged poll by poll, the second poll said "whole packets" (727
  // frames against 366 whole packets and 13,482 extra segments).
  const views: SegmentViews = new Map();
  const rx = (iface: string, packets: number) => d('iface_in', null, iface, packets * 1500, packets);
  updateSegmentViews(views, [], [], [link('eth0', 0)]);
  updateSegmentViews(views, [rx('eth0', 0)], [], [link('eth0', 13848)]);
  updateSegmentViews(views, [rx('eth0', 366)], [d('bpf_seg_in', 42, 'eth0', 13482 * 52, 13482)], [link('eth0', 727)]);
  assert.deepEqual(carrying(views), [['in|eth0', true]]);
  updateSegmentViews(views, [rx('eth0', 727)], [], [link('eth0', 0)]);
  assert.deepEqual(carrying(views), [['in|eth0', true]]);
});
