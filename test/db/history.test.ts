/**
 * Per-network history (vnStat's view): totals per local day and calendar month for each
 * network and interface, over 12 months, on the Networks page and as CSV.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../../db/open';
import { getLinkHistory } from '../../db/queries/history';
import { PollStore } from '../../collector/store';
import type { InterfaceInfo } from '../../collector/sources/interfaces';
import { byNetwork, historyCsv, historyQuerySchema, historySince } from '../../lib/history';
import { parseCsv } from '../parse-csv';

const link = (name: string, kind: 'wifi' | 'mobile', netKey: string, netName: string): InterfaceInfo => ({
  name, kind, mac: null, speedMbps: null, netKey, netName, meteredAuto: kind === 'mobile',
});
const local = (y: number, m: number, d: number, h = 12) => Math.floor(new Date(y, m - 1, d, h).getTime() / 1000);

test('daily and monthly totals per network and interface, 12 months back, and the same as CSV', () => {
  const db = openDb(':memory:', { migrate: true });
  const store = new PollStore(db, () => {});
  const ifaces = [link('wlan0', 'wifi', 'wifi:Home', 'Home'), link('wwan0', 'mobile', 'conn:Mobile', 'Mobile'), link('wlan1', 'wifi', 'wifi:Home', 'Home')];
  const poll = (ts: number, iface: string, rx: number, tx: number) =>
    store.storePoll({
      now: ts * 1000, cgroups: [], ifaces, next: [], gone: [], prev: new Map(),
      deltas: [
        { family: 'acct_in', direction: 'in', cgroupId: null, iface, bytes: rx, packets: 1, elapsedMs: null },
        { family: 'acct_out', direction: 'out', cgroupId: null, iface, bytes: tx, packets: 1, elapsedMs: null },
      ],
    });
  poll(local(2025, 11, 20), 'wwan0', 5, 5); // 13 months before: outside the window
  poll(local(2026, 10, 3), 'wwan0', 100, 10);
  poll(local(2026, 11, 29, 9), 'wwan0', 200, 20);
  poll(local(2026, 11, 29, 20), 'wwan0', 300, 30);
  poll(local(2026, 11, 30), 'wlan0', 1000, 100);
  poll(local(2026, 11, 30), 'wlan1', 50, 5);
  const now = local(2026, 11, 30, 18);
  const since = historySince(now);
  assert.equal(since, local(2025, 12, 1, 0), 'the window starts on the 1st, 11 months back');
  const end = local(2026, 12, 1, 0);

  const months = byNetwork(getLinkHistory(db, 'month', since, end));
  assert.deepEqual(months.map((n) => ({ network: n.network, ifaces: n.ifaces, periods: n.periods.map((p) => [p.ts, p.rxBytes, p.txBytes]) })), [
    { network: 'Mobile', ifaces: ['wwan0'], periods: [[local(2026, 11, 1, 0), 500, 50], [local(2026, 10, 1, 0), 100, 10]] },
    { network: 'Home', ifaces: ['wlan0', 'wlan1'], periods: [[local(2026, 11, 1, 0), 1050, 105]] },
  ]);
  const days = byNetwork(getLinkHistory(db, 'day', since, end));
  assert.deepEqual(days[0].periods.map((p) => [p.ts, p.rxBytes + p.txBytes]), [[local(2026, 11, 29, 0), 550], [local(2026, 10, 3, 0), 110]], 'two polls on one day are one day');

  const csv = parseCsv(historyCsv(getLinkHistory(db, 'day', since, end), 'day'));
  assert.deepEqual(csv, [
    ['day', 'network', 'network_id', 'interface', 'rx_bytes', 'tx_bytes', 'total_bytes'],
    ['2026-10-03', 'Mobile', String(months[0].networkId), 'wwan0', '100', '10', '110'],
    ['2026-11-29', 'Mobile', String(months[0].networkId), 'wwan0', '500', '50', '550'],
    ['2026-11-30', 'Home', String(months[1].networkId), 'wlan0', '1000', '100', '1100'],
    ['2026-11-30', 'Home', String(months[1].networkId), 'wlan1', '50', '5', '55'],
  ]);
  assert.equal(getLinkHistory(db, 'month', since, end, { networkId: months[1].networkId }).length, 2, 'one network: its two interfaces');
  assert.deepEqual(historyQuerySchema.parse({}), { by: 'day' });
  assert.equal(historyQuerySchema.safeParse({ by: 'week' }).success, false);
  assert.equal(historyQuerySchema.safeParse({ net: '1; DROP' }).success, false);
  db.close();
});
