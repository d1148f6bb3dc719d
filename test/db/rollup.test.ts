/**
 * Deferred roll-ups (migration 008): a poll writes its 10 s rows, and about once a minute the
 * closed 10 s buckets move into the minute, hour, day and month roll-ups. Whatever is waiting, every
 * reader (totals, chart points per bucket, /metrics) must stay exact after every poll: across a
 * local midnight that is also a month boundary, in a zone whose days do not start on a UTC hour, when
 * the clock steps back, when a poll fails, and on a store an older collector wrote.
 */
process.env.TZ = 'Asia/Kolkata';

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { migrate, openDb, type Db } from '../../db/open';
import { upsertApp } from '../../db/queries/apps';
import { getAppPoints } from '../../db/queries/dashboard';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { getMetricsSnapshot } from '../../db/queries/metrics';
import { rollupUntil } from '../../db/queries/sql-parts';
import { getTopApps } from '../../db/queries/usage';
import { pruneUsage, ROLLUP_EVERY } from '../../db/store/rollup';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { appIdentity } from '../../lib/identity';
import { bucketStart, localMonthStart, RESOLUTIONS } from '../../lib/time';
import { migrationsBefore, MIGRATIONS } from '../fixtures/migrations';

const dir = mkdtempSync(join(tmpdir(), 'appnet-rollup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const at = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
const COARSE = RESOLUTIONS.filter((r) => r.table !== 'usage_10s');

interface Entry {
  ts: number;
  app: number;
  rx: number;
  tx: number;
}

/** A store with three series (two apps, two interfaces) and a ledger of everything written to it. */
function store(db: Db, t0: number) {
  const series: Array<{ id: number; app: number }> = [];
  for (const [unit, iface] of [['a.service', 'eth0'], ['a.service', 'wwan0'], ['b.service', 'eth0']] as const) {
    const app = upsertApp(db, appIdentity(`system.slice/${unit}`), t0);
    const net = upsertNetwork(db, { netKey: `iface:${iface}`, name: iface, kind: 'ethernet', meteredAuto: false }, t0);
    const ifc = upsertInterface(db, { name: iface, kind: 'ethernet', mac: null, networkId: net }, t0);
    series.push({ id: getOrCreateSeries(db, app, ifc, net), app });
  }
  const ledger: Entry[] = [];
  let k = 0;
  return {
    ledger,
    apps: [...new Set(series.map((s) => s.app))],
    /** Which parts each roll-up wrote, e.g. 'roll-up usage_1m' or 'roll-up usage_1m (read back)'. */
    parts: new Set<string>(),
    /** One poll at ts: every series moves a few (deterministic) bytes. */
    poll(ts: number, writeTo: Db = db) {
      const deltas = series.map((s, i) => {
        const rx = 1000 + ((k * 7919 + i * 104729) % 50000);
        const tx = 100 + ((k * 31 + i) % 900);
        ledger.push({ ts, app: s.app, rx, tx });
        return { seriesId: s.id, rxBytes: rx, txBytes: tx, rxPackets: 1, txPackets: 1 };
      });
      k++;
      writeTo.transaction(() => insertUsage(writeTo, ts, deltas, (part) => this.parts.add(part)))();
    },
  };
}

function ledgerSum(ledger: Entry[], since: number, until: number, app?: number): [number, number] {
  let rx = 0;
  let tx = 0;
  for (const e of ledger) {
    if (e.ts < since || e.ts >= until || (app !== undefined && e.app !== app)) continue;
    rx += e.rx;
    tx += e.tx;
  }
  return [rx, tx];
}

/** Every reader against the ledger: period totals per app, chart points per bucket at every coarse resolution, /metrics. */
function assertExact(db: Db, ledger: Entry[], apps: number[], now: number, when: string): void {
  const since = ledger[0].ts - 86400;
  for (const a of getTopApps(db, { since, until: now }, now)) {
    assert.deepEqual([a.rxBytes, a.txBytes], ledgerSum(ledger, since, now, a.appId), `${when}: top apps, app ${a.appId}`);
  }
  for (const res of COARSE) {
    const from = res.table === 'usage_1mo' ? localMonthStart(since) : bucketStart(since, res);
    const pts = getAppPoints(db, { since: from, until: now + 1 }, { table: res.table, from, step: res.seconds }, apps);
    const want = new Map<string, number>();
    for (const e of ledger) {
      const key = `${bucketStart(e.ts, res)}/${e.app}`;
      want.set(key, (want.get(key) ?? 0) + e.rx + e.tx);
    }
    const got = new Map(pts.map((p) => [`${p.ts}/${p.appId}`, p.rxBytes + p.txBytes]));
    assert.deepEqual(got, want, `${when}: ${res.table} chart points`);
  }
  const m = getMetricsSnapshot(db, { maxApps: 10, minBytes: 0, maxIfaces: 10, maxNetworks: 10 }, now);
  const [rx, tx] = ledgerSum(ledger, 0, Infinity);
  assert.deepEqual([m.usage.reduce((n, u) => n + u.rxBytes, 0), m.usage.reduce((n, u) => n + u.txBytes, 0)], [rx, tx], `${when}: /metrics`);
}

/** The coarse roll-ups hold exactly the 10 s rows before the watermark. */
function assertWatermark(db: Db, when: string): void {
  const w = rollupUntil(db);
  assert.notEqual(w, null, when);
  const before = (db.prepare('SELECT COALESCE(SUM(rx_bytes), 0) AS n FROM usage_10s WHERE ts < ?').get(w) as { n: number }).n;
  for (const res of COARSE) {
    const n = (db.prepare(`SELECT COALESCE(SUM(rx_bytes), 0) AS n FROM ${res.table}`).get() as { n: number }).n;
    assert.equal(n, before, `${when}: ${res.table} holds the 10 s rows before the watermark`);
  }
}

describe('deferred roll-ups', () => {
  test('every reader is exact after every poll across a local midnight that starts a month, and the roll-ups trail by at most a minute', () => {
    const db = openDb(join(dir, 'midnight.db'), { migrate: true });
    try {
      const t0 = at('2026-10-31T23:54:02+05:30');
      const s = store(db, t0);
      s.poll(t0);
      assert.equal(rollupUntil(db), t0 - (t0 % 10) + 10, 'the first poll sets the watermark after its own bucket');
      let ts = t0;
      for (let i = 1; i <= 180; i++) {
        ts += 5;
        s.poll(ts);
        const w = rollupUntil(db)!;
        assert.ok(ts - w < ROLLUP_EVERY + 10, `poll ${i}: the roll-ups trail the poll by ${ts - w} s`);
        if (i % 9 === 0 || i === 180) {
          assertExact(db, s.ledger, s.apps, ts + 1, `poll ${i}`);
          assertWatermark(db, `poll ${i}`);
        }
      }
      const days = db.prepare('SELECT DISTINCT ts FROM usage_1d ORDER BY ts').all() as Array<{ ts: number }>;
      assert.deepEqual(days.map((d) => d.ts), [at('2026-10-31T00:00:00+05:30'), at('2026-11-01T00:00:00+05:30')], 'days start at local midnight, 18:30 UTC');

      // The clock steps back by ten minutes (NTP, RTC at boot): those buckets are rolled up already.
      ts -= 600;
      s.poll(ts);
      s.poll(ts + 5);
      assertExact(db, s.ledger, s.apps, ts + 601, 'clock stepped back');
      assertWatermark(db, 'clock stepped back');

      // A poll that fails after its roll-up ran leaves rows and watermark as they were.
      const w0 = rollupUntil(db)!;
      const sums = () => COARSE.map((r) => (db.prepare(`SELECT COALESCE(SUM(rx_bytes), 0) AS n FROM ${r.table}`).get() as { n: number }).n);
      const before = sums();
      assert.throws(() =>
        db.transaction(() => {
          insertUsage(db, w0 + 600, [{ seriesId: 1, rxBytes: 5, txBytes: 5, rxPackets: 1, txPackets: 1 }]);
          assert.notEqual(rollupUntil(db), w0, 'the roll-up ran inside the poll');
          throw new Error('poll failed');
        })(),
      /poll failed/);
      assert.equal(rollupUntil(db), w0);
      assert.deepEqual(sums(), before);
      assertExact(db, s.ledger, s.apps, ts + 601, 'after a failed poll');
      assert.ok(s.parts.has('roll-up usage_1d') && !s.parts.has('roll-up usage_1d (read back)'), `a running collector rolls up the rows it remembers: ${[...s.parts]}`);

      // The rows it remembered no longer match the store: the next roll-ups read the waiting rows back.
      for (let t = w0 + 5; t <= w0 + 150; t += 5) s.poll(t);
      assert.ok(s.parts.has('roll-up usage_1d (read back)'), [...s.parts].join(', '));
      assertExact(db, s.ledger, s.apps, w0 + 151, 'polls after the failed one');
      assertWatermark(db, 'polls after the failed one');
    } finally {
      db.close();
    }
  });

  test('a store an older collector wrote gains the watermark on its next poll; an open reader sees the deferred rows', () => {
    const migs = migrationsBefore(dir, 8);
    const path = join(dir, 'old.db');
    const db = openDb(path);
    migrate(db, migs);
    const t0 = at('2026-11-28T10:00:00+05:30');
    const s = store(db, t0);
    // Polls by the older collector, every roll-up written at once; the last in the middle of a 10 s bucket.
    for (let ts = t0; ts <= t0 + 45; ts += 5) s.poll(ts);
    const reader = openDb(path, { readonly: true });
    try {
      assertExact(reader, s.ledger, s.apps, t0 + 46, 'before the upgrade');
      migrate(db, MIGRATIONS);
      assert.equal(rollupUntil(db), null, 'no watermark until the next poll');
      let ts = t0 + 50;
      for (; ts <= t0 + 300; ts += 5) {
        s.poll(ts);
        if (ts % 20 === 0) assertExact(reader, s.ledger, s.apps, ts + 1, `${ts - t0} s after the upgrade, the reader opened before it`);
      }
      assert.equal(rollupUntil(db)! > t0 + 200, true);
      assertExact(db, s.ledger, s.apps, ts, 'the collector\'s own connection');
    } finally {
      reader.close();
      db.close();
    }
  });

  test('housekeeping rolls up what is waiting before it prunes 10 s rows, however long the collector was away', () => {
    const db = openDb(join(dir, 'away.db'), { migrate: true });
    try {
      const t0 = at('2026-11-28T23:59:20+05:30');
      const s = store(db, t0);
      for (let ts = t0; ts <= t0 + 55; ts += 5) s.poll(ts);
      assert.ok(rollupUntil(db)! < t0 + 50, 'rows are waiting');
      // The collector stopped; it starts again three days later and housekeeps first.
      const later = t0 + 3 * 86400;
      pruneUsage(db, later);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM usage_10s').get() as { n: number }).n, 0, '10 s rows past their day are gone');
      const [rx, tx] = ledgerSum(s.ledger, 0, Infinity);
      for (const res of COARSE.filter((r) => r.keepSeconds === null || r.keepSeconds > 3 * 86400)) {
        const got = db.prepare(`SELECT SUM(rx_bytes) AS rx, SUM(tx_bytes) AS tx FROM ${res.table}`).get() as { rx: number; tx: number };
        assert.deepEqual([got.rx, got.tx], [rx, tx], `${res.table} kept every byte`);
      }
      const top = getTopApps(db, { since: t0 - 86400, until: later }, later);
      assert.deepEqual(top.map((a) => [a.rxBytes, a.txBytes]).sort(), s.apps.map((a) => ledgerSum(s.ledger, 0, Infinity, a)).sort());
    } finally {
      db.close();
    }
  });
});
