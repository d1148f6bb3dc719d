/**
 * Container hosts: every container start adds a veth. They share one "container links"
 * network (not metered), in the interface list read from a recorded /sys/class/net and for
 * a veth that was gone before the list named it; real links keep a network each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDb } from '../../db/open';
import { PollStore } from '../../collector/store';
import { readInterfaces } from '../../collector/sources/interfaces';

const SYS = join(import.meta.dirname, '..', 'fixtures', 'sysnet');

test('veths of containers are one unmetered network; other links keep their own', async () => {
  const ifaces = await readInterfaces(SYS);
  const net = (n: string) => {
    const i = ifaces.find((x) => x.name === n)!;
    return { kind: i.kind, netKey: i.netKey, netName: i.netName, meteredAuto: i.meteredAuto };
  };
  assert.deepEqual(net('veth3a9f1c2'), { kind: 'virtual', netKey: 'containers', netName: 'container links', meteredAuto: false });
  assert.deepEqual(net('veth77b0e41'), net('veth3a9f1c2'));
  assert.deepEqual(net('eth0'), { kind: 'ethernet', netKey: 'iface:eth0', netName: 'eth0', meteredAuto: false });
  assert.deepEqual(net('wwan0'), { kind: 'mobile', netKey: 'iface:wwan0', netName: 'wwan0', meteredAuto: true });
  assert.equal(net('docker0').netKey, 'iface:docker0', 'the bridge is the host side of all containers, one network already');

  const db = openDb(':memory:', { migrate: true });
  const store = new PollStore(db, () => {});
  const delta = (iface: string) => ({ family: 'acct_out', direction: 'out' as const, cgroupId: null, iface, bytes: 100, packets: 1, elapsedMs: 10_000 });
  store.storePoll({ now: Date.UTC(2026, 0, 5, 12), cgroups: [], ifaces, deltas: [delta('veth3a9f1c2'), delta('veth77b0e41'), delta('vethdeadbee'), delta('eth0')], next: [], gone: [], prev: new Map() });
  const rows = db.prepare('SELECT n.net_key AS net, n.name, n.metered_auto AS metered, COUNT(*) AS ifaces FROM interfaces i JOIN networks n ON n.id = i.network_id GROUP BY n.id ORDER BY n.net_key').all();
  assert.deepEqual(rows, [
    { net: 'containers', name: 'container links', metered: 0, ifaces: 3 },
    { net: 'iface:eth0', name: 'eth0', metered: 0, ifaces: 1 },
  ]);
  db.close();
});
