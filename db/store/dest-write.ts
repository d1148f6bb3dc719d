/**
 * Destinations in the store (migration 080): each poll's destination deltas added to their
 * hour; closed hours folded to each app's top destinations, the rest summed into the series'
 * "other destinations" row (remote ''), so an hour's rows of a series always add up to what
 * was added to it; retention; clearing. Readers add to "other" whatever the app's usage holds
 * beyond its destination rows (traffic counted while destinations were off, or evicted from
 * the kernel's map before it was read), so destinations + other equal the app's total exactly.
 */
import { prepared, type Db } from '../open';
import { runBatched } from '../queries/batch';

/** One poll's traffic with one destination, booked to a series (app, interface, network). */
export interface DestUsage {
  seriesId: number;
  remote: string;
  proto: number;
  port: number;
  inbound: boolean;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** How many destinations per app and hour are kept by name; the rest is "other destinations". */
export const DEST_TOP = 100;
/** Default retention of destination history, days. */
export const DEST_KEEP_DAYS = 90;

const HOUR = 3600;

/** insertDestUsage adds one poll's destination deltas, at unix second ts, to their hour (same destination summed first). */
export function insertDestUsage(db: Db, ts: number, rows: DestUsage[]): void {
  if (!rows.length) return;
  const hour = ts - (ts % HOUR);
  const by = new Map<string, unknown[]>();
  for (const r of rows) {
    const k = `${r.seriesId}|${r.remote}|${r.proto}|${r.port}|${r.inbound ? 1 : 0}`;
    const v = by.get(k) as number[] | undefined;
    if (!v) by.set(k, [hour, r.seriesId, r.remote, r.proto, r.port, r.inbound ? 1 : 0, r.rxBytes, r.txBytes, r.rxPackets, r.txPackets, ts, ts]);
    else {
      v[6] += r.rxBytes;
      v[7] += r.txBytes;
      v[8] += r.rxPackets;
      v[9] += r.txPackets;
    }
  }
  runBatched(
    db,
    (values) => `INSERT INTO dest_1h (ts, series_id, remote, proto, port, inbound, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen) VALUES ${values}
     ON CONFLICT(series_id, ts, remote, proto, port, inbound) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
       rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets, last_seen = MAX(last_seen, excluded.last_seen)`,
    12,
    [...by.values()],
  );
}

/**
 * foldDestHour keeps, for every app in the hour starting at `hour`, its `top` destinations by
 * bytes (over all its series) and sums the others, per series, into the series' "other
 * destinations" row; returns the rows folded away. Idempotent: an hour already folded has
 * nothing past its top.
 */
export function foldDestHour(db: Db, hour: number, top = DEST_TOP): number {
  const ranked = `WITH ranked AS (
      SELECT s.app_id, d.remote, d.proto, d.port, d.inbound,
             ROW_NUMBER() OVER (PARTITION BY s.app_id ORDER BY SUM(d.rx_bytes + d.tx_bytes) DESC, d.remote, d.proto, d.port, d.inbound) AS rn
      FROM dest_1h d JOIN series s ON s.id = d.series_id
      WHERE d.ts = ? AND d.remote <> '' GROUP BY s.app_id, d.remote, d.proto, d.port, d.inbound),
    tail AS (
      SELECT d.series_id, d.remote, d.proto, d.port, d.inbound FROM dest_1h d JOIN series s ON s.id = d.series_id
      JOIN ranked r ON r.app_id = s.app_id AND r.remote = d.remote AND r.proto = d.proto AND r.port = d.port AND r.inbound = d.inbound
      WHERE d.ts = ? AND r.rn > ?)`;
  return db.transaction(() => {
    prepared(
      db,
      `${ranked}
       INSERT INTO dest_1h (ts, series_id, remote, proto, port, inbound, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
       SELECT ?, d.series_id, '', 0, 0, 0, SUM(d.rx_bytes), SUM(d.tx_bytes), SUM(d.rx_packets), SUM(d.tx_packets), MIN(d.first_seen), MAX(d.last_seen)
       FROM dest_1h d JOIN tail t USING (series_id, remote, proto, port, inbound) WHERE d.ts = ? GROUP BY d.series_id
       ON CONFLICT(series_id, ts, remote, proto, port, inbound) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
         rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets,
         first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`,
    ).run(hour, hour, top, hour, hour);
    return prepared(
      db,
      `${ranked}
       DELETE FROM dest_1h WHERE ts = ? AND (series_id, remote, proto, port, inbound) IN (SELECT series_id, remote, proto, port, inbound FROM tail)`,
    ).run(hour, hour, top, hour).changes;
  })();
}

const WATERMARK = 'dest_folded_until';

/** foldDestinations folds every closed hour (before the one holding `now`) not folded yet; returns rows folded away. */
export function foldDestinations(db: Db, now: number, top = DEST_TOP): number {
  const current = now - (now % HOUR);
  const mark = prepared(db, 'SELECT value FROM settings WHERE key = ?').get(WATERMARK) as { value: string } | undefined;
  const from = mark ? Number(mark.value) : ((prepared(db, 'SELECT MIN(ts) AS t FROM dest_1h').get() as { t: number | null }).t ?? current);
  let n = 0;
  const hours = prepared(db, 'SELECT DISTINCT ts FROM dest_1h WHERE ts >= ? AND ts < ? ORDER BY ts').all(from, current) as Array<{ ts: number }>;
  for (const { ts } of hours) n += foldDestHour(db, ts, top);
  prepared(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(WATERMARK, String(current));
  return n;
}

/** pruneDestinations deletes destination hours, and names last seen, longer ago than `keepDays`; returns destination rows deleted. */
export function pruneDestinations(db: Db, now: number, keepDays = DEST_KEEP_DAYS): number {
  prepared(db, 'DELETE FROM dest_names WHERE seen_at < ?').run(now - keepDays * 86400);
  return prepared(db, 'DELETE FROM dest_1h WHERE ts < ?').run(now - keepDays * 86400).changes;
}

/** clearDestinations deletes all destination history and learned names; returns rows deleted. */
export function clearDestinations(db: Db): number {
  return db.transaction(() => {
    const n = prepared(db, 'DELETE FROM dest_1h').run().changes;
    prepared(db, 'DELETE FROM dest_names').run();
    prepared(db, 'DELETE FROM settings WHERE key = ?').run(WATERMARK);
    return n;
  })();
}

/** putDestNames records host names learned from DNS answers (`at` unix ms, `ttl` seconds); a name seen again is refreshed. */
export function putDestNames(db: Db, names: ReadonlyArray<{ addr: string; name: string; ttl: number; at: number }>): void {
  db.transaction(() => {
    runBatched(
      db,
      (values) => `INSERT INTO dest_names (addr, name, seen_at, expires_at) VALUES ${values}
       ON CONFLICT(addr, name) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at), expires_at = MAX(expires_at, excluded.expires_at)`,
      4,
      names.map((n) => [n.addr, n.name, Math.floor(n.at / 1000), Math.floor(n.at / 1000) + n.ttl]),
    );
  })();
}
