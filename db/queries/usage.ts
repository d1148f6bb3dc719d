import type { Db } from '../open';
import type { RangePiece } from '../../lib/time';
import { RESOLUTIONS } from '../../lib/time';
import { pieceWhere, seriesFilterSql, splitRangeFor, totalsCte, type UsageFilter } from './sql-parts';

export { seriesFilterSql, splitRangeFor, type UsageFilter } from './sql-parts';

/** rangeSql turns range pieces into a UNION ALL over the roll-up tables, with bound values. */
export function rangeSql(pieces: RangePiece[]): { sql: string; params: number[] } {
  const allowed = new Set(RESOLUTIONS.map((r) => r.table));
  const parts = pieces.map((p) => {
    if (!allowed.has(p.table)) throw new Error(`unknown usage table ${p.table}`);
    return `SELECT ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets FROM ${p.table} WHERE ${pieceWhere(p)}`;
  });
  return { sql: parts.length ? parts.join(' UNION ALL ') : 'SELECT 0 AS ts, 0 AS series_id, 0 AS rx_bytes, 0 AS tx_bytes, 0 AS rx_packets, 0 AS tx_packets WHERE 0', params: pieces.flatMap((p) => [p.from, p.to]) };
}

export interface AppTotal {
  appId: number;
  appKey: string;
  name: string;
  kind: string;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/**
 * getTopApps ranks apps by bytes (down + up) over a period, exactly: per-series sums from the
 * fewest roll-up rows (months, then days, hours, … at the edges) before the join to apps.
 */
export function getTopApps(db: Db, f: UsageFilter, now: number, limit = 1000): AppTotal[] {
  const c = totalsCte(db, f, now);
  return db
    .prepare(
      `${c.sql}
       SELECT a.id AS appId, a.app_key AS appKey, a.name, a.kind,
              SUM(t.rx) AS rxBytes, SUM(t.tx) AS txBytes, SUM(t.rxp) AS rxPackets, SUM(t.txp) AS txPackets
       FROM t JOIN series s ON s.id = t.series_id JOIN apps a ON a.id = s.app_id
       GROUP BY a.id ORDER BY rxBytes + txBytes DESC LIMIT ?`,
    )
    .all(...c.params, limit) as AppTotal[];
}
