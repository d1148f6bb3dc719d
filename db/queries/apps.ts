import { prepared, type Db } from '../open';
import type { AppIdentity } from '../../lib/identity';
import { SET_ACCT_IN, SET_ACCT_OUT } from '../../lib/nft/names';

/**
 * upsertApp records an app identity (refreshing its name and unit) and returns its id. The icon
 * (migration 050) is written only when the identity has one.
 */
export function upsertApp(db: Db, app: AppIdentity, now: number, exe: string | null = null): number {
  const row = prepared(
    db,
      `INSERT INTO apps (app_key, kind, name, unit, exe, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(app_key) DO UPDATE SET kind = excluded.kind, name = excluded.name,
         unit = COALESCE(excluded.unit, unit), exe = COALESCE(excluded.exe, exe), last_seen = excluded.last_seen
       RETURNING id`,
    )
    .get(app.key, app.kind, app.name, app.unit, exe, now, now) as { id: number };
  if (app.icon) prepared(db, 'UPDATE apps SET icon = ? WHERE id = ?').run(app.icon, row.id);
  return row.id;
}

/** getAttributedAppKeys lists the key of every app seen, in order, leaving out the unattributed traffic. */
export function getAttributedAppKeys(db: Db): string[] {
  return (prepared(db, "SELECT app_key AS k FROM apps WHERE kind != 'unattributed' ORDER BY app_key").all() as Array<{ k: string }>).map((r) => r.k);
}

/** getCgroupAppId returns the app a stored cgroup id belongs to, if the store knows the id. */
export function getCgroupAppId(db: Db, cgroupId: number): number | undefined {
  return (prepared(db, 'SELECT app_id AS a FROM cgroups WHERE cgroup_id = ?').get(cgroupId) as { a: number } | undefined)?.a;
}

/**
 * upsertCgroup records a live cgroup and the app it belongs to. The kernel numbers cgroups
 * afresh at each boot, so an id stored under another path is another cgroup now: it takes
 * the new path, level and app (an id seen again under its own path keeps its first app).
 */
export function upsertCgroup(db: Db, c: { cgroupId: number; path: string; level: number; appId: number }, now: number): void {
  prepared(
    db,
    `INSERT INTO cgroups (cgroup_id, path, level, app_id, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(cgroup_id) DO UPDATE SET last_seen = excluded.last_seen, gone_at = NULL,
       app_id = CASE WHEN path = excluded.path THEN app_id ELSE excluded.app_id END,
       first_seen = CASE WHEN path = excluded.path THEN first_seen ELSE excluded.first_seen END,
       level = excluded.level, path = excluded.path`,
  ).run(c.cgroupId, c.path, c.level, c.appId, now, now);
}

/**
 * markAbsentCgroupsGone stamps every stored cgroup the live tree no longer has: at the start of
 * a run, those that ended while no collector ran (all of them after a reboot) would otherwise
 * stay "live" for good. Returns how many it stamped.
 */
export function markAbsentCgroupsGone(db: Db, liveIds: Iterable<number>, now: number): number {
  return prepared(db, 'UPDATE cgroups SET gone_at = ? WHERE gone_at IS NULL AND cgroup_id NOT IN (SELECT value FROM json_each(?))').run(now, JSON.stringify([...liveIds])).changes;
}

/** markCgroupGone stamps a cgroup whose directory disappeared; its row stays so late bytes keep a name. */
export function markCgroupGone(db: Db, cgroupId: number, now: number): void {
  prepared(db, 'UPDATE cgroups SET gone_at = ? WHERE cgroup_id = ? AND gone_at IS NULL').run(now, cgroupId);
}

/**
 * deleteGoneCgroups forgets cgroups gone before `before`, and all but the newest
 * `keepPerApp` gone ones of each app (a build or cron burst leaves thousands), unless
 * their counters are still tracked: late bytes must still find their app.
 */
export function deleteGoneCgroups(db: Db, opts: { before: number; keepPerApp: number }): number {
  return prepared(
    db,
    `DELETE FROM cgroups WHERE cgroup_id IN (
       SELECT cgroup_id FROM (
         SELECT cgroup_id, gone_at, ROW_NUMBER() OVER (PARTITION BY app_id ORDER BY gone_at DESC, cgroup_id DESC) AS rn
         FROM cgroups WHERE gone_at IS NOT NULL)
       WHERE gone_at < ? OR rn > ?)
     AND NOT EXISTS (SELECT 1 FROM counter_state s WHERE s.set_name IN (?, ?)
       AND s.elem_key >= cgroups.cgroup_id || '|' AND s.elem_key < cgroups.cgroup_id || '}')`,
  ).run(opts.before, opts.keepPerApp, SET_ACCT_IN, SET_ACCT_OUT).changes;
}
