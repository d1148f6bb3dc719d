/**
 * /metrics from a store written through the collector's own queries, over several
 * simulated days: label cardinality stays bounded, every counter only grows while apps
 * get their own label, nothing is lost or counted twice, and the text passes promtool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../db/open';
import { upsertApp } from '../../db/queries/apps';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { getMetricsSnapshot } from '../../db/queries/metrics';
import { insertRule, setRuleHits, setQuotaUse, upsertAppPolicy } from '../../db/queries/rules';
import { putSourceStatus } from '../../db/queries/status';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { appIdentity, unattributedIdentity } from '../../lib/identity';
import { OTHER, renderMetrics, type LabelLimits, type MetricsSnapshot } from '../../lib/metrics';
import { ruleSchema } from '../../lib/rules/model';
import { localMidnight } from '../../lib/time';

const MIGRATIONS = join(import.meta.dirname, '..', '..', 'db', 'migrations');
const LIMITS: LabelLimits = { maxApps: 2, minBytes: 1000, maxIfaces: 2, maxNetworks: 2 };

function withDb(fn: (db: Db, dir: string) => void | Promise<void>, opts: { migrationsDir?: string } = {}) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appnet-metrics-'));
    const db = openDb(join(dir, 'm.db'), { migrate: true, migrationsDir: opts.migrationsDir ?? MIGRATIONS });
    try {
      await fn(db, dir);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A writer shaped like the collector's: app × interface → series, usage into every roll-up. */
function writer(db: Db, t0: number) {
  const series = (cgroup: string | null, iface: string, metered = false) => {
    const app = upsertApp(db, cgroup === null ? unattributedIdentity() : appIdentity(cgroup), t0);
    const net = upsertNetwork(db, { netKey: `iface:${iface}`, name: iface, kind: metered ? 'mobile' : 'ethernet', meteredAuto: metered }, t0);
    const ifc = upsertInterface(db, { name: iface, kind: metered ? 'mobile' : 'ethernet', mac: null, networkId: net }, t0);
    return getOrCreateSeries(db, app, ifc, net);
  };
  let written = 0;
  return {
    written: () => written,
    add(ts: number, cgroup: string | null, iface: string, rx: number, tx: number, metered = false) {
      insertUsage(db, ts, [{ seriesId: series(cgroup, iface, metered), rxBytes: rx, txBytes: tx, rxPackets: Math.ceil(rx / 1000), txPackets: Math.ceil(tx / 1000) }]);
      written += rx + tx;
    },
  };
}

const counters = (s: MetricsSnapshot) => {
  const m = new Map<string, number>();
  for (const u of s.usage) {
    const k = `${u.app}|${u.iface}|${u.network}|${u.metered}`;
    m.set(`${k}|in`, u.rxBytes);
    m.set(`${k}|out`, u.txBytes);
  }
  return m;
};

function assertMonotonic(prev: Map<string, number>, next: Map<string, number>, when: string): void {
  for (const [k, v] of prev) {
    assert.ok(next.has(k), `${when}: series ${k} vanished (Prometheus would see a reset)`);
    assert.ok(next.get(k)! >= v, `${when}: ${k} went down ${v} → ${next.get(k)}`);
  }
}

const sum = (s: MetricsSnapshot) => s.usage.reduce((n, u) => n + u.rxBytes + u.txBytes, 0);
const appsOf = (s: MetricsSnapshot) => [...new Set(s.usage.map((u) => u.app))].sort();

