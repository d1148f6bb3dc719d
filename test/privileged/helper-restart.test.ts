/**
 * The BPF counter's long-running helper (collector/native/bpfcount) dies under a collector that
 * runs for years: killed by hand, by the OOM killer, a crash. The program goes on counting into
 * the pinned map meanwhile; the collector starts the helper again, which takes the map over, so
 * every datagram is counted once, and each end is on the Health page. Where it cannot be started
 * again (the BPF filesystem is gone), `auto` counts with nft from then on, as it does at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getRecentEvents } from '../../db/queries/status';
import { withSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { appTotals, countersDetail, peerTruth, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitChild, waitForPoll, waitListening, within } from './helpers';

const node = process.execPath;

function events(db: string, kind: string): Array<{ message: string }> {
  const d = new Database(db, { readonly: true });
  const rows = getRecentEvents(d, 200).filter((e) => e.kind === kind);
  d.close();
  return rows;
}

const attached = async (s: Sandbox) => ((await s.execOk(['bpftool', 'cgroup', 'show', '/sys/fs/cgroup'])).match(/count_(ingress|egress)/g) ?? []).sort();

test('bpfcount killed five times under steady traffic: started again each time, every datagram counted once, each end on the Health page', async () => {
  const tmp = tempDir();
  try {
    await withSandbox(async (s) => {
      const wlan = await s.addLink({ name: 'wlan0', subnet: 11 });
      systemdSkeleton(s);
      const truth = await peerTruth(s, [6301]);
      await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '6301'], { net: 'peer' });
      await waitListening(s, 6301, { udp: true, net: 'peer' });
      const db = join(tmp.dir, 'kill-helper.db');
      const c = await startCollector(s, db, { interval: 0.5, counter: 'bpf' });
      await waitForPoll(db, Date.now());
      // About 10 s of steady UDP traffic from one service while its counter's helper keeps dying.
      const traffic = s.spawn([node, TRAFFIC, 'udp-send', wlan.peerV4, '6301', '2000', '1200', '5'], { cgroup: 'system.slice/backup.service' });
      let pid: number | null = null;
      for (let i = 0; i < 5; i++) {
        pid = await waitChild(c.pid, 'bpfcount', pid);
        await sleep(700 + ((i * 137) % 500));
        s.kill(pid, 'SIGKILL');
      }
      await waitChild(c.pid, 'bpfcount', pid);
      await (await traffic).done;
      await sleep(300);
      await waitForPoll(db, Date.now());
      await waitForPoll(db, Date.now());
      const t = (await truth()).get('in-6301u')!;
      assert.ok(t.packets >= 1900, `the premise: the peer received the traffic (${t.packets} datagrams)`);
      const got = appTotals(db, 'backup.service', 'wlan0');
      assert.equal(got.txPackets, t.packets, 'every datagram counted exactly once across five helper deaths');
      within(got.tx, t.bytes, 0, 'bytes across five helper deaths');
      const ends = events(db, 'counter-helper');
      assert.equal(ends.length, 5, `one Health event per end: ${ends.map((e) => e.message).join(' | ')}`);
      assert.match(ends[0].message, /bpfcount ended \(killed by SIGKILL\); it is started again/);
      assert.equal(countersDetail(db).source, 'bpf', 'still counting with BPF');
      assert.deepEqual(await attached(s), ['count_egress', 'count_ingress'], 'the restarted helpers took the pinned program over: one per direction');
      s.kill(c.pid, 'SIGTERM');
      const end = await c.done;
      assert.equal(end.code, 0, `the collector ends cleanly: ${end.stderr.slice(-300)}`);
      assert.equal(end.stderr.split('\n').filter((l) => /bpfcount ended/.test(l)).length, 5, 'logged once per end');
    });
  } finally {
    tmp.remove();
  }
});

test('bpfcount that cannot start again (the BPF filesystem unmounted) under auto: counting falls back to nft, said once, and goes on', async () => {
  const tmp = tempDir();
  try {
    await withSandbox(async (s) => {
      const wlan = await s.addLink({ name: 'wlan0', subnet: 12 });
      systemdSkeleton(s);
      await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '6302'], { net: 'peer' });
      await waitListening(s, 6302, { udp: true, net: 'peer' });
      const db = join(tmp.dir, 'fallback.db');
      const c = await startCollector(s, db, { interval: 0.5, counter: 'auto' });
      await waitForPoll(db, Date.now());
      assert.equal(countersDetail(db).source, 'bpf', 'the premise: BPF counts');
      await s.execOk(['umount', '-l', '/sys/fs/bpf']);
      s.kill(await waitChild(c.pid, 'bpfcount', null), 'SIGKILL');
      // Three failed starts, 1 s and 2 s apart, then nft.
      for (let i = 0; i < 100 && events(db, 'counter-fallback').length === 0; i++) await sleep(200);
      const fallback = events(db, 'counter-fallback');
      assert.equal(fallback.length, 1, 'the fallback is on the Health page, once');
      assert.match(fallback[0].message, /Counting per app with nft sets since .*: the BPF counter could not be started again 3 times in a row \(.*no BPF filesystem is mounted/);
      await waitForPoll(db, Date.now());
      await s.execOk([node, TRAFFIC, 'udp-send', wlan.peerV4, '6302', '50', '200'], { cgroup: 'system.slice/telemetry.service' });
      await sleep(300);
      await waitForPoll(db, Date.now());
      assert.equal(countersDetail(db).source, 'nft', 'nft counts per app now');
      assert.equal(appTotals(db, 'telemetry.service', 'wlan0').txPackets, 50, 'and counts all of it');
      s.kill(c.pid, 'SIGTERM');
      const end = await c.done;
      assert.equal(end.code, 0, `the collector ends cleanly: ${end.stderr.slice(-300)}`);
      assert.equal(end.stderr.split('\n').filter((l) => /Counting per app with nft sets/.test(l)).length, 1, 'the fallback is logged once');
    });
  } finally {
    tmp.remove();
  }
});
