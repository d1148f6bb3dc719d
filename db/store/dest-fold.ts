/**
 * Keeping destinations bounded (issue 19): closed hours folded in place to each app's top
 * destinations, the rest summed into each series' "other destinations" row (dest_id 0), so an
 * hour's rows of a series always add up to what was added to it; each closed local day written
 * once, already folded, from its hours (migration 082); retention (hours 2 days, days as
 * configured, then the destination keys no row uses any more).
 */
import { prepared, type Db } from '../open';
import { localMidnight, nextLocalMidnight } from '../../lib/time';

/** How many destinations per app and hour (and day) are kept by name; the rest is "other destinations". */
export const DEST_TOP = 100;
/** Default retention of destination history, days. */
export const DEST_KEEP_DAYS = 90;
/** How long hourly destinations are kept (days hold them longer). */
export const DEST_HOURS_KEEP_DAYS = 2;

const HOUR = 3600;

/** Hours before this are folded. */
export const HOURS_MARK = 'dest_folded_until';
/** Local days before this are written to dest_1d (whole and folded); later ones are read from their hours. */
export const DAYS_MARK = 'dest_days_folded_until';

function getMark(db: Db, key: string): number | null {
  const row = prepared(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? Number(row.value) : null;
}

function setMark(db: Db, key: string, v: number): void {
  prepared(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, String(v));
}

/** The order destinations are ranked in: bytes, then the key itself (so ties rank the same way every time). */
const RANK = (bytes: string) => `ROW_NUMBER() OVER (PARTITION BY s.app_id ORDER BY SUM(${bytes}) DESC, k.remote, k.proto, k.port, k.inbound)`;

const ADD_SUMS = `rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
         rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets,
         first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`;

/**
 * foldDest keeps, for every app in the hour starting at `ts`, its `top` destinations by bytes
 * (over all its series) and sums the others, per series, into the series' "other destinations"
 * row; returns the rows folded away. Idempotent: a folded hour has nothing past its top.
 */
export function foldDest(db: Db, table: 'dest_1h', ts: number, top = DEST_TOP): number {
  const ranked = `WITH ranked AS (
      SELECT s.app_id, d.dest_id, ${RANK('d.rx_bytes + d.tx_bytes')} AS rn
      FROM ${table} d JOIN series s ON s.id = d.series_id JOIN dest_keys k ON k.id = d.dest_id
      WHERE d.ts = ? AND d.dest_id <> 0 GROUP BY s.app_id, d.dest_id),
    tail AS (
      SELECT d.series_id, d.dest_id FROM ${table} d JOIN series s ON s.id = d.series_id
      JOIN ranked r ON r.app_id = s.app_id AND r.dest_id = d.dest_id
      WHERE d.ts = ? AND r.rn > ?)`;
  return db.transaction(() => {
    prepared(
      db,
      `${ranked}
       INSERT INTO ${table} (ts, series_id, dest_id, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
       SELECT ?, d.series_id, 0, SUM(d.rx_bytes), SUM(d.tx_bytes), SUM(d.rx_packets), SUM(d.tx_packets), MIN(d.first_seen), MAX(d.last_seen)
       FROM ${table} d JOIN tail t USING (series_id, dest_id) WHERE d.ts = ? GROUP BY d.series_id
       ON CONFLICT(ts, series_id, dest_id) DO UPDATE SET ${ADD_SUMS}`,
    ).run(ts, ts, top, ts, ts);
    return prepared(
      db,
      `${ranked}
       DELETE FROM ${table} WHERE ts = ? AND (series_id, dest_id) IN (SELECT series_id, dest_id FROM tail)`,
    ).run(ts, ts, top, ts).changes;
  })();
}

/** foldDestHour is foldDest on one hour. */
export function foldDestHour(db: Db, hour: number, top = DEST_TOP): number {
  return foldDest(db, 'dest_1h', hour, top);
}

/**
 * writeDestDay writes the closed local day starting at `day` to dest_1d from its hours: per app
 * its `top` destinations by bytes over the day, the others summed per series into the series'
 * "other destinations" row, in key order (the rows go to the end of the table, onto pages of
 * their own). Returns the rows written.
 */
function writeDestDay(db: Db, day: number, top: number): number {
  return prepared(
    db,
    `WITH h AS (
       SELECT series_id, dest_id, SUM(rx_bytes) AS rx, SUM(tx_bytes) AS tx, SUM(rx_packets) AS rxp, SUM(tx_packets) AS txp,
              MIN(ts + first_seen) AS fs, MAX(ts + last_seen) AS ls
       FROM dest_1h WHERE ts >= ? AND ts < ? GROUP BY series_id, dest_id),
     ranked AS (
       SELECT s.app_id, h.dest_id, ${RANK('h.rx + h.tx')} AS rn
       FROM h JOIN series s ON s.id = h.series_id JOIN dest_keys k ON k.id = h.dest_id GROUP BY s.app_id, h.dest_id)
     INSERT INTO dest_1d (ts, series_id, dest_id, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
     SELECT ?, h.series_id, CASE WHEN r.rn <= ? THEN h.dest_id ELSE 0 END AS dest, SUM(h.rx), SUM(h.tx), SUM(h.rxp), SUM(h.txp), MIN(h.fs) - ?, MAX(h.ls) - ?
     FROM h JOIN series s ON s.id = h.series_id LEFT JOIN ranked r ON r.app_id = s.app_id AND r.dest_id = h.dest_id
     WHERE true GROUP BY h.series_id, dest ORDER BY h.series_id, dest
     ON CONFLICT(ts, series_id, dest_id) DO UPDATE SET ${ADD_SUMS}`,
  ).run(day, nextLocalMidnight(day), day, top, day, day).changes;
}

/** destHoursFoldedUntil is where folded hours end; null when none was folded yet. */
export function destHoursFoldedUntil(db: Db): number | null {
  return getMark(db, HOURS_MARK);
}

/** destDaysWrittenUntil is where the days in dest_1d end (local midnight); null when none was written yet. */
export function destDaysWrittenUntil(db: Db): number | null {
  return getMark(db, DAYS_MARK);
}

/**
 * foldDestinations folds every closed hour (before the one holding `now`) not folded yet, then
 * writes every closed local day not written yet from its hours. Returns rows folded away. Each
 * hour and each day is one transaction with its watermark, so a crash never adds one twice.
 */
export function foldDestinations(db: Db, now: number, top = DEST_TOP): number {
  const current = now - (now % HOUR);
  const first = (prepared(db, 'SELECT MIN(ts) AS t FROM dest_1h').get() as { t: number | null }).t ?? current;
  const from = getMark(db, HOURS_MARK) ?? first;
  let n = 0;
  const hours = prepared(db, 'SELECT DISTINCT ts FROM dest_1h WHERE ts >= ? AND ts < ? ORDER BY ts').pluck().all(from, current) as number[];
  for (const ts of hours) {
    db.transaction(() => {
      n += foldDestHour(db, ts, top);
      setMark(db, HOURS_MARK, ts + HOUR);
    })();
  }
  if ((getMark(db, HOURS_MARK) ?? 0) < current) setMark(db, HOURS_MARK, current);
  // A day is closed once every one of its hours is: the days before the one holding `current`.
  const daysFrom = getMark(db, DAYS_MARK) ?? localMidnight(first);
  const daysTo = localMidnight(current);
  if (daysTo <= daysFrom) return n;
  const days = new Set((prepared(db, 'SELECT DISTINCT ts FROM dest_1h WHERE ts >= ? AND ts < ? ORDER BY ts').pluck().all(daysFrom, daysTo) as number[]).map(localMidnight));
  for (const day of days) {
    db.transaction(() => {
      writeDestDay(db, day, top);
      setMark(db, DAYS_MARK, nextLocalMidnight(day));
    })();
  }
  setMark(db, DAYS_MARK, daysTo);
  return n;
}

/**
 * pruneDestinations deletes destination days, and names last seen, longer ago than `keepDays`,
 * and hours older than DEST_HOURS_KEEP_DAYS (2) once their day is written; when days went, the
 * destination keys no row uses any more. Returns roll-up rows deleted.
 */
export function pruneDestinations(db: Db, now: number, keepDays = DEST_KEEP_DAYS): number {
  const cut = now - keepDays * 86400;
  const written = getMark(db, DAYS_MARK) ?? 0;
  return db.transaction(() => {
    prepared(db, 'DELETE FROM dest_names WHERE seen_at < ?').run(cut);
    const hours = prepared(db, 'DELETE FROM dest_1h WHERE ts < ?').run(Math.min(now - Math.min(keepDays, DEST_HOURS_KEEP_DAYS) * 86400, written)).changes;
    const days = prepared(db, 'DELETE FROM dest_1d WHERE ts < ?').run(localMidnight(cut)).changes;
    // Once a day at most (days go a day at a time): a pass over every roll-up row.
    if (days) prepared(db, 'DELETE FROM dest_keys WHERE id NOT IN (SELECT dest_id FROM dest_1h UNION SELECT dest_id FROM dest_1d)').run();
    return hours + days;
  })();
}
