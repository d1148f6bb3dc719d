/** Networks as the dashboard shows and edits them: settings, cycle usage. The one write: updateNetworkSettings. */
import type { Db } from '../open';
import { rangeSql, splitRangeFor, type UsageFilter } from './usage';


export interface NetworkRow {
  id: number;
  netKey: string;
  name: string;
  kind: string;
  meteredAuto: boolean | null;
  meteredUser: boolean | null;
  metered: boolean;
  cycleStartDay: number;
  planBytes: number | null;
  ifaces: string[];
  firstSeen: number;
  lastSeen: number;
}

/** getNetworks lists every network with its settings and the interfaces on it now. */
export function getNetworks(db: Db): NetworkRow[] {
  const rows = db
    .prepare(
      `SELECT n.id, n.net_key AS netKey, n.name, n.kind, n.metered_auto AS meteredAuto, n.metered_user AS meteredUser,
              n.cycle_start_day AS cycleStartDay, n.plan_bytes AS planBytes, n.first_seen AS firstSeen, n.last_seen AS lastSeen,
              (SELECT GROUP_CONCAT(name) FROM interfaces WHERE network_id = n.id) AS ifaces
       FROM networks n ORDER BY n.last_seen DESC, n.name`,
    )
    .all() as Array<Omit<NetworkRow, 'meteredAuto' | 'meteredUser' | 'metered' | 'ifaces'> & {
      meteredAuto: number | null; meteredUser: number | null; ifaces: string | null;
    }>;
  const bool = (v: number | null) => (v === null ? null : v === 1);
  return rows.map((r) => ({
    ...r,
    meteredAuto: bool(r.meteredAuto),
    meteredUser: bool(r.meteredUser),
    metered: (r.meteredUser ?? r.meteredAuto ?? 0) === 1,
    ifaces: r.ifaces ? r.ifaces.split(',').sort() : [],
  }));
}

/** getNetworkUsage sums one network's bytes over [since, until), exactly. */
export function getNetworkUsage(db: Db, networkId: number, since: number, until: number, now: number): { rxBytes: number; txBytes: number } {
  const r = rangeSql(splitRangeFor(db, since, until, now));
  const row = db
    .prepare(
      `WITH u AS (${r.sql})
       SELECT COALESCE(SUM(u.rx_bytes), 0) AS rxBytes, COALESCE(SUM(u.tx_bytes), 0) AS txBytes
       FROM u JOIN series s ON s.id = u.series_id WHERE s.network_id = ?`,
    )
    .get(...r.params, networkId) as { rxBytes: number; txBytes: number };
  return row;
}

/**
 * getCycleStartDay picks the billing-cycle start day for a filter: the filtered network's, else the
 * most recently seen metered network's, else 1.
 */
export function getCycleStartDay(db: Db, f: Pick<UsageFilter, 'networkId' | 'ifaces'>): number {
  if (f.networkId !== undefined) {
    const r = db.prepare('SELECT cycle_start_day AS d FROM networks WHERE id = ?').get(f.networkId) as { d: number } | undefined;
    if (r) return r.d;
  }
  if (f.ifaces && f.ifaces.length === 1) {
    const r = db
      .prepare('SELECT n.cycle_start_day AS d FROM interfaces i JOIN networks n ON n.id = i.network_id WHERE i.name = ?')
      .get(f.ifaces[0]) as { d: number } | undefined;
    if (r) return r.d;
  }
  const m = db
    .prepare('SELECT cycle_start_day AS d FROM networks WHERE COALESCE(metered_user, metered_auto, 0) = 1 ORDER BY last_seen DESC LIMIT 1')
    .get() as { d: number } | undefined;
  return m?.d ?? 1;
}

export interface NetworkSettings {
  /** null = follow the automatic detection. */
  meteredUser: boolean | null;
  cycleStartDay: number;
  planBytes: number | null;
}

/** updateNetworkSettings stores the user's metered flag, billing-cycle start day and plan; false if no such network. */
export function updateNetworkSettings(db: Db, id: number, s: NetworkSettings): boolean {
  const metered = s.meteredUser === null ? null : s.meteredUser ? 1 : 0;
  return (
    db
      .prepare('UPDATE networks SET metered_user = ?, cycle_start_day = ?, plan_bytes = ? WHERE id = ?')
      .run(metered, s.cycleStartDay, s.planBytes, id).changes === 1
  );
}
