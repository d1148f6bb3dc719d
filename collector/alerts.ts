/**
 * The collector's alert checks that follow usage rather than a single event (lib/alerts.ts):
 * metered plans at 80 % and 100 % of their cycle, and data caps used up (the kernel's quota
 * now drops the app's traffic). A new app's first traffic is recorded with the poll that
 * stored it (collector/store.ts). Each alert is recorded once; a kind turned off is not.
 */
import type { Db } from '../db/open';
import { getAppNames, insertAlert } from '../db/queries/alerts';
import { getNetworks, getNetworkUsage } from '../db/queries/network-settings';
import { getFwApps } from '../db/queries/rules';
import { capAlert, planAlerts, type NewAlert } from '../lib/alerts';
import { cycleBounds } from '../lib/period';
import { unixSeconds } from '../lib/time';

/** Plans and caps are summed over a whole cycle: once every this many ms is soon enough. */
export const ALERT_CHECK_MS = 30_000;

const lastCheck = new WeakMap<Db, number>();

/** dueAlerts lists the plan and cap alerts the store's usage has earned at `nowSec` (recorded or not). */
export function dueAlerts(db: Db, nowSec: number): NewAlert[] {
  const out: NewAlert[] = [];
  for (const n of getNetworks(db)) {
    if (n.planBytes === null || !n.metered) continue;
    const c = cycleBounds(nowSec, n.cycleStartDay);
    const u = getNetworkUsage(db, n.id, c.since, nowSec + 1, nowSec);
    out.push(...planAlerts({ id: n.id, name: n.name, planBytes: n.planBytes, used: u.rxBytes + u.txBytes, cycleSince: c.since }, nowSec));
  }
  const names = getAppNames(db);
  for (const a of getFwApps(db)) {
    if (a.quotaBytes === null || a.quotaCycleStart === null || a.quotaCycleStart !== cycleBounds(nowSec, a.quotaCycleDay).since) continue;
    const alert = capAlert({ app: a.app, name: names.get(a.app) ?? a.app, limitBytes: a.quotaBytes, usedBytes: a.quotaUsed, network: a.quotaNetwork, cycleStart: a.quotaCycleStart }, nowSec);
    if (alert) out.push(alert);
  }
  return out;
}

/** checkAlerts records the due alerts not recorded yet, at most every ALERT_CHECK_MS; returns how many it recorded. */
export function checkAlerts(db: Db, nowMs: number, opts: { force?: boolean } = {}): number {
  if (!opts.force && nowMs - (lastCheck.get(db) ?? -Infinity) < ALERT_CHECK_MS) return 0;
  lastCheck.set(db, nowMs);
  const due = dueAlerts(db, unixSeconds(nowMs));
  return db.transaction(() => due.filter((a) => insertAlert(db, a)).length)();
}
