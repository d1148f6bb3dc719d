/** SQL fragments shared by the dashboard's read queries (not queries themselves). */
import { hasTable, prepared, type Db } from '../open';
import { bucketStart, nextLocalMidnight, nextLocalMonthStart, RESOLUTIONS, splitRange, type RangePiece, type Resolution, type UsageTable } from '../../lib/time';

/**
 * A chart's grid: buckets of one roll-up table starting in [from, until), drawn as points `step`
 * seconds apart (from + k·step; the caller merges buckets); usage_1d and usage_1mo keep their local-midnight buckets.
 */
export interface ChartGrid {
  table: UsageTable;
  from: number;
  step: number;
}

const TABLES = new Set<string>(RESOLUTIONS.map((r) => r.table));

export function checkTable(t: string): UsageTable {
  if (!TABLES.has(t)) throw new Error(`unknown usage table ${t}`);
  return t as UsageTable;
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

const usageOf = new WeakMap<Db, Set<string>>();

/**
 * usageTables lists the roll-up tables the store has, once per connection: a store the collector
 * has not migrated yet (before 004) has no monthly roll-up, and its readers must not ask for one.
 */
export function usageTables(db: Db): Set<string> {
  let t = usageOf.get(db);
  if (!t) usageOf.set(db, (t = new Set([...RESOLUTIONS.map((r) => r.table), 'usage_link'].filter((n) => hasTable(db, n)))));
  return t;
}

/**
 * The roll-up watermark (migration 008) as a scalar subquery: the coarse roll-ups hold the traffic
 * before it, usage_10s all of it. Read inside the same statement as the rows, so a roll-up that
 * commits between two statements can neither be missed nor counted twice. NULL (no row, or a store
 * before 008) leaves no tail: the coarse roll-ups are complete.
 */
export const ROLLUP_UNTIL_SQL = '(SELECT until FROM rollup_state WHERE id = 1)';

const deferring = new WeakSet<Db>();

/**
 * hasRollupState says whether the store defers its coarse roll-ups (migration 008). Asked again
 * until it does: a dashboard opened before the collector's upgrade must then add the tails.
 */
export function hasRollupState(db: Db): boolean {
  if (deferring.has(db)) return true;
  if (!hasTable(db, 'rollup_state')) return false;
  deferring.add(db);
  return true;
}

/** rollupUntil reads the watermark now (unix s), or null when the coarse roll-ups are complete. */
export function rollupUntil(db: Db): number | null {
  if (!hasRollupState(db)) return null;
  const row = prepared(db, 'SELECT until FROM rollup_state WHERE id = 1').get() as { until: number } | undefined;
  return row ? row.until : null;
}

/**
 * splitRangeFor is lib/time splitRange limited to the roll-ups this store has, with the deferred
 * tail: each coarse piece that ends after the watermark is followed by a usage_10s piece over the
 * same span from the watermark on (`tail`: its lower bound is the watermark read in the statement).
 */
export function splitRangeFor(db: Db, since: number, until: number, now: number, opts: { coarsest?: UsageTable } = {}): RangePiece[] {
  const coarsest = opts.coarsest ?? (usageTables(db).has('usage_1mo') ? undefined : 'usage_1d');
  const pieces = splitRange(since, until, now, coarsest ? { coarsest } : {});
  const w = rollupUntil(db);
  if (w === null) return pieces;
  return pieces.flatMap((p) => (p.table !== 'usage_10s' && p.to > w ? [p, { table: 'usage_10s' as const, from: p.from, to: p.to, tail: true }] : [p]));
}

/** pieceWhere is the ts condition of a range piece, two bound values (from, to). */
export function pieceWhere(p: RangePiece): string {
  return p.tail ? `ts >= MAX(?, ${ROLLUP_UNTIL_SQL}) AND ts < ?` : 'ts >= ? AND ts < ?';
}

/** bucketStarts lists the starts of res's buckets from the one holding `from` through the one after `to`. */
export function bucketStarts(res: Resolution, from: number, to: number): number[] {
  const next = res.table === 'usage_1mo' ? nextLocalMonthStart : nextLocalMidnight;
  const out: number[] = [];
  for (let b = bucketStart(from, res); out.length === 0 || out[out.length - 1] <= to; b = next(b)) out.push(b);
  return out;
}

/**
 * bucketOf maps usage_10s rows (column ts) to res's bucket start: arithmetic for minutes and hours,
 * for local days and months a CASE over their starts between from and to (bound values).
 */
export function bucketOf(res: Resolution, from: number, to: number): { sql: string; params: number[] } {
  if (res.table === 'usage_1m' || res.table === 'usage_1h') return { sql: `ts - ts % ${res.seconds}`, params: [] };
  const starts = bucketStarts(res, from, to).reverse();
  return { sql: `CASE ${starts.map(() => 'WHEN ts >= ? THEN ?').join(' ')} ELSE ${starts[starts.length - 1]} END`, params: starts.flatMap((b) => [b, b]) };
}

/**
 * rollupSource is a roll-up table as complete buckets for a chart or a per-day read: its rows plus
 * the usage_10s rows from the watermark on, mapped to its buckets (the reader groups by ts). The
 * table's own name when nothing is deferred.
 */
export function rollupSource(db: Db, table: UsageTable): { sql: string; params: number[] } {
  const w = table === 'usage_10s' ? null : rollupUntil(db);
  if (w === null) return { sql: table, params: [] };
  const hi = (prepared(db, 'SELECT MAX(ts) AS hi FROM usage_10s').get() as { hi: number | null }).hi ?? w;
  const res = RESOLUTIONS.find((r) => r.table === table)!;
  const b = bucketOf(res, w, Math.max(hi, w));
  const cols = 'series_id, rx_bytes, tx_bytes, rx_packets, tx_packets';
  return {
    sql: `(SELECT ts, ${cols} FROM ${checkTable(table)} UNION ALL SELECT ${b.sql} AS ts, ${cols} FROM usage_10s WHERE ts >= ${ROLLUP_UNTIL_SQL})`,
    params: b.params,
  };
}

/** and appends a condition to a WHERE clause that may be empty. */
export function and(where: string, cond: string): string {
  return where ? `${where} AND ${cond}` : `WHERE ${cond}`;
}

/**
 * totalsCte sums a period's roll-up rows per series (and per bucket when byTs) before any join:
 * the joins then run once per series instead of once per row. Each range piece is summed on its
 * own, restricted to the filter's series; on usage_1d that restriction probes the (series_id, ts)
 * index series by series (migrations 003, 006), so a year of days over thousands of series needs no sort.
 * The result is the CTE `t(series_id[, ts], rx, tx, rxp, txp)`.
 */
export function totalsCte(db: Db, f: UsageFilter, now: number, opts: { byTs?: boolean; appId?: number } = {}): { sql: string; params: Array<string | number> } {
  const w = seriesFilterSql(f);
  const key = opts.byTs ? 'series_id, ts' : 'series_id';
  const scope = `SELECT s.id FROM series s JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id
         ${opts.appId === undefined ? w.sql : and(w.sql, 's.app_id = ?')}`;
  const scopeParams = opts.appId === undefined ? w.params : [...w.params, opts.appId];
  // Unfiltered totals (months and a few edge pieces) read every series anyway: building the
  // series list once per piece cost more than the pieces themselves.
  const restrict = opts.byTs || opts.appId !== undefined || w.sql !== '';
  const params: Array<string | number> = [];
  const parts = splitRangeFor(db, f.since, f.until, now, opts.byTs ? { coarsest: 'usage_1d' } : {}).map((p) => {
    if (restrict) params.push(...scopeParams);
    params.push(p.from, p.to);
    return `SELECT ${key}, SUM(rx_bytes) AS rx, SUM(tx_bytes) AS tx, SUM(rx_packets) AS rxp, SUM(tx_packets) AS txp
         FROM ${checkTable(p.table)} WHERE ${restrict ? `series_id IN (${scope}) AND ` : ''}${pieceWhere(p)} GROUP BY ${key}`;
  });
  const body = parts.length ? parts.join('\n         UNION ALL ') : 'SELECT 0 AS series_id, 0 AS ts, 0 AS rx, 0 AS tx, 0 AS rxp, 0 AS txp WHERE 0';
  return {
    sql: `WITH p AS (${body}),
       t AS (SELECT ${key}, SUM(rx) AS rx, SUM(tx) AS tx, SUM(rxp) AS rxp, SUM(txp) AS txp FROM p GROUP BY ${key})`,
    params,
  };
}

/**
 * seriesJoins joins only what a per-row scan of `u` needs: series when the filter or the caller
 * (needSeries) uses it, interfaces and networks when the filter names them.
 */
export function seriesJoins(f: UsageFilter, opts: { needSeries?: boolean } = { needSeries: true }): string {
  const ifaces = Boolean(f.ifaces && f.ifaces.length);
  const metered = f.metered !== undefined;
  if (!opts.needSeries && !ifaces && !metered && f.networkId === undefined) return '';
  let j = 'JOIN series s ON s.id = u.series_id';
  if (ifaces) j += ' JOIN interfaces i ON i.id = s.iface_id';
  if (metered) j += ' JOIN networks n ON n.id = s.network_id';
  return j;
}

export const T_JOINS = `JOIN series s ON s.id = t.series_id JOIN apps a ON a.id = s.app_id
       JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id`;
