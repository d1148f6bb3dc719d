/**
 * Destinations in the store (migrations 080, 081): each poll's destination deltas added to their
 * hour; closed hours folded to each app's top destinations, the rest summed into the series'
 * "other destinations" row (remote ''), so an hour's rows of a series always add up to what
 * was added to it, then added to their local day, folded the same way once it closed;
 * retention (hours 2 days, days as configured); clearing. Readers add to "other" whatever the app's usage holds
 * beyond its destination rows (traffic counted while destinations were off, or evicted from
 * the kernel's map before it was read), so destinations + other equal the app's total exactly.
 */
import { prepared, type Db } from '../open';
import type { DestinationKey, DestinationTraffic } from '../../lib/destinations';
import { runBatched } from '../queries/batch';
import { localMidnight, nextLocalMidnight, unixSeconds } from '../../lib/time';

/** One poll's traffic with one destination, booked to a series (app, interface, network). */
export interface DestUsage extends DestinationKey, DestinationTraffic {
  seriesId: number;
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

/** The destination tables: hours, and local days (migration 081). */
type DestTable = 'dest_1h' | 'dest_1d';

const ADD_SUMS = `rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
         rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets,
         first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`;

/**
 * foldDest keeps, for every app in the bucket starting at `ts` (an hour, or a local day), its
 * `top` destinations by bytes (over all its series) and sums the others, per series, into the
 * series' "other destinations" row; returns the rows folded away. Idempotent: a folded bucket
 * has nothing past its top.
 */
export function foldDest(db: Db, table: DestTable, ts: number, top = DEST_TOP): number {
  const ranked = `WITH ranked AS (
      SELECT s.app_id, d.remote, d.proto, d.port, d.inbound,
             ROW_NUMBER() OVER (PARTITION BY s.app_id ORDER BY SUM(d.rx_bytes + d.tx_bytes) DESC, d.remote, d.proto, d.port, d.inbound) AS rn
      FROM ${table} d JOIN series s ON s.id = d.series_id
      WHERE d.ts = ? AND d.remote <> '' GROUP BY s.app_id, d.remote, d.proto, d.port, d.inbound),
    tail AS (
      SELECT d.series_id, d.remote, d.proto, d.port, d.inbound FROM ${table} d JOIN series s ON s.id = d.series_id
      JOIN ranked r ON r.app_id = s.app_id AND r.remote = d.remote AND r.proto = d.proto AND r.port = d.port AND r.inbound = d.inbound
      WHERE d.ts = ? AND r.rn > ?)`;
  return db.transaction(() => {
    prepared(
      db,
      `${ranked}
       INSERT INTO ${table} (ts, series_id, remote, proto, port, inbound, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
       SELECT ?, d.series_id, '', 0, 0, 0, SUM(d.rx_bytes), SUM(d.tx_bytes), SUM(d.rx_packets), SUM(d.tx_packets), MIN(d.first_seen), MAX(d.last_seen)
       FROM ${table} d JOIN tail t USING (series_id, remote, proto, port, inbound) WHERE d.ts = ? GROUP BY d.series_id
       ON CONFLICT(series_id, ts, remote, proto, port, inbound) DO UPDATE SET ${ADD_SUMS}`,
    ).run(ts, ts, top, ts, ts);
    return prepared(
      db,
      `${ranked}
       DELETE FROM ${table} WHERE ts = ? AND (series_id, remote, proto, port, inbound) IN (SELECT series_id, remote, proto, port, inbound FROM tail)`,
    ).run(ts, ts, top, ts).changes;
  })();
}

/** foldDestHour is foldDest on one hour. */
export function foldDestHour(db: Db, hour: number, top = DEST_TOP): number {
  return foldDest(db, 'dest_1h', hour, top);
}

const HOURS_MARK = 'dest_folded_until';
const DAYS_MARK = 'dest_days_folded_until';

function getMark(db: Db, key: string): number | null {
  const row = prepared(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? Number(row.value) : null;
}

function setMark(db: Db, key: string, v: number): void {
  prepared(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, String(v));
}

/** destHoursFoldedUntil is where folded hours end: hours before it are in dest_1d too; null when none was folded yet. */
export function destHoursFoldedUntil(db: Db): number | null {
  return getMark(db, HOURS_MARK);
}

/**
 * foldDestinations folds every closed hour (before the one holding `now`) not folded yet and
 * adds it to its local day; then folds every closed day not folded yet. Returns rows folded
 * away. Each hour is one transaction with its watermark, so a crash never adds an hour twice.
 */
export function foldDestinations(db: Db, now: number, top = DEST_TOP): number {
  const current = now - (now % HOUR);
  const from = getMark(db, HOURS_MARK) ?? ((prepared(db, 'SELECT MIN(ts) AS t FROM dest_1h').get() as { t: number | null }).t ?? current);
  let n = 0;
  const hours = prepared(db, 'SELECT DISTINCT ts FROM dest_1h WHERE ts >= ? AND ts < ? ORDER BY ts').all(from, current) as Array<{ ts: number }>;
  for (const { ts } of hours) {
    db.transaction(() => {
      n += foldDestHour(db, ts, top);
      prepared(
        db,
        `INSERT INTO dest_1d (ts, series_id, remote, proto, port, inbound, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
         SELECT ?, series_id, remote, proto, port, inbound, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen FROM dest_1h WHERE ts = ?
         ON CONFLICT(series_id, ts, remote, proto, port, inbound) DO UPDATE SET ${ADD_SUMS}`,
      ).run(localMidnight(ts), ts);
      setMark(db, HOURS_MARK, ts + HOUR);
    })();
  }
  if (getMark(db, HOURS_MARK) === null || (getMark(db, HOURS_MARK) ?? 0) < current) setMark(db, HOURS_MARK, current);
  // A day is closed once every one of its hours has been added.
  const daysFrom = getMark(db, DAYS_MARK) ?? 0;
  const days = prepared(db, 'SELECT DISTINCT ts FROM dest_1d WHERE ts >= ? ORDER BY ts').all(daysFrom) as Array<{ ts: number }>;
  let foldedTo = daysFrom;
  for (const { ts } of days) {
    const end = nextLocalMidnight(ts);
    if (end > current) break;
    n += foldDest(db, 'dest_1d', ts, top);
    foldedTo = end;
  }
  if (foldedTo > daysFrom) setMark(db, DAYS_MARK, foldedTo);
  return n;
}

/** How long hourly destinations are kept (days hold them longer). */
export const DEST_HOURS_KEEP_DAYS = 2;

/**
 * pruneDestinations deletes destination days, and names last seen, longer ago than `keepDays`,
 * and hours older than DEST_HOURS_KEEP_DAYS (2) once they are in their day; returns rows deleted.
 */
export function pruneDestinations(db: Db, now: number, keepDays = DEST_KEEP_DAYS): number {
  const cut = now - keepDays * 86400;
  const folded = getMark(db, HOURS_MARK) ?? 0;
  prepared(db, 'DELETE FROM dest_names WHERE seen_at < ?').run(cut);
  const hours = prepared(db, 'DELETE FROM dest_1h WHERE ts < ?').run(Math.min(now - Math.min(keepDays, DEST_HOURS_KEEP_DAYS) * 86400, folded)).changes;
  return hours + prepared(db, 'DELETE FROM dest_1d WHERE ts < ?').run(localMidnight(cut)).changes;
}

/** clearDestinations deletes all destination history and learned names; returns rows deleted. */
export function clearDestinations(db: Db): number {
  return db.transaction(() => {
    const n = prepared(db, 'DELETE FROM dest_1h').run().changes + prepared(db, 'DELETE FROM dest_1d').run().changes;
    prepared(db, 'DELETE FROM dest_names').run();
    prepared(db, 'DELETE FROM settings WHERE key IN (?, ?)').run(HOURS_MARK, DAYS_MARK);
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
      names.map((n) => [n.addr, n.name, unixSeconds(n.at), unixSeconds(n.at) + n.ttl]),
    );
  })();
}
