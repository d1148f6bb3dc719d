/** Read queries behind the dashboard's Overview and its reports. */
import type { Db } from '../open';
import { localMidnight, nextLocalMidnight, RESOLUTIONS, type Resolution, type UsageTable } from '../../lib/time';
import type { ReportBy, ReportRow } from '../../lib/report';
import { seriesFilterSql, type UsageFilter } from './usage';
import { and, checkTable, rollupSource, seriesJoins, T_JOINS, totalsCte, usageTables, type ChartGrid } from './sql-parts';

const resolutionOf = (t: UsageTable): Resolution => RESOLUTIONS.find((r) => r.table === t)!;

export type { ChartGrid } from './sql-parts';


export interface DataState {
  hasUsage: boolean;
  /** Unix ms of the collector's latest poll, null if it never ran. */
  lastPoll: number | null;
  lastPollOk: boolean | null;
  lastError: string | null;
}

/** getDataState says whether the collector has written anything yet and when it last polled. */
export function getDataState(db: Db): DataState {
  // A new store's first minute is in usage_10s only (the coarse roll-ups are deferred).
  const any = db.prepare('SELECT 1 FROM usage_10s UNION ALL SELECT 1 FROM usage_1d LIMIT 1').get();
  const poll = db.prepare("SELECT ok, last_run AS lastRun, error FROM collector_status WHERE source = 'poll'").get() as
    | { ok: number; lastRun: number; error: string | null }
    | undefined;
  return { hasUsage: Boolean(any), lastPoll: poll?.lastRun ?? null, lastPollOk: poll ? poll.ok === 1 : null, lastError: poll?.error ?? null };
}

type RawReportRow = Omit<ReportRow, 'since' | 'until'> & { ts?: number };

/**
 * getReportRows answers a usage report exactly over [since, until): per app, per (app, interface)
 * or per (app, local day), ordered by total bytes (days in order, then bytes).
 */
export function getReportRows(db: Db, f: UsageFilter, by: ReportBy, now: number): ReportRow[] {
  const c = totalsCte(db, f, now, { byTs: by === 'app,day' });
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
      const next = nextLocalMidnight(day);
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

/** getNetworkTotals sums a period's bytes per network, exactly; of one app only when appId is given. */
export function getNetworkTotals(db: Db, f: UsageFilter, now: number, opts: { appId?: number } = {}): NetworkTotal[] {
  const c = totalsCte(db, f, now, opts);
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
  const c = totalsCte(db, f, now);
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
 * getPointTotals sums all matching traffic per roll-up bucket of a chart grid's table, in
 * [grid.from, until): from the per-link totals (migration 005) when the store has them, a few
 * rows per bucket, else from every series' rows. Grouping by the key's leading columns streams
 * without a sort.
 */
export function getPointTotals(db: Db, f: UsageFilter, grid: ChartGrid): Array<{ ts: number; rxBytes: number; txBytes: number }> {
  const t = checkTable(grid.table);
  const w = seriesFilterSql(f);
  if (usageTables(db).has('usage_link')) {
    // The link table is aliased s: the filter's s.network_id and its joins read it as a series.
    const joins = `${f.ifaces && f.ifaces.length ? 'JOIN interfaces i ON i.id = s.iface_id' : ''} ${f.metered !== undefined ? 'JOIN networks n ON n.id = s.network_id' : ''}`;
    return db
      .prepare(
        `SELECT s.ts, SUM(s.rx_bytes) AS rxBytes, SUM(s.tx_bytes) AS txBytes
         FROM usage_link s ${joins} ${and(w.sql, 's.res = ? AND s.ts >= ? AND s.ts < ?')}
         GROUP BY s.ts ORDER BY s.ts`,
      )
      .all(...w.params, resolutionOf(t).seconds, grid.from, f.until) as Array<{ ts: number; rxBytes: number; txBytes: number }>;
  }
  const src = rollupSource(db, t);
  return db
    .prepare(
      `SELECT u.ts, SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes
       FROM ${src.sql} u ${seriesJoins(f, { needSeries: false })} ${and(w.sql, 'u.ts >= ? AND u.ts < ?')}
       GROUP BY u.ts ORDER BY u.ts`,
    )
    .all(...src.params, ...w.params, grid.from, f.until) as Array<{ ts: number; rxBytes: number; txBytes: number }>;
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
  const src = rollupSource(db, t);
  return db
    .prepare(
      `SELECT u.ts, s.app_id AS appId, SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes
       FROM ${src.sql} u ${seriesJoins(f)}
       ${and(w.sql, `u.ts >= ? AND u.ts < ? AND u.series_id IN (SELECT id FROM series WHERE app_id IN (${list}))`)}
       GROUP BY u.ts, s.app_id ORDER BY u.ts`,
    )
    .all(...src.params, ...w.params, grid.from, f.until, ...appIds) as SeriesPoint[];
}