test('apps get their own label only after a completed day over the threshold, within the cap; counters never go down', withDb((db) => {
  const day1 = localMidnight(Math.floor(Date.UTC(2026, 2, 2, 12) / 1000)); // the store's first day
  const at = (d: number, h: number) => localMidnight(day1 + d * 86400 + 7200) + h * 3600;
  const w = writer(db, at(0, 9));
  const A = 'system.slice/nginx.service';
  const B = 'system.slice/cron.service';
  const C = 'user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4711.scope';
  const D = 'system.slice/backup.service';
  const E = 'system.slice/apt-daily.service';

  w.add(at(0, 10), A, 'eth0', 5000, 500);
  w.add(at(0, 10), null, 'eth0', 70, 7);
  let snap = getMetricsSnapshot(db, LIMITS, at(0, 12));
  assert.deepEqual(appsOf(snap), ['(unattributed)', 'nginx.service'], 'first-day apps are labelled from the start');
  let prev = counters(snap);

  w.add(at(1, 9), B, 'eth0', 400, 0); // under the threshold
  w.add(at(1, 10), C, 'wwan0', 1500, 100, true); // over the threshold on day 2
  snap = getMetricsSnapshot(db, LIMITS, at(1, 12));
  assert.deepEqual(appsOf(snap), [OTHER, '(unattributed)', 'nginx.service'], 'new apps count as other on the day they appear');
  assertMonotonic(prev, counters(snap), 'day 2');
  prev = counters(snap);
  assert.equal(sum(snap), w.written());

  w.add(at(2, 8), C, 'wwan0', 3000, 300, true);
  w.add(at(2, 8), D, 'eth0', 5000, 0); // over the threshold, but the cap is reached tomorrow
  snap = getMetricsSnapshot(db, LIMITS, at(2, 12));
  assert.deepEqual(appsOf(snap), [OTHER, '(unattributed)', 'app:firefox', 'nginx.service'], 'firefox is labelled from the day after it crossed');
  const ff = snap.usage.find((u) => u.app === 'app:firefox')!;
  assert.equal(ff.rxBytes, 3000, 'only firefox traffic from its first labelled day is under its name');
  assertMonotonic(prev, counters(snap), 'day 3');
  prev = counters(snap);
  assert.equal(sum(snap), w.written(), 'nothing lost or counted twice');

  for (let d = 3; d < 8; d++) {
    w.add(at(d, 8), D, 'eth0', 5000, 0);
    w.add(at(d, 9), E, `veth${d}`, 2000, 2000); // a new interface every day
    w.add(at(d, 9), C, 'wwan0', 100, 10, true);
    snap = getMetricsSnapshot(db, LIMITS, at(d, 12));
    assertMonotonic(prev, counters(snap), `day ${d + 1}`);
    prev = counters(snap);
    assert.equal(sum(snap), w.written(), `day ${d + 1}: nothing lost or counted twice`);
  }
  assert.deepEqual(appsOf(snap), [OTHER, '(unattributed)', 'app:firefox', 'nginx.service'], 'at most maxApps apps (+ unattributed and other)');
  assert.deepEqual([...new Set(snap.usage.map((u) => u.iface))].sort(), [OTHER, 'eth0', 'wwan0'], 'at most maxIfaces interface names');
  assert.ok(snap.usage.length <= (LIMITS.maxApps + 2) * (LIMITS.maxIfaces + 1) * (LIMITS.maxNetworks + 1) * 2);
  assert.equal(snap.appsKnown, 6);
  assert.equal(snap.appsLabelled, 3);
}));

test('rule hits, quotas and collector health are exported and the text passes promtool', withDb(async (db) => {
  const now = Math.floor(Date.now() / 1000);
  writer(db, now).add(now, 'system.slice/nginx.service', 'eth0', 1234, 567);
  const rule = ruleSchema.parse({ app: 'nginx.service', direction: 'in', action: 'drop', protocol: 'tcp', localPort: '23' });
  const id = insertRule(db, rule, now);
  setRuleHits(db, id, 7, 420);
  const fwApp = upsertAppPolicy(db, { app: 'app:firefox', defaultIn: 'inherit', defaultOut: 'inherit', quotaBytes: 5e9, quotaNetwork: 'metered', quotaCycleDay: 1 }, now);
  setQuotaUse(db, fwApp, 123456, now - 86400);
  putSourceStatus(db, { source: 'counters', ok: true, lastRun: Date.now(), durationMs: 12.5, error: null, detail: { elements: 3, setFill: { acct_in: { count: 2, size: 262144 }, acct_out: { count: 1, size: 262144 } } } });
  putSourceStatus(db, { source: 'poll', ok: true, lastRun: Date.now(), durationMs: 20, error: null, detail: null });
  const text = await renderMetrics(getMetricsSnapshot(db, LIMITS, now));
  assert.match(text, new RegExp(`appnet_rule_hits_packets_total\\{rule="${id}",app="nginx.service",action="drop",direction="in"\\} 7`));
  assert.match(text, new RegExp(`appnet_rule_hits_bytes_total\\{rule="${id}",app="nginx.service",action="drop",direction="in"\\} 420`));
  assert.match(text, /appnet_quota_limit_bytes\{app="app:firefox"\} 5000000000/);
  assert.match(text, /appnet_quota_used_bytes\{app="app:firefox"\} 123456/);
  assert.match(text, /appnet_nft_set_elements\{set="acct_in"\} 2/);
  assert.match(text, /appnet_nft_set_size\{set="acct_out"\} 262144/);
  assert.match(text, /appnet_collector_poll_duration_seconds 0\.02/);
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'promtool (Debian package prometheus) must be installed');
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
}));

test('a store without the firewall tables (schema 1) still serves usage and health, without rule metrics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-metrics-mig-'));
  mkdirSync(join(dir, 'migs'));
  copyFileSync(join(MIGRATIONS, '001-init.sql'), join(dir, 'migs', '001-init.sql'));
  await withDb(async (db) => {
    const now = Math.floor(Date.now() / 1000);
    writer(db, now).add(now, 'system.slice/nginx.service', 'eth0', 10, 20);
    const snap = getMetricsSnapshot(db, LIMITS, now);
    assert.equal(snap.rules, null);
    assert.equal(snap.quotas, null);
    const text = await renderMetrics(snap);
    assert.match(text, /appnet_app_bytes_total\{app="nginx.service",iface="eth0",network="eth0",metered="false",direction="out"\} 20/);
    assert.doesNotMatch(text, /appnet_rule_hits/);
  }, { migrationsDir: join(dir, 'migs') })();
  rmSync(dir, { recursive: true, force: true });
});
