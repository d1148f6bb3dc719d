/** Read queries behind the dashboard pages and reports. Writes: only updateNetworkSettings. */
import type { Db } from '../open';
import { localMidnight, RESOLUTIONS, splitRange, type UsageTable } from '../../lib/time';
import type { ReportBy, ReportRow } from '../../lib/report';
import { rangeSql, seriesFilterSql, type UsageFilter } from './usage';

const TABLES = new Set<string>(RESOLUTIONS.map((r) => r.table));

function checkTable(t: string): UsageTable {
  if (!TABLES.has(t)) throw new Error(`unknown usage table ${t}`);
  return t as UsageTable;
}

/** and appends a condition to a WHERE clause that may be empty. */
function and(where: string, cond: string): string {
  return where ? `${where} AND ${cond}` : `WHERE ${cond}`;
}

/**
 * totalsCte sums a period's roll-up rows per series (and per bucket when byTs) before any join:
 * the joins then run once per series instead of once per row. Each range piece is summed on its
 * own, restricted to the filter's series; on usage_1d that restriction probes the (series_id, ts)
 * index series by series (migration 003), so a year over thousands of series needs no sort.
 * The result is the CTE `t(series_id[, ts], rx, tx, rxp, txp)`.
 */
function totalsCte(f: UsageFilter, now: number, opts: { byTs?: boolean; appId?: number } = {}): { sql: string; params: Array<string | number> } {
  const w = seriesFilterSql(f);
  const key = opts.byTs ? 'series_id, ts' : 'series_id';
  const scope = `SELECT s.id FROM series s JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id
         ${opts.appId === undefined ? w.sql : and(w.sql, 's.app_id = ?')}`;
  const scopeParams = opts.appId === undefined ? w.params : [...w.params, opts.appId];
  const params: Array<string | number> = [];
  const parts = splitRange(f.since, f.until, now).map((p) => {
    params.push(...scopeParams, p.from, p.to);
    return `SELECT ${key}, SUM(rx_bytes) AS rx, SUM(tx_bytes) AS tx, SUM(rx_packets) AS rxp, SUM(tx_packets) AS txp
         FROM ${checkTable(p.table)} WHERE series_id IN (${scope}) AND ts >= ? AND ts < ? GROUP BY ${key}`;
  });
  const body = parts.length ? parts.join('\n         UNION ALL ') : 'SELECT 0 AS series_id, 0 AS ts, 0 AS rx, 0 AS tx, 0 AS rxp, 0 AS txp WHERE 0';
  return {
    sql: `WITH p AS (${body}),
       t AS (SELECT ${key}, SUM(rx) AS rx, SUM(tx) AS tx, SUM(rxp) AS rxp, SUM(txp) AS txp FROM p GROUP BY ${key})`,
    params,
  };
}

/** seriesJoins joins only what a filter needs to a per-row scan of `u` (the series row always). */
function seriesJoins(f: UsageFilter): string {
  let j = 'JOIN series s ON s.id = u.series_id';
  if (f.ifaces && f.ifaces.length) j += ' JOIN interfaces i ON i.id = s.iface_id';
  if (f.metered !== undefined) j += ' JOIN networks n ON n.id = s.network_id';
  return j;
}

const T_JOINS = `JOIN series s ON s.id = t.series_id JOIN apps a ON a.id = s.app_id
       JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id`;

export interface DataState {
  hasUsage: boolean;
  /** Unix ms of the collector's latest poll, null if it never ran. */
  lastPoll: number | null;
  lastPollOk: boolean | null;
  lastError: string | null;
}

/** getDataState says whether the collector has written anything yet and when it last polled. */
export function getDataState(db: Db): DataState {
  const any = db.prepare('SELECT 1 FROM usage_1d LIMIT 1').get();
  const poll = db.prepare("SELECT ok, last_run AS lastRun, error FROM collector_status WHERE source = 'poll'").get() as
    | { ok: number; lastRun: number; error: string | null }
    | undefined;
  return { hasUsage: Boolean(any), lastPoll: poll?.lastRun ?? null, lastPollOk: poll ? poll.ok === 1 : null, lastError: poll?.error ?? null };
}

