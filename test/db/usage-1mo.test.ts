/**
 * The monthly roll-up (migration 004) and the per-link totals (005): long-period totals read whole
 * local months from usage_1mo and stay exact across month boundaries and daylight-saving changes,
 * survive retention; chart totals read usage_link, which always agrees with the per-series rows;
 * a store written before 004 gets both backfilled when it migrates.
 */
process.env.TZ = 'Europe/Berlin';

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { latestSchemaVersion, migrate, openDb, schemaVersion, type Db } from '../../db/open';
import { getOverview } from '../../app/_data/overview';
import { parseView } from '../../app/_data/view';
import { getAppLastActive } from '../../db/queries/app-detail';
import { getPointTotals, getSeriesTotals } from '../../db/queries/dashboard';
import { getNetworkUsage } from '../../db/queries/network-settings';
import { getTopApps, splitRangeFor } from '../../db/queries/usage';
import { pruneUsage, rollUp } from '../../db/store/rollup';
import { rollupSource } from '../../db/queries/sql-parts';
import { localMidnight, localMonthStart, nextLocalMonthStart, RESOLUTIONS } from '../../lib/time';
import { migrationsBefore } from '../fixtures/migrations';
import { seedDb, type Seeded } from '../fixtures/seed';

const dir = mkdtempSync(join(tmpdir(), 'appnet-1mo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const at = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/**
 * rows reads a roll-up as its readers see it: the table plus the 10 s rows not rolled up into it yet
 * (migration 008), one row per (bucket, series).
 */
function rollupRows(db: Db, table: (typeof RESOLUTIONS)[number]['table']): Array<Record<string, number>> {
  const src = rollupSource(db, table);
  return db
    .prepare(`SELECT ts, series_id AS s, SUM(rx_bytes) AS rx, SUM(tx_bytes) AS tx, SUM(rx_packets) AS rxp, SUM(tx_packets) AS txp FROM ${src.sql} GROUP BY ts, series_id`)
    .all(...src.params) as Array<Record<string, number>>;
}

/** monthsFromDays sums usage_1d per (local month, series) in JS: what usage_1mo must hold. */
function monthsFromDays(db: Db): Map<string, [number, number, number, number]> {
  const out = new Map<string, [number, number, number, number]>();
  const rows = rollupRows(db, 'usage_1d');
  for (const r of rows) {
    const k = `${localMonthStart(r.ts)}/${r.s}`;
    const v = out.get(k) ?? [0, 0, 0, 0];
    out.set(k, [v[0] + r.rx, v[1] + r.tx, v[2] + r.rxp, v[3] + r.txp]);
  }
  return out;
}

/** linkMismatches compares usage_link with the per-series rows summed per (interface, network); returns the differing keys. */
function linkMismatches(db: Db): string[] {
  const bad: string[] = [];
  for (const r of RESOLUTIONS) {
    const src = rollupSource(db, r.table);
    const want = db.prepare(
      `SELECT u.ts || '/' || s.iface_id || '/' || s.network_id AS k, SUM(u.rx_bytes) || '/' || SUM(u.tx_bytes) || '/' || SUM(u.rx_packets) || '/' || SUM(u.tx_packets) AS v
       FROM ${src.sql} u JOIN series s ON s.id = u.series_id GROUP BY u.ts, s.iface_id, s.network_id`,
    ).all(...src.params) as Array<{ k: string; v: string }>;
    const got = db.prepare(
      `SELECT ts || '/' || iface_id || '/' || network_id AS k, rx_bytes || '/' || tx_bytes || '/' || rx_packets || '/' || tx_packets AS v FROM usage_link WHERE res = ?`,
    ).all(r.seconds) as Array<{ k: string; v: string }>;
    const g = new Map(got.map((x) => [x.k, x.v]));
    if (got.length !== want.length) bad.push(`${r.table}: ${got.length} link rows for ${want.length} link buckets`);
    for (const x of want) if (g.get(x.k) !== x.v) bad.push(`${r.table} ${x.k}: ${g.get(x.k)} != ${x.v}`);
  }
  return bad.slice(0, 5);
}

function monthRows(db: Db): Map<string, [number, number, number, number]> {
  const rows = rollupRows(db, 'usage_1mo');
  return new Map(rows.map((r) => [`${r.ts}/${r.s}`, [r.rx, r.tx, r.rxp, r.txp]]));
}

describe('ten months of history written by the collector', () => {
  let s: Seeded;
  let db: Db;
  const now = at('2026-11-03T09:00:00+01:00');
  before(() => {
    s = seedDb(join(dir, 'months.db'), { now, days: 300 });
    db = openDb(s.path, { readonly: true });
  });
  after(() => db.close());

  test('every month row is the sum of its local days', () => {
    assert.deepEqual(monthRows(db), monthsFromDays(db));
    const starts = new Set((db.prepare('SELECT DISTINCT ts FROM usage_1mo').all() as Array<{ ts: number }>).map((r) => r.ts));
    for (const ts of starts) {
      const d = new Date(ts * 1000);
      assert.deepEqual([d.getDate(), d.getHours(), d.getMinutes()], [1, 0, 0], `bucket ${ts} starts at local midnight on the 1st`);
    }
    assert.ok(starts.has(at('2026-04-01T00:00:00+02:00')) && starts.has(at('2026-03-01T00:00:00+01:00')), 'months in summer and winter time');
  });

  test('per-link totals agree with the per-series rows at every resolution', () => {
    assert.deepEqual(linkMismatches(db), []);
    const res = (db.prepare('SELECT DISTINCT res FROM usage_link ORDER BY res').all() as Array<{ res: number }>).map((r) => r.res);
    assert.deepEqual(res, RESOLUTIONS.map((r) => r.seconds), 'every resolution has link rows');
  });

  test('a year chart\'s daily totals come from the per-link rows and are exact, with and without filters', () => {
    const since = localMidnight(now - 300 * 86400 + 86400);
    const until = localMidnight(now);
    const grid = { table: 'usage_1d', from: since, step: 86400 } as const;
    for (const f of [{}, { metered: true }, { ifaces: ['wlan0', 'eth0'] }]) {
      const pts = getPointTotals(db, { since, until, ...f }, grid);
      assert.ok(pts.length > 250, `${pts.length} days`);
      for (const p of pts.filter((_, i) => i % 17 === 0)) {
        const next = localMidnight(p.ts + 26 * 3600);
        const want = s.sum({ since: p.ts, until: next, ifaces: 'metered' in f ? ['wwan0'] : 'ifaces' in f ? f.ifaces : undefined });
        assert.deepEqual([p.rxBytes, p.txBytes], [want.rx, want.tx], `${JSON.stringify(f)} on ${p.ts}`);
      }
    }
  });

  test('a ten-month overview draws its sparklines per local month, each month exact', () => {
    const since = now - 300 * 86400;
    const o = getOverview(db, parseView(db, { period: 'custom', since: String(since), until: String(now) }, now), now);
    const months: number[] = [];
    for (let t = localMonthStart(since); t < now; t = nextLocalMonthStart(t)) months.push(t);
    assert.equal(months.length, 11);
    for (const a of o.apps.slice(0, 5)) {
      assert.equal(a.spark.length, months.length, a.key);
      for (let i = 1; i < months.length - 1; i++) {
        const want = s.sum({ since: months[i], until: months[i + 1], appKey: a.key });
        assert.equal(a.spark[i], want.rx + want.tx, `${a.key} in month ${i}`);
      }
    }
  });

  test('periods that span month boundaries read whole months and are exact', () => {
    const periods: Array<[string, string]> = [
      ['2026-01-17T13:20:00+01:00', '2026-11-03T09:00:00+01:00'],
      ['2026-02-28T23:00:00+01:00', '2026-10-01T00:00:00+02:00'],
      ['2026-03-01T00:00:00+01:00', '2026-04-01T00:00:00+02:00'],
      ['2026-03-31T12:00:00+02:00', '2026-11-01T00:30:00+01:00'],
    ];
    for (const [a, b] of periods) {
      const f = { since: at(a), until: at(b) };
      const pieces = splitRangeFor(db, f.since, f.until, now);
      assert.ok(pieces.some((p) => p.table === 'usage_1mo'), `${a} … ${b} reads whole months`);
      for (const r of getTopApps(db, f, now)) {
        const want = s.sum({ ...f, appKey: r.appKey });
        assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], `${r.appKey} over ${a} … ${b}`);
      }
      const perSeries = getSeriesTotals(db, f, now);
      const mobile = perSeries.filter((r) => r.iface === 'wwan0').reduce((n, r) => n + r.rxBytes + r.txBytes, 0);
      const want = s.sum({ ...f, ifaces: ['wwan0'] });
      assert.equal(mobile, want.rx + want.tx);
      const net = getNetworkUsage(db, perSeries.find((r) => r.iface === 'wwan0')!.networkId, f.since, f.until, now);
      assert.equal(net.rxBytes + net.txBytes, want.rx + want.tx);
    }
  });

  test('retention never prunes months: a year stays exact after pruning', () => {
    const w = openDb(s.path);
    try {
      const before = (w.prepare('SELECT COUNT(*) AS n FROM usage_1mo').get() as { n: number }).n;
      pruneUsage(w, now + 200 * 86400);
      assert.equal((w.prepare('SELECT COUNT(*) AS n FROM usage_1mo').get() as { n: number }).n, before);
      assert.equal((w.prepare('SELECT COUNT(*) AS n FROM usage_1h WHERE ts < ?').get(now + 200 * 86400 - 400 * 86400) as { n: number }).n, 0, 'hours past retention are gone');
      assert.deepEqual(linkMismatches(w), [], 'link totals are pruned with their rows');
      const f = { since: at('2026-01-01T00:00:00+01:00'), until: at('2026-11-01T00:00:00+01:00') };
      const later = now + 200 * 86400;
      for (const r of getTopApps(w, f, later)) {
        const want = s.sum({ ...f, appKey: r.appKey });
        assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], r.appKey);
      }
    } finally {
      w.close();
    }
  });
});

