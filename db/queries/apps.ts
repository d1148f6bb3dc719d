import { prepared, type Db } from '../open';
import type { AppIdentity } from '../../lib/identity';
import { SET_ACCT_IN, SET_ACCT_OUT } from '../../lib/nft/names';

/** upsertApp records an app identity (refreshing its name and unit) and returns its id. */
export function upsertApp(db: Db, app: AppIdentity, now: number, exe: string | null = null): number {
  const row = prepared(
    db,
      `INSERT INTO apps (app_key, kind, name, unit, exe, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(app_key) DO UPDATE SET kind = excluded.kind, name = excluded.name,
         unit = COALESCE(excluded.unit, unit), exe = COALESCE(excluded.exe, exe), last_seen = excluded.last_seen
       RETURNING id`,
    )
    .get(app.key, app.kind, app.name, app.unit, exe, now, now) as { id: number };
  return row.id;
}

/** upsertCgroup records a live cgroup and the app it belongs to. */
export function upsertCgroup(db: Db, c: { cgroupId: number; path: string; level: number; appId: number }, now: number): void {
  prepared(
    db,
    `INSERT INTO cgroups (cgroup_id, path, level, app_id, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(cgroup_id) DO UPDATE SET last_seen = excluded.last_seen, gone_at = NULL`,
  ).run(c.cgroupId, c.path, c.level, c.appId, now, now);
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
