/**
 * Builds appnet stores holding weeks or a year of history for many apps, for the query
 * and storage benchmarks. Rows are written at the finest resolution the retention
 * (lib/time RESOLUTIONS) still keeps for their age and summed upward in SQL into the
 * coarser roll-ups, so every table holds what insertUsage + pruneUsage would have left.
 *
 * Activity model (documented in BENCHMARKS.md): each hour a pseudo-random 10 % of the
 * series are active; an active series is active in 15 of that hour's minutes, and in 3
 * of the six 10 s buckets of each active minute.
 */
import { upsertApp } from '../db/queries/apps';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { getOrCreateSeries } from '../db/store/usage-write';
import { bucketOf } from '../db/queries/sql-parts';
import { openDb, type Db } from '../db/open';
import { RESOLUTIONS } from '../lib/time';

export interface HistoryShape {
  apps: number;
  /** Interfaces, each on its own network. */
  networks: number;
  days: number;
  /** Fraction of series active in any hour. */
  activeHourShare: number;
}

export interface HistoryDb {
  db: Db;
  now: number;
  seriesIds: number[];
  appIds: number[];
  rows: Record<string, number>;
}

/** mulberry32 is a tiny seeded PRNG, so every run builds the same history. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rand: () => number, n: number, k: number): number[] {
  const out = new Set<number>();
  while (out.size < Math.min(k, n)) out.add(Math.floor(rand() * n));
  return [...out];
}

const keep = (table: string) => RESOLUTIONS.find((r) => r.table === table)!.keepSeconds ?? Infinity;

/** buildHistory creates (or overwrites nothing: expects a fresh path) a store with the given history ending at `now`. */
export function buildHistory(path: string, shape: HistoryShape, now: number): HistoryDb {
  const db = openDb(path, { migrate: true });
  db.pragma('synchronous = OFF');
  const rand = mulberry32(42);
  const seriesIds: number[] = [];
  const appIds: number[] = [];
  const t0 = now - shape.days * 86400;
  db.transaction(() => {
    const ifs: Array<{ ifaceId: number; networkId: number }> = [];
    for (let n = 0; n < shape.networks; n++) {
      const networkId = upsertNetwork(db, { netKey: `wifi:net-${n}`, name: `net-${n}`, kind: n === 0 ? 'mobile' : 'wifi', meteredAuto: n === 0 }, t0);
      ifs.push({ ifaceId: upsertInterface(db, { name: `wlan${n}`, kind: n === 0 ? 'mobile' : 'wifi', mac: null, networkId }, t0), networkId });
    }
    for (let a = 0; a < shape.apps; a++) {
      const appId = upsertApp(db, { key: `app-${a}.service`, kind: 'service', name: `app-${a}`, unit: `app-${a}.service`, launcher: 'systemd' }, t0);
      appIds.push(appId);
      for (const i of ifs) seriesIds.push(getOrCreateSeries(db, appId, i.ifaceId, i.networkId));
    }
  })();
  const ins = Object.fromEntries(
    RESOLUTIONS.map((r) => [r.table, db.prepare(`INSERT INTO ${r.table} (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets) VALUES (?, ?, ?, ?, ?, ?)`)]),
  );
  const row = (table: string, ts: number, sid: number, scale: number) => {
    const rx = Math.floor(rand() * scale);
    const tx = Math.floor(rand() * scale * 0.2);
    ins[table].run(ts, sid, rx, tx, Math.ceil(rx / 1200), Math.ceil(tx / 1200));
  };
  const perHour = Math.max(1, Math.round(seriesIds.length * shape.activeHourShare));
  const hour0 = t0 - (t0 % 3600);
  const write = db.transaction((from: number, to: number) => {
    for (let h = from; h < to; h += 3600) {
      for (const idx of pick(rand, seriesIds.length, perHour)) {
        const sid = seriesIds[idx];
        if (now - h > keep('usage_1m')) {
          row('usage_1h', h, sid, 5e7);
          continue;
        }
        for (const m of pick(rand, 60, 15)) {
          const mt = h + m * 60;
          if (mt >= now) continue;
          if (now - mt > keep('usage_10s')) row('usage_1m', mt, sid, 2e6);
          else for (const k of pick(rand, 6, 3)) if (mt + k * 10 < now) row('usage_10s', mt + k * 10, sid, 4e5);
        }
      }
    }
  });
  for (let h = hour0; h < now; h += 86400) write(h, Math.min(now, h + 86400));
  db.transaction(() => {
    const sums = 'SUM(rx_bytes), SUM(tx_bytes), SUM(rx_packets), SUM(tx_packets)';
    db.prepare(`INSERT INTO usage_1m SELECT ts - ts % 60, series_id, ${sums} FROM usage_10s GROUP BY 1, 2`).run();
    // Only hours young enough to keep minutes have minute rows; older hours were written directly.
    db.prepare(`INSERT INTO usage_1h SELECT ts - ts % 3600, series_id, ${sums} FROM usage_1m GROUP BY 1, 2`).run();
    db.prepare(
      `INSERT INTO usage_1d SELECT CAST(strftime('%s', ts, 'unixepoch', 'localtime', 'start of day', 'utc') AS INTEGER), series_id, ${sums} FROM usage_1h GROUP BY 1, 2`,
    ).run();
    db.prepare(
      `INSERT INTO usage_1mo SELECT CAST(strftime('%s', ts, 'unixepoch', 'localtime', 'start of month', 'utc') AS INTEGER), series_id, ${sums} FROM usage_1d GROUP BY 1, 2`,
    ).run();
    for (const r of RESOLUTIONS) {
      db.prepare(
        `INSERT INTO usage_link SELECT ${r.seconds}, u.ts, s.iface_id, s.network_id, SUM(u.rx_bytes), SUM(u.tx_bytes), SUM(u.rx_packets), SUM(u.tx_packets)
         FROM ${r.table} u JOIN series s ON s.id = u.series_id GROUP BY u.ts, s.iface_id, s.network_id`,
      ).run();
    }
    // As a running collector leaves it (deferred roll-ups, migration 008): the last minute's 10 s
    // rows are not in the coarser roll-ups yet, and readers add them from the watermark on.
    const until = now - (now % 10) - 50;
    for (const res of RESOLUTIONS.filter((r) => r.table !== 'usage_10s')) {
      const t = res.table;
      const b = bucketOf(res, until, now);
      db.prepare(
        `UPDATE ${t} SET rx_bytes = ${t}.rx_bytes - w.rx, tx_bytes = ${t}.tx_bytes - w.tx, rx_packets = ${t}.rx_packets - w.rxp, tx_packets = ${t}.tx_packets - w.txp
         FROM (SELECT ${b.sql} AS b, series_id AS sid, SUM(rx_bytes) AS rx, SUM(tx_bytes) AS tx, SUM(rx_packets) AS rxp, SUM(tx_packets) AS txp
               FROM usage_10s WHERE ts >= ? GROUP BY 1, 2) w
         WHERE ${t}.ts = w.b AND ${t}.series_id = w.sid`,
      ).run(...b.params, until);
      db.prepare(`DELETE FROM ${t} WHERE ts >= ? AND rx_bytes = 0 AND tx_bytes = 0 AND rx_packets = 0 AND tx_packets = 0`).run(until - 40 * 86400);
    }
    db.prepare('INSERT INTO rollup_state (id, until) VALUES (1, ?)').run(until);
  })();
  db.pragma('synchronous = NORMAL');
  const rows: Record<string, number> = {};
  for (const r of RESOLUTIONS) rows[r.table] = (db.prepare(`SELECT COUNT(*) AS n FROM ${r.table}`).get() as { n: number }).n;
  return { db, now, seriesIds, appIds, rows };
}
