/**
 * The reads behind /metrics. getMetricsSnapshot runs them in one read transaction so a
 * scrape never sees half a poll. Firewall tables (migration 002) are optional: an older
 * store simply reports no rule or quota metrics.
 */
import type { Db } from '../open';
import { hasTable, schemaVersion } from '../open';
import { localMidnight } from '../../lib/time';
import { getAlertCounts } from './alerts';
import { rollupSource } from './sql-parts';
import { countAppDestinations } from './destinations';
import { getAllNetworkCounted } from './link-counted';
import {
  chooseAppCuts, firstSeenNames, OTHER,
  type AppHistory, type AppInfo, type LabelLimits, type MetricsSnapshot, type NetworkCountedTotal, type QuotaUse, type RuleHits, type SetFill, type SourceHealth, type CounterSourceHealth, type UsageTotal,
} from '../../lib/metrics';

/** getAppHistories returns, per app with traffic, its first day and the completed day its total reached minBytes. */
export function getAppHistories(db: Db, minBytes: number, todayStart: number): AppHistory[] {
  const src = rollupSource(db, 'usage_1d');
  return db
    .prepare(
      `WITH d AS (SELECT s.app_id, u.ts, SUM(u.rx_bytes + u.tx_bytes) AS b FROM ${src.sql} u JOIN series s ON s.id = u.series_id GROUP BY s.app_id, u.ts),
            c AS (SELECT app_id, ts, SUM(b) OVER (PARTITION BY app_id ORDER BY ts) AS cum FROM d)
       SELECT a.id AS appId, a.app_key AS appKey, MIN(c.ts) AS firstDay, MIN(CASE WHEN c.cum >= ? AND c.ts < ? THEN c.ts END) AS crossDay
       FROM c JOIN apps a ON a.id = c.app_id GROUP BY a.id`,
    )
    .all(...src.params, minBytes, todayStart) as AppHistory[];
}

interface SplitRow {
  appId: number;
  ifaceId: number;
  networkId: number;
  metered: number;
  own: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** getUsageSplit sums usage_1d per series, split at each app's cut (rows from the cut on are the app's own). */
export function getUsageSplit(db: Db, cuts: Map<number, number>): SplitRow[] {
  const src = rollupSource(db, 'usage_1d');
  return db
    .prepare(
      `WITH cut(app_id, ts) AS (SELECT CAST(key AS INTEGER), value FROM json_each(?))
       SELECT s.app_id AS appId, s.iface_id AS ifaceId, s.network_id AS networkId,
              COALESCE(n.metered_user, n.metered_auto, 0) AS metered,
              (c.ts IS NOT NULL AND u.ts >= c.ts) AS own,
              SUM(u.rx_bytes) AS rxBytes, SUM(u.tx_bytes) AS txBytes, SUM(u.rx_packets) AS rxPackets, SUM(u.tx_packets) AS txPackets
       FROM ${src.sql} u JOIN series s ON s.id = u.series_id JOIN networks n ON n.id = s.network_id
       LEFT JOIN cut c ON c.app_id = s.app_id
       GROUP BY s.app_id, s.iface_id, s.network_id, own`,
    )
    .all(JSON.stringify(Object.fromEntries(cuts)), ...src.params) as SplitRow[];
}

/** getLabelNames returns apps, interfaces and networks by id, for label values. */
export function getLabelNames(db: Db): { apps: Array<{ id: number; key: string; name: string; kind: string }>; ifaces: Array<{ id: number; name: string }>; networks: Array<{ id: number; name: string }> } {
  return {
    apps: db.prepare('SELECT id, app_key AS key, name, kind FROM apps').all() as Array<{ id: number; key: string; name: string; kind: string }>,
    ifaces: db.prepare('SELECT id, name FROM interfaces').all() as Array<{ id: number; name: string }>,
    networks: db.prepare('SELECT id, name FROM networks').all() as Array<{ id: number; name: string }>,
  };
}

/** getRuleHits returns every rule's hit counters, or null when the store has no rules table. */
export function getRuleHits(db: Db): RuleHits[] | null {
  if (!hasTable(db, 'rules')) return null;
  const rows = db
    .prepare('SELECT id AS rule, app_key AS app, action, direction, enabled, hit_packets AS packets, hit_bytes AS bytes FROM rules ORDER BY id')
    .all() as Array<Omit<RuleHits, 'enabled'> & { enabled: number }>;
  return rows.map((r) => ({ ...r, enabled: r.enabled === 1 }));
}

/** getQuotaUse returns the data caps and their use, or null when the store has no fw_apps table. */
export function getQuotaUse(db: Db): QuotaUse[] | null {
  if (!hasTable(db, 'fw_apps')) return null;
  return db
    .prepare('SELECT app_key AS app, quota_bytes AS limitBytes, quota_used AS usedBytes, quota_cycle_start AS cycleStart FROM fw_apps WHERE quota_bytes IS NOT NULL ORDER BY app_key')
    .all() as QuotaUse[];
}

/**
 * getFirewallApply returns the outcome of the last firewall apply, or null without a fw_state table.
 * fw_state keeps unix seconds (collector_status keeps ms); the snapshot is in ms like the sources.
 */
export function getFirewallApply(db: Db): MetricsSnapshot['firewall'] {
  if (!hasTable(db, 'fw_state')) return null;
  const r = db.prepare('SELECT last_try AS lastTry, last_ok AS lastOk, last_error AS lastError FROM fw_state WHERE id = 1').get() as
    | { lastTry: number | null; lastOk: number | null; lastError: string | null }
    | undefined;
  if (!r || r.lastTry === null) return null;
  const rowErrors = (db.prepare('SELECT (SELECT COUNT(*) FROM rules WHERE last_error IS NOT NULL) + (SELECT COUNT(*) FROM fw_apps WHERE last_error IS NOT NULL) AS n').get() as { n: number }).n;
  return { lastTry: r.lastTry, lastOk: r.lastOk, ok: r.lastError === null, rowErrors };
}

