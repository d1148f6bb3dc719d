/**
 * Dashboard queries against real SQLite files written by the collector's insert queries:
 * an empty store, one sample, a year of history; totals are checked against the seed's
 * own ledger of every byte written, and the hot queries' plans against the roll-up indexes.
 */
process.env.TZ = 'Europe/Berlin';

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { getAppLastActive, getAppSeriesByNetwork } from '../../db/queries/app-detail';
import { getAppPoints, getDataState, getNetworkTotals, getPointTotals, getReportRows, getSeriesTotals } from '../../db/queries/dashboard';
import { getNetworks, getNetworkUsage, updateNetworkSettings } from '../../db/queries/network-settings';
import { getReport } from '../../db/queries/report';
import { getTopApps } from '../../db/queries/usage';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { upsertApp } from '../../db/queries/apps';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { appIdentity } from '../../lib/identity';
import { localDate } from '../../lib/format';
import { reportQuerySchema } from '../../lib/report';
import { seedDb, seedEmptyDb, type Seeded } from '../fixtures/seed';

const dir = mkdtempSync(join(tmpdir(), 'appnet-dash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** recordSql records every SQL text a query function prepares, so its plan can be checked. */
function recordSql(db: Db): { db: Db; sqls: string[] } {
  const sqls: string[] = [];
  const proxy = new Proxy(db, {
    get(target, prop, recv) {
      if (prop === 'prepare') return (sql: string) => (sqls.push(sql), target.prepare(sql));
      const v = Reflect.get(target, prop, recv) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: proxy, sqls };
}

function plan(db: Db, sql: string): string[] {
  const n = (sql.match(/\?/g) ?? []).length;
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<null>(n).fill(null)) as Array<{ detail: string }>).map((r) => r.detail);
}

describe('empty store', () => {
  test('reports no usage, no poll and empty results rather than failing', () => {
    const path = join(dir, 'empty.db');
    seedEmptyDb(path);
    const db = openDb(path, { readonly: true });
    try {
      assert.deepEqual(getDataState(db), { hasUsage: false, lastPoll: null, lastPollOk: null, lastError: null });
      assert.deepEqual(getReportRows(db, { since: 0, until: 2_000_000_000 }, 'app', 2_000_000_000), []);
      assert.deepEqual(getNetworks(db), []);
      assert.deepEqual(getPointTotals(db, { since: 0, until: 100 }, { table: 'usage_1h', from: 0, step: 3600 }), []);
    } finally {
      db.close();
    }
  });
});

describe('one sample', () => {
  test('a single poll shows up in every grouping with its exact bytes', () => {
    const path = join(dir, 'one.db');
    const db = openDb(path, { migrate: true });
    const now = Math.floor(new Date('2026-06-10T12:00:05+02:00').getTime() / 1000);
    const nid = upsertNetwork(db, { netKey: 'iface:wwan0', name: 'Mobile', kind: 'mobile', meteredAuto: true }, now);
    const iid = upsertInterface(db, { name: 'wwan0', kind: 'mobile', mac: null, networkId: nid }, now);
    const aid = upsertApp(db, appIdentity('system.slice/apt-daily.service'), now);
    const sid = getOrCreateSeries(db, aid, iid, nid);
    insertUsage(db, now, [{ seriesId: sid, rxBytes: 1234, txBytes: 56, rxPackets: 3, txPackets: 1 }]);
    const f = { since: now - 3600, until: now + 10 };
    for (const by of ['app', 'app,iface', 'app,day'] as const) {
      const rows = getReportRows(db, f, by, now + 10);
      assert.equal(rows.length, 1, by);
      assert.equal(rows[0].rxBytes, 1234);
      assert.equal(rows[0].txBytes, 56);
      assert.equal(rows[0].appKey, 'apt-daily.service');
    }
    assert.equal(getReportRows(db, f, 'app,iface', now + 10)[0].iface, 'wwan0');
    assert.equal(getAppLastActive(db, aid), now - (now % 10));
    assert.equal(getReportRows(db, { ...f, metered: false }, 'app', now + 10).length, 0);
    assert.ok(updateNetworkSettings(db, nid, { meteredUser: false, cycleStartDay: 12, planBytes: 5 * 1024 ** 3 }));
    assert.equal(getReportRows(db, { ...f, metered: true }, 'app', now + 10).length, 0, 'the user flag wins over the automatic one');
    const n = getNetworks(db)[0];
    assert.deepEqual([n.metered, n.meteredAuto, n.meteredUser, n.cycleStartDay, n.planBytes], [false, true, false, 12, 5 * 1024 ** 3]);
    assert.throws(() => updateNetworkSettings(db, nid, { meteredUser: null, cycleStartDay: 31, planBytes: null }), /CHECK/);
    db.close();
  });
});

describe('a year of history', () => {
  let s: Seeded;
  let db: Db;
  const now = Math.floor(new Date('2026-11-20T15:37:40+01:00').getTime() / 1000);
  before(() => {
    s = seedDb(join(dir, 'year.db'), { now, days: 366 });
    db = openDb(s.path, { readonly: true });
  });
  after(() => db.close());

  test('per-app totals over the whole year, a week and the last hour equal the bytes written', () => {
    for (const span of [365 * 86400, 7 * 86400 + 1234, 3600, 86400 - 17]) {
      const f = { since: now - span, until: now };
      const rows = getReportRows(db, f, 'app', now);
      assert.ok(rows.length >= 7, `${span}: ${rows.length} apps`);
      for (const r of rows) {
        const want = s.sum({ ...f, appKey: r.appKey });
        assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], `${r.appKey} over ${span}s`);
      }
    }
  });

  test('the metered filter answers "which app used my mobile data": Firefox leads on wwan0, Syncthing overall', () => {
    const f = { since: now - 30 * 86400, until: now };
    const mobile = getTopApps(db, { ...f, metered: true }, now);
    assert.equal(mobile[0].appKey, 'app:firefox');
    const want = s.sum({ ...f, appKey: 'app:firefox', ifaces: ['wwan0'] });
    assert.equal(mobile[0].rxBytes, want.rx);
    assert.equal(mobile[0].txBytes, want.tx);
    assert.equal(getTopApps(db, f, now)[0].appKey, 'user:syncthing.service');
    const un = mobile.find((r) => r.appKey === '(unattributed)');
    assert.ok(un && un.rxBytes > 0, 'the unattributed bucket is reported like any app');
  });

  test('by app,iface splits each app exactly per interface and by app,day per local day', () => {
    const f = { since: now - 10 * 86400 - 999, until: now - 77 };
    for (const r of getReportRows(db, f, 'app,iface', now)) {
      const want = s.sum({ ...f, appKey: r.appKey, ifaces: [r.iface!] });
      assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], `${r.appKey} on ${r.iface}`);
    }
    const days = getReportRows(db, f, 'app,day', now);
    for (const r of days) {
      const want = s.sum({ since: r.since, until: r.until, appKey: r.appKey });
      assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], `${r.appKey} on ${new Date(r.since * 1000).toISOString()}`);
      assert.equal(new Date(r.since * 1000).getHours() === 0 || r.since === f.since, true);
    }
    assert.equal(new Set(days.map((d) => d.since)).size, 11);
  });

  test('network totals and the billing-cycle usage match the ledger', () => {
    const f = { since: now - 7 * 86400, until: now };
    const totals = getNetworkTotals(db, f, now);
    const wwan = totals.find((t) => t.ifaces === 'wwan0')!;
    const want = s.sum({ ...f, ifaces: ['wwan0'] });
    assert.deepEqual([wwan.rxBytes, wwan.txBytes, wwan.metered], [want.rx, want.tx, true]);
    const nid = s.networkIds.get('iface:wwan0')!;
    const cycleSince = Math.floor(new Date('2026-11-05T00:00:00+01:00').getTime() / 1000);
    const u = getNetworkUsage(db, nid, cycleSince, now, now);
    const w2 = s.sum({ since: cycleSince, until: now, ifaces: ['wwan0'] });
    assert.deepEqual([u.rxBytes, u.txBytes], [w2.rx, w2.tx]);
  });

  test('a "cycle" report starts on the metered network\'s cycle start day (the 5th)', () => {
    const r = getReport(db, reportQuerySchema.parse({ period: 'cycle', metered: '1' }), now);
    assert.equal(r.since, Math.floor(new Date('2026-11-05T00:00:00+01:00').getTime() / 1000));
    assert.equal(r.until, now);
  });

  test('chart points sum to the exact totals for whole buckets', () => {
    const since = now - (now % 3600) - 48 * 3600;
    const until = now - (now % 3600);
    const grid = { table: 'usage_1h', from: since, step: 3600 } as const;
    const ids = [s.appIds.get('app:firefox')!, s.appIds.get('app:spotify')!];
    const pts = getAppPoints(db, { since, until }, grid, ids);
    const sumOf = (id: number) => pts.filter((p) => p.appId === id).reduce((a, p) => a + p.rxBytes + p.txBytes, 0);
    const ff = s.sum({ since, until, appKey: 'app:firefox' });
    assert.equal(sumOf(ids[0]), ff.rx + ff.tx);
    assert.equal(new Set(pts.map((p) => p.ts)).size, 48);
    const all = s.sum({ since, until });
    const totals = getPointTotals(db, { since, until }, grid);
    assert.equal(totals.length, 48);
    assert.equal(totals.reduce((a, p) => a + p.rxBytes + p.txBytes, 0), all.rx + all.tx);
    const mobile = getPointTotals(db, { since, until, metered: true }, grid);
    const wm = s.sum({ since, until, ifaces: ['wwan0'] });
    assert.equal(mobile.reduce((a, p) => a + p.rxBytes + p.txBytes, 0), wm.rx + wm.tx);
    const byNet = getAppSeriesByNetwork(db, ids[0], { since, until }, grid);
    assert.equal(byNet.reduce((a, p) => a + p.rxBytes + p.txBytes, 0), ff.rx + ff.tx);
    assert.equal(new Set(byNet.map((p) => p.networkId)).size, 2, 'Firefox used wwan0 and wlan0');
  });

  test('hot queries read the roll-ups through their indexes, never a full scan', () => {
    const rec = recordSql(db);
    const f = { since: now - 86400, until: now, metered: true };
    getTopApps(rec.db, f, now);
    getReportRows(rec.db, { since: now - 365 * 86400, until: now }, 'app,day', now);
    getPointTotals(rec.db, f, { table: 'usage_1m', from: now - 86400, step: 600 });
    getAppPoints(rec.db, f, { table: 'usage_1m', from: now - 86400, step: 600 }, [1, 2]);
    getAppSeriesByNetwork(rec.db, 1, f, { table: 'usage_1d', from: now - 365 * 86400, step: 86400 });
    getNetworkTotals(rec.db, f, now);
    getSeriesTotals(rec.db, { since: now - 365 * 86400, until: now }, now);
    // The seven queries, and the lookups of the roll-up watermark, the newest 10 s row and the schema (hasTable) they make.
    const queries = rec.sqls.filter((q) => /usage_/.test(q) && !/^SELECT MAX\(ts\) AS hi FROM usage_10s$/.test(q));
    assert.equal(queries.length, 7, queries.join('\n'));
    assert.ok(rec.sqls.filter((q) => !queries.includes(q)).every((q) => /rollup_state|MAX\(ts\)|FROM sqlite_master/.test(q)), rec.sqls.join('\n'));
    assert.deepEqual(plan(db, 'SELECT MAX(ts) AS hi FROM usage_10s'), ['SEARCH usage_10s USING PRIMARY KEY'], 'the newest 10 s row is the last key');
    const seen = new Set<string>();
    for (const sql of queries) {
      const p = plan(db, sql);
      const usage = p.filter((l) => /usage_|\bu\b USING|PRIMARY KEY \(res=/.test(l) && !/CO-ROUTINE/.test(l));
      assert.ok(usage.length > 0, p.join('\n'));
      for (const l of usage) {
        // The 10 s rows after the roll-up watermark (migration 008) are read from it on; a chart's
        // roll-up and that tail are one subquery u, which the app's series probe.
        if (/^SEARCH usage_10s USING PRIMARY KEY \(ts>\?\)$/.test(l) || /^SEARCH u USING AUTOMATIC PARTIAL COVERING INDEX \(series_id=\?\)$/.test(l)) continue;
        assert.match(l, /^SEARCH \S+ USING (PRIMARY KEY \((res=\? AND )?ts>\? AND ts<\?\)|INDEX usage_1d_series \(series_id=\? AND ts>\? AND ts<\?\))/, `${l}\n in plan:\n${p.join('\n')}`);
        seen.add(l.replace(/^SEARCH \S+ USING /, ''));
      }
      assert.ok(!p.some((l) => /^SCAN (usage_|series|apps|networks|interfaces)/.test(l)), p.join('\n'));
    }
    assert.ok(seen.has('INDEX usage_1d_series (series_id=? AND ts>? AND ts<?)'), 'long per-day reads probe the daily roll-up per series');
  });
});

