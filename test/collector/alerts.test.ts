/**
 * Alerts recorded by the collector in the store: a new app's first traffic, a metered plan at
 * 80 % and 100 %, a data cap used up (its traffic blocked). Each once; a kind turned off over
 * the control channel is not recorded; /metrics counts them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../../db/open';
import { PollStore } from '../../collector/store';
import { checkAlerts } from '../../collector/alerts';
import { channelHandlers } from '../../collector/channel/handlers';
import { getAlerts, getAlertSettings } from '../../db/queries/alerts';
import { getMetricsSnapshot } from '../../db/queries/metrics';
import { updateNetworkSettings } from '../../db/queries/network-settings';
import { setQuotaUse } from '../../db/queries/rules';
import { setAppPolicy } from '../../db/rules-edit';
import type { InterfaceInfo } from '../../collector/sources/interfaces';
import type { SeenCgroup } from '../../collector/sources/cgroups';
import { DEFAULT_LIMITS, renderMetrics } from '../../lib/metrics';
import { cycleBounds } from '../../lib/period';
import { LEARNING_SECONDS } from '../../lib/alerts';

const MiB = 2 ** 20;
const wwan0: InterfaceInfo = { name: 'wwan0', kind: 'mobile', mac: null, speedMbps: null, netKey: 'conn:Mobile', netName: 'Mobile', meteredAuto: true };
const FF = 'user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4711.scope';

function setup() {
  const db = openDb(':memory:', { migrate: true });
  const store = new PollStore(db, () => {});
  const cg: SeenCgroup = { id: 7001, path: FF, level: 5, firstSeen: 0, goneAt: null, samplePid: null, stored: false };
  let now = Date.UTC(2026, 10, 20, 12);
  const poll = (bytes: number, cgroupId: number | null = 7001) => {
    now += 10_000;
    const fresh = store.storePoll({ now, cgroups: cgroupId === null ? [] : [cg], ifaces: [wwan0], next: [], gone: [], prev: new Map(), deltas: [{ family: 'acct_in', direction: 'in', cgroupId, iface: 'wwan0', bytes, packets: 1, elapsedMs: null }] });
    for (const c of fresh) c.stored = true;
    return now;
  };
  /** later moves the clock on (past the learning period after the store's first poll). */
  const later = (ms: number) => (now += ms);
  return { db, poll, later, kinds: () => getAlerts(db).map((a) => a.kind).reverse() };
}

test('an app\'s first traffic is an alert, once; the unattributed bucket is not an app; apps of the first 10 minutes are not new', () => {
  const { db, poll, later, kinds } = setup();
  poll(100, null);
  assert.deepEqual(kinds(), []);
  const early = setup();
  early.poll(100, null);
  early.poll(100);
  assert.deepEqual(early.kinds(), [], 'what the machine ran when counting began is not a new app');
  early.db.close();
  later(LEARNING_SECONDS * 1000);
  poll(100);
  poll(100);
  assert.deepEqual(kinds(), ['new-app']);
  assert.match(getAlerts(db)[0].message, /^firefox used the network for the first time \(on wwan0\)\.$/);
  db.close();
});

test('a metered plan alerts at 80 % and at 100 % of its cycle, each once', () => {
  const { db, poll, later, kinds } = setup();
  poll(0, null);
  later(LEARNING_SECONDS * 1000);
  poll(0);
  const netId = (db.prepare("SELECT id FROM networks WHERE net_key = 'conn:Mobile'").get() as { id: number }).id;
  assert.ok(updateNetworkSettings(db, netId, { meteredUser: null, cycleStartDay: 1, planBytes: 100 * MiB }));
  let now = poll(70 * MiB);
  checkAlerts(db, now, { force: true });
  assert.deepEqual(kinds(), ['new-app']);
  now = poll(15 * MiB);
  checkAlerts(db, now, { force: true });
  checkAlerts(db, now + 60_000, { force: true });
  assert.deepEqual(kinds(), ['new-app', 'plan-80']);
  assert.match(getAlerts(db)[0].message, /^Mobile: 85\.0 MiB of 100 MiB used this billing cycle \(85 %\)\.$/);
  now = poll(20 * MiB);
  checkAlerts(db, now, { force: true });
  assert.deepEqual(kinds(), ['new-app', 'plan-80', 'plan-100']);
  db.close();
});

test('a data cap used up in its cycle is an alert: the app is blocked', () => {
  const { db, poll, later, kinds } = setup();
  poll(1, null);
  later(LEARNING_SECONDS * 1000);
  const now = poll(1);
  const sec = Math.floor(now / 1000);
  const set = setAppPolicy(db, { app: 'app:firefox', quotaBytes: 50 * MiB, quotaNetwork: 'metered', quotaCycleDay: 1 }, sec);
  assert.ok(set.ok);
  const start = cycleBounds(sec, 1).since;
  setQuotaUse(db, set.value.id, 49 * MiB, start);
  checkAlerts(db, now, { force: true });
  assert.deepEqual(kinds(), ['new-app']);
  setQuotaUse(db, set.value.id, 50 * MiB, start);
  checkAlerts(db, now, { force: true });
  assert.deepEqual(kinds(), ['new-app', 'cap-blocked']);
  assert.equal(getAlerts(db)[0].message, 'firefox reached its data cap of 50.0 MiB on metered networks; its traffic there is blocked until the next billing cycle.');
  db.close();
});

test('a kind turned off over the control channel is not recorded; /metrics counts every kind', async () => {
  const { db, poll, later, kinds } = setup();
  poll(1, null);
  later(LEARNING_SECONDS * 1000);
  const saved = channelHandlers(db)['alerts.settings.save']({ 'new-app': false, 'plan-80': true, 'plan-100': true, 'cap-blocked': true });
  assert.deepEqual(saved, { ok: true, value: { 'new-app': false, 'plan-80': true, 'plan-100': true, 'cap-blocked': true } });
  assert.equal(getAlertSettings(db)['new-app'], false);
  poll(100);
  assert.deepEqual(kinds(), [], 'turned off: not recorded');
  const text = await renderMetrics(getMetricsSnapshot(db, DEFAULT_LIMITS, Math.floor(Date.UTC(2026, 10, 20, 13) / 1000)));
  assert.match(text, /^appnet_alerts_total\{kind="new-app"\} 0$/m);
  assert.match(text, /^appnet_alerts_total\{kind="cap-blocked"\} 0$/m);
  db.close();
});
