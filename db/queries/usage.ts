import { prepared, type Db } from '../open';
import { runBatched } from './batch';
import { bucketStart, RESOLUTIONS, type RangePiece } from '../../lib/time';
import { seriesFilterSql, splitRangeFor, totalsCte, usageTables, type UsageFilter } from './sql-parts';

export { seriesFilterSql, splitRangeFor, type UsageFilter } from './sql-parts';

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

/**
 * insertUsage adds one poll's deltas, at unix second ts, to every roll-up table the store has:
 * one multi-row upsert per table (db/queries/batch), deltas of the same series summed first.
 * `timed`, when given, hears how long each table's write took (the write benchmark's breakdown).
 */
export function insertUsage(db: Db, ts: number, deltas: UsageDelta[], timed?: (table: string, ms: number) => void): void {
  const bySeries = new Map<number, [number, number, number, number, number]>();
  for (const d of deltas) {
    const r = bySeries.get(d.seriesId);
    if (!r) bySeries.set(d.seriesId, [d.seriesId, d.rxBytes, d.txBytes, d.rxPackets, d.txPackets]);
    else {
      r[1] += d.rxBytes;
      r[2] += d.txBytes;
      r[3] += d.rxPackets;
      r[4] += d.txPackets;
    }
  }
  const rows = [...bySeries.values()].sort((a, b) => a[0] - b[0]);
  if (!rows.length) return;
  const present = usageTables(db);
  const time = (table: string, write: () => void) => {
    if (!timed) return write();
    const t0 = performance.now();
    write();
    timed(table, performance.now() - t0);
  };
  for (const res of RESOLUTIONS) {
    if (!present.has(res.table)) continue;
    const b = bucketStart(ts, res);
    time(res.table, () => runBatched(
      db,
      (values) => `INSERT INTO ${res.table} (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets) VALUES ${values}
       ON CONFLICT(ts, series_id) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
         rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets`,
      6,
      rows.map((r) => [b, ...r]),
    ));
  }
  if (present.has('usage_link')) time('usage_link', () => insertLinkUsage(db, ts, rows));
}

const linkCache = new WeakMap<Db, Map<number, string>>();

/** linkOf maps a series id to its 'iface_id|network_id' (series never change; reloaded when a new one appears). */
function linkOf(db: Db, seriesId: number): string {
  let m = linkCache.get(db);
  if (!m || !m.has(seriesId)) {
    const rows = prepared(db, 'SELECT id, iface_id AS i, network_id AS n FROM series').all() as Array<{ id: number; i: number; n: number }>;
    linkCache.set(db, (m = new Map(rows.map((r) => [r.id, `${r.i}|${r.n}`]))));
  }
  const k = m.get(seriesId);
  if (k === undefined) throw new Error(`insertUsage: no series ${seriesId}`);
  return k;
}

/** insertLinkUsage adds the same deltas, summed per (interface, network), to usage_link at every resolution. */
function insertLinkUsage(db: Db, ts: number, rows: Array<[number, number, number, number, number]>): void {
  const byLink = new Map<string, number[]>();
  for (const r of rows) {
    const k = linkOf(db, r[0]);
    const v = byLink.get(k);
    if (!v) byLink.set(k, [...k.split('|').map(Number), r[1], r[2], r[3], r[4]]);
    else for (let i = 1; i <= 4; i++) v[i + 1] += r[i];
  }
  const links = [...byLink.values()];
  runBatched(
    db,
    (values) => `INSERT INTO usage_link (res, ts, iface_id, network_id, rx_bytes, tx_bytes, rx_packets, tx_packets) VALUES ${values}
     ON CONFLICT(res, ts, iface_id, network_id) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
       rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets`,
    8,
    RESOLUTIONS.flatMap((res) => links.map((l) => [res.seconds, bucketStart(ts, res), ...l])),
  );
}

/** pruneUsage deletes roll-up rows (and their per-link totals) older than each table's retention; returns series rows deleted. */
export function pruneUsage(db: Db, now: number): number {
  let n = 0;
  for (const res of RESOLUTIONS) {
    if (res.keepSeconds === null) continue;
    n += db.prepare(`DELETE FROM ${res.table} WHERE ts < ?`).run(now - res.keepSeconds).changes;
    if (usageTables(db).has('usage_link')) db.prepare('DELETE FROM usage_link WHERE res = ? AND ts < ?').run(res.seconds, now - res.keepSeconds);
  }
  return n;
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
  const r = rangeSql(splitRangeFor(db, f.since, f.until, now));
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
