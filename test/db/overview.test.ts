/** The Overview's data layer on a seeded store: ranking, per-network totals, chart and sparklines agree with the bytes written. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getAppDetail } from '../../app/_data/app-detail';
import { getOverview } from '../../app/_data/overview';
import { parseView } from '../../app/_data/view';
import { openDb } from '../../db/open';
import { seedDb } from '../fixtures/seed';

const dir = mkdtempSync(join(tmpdir(), 'appnet-overview-'));
const now = Math.floor(new Date('2026-07-15T18:03:20Z').getTime() / 1000);
const s = seedDb(join(dir, 'o.db'), { now, days: 35, extraApps: 6 });
const db = openDb(s.path, { readonly: true });
after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const period of ['1h', '24h', '7d', '30d'] as const) {
  test(`overview ${period}: ranking, totals, chart and "other apps" add up`, () => {
    const view = parseView(db, { period, net: 'all' }, now);
    const o = getOverview(db, view, now);
    const want = s.sum({ since: view.since, until: view.until });
    assert.deepEqual([o.total.rx, o.total.tx], [want.rx, want.tx]);
    for (const a of o.apps) {
      const w = s.sum({ since: view.since, until: view.until, appKey: a.key });
      assert.deepEqual([a.rx, a.tx], [w.rx, w.tx], a.key);
    }
    assert.deepEqual(o.apps.map((a) => a.rx + a.tx), [...o.apps.map((a) => a.rx + a.tx)].sort((x, y) => y - x));
    assert.equal(o.networkTotals.reduce((a, n) => a + n.rxBytes + n.txBytes, 0), want.rx + want.tx);
    assert.equal(o.chart.series.at(-1)?.key, 'a0', 'more than 7 apps: the rest is one "other apps" area');
    assert.ok(o.chart.points.length >= 30 && o.chart.points.length <= 200, `${o.chart.points.length} points`);
    const drawn = o.chart.points.reduce((a, p) => a + o.chart.series.reduce((b, k) => b + p[k.key], 0), 0);
    const gridWant = s.sum({ since: o.chart.points[0].ts, until: o.chart.points.at(-1)!.ts + o.chart.stepSeconds });
    assert.equal(drawn, gridWant.rx + gridWant.tx, 'the stacked chart holds every byte of its points, none twice');
    assert.ok(o.apps[0].spark.length >= 12 && o.apps[0].spark.length <= 24);
    assert.ok(o.apps[0].spark.some((v) => v > 0));
  });
}

test('metered overview puts the app that used the mobile link most on top', () => {
  const view = parseView(db, { period: '7d', net: 'metered' }, now);
  const o = getOverview(db, view, now);
  assert.equal(o.apps[0].key, 'app:firefox');
  assert.deepEqual(o.networkTotals.map((n) => n.ifaces), ['wwan0']);
  assert.ok(o.unattributed && o.unattributed.rx > 0);
});

test('app detail: per-network totals and both direction charts', () => {
  const view = parseView(db, { period: '7d', net: 'all' }, now);
  const d = getAppDetail(db, s.appIds.get('app:firefox')!, view, now)!;
  const w = s.sum({ since: view.since, until: view.until, appKey: 'app:firefox' });
  assert.deepEqual([d.total.rx, d.total.tx], [w.rx, w.tx]);
  assert.deepEqual(d.perNetwork.map((n) => n.ifaces).sort(), ['wlan0', 'wwan0']);
  assert.equal(d.chart.series.length, 2);
  assert.ok(d.chart.down.some((p) => p[d.chart.series[0].key] > 0));
  assert.equal(getAppDetail(db, 999_999, view, now), null);
});

test('parseView reads custom periods as datetime-local, ISO-8601 or unix seconds, and falls back on nonsense', () => {
  const a = parseView(db, { period: 'custom', since: String(now - 365 * 86400), until: String(now) }, now);
  assert.deepEqual([a.since, a.until], [now - 365 * 86400, now]);
  const b = parseView(db, { period: 'custom', since: '2026-07-01T00:00:00Z', until: '2026-07-02' }, now);
  assert.equal(b.since, Date.UTC(2026, 6, 1) / 1000);
  const c = parseView(db, { period: 'bogus', net: 'iface:eth0;drop', since: 'x' }, now);
  assert.deepEqual([c.period, c.net, c.until - c.since], ['24h', 'all', 86400]);
  const d = parseView(db, { period: 'cycle', net: 'metered' }, now);
  assert.equal(new Date(d.since * 1000).getDate(), 5, 'the metered network\'s cycle starts on the 5th');
});

test('25 minutes of traffic only: every chart draws it, in the last point, marked in progress (chart and totals agree)', () => {
  // Traffic began at 18:00 (a round hour, as the seed's history starts on one), 25 minutes ago.
  const at = Math.floor(new Date('2026-07-15T18:25:05Z').getTime() / 1000);
  const fresh = seedDb(join(dir, 'fresh.db'), { now: at, days: 25 / 1440 });
  const fdb = openDb(fresh.path, { readonly: true });
  try {
    for (const period of ['1h', '24h', 'today', '7d', '30d', 'cycle'] as const) {
      const view = parseView(fdb, { period, net: 'all' }, at);
      const o = getOverview(fdb, view, at);
      const total = o.total.rx + o.total.tx;
      assert.ok(total > 0);
      const drawn = o.chart.points.reduce((a, p) => a + o.chart.series.reduce((b, k) => b + p[k.key], 0), 0);
      assert.equal(drawn, total, `${period}: the chart draws the totals' bytes`);
      assert.equal(o.chart.inProgress, o.chart.points.at(-1)!.ts, `${period}: the last point holds now`);
      const d = getAppDetail(fdb, fresh.appIds.get('app:firefox')!, view, at)!;
      const sum = (ps: Array<Record<string, number>>) => ps.reduce((a, p) => a + d.chart.series.reduce((b, k) => b + p[k.key], 0), 0);
      assert.equal(sum(d.chart.down) + sum(d.chart.up), d.total.rx + d.total.tx, `${period}: the app page's charts draw its total`);
      assert.equal(d.chart.inProgress, d.chart.down.at(-1)!.ts);
    }
  } finally {
    fdb.close();
  }
});

test('"1 other app", singular, when one app is left out of the chart', () => {
  const few = seedDb(join(dir, 'few.db'), { now, days: 1, extraApps: 1 }); // seven apps and one more
  const fdb = openDb(few.path, { readonly: true });
  try {
    const o = getOverview(fdb, parseView(fdb, { period: '24h', net: 'all' }, now), now);
    assert.equal(o.apps.length, 8);
    assert.equal(o.chart.series.at(-1)?.name, '1 other app');
  } finally {
    fdb.close();
  }
});
