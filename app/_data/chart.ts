/** Turning roll-up rows into evenly spaced chart points (missing buckets become zero). */
import { bucketStart, localMidnight, resolutionFor, type Resolution } from '../../lib/time';

/** chartResolution picks the roll-up table and first bucket for a chart of about `points` points. */
export function chartResolution(since: number, until: number, now: number, points: number): { res: Resolution; from: number } {
  const res = resolutionFor(since, until, now, points);
  return { res, from: bucketStart(since, res) };
}

/**
 * bucketsOf lists bucket starts in [from, until) for a resolution; days follow local midnights.
 * A last sub-daily bucket that has only begun is left out of long charts: drawn, it looks like
 * traffic suddenly stopped (the exact totals elsewhere on the page still include it).
 */
export function bucketsOf(res: Resolution, from: number, until: number): number[] {
  const out: number[] = [];
  if (res.table === 'usage_1d') {
    for (let t = from; t < until; t = localMidnight(t + 26 * 3600)) out.push(t);
    return out;
  }
  for (let t = from; t < until; t += res.seconds) out.push(t);
  if (out.length > 20 && until - out[out.length - 1] < res.seconds) out.pop();
  return out;
}

/** pivot lays rows {ts, key, value} onto the buckets: one object per bucket with a number per key. */
export function pivot<R extends { ts: number }>(
  buckets: number[],
  rows: R[],
  keyOf: (r: R) => string,
  valueOf: (r: R) => number,
  keys: string[],
): Array<Record<string, number>> {
  const index = new Map(buckets.map((t, i) => [t, i]));
  const out = buckets.map((ts) => {
    const o: Record<string, number> = { ts };
    for (const k of keys) o[k] = 0;
    return o;
  });
  for (const r of rows) {
    const i = index.get(r.ts);
    if (i === undefined) continue;
    const k = keyOf(r);
    out[i][k] = (out[i][k] ?? 0) + valueOf(r);
  }
  return out;
}
