/** Everything the Overview page shows, read in one go and returned as plain objects. */
import type { Db } from '../../db/open';
import { getAppsSeries, getDataState, getNetworks, getNetworkTotals, getStackedSeries, type NetworkTotal } from '../../db/queries/dashboard';
import { getTopApps } from '../../db/queries/usage';
import { UNATTRIBUTED_KEY } from '../../lib/identity';
import { bucketsOf, chartResolution, pivot } from './chart';
import { getConfig } from './config';
import type { View } from './view';

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
  const stale = s.lastPoll === null || now - s.lastPoll / 1000 > getConfig().staleAfterSeconds;
  return { lastPoll: s.lastPoll === null ? null : Math.floor(s.lastPoll / 1000), ok: s.lastPollOk, error: s.lastError, stale, hasUsage: s.hasUsage };
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

export interface AppListItem {
  id: number;
  key: string;
  name: string;
  kind: string;
  rx: number;
  tx: number;
  spark: number[];
}

export interface ChartSeries {
  key: string;
  name: string;
}

export interface OverviewData {
  total: { rx: number; tx: number };
  apps: AppListItem[];
  chart: { series: ChartSeries[]; points: Array<Record<string, number>>; stepSeconds: number };
  networkTotals: NetworkTotal[];
  unattributed: { rx: number; tx: number } | null;
}

const CHART_APPS = 7;
const SPARK_APPS = 40;

/** getOverview ranks apps for the view's period and filter and builds the stacked chart and sparklines. */
export function getOverview(db: Db, view: View, now: number): OverviewData {
  const f = view.filter;
  const top = getTopApps(db, f, now, 500);
  const total = top.reduce((a, r) => ({ rx: a.rx + r.rxBytes, tx: a.tx + r.txBytes }), { rx: 0, tx: 0 });
  const un = top.find((r) => r.appKey === UNATTRIBUTED_KEY);

  const chartRes = chartResolution(f.since, f.until, now, 120);
  const chartIds = top.slice(0, CHART_APPS).map((r) => r.appId);
  const stacked = getStackedSeries(db, f, chartRes.res.table, chartRes.from, chartIds);
  const series: ChartSeries[] = top.slice(0, CHART_APPS).map((r) => ({ key: `a${r.appId}`, name: r.name }));
  if (top.length > CHART_APPS) series.push({ key: 'a0', name: `${top.length - CHART_APPS} other apps` });
  const points = pivot(bucketsOf(chartRes.res, chartRes.from, f.until), stacked, (r) => `a${r.appId}`, (r) => r.rxBytes + r.txBytes, series.map((s) => s.key));

  const sparkRes = chartResolution(f.since, f.until, now, 24);
  const sparkIds = top.slice(0, SPARK_APPS).map((r) => r.appId);
  const sparkBuckets = bucketsOf(sparkRes.res, sparkRes.from, f.until);
  const sparkRows = getAppsSeries(db, f, sparkRes.res.table, sparkRes.from, sparkIds);
  const sparkIndex = new Map(sparkBuckets.map((t, i) => [t, i]));
  const sparks = new Map<number, number[]>(sparkIds.map((id) => [id, sparkBuckets.map(() => 0)]));
  for (const r of sparkRows) {
    const i = sparkIndex.get(r.ts);
    const arr = sparks.get(r.appId);
    if (i !== undefined && arr) arr[i] += r.rxBytes + r.txBytes;
  }

  return {
    total,
    apps: top.map((r) => ({ id: r.appId, key: r.appKey, name: r.name, kind: r.kind, rx: r.rxBytes, tx: r.txBytes, spark: sparks.get(r.appId) ?? [] })),
    chart: { series, points, stepSeconds: chartRes.res.seconds },
    networkTotals: getNetworkTotals(db, f, now),
    unattributed: un ? { rx: un.rxBytes, tx: un.txBytes } : null,
  };
}
