/** Everything the Overview page shows, read in two passes (exact totals; one chart table) as plain objects. */
import type { Db } from '../../db/open';
import { getAppPoints, getDataState, getPointTotals, getSeriesTotals, type NetworkTotal, type SeriesTotalRow } from '../../db/queries/dashboard';
import { getNetworks } from '../../db/queries/network-settings';
import { usageTables } from '../../db/queries/sql-parts';
import { UNATTRIBUTED_KEY } from '../../lib/identity';
import { bucketsOf, chartGrid, inProgressAt, pivot, sparkGrid } from './chart';
import { getConfig } from './config';
import type { View } from './view';
import type { AppListItem } from '../../lib/app-list';
import { unixSeconds } from '../../lib/time';

export interface CollectorState {
  lastPoll: number | null;
  ok: boolean | null;
  error: string | null;
  stale: boolean;
  hasUsage: boolean;
}

/** collectorState says whether the collector is polling (its last poll is recent) and whether any data exists. */
export function collectorState(db: Db, now: number): CollectorState {
  const s = getDataState(db);
  const lastPoll = s.lastPoll === null ? null : unixSeconds(s.lastPoll);
  const stale = lastPoll === null || now - lastPoll > getConfig().staleAfterSeconds;
  return { lastPoll, ok: s.lastPollOk, error: s.lastError, stale, hasUsage: s.hasUsage };
}

export interface NetworkOption {
  id: number;
  name: string;
  kind: string;
  metered: boolean;
  ifaces: string[];
}

/** networkOptions lists networks for the filter picker. */
export function networkOptions(db: Db): NetworkOption[] {
  return getNetworks(db).map((n) => ({ id: n.id, name: n.name, kind: n.kind, metered: n.metered, ifaces: n.ifaces }));
}

export type { AppListItem };

export interface ChartSeries {
  key: string;
  name: string;
  /** Stable identity for the series' colour (the app key, 'other', a network): the same in every view. */
  id: string;
}

export interface OverviewData {
  total: { rx: number; tx: number };
  apps: AppListItem[];
  /** inProgress: time of the last point when its bucket holds now (it is still filling). */
  chart: { series: ChartSeries[]; points: Array<Record<string, number>>; stepSeconds: number; inProgress: number | null };
  networkTotals: NetworkTotal[];
  unattributed: { rx: number; tx: number } | null;
}

const CHART_APPS = 7;
const SPARK_APPS = 40;
const SPARK_POINTS = 24;

/** rankApps sums series totals per app, largest first. */
function rankApps(rows: SeriesTotalRow[]): AppListItem[] {
  const by = new Map<number, AppListItem>();
  for (const r of rows) {
    const a = by.get(r.appId) ?? { id: r.appId, key: r.appKey, name: r.appName, kind: r.kind, rx: 0, tx: 0, spark: [] };
    a.rx += r.rxBytes;
    a.tx += r.txBytes;
    by.set(r.appId, a);
  }
  return [...by.values()].filter((a) => a.rx + a.tx > 0).sort((x, y) => y.rx + y.tx - (x.rx + x.tx) || x.key.localeCompare(y.key));
}

/** networkTotals sums series totals per network, largest first. */
function networkTotals(rows: SeriesTotalRow[]): NetworkTotal[] {
  const by = new Map<number, NetworkTotal & { set: Set<string> }>();
  for (const r of rows) {
    const n = by.get(r.networkId) ?? { networkId: r.networkId, name: r.networkName, kind: r.networkKind, metered: r.metered, ifaces: '', rxBytes: 0, txBytes: 0, set: new Set() };
    n.rxBytes += r.rxBytes;
    n.txBytes += r.txBytes;
    n.set.add(r.iface);
    by.set(r.networkId, n);
  }
  return [...by.values()]
    .map(({ set, ...n }) => ({ ...n, ifaces: [...set].sort().join(',') }))
    .filter((n) => n.rxBytes + n.txBytes > 0)
    .sort((x, y) => y.rxBytes + y.txBytes - (x.rxBytes + x.txBytes));
}

/** downsample sums consecutive values into at most `n` bins (sparklines). */
function downsample(values: number[], n: number): number[] {
  if (values.length <= n) return values;
  const out = Array<number>(n).fill(0);
  values.forEach((v, i) => (out[Math.floor((i * n) / values.length)] += v));
  return out;
}

/** getOverview ranks apps for the view's period and filter and builds the stacked chart and sparklines. */
export function getOverview(db: Db, view: View, now: number): OverviewData {
  const f = view.filter;
  const series = getSeriesTotals(db, f, now);
  const apps = rankApps(series);
  const total = apps.reduce((a, r) => ({ rx: a.rx + r.rx, tx: a.tx + r.tx }), { rx: 0, tx: 0 });
  const un = apps.find((r) => r.key === UNATTRIBUTED_KEY);

  // Chart: all traffic per bucket (streams in key order) and the top apps' own series; "other
  // apps" is the difference. Sparklines read a coarser grid when one fits (24 h: hours, not minutes; a year: months).
  const grid = chartGrid(f.since, f.until, now, 150);
  const buckets = bucketsOf(grid, f.until);
  const sparks = sparkGrid(f.since, f.until, now, SPARK_POINTS, { months: usageTables(db).has('usage_1mo') });
  const sparkIds = apps.slice(0, SPARK_APPS).map((r) => r.id);
  const chartApps = apps.slice(0, CHART_APPS);
  const same = sparks.table === grid.table;
  const appRows = getAppPoints(db, f, grid, (same ? apps.slice(0, SPARK_APPS) : chartApps).map((r) => r.id));
  const totals = pivot(grid, buckets, getPointTotals(db, f, grid), () => 'all', (r) => r.rxBytes + r.txBytes, ['all']);
  const perApp = pivot(grid, buckets, appRows, (r) => `a${r.appId}`, (r) => r.rxBytes + r.txBytes, chartApps.map((a) => `a${a.id}`));
  const chartSeries: ChartSeries[] = chartApps.map((r) => ({ key: `a${r.id}`, name: r.name, id: r.key }));
  const others = apps.length - CHART_APPS;
  if (others > 0) chartSeries.push({ key: 'a0', name: `${others} other app${others === 1 ? '' : 's'}`, id: 'other' });
  const points = buckets.map((ts, i) => {
    const p: Record<string, number> = { ts };
    let shown = 0;
    for (const a of chartApps) shown += p[`a${a.id}`] = perApp[i][`a${a.id}`];
    if (apps.length > CHART_APPS) p.a0 = Math.max(0, totals[i].all - shown);
    return p;
  });
  const sparkBuckets = same ? buckets : bucketsOf(sparks, f.until);
  const sparkRows = same ? appRows : getAppPoints(db, f, sparks, sparkIds);
  const perSpark = pivot(same ? grid : sparks, sparkBuckets, sparkRows, (r) => `a${r.appId}`, (r) => r.rxBytes + r.txBytes, sparkIds.map((id) => `a${id}`));
  for (const a of apps.slice(0, SPARK_APPS)) a.spark = downsample(perSpark.map((p) => p[`a${a.id}`] ?? 0), SPARK_POINTS);

  return {
    total,
    apps,
    chart: { series: chartSeries, points, stepSeconds: grid.step, inProgress: inProgressAt(grid, buckets, now) },
    networkTotals: networkTotals(series),
    unattributed: un ? { rx: un.rx, tx: un.tx } : null,
  };
}
