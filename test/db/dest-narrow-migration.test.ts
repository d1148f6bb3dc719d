/**
 * Migration 082: destinations of the old shape (an address per row, days added to hour by hour)
 * carried over to keys with ids and whole written days; an app shows the same destinations
 * with the same bytes before and after, and after its open day is written. Also: the 30-day
 * read finds its rows by primary key, and keys no row uses go with the days that used them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { migrate, openDb, type Db } from '../../db/open';
import { upsertApp } from '../../db/queries/apps';
import { getAppDestinations } from '../../db/queries/destinations';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { foldDestinations, insertDestUsage, pruneDestinations } from '../../db/store/dest-write';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { appIdentity } from '../../lib/identity';
import { localMidnight, nextLocalMidnight } from '../../lib/time';
import { migrationsBefore, MIGRATIONS } from '../fixtures/migrations';

const dir = mkdtempSync(join(tmpdir(), 'appnet-mig082-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3600;
const DAY0 = localMidnight(1_780_000_000);

type Old = { ts: number; series: number; remote: string; proto: number; port: number; inbound: number; rx: number; tx: number; first: number; last: number };

function insertOld(db: Db, table: 'dest_1h' | 'dest_1d', r: Old): void {
  db.prepare(
    `INSERT INTO ${table} (ts, series_id, remote, proto, port, inbound, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?)
     ON CONFLICT(series_id, ts, remote, proto, port, inbound) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
       rx_packets = rx_packets + 1, tx_packets = tx_packets + 1, first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`,
  ).run(r.ts, r.series, r.remote, r.proto, r.port, r.inbound, r.rx, r.tx, r.first, r.last);
}

test('082 carries hours and closed days over; the open day is written whole from its hours', () => {
  const db = openDb(join(dir, 'a.db'));
  migrate(db, migrationsBefore(dir, 82));
  const app = upsertApp(db, appIdentity('system.slice/a.service'), DAY0);
  const net = upsertNetwork(db, { netKey: 'iface:eth0', name: 'eth0', kind: 'ethernet', meteredAuto: false }, DAY0);
  const ifc = upsertInterface(db, { name: 'eth0', kind: 'ethernet', mac: null, networkId: net }, DAY0);
  const series = getOrCreateSeries(db, app, ifc, net);
  const day1 = nextLocalMidnight(DAY0);
  const day2 = nextLocalMidnight(day1);
  const now = day2 + 5 * HOUR + 600;
  // As the old collector left it: day 0 and day 1 closed and folded in dest_1d; day 2 open
  // (its hours so far added to dest_1d too); hours of the last two days in dest_1h.
  const dests = [
    ['10.0.0.1', 6, 443, 0],
    ['2001:db8::5', 17, 443, 0],
    ['192.0.2.9', 6, 22, 1],
  ] as const;
  const expected = new Map<string, { rx: number; tx: number; first: number; last: number }>();
  let other = 0;
  for (let h = DAY0; h < now - (now % HOUR); h += HOUR) {
    const rows: Old[] = dests.map(([remote, proto, port, inbound], i) => ({ ts: h, series, remote, proto, port, inbound, rx: 1000 * (i + 1) + (h % 7), tx: 10 * (i + 1), first: h + 5 + i, last: h + 3000 + i }));
    rows.push({ ts: h, series, remote: '', proto: 0, port: 0, inbound: 0, rx: 77, tx: 0, first: h + 1, last: h + 2 });
    insertUsage(db, h + 5, [{ seriesId: series, rxBytes: rows.reduce((n, r) => n + r.rx, 0) + 50, txBytes: rows.reduce((n, r) => n + r.tx, 0), rxPackets: 0, txPackets: 0 }]);
    for (const r of rows) {
      if (h >= day1) insertOld(db, 'dest_1h', r);
      insertOld(db, 'dest_1d', { ...r, ts: localMidnight(h) });
      if (!r.remote) {
        other += r.rx;
        continue;
      }
      const k = `${r.remote}|${r.proto}|${r.port}|${r.inbound}`;
      const e = expected.get(k) ?? { rx: 0, tx: 0, first: r.first, last: r.last };
      expected.set(k, { rx: e.rx + r.rx, tx: e.tx + r.tx, first: Math.min(e.first, r.first), last: Math.max(e.last, r.last) });
    }
  }
  db.prepare("INSERT INTO settings (key, value) VALUES ('dest_folded_until', ?), ('dest_days_folded_until', ?)").run(String(now - (now % HOUR)), String(day2));
  const shown = (label: string) => {
    const g = getAppDestinations(db, app, { since: DAY0, until: now }, now, 100);
    const got = new Map(g.rows.map((r) => [`${r.remote}|${r.proto}|${r.port}|${r.inbound ? 1 : 0}`, { rx: r.rxBytes, tx: r.txBytes, first: r.firstSeen, last: r.lastSeen }]));
    assert.deepEqual(got, expected, `${label}: every destination with its bytes, first and last seen`);
    assert.equal(g.other.rxBytes, other + 50 * ((now - (now % HOUR) - DAY0) / HOUR), `${label}: other destinations`);
    assert.equal(g.rows.reduce((n, r) => n + r.rxBytes, 0) + g.other.rxBytes, g.total.rxBytes, `${label}: destinations + other = total`);
  };
  migrate(db, MIGRATIONS);
  assert.deepEqual(
    db.prepare('SELECT remote, proto, port, inbound FROM dest_keys ORDER BY remote').all(),
    [...dests].map(([remote, proto, port, inbound]) => ({ remote, proto, port, inbound })).sort((a, b) => a.remote.localeCompare(b.remote)),
    'each destination once',
  );
  const days = db.prepare('SELECT DISTINCT ts FROM dest_1d ORDER BY ts').pluck().all();
  assert.deepEqual(days, [DAY0, day1], 'the closed days; the open one is read from its hours');
  shown('after the migration');
  foldDestinations(db, now);
  shown('after folding');
  foldDestinations(db, nextLocalMidnight(day2) + HOUR);
  assert.deepEqual(db.prepare('SELECT DISTINCT ts FROM dest_1d ORDER BY ts').pluck().all(), [DAY0, day1, day2], 'the day that was open is written once it closed');
  shown('after its day was written');
  db.close();
});

test('one app\'s 30 days are read by primary key; keys no row uses any more are deleted with their days', () => {
  const db = openDb(join(dir, 'b.db'), { migrate: true });
  const net = upsertNetwork(db, { netKey: 'iface:eth0', name: 'eth0', kind: 'ethernet', meteredAuto: false }, DAY0);
  const ifc = upsertInterface(db, { name: 'eth0', kind: 'ethernet', mac: null, networkId: net }, DAY0);
  const apps = ['a', 'b'].map((n) => {
    const app = upsertApp(db, appIdentity(`system.slice/${n}.service`), DAY0);
    return { app, series: getOrCreateSeries(db, app, ifc, net) };
  });
  for (let d = 0; d < 5; d++) {
    const ts = DAY0 + d * 86400 + 7200;
    const rows = apps.map((a, i) => ({ seriesId: a.series, remote: `10.${i}.0.${d}`, proto: 6, port: 443, inbound: false, rxBytes: 100, txBytes: 10, rxPackets: 1, txPackets: 1 }));
    insertUsage(db, ts, rows.map((r) => ({ seriesId: r.seriesId, rxBytes: r.rxBytes, txBytes: r.txBytes, rxPackets: 1, txPackets: 1 })));
    insertDestUsage(db, ts, rows);
    foldDestinations(db, ts + 86400);
  }
  const now = DAY0 + 6 * 86400;
  const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('\n');
  const detail = plan(`SELECT * FROM dest_1d WHERE ts IN (${DAY0}, ${DAY0 + 86400}) AND series_id IN (${apps[0].series})`);
  assert.match(detail, /SEARCH dest_1d USING PRIMARY KEY \(ts=\? AND series_id=\?\)/, detail);
  assert.equal(getAppDestinations(db, apps[0].app, { since: now - 30 * 86400, until: now }, now).rows.length, 5);
  assert.equal((db.prepare('SELECT COUNT(*) FROM dest_keys').pluck().get() as number), 10);
  pruneDestinations(db, now, 3);
  assert.equal((db.prepare('SELECT COUNT(*) FROM dest_keys').pluck().get() as number), 4, 'the keys of the three days pruned are gone');
  const g = getAppDestinations(db, apps[0].app, { since: now - 30 * 86400, until: now }, now);
  assert.deepEqual(g.rows.map((r) => r.remote).sort(), ['10.0.0.3', '10.0.0.4']);
  assert.equal(g.rows.reduce((n, r) => n + r.rxBytes, 0) + g.other.rxBytes, g.total.rxBytes);
  db.close();
});
