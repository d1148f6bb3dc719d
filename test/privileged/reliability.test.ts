/**
 * The numbers survive what real machines do: the collector killed with SIGKILL again
 * and again under traffic, our table deleted by hand, thousands of short-lived cgroups.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getRecentEvents } from '../../db/queries/status';
import { createSandbox, type Link, type Sandbox } from '../../collector/sandbox/sandbox';
import { APPNET, appTotals, COUNTERS, countersDetail, ifaceTotals, peerTruth, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, waitListening, within, type Counter } from './helpers';

const node = process.execPath;

for (const counter of COUNTERS) describe(`reliability under crashes, tampering and churn, counted by ${counter}`, () => reliability(counter));

function reliability(counter: Counter): void {
  let s: Sandbox;
  let wlan: Link;
  let tmp: ReturnType<typeof tempDir>;
  let truth: Awaited<ReturnType<typeof peerTruth>>;

  before(async () => {
    tmp = tempDir();
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 4 });
    truth = await peerTruth(s, [6001, 6002, 6003, 6004, 6005]);
    await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '6001'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV4, '6002', 'sink'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '6003'], { net: 'peer' });
    await waitListening(s, 6001, { udp: true, net: 'peer' });
    await waitListening(s, 6002, { net: 'peer' });
    systemdSkeleton(s);
  });

  // Each test starts from a fresh store, so it starts from fresh kernel counters too (our table,
  // the BPF map): a new store counts every counter it finds as new traffic.
  const freshTable = () => s.exec([node, APPNET, 'uninstall']);

  after(async () => {
    await s?.close();
    tmp?.remove();
  });

  test('SIGKILL of the collector, twenty times under traffic: nothing lost, nothing counted twice; the store stays intact', async () => {
    await freshTable();
    const db = join(tmp.dir, 'kill.db');
    let c = await startCollector(s, db, { interval: 0.5, counter });
    await waitForPoll(db, Date.now());
    // About 12 s of steady UDP traffic from one service while the collector keeps dying.
    const traffic = s.spawn([node, TRAFFIC, 'udp-send', wlan.peerV4, '6001', '3000', '1200', '4'], { cgroup: 'system.slice/backup.service' });
    for (let i = 0; i < 20; i++) {
      await sleep(300 + ((i * 137) % 600));
      s.kill(c.pid, 'SIGKILL');
      await c.done;
      c = await startCollector(s, db, { interval: 0.5, counter });
    }
    await (await traffic).done;
    await sleep(300);
    await waitForPoll(db, Date.now());
    const t = (await truth()).get('in-6001u')!;
    const got = appTotals(db, 'backup.service', 'wlan0');
    within(got.tx, t.bytes, 1, 'bytes across 20 kills');
    assert.equal(got.txPackets, t.packets, 'every datagram counted exactly once');
    s.kill(c.pid, 'SIGTERM');
    const end = await c.done;
    assert.equal(end.code, 0, `SIGTERM ends the collector cleanly: ${end.stderr.slice(-300)}`);
    const d = new Database(db, { readonly: true });
    assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
    d.close();
    const rules = await s.execOk(['nft', 'list', 'table', 'inet', 'appnet']);
    // Counting with BPF our table has no chain while there are no rules: the program stays attached, its links pinned.
    assert.match(rules, counter === 'nft' ? /acct_output/ : /table inet appnet/, 'the ruleset stays in place after the collector stopped');
  });

  test('our table deleted by hand is re-created within a poll, counting resumes, and the gap is reported', async () => {
    await freshTable();
    const db = join(tmp.dir, 'tamper.db');
    const c = await startCollector(s, db, { interval: 0.5, counter });
    await waitForPoll(db, Date.now());
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '6002', '200000'], { cgroup: 'system.slice/sync.service' });
    await waitForPoll(db, Date.now());
    const before = appTotals(db, 'sync.service', 'wlan0').tx;
    await s.execOk(['nft', 'delete', 'table', 'inet', 'appnet']);
    await waitForPoll(db, Date.now());
    const t0 = (await truth()).get('in-6002')!.bytes;
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '6002', '300000'], { cgroup: 'system.slice/sync.service' });
    await sleep(200);
    await waitForPoll(db, Date.now());
    const sent = (await truth()).get('in-6002')!.bytes - t0;
    within(appTotals(db, 'sync.service', 'wlan0').tx - before, sent, 1, 'traffic after the table was re-created');
    const d = new Database(db, { readonly: true });
    const ev = d.prepare("SELECT message FROM events WHERE kind = 'table-recreated'").all() as Array<{ message: string }>;
    d.close();
    assert.ok(ev.length >= 1, 'the re-creation is recorded as an event');
    s.kill(c.pid, 'SIGTERM');
    await c.done;
  });

  test('2,000 short-lived cgroups: set elements expire back to baseline and the collector forgets them', async () => {
    await freshTable();
    const db = join(tmp.dir, 'churn.db');
    const c = await startCollector(s, db, { interval: 1, elementTimeout: 30, counter });
    await waitForPoll(db, Date.now());
    // nft: the per-app set's elements expire; BPF: the collector deletes the map entries of gone cgroups.
    const countElems = async () => {
      if (counter === 'bpf') return countersDetail(db).mapFill!.counts.count;
      const j = JSON.parse(await s.execOk(['nft', '-j', 'list', 'set', 'inet', 'appnet', 'acct_out'])) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
      return j.nftables.find((x) => x.set)?.set?.elem?.length ?? 0;
    };
    const base = await countElems();
    s.mkCgroup('system.slice/cron.service/bursts');
    // Resolve the peer's address first: datagrams queued behind ARP can be dropped.
    await s.execOk([node, TRAFFIC, 'udp-send', wlan.peerV4, '6003', '1', '10']);
    await sleep(200);
    const t0 = (await truth()).get('in-6003u')!.packets;
    await s.execOk([node, join(import.meta.dirname, '..', '..', 'harness', 'churn.mjs'), 'system.slice/cron.service/bursts', '2000', wlan.peerV4, '6003']);
    await waitForPoll(db, Date.now());
    const burst = (await truth()).get('in-6003u')!.packets - t0;
    await waitForPoll(db, Date.now());
    // Only the burst sends in this store; a cgroup that lived for a millisecond may end
    // before its name could be read, so count by interface, not by name.
    const sent = ifaceTotals(db, 'wlan0').txPackets - appTotals(db, '(unattributed)', 'wlan0').txPackets;
    if (sent !== burst) {
      const d = new Database(db, { readonly: true });
      process.stderr.write(JSON.stringify(d.prepare('SELECT a.app_key, SUM(u.tx_packets) p FROM usage_10s u JOIN series s ON s.id=u.series_id JOIN apps a ON a.id=s.app_id GROUP BY a.app_key HAVING p != 1').all()).slice(0, 3000) + '\n');
      d.close();
    }
    assert.equal(sent, burst, 'every datagram of the burst is counted for an app');
    // Elements expire 30 s after their last packet; the collector then forgets the cgroups.
    const deadline = Date.now() + 90_000;
    let now = await countElems();
    while (Date.now() < deadline && (now = await countElems()) > base + 5) await sleep(1000);
    assert.ok(now <= base + 5, `set back to baseline (${base}), still ${now}`);
    // The collector forgets a gone cgroup once no counter of it can come back: shortly after expiry.
    const tracked = () => {
      const d = new Database(db, { readonly: true });
      const row = d.prepare("SELECT detail FROM collector_status WHERE source = 'cgroups'").get() as { detail: string };
      d.close();
      return JSON.parse(row.detail) as { tracked: number; cgroups: number };
    };
    let detail = tracked();
    for (let i = 0; i < 30 && detail.tracked >= detail.cgroups + 50; i++) {
      await sleep(1000);
      detail = tracked();
    }
    assert.ok(detail.tracked < detail.cgroups + 50, `collector memory of cgroups back near the live count: tracking ${detail.tracked} for ${detail.cgroups} live`);
    s.kill(c.pid, 'SIGTERM');
    await c.done;
  });

  test('a jump beyond the link\'s line rate is logged and not stored; normal traffic on the link and a backlog after downtime count exactly', async (ctx) => {
    await freshTable();
    const eth = await s.addLink({ name: 'eth1', subnet: 5 });
    // The collector reads link speeds from APPNET_SYS_CLASS_NET: a tree like
    // /sys/class/net whose eth1 is the sandbox's real one, except that it reports
    // 10 Mbit/s. The veth then really carries far more than that link could.
    const sysnet = join(tmp.dir, 'sysnet', 'eth1');
    mkdirSync(sysnet, { recursive: true });
    for (const f of ['statistics', 'type', 'uevent', 'address']) symlinkSync(join('/sys/class/net/eth1', f), join(sysnet, f));
    writeFileSync(join(sysnet, 'speed'), '10\n');
    await s.spawn([node, TRAFFIC, 'serve-udp', eth.peerV4, '6004'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', eth.peerV4, '6005', 'sink'], { net: 'peer' });
    await waitListening(s, 6004, { udp: true, net: 'peer' });
    await waitListening(s, 6005, { net: 'peer' });
    const db = join(tmp.dir, 'guard.db');
    const collect = () => s.spawn([node, APPNET, 'collect', '--db', db, '--interval', '1', '--element-timeout', '120', '--counter', counter], { env: { APPNET_SYS_CLASS_NET: join(tmp.dir, 'sysnet') } });
    let c = await collect();
    await waitForPoll(db, Date.now());
    const bulk = (bytes: number) => s.execOk([node, TRAFFIC, 'tcp-send', eth.peerV4, '6005', String(bytes)], { cgroup: 'system.slice/bulk.service' });
    // A small first transfer: bulk's counter exists before the jump (a counter seen for
    // the first time has no interval to judge by) and the peer's address is resolved.
    await bulk(10_000);
    const tcp0 = (await truth()).get('in-6005')!.bytes;
    // About 2 Mbit/s of telemetry for 6 s, well within the link, all through the jump.
    const telemetry = s.spawn([node, TRAFFIC, 'udp-send', eth.peerV4, '6004', '1500', '1000', '4'], { cgroup: 'system.slice/telemetry.service' });
    await sleep(1500);
    await waitForPoll(db, Date.now());
    // 40 MB in well under a second: 30 times what 10 Mbit/s carries, in one or two polls.
    await bulk(40_000_000);
    await (await telemetry).done;
    await sleep(300);
    await waitForPoll(db, Date.now());
    const jump = (await truth()).get('in-6005')!.bytes - tcp0;
    const events = () => {
      const d = new Database(db, { readonly: true });
      const ev = getRecentEvents(d, 1000).filter((e) => e.kind === 'implausible-delta');
      d.close();
      return ev;
    };
    const ignored = events();
    assert.ok(ignored.length >= 1, 'the jump is on the Health page as an implausible delta');
    for (const e of ignored) assert.match(e.message, /^ignored \d+ bytes on eth1 in \d+ ms: beyond the link's line rate$/);
    const ignoredBytes = ignored.reduce((n, e) => n + Number(/^ignored (\d+)/.exec(e.message)![1]), 0);
    const stored = appTotals(db, 'bulk.service', 'eth1').tx;
    assert.ok(stored - 10_000 < jump / 5, `at most a sliver of the jump counts as usage: stored ${stored - 10_000} of ${jump}`);
    within(stored - 10_000 + ignoredBytes, jump, 1, 'stored + logged as ignored');
    ctx.diagnostic(`jump of ${jump} B: ${ignoredBytes} B ignored in ${ignored.length} poll(s), ${stored - 10_000} B stored`);
    const t = (await truth()).get('in-6004u')!;
    const tele = appTotals(db, 'telemetry.service', 'eth1');
    assert.equal(tele.txPackets, t.packets, 'every telemetry datagram on the same link counted');
    assert.equal(tele.tx, t.bytes, 'telemetry bytes on the same link counted exactly');

    // Down for 8 s while 8 MB go out: more than one interval's allowance, less than
    // 10 Mbit/s over the downtime. The first poll after the restart keeps all of it.
    s.kill(c.pid, 'SIGTERM');
    await c.done;
    const down = Date.now();
    const before = appTotals(db, 'bulk.service', 'eth1').tx;
    const tcp1 = (await truth()).get('in-6005')!.bytes;
    await bulk(8_000_000);
    await sleep(8000 - (Date.now() - down));
    c = await collect();
    await waitForPoll(db, Date.now());
    within(appTotals(db, 'bulk.service', 'eth1').tx - before, (await truth()).get('in-6005')!.bytes - tcp1, 0.1, 'the backlog after downtime');
    assert.equal(events().length, ignored.length, 'nothing more was judged implausible');
    s.kill(c.pid, 'SIGTERM');
    await c.done;
  });

  test('interfaces that come and go (container veths) leave no counter behind, and their traffic counts exactly', async () => {
    await freshTable();
    const db = join(tmp.dir, 'veths.db');
    const c = await startCollector(s, db, { interval: 0.5, counter });
    await waitForPoll(db, Date.now());
    const sent = new Map<string, number>();
    const indexes = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const link = await s.addLink({ name: `veth${i}`, subnet: 20 + i });
      indexes.add(Number(await s.execOk(['cat', `/sys/class/net/${link.name}/ifindex`])));
      // Datagrams to a closed port reach no socket: the interface's unattributed counter.
      const n = 40 + 10 * i;
      await s.execOk([node, TRAFFIC, 'udp-send', link.v4, '9', String(n), '500', '1'], { net: 'peer' });
      sent.set(link.name, n);
      await sleep(200);
      await waitForPoll(db, Date.now());
      await s.execOk(['ip', 'link', 'del', link.name]);
    }
    // The first poll after a link is gone reads its counter unchanged and removes it; two more for margin.
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    if (counter === 'nft') {
      const elems = await s.execOk(['nft', 'list', 'set', 'inet', 'appnet', 'unattr_in']);
      for (const name of sent.keys()) assert.doesNotMatch(elems, new RegExp(`"${name}"`), `the counter of ${name} is gone from the set`);
    } else {
      // The kernel's port-unreachable replies were counted for the root cgroup on each veth: gone with it.
      const map = JSON.parse(await s.execOk(['bpftool', '-j', 'map', 'dump', 'pinned', '/sys/fs/bpf/appnet/counts'])) as Array<{ formatted: { key: { ifindex: number } } }>;
      assert.deepEqual(map.filter((e) => indexes.has(e.formatted.key.ifindex)), [], 'no BPF map entry of a gone veth is left');
    }
    for (const [name, n] of sent) {
      const got = appTotals(db, '(unattributed)', name);
      if (counter === 'nft') {
        assert.equal(got.rxPackets, n, `every datagram on ${name}`);
        assert.equal(got.rx, n * (500 + 8 + 20), `every byte on ${name}`);
        continue;
      }
      // Next to the BPF program the totals are the interface's own counters, which also hold the
      // link-local frames of a new link that nft never sees: the peer's ARP request for our
      // address, its IPv6 router solicitation and multicast listener reports (under 100 bytes each).
      const extra = got.rxPackets - n;
      const extraBytes = got.rx - n * (500 + 8 + 20);
      assert.ok(extra >= 0 && extra <= 6, `every datagram on ${name}, and a few link-local frames: ${got.rxPackets} packets for ${n} datagrams`);
      assert.ok(extraBytes >= 28 * extra && extraBytes <= 100 * extra, `every byte on ${name}: ${extraBytes} bytes beyond the datagrams in ${extra} frames`);
    }
    const d = new Database(db, { readonly: true });
    const rows = d.prepare("SELECT COUNT(*) AS n FROM counter_state WHERE elem_key LIKE '|veth%'").get() as { n: number };
    // The interfaces' own counters (next to the BPF program, their totals) are read every poll; a gone one's last reading goes too.
    const links = d.prepare("SELECT COUNT(*) AS n FROM link_counter_state WHERE name LIKE 'veth%'").get() as { n: number };
    d.close();
    assert.equal(rows.n, 0, 'their stored counters are forgotten too');
    assert.equal(links.n, 0, 'their stored interface readings are forgotten too');
    s.kill(c.pid, 'SIGTERM');
    await c.done;
  });

  test('an unusable store is one clear line and exit 1; `appnet uninstall` removes our table and nothing else', async () => {
    const bad = await s.exec([node, APPNET, 'collect', '--once', '--db', '/etc/hostname/appnet.db']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^appnet: cannot open the appnet database \/etc\/hostname\/appnet\.db: .+\n$/);
    await s.execOk(['nft', 'add table inet neighbour; add chain inet neighbour c { type filter hook input priority 0; }']);
    const db = join(tmp.dir, 'uninstall.db');
    await s.execOk([node, APPNET, 'collect', '--once', '--db', db, '--counter', counter]);
    assert.match(await s.execOk(['nft', 'list', 'tables']), /inet appnet/);
    const attached = () => s.execOk(['bpftool', 'cgroup', 'show', '/sys/fs/cgroup']);
    if (counter === 'bpf') assert.match(await attached(), /count_ingress[\s\S]*count_egress|count_egress[\s\S]*count_ingress/, 'the premise: the BPF counter is attached');
    const out = await s.execOk([node, APPNET, 'uninstall']);
    assert.match(out, /removed the inet appnet table/);
    // Two links (ingress, egress) and four maps (the per-app counts, the destinations, the DNS answers' ring and its drop counter).
    if (counter === 'bpf') assert.match(out, /^detached the BPF counter: removed 6 pins and \/sys\/fs\/bpf\/appnet$/m);
    assert.doesNotMatch(await attached(), /count_/, 'no program of ours stays attached');
    assert.equal((await s.exec(['ls', '/sys/fs/bpf/appnet'])).code, 2, 'nothing of ours stays pinned');
    const tables = await s.execOk(['nft', 'list', 'tables']);
    assert.doesNotMatch(tables, /inet appnet/);
    assert.match(tables, /inet neighbour/, 'a table that is not ours is left alone');
  });
}