interface RawReportRow {
  ts?: number;
  appKey: string;
  appName: string;
  kind: string;
  iface?: string;
  network?: string;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/**
 * getReportRows answers a usage report exactly over [since, until): per app, per (app, interface)
 * or per (app, local day), ordered by total bytes (days in order, then bytes).
 */
export function getReportRows(db: Db, f: UsageFilter, by: ReportBy, now: number): ReportRow[] {
  const c = totalsCte(f, now, { byTs: by === 'app,day' });
  const w = seriesFilterSql(f);
  const group = by === 'app' ? 'a.id' : by === 'app,iface' ? 'a.id, i.id, n.id' : 't.ts, a.id';
  const cols = by === 'app,iface' ? ', i.name AS iface, n.name AS network' : by === 'app,day' ? ', t.ts AS ts' : '';
  const raw = db
    .prepare(
      `${c.sql}
       SELECT a.app_key AS appKey, a.name AS appName, a.kind ${cols},
              SUM(t.rx) AS rxBytes, SUM(t.tx) AS txBytes, SUM(t.rxp) AS rxPackets, SUM(t.txp) AS txPackets
       FROM t ${T_JOINS} ${w.sql}
       GROUP BY ${group} ORDER BY rxBytes + txBytes DESC, a.app_key`,
    )
    .all(...c.params, ...w.params) as RawReportRow[];
  if (by !== 'app,day') {
    return raw.map(({ ts: _ts, ...x }) => ({ ...x, since: f.since, until: f.until }));
  }
  const days = new Map<string, ReportRow>();
  for (const x of raw) {
    const day = localMidnight(x.ts ?? f.since);
    const k = `${day}\u0000${x.appKey}`;
    const cur = days.get(k);
    if (cur) {
      cur.rxBytes += x.rxBytes;
      cur.txBytes += x.txBytes;
      cur.rxPackets += x.rxPackets;
      cur.txPackets += x.txPackets;
    } else {
      const next = localMidnight(day + 26 * 3600);
      days.set(k, {
        since: Math.max(day, f.since), until: Math.min(next, f.until), appKey: x.appKey, appName: x.appName, kind: x.kind,
        rxBytes: x.rxBytes, txBytes: x.txBytes, rxPackets: x.rxPackets, txPackets: x.txPackets,
      });
    }
  }
  return [...days.values()].sort((a, b) => a.since - b.since || b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes) || a.appKey.localeCompare(b.appKey));
}

export interface NetworkTotal {
  networkId: number;
  name: string;
  kind: string;
  metered: boolean;
  ifaces: string;
  rxBytes: number;
  txBytes: number;
}

/** getNetworkTotals sums a period's bytes per network, exactly. */
export function getNetworkTotals(db: Db, f: UsageFilter, now: number): NetworkTotal[] {
  const c = totalsCte(f, now);
  const w = seriesFilterSql(f);
  const rows = db
    .prepare(
      `${c.sql}
       SELECT n.id AS networkId, n.name, n.kind, COALESCE(n.metered_user, n.metered_auto, 0) AS metered,
              GROUP_CONCAT(DISTINCT i.name) AS ifaces, SUM(t.rx) AS rxBytes, SUM(t.tx) AS txBytes
       FROM t ${T_JOINS} ${w.sql}
       GROUP BY n.id ORDER BY rxBytes + txBytes DESC`,
    )
    .all(...c.params, ...w.params) as Array<Omit<NetworkTotal, 'metered'> & { metered: number }>;
  return rows.map((x) => ({ ...x, metered: x.metered === 1 }));
}

export interface SeriesTotalRow {
  appId: number;
  appKey: string;
  appName: string;
  kind: string;
  networkId: number;
  networkName: string;
  networkKind: string;
  metered: boolean;
  iface: string;
  rxBytes: number;
  txBytes: number;
}

/**
 * getSeriesTotals sums a period exactly per (app, interface, network) series matching the filter:
 * one pass from which the Overview derives both its app ranking and its per-network totals.
 */
export function getSeriesTotals(db: Db, f: UsageFilter, now: number): SeriesTotalRow[] {
  const c = totalsCte(f, now);
  const w = seriesFilterSql(f);
  const rows = db
    .prepare(
      `${c.sql}
       SELECT a.id AS appId, a.app_key AS appKey, a.name AS appName, a.kind, n.id AS networkId, n.name AS networkName,
              n.kind AS networkKind, COALESCE(n.metered_user, n.metered_auto, 0) AS metered, i.name AS iface,
              t.rx AS rxBytes, t.tx AS txBytes
       FROM t ${T_JOINS} ${w.sql}`,
    )
    .all(...c.params, ...w.params) as Array<Omit<SeriesTotalRow, 'metered'> & { metered: number }>;
  return rows.map((r) => ({ ...r, metered: r.metered === 1 }));
}

export interface SeriesPoint {
  ts: number;
  /** The app id, or 0 for "all other apps". */
  appId: number;
  rxBytes: number;
  txBytes: number;
}

/**
 * A chart's grid: buckets of one roll-up table starting in [from, until), drawn as points `step`
 * seconds apart (from + k·step; the caller merges buckets); usage_1d keeps its local-midnight buckets.
 */
export interface ChartGrid {
  table: UsageTable;
  from: number;
  step: number;
}

/**
 * getPointTotals sums all matching traffic per roll-up bucket of a chart grid's table, in
 * [grid.from, until). Grouping by the primary key's leading column streams without a sort.
 */
