/**
 * The destinations store over a year (issue 19, "Bounded": ≤ 50 MB a year for 50 apps × 100
 * destinations, one app's 30 days read in ≤ 100 ms). A year of the collector's writes is
 * replayed on a real store with the default settings: destination history kept 90 days
 * (DEST_KEEP_DAYS), hours 2 days, each app's top 100 per hour and per day. The collector's
 * hourly housekeeping runs after every simulated hour (usage roll-up and retention, the hour
 * fold, the day write, destination retention), and the store is measured as it is, never
 * VACUUMed.
 *
 * Traffic model, per app and hour, in two polls (20 and 40 minutes past; the second adds the
 * rest of the hour's destinations, so rows arrive mid-hour as they do every 10 s):
 * 110 destinations, so the hour fold has work: 70 the app always talks to and 40 of a
 * rotating pool of 80 that moves on by 5 addresses a day (150 a day, so the day fold folds
 * 50; 5 new destination keys per app and day, 450 in the 90 days kept). Addresses half IPv4,
 * half IPv6 (as text, 11–24 characters); 70 % tcp/443, 20 % udp/443 (QUIC), 10 % tcp/80.
 * Bytes fall off with rank (a Zipf-like 1/(1+i)^1.1, ~12 MB an hour for the biggest, ~40 KB
 * for the smallest, ±50 % per hour); packets from bytes. Host names: every address named
 * by one DNS answer, refreshed every 6 hours. Usage: each app's series gets its destinations'
 * sums plus 2 % that no destination was recorded for.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../db/open';
import { upsertApp } from '../db/queries/apps';
import { getAppDestinations } from '../db/queries/destinations';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { DEST_HOURS_KEEP_DAYS, DEST_KEEP_DAYS, DEST_TOP, foldDestinations, insertDestUsage, pruneDestinations, putDestNames, type DestUsage } from '../db/store/dest-write';
import { pruneUsage } from '../db/store/rollup';
import { getOrCreateSeries, insertUsage } from '../db/store/usage-write';
import { appIdentity } from '../lib/identity';
import { summarize, type Summary } from './stats';

export interface DestStoreSample {
  day: number;
  /** Pages of the destination tables and their indexes (dbstat), bytes. */
  destBytes: number;
  /** The same per table (dest_1h, dest_1d, dest_keys with its index, dest_names with its index). */
  tables: Record<string, number>;
  rows: Record<string, number>;
  /** The whole store file (usage too), bytes, and its free pages. */
  fileBytes: number;
  freeBytes: number;
}

export interface DestStoreResult {
  apps: number;
  destinationsPerHour: number;
  top: number;
  keepDays: number;
  hoursKeepDays: number;
  days: number;
  writeSeconds: number;
  /** One poll's write (usage + destinations, one transaction), ms. */
  pollMs: Summary;
  /** One hour's housekeeping (usage roll-up and retention, hour fold, day write, destination retention), ms. */
  housekeepingMs: Summary;
  samples: DestStoreSample[];
  /** One app's destinations over the last 30 (and 90) days, ms; `cold` is the first read after opening the store. */
  query30d: Summary;
  query30dCold: number;
  query90d: Summary;
  rows30d: number;
}

const HOUR = 3600;

/** destAddr is the address of an app's destination number `id`, half IPv4 and half IPv6. */
function destAddr(app: number, id: number): string {
  return id % 2 ? `${100 + app}.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}` : `2a00:1450:${(0x4000 + app).toString(16)}:${(id >> 16).toString(16)}::${(id & 0xffff).toString(16)}`;
}

/** hourDests is an app's traffic in one hour of day `day` (see the file comment). */
function hourDests(seriesId: number, app: number, day: number, hour: number): DestUsage[] {
  const out: DestUsage[] = [];
  for (let i = 0; i < 110; i++) {
    const id = i < 70 ? i : 1000 + day * 5 + ((hour * 11 + (i - 70) * 2) % 80);
    const kind = id % 10;
    const vary = 0.5 + ((app * 31 + hour * 17 + day * 13 + i * 7) % 100) / 100;
    const rx = Math.round((3e8 / 24 / Math.pow(1 + i, 1.1)) * vary);
    const tx = Math.round(rx / 15) + 300;
    out.push({ seriesId, remote: destAddr(app, id), proto: kind === 7 || kind === 8 ? 17 : 6, port: kind === 9 ? 80 : 443, inbound: false, rxBytes: rx, txBytes: tx, rxPackets: Math.ceil(rx / 1400), txPackets: Math.ceil(tx / 200) + 1 });
  }
  return out;
}

/**
 * pollShare is what one of the hour's two polls books of a destination: the 66 seen early get
 * half their traffic in the first poll and the rest in the second; the others all in the second.
 */
function pollShare(d: DestUsage, o: { early: boolean; first: boolean }): DestUsage[] {
  if (!o.early) return o.first ? [] : [d];
  const half = (n: number) => (o.first ? Math.floor(n / 2) : n - Math.floor(n / 2));
  return [{ ...d, rxBytes: half(d.rxBytes), txBytes: half(d.txBytes), rxPackets: half(d.rxPackets), txPackets: half(d.txPackets) }];
}

