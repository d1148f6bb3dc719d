/**
 * Destinations in the store (migration 080): an app's destinations plus its "other
 * destinations" add up exactly to its usage over the same period, before and after closed hours
 * are folded to the top destinations; retention and clearing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { upsertApp } from '../../db/queries/apps';
import { countAppDestinations, getAppDestinations, getDestinationsSetting, setDestinationsSetting } from '../../db/queries/destinations';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { clearDestinations, foldDestinations, insertDestUsage, pruneDestinations, type DestUsage } from '../../db/store/dest-write';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { appIdentity } from '../../lib/identity';

const dir = mkdtempSync(join(tmpdir(), 'appnet-dest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_780_000_000 - (1_780_000_000 % 3600);

/** A store with one app on two networks and one other app. */
function fixture(name: string) {
  const db = openDb(join(dir, `${name}.db`), { migrate: true });
  const mk = (unit: string, iface: string) => {
    const app = upsertApp(db, appIdentity(`system.slice/${unit}`), T0);
    const net = upsertNetwork(db, { netKey: `iface:${iface}`, name: iface, kind: 'ethernet', meteredAuto: false }, T0);
    const ifc = upsertInterface(db, { name: iface, kind: 'ethernet', mac: null, networkId: net }, T0);
    return { app, net, series: getOrCreateSeries(db, app, ifc, net) };
  };
  return { db, a1: mk('a.service', 'eth0'), a2: mk('a.service', 'wwan0'), b: mk('b.service', 'eth0') };
}

/** poll books `dests` and, as the collector does, the app's usage: the destinations' sums plus `unrecorded` bytes in. */
function poll(db: Db, ts: number, dests: DestUsage[], unrecorded = 0): void {
  db.transaction(() => {
    const by = new Map<number, { seriesId: number; rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>();
    for (const d of dests) {
      const u = by.get(d.seriesId) ?? { seriesId: d.seriesId, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
      u.rxBytes += d.rxBytes;
      u.txBytes += d.txBytes;
      u.rxPackets += d.rxPackets;
      u.txPackets += d.txPackets;
      by.set(d.seriesId, u);
    }
    const first = [...by.values()][0];
    if (first && unrecorded) first.rxBytes += unrecorded;
    insertUsage(db, ts, [...by.values()]);
    insertDestUsage(db, ts, dests);
  })();
}

function dest(seriesId: number, i: number, bytes: number): DestUsage {
  return { seriesId, remote: `10.0.${i >> 8}.${i & 255}`, proto: 6, port: 443, inbound: false, rxBytes: bytes, txBytes: Math.floor(bytes / 10), rxPackets: 3, txPackets: 2 };
}

const sum = (x: { rxBytes: number; txBytes: number }) => x.rxBytes + x.txBytes;

describe('destinations store', () => {
  test('destinations + other destinations equal the app total exactly, before and after the fold to the top 100', () => {
    const { db, a1, a2, b } = fixture('fold');
    // 250 destinations of app a over two networks in the first hour, some on both; 5 of app b.
    for (let p = 0; p < 30; p++) {
      const ts = T0 + p * 100;
      const ds: DestUsage[] = [];
      for (let i = 0; i < 250; i++) if ((i + p) % 3 === 0) ds.push(dest(i % 7 === 0 ? a2.series : a1.series, i, 1000 + i * 37 + p));
      for (let i = 0; i < 5; i++) ds.push(dest(b.series, i, 500));
      poll(db, ts, ds, p === 3 ? 12_345 : 0);
    }
    poll(db, T0 + 3600 + 10, [dest(a1.series, 1, 777)]);
    const now = T0 + 3600 + 20;
    const f = { since: T0, until: now };
    const before = getAppDestinations(db, a1.app, f, now, 10_000);
    assert.equal(before.rows.length, 250);
    assert.ok(before.other.rxBytes >= 12_345, 'traffic without a destination record is other');
    assert.deepEqual(
      { rx: before.rows.reduce((n, r) => n + r.rxBytes, 0) + before.other.rxBytes, tx: before.rows.reduce((n, r) => n + r.txBytes, 0) + before.other.txBytes },
      { rx: before.total.rxBytes, tx: before.total.txBytes },
    );
    const folded = foldDestinations(db, now);
    assert.ok(folded > 0, 'the first hour had more than 100 destinations of app a');
    assert.equal(foldDestinations(db, now), 0, 'folding again changes nothing');
    const afterFold = getAppDestinations(db, a1.app, f, now, 10_000);
    assert.deepEqual(afterFold.total, before.total, 'the total does not change');
    const hour1 = getAppDestinations(db, a1.app, { since: T0, until: T0 + 3600 }, now, 10_000);
    assert.equal(hour1.rows.length, 100, 'the folded hour keeps the app\'s top 100');
    for (const g of [afterFold, hour1]) {
      const listed = g.rows.reduce((n, r) => n + sum(r), 0);
      assert.equal(listed + sum(g.other), sum(g.total), 'destinations + other = total, exactly');
      assert.equal(g.rows.reduce((n, r) => n + r.rxPackets + r.txPackets, 0) + g.other.rxPackets + g.other.txPackets, g.total.rxPackets + g.total.txPackets);
    }
    const top = before.rows.slice(0, 100).map((r) => r.remote).sort();
    assert.deepEqual(hour1.rows.map((r) => r.remote).sort(), top, 'the top 100 by bytes are kept by name');
    // Per network, too: the fold keeps each series' rows and other row apart.
    const net2 = getAppDestinations(db, a1.app, { ...f, networkId: a2.net }, now, 10_000);
    assert.equal(net2.rows.reduce((n, r) => n + sum(r), 0) + sum(net2.other), sum(net2.total));
    assert.ok(net2.rows.every((r) => Number(r.remote.split('.').pop()) % 7 === 0), 'only destinations seen on that network');
    const b1 = getAppDestinations(db, b.app, f, now);
    assert.equal(b1.rows.length, 5);
    assert.equal(sum(b1.other), 0, 'app b: all its traffic has a destination');
    assert.deepEqual(countAppDestinations(db, T0).find((c) => c.appId === b.app), { appId: b.app, destinations: 5 });
    db.close();
  });

  test('retention deletes old hours; clearing deletes all history; the switch defaults to on', () => {
    const { db, a1 } = fixture('prune');
    poll(db, T0, [dest(a1.series, 1, 100)]);
    poll(db, T0 + 10 * 86400, [dest(a1.series, 2, 100)]);
    assert.equal(pruneDestinations(db, T0 + 10 * 86400, 5), 1);
    assert.equal(getAppDestinations(db, a1.app, { since: T0, until: T0 + 11 * 86400 }, T0 + 11 * 86400).rows.length, 1);
    assert.equal(clearDestinations(db), 1);
    const g = getAppDestinations(db, a1.app, { since: T0, until: T0 + 11 * 86400 }, T0 + 11 * 86400);
    assert.equal(g.rows.length, 0);
    assert.equal(sum(g.other), sum(g.total), 'after clearing, all of the app\'s traffic is other');
    assert.equal(getDestinationsSetting(db), true);
    setDestinationsSetting(db, false);
    assert.equal(getDestinationsSetting(db), false);
    db.close();
  });
});
