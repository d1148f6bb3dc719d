/**
 * Geometry of the stacked chart, computed without the DOM so the server can send the finished
 * SVG in the page's first HTML: paths in a fixed viewBox that CSS stretches to any width, and
 * tick positions as fractions of the plot for HTML labels that keep their size.
 */
import { localMidnight, localMonthStart, nextLocalMidnight, nextLocalMonthStart } from '../lib/time';

/** Plot coordinates: x in [0, VIEW_W] by time, y in [0, VIEW_H] with 0 at the top. */
export const VIEW_W = 1000;
export const VIEW_H = 1000;

export interface Tick {
  value: number;
  /** Position along the axis, 0..1 (x: from the left; y: from the bottom). */
  at: number;
}

/** xFraction is point i's position across the plot, 0..1, by time over the first..last point (a lone point sits in the middle). */
export function xFraction(ts: number[], i: number): number {
  const span = ts[ts.length - 1] - ts[0];
  return span > 0 ? (ts[i] - ts[0]) / span : 0.5;
}

/** stackedMax is the largest total across series at any point (missing and negative values count as 0). */
export function stackedMax(values: number[][], points: number): number {
  let max = 0;
  for (let i = 0; i < points; i++) max = Math.max(max, values.reduce((sum, vs) => sum + Math.max(0, vs[i] ?? 0), 0));
  return max;
}

// Whole units: a unit is at most about a pixel at the widths the chart is drawn, and the page stays small.
const fmt = (n: number) => String(Math.round(n));

/**
 * stackPaths stacks each series on the ones before it and returns SVG path data per series, bottom
 * to top: the filled band (upper edge left to right, lower edge back) and its upper edge alone,
 * on a y scale from 0 to `top`. Missing and negative values count as 0.
 */
export function stackPaths(ts: number[], values: number[][], top: number): Array<{ area: string; line: string }> {
  const n = ts.length;
  if (n === 0) return values.map(() => ({ area: '', line: '' }));
  const y = (v: number) => (top > 0 ? VIEW_H - (Math.min(v, top) / top) * VIEW_H : VIEW_H);
  const xs = ts.map((_, i) => fmt(xFraction(ts, i) * VIEW_W));
  const edge = (vs: number[]) => vs.map((v, i) => `${xs[i]},${fmt(y(v))}`);
  const sum = new Array<number>(n).fill(0);
  let below = edge(sum).reverse();
  return values.map((vs) => {
    for (let i = 0; i < n; i++) sum[i] += Math.max(0, vs[i] ?? 0);
    const upper = edge(sum);
    const band = { area: `M${upper.join('L')}L${below.join('L')}Z`, line: `M${upper.join('L')}` };
    below = upper.reverse();
    return band;
  });
}

/**
 * byteTicks picks 3–6 round y-axis values from 0 to at least `max`, round in the unit formatBytes
 * would print (1, 2, 2.5 or 5 × 10^k KiB, MiB, …), and the scale top they imply.
 */
export function byteTicks(max: number): { ticks: Tick[]; top: number } {
  if (!(max > 0)) return { ticks: [{ value: 0, at: 0 }], top: 1 };
  let unit = 1;
  while (max / unit >= 1024 && unit < 1024 ** 5) unit *= 1024;
  const raw = max / unit / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow * unit;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: Tick[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push({ value: v, at: v / top });
  return { ticks, top };
}

const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
const SUBDAY_STEPS = [5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR];
const DAY_STEPS = [1, 2, 7, 14];
const MONTH_STEPS = [1, 2, 3, 6, 12];

/**
 * timeTicks places about `count` x-axis ticks in [t0, t1] on round local times: whole 5 min … 12 h
 * (counted from local midnight), whole days, Mondays, or first days of months.
 */
export function timeTicks(t0: number, t1: number, count = 6): Tick[] {
  const span = t1 - t0;
  if (!(span > 0)) return [{ value: t0, at: 0.5 }];
  const want = span / count;
  const at = (t: number) => (t - t0) / span;
  const out: number[] = [];
  const sub = SUBDAY_STEPS.find((s) => s >= want);
  if (sub) {
    for (let day = localMidnight(t0); day <= t1; day = nextLocalMidnight(day)) {
      for (let t = day; t < nextLocalMidnight(day); t += sub) if (t >= t0 && t <= t1) out.push(t);
    }
  } else if (want <= 14 * DAY) {
    const every = DAY_STEPS.find((d) => d * DAY >= want) ?? 14;
    for (let t = localMidnight(t0); t <= t1; t = nextLocalMidnight(t)) {
      const d = new Date(t * 1000);
      const keep = every === 7 || every === 14 ? d.getDay() === 1 && (every === 7 || weekOf(t) % 2 === 0) : daysSinceEpoch(d) % every === 0;
      if (t >= t0 && keep) out.push(t);
    }
  } else {
    const every = MONTH_STEPS.find((m) => m * 30 * DAY >= want) ?? 12;
    for (let t = localMonthStart(t0); t <= t1; t = nextLocalMonthStart(t)) {
      if (t >= t0 && new Date(t * 1000).getMonth() % every === 0) out.push(t);
    }
  }
  return out.map((t) => ({ value: t, at: at(t) }));
}

function daysSinceEpoch(d: Date): number {
  return Math.round(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / (DAY * 1000));
}

function weekOf(ts: number): number {
  return Math.floor(daysSinceEpoch(new Date(ts * 1000)) / 7);
}
