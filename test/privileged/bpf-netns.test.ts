/**
 * A container under the watched cgroup root with its own network namespace (docker, podman):
 * its process sends from the container's eth0, whose interface index in that namespace is the
 * one the host's wwan0 (metered) has in the collector's. The host forwards the packets out of
 * wlan0. The BPF program must not book them on wwan0: they go on the container's own interface,
 * named as its namespace names it and on the "container links" network, and what crossed wlan0
 * for it is forwarded traffic, unattributed there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { withSandbox } from '../../collector/sandbox/sandbox';
import { appTotals, ifaceTotals, peerTruth, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, waitListening } from './helpers';

const node = process.execPath;
const SCOPE = 'system.slice/docker-c0ffee123456.scope';
const APP = 'container:c0ffee123456';

/** ifindexOf reads an interface's index from `ip -o link` ('2: eth0@if5: <...'). */
function ifindexOf(ipLink: string, name: string): number {
  const m = new RegExp(`^(\\d+): ${name}[@:]`, 'm').exec(ipLink);
  if (!m) throw new Error(`no ${name} in ${ipLink}`);
  return Number(m[1]);
}

test("a container's own network namespace: its traffic is booked on its own interface (container links), never on the host interface of the same index", async () => {
  const tmp = tempDir();
  try {
    await withSandbox(async (s) => {
      const wwan = await s.addLink({ name: 'wwan0', subnet: 13 });
      const wlan = await s.addLink({ name: 'wlan0', subnet: 14 });
      systemdSkeleton(s);
      // The container: a process holding a network namespace of its own, in the container's scope.
      const holder = await s.spawn(['unshare', '-n', '--', 'sleep', 'infinity'], { cgroup: SCOPE });
      let ns = '';
      for (let i = 0; i < 100 && !ns; i++) {
        const pids = readFileSync(join(s.cgroupPath(SCOPE), 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
        ns = pids.find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sleep') ?? '';
        if (!ns) await sleep(50);
      }
      assert.ok(ns, 'the container process runs');
      const inCtr = (argv: string[]) => ['nsenter', '-t', ns, '-n', '--', ...argv];
      // IPv6 off in the container, as docker has it by default: its kernel's neighbour discovery
      // (sent from the namespace's own sockets, made in the container's cgroup) would be the container's too.
      await s.execOk(inCtr(['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']));
      await s.execOk(['ip', 'link', 'add', 'vc0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await s.execOk(['ip', 'addr', 'add', '10.201.14.1/24', 'dev', 'vc0']);
      await s.execOk(['ip', 'link', 'set', 'vc0', 'up']);
      await s.execOk(inCtr(['ip', 'link', 'set', 'lo', 'up']));
      await s.execOk(inCtr(['ip', 'addr', 'add', '10.201.14.2/24', 'dev', 'eth0']));
      await s.execOk(inCtr(['ip', 'link', 'set', 'eth0', 'up']));
      await s.execOk(inCtr(['ip', 'route', 'add', 'default', 'via', '10.201.14.1']));
      await s.execOk(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      await s.execOk(['ip', 'route', 'add', '10.201.14.0/24', 'via', wlan.v4], { net: 'peer' });
      const ctrIndex = ifindexOf(await s.execOk(inCtr(['ip', '-o', 'link', 'show'])), 'eth0');
      assert.equal(ifindexOf(await s.execOk(['ip', '-o', 'link', 'show']), 'wwan0'), ctrIndex, "the premise: the container's eth0 has the index of the host's wwan0");

      const truth = await peerTruth(s, [6401]);
      await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '6401'], { net: 'peer' });
      await waitListening(s, 6401, { udp: true, net: 'peer' });
      const db = join(tmp.dir, 'netns.db');
      const c = await startCollector(s, db, { interval: 0.5, counter: 'bpf' });
      await waitForPoll(db, Date.now());
      // Resolve the neighbours first: datagrams queued behind ARP can be dropped.
      await s.execOk(inCtr([node, TRAFFIC, 'udp-send', wlan.peerV4, '6401', '1', '10']), { cgroup: SCOPE });
      await sleep(200);
      await waitForPoll(db, Date.now());
      const t0 = (await truth()).get('in-6401u')!;
      const base = appTotals(db, APP);
      await s.execOk(inCtr([node, TRAFFIC, 'udp-send', wlan.peerV4, '6401', '40', '300']), { cgroup: SCOPE });
      await sleep(300);
      await waitForPoll(db, Date.now());
      await waitForPoll(db, Date.now());
      const t = (await truth()).get('in-6401u')!;
      assert.equal(t.packets - t0.packets, 40, 'the premise: the peer received the 40 datagrams through wlan0');

      assert.equal(appTotals(db, APP, 'wwan0').txPackets, 0, "nothing of the container is booked on the host's wwan0");
      assert.equal(ifaceTotals(db, 'wwan0').txPackets - appTotals(db, '(unattributed)', 'wwan0').txPackets, 0, 'nor any other app: what wwan0 carried (neighbour discovery) is the kernel\'s');
      const d = new Database(db, { readonly: true });
      const rows = d
        .prepare(
          `SELECT i.name AS iface, n.net_key AS net, SUM(u.tx_packets) AS packets, SUM(u.tx_bytes) AS bytes FROM usage_10s u JOIN series s ON s.id = u.series_id
           JOIN apps a ON a.id = s.app_id JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id WHERE a.app_key = ? GROUP BY i.name, n.net_key`,
        )
        .all(APP) as Array<{ iface: string; net: string; packets: number; bytes: number }>;
      d.close();
      assert.equal(rows.length, 1, `one interface for the container: ${JSON.stringify(rows)}`);
      assert.match(rows[0].iface, /^eth0@netns\d+$/, "the container's own interface, as its namespace names it");
      assert.equal(rows[0].net, 'containers', 'on the container links network, never metered');
      assert.equal(rows[0].packets - base.txPackets, 40, 'every datagram the container sent');
      assert.equal(rows[0].bytes - base.tx, 40 * (300 + 8 + 20));
      const wlanApps = ifaceTotals(db, 'wlan0').txPackets - appTotals(db, '(unattributed)', 'wlan0').txPackets;
      assert.equal(wlanApps, 0, 'on wlan0 the forwarded datagrams are no host socket\'s: unattributed');
      assert.ok(appTotals(db, '(unattributed)', 'wlan0').txPackets >= 41, 'and they are there, as forwarded traffic');
      s.kill(holder.pid, 'SIGKILL');
      s.kill(c.pid, 'SIGTERM');
      await c.done;
    });
  } finally {
    tmp.remove();
  }
});
