import { prepared, type Db } from '../open';
import type { AppIdentity } from '../../lib/identity';

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

/** deleteGoneCgroups forgets cgroups gone before `before` whose counters are no longer tracked. */
export function deleteGoneCgroups(db: Db, before: number): number {
  return db
    .prepare(
      `DELETE FROM cgroups WHERE gone_at IS NOT NULL AND gone_at < ?
       AND NOT EXISTS (SELECT 1 FROM counter_state s WHERE s.elem_key LIKE cgroups.cgroup_id || '|%')`,
    )
    .run(before).changes;
}
