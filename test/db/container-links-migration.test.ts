/** Migration 052: the veth networks an older collector made (one per container link) become the one "container links" network, usage and all. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDb } from '../../db/open';
import { upsertApp } from '../../db/queries/apps';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { appIdentity } from '../../lib/identity';
import { migrationsBefore, MIGRATIONS } from '../fixtures/migrations';

test('veth networks are merged into container links; other networks and every byte stay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-mig052-'));
  try {
    const db = openDb(join(dir, 'a.db'));
    migrate(db, migrationsBefore(dir, 52));
    const t = Math.floor(Date.UTC(2026, 10, 20, 12) / 1000);
    const app = upsertApp(db, appIdentity(`system.slice/docker-${'ab'.repeat(32)}.scope`), t);
    for (const [name, kind] of [['veth1a2b3c4', 'virtual'], ['veth9f8e7d6', 'virtual'], ['eth0', 'ethernet'], ['wlan0', 'wifi']] as const) {
      const net = upsertNetwork(db, { netKey: `iface:${name}`, name, kind, meteredAuto: false }, t);
      const ifc = upsertInterface(db, { name, kind, mac: null, networkId: net }, t);
      insertUsage(db, t, [{ seriesId: getOrCreateSeries(db, app, ifc, net), rxBytes: 100, txBytes: 10, rxPackets: 1, txPackets: 1 }]);
    }
    const total = () => (db.prepare('SELECT SUM(rx_bytes + tx_bytes) AS b FROM usage_link WHERE res = 86400').get() as { b: number }).b;
    assert.equal(total(), 440);
    migrate(db, MIGRATIONS);
    const nets = db.prepare(`SELECT n.net_key AS net, n.name, n.metered_auto AS metered, GROUP_CONCAT(i.name) AS ifaces FROM networks n JOIN interfaces i ON i.network_id = n.id GROUP BY n.id ORDER BY n.net_key`).all();
    assert.deepEqual(nets, [
      { net: 'containers', name: 'container links', metered: 0, ifaces: 'veth1a2b3c4,veth9f8e7d6' },
      { net: 'iface:eth0', name: 'eth0', metered: 0, ifaces: 'eth0' },
      { net: 'iface:wlan0', name: 'wlan0', metered: 0, ifaces: 'wlan0' },
    ]);
    assert.equal(total(), 440, 'every byte is kept');
    const onContainers = db.prepare("SELECT SUM(u.rx_bytes + u.tx_bytes) AS b FROM usage_10s u JOIN series s ON s.id = u.series_id JOIN networks n ON n.id = s.network_id WHERE n.net_key = 'containers'").get() as { b: number };
    assert.equal(onContainers.b, 220);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
