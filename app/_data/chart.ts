/** Chart grids over the roll-ups, and turning rows into evenly spaced points (missing buckets become zero). */
import type { ChartGrid } from '../../db/queries/dashboard';
import { bucketStart, localMonthStart, nextLocalMidnight, nextLocalMonthStart, resolutionFor } from '../../lib/time';

const NICE_STEPS = [10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200];

/**
 * chartGrid picks the roll-up table for a chart of about `points` points over [since, until) and,
 * for sub-daily tables, a round step that merges buckets so a chart never draws much more than that
 * (24 h reads minutes but draws 10-minute points). Daily charts use local days.
 */
export function chartGrid(since: number, until: number, now: number, points: number): ChartGrid {
  const res = resolutionFor(since, until, now, points);
  if (res.table === 'usage_1d') return { table: res.table, from: bucketStart(since, res), step: 86400 };
  const want = (until - since) / points;
  const step = NICE_STEPS.find((s) => s >= want && s % res.seconds === 0) ?? res.seconds * Math.ceil(want / res.seconds);
  return { table: res.table, from: Math.floor(since / step) * step, step: Math.max(step, res.seconds) };
}

const MONTHLY_FROM = 300 * 86400;

/**
 * sparkGrid is chartGrid for a sparkline of about `points` points, except that a period of ten
 * months or more is drawn in local calendar months (usage_1mo) when the store has them: a dozen rows
 * per series instead of hundreds of days, and a sparkline shows no more than that.
 */
export function sparkGrid(since: number, until: number, now: number, points: number, opts: { months: boolean }): ChartGrid {
  if (opts.months && until - since >= MONTHLY_FROM) return { table: 'usage_1mo', from: localMonthStart(since), step: 30 * 86400 };
  return chartGrid(since, until, now, points);
}

/**
 * bucketsOf lists the grid's point times in [from, until); days and months follow local midnights.
 * The last point may hold a bucket that has only begun: it is drawn (marked in progress, see
 * inProgressAt), so the chart holds every byte the page's totals count.
 */
export function bucketsOf(grid: ChartGrid, until: number): number[] {
  const out: number[] = [];
  if (grid.table === 'usage_1mo') {
    for (let t = grid.from; t < until; t = nextLocalMonthStart(t)) out.push(t);
    return out;
  }
  if (grid.table === 'usage_1d') {
    for (let t = grid.from; t < until; t = nextLocalMidnight(t)) out.push(t);
    return out;
  }
  for (let t = grid.from; t < until; t += grid.step) out.push(t);
  return out;
}

/** bucketEnd is the start of the grid point after the one starting at t. */
export function bucketEnd(grid: ChartGrid, t: number): number {
  if (grid.table === 'usage_1mo') return nextLocalMonthStart(t);
  if (grid.table === 'usage_1d') return nextLocalMidnight(t);
  return t + grid.step;
}

/** inProgressAt is the time of the last point when `now` falls inside its bucket (it is still filling), else null. */
export function inProgressAt(grid: ChartGrid, buckets: number[], now: number): number | null {
  const last = buckets.at(-1);
  return last !== undefined && last <= now && now < bucketEnd(grid, last) ? last : null;
}

/** pointIndex maps a roll-up bucket time onto the index of the grid point that draws it (or -1). */
export function pointIndex(grid: ChartGrid, buckets: number[]): (ts: number) => number {
  if (grid.table === 'usage_1d' || grid.table === 'usage_1mo') {
    const index = new Map(buckets.map((t, i) => [t, i]));
    return (ts) => index.get(ts) ?? -1;
  }
  return (ts) => {
    const i = Math.floor((ts - grid.from) / grid.step);
    return i >= 0 && i < buckets.length ? i : -1;
  };
}

/** pivot lays rows {ts, key, value} onto the grid's points: one object per point with a number per key. */
export function pivot<R extends { ts: number }>(
  grid: ChartGrid,
  buckets: number[],
  rows: R[],
  keyOf: (r: R) => string,
  valueOf: (r: R) => number,
  keys: string[],
): Array<Record<string, number>> {
  const at = pointIndex(grid, buckets);
  const out = buckets.map((ts) => {
    const o: Record<string, number> = { ts };
    for (const k of keys) o[k] = 0;
    return o;
  });
  for (const r of rows) {
    const i = at(r.ts);
    if (i < 0) continue;
    const k = keyOf(r);
    out[i][k] = (out[i][k] ?? 0) + valueOf(r);
  }
  return out;
}