/** getSourceHealth returns each collector source's latest run, and the set fill and counting mechanism the counters source recorded. */
export function getSourceHealth(db: Db): { sources: SourceHealth[]; sets: SetFill[]; counter: CounterSourceHealth | null } {
  const rows = db
    .prepare('SELECT source, ok, last_run AS lastRunMs, last_ok AS lastOkMs, duration_ms AS durationMs, detail FROM collector_status ORDER BY source')
    .all() as Array<Omit<SourceHealth, 'ok'> & { ok: number; detail: string | null }>;
  const sets: SetFill[] = [];
  let counter: CounterSourceHealth | null = null;
  for (const r of rows) {
    if (r.source !== 'counters' || !r.detail) continue;
    try {
      type Fill = Record<string, { count?: number; size?: number }>;
      const d = JSON.parse(r.detail) as { setFill?: Fill; source?: string; mapFill?: Fill | null };
      for (const [set, f] of Object.entries(d.setFill ?? {})) sets.push({ set, elements: Number(f.count ?? 0), size: Number(f.size ?? 0) });
      const map = Object.values(d.mapFill ?? {})[0];
      if (d.source === 'bpf' || d.source === 'nft') counter = { source: d.source, map: map ? { entries: Number(map.count ?? 0), size: Number(map.size ?? 0) } : null };
    } catch {
      /* a detail we cannot read only loses the set-fill gauges */
    }
  }
  return { sources: rows.map(({ detail: _d, ok, ...r }) => ({ ...r, ok: ok === 1 })), sets, counter };
}

/** destinationCounts counts each labelled app's destinations of the last 24 hours (unlabelled apps add up under (other)); undefined before migration 080. */
function destinationCounts(db: Db, cuts: Map<number, number>, appById: Map<number, { key: string }>, nowSec: number): Array<{ app: string; count: number }> | undefined {
  if (!hasTable(db, 'dest_1h')) return undefined;
  const by = new Map<string, number>();
  for (const r of countAppDestinations(db, nowSec - 86400)) {
    const app = cuts.has(r.appId) ? (appById.get(r.appId)?.key ?? OTHER) : OTHER;
    by.set(app, (by.get(app) ?? 0) + r.destinations);
  }
  return [...by].map(([app, count]) => ({ app, count }));
}

/** getNetworkCountedTotals sums each network's two figures under its label value, or null without the link_counted table. */
function getNetworkCountedTotals(db: Db, netName: Map<number, string>): NetworkCountedTotal[] | null {
  if (!hasTable(db, 'link_counted')) return null;
  const out = new Map<string, NetworkCountedTotal>();
  for (const n of getAllNetworkCounted(db)) {
    const network = netName.get(n.networkId) ?? OTHER;
    const t = out.get(network) ?? { network, appnet: { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 }, iface: { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 } };
    for (const k of ['rxBytes', 'txBytes', 'rxPackets', 'txPackets'] as const) {
      t.appnet[k] += n.appnet[k];
      t.iface[k] += n.iface[k];
    }
    out.set(network, t);
  }
  return [...out.values()];
}

/** getMetricsSnapshot reads everything one scrape reports, in one read transaction. */
export function getMetricsSnapshot(db: Db, limits: LabelLimits, nowSec: number): MetricsSnapshot {
  const read = db.transaction((): MetricsSnapshot => {
    const histories = getAppHistories(db, limits.minBytes, localMidnight(nowSec));
    const cuts = chooseAppCuts(histories, limits);
    const names = getLabelNames(db);
    const appById = new Map(names.apps.map((a) => [a.id, a]));
    const ifaceName = firstSeenNames(names.ifaces, limits.maxIfaces);
    const netName = firstSeenNames(names.networks, limits.maxNetworks);
    const totals = new Map<string, UsageTotal>();
    for (const r of getUsageSplit(db, cuts)) {
      const u: UsageTotal = {
        app: r.own ? (appById.get(r.appId)?.key ?? OTHER) : OTHER,
        iface: ifaceName.get(r.ifaceId) ?? OTHER,
        network: netName.get(r.networkId) ?? OTHER,
        metered: r.metered === 1,
        rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0,
      };
      const key = JSON.stringify([u.app, u.iface, u.network, u.metered]);
      const t = totals.get(key) ?? u;
      t.rxBytes += r.rxBytes;
      t.txBytes += r.txBytes;
      t.rxPackets += r.rxPackets;
      t.txPackets += r.txPackets;
      totals.set(key, t);
    }
    const apps: AppInfo[] = [...cuts.keys()].flatMap((id) => {
      const a = appById.get(id);
      return a ? [{ app: a.key, name: a.name, kind: a.kind }] : [];
    });
    if ([...totals.values()].some((t) => t.app === OTHER)) apps.push({ app: OTHER, name: 'Other apps', kind: 'other' });
    const health = getSourceHealth(db);
    return {
      usage: [...totals.values()],
      networkCounted: getNetworkCountedTotals(db, netName),
      apps,
      appsKnown: histories.length,
      appsLabelled: cuts.size,
      rules: getRuleHits(db),
      quotas: getQuotaUse(db),
      firewall: getFirewallApply(db),
      sources: health.sources,
      sets: health.sets,
      counter: health.counter,
      destinations: destinationCounts(db, cuts, appById, nowSec),
      schemaVersion: schemaVersion(db),
      alerts: getAlertCounts(db),
    };
  });
  return read();
}
