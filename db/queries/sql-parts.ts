/** SQL fragments shared by the dashboard's read queries (not queries themselves). */
import type { Db } from '../open';
import { RESOLUTIONS, splitRange, type RangePiece, type UsageTable } from '../../lib/time';

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

const tablesOf = new WeakMap<Db, Set<string>>();

/**
 * usageTables lists the roll-up tables the store has, once per connection: a store the collector
 * has not migrated yet (before 004) has no monthly roll-up, and its readers must not ask for one.
 */
export function usageTables(db: Db): Set<string> {
  let t = tablesOf.get(db);
  if (!t) {
    const rows = db.pragma('table_list') as Array<{ schema: string; name: string }>;
    tablesOf.set(db, (t = new Set(rows.filter((r) => r.schema === 'main' && r.name.startsWith('usage_')).map((r) => r.name))));
  }
  return t;
}

/** splitRangeFor is lib/time splitRange limited to the roll-ups this store has. */
export function splitRangeFor(db: Db, since: number, until: number, now: number, opts: { coarsest?: UsageTable } = {}): RangePiece[] {
  const coarsest = opts.coarsest ?? (usageTables(db).has('usage_1mo') ? undefined : 'usage_1d');
  return splitRange(since, until, now, coarsest ? { coarsest } : {});
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
         FROM ${checkTable(p.table)} WHERE ${restrict ? `series_id IN (${scope}) AND ` : ''}ts >= ? AND ts < ? GROUP BY ${key}`;
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
