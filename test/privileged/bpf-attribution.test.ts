/**
 * What only the BPF counter can attribute: a listening service's SYN-ACKs (sent from request
 * sockets, which nft's `socket cgroupv2` does not see as the app's) and the ICMP echo replies
 * delivered to a ping socket (nft finds no socket for ICMP). On nft both land in
 * "unattributed": the same tests run there as todo, so their failure shows what nft misses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createSandbox, type Link, type Sandbox } from '../../collector/sandbox/sandbox';
import { appTotals, COUNTERS, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, waitListening, type Counter } from './helpers';

const node = process.execPath;
const NFT_MISSES = 'nft cannot attribute these packets to the app: they count as unattributed';

/** peerCounters counts, in the peer, TCP packets from and to one port of the sandbox: what the service really sent and received. */
async function peerCounters(s: Sandbox, port: number): Promise<() => Promise<{ fromBytes: number; fromPackets: number; toBytes: number; toPackets: number }>> {
  const rules = [
    'table inet servertruth {',
    `  chain i { type filter hook input priority 0; tcp sport ${port} counter; }`,
    `  chain o { type filter hook output priority 0; tcp dport ${port} counter; }`,
    '}',
    '',
  ];
  await s.execOk(['nft', '-f', '-'], { net: 'peer', input: rules.join('\n') });
  return async () => {
    const j = JSON.parse(await s.execOk(['nft', '-j', 'list', 'table', 'inet', 'servertruth'], { net: 'peer' })) as { nftables: Array<{ rule?: { chain: string; expr: Array<{ counter?: { bytes: number; packets: number } }> } }> };
    const c = (chain: string) => j.nftables.find((x) => x.rule?.chain === chain)!.rule!.expr.find((e) => e.counter)!.counter!;
    return { fromBytes: c('i').bytes, fromPackets: c('i').packets, toBytes: c('o').bytes, toPackets: c('o').packets };
  };
}

for (const counter of COUNTERS) describe(`attribution only a socket-level counter can do, counted by ${counter}`, () => attribution(counter));

function attribution(counter: Counter): void {
  let s: Sandbox;
  let wlan: Link;
  let tmp: ReturnType<typeof tempDir>;
  let db: string;

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'appnet.db');
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 3 });
    systemdSkeleton(s);
    await startCollector(s, db, { interval: 1, counter });
    await waitForPoll(db, Date.now());
  });

  after(async () => {
    await s?.close();
    tmp?.remove();
  });

  test("a listening service's short connections: every packet it sent and received is its own, SYN-ACKs included", { todo: counter === 'nft' ? NFT_MISSES : false }, async () => {
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.v4, '7100', 'sink'], { cgroup: 'system.slice/httpd.service' });
    await waitListening(s, 7100);
    const truth = await peerCounters(s, 7100);
    for (let i = 0; i < 20; i++) await s.execOk([node, TRAFFIC, 'tcp-send', wlan.v4, '7100', '100'], { net: 'peer' });
    await sleep(300);
    await waitForPoll(db, Date.now());
    const t = await truth();
    const got = appTotals(db, 'httpd.service', 'wlan0');
    assert.ok(t.fromPackets >= 40, `the premise: the service sent SYN-ACKs, ACKs and FINs (${t.fromPackets} packets)`);
    assert.equal(got.txPackets, t.fromPackets, 'every packet the service sent, the 20 SYN-ACKs included');
    assert.equal(got.tx, t.fromBytes, 'every byte the service sent');
    assert.equal(got.rxPackets, t.toPackets, 'every packet the service received');
    assert.equal(got.rx, t.toBytes, 'every byte the service received');
  });

  test("a ping socket's echo replies are counted for the app that pings", { todo: counter === 'nft' ? NFT_MISSES : false }, async () => {
    // Unprivileged ICMP sockets for every group in the sandbox's own network namespace: ping then uses one.
    await s.execOk(['sysctl', '-q', '-w', 'net.ipv4.ping_group_range=0 2147483647']);
    await s.execOk(['ping', '-n', '-q', '-c', '5', '-i', '0.2', '-s', '100', wlan.peerV4], { cgroup: 'system.slice/monitor.service' });
    await sleep(300);
    await waitForPoll(db, Date.now());
    const got = appTotals(db, 'monitor.service', 'wlan0');
    // 20 bytes of IP header, 8 of ICMP, 100 of payload, each way.
    assert.equal(got.txPackets, 5, 'five echo requests sent');
    assert.equal(got.tx, 5 * 128);
    assert.equal(got.rxPackets, 5, 'five echo replies received by the app');
    assert.equal(got.rx, 5 * 128);
  });
}
