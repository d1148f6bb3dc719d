/**
 * Alerts end to end: production build behind `appnet serve`, headless Chromium with the
 * notification permission granted. The collector's store code records the alerts (a new app's
 * first traffic, a plan at 80 % and 100 %); the open dashboard passes them to the Notification
 * API, the Health page lists them, /metrics counts them, and a kind turned off on the Health
 * page (saved by the collector over its control socket) is not recorded any more.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { getAlertSettings, getAlerts } from '../../db/queries/alerts';
import { updateNetworkSettings } from '../../db/queries/network-settings';
import { checkAlerts } from '../../collector/alerts';
import { PollStore } from '../../collector/store';
import type { InterfaceInfo } from '../../collector/sources/interfaces';
import type { SeenCgroup } from '../../collector/sources/cgroups';
import { loggedIn, screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard } from './helpers';

const MiB = 2 ** 20;
const SHOWN = 'test.shownNotifications';
const APP = 'user.slice/user-1000.slice/user@1000.service/app.slice';
const wwan0: InterfaceInfo = { name: 'wwan0', kind: 'mobile', mac: null, speedMbps: null, netKey: 'conn:Mobile', netName: 'Mobile', meteredAuto: true };

describe('alerts', () => {
  let dir: string;
  let dbPath: string;
  let dash: Dashboard;
  let b: Browser;
  let cgroupId = 9000;
  /** collectorPolls stores one poll of traffic by a new scope of `scope`, as the collector would, then runs its alert checks. */
  const collectorPolls = (scope: string, bytes: number) => {
    const db: Db = openDb(dbPath);
    try {
      const cg: SeenCgroup = { id: ++cgroupId, path: `${APP}/${scope}`, level: 5, firstSeen: Date.now(), goneAt: null, samplePid: null, stored: false };
      new PollStore(db, () => {}).storePoll({ now: Date.now(), cgroups: [cg], ifaces: [wwan0], next: [], gone: [], prev: new Map(), deltas: [{ family: 'acct_in', direction: 'in', cgroupId: cg.id, iface: 'wwan0', bytes, packets: 1, elapsedMs: null }] });
      checkAlerts(db, Date.now(), { force: true });
    } finally {
      db.close();
    }
  };
  const read = <T,>(fn: (db: Db) => T): T => {
    const db = openDb(dbPath, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  before(async () => {
    dir = shareableDir('appnet-e2e-alerts-');
    dbPath = join(dir, 'appnet.db');
    const db = openDb(dbPath, { migrate: true });
    // Counting began an hour ago: apps seen now are new (lib/alerts.ts LEARNING_SECONDS).
    new PollStore(db, () => {}).storePoll({ now: Date.now() - 3600_000, cgroups: [], ifaces: [wwan0], next: [], gone: [], prev: new Map(), deltas: [{ family: 'acct_in', direction: 'in', cgroupId: null, iface: 'wwan0', bytes: 1, packets: 1, elapsedMs: null }] });
    const net = (db.prepare("SELECT id FROM networks WHERE net_key = 'conn:Mobile'").get() as { id: number }).id;
    updateNetworkSettings(db, net, { meteredUser: null, cycleStartDay: 1, planBytes: 100 * MiB });
    db.close();
    shareDb(dbPath);
    dash = await startDashboard({ db: dbPath });
    b = await loggedIn(dash);
    await b.context.grantPermissions(['notifications'], { origin: dash.url });
    // Record what reaches the Notification API (the real one is still called).
    // Record what reaches the Notification API (the real one is still called), across reloads.
    // A string, not a function: tsx would add its __name helper to a serialised class.
    await b.context.addInitScript(`
      const Real = window.Notification;
      Object.defineProperty(window, 'Notification', { value: class extends Real {
        constructor(title, opts) {
          super(title, opts);
          const shown = JSON.parse(sessionStorage.getItem('${SHOWN}') || '[]');
          shown.push({ title, body: (opts && opts.body) || '' });
          sessionStorage.setItem('${SHOWN}', JSON.stringify(shown));
        }
      } });
    `);
  });
  after(async () => {
    await b?.close();
    await dash?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const shown = () => b.page.evaluate((k) => JSON.parse(sessionStorage.getItem(k) ?? '[]') as Array<{ title: string; body: string }>, SHOWN);
  const waitShown = (n: number) => b.page.waitForFunction(([k, want]) => JSON.parse(sessionStorage.getItem(k as string) ?? '[]').length === want, [SHOWN, n] as const);

  test('alerts recorded while the dashboard is open become notifications and are listed on the Health page', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/health`);
    assert.equal(await page.getByTestId('notifications-on').count(), 1, 'permission granted: notifications are on');
    await page.waitForFunction(() => localStorage.getItem('appnet.alerts.seen') !== null);
    assert.deepEqual(await shown(), [], 'nothing from before the dashboard was opened');

    collectorPolls('app-flatpak-com.spotify.Client-5120.scope', 90 * MiB);
    assert.deepEqual(read((db) => getAlerts(db).map((a) => a.kind).sort()), ['new-app', 'plan-80']);
    await page.reload();
    await waitShown(2);
    assert.deepEqual(await shown(), [
      { title: 'New app on the network', body: 'com.spotify.Client used the network for the first time (on wwan0).' },
      { title: 'Data plan 80 % used', body: 'Mobile: 90.0 MiB of 100 MiB used this billing cycle (90 %).' },
    ]);
    const rows = page.getByTestId('alerts').locator('tbody tr');
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind'))), ['plan-80', 'new-app']);
    await page.reload();
    await page.waitForLoadState('networkidle');
    assert.equal((await shown()).length, 2, 'each alert is notified once');
    await screenshot(page, 'alerts-health');
  });

  test('/metrics counts the alerts of each kind', async () => {
    const res = await fetch(`${dash.url}/metrics`, { headers: { authorization: `Bearer ${dash.token}` } });
    const text = await res.text();
    assert.match(text, /^appnet_alerts_total\{kind="new-app"\} 1$/m);
    assert.match(text, /^appnet_alerts_total\{kind="plan-80"\} 1$/m);
    assert.match(text, /^appnet_alerts_total\{kind="plan-100"\} 0$/m);
  });

  test('a kind turned off on the Health page is saved by the collector and no longer recorded', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/health`);
    const form = page.getByTestId('alert-settings');
    await form.getByLabel('An app used the network for the first time').uncheck();
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal(read((db) => getAlertSettings(db)['new-app']), false);
    await page.reload();
    assert.equal(await page.getByTestId('alert-settings').getByLabel('An app used the network for the first time').isChecked(), false, 'the page shows the stored setting');

    collectorPolls('app-gnome-firefox-4711.scope', 20 * MiB);
    assert.deepEqual(read((db) => getAlerts(db).map((a) => a.kind).sort()), ['new-app', 'plan-100', 'plan-80'], 'the plan is used up; Firefox\'s first traffic is not an alert');
    await page.reload();
    await waitShown(3);
    assert.deepEqual((await shown()).map((n) => n.title).slice(2), ['Data plan used up']);
  });
});
