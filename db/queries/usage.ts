import { prepared, type Db } from '../open';
import { bucketStart, RESOLUTIONS, splitRange, type RangePiece } from '../../lib/time';

/** getOrCreateSeries returns the id of the (app, interface, network) series. */
export function getOrCreateSeries(db: Db, appId: number, ifaceId: number, networkId: number): number {
  const row = prepared(
    db,
      `INSERT INTO series (app_id, iface_id, network_id) VALUES (?, ?, ?)
       ON CONFLICT(app_id, iface_id, network_id) DO UPDATE SET app_id = excluded.app_id RETURNING id`,
    )
    .get(appId, ifaceId, networkId) as { id: number };
  return row.id;
}

export interface UsageDelta {
  seriesId: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** insertUsage adds one poll's deltas, at unix second ts, to every roll-up table. */
export function insertUsage(db: Db, ts: number, deltas: UsageDelta[]): void {
  for (const res of RESOLUTIONS) {
    const stmt = prepared(
      db,
      `INSERT INTO ${res.table} (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(ts, series_id) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
         rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets`,
    );
    const b = bucketStart(ts, res);
    for (const d of deltas) stmt.run(b, d.seriesId, d.rxBytes, d.txBytes, d.rxPackets, d.txPackets);
  }
}

/** pruneUsage deletes roll-up rows older than each table's retention; returns rows deleted. */
export function pruneUsage(db: Db, now: number): number {
  let n = 0;
  for (const res of RESOLUTIONS) {
    if (res.keepSeconds === null) continue;
    n += db.prepare(`DELETE FROM ${res.table} WHERE ts < ?`).run(now - res.keepSeconds).changes;
  }
  return n;
}

export interface UsageFilter {
  since: number;
  until: number;
  /** Only these interfaces (by name). */
  ifaces?: string[];
  /** Only networks whose effective metered flag is this. */
  metered?: boolean;
  /** Only this network id. */
  networkId?: number;
}

/** rangeSql turns range pieces into a UNION ALL over the roll-up tables, with bound values. */
export function rangeSql(pieces: RangePiece[]): { sql: string; params: number[] } {
  const allowed = new Set(RESOLUTIONS.map((r) => r.table));
  const parts = pieces.map((p) => {
    if (!allowed.has(p.table)) throw new Error(`unknown usage table ${p.table}`);
    return `SELECT ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets FROM ${p.table} WHERE ts >= ? AND ts < ?`;
  });
  return { sql: parts.length ? parts.join(' UNION ALL ') : 'SELECT 0 AS ts, 0 AS series_id, 0 AS rx_bytes, 0 AS tx_bytes, 0 AS rx_packets, 0 AS tx_packets WHERE 0', params: pieces.flatMap((p) => [p.from, p.to]) };
}

/** seriesFilterSql restricts series by interface, network and metered flag. */
export function seriesFilterSql(f: UsageFilter): { sql: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (f.ifaces && f.ifaces.length) {
    where.push(`i.name IN (${f.ifaces.map(() => '?').join(',')})`);
    params.push(...f.ifaces);
  }
  if (f.networkId !== undefined) {
    where.push('s.network_id = ?');
    params.push(f.networkId);
  }
  if (f.metered !== undefined) {
    where.push('COALESCE(n.metered_user, n.metered_auto, 0) = ?');
    params.push(f.metered ? 1 : 0);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
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

/** getTopApps ranks apps by bytes (down + up) over a period, exactly, using the fewest roll-up rows. */
export function getTopApps(db: Db, f: UsageFilter, now: number, limit = 1000): AppTotal[] {
  const r = rangeSql(splitRange(f.since, f.until, now));
  const w = seriesFilterSql(f);
  return db
    .prepare(
      `WITH u AS (${r.sql})
       SELECT a.id AS appId, a.app_key AS appKey, a.name, a.kind,
              SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes, SUM(u.rx_packets) AS rxPackets, SUM(u.tx_packets) AS txPackets
       FROM u JOIN series s ON s.id = u.series_id JOIN apps a ON a.id = s.app_id
       JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id
       ${w.sql}
       GROUP BY a.id ORDER BY rxBytes + txBytes DESC LIMIT ?`,
    )
    .all(...r.params, ...w.params, limit) as AppTotal[];
}

export interface SeriesTotal {
  appKey: string;
  iface: string;
  networkId: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** getTotalsByAppIface returns exact totals per (app, interface) over a period. */
export function getTotalsByAppIface(db: Db, f: UsageFilter, now: number): SeriesTotal[] {
  const r = rangeSql(splitRange(f.since, f.until, now));
  const w = seriesFilterSql(f);
  return db
    .prepare(
      `WITH u AS (${r.sql})
       SELECT a.app_key AS appKey, i.name AS iface, s.network_id AS networkId,
              SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes, SUM(u.rx_packets) AS rxPackets, SUM(u.tx_packets) AS txPackets
       FROM u JOIN series s ON s.id = u.series_id JOIN apps a ON a.id = s.app_id
       JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id
       ${w.sql}
       GROUP BY a.app_key, i.name, s.network_id ORDER BY a.app_key, i.name`,
    )
    .all(...r.params, ...w.params) as SeriesTotal[];
}
