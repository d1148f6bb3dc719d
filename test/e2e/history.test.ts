/**
 * Per-network history on the Networks page and as CSV (vnStat's view): the production build
 * behind `appnet serve`, Chromium; the store written by the collector's own store code.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../db/open';
import { PollStore } from '../../collector/store';
import type { InterfaceInfo } from '../../collector/sources/interfaces';
import { parseCsv } from '../parse-csv';
import { localDate } from '../../lib/format';
import { loggedIn, screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard } from './helpers';

const MiB = 2 ** 20;
const link = (name: string, kind: 'wifi' | 'mobile', netKey: string, netName: string): InterfaceInfo => ({
  name, kind, mac: null, speedMbps: null, netKey, netName, meteredAuto: kind === 'mobile',
});

describe('per-network history', () => {
  let dir: string;
  let dash: Dashboard;
  let b: Browser;
  const now = Math.floor(Date.now() / 1000);
  const lastMonth = (() => {
    const d = new Date(now * 1000);
    return Math.floor(new Date(d.getFullYear(), d.getMonth() - 1, 15, 12).getTime() / 1000);
  })();

  before(async () => {
    dir = shareableDir('appnet-e2e-history-');
    const dbPath = join(dir, 'appnet.db');
    const db = openDb(dbPath, { migrate: true });
    const store = new PollStore(db, () => {});
    const ifaces = [link('wlan0', 'wifi', 'wifi:Home', 'Home'), link('wwan0', 'mobile', 'conn:Mobile', 'Mobile')];
    const poll = (ts: number, iface: string, rx: number) =>
      store.storePoll({ now: ts * 1000, cgroups: [], ifaces, next: [], gone: [], prev: new Map(), deltas: [{ family: 'acct_in', direction: 'in', cgroupId: null, iface, bytes: rx, packets: 1, elapsedMs: null }] });
    poll(lastMonth, 'wwan0', 300 * MiB);
    poll(now - 60, 'wwan0', 40 * MiB);
    poll(now - 60, 'wlan0', 700 * MiB);
    db.close();
    shareDb(dbPath);
    dash = await startDashboard({ db: dbPath });
    b = await loggedIn(dash);
  });
  after(async () => {
    await b?.close();
    await dash?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the Networks page shows each network\'s months and days', async () => {
    await b.page.goto(`${dash.url}/networks`);
    const history = b.page.getByTestId('network-history');
    const mobile = history.locator('details', { hasText: 'Mobile' });
    const months = mobile.locator('table[data-testid^="history-month-"] tbody tr');
    assert.deepEqual(await months.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-period'), Number(tr.getAttribute('data-bytes'))])), [
      [localDate(now - 60).slice(0, 7), 40 * MiB],
      [localDate(lastMonth).slice(0, 7), 300 * MiB],
    ]);
    const days = mobile.locator('table[data-testid^="history-day-"] tbody tr');
    assert.equal(await days.first().getAttribute('data-period'), localDate(now - 60));
    await screenshot(b.page, 'networks-history');
  });

  test('the same as CSV, per network and interface, daily and monthly', async () => {
    const res = await fetch(`${dash.url}/api/history.csv?by=month`, { headers: { authorization: `Bearer ${dash.token}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="appnet-history-month-/);
    const rows = parseCsv(await res.text());
    assert.deepEqual(rows[0], ['month', 'network', 'network_id', 'interface', 'rx_bytes', 'tx_bytes', 'total_bytes']);
    assert.deepEqual(rows.slice(1).map((r) => [r[0], r[1], r[3], r[6]]), [
      [localDate(lastMonth).slice(0, 7), 'Mobile', 'wwan0', String(300 * MiB)],
      [localDate(now - 60).slice(0, 7), 'Mobile', 'wwan0', String(40 * MiB)],
      [localDate(now - 60).slice(0, 7), 'Home', 'wlan0', String(700 * MiB)],
    ]);
    const bad = await fetch(`${dash.url}/api/history.csv?by=week`, { headers: { authorization: `Bearer ${dash.token}` } });
    assert.equal(bad.status, 400);
  });
});
