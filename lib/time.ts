/**
 * Roll-up resolutions, finest first, with how long each is kept. The fine windows decide the size of a
 * busy series' first year (BENCHMARKS.md figure 6: goal ≤ 1 MB): 10 s for a day and minutes for a week
 * cover every chart under two hours (10 s) and every day-long zoom of the last week (minutes); older
 * detail is hourly for 400 days.
 */
export const RESOLUTIONS = [
  { table: 'usage_10s', seconds: 10, keepSeconds: 86400 },
  { table: 'usage_1m', seconds: 60, keepSeconds: 7 * 86400 },
  { table: 'usage_1h', seconds: 3600, keepSeconds: 400 * 86400 },
  { table: 'usage_1d', seconds: 86400, keepSeconds: null },
  // Local calendar months (seconds is nominal): exact long-period totals, not chart points.
  { table: 'usage_1mo', seconds: 30 * 86400, keepSeconds: null },
] as const;

export type Resolution = (typeof RESOLUTIONS)[number];
export type UsageTable = Resolution['table'];

/**
 * unixSeconds turns a time in unix ms (Date.now(), the collector's clock, the status and event
 * columns) or a Date into whole unix seconds, the unit of every timestamp above the collector's clock.
 */
export function unixSeconds(at: number | Date): number {
  return Math.floor((typeof at === 'number' ? at : at.getTime()) / 1000);
}

/** nowSeconds returns the current time in whole unix seconds. */
export function nowSeconds(): number {
  return unixSeconds(Date.now());
}

/** localMidnight returns the unix seconds of the local-time midnight that starts the day holding ts. */
export function localMidnight(ts: number): number {
  const d = new Date(ts * 1000);
  d.setHours(0, 0, 0, 0);
  return unixSeconds(d);
}

/**
 * localMonthStart returns the start of the local calendar month holding ts: the usage_1d bucket of
 * its first day, so a month is exactly the union of its day buckets.
 */
export function localMonthStart(ts: number): number {
  const d = new Date(localMidnight(ts) * 1000);
  return localMidnight(unixSeconds(new Date(d.getFullYear(), d.getMonth(), 1, 12)));
}

/** nextLocalMidnight returns the start of the local day after the one holding ts (23- and 25-hour days included). */
export function nextLocalMidnight(ts: number): number {
  return localMidnight(localMidnight(ts) + 26 * 3600);
}

/** nextLocalMonthStart returns the start of the local month after the one holding ts. */
export function nextLocalMonthStart(ts: number): number {
  return localMonthStart(localMonthStart(ts) + 32 * 86400);
}

/** bucketStart aligns unix seconds to a roll-up bucket; days and months follow local time (23- and 25-hour days included). */
export function bucketStart(ts: number, res: Resolution): number {
  if (res.table === 'usage_1d') return localMidnight(ts);
  if (res.table === 'usage_1mo') return localMonthStart(ts);
  return ts - (ts % res.seconds);
}

/**
 * resolutionFor picks the coarsest table that still draws about `points` buckets over
 * [since, until) and whose retention reaches back to `since`.
 */
export function resolutionFor(since: number, until: number, now: number, points = 120): Resolution {
  const span = Math.max(1, until - since);
  // Months are uneven buckets for totals; charts stop at days.
  const kept = RESOLUTIONS.filter((r) => r.table !== 'usage_1mo' && (r.keepSeconds === null || now - since <= r.keepSeconds));
  const fine = kept.filter((r) => span / r.seconds >= Math.min(points, span / kept[0].seconds));
  return (fine.length ? fine[fine.length - 1] : kept[0]) as Resolution;
}

/** finestCovering picks the finest table whose retention still holds `since`: exact totals. */
export function finestCovering(since: number, now: number): Resolution {
  return RESOLUTIONS.find((r) => r.keepSeconds === null || now - since <= r.keepSeconds) ?? RESOLUTIONS[3];
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** parseDuration reads '90s', '15m', '24h', '7d', '2w' into seconds; null if malformed. */
export function parseDuration(s: string): number | null {
  const m = /^(\d{1,6})([smhdw])$/.exec(s.trim());
  return m ? Number(m[1]) * UNIT[m[2]] : null;
}

/** A piece of a period answered by one roll-up table: buckets starting in [from, to). */
export interface RangePiece {
  table: UsageTable;
  from: number;
  to: number;
  /** A usage_10s piece read only from the roll-up watermark on (db/queries/sql-parts splitRangeFor). */
  tail?: boolean;
}

/**
 * splitRange answers [since, until) with as few rows as possible and no bucket twice:
 * whole local months from usage_1mo in the middle, whole days around them, then hours,
 * minutes and 10 s buckets at the edges, each level only where its retention still holds
 * the data. Days and months are used only where their local midnights fall on an hour
 * (so hours nest in days, and days in months). When the period runs to `now` or later, the
 * bucket holding its end is read whole: nothing is stored after now, so the current month's
 * row is this month so far (no tail of days, hours, minutes). A last piece may then end
 * after `until`. `coarsest` stops at a finer table, for reads that need each row's own day
 * (per-day reports).
 */
export function splitRange(since: number, until: number, now: number, opts: { coarsest?: UsageTable } = {}): RangePiece[] {
  const out: RangePiece[] = [];
  const all = [...RESOLUTIONS].reverse(); // coarse → fine
  const levels = opts.coarsest ? all.slice(all.findIndex((r) => r.table === opts.coarsest)) : all;
  const kept = (r: Resolution, at: number) => r.keepSeconds === null || now - at <= r.keepSeconds;
  const cover = (a: number, b: number, idx: number): void => {
    if (a >= b) return;
    const res = levels[idx];
    const finer = levels.slice(idx + 1).filter((r) => kept(r, a));
    if (finer.length === 0) {
      out.push({ table: res.table, from: a, to: b });
      return;
    }
    // The end of the period, at or after now: the bucket holding it is complete as stored.
    const end = (start: number, next: (t: number) => number) => (until >= now && b === until && start < b ? next(b) : start);
    let A: number;
    let B: number;
    if (res.table === 'usage_1mo') {
      A = localMonthStart(a) === a ? a : nextLocalMonthStart(a);
      B = end(localMonthStart(b), nextLocalMonthStart);
      if (A % 3600 !== 0 || B % 3600 !== 0) return cover(a, b, idx + 1);
    } else if (res.table === 'usage_1d') {
      A = localMidnight(a) === a ? a : nextLocalMidnight(a);
      B = end(localMidnight(b), nextLocalMidnight);
      if (A % 3600 !== 0 || B % 3600 !== 0) return cover(a, b, idx + 1);
    } else {
      A = Math.ceil(a / res.seconds) * res.seconds;
      B = end(Math.floor(b / res.seconds) * res.seconds, (t) => Math.ceil(t / res.seconds) * res.seconds);
    }
    if (A >= B || !kept(res, A) && idx > 0) return cover(a, b, idx + 1);
    cover(a, A, idx + 1);
    out.push({ table: res.table, from: A, to: B });
    cover(B, b, idx + 1);
  };
  cover(since, until, 0);
  return out.sort((x, y) => x.from - y.from);
}
