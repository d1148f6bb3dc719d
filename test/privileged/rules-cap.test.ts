/**
 * A data cap counts the whole billing cycle: set on an app that has already used more
 * than the cap this cycle on metered networks, it blocks that app at once (the kernel
 * quota starts from what the store holds), not after another cap's worth of traffic.
 * Other networks stay open, and the dashboard's numbers show the cycle's use.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { Link, Sandbox } from '../../collector/sandbox/sandbox';
import { APPNET, appTotals, sleep, waitForPoll } from './helpers';
import { FIREFOX, connect, liveCollector, startServer, type LiveCollector } from './rules-helpers';

const SIZE = 200_000;

describe('a cap set after the app used more than it this cycle', () => {
  let live: LiveCollector;
  let s: Sandbox;
  let wwan: Link;
  let wlan: Link;
  let db: string;

  before(async () => {
    live = await liveCollector([{ name: 'wwan0', subnet: 7 }, { name: 'wlan0', subnet: 8 }], [FIREFOX]);
    ({ s, db } = live);
    [wwan, wlan] = live.links;
  });

  after(async () => {
    await live?.close();
  });

  test('blocks the app at once on metered networks, and shows the cycle\'s use', async () => {
    const web = await startServer(s, { net: 'peer', ports: [443], size: SIZE });
    try {
      for (let i = 0; i < 3; i++) assert.equal(await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX }), `OK ${SIZE}`);
      await waitForPoll(db, Date.now());
      await waitForPoll(db, Date.now());
      const before = appTotals(db, 'app:firefox', 'wwan0');
      assert.ok(before.rx >= 3 * SIZE, `the store holds this cycle's download on wwan0: ${before.rx} bytes`);

      const cap = 2 * SIZE;
      await s.execOk([process.execPath, APPNET, 'rules', 'default', '--app', 'app:firefox', '--quota', String(cap), '--quota-network', 'metered', '--db', db]);
      await sleep(300);
      await waitForPoll(db, Date.now());
      await waitForPoll(db, Date.now());

      const state = async () => {
        const d = new Database(db, { readonly: true });
        const rows = { apps: d.prepare('SELECT * FROM fw_apps').all(), ifaces: d.prepare('SELECT i.name, i.kind, n.metered_auto, n.metered_user FROM interfaces i JOIN networks n ON n.id = i.network_id').all(), fw: d.prepare('SELECT last_error FROM fw_state').get() };
        d.close();
        return `${JSON.stringify(rows)}\n${await s.execOk(['nft', 'list', 'quotas'])}`;
      };
      assert.match(await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX }), /^(TIMEOUT|ERR)/, `over the cap already: blocked from the first packet\n${await state()}`);
      assert.equal(await connect(s, { host: wlan.peerV4, port: 443, cgroup: FIREFOX }), `OK ${SIZE}`, 'Wi-Fi is not metered: not capped');
      const d = new Database(db, { readonly: true });
      const row = d.prepare("SELECT quota_used AS used, quota_bytes AS cap, applied_version AS applied, version FROM fw_apps WHERE app_key = 'app:firefox'").get() as { used: number; cap: number; applied: number; version: number };
      d.close();
      assert.equal(row.applied, row.version, 'the cap is applied');
      assert.ok(row.used >= before.rx + before.tx, `the cap's use counts the whole cycle: ${row.used} ≥ ${before.rx + before.tx}`);
    } finally {
      await web.stop();
    }
  });
});