describe('daylight-saving changes (Europe/Berlin)', () => {
  let s: Seeded;
  let db: Db;
  const now = Math.floor(new Date('2026-11-03T09:00:00+01:00').getTime() / 1000);
  before(() => {
    s = seedDb(join(dir, 'dst.db'), { now, days: 240 });
    db = openDb(s.path, { readonly: true });
  });
  after(() => db.close());

  for (const [day, hours] of [['2026-03-29', 23], ['2026-10-25', 25]] as const) {
    test(`${day} is a ${hours}-hour day in the per-day report and its bytes are exact`, () => {
      const f = { since: Math.floor(new Date('2026-03-01T00:00:00+01:00').getTime() / 1000), until: now };
      const rows = getReportRows(db, f, 'app,day', now).filter((r) => localDate(r.since) === day);
      assert.ok(rows.length >= 7, `rows on ${day}: ${rows.length}`);
      for (const r of rows) {
        assert.equal(r.until - r.since, hours * 3600);
        const want = s.sum({ since: r.since, until: r.until, appKey: r.appKey });
        assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], r.appKey);
      }
    });
  }

  test('a period across both changes is exact', () => {
    const f = { since: Math.floor(new Date('2026-03-28T13:20:00+01:00').getTime() / 1000), until: Math.floor(new Date('2026-10-26T07:00:00+01:00').getTime() / 1000) };
    for (const r of getReportRows(db, f, 'app', now)) {
      const want = s.sum({ ...f, appKey: r.appKey });
      assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], r.appKey);
    }
  });
});
