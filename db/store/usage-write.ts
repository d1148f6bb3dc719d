/** The usage writer: a poll's deltas into the 10 s rows, the per-link totals and, while they are not deferred, the coarse roll-ups. */
import { prepared, type Db } from '../open';
import { runBatched } from '../queries/batch';
import { hasRollupState, rollupUntil, usageTables } from '../queries/sql-parts';
import { bucketStart, RESOLUTIONS } from '../../lib/time';
import { remember, rollUp, ROLLUP_EVERY } from './rollup';
import { timeWrite, UPSERT_SUMS, type Timed } from './upsert';

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
 * insertUsage adds one poll's deltas, at unix second ts, to the store: one multi-row upsert per
 * table (db/queries/batch), deltas of the same series summed first. Its 10 s rows always; the
 * coarser roll-ups only for a bucket they already hold (before the watermark, migration 008: the
 * first poll after an upgrade, a clock stepped back), else about once a minute by rollUp. The
 * per-link totals at every resolution (a few rows). `timed`, when given, hears how long each
 * part of the write took (the write benchmark's breakdown). Says whether this poll rolled up.
 */
export function insertUsage(db: Db, ts: number, deltas: UsageDelta[], timed?: Timed): boolean {
  const time = (table: string, write: () => void) => timeWrite(timed, table, write);
  const present = usageTables(db);
  const b10 = ts - (ts % 10);
  const deferred = hasRollupState(db);
  let until = deferred ? rollupUntil(db) : null;
  let rolledUp = false;
  if (deferred && until !== null && b10 - until >= ROLLUP_EVERY) {
    time('roll-up', () => (rolledUp = rollUp(db, b10, timed)));
    if (rolledUp) until = b10; // where rollUp moved the watermark
  }
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
  if (!rows.length) return rolledUp;
  if (deferred && until === null) {
    // The coarse roll-ups are complete (an older collector wrote them): this 10 s bucket goes to them
    // directly, the next ones are deferred.
    until = b10 + 10;
    prepared(db, 'INSERT INTO rollup_state (id, until) VALUES (1, ?)').run(until);
  }
  const eager = until === null || b10 < until;
  if (!eager && until !== null) remember(db, until, b10, rows);
  for (const res of RESOLUTIONS) {
    if (!present.has(res.table) || (res.table !== 'usage_10s' && !eager)) continue;
    const b = bucketStart(ts, res);
    time(res.table, () => runBatched(
      db,
      (values) => `INSERT INTO ${res.table} (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets) VALUES ${values}
       ${UPSERT_SUMS}`,
      6,
      rows.map((r) => [b, ...r]),
    ));
  }
  if (present.has('usage_link')) time('usage_link', () => insertLinkUsage(db, ts, rows));
  return rolledUp;
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
