/**
 * Churn leaves a row per cgroup ever seen: housekeeping must bound them (15 days, 100 gone
 * per app) without forgetting a cgroup whose counter is still tracked or one still alive.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDb } from '../../db/open';
import { deleteGoneCgroups, markCgroupGone, upsertApp, upsertCgroup } from '../../db/queries/apps';
import { CounterIds, putCounterStates } from '../../db/queries/state';
import { appIdentity } from '../../lib/identity';

const dir = mkdtempSync(join(tmpdir(), 'appnet-gone-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('gone cgroups are pruned by age and per-app count; live and still-counted ones stay', () => {
  const db = openDb(join(dir, 'gone.db'), { migrate: true });
  try {
    const now = 100 * 86400;
    const build = upsertApp(db, appIdentity('system.slice/build.service'), now);
    const web = upsertApp(db, appIdentity('system.slice/web.service'), now);
    // 150 short-lived build cgroups gone over the last hours, one gone 20 days ago whose
    // counter is still tracked, one gone 20 days ago untracked, and a live one.
    for (let i = 1; i <= 150; i++) {
      upsertCgroup(db, { cgroupId: 1000 + i, path: `system.slice/build.service/job-${i}`, level: 3, appId: build }, now - 7200);
      markCgroupGone(db, 1000 + i, now - 7200 + i);
    }
    upsertCgroup(db, { cgroupId: 50, path: 'system.slice/web.service', level: 2, appId: web }, now);
    upsertCgroup(db, { cgroupId: 60, path: 'system.slice/web.service/old', level: 3, appId: web }, now - 21 * 86400);
    markCgroupGone(db, 60, now - 20 * 86400);
    upsertCgroup(db, { cgroupId: 61, path: 'system.slice/web.service/late', level: 3, appId: web }, now - 21 * 86400);
    markCgroupGone(db, 61, now - 20 * 86400);
    putCounterStates(db, new CounterIds(db), [{ setName: 'acct_out', elemKey: '61|wlan0', tableHandle: 1, bytes: 10, packets: 1, seenAt: now, expiresAt: now + 600 }]);

    const removed = deleteGoneCgroups(db, { before: now - 15 * 86400, keepPerApp: 100 });

    const ids = (db.prepare('SELECT cgroup_id AS id FROM cgroups ORDER BY cgroup_id').all() as { id: number }[]).map((r) => r.id);
    assert.equal(removed, 51, 'the 50 oldest build cgroups beyond 100 and the untracked 20-day-old one');
    assert.ok(ids.includes(50), 'a live cgroup is never pruned');
    assert.ok(ids.includes(61), 'a cgroup whose counter is still tracked keeps its name');
    assert.ok(!ids.includes(60));
    const builds = ids.filter((id) => id > 1000);
    assert.equal(builds.length, 100);
    assert.equal(Math.min(...builds), 1051, 'the newest 100 gone build cgroups stay');
  } finally {
    db.close();
  }
});
