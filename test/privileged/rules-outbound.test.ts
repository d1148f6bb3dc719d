// Laptop firewall examples (per-network policy, a count rule, a data cap) with real processes in realistic cgroups and a peer
// namespace playing the internet: wwan0 is mobile data (metered), wlan0 home Wi-Fi.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { getFwApps, getRules } from '../../db/queries/rules';
import { FIREFOX, NGINX, addRule, applyAll, connect, readCounters, setPolicy, startServer, tempDb } from './rules-helpers';

const IFACES = [
  { name: 'wwan0', kind: 'mobile', metered: true },
  { name: 'wlan0', kind: 'wifi', metered: false },
];
const SPOTIFY = 'user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-com.spotify.Client-9001.scope';
const UPDATER = 'system.slice/packagekit.service';

async function network(s: Sandbox) {
  const wwan = await s.addLink({ name: 'wwan0', subnet: 7 });
  const wlan = await s.addLink({ name: 'wlan0', subnet: 8 });
  for (const c of [FIREFOX, SPOTIFY, UPDATER, NGINX]) s.mkCgroup(c);
  return { wwan, wlan };
}

test('on mobile data only Firefox may go out; on Wi-Fi everyone may; Spotify is blocked on mobile data', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const { wwan, wlan } = await network(s);
      addRule(db, { app: '*', direction: 'both', action: 'drop', network: 'metered', comment: 'only chosen apps on metered networks' });
      addRule(db, { app: 'app:firefox', direction: 'out', action: 'allow' });
      addRule(db, { app: 'app:com.spotify.Client', direction: 'out', action: 'drop', network: 'mobile' });
      assert.equal(await applyAll(s, db, IFACES), null);
      const web = await startServer(s, { net: 'peer', ports: [443], size: 100_000 });
      const r = {
        firefoxMobile: await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX }),
        firefoxMobileV6: await connect(s, { host: wwan.peerV6, port: 443, cgroup: FIREFOX }),
        updaterMobile: await connect(s, { host: wwan.peerV4, port: 443, cgroup: UPDATER }),
        updaterMobileUdp: await connect(s, { host: wwan.peerV4, port: 443, proto: 'udp', cgroup: UPDATER }),
        spotifyMobile: await connect(s, { host: wwan.peerV4, port: 443, cgroup: SPOTIFY }),
        updaterWifi: await connect(s, { host: wlan.peerV4, port: 443, cgroup: UPDATER }),
        spotifyWifi: await connect(s, { host: wlan.peerV4, port: 443, cgroup: SPOTIFY }),
      };
      const seen = await web.stop();
      assert.deepEqual(r, {
        firefoxMobile: 'OK 100000', // the download (inbound replies) passes too
        firefoxMobileV6: 'OK 100000',
        updaterMobile: 'TIMEOUT 0', // the SYN is dropped on the way out; TCP retries until the client gives up
        updaterMobileUdp: 'ERR EPERM', // a dropped datagram is reported to the sender at once
        spotifyMobile: 'TIMEOUT 0',
        updaterWifi: 'OK 100000',
        spotifyWifi: 'OK 100000',
      });
      assert.equal(seen.length, 4, `only the allowed connections reached the server: ${seen.join(', ')}`);
    });
  } finally {
    close();
  }
});

test('a count rule counts everything nginx sent and received, and decides nothing', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const { wlan } = await network(s);
      const id = addRule(db, { app: 'nginx.service', direction: 'both', action: 'count', comment: 'count all nginx traffic' });
      assert.equal(await applyAll(s, db, IFACES), null);
      const nginx = await startServer(s, { cgroup: NGINX, ports: [80], size: 200_000 });
      const got: string[] = [];
      for (let i = 0; i < 5; i++) got.push(await connect(s, { host: wlan.v4, port: 80, net: 'peer' }));
      await nginx.stop();
      assert.deepEqual(got, Array(5).fill('OK 200000'));
      await readCounters(s, db);
      const rule = getRules(db).find((r) => r.id === id);
      const payload = 5 * 200_000;
      assert.ok(rule && rule.hitBytes >= payload, `counted ${rule?.hitBytes} bytes, sent ${payload} payload bytes`);
      assert.ok(rule.hitBytes < payload * 1.1, `counted ${rule.hitBytes} bytes: headers only on top of ${payload}`);
      assert.ok(rule.hitPackets >= 5 * 3, 'received packets (SYN, ACKs) are counted too');
      // Nothing here can drop a reply, so no ct expression: the namespace tracks no connections.
      const tracked = await s.exec(['cat', '/proc/sys/net/netfilter/nf_conntrack_count']);
      assert.equal(tracked.code === 0 ? tracked.stdout.trim() : '0', '0', 'a counting-only ruleset leaves conntrack off');
    });
  } finally {
    close();
  }
});

test('a data cap on metered networks blocks Firefox at its limit, not on Wi-Fi, and a new cycle lifts it', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const { wwan, wlan } = await network(s);
      const limit = 300_000;
      const appId = setPolicy(db, { app: 'app:firefox', quotaBytes: limit, quotaNetwork: 'metered' });
      assert.equal(await applyAll(s, db, IFACES), null);
      const web = await startServer(s, { net: 'peer', ports: [443], size: 120_000 });
      const first = await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX });
      const second = await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX });
      const third = await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX });
      const wifi = await connect(s, { host: wlan.peerV4, port: 443, cgroup: FIREFOX });
      assert.equal(first, 'OK 120000');
      assert.equal(second, 'OK 120000');
      assert.match(third, /^(TIMEOUT|ERR)/, 'the third download crosses the cap and is cut off');
      assert.equal(wifi, 'OK 120000', 'Wi-Fi is not metered: no cap');
      await readCounters(s, db);
      const app = getFwApps(db).find((a) => a.id === appId);
      assert.ok(app && app.quotaUsed >= limit, `quota use ${app?.quotaUsed} is shown at the limit ${limit}`);
      // A re-apply (the collector does one every change) keeps the use: still blocked.
      assert.equal(await applyAll(s, db, IFACES), null);
      assert.match(await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX }), /^(TIMEOUT|ERR)/);
      // The billing cycle rolls over: the stored cycle start is older than the current one.
      db.prepare('UPDATE fw_apps SET quota_cycle_start = quota_cycle_start - 40 * 86400 WHERE id = ?').run(appId);
      assert.equal(await applyAll(s, db, IFACES), null);
      assert.equal(await connect(s, { host: wwan.peerV4, port: 443, cgroup: FIREFOX }), 'OK 120000');
      await web.stop();
      await readCounters(s, db);
      const after = getFwApps(db).find((a) => a.id === appId);
      assert.ok(after && after.quotaUsed < limit && after.quotaUsed > 120_000, `new cycle counts from zero: ${after?.quotaUsed}`);
    });
  } finally {
    close();
  }
});
