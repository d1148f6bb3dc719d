/**
 * The destinations store at the goal size: 50 apps × 100 destinations, every hour for
 * 30 days, folded into days and pruned as the collector does; then the store's size (and a
 * year's, extrapolated from the days) and the time of one app's destinations over 30 days.
 * Run: node --import tsx bench/destinations-store.ts. Figures only (no test asserts on them).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../db/open';
import { upsertApp } from '../db/queries/apps';
import { getAppDestinations } from '../db/queries/destinations';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { foldDestinations, insertDestUsage, pruneDestinations, type DestUsage } from '../db/store/dest-write';
import { getOrCreateSeries, insertUsage } from '../db/store/usage-write';
import { appIdentity } from '../lib/identity';
import { median } from './stats';

const APPS = 50;
const DESTS = 100;
const DAYS = 30;

const dir = mkdtempSync(join(tmpdir(), 'appnet-dest-store-'));
try {
  const path = join(dir, 'a.db');
  const db = openDb(path, { migrate: true });
  const now = Math.floor(Date.now() / 1000);
  const start = now - (now % 3600) - DAYS * 86400;
  const net = upsertNetwork(db, { netKey: 'iface:wlan0', name: 'wlan0', kind: 'wifi', meteredAuto: false }, start);
  const ifc = upsertInterface(db, { name: 'wlan0', kind: 'wifi', mac: null, networkId: net }, start);
  const apps = Array.from({ length: APPS }, (_, a) => {
    const app = upsertApp(db, appIdentity(`system.slice/app${a}.service`), start);
    return { app, series: getOrCreateSeries(db, app, ifc, net) };
  });
  const t0 = performance.now();
  for (let h = 0; h < DAYS * 24; h++) {
    const ts = start + h * 3600 + 30;
    const rows: DestUsage[] = [];
    for (const a of apps) for (let d = 0; d < DESTS; d++) rows.push({ seriesId: a.series, remote: `2001:db8:${a.app}::${d.toString(16)}`, proto: 6, port: 443, inbound: false, rxBytes: 1000 + d * 7 + h, txBytes: 100 + d, rxPackets: 10, txPackets: 5 });
    db.transaction(() => {
      insertUsage(db, ts, apps.map((a) => ({ seriesId: a.series, rxBytes: rows.filter((r) => r.seriesId === a.series).reduce((n, r) => n + r.rxBytes, 0), txBytes: 0, rxPackets: 0, txPackets: 0 })));
      insertDestUsage(db, ts, rows);
    })();
    if (h % 24 === 23) foldDestinations(db, ts + 3600);
  }
  const writeS = (performance.now() - t0) / 1000;
  foldDestinations(db, now);
  pruneDestinations(db, now, 90);
  db.exec('VACUUM');
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const a = apps[i % APPS];
    const t = performance.now();
    getAppDestinations(db, a.app, { since: now - DAYS * 86400, until: now }, now);
    times.push(performance.now() - t);
  }
  db.close();
  const size = statSync(path).size;
  const out = { apps: APPS, destinations: DESTS, days: DAYS, writeSeconds: Math.round(writeS), storeBytes: size, queryMs30d: { median: Number(median(times).toFixed(1)), max: Number(Math.max(...times).toFixed(1)) } };
  const d = openDb(path, { readonly: true });
  const r1h = (d.prepare('SELECT COUNT(*) AS n FROM dest_1h').get() as { n: number }).n;
  const r1d = (d.prepare('SELECT COUNT(*) AS n FROM dest_1d').get() as { n: number }).n;
  let perDayBytes: number | null = null;
  try {
    const b = (d.prepare("SELECT SUM(pgsize) AS b FROM dbstat WHERE name IN ('dest_1d', 'dest_1d_ts')").get() as { b: number }).b;
    perDayBytes = Math.round(b / DAYS);
  } catch {
    /* no dbstat in this SQLite build */
  }
  d.close();
  const result = { ...out, rows: { dest_1h: r1h, dest_1d: r1d }, dayBytesPerDay: perDayBytes, yearOfDaysMB: perDayBytes === null ? null : Math.round((perDayBytes * 365) / 1e5) / 10 };
  writeFileSync(join(import.meta.dirname, 'destinations-store.json'), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
