import { prepared, type Db } from '../open';
import { runBatched } from './batch';
import { bucketStart, RESOLUTIONS, type RangePiece } from '../../lib/time';
import { bucketOf, hasRollupState, pieceWhere, rollupUntil, seriesFilterSql, splitRangeFor, totalsCte, usageTables, type UsageFilter } from './sql-parts';

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

/** Hears how long each part of a write took, by name (the write benchmark's breakdown). */
type Timed = (part: string, ms: number) => void;

/** timeWrite runs a write and, when someone listens, says how long it took. */
function timeWrite(timed: Timed | undefined, part: string, write: () => void): void {
  if (!timed) return write();
  const t0 = performance.now();
  write();
  timed(part, performance.now() - t0);
}

/** How far (seconds) the coarse roll-ups may lag usage_10s before a poll adds the closed 10 s buckets to them. */
export const ROLLUP_EVERY = 60;

const COARSE = RESOLUTIONS.filter((r) => r.table !== 'usage_10s');

const UPSERT_SUMS = `ON CONFLICT(ts, series_id) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
         rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets`;

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

function remember(db: Db, until: number, b10: number, rows: ReadonlyArray<readonly [number, number, number, number, number]>): void {
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
