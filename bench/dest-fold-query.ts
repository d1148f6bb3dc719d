/**
 * The cost of folding IPv6 privacy addresses when reading (lib/dest-fold.ts): one app's
 * destinations over 30 days with fold6 auto (every group read, folded, then the limit) and off
 * (the limit in SQL), on two stores: 100 destinations repeated every hour (the store benchmark's
 * shape) and the worst case, 100 new addresses every hour (72,000 over 30 days, two thirds of
 * them privacy addresses of four /64s). Run: node --import tsx bench/dest-fold-query.ts.
 * Figures only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../db/open';
import { upsertApp } from '../db/queries/apps';
import { getAppDestinations } from '../db/queries/destinations';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { foldDestinations, insertDestUsage, type DestUsage } from '../db/store/dest-write';
import { getOrCreateSeries, insertUsage } from '../db/store/usage-write';
import { appIdentity } from '../lib/identity';
import { median } from './stats';

const DAYS = 30;
const DESTS = 100;

function build(db: Db, now: number, fresh: boolean): number {
  const start = now - (now % 3600) - DAYS * 86400;
  const net = upsertNetwork(db, { netKey: 'iface:wlan0', name: 'wlan0', kind: 'wifi', meteredAuto: false }, start);
  const ifc = upsertInterface(db, { name: 'wlan0', kind: 'wifi', mac: null, networkId: net }, start);
  const app = upsertApp(db, appIdentity('system.slice/web.service'), start);
  const series = getOrCreateSeries(db, app, ifc, net);
  for (let h = 0; h < DAYS * 24; h++) {
    const ts = start + h * 3600 + 30;
    const rows: DestUsage[] = [];
    for (let d = 0; d < DESTS; d++) {
      const n = fresh ? h * DESTS + d : d;
      const remote = d % 3 === 0 ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` : `2001:db8:${d % 3}:${h % 2}:${(0x1000 + (n & 0xefff)).toString(16)}:${(n >> 12).toString(16)}:1:${d.toString(16)}`;
      rows.push({ seriesId: series, remote, proto: 6, port: 443, inbound: true, rxBytes: 1000 + d, txBytes: 100, rxPackets: 2, txPackets: 1 });
    }
    db.transaction(() => {
      insertUsage(db, ts, [{ seriesId: series, rxBytes: rows.reduce((s, r) => s + r.rxBytes, 0), txBytes: 100 * DESTS, rxPackets: 2 * DESTS, txPackets: DESTS }]);
      insertDestUsage(db, ts, rows);
    })();
    if (h % 24 === 23) foldDestinations(db, ts + 3600);
  }
  foldDestinations(db, now);
  return app;
}

const dir = mkdtempSync(join(tmpdir(), 'appnet-dest-fold-'));
try {
  const out: Record<string, unknown> = {};
  for (const fresh of [false, true]) {
    const db = openDb(join(dir, `${fresh}.db`), { migrate: true });
    const now = Math.floor(Date.now() / 1000);
    const app = build(db, now, fresh);
    const f = { since: now - DAYS * 86400, until: now };
    const time = (fold6: 'auto' | 'off', limit = 200) => {
      const t: number[] = [];
      let rows = 0;
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        rows = getAppDestinations(db, app, f, now, limit, fold6).rows.length;
        t.push(performance.now() - t0);
      }
      return { medianMs: Number(median(t).toFixed(1)), maxMs: Number(Math.max(...t).toFixed(1)), rows };
    };
    // offAll: every row read as auto reads them, unfolded: what reading costs apart from folding.
    out[fresh ? 'newAddressesEveryHour' : 'sameAddressesEveryHour'] = { auto: time('auto'), off: time('off'), offAll: time('off', 1e6) };
    db.close();
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
