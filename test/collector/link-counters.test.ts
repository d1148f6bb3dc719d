/** The interfaces source reads every interface's own counters under an injectable /sys/class/net root. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readLinkCounters } from '../../collector/sources/interfaces';

const SYS = join(import.meta.dirname, '..', 'fixtures', 'sys', 'class', 'net');

test('readLinkCounters reads recorded /sys statistics and each link type, skipping what is not a whole interface', () => {
  const r = readLinkCounters(SYS, 42).sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(r, [
    { name: 'lo', ifindex: 1, rxBytes: 336, txBytes: 336, rxPackets: 4, txPackets: 4, readAt: 42, shape: { type: 772, port: false, uppers: [], vlan: false, bridge: false } },
    { name: 'wlan0', ifindex: 2, rxBytes: 336, txBytes: 532, rxPackets: 4, txPackets: 6, readAt: 42, shape: { type: 1, port: false, uppers: [], vlan: false, bridge: false } },
  ]);
});