export function getPointTotals(db: Db, f: UsageFilter, grid: ChartGrid): Array<{ ts: number; rxBytes: number; txBytes: number }> {
  const t = checkTable(grid.table);
  const w = seriesFilterSql(f);
  return db
    .prepare(
      `SELECT u.ts, SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes
       FROM ${t} u ${seriesJoins(f)} ${and(w.sql, 'u.ts >= ? AND u.ts < ?')}
       GROUP BY u.ts ORDER BY u.ts`,
    )
    .all(...w.params, grid.from, f.until) as Array<{ ts: number; rxBytes: number; txBytes: number }>;
}

/**
 * getAppPoints sums the given apps' traffic per roll-up bucket of a chart grid's table; only
 * their series are read (the rest of the chart is getPointTotals minus these).
 */
export function getAppPoints(db: Db, f: UsageFilter, grid: ChartGrid, appIds: number[]): SeriesPoint[] {
  if (!appIds.length) return [];
  const t = checkTable(grid.table);
  const w = seriesFilterSql(f);
  const list = appIds.map(() => '?').join(',');
  return db
    .prepare(
      `SELECT u.ts, s.app_id AS appId, SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes
       FROM ${t} u ${seriesJoins(f)}
       ${and(w.sql, `u.ts >= ? AND u.ts < ? AND u.series_id IN (SELECT id FROM series WHERE app_id IN (${list}))`)}
       GROUP BY u.ts, s.app_id ORDER BY u.ts`,
    )
    .all(...w.params, grid.from, f.until, ...appIds) as SeriesPoint[];
}

export interface AppRow {
  id: number;
  appKey: string;
  kind: string;
  name: string;
  unit: string | null;
  exe: string | null;
  firstSeen: number;
  lastSeen: number;
}

/** getApp returns one app by id, or null. */
export function getApp(db: Db, id: number): AppRow | null {
  return (
    (db
      .prepare('SELECT id, app_key AS appKey, kind, name, unit, exe, first_seen AS firstSeen, last_seen AS lastSeen FROM apps WHERE id = ?')
      .get(id) as AppRow | undefined) ?? null
  );
}

export interface AppCgroup {
  cgroupId: number;
  path: string;
  firstSeen: number;
  lastSeen: number;
  goneAt: number | null;
}

/** getAppCgroups lists an app's cgroups, live ones first, newest first. */
export function getAppCgroups(db: Db, appId: number, limit = 50): AppCgroup[] {
  return db
    .prepare(
      `SELECT cgroup_id AS cgroupId, path, first_seen AS firstSeen, last_seen AS lastSeen, gone_at AS goneAt
       FROM cgroups WHERE app_id = ? ORDER BY gone_at IS NOT NULL, last_seen DESC LIMIT ?`,
    )
    .all(appId, limit) as AppCgroup[];
}

export interface NetworkPoint {
  ts: number;
  networkId: number;
  rxBytes: number;
  txBytes: number;
}

/** getAppSeriesByNetwork reads one app's bytes per roll-up bucket of a chart grid's table, per network. */
export function getAppSeriesByNetwork(db: Db, appId: number, f: UsageFilter, grid: ChartGrid): NetworkPoint[] {
  const t = checkTable(grid.table);
  const w = seriesFilterSql(f);
  return db
    .prepare(
      `SELECT u.ts, s.network_id AS networkId, SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes
       FROM ${t} u ${seriesJoins(f)}
       ${and(w.sql, 'u.ts >= ? AND u.ts < ? AND u.series_id IN (SELECT id FROM series WHERE app_id = ?)')}
       GROUP BY u.ts, s.network_id ORDER BY u.ts`,
    )
    .all(...w.params, grid.from, f.until, appId) as NetworkPoint[];
}

/** getAppNetworkTotals sums one app's bytes per network (and interface) over a period, exactly. */
export function getAppNetworkTotals(db: Db, appId: number, f: UsageFilter, now: number): Array<NetworkTotal> {
  const c = totalsCte(f, now, { appId });
  const w = seriesFilterSql(f);
  const rows = db
    .prepare(
      `${c.sql}
       SELECT n.id AS networkId, n.name, n.kind, COALESCE(n.metered_user, n.metered_auto, 0) AS metered,
              GROUP_CONCAT(DISTINCT i.name) AS ifaces, SUM(t.rx) AS rxBytes, SUM(t.tx) AS txBytes
       FROM t ${T_JOINS} ${and(w.sql, 's.app_id = ?')}
       GROUP BY n.id ORDER BY rxBytes + txBytes DESC`,
    )
    .all(...c.params, ...w.params, appId) as Array<Omit<NetworkTotal, 'metered'> & { metered: number }>;
  return rows.map((x) => ({ ...x, metered: x.metered === 1 }));
}

