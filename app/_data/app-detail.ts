/** Everything the App detail page shows. */
import { hasTable, type Db } from '../../db/open';
import { getAppDestinations } from '../../db/queries/destinations';
import { getDestinationSettings } from './dest-settings';
import type { DestinationsView } from '../../lib/destinations';
import {
  getApp, getAppCgroups, getAppLastActive, getAppSeriesByNetwork, type AppCgroup, type AppRow,
} from '../../db/queries/app-detail';
import { getNetworkTotals, type NetworkTotal } from '../../db/queries/dashboard';
import { bucketsOf, chartGrid, inProgressAt, pivot } from './chart';
import type { ChartSeries } from './overview';
import { listProcesses, type ProcessInfo } from './processes';
import type { View } from './view';

export { getApp };

export interface AppDetail {
  app: AppRow;
  lastActive: number | null;
  total: { rx: number; tx: number };
  perNetwork: NetworkTotal[];
  chart: { series: ChartSeries[]; down: Array<Record<string, number>>; up: Array<Record<string, number>>; stepSeconds: number; inProgress: number | null };
  cgroups: AppCgroup[];
  processes: ProcessInfo[];
  /** null: the store has no destinations yet (a collector from before migration 080). */
  destinations: DestinationsView | null;
}

/** destinationsOf reads the app's destinations over the view's period and filter. */
function destinationsOf(db: Db, id: number, view: View, now: number): DestinationsView | null {
  if (!hasTable(db, 'dest_1h')) return null;
  const g = getAppDestinations(db, id, view.filter, now, 200);
  const s = getDestinationSettings(db);
  return {
    rows: g.rows.map((r) => ({ remote: r.remote, host: r.host, proto: r.proto, port: r.port, inbound: r.inbound, rxBytes: r.rxBytes, txBytes: r.txBytes, lastSeen: r.lastSeen, addresses: r.addresses })),
    other: { rxBytes: g.other.rxBytes, txBytes: g.other.txBytes },
    total: g.total.rxBytes + g.total.txBytes,
    recording: s.recording ?? s.wish,
    recordingText: s.text,
  };
}

/** getAppDetail reads one app's usage per direction and network, its cgroups and live processes; null if no such app. */
export function getAppDetail(db: Db, id: number, view: View, now: number): AppDetail | null {
  const app = getApp(db, id);
  if (!app) return null;
  const f = view.filter;
  const perNetwork = getNetworkTotals(db, f, now, { appId: id });
  const grid = chartGrid(f.since, f.until, now, 150);
  const rows = getAppSeriesByNetwork(db, id, f, grid);
  const seen = new Map<number, string>(perNetwork.map((n) => [n.networkId, n.name]));
  for (const r of rows) if (!seen.has(r.networkId)) seen.set(r.networkId, `network ${r.networkId}`);
  const series = [...seen].map(([nid, name]) => ({ key: `n${nid}`, name, id: `network:${nid}` }));
  const buckets = bucketsOf(grid, f.until);
  const keys = series.map((s) => s.key);
  const cgroups = getAppCgroups(db, id);
  return {
    app,
    lastActive: getAppLastActive(db, id),
    total: perNetwork.reduce((a, n) => ({ rx: a.rx + n.rxBytes, tx: a.tx + n.txBytes }), { rx: 0, tx: 0 }),
    perNetwork,
    chart: {
      series,
      down: pivot(grid, buckets, rows, (r) => `n${r.networkId}`, (r) => r.rxBytes, keys),
      up: pivot(grid, buckets, rows, (r) => `n${r.networkId}`, (r) => r.txBytes, keys),
      stepSeconds: grid.step,
      inProgress: inProgressAt(grid, buckets, now),
    },
    cgroups,
    processes: listProcesses(cgroups.filter((c) => c.goneAt === null).map((c) => c.path)),
    destinations: destinationsOf(db, id, view, now),
  };
}
