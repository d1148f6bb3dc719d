/** Read queries behind the dashboard's App detail page. */
import type { Db } from '../open';
import { RESOLUTIONS } from '../../lib/time';
import { and, checkTable, rollupSource, seriesJoins, usageTables, type ChartGrid } from './sql-parts';
import { seriesFilterSql, type UsageFilter } from './usage';


export interface AppRow {
  id: number;
  appKey: string;
  kind: string;
  name: string;
  unit: string | null;
  exe: string | null;
  /** The .desktop entry's Icon= (theme name or path), when the collector found one. */
  icon: string | null;
  firstSeen: number;
  lastSeen: number;
}

/** getApp returns one app by id, or null. */
export function getApp(db: Db, id: number): AppRow | null {
  return (
    (db
      .prepare('SELECT id, app_key AS appKey, kind, name, unit, exe, icon, first_seen AS firstSeen, last_seen AS lastSeen FROM apps WHERE id = ?')
      .get(id) as AppRow | undefined) ?? null
  );
}

export interface AppCgroup {
  cgroupId: number;
  path: string;
  firstSeen: number;
  lastSeen: number;
  goneAt: number | null;
}

/** getAppCgroups lists an app's cgroups, live ones first, newest first. */
export function getAppCgroups(db: Db, appId: number, limit = 50): AppCgroup[] {
  return db
    .prepare(
      `SELECT cgroup_id AS cgroupId, path, first_seen AS firstSeen, last_seen AS lastSeen, gone_at AS goneAt
       FROM cgroups WHERE app_id = ? ORDER BY gone_at IS NOT NULL, last_seen DESC LIMIT ?`,
    )
    .all(appId, limit) as AppCgroup[];
}

export interface NetworkPoint {
  ts: number;
  networkId: number;
  rxBytes: number;
  txBytes: number;
}

/** getAppSeriesByNetwork reads one app's bytes per roll-up bucket of a chart grid's table, per network. */
export function getAppSeriesByNetwork(db: Db, appId: number, f: UsageFilter, grid: ChartGrid): NetworkPoint[] {
  const t = checkTable(grid.table);
  const w = seriesFilterSql(f);
  const src = rollupSource(db, t);
  return db
    .prepare(
      `SELECT u.ts, s.network_id AS networkId, SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes
       FROM ${src.sql} u ${seriesJoins(f)}
       ${and(w.sql, 'u.ts >= ? AND u.ts < ? AND u.series_id IN (SELECT id FROM series WHERE app_id = ?)')}
       GROUP BY u.ts, s.network_id ORDER BY u.ts`,
    )
    .all(...src.params, ...w.params, grid.from, f.until, appId) as NetworkPoint[];
}

/**
 * getAppLastActive returns the start (unix s) of the latest bucket in which the app moved bytes,
 * looking at the finest table that has any, or null if it never did.
 */
export function getAppLastActive(db: Db, appId: number): number | null {
  const present = usageTables(db);
  for (const res of RESOLUTIONS) {
    if (!present.has(res.table)) continue;
    const row = db
      .prepare(
        `SELECT MAX(u.ts) AS ts FROM ${res.table} u
         WHERE u.series_id IN (SELECT id FROM series WHERE app_id = ?) AND (u.rx_bytes > 0 OR u.tx_bytes > 0)`,
      )
      .get(appId) as { ts: number | null };
    if (row.ts !== null) return row.ts;
  }
  return null;
}
