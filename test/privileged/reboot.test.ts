/**
 * A reboot as the store sees it: the collector comes back to a new kernel table (which gets
 * the handle the old one had: handles start again in each network namespace) and to new
 * cgroups. Two sandboxes, one after the other, stand for the two boots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getRecentEvents } from '../../db/queries/status';
import { createSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { appTotals, COUNTERS, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, within, type Counter } from './helpers';

const node = process.execPath;
// Datagrams to a closed port: no socket takes them, so they count as unattributed, under the
// same key (the interface) in both boots.
const PAYLOAD = 1400;
const WIRE = PAYLOAD + 8 + 20;

/** boot runs a collector on a fresh sandbox while the peer sends each burst of datagrams in turn, a poll after each; returns our table's handle. */
async function boot(db: string, bursts: number[], counter: Counter): Promise<number> {
  const s: Sandbox = await createSandbox();
  try {
    const wlan = await s.addLink({ name: 'wlan0', subnet: 4 });
    systemdSkeleton(s);
    const c = await startCollector(s, db, { counter });
    await waitForPoll(db, Date.now());
    const listing = await s.execOk(['nft', '-a', 'list', 'table', 'inet', 'appnet']);
    const handle = Number(/# handle (\d+)/.exec(listing)?.[1]);
    for (const n of bursts) {
      await s.execOk([node, TRAFFIC, 'udp-send', wlan.v4, '9', String(n), String(PAYLOAD), '1'], { net: 'peer' });
      await sleep(300);
      await waitForPoll(db, Date.now());
    }
    s.kill(c.pid, 'SIGTERM');
    await c.done;
    return handle;
  } finally {
    await s.close();
  }
}

for (const counter of COUNTERS) test(`after a reboot the new table counts from zero although it has the old handle, and the old cgroups are gone (counted by ${counter})`, async () => {
  const tmp = tempDir();
  try {
    const db = join(tmp.dir, 'reboot.db');
    const first = await boot(db, [100], counter);
    const cgroupIds = () => {
      const d = new Database(db, { readonly: true });
      const ids = (d.prepare("SELECT cgroup_id AS id FROM cgroups WHERE path LIKE 'system.slice/%'").all() as Array<{ id: number }>).map((r) => r.id);
      d.close();
      return ids;
    };
    const oldIds = cgroupIds();
    const before = appTotals(db, '(unattributed)', 'wlan0');
    within(before.rx, 100 * WIRE, 1, 'first boot, unattributed received');

    // The first reading of the new boot (300 datagrams) is above the old stored value (100):
    // taken as the same counter grown, it would lose the old boot's 100 datagrams.
    const second = await boot(db, [300, 1200], counter);
    assert.equal(second, first, 'the premise: the new table has the old handle');
    const after = appTotals(db, '(unattributed)', 'wlan0');
    within(after.rx - before.rx, 1500 * WIRE, 1, 'second boot, unattributed received');

    const d = new Database(db, { readonly: true });
    const live = d.prepare(`SELECT COUNT(*) AS n FROM cgroups WHERE gone_at IS NULL AND cgroup_id IN (${oldIds.map(() => '?').join(',')})`).get(...oldIds) as { n: number };
    const events = getRecentEvents(d, 50).filter((e) => e.kind === 'table-recreated');
    d.close();
    assert.ok(oldIds.length >= 1, 'the first boot stored its units');
    assert.equal(live.n, 0, "the first boot's cgroups are stamped gone, not listed as running");
    assert.ok(events.some((e) => /not there when the collector started/.test(e.message)), 'the health page says why counting started again');
  } finally {
    tmp.remove();
  }
});
