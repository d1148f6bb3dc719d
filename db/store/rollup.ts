/** The roll-up engine: closed 10 s buckets added to the coarse roll-ups behind a watermark (migration 008), and retention. */
import { prepared, type Db } from '../open';
import { runBatched } from '../queries/batch';
import { bucketOf, hasRollupState, rollupUntil, usageTables } from '../queries/sql-parts';
import { bucketStart, RESOLUTIONS } from '../../lib/time';
import { timeWrite, UPSERT_SUMS, type Timed } from './upsert';

/** How far (seconds) the coarse roll-ups may lag usage_10s before a poll adds the closed 10 s buckets to them. */
export const ROLLUP_EVERY = 60;

const COARSE = RESOLUTIONS.filter((r) => r.table !== 'usage_10s');

/**
 * The rows written since the watermark, kept by the writing connection so that a roll-up need not
 * read them back: per 10 s bucket, per series, [rx, tx, rx packets, tx packets]. `complete` when
 * nothing was waiting in usage_10s as they started (not so after a restart). A roll-up uses them
 * only when their count and sums match usage_10s over its span, so rows of a poll whose transaction
 * failed (which the store no longer has) can never be counted.
 */
interface Pending {
  from: number;
  complete: boolean;
  buckets: Map<number, Map<number, Sums>>;
}

const pendingOf = new WeakMap<Db, Pending>();

function waitingFrom(db: Db, from: number): boolean {
  return Boolean(prepared(db, 'SELECT 1 FROM usage_10s WHERE ts >= ? LIMIT 1').get(from));
}

export function remember(db: Db, until: number, b10: number, rows: ReadonlyArray<readonly [number, number, number, number, number]>): void {
  let p = pendingOf.get(db);
  if (!p || p.from !== until) pendingOf.set(db, (p = { from: until, complete: !waitingFrom(db, until), buckets: new Map() }));
  let bucket = p.buckets.get(b10);
  if (!bucket) p.buckets.set(b10, (bucket = new Map()));
  for (const r of rows) {
    const v = bucket.get(r[0]);
    if (!v) bucket.set(r[0], [r[1], r[2], r[3], r[4]]);
    else for (let i = 0; i < 4; i++) v[i] += r[i + 1];
  }
}

type Sums = [number, number, number, number];

/** What usage_10s holds in a span: rows, the four sums, first and last bucket. */
interface Span {
  n: number;
  rx: number;
  tx: number;
  rxp: number;
  txp: number;
  lo: number | null;
  hi: number | null;
}

/** pendingRows returns what the connection wrote in the span, per 10 s bucket, if it is exactly what usage_10s holds there, else null. */
function pendingRows(db: Db, from: number, to: number, got: Span): Array<[number, Map<number, Sums>]> | null {
  const p = pendingOf.get(db);
  if (!p || !p.complete || p.from !== from) return null;
  const out = [...p.buckets].filter(([b10]) => b10 >= from && b10 < to);
  let n = 0;
  const sums = [0, 0, 0, 0];
  for (const [, bucket] of out) {
    n += bucket.size;
    for (const v of bucket.values()) for (let i = 0; i < 4; i++) sums[i] += v[i];
  }
  const same = got.n === n && got.rx === sums[0] && got.tx === sums[1] && got.rxp === sums[2] && got.txp === sums[3];
  return same ? out : null;
}

/**
 * rollUp adds the usage_10s rows from the watermark up to `to` (a 10 s boundary; every bucket
 * before it closed) to each coarser roll-up and moves the watermark to `to`, in one transaction
 * (a savepoint inside the poll's). From the rows the connection remembers when they check out
 * (one multi-row upsert per table), else read back with one INSERT … SELECT per table. Nothing is
 * written when no row is waiting (an idle poll writes nothing); the watermark then stays where it
 * was, which readers do not mind.
 */
