/**
 * Real kernel, real nft: where the BPF program counts per app, each interface's total comes
 * from its own statistics (lib/link-totals.ts), so appnet's table hooks no packet while there
 * are no rules, and a bridge's port is not counted next to the bridge.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createSandbox, type Link, type Sandbox } from '../../collector/sandbox/sandbox';
import { APPNET, appTotals, countersDetail, ifaceTotals, sleep, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, waitListening, within } from './helpers';

const node = process.execPath;
const NGINX = 'system.slice/nginx.service';

describe('per-interface totals next to the BPF program', () => {
  let s: Sandbox;
  let lan: Link;
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const stats = async (name: string) =>
    Promise.all(['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'].map(async (f) => Number(await s.execOk(['cat', `/sys/class/net/${name}/statistics/${f}`]))));

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'appnet.db');
    s = await createSandbox();
    // A bridge with one port, as a host with VMs or containers on br0 has: the addresses are on the bridge.
    lan = await s.addLink({ name: 'lan0', subnet: 3 });
    await s.execOk(['ip', 'addr', 'flush', 'dev', lan.name]);
    await s.execOk(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    await s.execOk(['ip', 'link', 'set', lan.name, 'master', 'br0']);
    await s.execOk(['ip', 'addr', 'add', `${lan.v4}/24`, 'dev', 'br0']);
    await s.execOk(['ip', 'link', 'set', 'br0', 'up']);
    systemdSkeleton(s);
    await s.spawn([node, TRAFFIC, 'serve-tcp', lan.v4, '7100', 'sink'], { cgroup: NGINX });
    await waitListening(s, 7100);
    // Destinations on (the default): the program passes DNS answers up for their host names itself (collector/native/dnsring.c).
    await s.spawn([node, APPNET, 'collect', '--db', db, '--interval', '1', '--counter', 'bpf']);
    await waitForPoll(db, Date.now());
  });

  after(async () => {
    await s?.close();
    tmp?.remove();
  });

  test('with no rules, no chain of appnet hooks a packet, destinations and their host names counted', async () => {
    assert.equal(countersDetail(db).source, 'bpf');
    const listing = JSON.parse(await s.execOk(['nft', '-j', 'list', 'table', 'inet', 'appnet'])) as { nftables: Array<Record<string, { name?: string; hook?: string }>> };
    const hooked = listing.nftables.flatMap((o) => (o.chain?.hook ? [`${o.chain.name} (${o.chain.hook})`] : []));
    assert.deepEqual(hooked, [], 'no base chain: every packet passes appnet at the cost of the BPF program alone');
  });

  test("over a bridge, the app's traffic is counted once, on the bridge; its port carries no total of its own", async () => {
    const base = await stats('br0');
    await s.execOk([node, TRAFFIC, 'tcp-send', lan.v4, '7100', '1500000'], { net: 'peer' });
    // 200 datagrams of 972 bytes (1,000 bytes of IP each) to a port nobody listens on: received, no socket's.
    await s.execOk([node, TRAFFIC, 'udp-send', lan.v4, '7199', '200', '972'], { net: 'peer' });
    await sleep(300);
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    const [rxB, txB, rxP, txP] = await stats('br0');
    const counted = ifaceTotals(db, 'br0');
    // A bridge counts what it passes up to the host without the Ethernet header, and what it sends with it.
    within(counted.rx, rxB - base[0], 1, 'br0 received');
    // What br0 sent is a few dozen ACKs: a router solicitation or MLD report of the new bridge after the last poll would be more than 1 % of it.
    const sent = txB - base[1] - 14 * (txP - base[3]);
    assert.ok(Math.abs(counted.tx - sent) <= 300, `br0 sent: appnet counted ${counted.tx}, its statistics ${sent}`);
    const app = appTotals(db, 'nginx.service', 'br0');
    assert.ok(app.rx > 1_500_000 && app.rx < 1_600_000, `nginx received its 1.5 MB over br0 (counted ${app.rx})`);
    // Had 14 bytes a frame been taken off what the bridge received, the rest would read some 15 kB (the stream's ~1,100 frames) short.
    const rest = appTotals(db, '(unattributed)', 'br0');
    assert.ok(rest.rx >= 200_000 && rest.rx <= 202_000, `br0: the 200,000 bytes to a closed port (and a few ARP) are unattributed, counted ${rest.rx}`);
    assert.deepEqual(ifaceTotals(db, lan.name), { rx: 0, tx: 0, rxPackets: 0, txPackets: 0 }, 'the port is left out: its frames are the bridge\'s');
  });
});
