/**
 * The netlink counter helper (collector/native/nftdump) against nft itself: the same
 * table in a sandbox, read both ways, must give the same elements, counters, set fill,
 * rule counts, named counters and quotas.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmdirSync, statSync } from 'node:fs';
import { createSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { HELPER_ARGS, NFTDUMP_BIN } from '../../collector/nft/counters';
import { parseNftDump } from '../../lib/nft/dump';
import { parseFirewallCounters } from '../../lib/nft/firewall-parse';
import { accountingCommands } from '../../lib/nft/accounting';
import { COUNTER_SETS, DEST_SETS } from '../../lib/nft/names';
import { parseTableSnapshot, type CounterElement } from '../../lib/nft/parse';
import { elementCommands } from '../../bench/cgroups';
import { TRAFFIC, waitListening } from './helpers';

const node = process.execPath;
const DUMP = [NFTDUMP_BIN, '-f', 'inet', 'appnet', ...COUNTER_SETS];

describe('nftdump reads what nft lists', () => {
  let s: Sandbox;

  before(async () => {
    assert.ok(existsSync(NFTDUMP_BIN), `${NFTDUMP_BIN} is not built: run scripts/ensure-deps.sh`);
    s = await createSandbox();
  });

  after(async () => {
    await s?.close();
  });

  test('elements (live and removed cgroups, unattributed), counters, expiry, fill, chains, named counters and quotas agree', async () => {
    await s.execOk(['nft', '-f', '-'], {
      input: [...accountingCommands({ levels: [2, 5], elementTimeoutSec: 600 }), 'add counter inet appnet fw_r41', 'add quota inet appnet fw_q5 { over 5000000 bytes used 777 bytes }'].join('\n') + '\n',
    });
    // Real traffic on loopback (nothing else sends there, so both reads see the same numbers) …
    await s.spawn([node, TRAFFIC, 'serve-tcp', '127.0.0.1', '8090', 'sink'], { cgroup: 'system.slice/nginx.service' });
    await waitListening(s, 8090);
    await s.execOk([node, TRAFFIC, 'tcp-send', '127.0.0.1', '8090', '300000'], { cgroup: 'user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1.scope' });
    await s.execOk([node, TRAFFIC, 'udp-send', '127.0.0.1', '8091', '5', '100'], { cgroup: 'system.slice/gone.service' });
    rmdirSync(s.cgroupPath('system.slice/gone.service'));
    // … and 100 elements per direction as the datapath would have made them (nft -j walks the
    // cgroup tree once per element, so more would only make the test slow).
    const apps = Array.from({ length: 100 }, (_, i) => `system.slice/app-${i}.service`);
    for (const a of apps) s.mkCgroup(a);
    await s.execOk(['nft', '-f', '-'], { input: elementCommands(apps, 'lo').join('\n') + '\n' });

    const dumped = parseNftDump(await s.execOk(DUMP));
    const listed = await s.execOk(['nft', '-j', 'list', 'table', 'inet', 'appnet']);
    assert.ok(dumped, 'the table is there');
    const json = parseTableSnapshot(listed);
    const idOf = (c: CounterElement['cgroup']) => (typeof c === 'string' ? statSync(s.cgroupPath(c)).ino : c);
    const key = (e: CounterElement) => `${e.set} ${idOf(e.cgroup)} ${e.iface} ${e.bytes} ${e.packets}`;
    assert.deepEqual(dumped.snapshot.elements.map(key).sort(), json.elements.map(key).sort());
    assert.ok(dumped.snapshot.elements.length >= 200 + 4, `100 synthetic elements each way plus real ones, got ${dumped.snapshot.elements.length}`);
    assert.ok(json.elements.some((e) => typeof e.cgroup === 'number'), 'the removed service is there by id');
    const firefox = dumped.snapshot.elements.find((e) => e.set === 'acct_out' && e.cgroup === statSync(s.cgroupPath('user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1.scope')).ino);
    assert.ok(firefox && firefox.bytes > 300_000, 'the level-5 scope sent its 300 kB');
    const byKey = new Map(json.elements.map((e) => [key(e), e]));
    for (const e of dumped.snapshot.elements) {
      const twin = byKey.get(key(e))!;
      if (e.expiresSec === null) assert.equal(twin.expiresSec, null);
      else assert.ok(twin.expiresSec !== null && twin.expiresSec <= e.expiresSec && twin.expiresSec >= Math.floor(e.expiresSec) - 2, `expiry ${twin.expiresSec} s listed vs ${e.expiresSec} s dumped`);
    }
    assert.deepEqual(dumped.snapshot.setFill, json.setFill);
    assert.deepEqual(dumped.snapshot.chains, json.chains);
    assert.equal(dumped.snapshot.tableHandle, json.tableHandle);
    assert.deepEqual(dumped.firewall, parseFirewallCounters(listed));
    assert.deepEqual([...dumped.firewall.quotas], [[5, { used: 777, limit: 5000000 }]]);
  });

  test('the serving helper (what the collector keeps running) answers each request with a whole dump', async () => {
    const out = await s.execOk([DUMP[0], '--serve', ...DUMP.slice(1)], { input: '\n\n' });
    const parts = out.split(/(?<=\nend \d+\n)/);
    assert.equal(parts.length, 2, 'two requests, two dumps');
    const [a, b] = parts.map((p) => parseNftDump(p)!.snapshot.elements.map((e) => `${e.set} ${e.cgroup} ${e.iface} ${e.bytes}`).sort());
    assert.ok(a.length > 200);
    assert.deepEqual(a, b);
  });

  test('destination sets (--dests): the keys as the datapath made them, each packet of an app booked to one destination', async () => {
    await s.execOk(['nft', '-f', '-'], { input: accountingCommands({ levels: [2, 5], elementTimeoutSec: 600, destinations: true }).join('\n') + '\n' });
    const server = 'system.slice/httpd.service';
    const client = 'user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-fetch-2.scope';
    await s.spawn([node, TRAFFIC, 'serve-tcp', '127.0.0.1', '8093', 'sink'], { cgroup: server });
    await s.spawn([node, TRAFFIC, 'serve-tcp', '::1', '8094', 'sink'], { cgroup: server });
    await waitListening(s, 8093);
    await waitListening(s, 8094);
    await s.execOk([node, TRAFFIC, 'tcp-send', '127.0.0.1', '8093', '100000'], { cgroup: client });
    await s.execOk([node, TRAFFIC, 'tcp-send', '::1', '8094', '50000'], { cgroup: client });
    await s.execOk(['sysctl', '-q', '-w', 'net.ipv4.ping_group_range=0 2147483647']);
    await s.execOk(['ping', '-n', '-q', '-c', '2', '-i', '0.2', '127.0.0.1'], { cgroup: client });

    const d = parseNftDump(await s.execOk([NFTDUMP_BIN, ...HELPER_ARGS]))!;
    const id = (c: string) => statSync(s.cgroupPath(c)).ino;
    const lo = Number((await s.execOk(['cat', '/sys/class/net/lo/ifindex'])).trim());
    const dests = d.snapshot.dests!.elements;
    const find = (set: string, cgroup: string, proto: number, remote: string, port: number) => {
      const e = dests.find((x) => x.set.name === set && x.cgroupId === id(cgroup) && x.proto === proto && x.remote === remote && x.port === port && x.ifindex === lo);
      assert.ok(e, `${set} ${cgroup} ${proto} ${remote} ${port}; got ${JSON.stringify(dests.map((x) => [x.set.name, x.cgroupId, x.proto, x.remote, x.port, x.ifindex]))}`);
      return e;
    };
    assert.ok(find('dst4_out', client, 6, '127.0.0.1', 8093).bytes > 100_000, 'the client sent its 100 kB to the service port');
    assert.ok(find('dst6_out', client, 6, '::1', 8094).bytes > 50_000);
    find('dst4_in', client, 6, '127.0.0.1', 8093);
    find('dst4_out', client, 1, '127.0.0.1', 0);
    assert.ok(find('dst4_in_svc', server, 6, '127.0.0.1', 8093).bytes > 100_000, "the service received it under its own port");
    find('dst4_out_svc', server, 6, '127.0.0.1', 8093);
    find('dst6_in_svc', server, 6, '::1', 8094);
    assert.ok(dests.every((e) => e.expiresSec !== null && e.expiresSec > 500 && e.expiresSec <= 600));
    // Every packet an app's counter took went to exactly one of its destinations.
    for (const [c, dir] of [[client, 'out'], [client, 'in'], [server, 'out'], [server, 'in']] as const) {
      const acct = d.snapshot.elements.filter((e) => e.set === `acct_${dir}` && e.cgroup === id(c) && e.iface === 'lo');
      const booked = dests.filter((e) => e.set.direction === dir && e.cgroupId === id(c));
      const sum = (xs: Array<{ bytes: number; packets: number }>) => [xs.reduce((n, x) => n + x.bytes, 0), xs.reduce((n, x) => n + x.packets, 0)];
      assert.deepEqual(sum(booked), sum(acct), `${c} ${dir}: destinations = the app's counter`);
    }
    assert.deepEqual(Object.keys(d.snapshot.dests!.fill).sort(), DEST_SETS.map((x) => x.name).sort());
    assert.equal(d.snapshot.dests!.fill.dst4_out.size, 4096);
  });

  test('a missing table is reported as absent, not as an error', async () => {
    await s.execOk(['nft', 'delete', 'table', 'inet', 'appnet']);
    assert.equal(parseNftDump(await s.execOk(DUMP)), null);
    const served = await s.execOk([DUMP[0], '--serve', ...DUMP.slice(1)], { input: '\n' });
    assert.equal(parseNftDump(served), null);
  });

  test('names that are not plain nft identifiers are refused before anything is read', async () => {
    const r = await s.exec([NFTDUMP_BIN, 'app net']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /table name/);
  });
});
