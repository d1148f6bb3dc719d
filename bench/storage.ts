/**
 * Figure 6: storage per series and write time per poll. Bytes per row come from SQLite's
 * dbstat over a year-long store (roll-ups, the per-series day index, the per-link totals); the
 * per-series bound is the retention (lib/time RESOLUTIONS) times those row sizes for a series
 * active in every bucket.
 */
import { rmSync } from 'node:fs';
import { CounterIds, putCounterStates, type StoredState } from '../db/queries/state';
import { insertUsage, type UsageDelta } from '../db/store/usage-write';
import type { Db } from '../db/open';
import { RESOLUTIONS } from '../lib/time';
import { buildHistory, type HistoryDb } from './history';
import { summarize, type Summary } from './stats';

export interface StorageResult {
  tables: Array<{ table: string; rows: number; bytes: number; bytesPerRow: number }>;
  series: number;
  /** Average usage bytes per series in the modelled year (sparse activity). */
  modelledBytesPerSeries: number;
  /** Steady-state bytes of a series active in every bucket, with one year of daily rows. */
  alwaysActiveBytesPerSeriesYear: number;
  /** What each further year adds to an always-active series (daily rows only). */
  alwaysActiveBytesPerExtraYear: number;
  fileBytes: number;
}

/** storageFromHistory measures row sizes in a built store and derives bytes per series per year. */
export function storageFromHistory(h: HistoryDb): StorageResult {
  const stat = h.db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as Array<{ name: string; bytes: number }>;
  const bytesOf = (t: string) => stat.find((x) => x.name === t)?.bytes ?? 0;
  const count = (t: string) => (h.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  const row = (table: string, rows: number) => ({ table, rows, bytes: bytesOf(table), bytesPerRow: rows ? bytesOf(table) / rows : 0 });
  // The per-series day index (one entry per day row) and the per-link totals (shared by all series of a link) count too.
  const tables = [...RESOLUTIONS.map((r) => row(r.table, h.rows[r.table] ?? 0)), row('usage_1d_series', h.rows.usage_1d ?? 0), row('usage_link', count('usage_link'))];
  const perRow = (t: string) => tables.find((x) => x.table === t)!.bytesPerRow + (t === 'usage_1d' ? tables.find((x) => x.table === 'usage_1d_series')!.bytesPerRow : 0);
  let always = 0;
  let extra = 0;
  for (const r of RESOLUTIONS) {
    const rowsKept = (r.keepSeconds ?? 365 * 86400) / r.seconds;
    always += rowsKept * perRow(r.table);
    if (r.keepSeconds === null) extra += rowsKept * perRow(r.table);
  }
  const usageBytes = tables.reduce((a, t) => a + t.bytes, 0);
  const pageSize = h.db.pragma('page_size', { simple: true }) as number;
  const pages = h.db.pragma('page_count', { simple: true }) as number;
  return { tables, series: h.seriesIds.length, modelledBytesPerSeries: usageBytes / h.seriesIds.length, alwaysActiveBytesPerSeriesYear: always, alwaysActiveBytesPerExtraYear: extra, fileBytes: pageSize * pages };
}

export interface WriteResult {
  series: number;
  polls: number;
  /** Seconds between polls (the collector's default interval). */
  intervalSec?: number;
  /** insertUsage for every active series + counter state for 2 elements each, one transaction, ms. */
  pollWrite: Summary;
  /** Mean of pollWrite, ms: the CPU a poll's write costs on average, roll-ups included. */
  pollWriteMean?: number;
  /** pollWrite of the polls that rolled the closed 10 s buckets up (about one a minute), and of the others, ms. */
  rollupPolls?: Summary;
  otherPolls?: Summary;
  /** insertUsage's share of each poll write (same polls), ms. */
  usageOnly: Summary;
  /** The full poll write split into its parts (each roll-up, the per-link totals, counter state, commit), ms. */
  parts?: Record<string, Summary>;
}

function deltas(ids: number[], k: number): UsageDelta[] {
  return ids.map((seriesId, i) => ({ seriesId, rxBytes: 1000 + ((i * 7919 + k) % 100000), txBytes: 200 + (i % 1000), rxPackets: 10, txPackets: 3 }));
}

/**
 * benchWrites times `polls` poll writes of `series` active series, 5 s apart (the roll-ups of the closed
 * 10 s buckets fall on about one poll in twelve), into an on-disk store (WAL) that
 * already holds `historyDays` of history (default a year, the activity model of section 5): an empty
 * store hides the cost of index pages spread over a year of rows.
 */
export function benchWrites(path: string, opts: { series: number; polls: number; now: number; historyDays?: number }): WriteResult {
  rmSync(path, { force: true });
  const days = opts.historyDays ?? 365;
  const h = buildHistory(path, { apps: Math.ceil(opts.series / 5), networks: 5, days, activeHourShare: days ? 0.04 : 0 }, opts.now);
  const ids = h.seriesIds.slice(0, opts.series);
  const db: Db = h.db;
  const counterIds = new CounterIds(db);
  const full: number[] = [];
  const only: number[] = [];
  const parts: Record<string, number[]> = {};
  const part = (name: string, ms: number) => (parts[name] ??= []).push(ms);
  const time = (fn: () => void) => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const warm = 10;
  const interval = 5;
  const rollups: number[] = [];
  const others: number[] = [];
  for (let k = 0; k < opts.polls + warm; k++) {
    const ts = opts.now + k * interval;
    const d = deltas(ids, k);
    const keep = k >= warm;
    let inside = 0;
    let usage = 0;
    let rolled = false;
    const a = time(() =>
      db.transaction(() => {
        const t0 = performance.now();
        const rolledUp = insertUsage(db, ts, d, (name, ms) => {
          if (name === 'roll-up') rolled = true;
          if (keep) part(name, ms);
        });
        const states: StoredState[] = [];
        for (const x of d) {
          for (const set of ['acct_in', 'acct_out']) states.push({ setName: set, elemKey: `${x.seriesId}|wlan0`, tableHandle: 1, bytes: x.rxBytes * k, packets: k, seenAt: ts * 1000, expiresAt: ts * 1000 + 600_000 });
        }
        const t1 = performance.now();
        usage = t1 - t0;
        putCounterStates(db, counterIds, states, { fold: rolledUp });
        if (keep) part('counter_state', performance.now() - t1);
        inside = performance.now() - t0;
      })(),
    );
    // What the transaction cost beyond its statements: the commit, and the WAL checkpoint when one falls due.
    if (keep) part('commit (+ checkpoint when due)', a - inside);
    if (keep) {
      full.push(a);
      only.push(usage);
      (rolled ? rollups : others).push(a);
    }
  }
  db.close();
  rmSync(path, { force: true });
  for (const s of ['-wal', '-shm']) rmSync(path + s, { force: true });
  return {
    series: ids.length,
    polls: opts.polls,
    intervalSec: interval,
    pollWrite: summarize(full),
    pollWriteMean: full.reduce((x, y) => x + y, 0) / full.length,
    rollupPolls: summarize(rollups),
    otherPolls: summarize(others),
    usageOnly: summarize(only),
    parts: Object.fromEntries(Object.entries(parts).map(([n, v]) => [n, summarize(v)])),
  };
}
