/** Per-network history: daily and monthly totals per (network, interface), from the per-link roll-up. */
import { prepared, type Db } from '../open';
import type { HistoryRow, HistoryUnit } from '../../lib/history';
import { usageTables } from './sql-parts';

const RES: Record<HistoryUnit, number> = { day: 86400, month: 2592000 };

/**
 * getLinkHistory lists the totals of every local day or calendar month starting in [since, until)
 * per network and interface, oldest first. usage_link (migration 005) is written by every poll at
 * every resolution, so the day and the month holding now are complete up to the last poll.
 */
export function getLinkHistory(db: Db, unit: HistoryUnit, since: number, until: number, opts: { networkId?: number } = {}): HistoryRow[] {
  if (!usageTables(db).has('usage_link')) return [];
  const net = opts.networkId === undefined ? '' : 'AND l.network_id = ?';
  const params: number[] = [RES[unit], since, until, ...(opts.networkId === undefined ? [] : [opts.networkId])];
  return prepared(
    db,
    `SELECT l.ts, l.network_id AS networkId, n.name AS network, i.name AS iface,
            SUM(l.rx_bytes) AS rxBytes, SUM(l.tx_bytes) AS txBytes
     FROM usage_link l JOIN networks n ON n.id = l.network_id JOIN interfaces i ON i.id = l.iface_id
     WHERE l.res = ? AND l.ts >= ? AND l.ts < ? ${net}
     GROUP BY l.ts, l.network_id, l.iface_id
     ORDER BY l.ts, n.first_seen, n.id, i.name`,
  ).all(...params) as HistoryRow[];
}
