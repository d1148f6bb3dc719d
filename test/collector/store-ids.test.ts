/**
 * A busy poll reuses the ids of series, interfaces and networks from earlier polls instead of
 * rewriting their rows: the traffic must still land on the network the interface is on now.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../collector/config';
import { createContext } from '../../collector/loop';
import type { PollContext } from '../../collector/poll';
import type { InterfaceInfo } from '../../collector/sources/interfaces';
import { tempDir } from '../privileged/helpers';

const wlan0 = (netKey: string, netName: string, meteredAuto: boolean): InterfaceInfo => ({ name: 'wlan0', kind: 'wifi', mac: null, speedMbps: null, netKey, netName, meteredAuto });

let tmp: ReturnType<typeof tempDir>;
let ctx: PollContext;
before(() => {
  tmp = tempDir();
  ctx = createContext(loadConfig({ db: join(tmp.dir, 'ids.db'), once: true }), { log: () => {} });
});
after(() => {
  ctx.tracker.close();
  ctx.db.close();
  tmp.remove();
});

test('traffic follows the interface to a new network once the interface list is refreshed', () => {
  let now = Date.UTC(2026, 0, 5, 12);
  const poll = (tx: number) => {
    now += 10_000;
    for (const c of ctx.store.storePoll({ now, cgroups: ctx.tracker.seen.values(), ifaces: ctx.st.ifaces, deltas: [{ family: 'acct_out', direction: 'out', cgroupId: null, iface: 'wlan0', bytes: tx, packets: 1, elapsedMs: 10_000 }], next: [], gone: [], prev: new Map() })) c.stored = true;
  };
  ctx.st.ifaces = [wlan0('wifi:Home', 'Home', false)];
  poll(100);
  poll(200);
  // The collector replaces the list on its 30 s refresh: the phone hotspot is now the network.
  ctx.st.ifaces = [wlan0('wifi:Phone', 'Phone', true)];
  poll(1000);
  poll(3000);
  const rows = ctx.db
    .prepare(
      `SELECT n.net_key AS net, n.metered_auto AS metered, SUM(u.tx_bytes) AS tx FROM usage_10s u
       JOIN series s ON s.id = u.series_id JOIN networks n ON n.id = s.network_id GROUP BY n.net_key ORDER BY n.net_key`,
    )
    .all();
  assert.deepEqual(rows, [
    { net: 'wifi:Home', metered: 0, tx: 300 },
    { net: 'wifi:Phone', metered: 1, tx: 4000 },
  ]);
  const iface = ctx.db.prepare("SELECT n.net_key AS net FROM interfaces i JOIN networks n ON n.id = i.network_id WHERE i.name = 'wlan0'").get();
  assert.deepEqual(iface, { net: 'wifi:Phone' }, 'the interface row points at the network it is on now');
});

test('a cgroup id that named another cgroup before (ids start again at each boot) counts for the app it names now', () => {
  let now = Date.UTC(2026, 0, 6, 12);
  ctx.st.ifaces = [wlan0('wifi:Home', 'Home', false)];
  const seen = (path: string) => ctx.tracker.seen.set(4242, { id: 4242, path, level: 2, firstSeen: now, goneAt: null, samplePid: null, stored: false });
  const poll = (tx: number) => {
    now += 10_000;
    for (const c of ctx.store.storePoll({ now, cgroups: ctx.tracker.seen.values(), ifaces: ctx.st.ifaces, deltas: [{ family: 'acct_out', direction: 'out', cgroupId: 4242, iface: 'wlan0', bytes: tx, packets: 1, elapsedMs: 10_000 }], next: [], gone: [], prev: new Map() })) c.stored = true;
  };
  seen('system.slice/backup.service');
  poll(100);
  // Another boot: the same id is now a different unit.
  seen('system.slice/nginx.service');
  poll(7000);
  poll(500);
  const rows = ctx.db
    .prepare(
      `SELECT a.app_key AS app, SUM(u.tx_bytes) AS tx FROM usage_10s u JOIN series s ON s.id = u.series_id JOIN apps a ON a.id = s.app_id
       WHERE a.app_key LIKE '%backup%' OR a.app_key LIKE '%nginx%' GROUP BY a.app_key ORDER BY a.app_key`,
    )
    .all() as Array<{ app: string; tx: number }>;
  assert.deepEqual(rows.map((r) => r.tx), [100, 7500]);
  assert.match(rows[0].app, /backup/);
  assert.match(rows[1].app, /nginx/);
  const cg = ctx.db.prepare('SELECT c.path, a.app_key AS app FROM cgroups c JOIN apps a ON a.id = c.app_id WHERE c.cgroup_id = 4242').get() as { path: string; app: string };
  assert.equal(cg.path, 'system.slice/nginx.service');
  assert.match(cg.app, /nginx/, "the cgroup row names the new unit's app");
});