export function rollUp(db: Db, to: number, timed?: Timed): boolean {
  if (to % 10 !== 0) throw new Error(`rollUp: ${to} is not a 10 s boundary`);
  const from = rollupUntil(db);
  if (from === null || to <= from) return false;
  const span = prepared(
    db,
    `SELECT COUNT(*) AS n, COALESCE(SUM(rx_bytes), 0) AS rx, COALESCE(SUM(tx_bytes), 0) AS tx, COALESCE(SUM(rx_packets), 0) AS rxp,
            COALESCE(SUM(tx_packets), 0) AS txp, MIN(ts) AS lo, MAX(ts) AS hi FROM usage_10s WHERE ts >= ? AND ts < ?`,
  ).get(from, to) as Span;
  const { lo, hi } = span;
  if (lo === null || hi === null) return false;
  const present = usageTables(db);
  const kept = pendingRows(db, from, to, span);
  const merged = new Map<string, Array<[number, Sums]>>();
  /** mergeOf sums the kept 10 s buckets b10s per series, in series order. */
  const mergeOf = (b10s: number[]): Array<[number, Sums]> => {
    const key = b10s.join(',');
    let out = merged.get(key);
    if (out) return out;
    const by = new Map<number, Sums>();
    for (const [b10, bucket] of kept ?? []) {
      if (!b10s.includes(b10)) continue;
      for (const [sid, v] of bucket) {
        const w = by.get(sid);
        if (!w) by.set(sid, [v[0], v[1], v[2], v[3]]);
        else for (let i = 0; i < 4; i++) w[i] += v[i];
      }
    }
    merged.set(key, (out = [...by].sort((x, y) => x[0] - y[0])));
    return out;
  };
  const time = (table: string, write: () => void) => timeWrite(timed, `roll-up ${table}${kept ? '' : ' (read back)'}`, write);
  db.transaction(() => {
    for (const res of COARSE) {
      if (!present.has(res.table)) continue;
      if (kept) {
        // A handful of 10 s buckets, each mapped to its coarse bucket once (local days and months
        // cost a Date each). Usually the hour, the day and the month each hold all of them: their
        // per-series sums are the same and are added up once.
        const groups = new Map<number, number[]>();
        for (const [b10] of kept) {
          const b = bucketStart(b10, res);
          groups.set(b, [...(groups.get(b) ?? []), b10]);
        }
        const rows: number[][] = [];
        for (const [b, b10s] of [...groups].sort((x, y) => x[0] - y[0])) {
          for (const [sid, v] of mergeOf(b10s)) rows.push([b, sid, v[0], v[1], v[2], v[3]]);
        }
        time(res.table, () => runBatched(
          db,
          (values) => `INSERT INTO ${res.table} (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets) VALUES ${values}
           ${UPSERT_SUMS}`,
          6,
          rows,
        ));
        continue;
      }
      const b = bucketOf(res, lo, hi);
      time(res.table, () => prepared(
        db,
        `INSERT INTO ${res.table} (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets)
         SELECT ${b.sql} AS b, series_id, SUM(rx_bytes), SUM(tx_bytes), SUM(rx_packets), SUM(tx_packets)
         FROM usage_10s WHERE ts >= ? AND ts < ? GROUP BY b, series_id
         ${UPSERT_SUMS}`,
      ).run(...b.params, from, to));
    }
    prepared(db, 'UPDATE rollup_state SET until = ? WHERE id = 1').run(to);
  })();
  pendingOf.set(db, { from: to, complete: !waitingFrom(db, to), buckets: new Map() });
  return true;
}

/** pruneUsage deletes roll-up rows (and their per-link totals) older than each table's retention; returns series rows deleted. */
export function pruneUsage(db: Db, now: number): number {
  let n = 0;
  if (hasRollupState(db)) rollUp(db, now - (now % 10));
  const until = rollupUntil(db);
  for (const res of RESOLUTIONS) {
    if (res.keepSeconds === null) continue;
    // 10 s rows the coarse roll-ups do not hold yet stay, however old (a collector stopped for days).
    const cut = res.table === 'usage_10s' && until !== null ? Math.min(now - res.keepSeconds, until) : now - res.keepSeconds;
    n += db.prepare(`DELETE FROM ${res.table} WHERE ts < ?`).run(cut).changes;
    if (usageTables(db).has('usage_link')) db.prepare('DELETE FROM usage_link WHERE res = ? AND ts < ?').run(res.seconds, cut);
  }
  return n;
}