/**
 * getAppLastActive returns the start (unix s) of the latest bucket in which the app moved bytes,
 * looking at the finest table that has any, or null if it never did.
 */
export function getAppLastActive(db: Db, appId: number): number | null {
  for (const res of RESOLUTIONS) {
    const row = db
      .prepare(
        `SELECT MAX(u.ts) AS ts FROM ${res.table} u
         WHERE u.series_id IN (SELECT id FROM series WHERE app_id = ?) AND (u.rx_bytes > 0 OR u.tx_bytes > 0)`,
      )
      .get(appId) as { ts: number | null };
    if (row.ts !== null) return row.ts;
  }
  return null;
}

export interface NetworkRow {
  id: number;
  netKey: string;
  name: string;
  kind: string;
  meteredAuto: boolean | null;
  meteredUser: boolean | null;
  metered: boolean;
  cycleStartDay: number;
  planBytes: number | null;
  ifaces: string[];
  firstSeen: number;
  lastSeen: number;
}

/** getNetworks lists every network with its settings and the interfaces on it now. */
export function getNetworks(db: Db): NetworkRow[] {
  const rows = db
    .prepare(
      `SELECT n.id, n.net_key AS netKey, n.name, n.kind, n.metered_auto AS meteredAuto, n.metered_user AS meteredUser,
              n.cycle_start_day AS cycleStartDay, n.plan_bytes AS planBytes, n.first_seen AS firstSeen, n.last_seen AS lastSeen,
              (SELECT GROUP_CONCAT(name) FROM interfaces WHERE network_id = n.id) AS ifaces
       FROM networks n ORDER BY n.last_seen DESC, n.name`,
    )
    .all() as Array<Omit<NetworkRow, 'meteredAuto' | 'meteredUser' | 'metered' | 'ifaces'> & {
      meteredAuto: number | null; meteredUser: number | null; ifaces: string | null;
    }>;
  const bool = (v: number | null) => (v === null ? null : v === 1);
  return rows.map((r) => ({
    ...r,
    meteredAuto: bool(r.meteredAuto),
    meteredUser: bool(r.meteredUser),
    metered: (r.meteredUser ?? r.meteredAuto ?? 0) === 1,
    ifaces: r.ifaces ? r.ifaces.split(',').sort() : [],
  }));
}

/** getNetworkUsage sums one network's bytes over [since, until), exactly. */
export function getNetworkUsage(db: Db, networkId: number, since: number, until: number, now: number): { rxBytes: number; txBytes: number } {
  const r = rangeSql(splitRange(since, until, now));
  const row = db
    .prepare(
      `WITH u AS (${r.sql})
       SELECT COALESCE(SUM(u.rx_bytes), 0) AS rxBytes, COALESCE(SUM(u.tx_bytes), 0) AS txBytes
       FROM u JOIN series s ON s.id = u.series_id WHERE s.network_id = ?`,
    )
    .get(...r.params, networkId) as { rxBytes: number; txBytes: number };
  return row;
}

/**
 * getCycleStartDay picks the billing-cycle start day for a filter: the filtered network's, else the
 * most recently seen metered network's, else 1.
 */
export function getCycleStartDay(db: Db, f: Pick<UsageFilter, 'networkId' | 'ifaces'>): number {
  if (f.networkId !== undefined) {
    const r = db.prepare('SELECT cycle_start_day AS d FROM networks WHERE id = ?').get(f.networkId) as { d: number } | undefined;
    if (r) return r.d;
  }
  if (f.ifaces && f.ifaces.length === 1) {
    const r = db
      .prepare('SELECT n.cycle_start_day AS d FROM interfaces i JOIN networks n ON n.id = i.network_id WHERE i.name = ?')
      .get(f.ifaces[0]) as { d: number } | undefined;
    if (r) return r.d;
  }
  const m = db
    .prepare('SELECT cycle_start_day AS d FROM networks WHERE COALESCE(metered_user, metered_auto, 0) = 1 ORDER BY last_seen DESC LIMIT 1')
    .get() as { d: number } | undefined;
  return m?.d ?? 1;
}

export interface NetworkSettings {
  /** null = follow the automatic detection. */
  meteredUser: boolean | null;
  cycleStartDay: number;
  planBytes: number | null;
}

/** updateNetworkSettings stores the user's metered flag, billing-cycle start day and plan; false if no such network. */
export function updateNetworkSettings(db: Db, id: number, s: NetworkSettings): boolean {
  const metered = s.meteredUser === null ? null : s.meteredUser ? 1 : 0;
  return (
    db
      .prepare('UPDATE networks SET metered_user = ?, cycle_start_day = ?, plan_bytes = ? WHERE id = ?')
      .run(metered, s.cycleStartDay, s.planBytes, id).changes === 1
  );
}