describe('a store written before migration 004', () => {
  test('is migrated with its months backfilled from usage_1d, and reads stay exact before and after', () => {
    const migs = migrationsBefore(dir, 4);
    const path = join(dir, 'old.db');
    const old = openDb(path);
    migrate(old, migs);
    assert.equal(schemaVersion(old), 3);
    old.close();
    const now = at('2026-11-03T09:00:00+01:00');
    const s = seedOld(path, now, migs);
    const ro = openDb(path, { readonly: true });
    const f = { since: at('2026-02-10T06:00:00+01:00'), until: now };
    try {
      assert.ok(!splitRangeFor(ro, f.since, f.until, now).some((p) => p.table === 'usage_1mo'), 'no months before 004');
      for (const r of getTopApps(ro, f, now)) assert.equal(r.rxBytes, s.sum({ ...f, appKey: r.appKey }).rx, r.appKey);
      // The dashboard may read a store its collector has not migrated yet: no page reads a missing table.
      const o = getOverview(ro, parseView(ro, { period: 'custom', since: String(now - 300 * 86400), until: String(now) }, now), now);
      assert.equal(o.total.rx, s.sum({ since: now - 300 * 86400, until: now }).rx);
      assert.ok(o.apps[0].spark.length > 0);
      assert.equal(getAppLastActive(ro, 999_999), null);
    } finally {
      ro.close();
    }
    const db = openDb(path, { migrate: true });
    try {
      assert.equal(schemaVersion(db), latestSchemaVersion());
      assert.ok((db.prepare('SELECT COUNT(*) AS n FROM usage_1mo').get() as { n: number }).n > 0);
      assert.deepEqual(monthRows(db), monthsFromDays(db));
      assert.deepEqual(linkMismatches(db), [], 'link totals backfilled');
      const cols = (db.prepare("SELECT name FROM pragma_index_info('usage_1d_series') ORDER BY seqno").all() as Array<{ name: string }>).map((r) => r.name);
      assert.deepEqual(cols, ['series_id', 'ts'], 'the per-series day index no longer covers the byte columns (006)');
      assert.ok(splitRangeFor(db, f.since, f.until, now).some((p) => p.table === 'usage_1mo'));
      for (const r of getTopApps(db, f, now)) {
        const want = s.sum({ ...f, appKey: r.appKey });
        assert.deepEqual([r.rxBytes, r.txBytes], [want.rx, want.tx], r.appKey);
      }
    } finally {
      db.close();
    }
  });
});

/** seedOld fills a schema-3 store with a seeded history: every table an older collector wrote, no months. */
function seedOld(path: string, now: number, migs: string): Seeded {
  const tmp = join(dir, 'seed-latest.db');
  const s = seedDb(tmp, { now, days: 300 });
  // An older collector wrote every roll-up on every poll: nothing is waiting in usage_10s.
  const latest = openDb(tmp);
  rollUp(latest, now - (now % 10) + 10);
  latest.close();
  const src = openDb(tmp, { readonly: true });
  const db = openDb(path);
  try {
    migrate(db, migs);
    db.prepare('ATTACH DATABASE ? AS src').run(tmp);
    db.transaction(() => {
      for (const t of ['networks', 'interfaces', 'apps', 'series', 'usage_10s', 'usage_1m', 'usage_1h', 'usage_1d']) {
        // The old schema's columns: later migrations added some (apps.icon, apps.first_traffic).
        const cols = (db.prepare(`SELECT name FROM pragma_table_info('${t}', 'main')`).all() as Array<{ name: string }>).map((c) => c.name).join(', ');
        db.exec(`INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM src.${t}`);
      }
    })();
    db.exec('DETACH DATABASE src');
  } finally {
    db.close();
    src.close();
  }
  return { ...s, path };
}
