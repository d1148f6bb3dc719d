/**
 * Choosing what counts per app: `--counter nft` forced, `auto` where BPF cannot be used (no BPF
 * filesystem: it falls back to nft and says so in one line), `--counter bpf` there (a clear
 * error), and restarts on BPF that take over the pinned program instead of attaching another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getRecentEvents } from '../../db/queries/status';
import { createSandbox, withSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { APPNET, appTotals, countersDetail, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, waitListening } from './helpers';

const node = process.execPath;
const attached = (s: Sandbox) => s.execOk(['bpftool', 'cgroup', 'show', '/sys/fs/cgroup']);
const programs = (listing: string) => (listing.match(/count_(ingress|egress)/g) ?? []).sort();

/** stopped ends a collector with SIGTERM and returns its stderr. */
async function stopped(s: Sandbox, c: Awaited<ReturnType<typeof startCollector>>): Promise<string> {
  s.kill(c.pid, 'SIGTERM');
  const r = await c.done;
  assert.equal(r.code, 0, `the collector ends cleanly: ${r.stderr.slice(-300)}`);
  return r.stderr;
}

test('--counter nft counts with nft sets, and detaches a BPF counter an earlier run left attached', async () => {
  const tmp = tempDir();
  try {
    await withSandbox(async (s) => {
      const db = join(tmp.dir, 'nft.db');
      await s.execOk([node, APPNET, 'collect', '--once', '--db', join(tmp.dir, 'bpf.db'), '--counter', 'bpf']);
      assert.deepEqual(programs(await attached(s)), ['count_egress', 'count_ingress'], 'the premise: an earlier run attached the BPF counter');
      const c = await startCollector(s, db, { counter: 'nft' });
      await waitForPoll(db, Date.now());
      assert.equal(countersDetail(db).source, 'nft');
      assert.ok(countersDetail(db).setFill.acct_out, 'the per-app nft sets are in place');
      assert.deepEqual(programs(await attached(s)), [], 'the BPF counter is detached: it would count unread');
      assert.equal((await s.exec(['ls', '/sys/fs/bpf/appnet'])).code, 2, 'and unpinned');
      const err = await stopped(s, c);
      assert.doesNotMatch(err, /BPF counter is unavailable/, 'a forced choice is no fallback');
    });
  } finally {
    tmp.remove();
  }
});

test('without a BPF filesystem, auto counts with nft and says why in one line; --counter bpf refuses with the reason', async () => {
  const tmp = tempDir();
  const s = await createSandbox({ bpffs: false });
  try {
    const wlan = await s.addLink({ name: 'wlan0', subnet: 6 });
    systemdSkeleton(s);
    await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '6100'], { net: 'peer' });
    await waitListening(s, 6100, { udp: true, net: 'peer' });
    const db = join(tmp.dir, 'auto.db');
    const c = await startCollector(s, db, { counter: 'auto' });
    await waitForPoll(db, Date.now());
    await s.execOk([node, TRAFFIC, 'udp-send', wlan.peerV4, '6100', '50', '200'], { cgroup: 'system.slice/telemetry.service' });
    await sleep(300);
    await waitForPoll(db, Date.now());
    assert.equal(countersDetail(db).source, 'nft', 'counted with nft');
    assert.equal(appTotals(db, 'telemetry.service', 'wlan0').txPackets, 50, 'and counted all the same');
    const d = new Database(db, { readonly: true });
    const events = getRecentEvents(d, 50).filter((e) => e.kind === 'counter-fallback');
    d.close();
    assert.equal(events.length, 1, 'the fallback is on the Health page');
    const err = await stopped(s, c);
    const lines = err.split('\n').filter((l) => /BPF/.test(l));
    assert.equal(lines.length, 1, `one line about BPF: ${lines.join(' | ')}`);
    assert.match(lines[0], /warn Counting per app with nft sets: the BPF counter is unavailable \(no BPF filesystem is mounted at \/sys\/fs\/bpf\/appnet's parent/);

    const refused = await s.exec([node, APPNET, 'collect', '--once', '--db', join(tmp.dir, 'bpf.db'), '--counter', 'bpf']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /appnet: cannot count with BPF \(--counter bpf\): no BPF filesystem is mounted/);
  } finally {
    await s.close();
    tmp.remove();
  }
});

test('restarted on BPF, the collector takes over the pinned program: one program per direction, nothing counted twice', async () => {
  const tmp = tempDir();
  try {
    await withSandbox(async (s) => {
      const wlan = await s.addLink({ name: 'wlan0', subnet: 7 });
      systemdSkeleton(s);
      await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '6200'], { net: 'peer' });
      await waitListening(s, 6200, { udp: true, net: 'peer' });
      const db = join(tmp.dir, 'restart.db');
      for (let i = 0; i < 3; i++) {
        const c = await startCollector(s, db, { counter: 'bpf' });
        await waitForPoll(db, Date.now());
        await s.execOk([node, TRAFFIC, 'udp-send', wlan.peerV4, '6200', '40', '300'], { cgroup: 'system.slice/sync.service' });
        await sleep(200);
        await waitForPoll(db, Date.now());
        await stopped(s, c);
      }
      assert.deepEqual(programs(await attached(s)), ['count_egress', 'count_ingress'], 'still one program per direction');
      const got = appTotals(db, 'sync.service', 'wlan0');
      assert.equal(got.txPackets, 120, 'every datagram of the three runs, once');
      assert.equal(got.tx, 120 * (300 + 8 + 20));
    });
  } finally {
    tmp.remove();
  }
});