/** sample measures the store's destination tables and file at the end of day `day`. */
function sample(db: Db, path: string, day: number): DestStoreSample {
  const stat = db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat WHERE name LIKE 'dest%' OR name LIKE 'sqlite_autoindex_dest%' GROUP BY name").all() as Array<{ name: string; bytes: number }>;
  const group = (n: string) => n.replace(/^sqlite_autoindex_(.*)_\d+$/, '$1');
  const tables: Record<string, number> = {};
  for (const s of stat) tables[group(s.name)] = (tables[group(s.name)] ?? 0) + s.bytes;
  const rows: Record<string, number> = {};
  for (const t of ['dest_1h', 'dest_1d', 'dest_keys', 'dest_names']) rows[t] = db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
  const page = db.pragma('page_size', { simple: true }) as number;
  db.pragma('wal_checkpoint(TRUNCATE)');
  return {
    day,
    destBytes: Object.values(tables).reduce((a, b) => a + b, 0),
    tables,
    rows,
    fileBytes: statSync(path).size,
    freeBytes: (db.pragma('freelist_count', { simple: true }) as number) * page,
  };
}

/** benchDestStore replays `days` of the collector's destination writes for `apps` apps and measures the store and one app's reads. */
export function benchDestStore(opts: { apps?: number; days?: number; sampleDays?: number[]; log?: (line: string) => void } = {}): DestStoreResult {
  const apps = opts.apps ?? 50;
  const days = opts.days ?? 365;
  const sampleDays = new Set(opts.sampleDays ?? [30, 60, 90, 92, 120, 180, 270, days]);
  const dir = mkdtempSync(join(tmpdir(), 'appnet-dest-store-'));
  try {
    const path = join(dir, 'a.db');
    let db = openDb(path, { migrate: true });
    const now = Math.floor(Date.now() / 1000);
    const start = now - (now % HOUR) - days * 86400;
    const net = upsertNetwork(db, { netKey: 'iface:wlan0', name: 'wlan0', kind: 'wifi', meteredAuto: false }, start);
    const ifc = upsertInterface(db, { name: 'wlan0', kind: 'wifi', mac: null, networkId: net }, start);
    const list = Array.from({ length: apps }, (_, a) => {
      const app = upsertApp(db, appIdentity(`system.slice/app${a}.service`), start);
      return { a, app, series: getOrCreateSeries(db, app, ifc, net) };
    });
    const pollMs: number[] = [];
    const houseMs: number[] = [];
    const samples: DestStoreSample[] = [];
    const t0 = performance.now();
    for (let h = 0; h < days * 24; h++) {
      const hour = start + h * HOUR;
      const day = Math.floor(h / 24);
      const all = list.map((x) => hourDests(x.series, x.a, day, h % 24));
      for (const [first, at] of [[true, 1200], [false, 2400]] as const) {
        const rows = all.flatMap((ds) => ds.flatMap((d, i) => pollShare(d, { early: i < 66, first })));
        const sums = new Map<number, { seriesId: number; rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>();
        for (const r of rows) {
          const u = sums.get(r.seriesId) ?? { seriesId: r.seriesId, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
          u.rxBytes += r.rxBytes;
          u.txBytes += r.txBytes;
          u.rxPackets += r.rxPackets;
          u.txPackets += r.txPackets;
          sums.set(r.seriesId, u);
        }
        const usage = [...sums.values()].map((u) => ({ ...u, rxBytes: Math.round(u.rxBytes * 1.02) }));
        const t = performance.now();
        db.transaction(() => {
          insertUsage(db, hour + at, usage);
          insertDestUsage(db, hour + at, rows);
        })();
        pollMs.push(performance.now() - t);
      }
      if (h % 6 === 0) putDestNames(db, all.flat().map((d) => ({ addr: d.remote, name: `host-${d.remote.replace(/[.:]/g, '-')}.example.net`, ttl: 300, at: (hour + 1200) * 1000 })));
      const t = performance.now();
      const cut = hour + HOUR + 60;
      pruneUsage(db, cut);
      foldDestinations(db, cut);
      pruneDestinations(db, cut, DEST_KEEP_DAYS);
      houseMs.push(performance.now() - t);
      if (h % 24 === 23 && sampleDays.has(day + 1)) {
        samples.push(sample(db, path, day + 1));
        opts.log?.(`   day ${day + 1}: destinations ${(samples[samples.length - 1].destBytes / 1e6).toFixed(1)} MB, file ${(samples[samples.length - 1].fileBytes / 1e6).toFixed(1)} MB, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    }
    const writeSeconds = (performance.now() - t0) / 1000;
    db.close();
    // Read as the dashboard does: a read-only connection, the first read cold.
    db = openDb(path, { readonly: true });
    const end = start + days * 86400;
    const read = (a: number, span: number) => {
      const t = performance.now();
      const g = getAppDestinations(db, list[a % apps].app, { since: end - span * 86400, until: end }, end + 60);
      return { ms: performance.now() - t, rows: g.rows.length };
    };
    const cold = read(0, 30);
    const q30 = Array.from({ length: 20 }, (_, i) => read(i + 1, 30));
    const q90 = Array.from({ length: 10 }, (_, i) => read(i + 1, 90).ms);
    db.close();
    return {
      apps,
      destinationsPerHour: 110,
      top: DEST_TOP,
      keepDays: DEST_KEEP_DAYS,
      hoursKeepDays: DEST_HOURS_KEEP_DAYS,
      days,
      writeSeconds,
      pollMs: summarize(pollMs),
      housekeepingMs: summarize(houseMs),
      samples,
      query30d: summarize(q30.map((q) => q.ms)),
      query30dCold: cold.ms,
      query90d: summarize(q90),
      rows30d: cold.rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
