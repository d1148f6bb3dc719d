/**
 * Dashboard query benchmark (goals that keep the dashboard instant: 24 h overview p95 ≤ 50 ms, one-year chart ≤ 200 ms
 * with 500 apps × 5 networks of history). Builds a synthetic store of that size directly in the
 * roll-up tables (sparse activity, as real apps are idle most of the time), then times the data
 * layer the Overview page runs. Run: node --import tsx bench/dashboard.ts [--keep DB [--reuse]]
 * (--keep leaves the store at DB; --reuse times an existing one without rebuilding it).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../db/open';
import { bucketStart, localMidnight, nextLocalMidnight, RESOLUTIONS } from '../lib/time';
import { getOverview } from '../app/_data/overview';
import { parseView } from '../app/_data/view';
import { getAppDetail } from '../app/_data/app-detail';

const APPS = 500;
const NETS = 5;
const out = join(import.meta.dirname ?? '.', 'out');

/** rand is a small deterministic PRNG (mulberry32) so runs are comparable. */
function rand(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function build(db: Db, now: number): number {
  const r = rand(42);
  let rows = 0;
  db.transaction(() => {
    for (let n = 1; n <= NETS; n++) {
      db.prepare('INSERT INTO networks (id, net_key, name, kind, metered_auto, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)').run(n, `iface:net${n}`, `net${n}`, n === 1 ? 'mobile' : 'wifi', n === 1 ? 1 : 0, now - 400 * 86400, now);
      db.prepare('INSERT INTO interfaces (id, name, kind, network_id, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)').run(n, `if${n}`, 'wifi', n, now - 400 * 86400, now);
    }
    for (let a = 1; a <= APPS; a++) {
      db.prepare('INSERT INTO apps (id, app_key, kind, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)').run(a, `bench-${a}.service`, 'service', `bench-${a}`, now - 400 * 86400, now);
      for (let n = 1; n <= NETS; n++) db.prepare('INSERT INTO series (id, app_id, iface_id, network_id) VALUES (?, ?, ?, ?)').run((a - 1) * NETS + n, a, n, n);
    }
  })();
  const series = APPS * NETS;
  // Fraction of series active per bucket, per table: coarse buckets catch more activity.
  const plan: Array<{ table: string; span: number; active: number }> = [
    { table: 'usage_10s', span: RESOLUTIONS[0].keepSeconds, active: 0.004 },
    { table: 'usage_1m', span: RESOLUTIONS[1].keepSeconds, active: 0.015 },
    { table: 'usage_1h', span: 400 * 86400, active: 0.1 },
    { table: 'usage_1d', span: 400 * 86400, active: 0.6 },
  ];
  for (const p of plan) {
    const res = RESOLUTIONS.find((x) => x.table === p.table)!;
    const ins = db.prepare(`INSERT OR IGNORE INTO ${p.table} (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets) VALUES (?, ?, ?, ?, ?, ?)`);
    const buckets: number[] = [];
    if (p.table === 'usage_1d') for (let t = localMidnight(now - p.span); t <= now; t = nextLocalMidnight(t)) buckets.push(t);
    else for (let t = bucketStart(now - p.span, res); t <= now; t += res.seconds) buckets.push(t);
    const perBucket = Math.max(1, Math.round(series * p.active));
    const chunk = db.transaction((bs: number[]) => {
      for (const t of bs) {
        for (let k = 0; k < perBucket; k++) {
          const s = 1 + Math.floor(r() * r() * series); // skewed: low ids busier
          const bytes = Math.floor(r() * 1e6 * (res.seconds / 10));
          rows += ins.run(t, s, bytes, bytes >> 3, bytes >> 10, bytes >> 13).changes;
        }
      }
    });
    for (let i = 0; i < buckets.length; i += 500) chunk(buckets.slice(i, i + 500));
  }
  return rows;
}

function time(runs: number, fn: () => void): { p50: number; p95: number; max: number } {
  fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (f: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(f * ms.length))] * 10) / 10;
  return { p50: q(0.5), p95: q(0.95), max: q(1) };
}

const keep = process.argv.indexOf('--keep');
mkdirSync(out, { recursive: true });
const path = keep > 0 ? process.argv[keep + 1] : join(out, 'dashboard-bench.db');
const now = Math.floor(Date.now() / 1000);
const reuse = keep > 0 && process.argv.includes('--reuse') && existsSync(path);
let rows = -1;
let buildMs = 0;
if (!reuse) {
  rmSync(path, { force: true });
  const w = openDb(path, { migrate: true });
  const t0 = performance.now();
  rows = build(w, now);
  w.pragma('wal_checkpoint(TRUNCATE)');
  w.close();
  buildMs = Math.round(performance.now() - t0);
}
const db = openDb(path, { readonly: true });
const view = (q: Record<string, string>) => parseView(db, q, now);
const results = {
  store: { apps: APPS, networks: NETS, usageRows: rows, buildMs, loadAverage: (await import('node:os')).loadavg()[0] },
  overview24h: time(30, () => getOverview(db, view({ period: '24h', net: 'all' }), now)),
  overview24hMetered: time(30, () => getOverview(db, view({ period: '24h', net: 'metered' }), now)),
  overview7d: time(20, () => getOverview(db, view({ period: '7d', net: 'all' }), now)),
  overviewYear: time(10, () => getOverview(db, view({ period: 'custom', since: new Date((now - 365 * 86400) * 1000).toISOString().slice(0, 10), net: 'all' }), now)),
  appDetailYear: time(10, () => getAppDetail(db, 1, view({ period: 'custom', since: new Date((now - 365 * 86400) * 1000).toISOString().slice(0, 10), net: 'all' }), now)),
};
db.close();
writeFileSync(join(out, 'dashboard.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (keep < 0) rmSync(path, { force: true });
