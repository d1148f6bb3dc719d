/**
 * Prometheus metrics from the store: which label values a scrape may use, and the
 * registry built from one consistent snapshot. Pure: the snapshot is read by
 * db/queries/metrics.ts; prom-client only formats text here.
 *
 * Counters are cumulative totals derived from usage_1d (never pruned) and the 10 s rows
 * not rolled up into it yet, so they survive collector restarts and never go down. Label cardinality is
 * bounded without ever moving bytes out of a series (which Prometheus would read as a
 * counter reset and count twice):
 *  - app: an app gets its own label value from the first local day after its all-time
 *    traffic reached `minBytes`, or from the start when its traffic began on the store's
 *    first day; at most `maxApps` apps, in that order (first come, first kept). Everything
 *    else, including an app's traffic before its own label started, counts under app="(other)".
 *    Membership only grows and depends only on completed days, so no series ever shrinks.
 *    (One exception: if more than maxApps apps start traffic on the store's very first day,
 *    which of them keep a label is settled by app id only once that day is over.)
 *  - iface / network: the first `maxIfaces` interfaces and `maxNetworks` networks ever
 *    seen keep their names; later ones (container veths, hotel Wi-Fi) are "(other)".
 *  - unattributed traffic always has its own app value.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { ALERT_KINDS } from './alerts';
import { UNATTRIBUTED_KEY } from './identity';
import type { Traffic } from './link-counters';

/** OTHER is the label value that collects everything beyond the limits. */
export const OTHER = '(other)';

export { DEFAULT_LIMITS, type LabelLimits } from './metrics-limits';
import type { LabelLimits } from './metrics-limits';

export interface AppHistory {
  appId: number;
  appKey: string;
  /** Local-midnight ts of the first usage_1d row of this app. */
  firstDay: number;
  /** Local-midnight ts of the day its cumulative bytes reached minBytes, among days before today; null if not yet. */
  crossDay: number | null;
}

/**
 * chooseAppCuts decides which apps get their own label value and from when: the result maps
 * app id → ts from which its usage_1d rows count under its own name (earlier rows count as
 * "(other)"). See the file comment for why this keeps every counter monotonic.
 */
export function chooseAppCuts(apps: readonly AppHistory[], limits: LabelLimits): Map<number, number> {
  const cuts = new Map<number, number>();
  if (apps.length === 0) return cuts;
  const storeFirst = Math.min(...apps.map((a) => a.firstDay));
  const candidates: Array<{ appId: number; cut: number }> = [];
  for (const a of apps) {
    if (a.appKey === UNATTRIBUTED_KEY) cuts.set(a.appId, 0);
    else if (a.firstDay === storeFirst) candidates.push({ appId: a.appId, cut: 0 });
    else if (a.crossDay !== null) candidates.push({ appId: a.appId, cut: a.crossDay + 1 });
  }
  candidates.sort((x, y) => x.cut - y.cut || x.appId - y.appId);
  for (const c of candidates.slice(0, Math.max(0, limits.maxApps))) cuts.set(c.appId, c.cut);
  return cuts;
}

/** firstSeenNames keeps the names of the `max` lowest ids (first seen) and maps every other id to "(other)". */
export function firstSeenNames(rows: ReadonlyArray<{ id: number; name: string }>, max: number): Map<number, string> {
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  return new Map(sorted.map((r, i) => [r.id, i < max ? r.name : OTHER]));
}

export interface UsageTotal {
  app: string;
  iface: string;
  network: string;
  metered: boolean;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

export interface AppInfo {
  app: string;
  name: string;
  kind: string;
}

export interface RuleHits {
  rule: number;
  app: string;
  action: string;
  direction: string;
  enabled: boolean;
  packets: number;
  bytes: number;
}

export interface QuotaUse {
  app: string;
  limitBytes: number;
  usedBytes: number;
  cycleStart: number | null;
}

export interface SourceHealth {
  source: string;
  ok: boolean;
  lastRunMs: number;
  lastOkMs: number | null;
  durationMs: number;
}

export interface SetFill {
  set: string;
  elements: number;
  size: number;
}

/** One network's traffic counted by appnet and by its interfaces' own counters, over the same polls. */
export interface NetworkCountedTotal {
  network: string;
  appnet: Traffic;
  iface: Traffic;
}

/** MetricsSnapshot is everything one scrape reports, read in one transaction. */
export interface MetricsSnapshot {
  usage: UsageTotal[];
  /** null when the store has no link_counted table (older schema). */
  networkCounted: NetworkCountedTotal[] | null;
  apps: AppInfo[];
  /** Apps known to the store, and how many have their own label value. */
  appsKnown: number;
  appsLabelled: number;
  /** null when the store has no firewall tables (older schema). */
  rules: RuleHits[] | null;
  quotas: QuotaUse[] | null;
  /**
   * lastTry, lastOk: unix seconds (fw_state's unit; the collector's status tables keep ms). rowErrors: rules and
   * per-app settings rows not in force because of an error (shown on each row).
   */
  firewall: { lastTry: number | null; lastOk: number | null; ok: boolean; rowErrors: number } | null;
  sources: SourceHealth[];
  sets: SetFill[];
  /** Which mechanism counts per app, and the BPF map's fill when it is BPF; null before the first poll. */
  counter?: CounterSourceHealth | null;
  /** Distinct destinations per app label value over the last 24 hours (never the destinations themselves); absent before migration 080. */
  destinations?: Array<{ app: string; count: number }>;
  schemaVersion: number;
  /** Alerts recorded per kind (lib/alerts.ts), with the newest one's time; null before the store had alerts. */
  alerts?: Array<{ kind: string; count: number; lastTs: number }> | null;
}

export interface CounterSourceHealth {
  source: 'bpf' | 'nft';
  map: { entries: number; size: number } | null;
}

const USAGE_LABELS = ['app', 'iface', 'network', 'metered', 'direction'] as const;

function addUsage(reg: Registry, s: MetricsSnapshot): void {
  const bytes = new Counter({ name: 'appnet_app_bytes_total', help: 'Bytes sent (out) and received (in) by an app on an interface and network, since the store began.', labelNames: USAGE_LABELS, registers: [reg] });
  const packets = new Counter({ name: 'appnet_app_packets_total', help: 'Packets sent (out) and received (in) by an app on an interface and network, since the store began.', labelNames: USAGE_LABELS, registers: [reg] });
  for (const u of s.usage) {
    const base = { app: u.app, iface: u.iface, network: u.network, metered: u.metered ? 'true' : 'false' };
    bytes.inc({ ...base, direction: 'in' }, u.rxBytes);
    bytes.inc({ ...base, direction: 'out' }, u.txBytes);
    packets.inc({ ...base, direction: 'in' }, u.rxPackets);
    packets.inc({ ...base, direction: 'out' }, u.txPackets);
  }
  const info = new Gauge({ name: 'appnet_app_info', help: 'Readable name and kind of each app label value (always 1).', labelNames: ['app', 'name', 'kind'], registers: [reg] });
  for (const a of s.apps) info.set({ app: a.app, name: a.name, kind: a.kind }, 1);
  new Gauge({ name: 'appnet_apps_known', help: 'Apps with traffic in the store.', registers: [reg] }).set(s.appsKnown);
  new Gauge({ name: 'appnet_apps_labelled', help: 'Apps with their own app label value (the rest count as app="(other)").', registers: [reg] }).set(s.appsLabelled);
  if (s.destinations) {
    const dest = new Gauge({ name: 'appnet_app_destinations', help: 'Distinct destinations (address, protocol, port) an app exchanged traffic with in the last 24 hours; the destinations themselves are never exported.', labelNames: ['app'], registers: [reg] });
    for (const d of s.destinations) dest.set({ app: d.app }, d.count);
  }
}

function addNetworkCounted(reg: Registry, s: MetricsSnapshot): void {
  if (!s.networkCounted) return;
  const labelNames = ['network', 'direction', 'counted_by'] as const;
  const scope = 'over the polls in which appnet compared them: counted_by="appnet" is what appnet counted (IP packets as netfilter sees them), counted_by="interface" what the interfaces\' own statistics counted (every frame: link-layer headers, ARP, each TCP segment)';
  const bytes = new Counter({ name: 'appnet_network_counted_bytes_total', help: `Bytes received (in) and sent (out) on a network, ${scope}.`, labelNames, registers: [reg] });
  const packets = new Counter({ name: 'appnet_network_counted_packets_total', help: `Packets received (in) and sent (out) on a network, ${scope}.`, labelNames, registers: [reg] });
  for (const n of s.networkCounted) {
    for (const [by, t] of [['appnet', n.appnet], ['interface', n.iface]] as const) {
      bytes.inc({ network: n.network, direction: 'in', counted_by: by }, t.rxBytes);
      bytes.inc({ network: n.network, direction: 'out', counted_by: by }, t.txBytes);
      packets.inc({ network: n.network, direction: 'in', counted_by: by }, t.rxPackets);
      packets.inc({ network: n.network, direction: 'out', counted_by: by }, t.txPackets);
    }
  }
}

function addFirewall(reg: Registry, s: MetricsSnapshot): void {
  if (s.rules) {
    const labels = ['rule', 'app', 'action', 'direction'] as const;
    const p = new Counter({ name: 'appnet_rule_hits_packets_total', help: 'Packets that matched a firewall rule (its nft counter; restarts at 0 if the nft table is re-created).', labelNames: labels, registers: [reg] });
    const b = new Counter({ name: 'appnet_rule_hits_bytes_total', help: 'Bytes that matched a firewall rule.', labelNames: labels, registers: [reg] });
    const en = new Gauge({ name: 'appnet_rule_enabled', help: '1 when the rule is enabled.', labelNames: labels, registers: [reg] });
    for (const r of s.rules) {
      const l = { rule: String(r.rule), app: r.app, action: r.action, direction: r.direction };
      p.inc(l, r.packets);
      b.inc(l, r.bytes);
      en.set(l, r.enabled ? 1 : 0);
    }
  }
  if (s.quotas) {
    const limit = new Gauge({ name: 'appnet_quota_limit_bytes', help: 'Data cap of an app per billing cycle.', labelNames: ['app'], registers: [reg] });
    const used = new Gauge({ name: 'appnet_quota_used_bytes', help: 'Bytes counted against the app\'s data cap this cycle.', labelNames: ['app'], registers: [reg] });
    const start = new Gauge({ name: 'appnet_quota_cycle_start_timestamp_seconds', help: 'Start of the current billing cycle of the cap.', labelNames: ['app'], registers: [reg] });
    for (const q of s.quotas) {
      limit.set({ app: q.app }, q.limitBytes);
      used.set({ app: q.app }, q.usedBytes);
      if (q.cycleStart !== null) start.set({ app: q.app }, q.cycleStart);
    }
  }
  if (s.firewall) {
    new Gauge({ name: 'appnet_firewall_apply_ok', help: '1 when the last firewall apply succeeded.', registers: [reg] }).set(s.firewall.ok ? 1 : 0);
    new Gauge({ name: 'appnet_firewall_row_errors', help: 'Rules and per-app settings not in force because of an error (invalid row, refused batch); the Rules page shows each reason.', registers: [reg] }).set(s.firewall.rowErrors);
    if (s.firewall.lastOk !== null) new Gauge({ name: 'appnet_firewall_last_success_timestamp_seconds', help: 'When the firewall rules were last applied successfully.', registers: [reg] }).set(s.firewall.lastOk);
  }
}

function addHealth(reg: Registry, s: MetricsSnapshot): void {
  const up = new Gauge({ name: 'appnet_collector_source_up', help: '1 when the collector source succeeded in its latest run.', labelNames: ['source'], registers: [reg] });
  const dur = new Gauge({ name: 'appnet_collector_source_duration_seconds', help: 'How long the latest run of a collector source took ("poll" is the whole poll).', labelNames: ['source'], registers: [reg] });
  const run = new Gauge({ name: 'appnet_collector_source_last_run_timestamp_seconds', help: 'When a collector source last ran.', labelNames: ['source'], registers: [reg] });
  const ok = new Gauge({ name: 'appnet_collector_source_last_success_timestamp_seconds', help: 'When a collector source last succeeded.', labelNames: ['source'], registers: [reg] });
  for (const h of s.sources) {
    up.set({ source: h.source }, h.ok ? 1 : 0);
    dur.set({ source: h.source }, h.durationMs / 1000);
    run.set({ source: h.source }, h.lastRunMs / 1000);
    if (h.lastOkMs !== null) ok.set({ source: h.source }, h.lastOkMs / 1000);
  }
  const poll = s.sources.find((h) => h.source === 'poll');
  if (poll) {
    new Gauge({ name: 'appnet_collector_poll_duration_seconds', help: 'Duration of the latest collector poll.', registers: [reg] }).set(poll.durationMs / 1000);
    if (poll.lastOkMs !== null) new Gauge({ name: 'appnet_collector_last_success_timestamp_seconds', help: 'When the collector last completed a poll; alert on time() minus this.', registers: [reg] }).set(poll.lastOkMs / 1000);
  }
  const el = new Gauge({ name: 'appnet_nft_set_elements', help: 'Elements in one of appnet\'s nft counter sets at the latest poll.', labelNames: ['set'], registers: [reg] });
  const size = new Gauge({ name: 'appnet_nft_set_size', help: 'Capacity of one of appnet\'s nft counter sets; new apps go uncounted when it is full.', labelNames: ['set'], registers: [reg] });
  for (const f of s.sets) {
    el.set({ set: f.set }, f.elements);
    if (f.size > 0) size.set({ set: f.set }, f.size);
  }
  if (s.counter) {
    const src = new Gauge({ name: 'appnet_accounting_source', help: 'Which mechanism counts per app: 1 for the one in use (bpf: the cgroup_skb program; nft: nft set counters).', labelNames: ['source'], registers: [reg] });
    for (const k of ['bpf', 'nft'] as const) src.set({ source: k }, s.counter.source === k ? 1 : 0);
    if (s.counter.map) {
      new Gauge({ name: 'appnet_bpf_map_entries', help: 'Entries in the BPF counter map at the latest poll.', registers: [reg] }).set(s.counter.map.entries);
      new Gauge({ name: 'appnet_bpf_map_size', help: 'Capacity of the BPF counter map; new (cgroup, interface) pairs go uncounted when it is full.', registers: [reg] }).set(s.counter.map.size);
    }
  }
  new Gauge({ name: 'appnet_store_schema_version', help: 'Schema version (PRAGMA user_version) of the store.', registers: [reg] }).set(s.schemaVersion);
}

function addAlerts(reg: Registry, s: MetricsSnapshot): void {
  if (!s.alerts) return;
  const total = new Counter({ name: 'appnet_alerts_total', help: 'Alerts recorded (new app on the network, plan at 80 % or 100 %, data cap reached and blocked), by kind.', labelNames: ['kind'], registers: [reg] });
  const last = new Gauge({ name: 'appnet_alert_last_timestamp_seconds', help: 'When the newest alert of a kind was recorded.', labelNames: ['kind'], registers: [reg] });
  for (const kind of ALERT_KINDS) total.inc({ kind }, 0);
  for (const a of s.alerts) {
    total.inc({ kind: a.kind }, a.count);
    last.set({ kind: a.kind }, a.lastTs);
  }
}

/** buildRegistry turns a snapshot into a fresh prom-client registry (one per scrape: values are absolute). */
export function buildRegistry(s: MetricsSnapshot): Registry {
  const reg = new Registry();
  addUsage(reg, s);
  addNetworkCounted(reg, s);
  addFirewall(reg, s);
  addHealth(reg, s);
  addAlerts(reg, s);
  return reg;
}

/** METRICS_CONTENT_TYPE is the Prometheus text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** renderMetrics formats a snapshot in the Prometheus text format. */
export async function renderMetrics(s: MetricsSnapshot): Promise<string> {
  return buildRegistry(s).metrics();
}
