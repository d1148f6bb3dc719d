/**
 * Figure 5: dashboard queries against a week and a year of history (same apps, same
 * networks), alternating between the two stores; p95 per query and the year ÷ week
 * ratio; EXPLAIN QUERY PLAN of each query, checked for index use.
 */
import { chartGrid } from '../app/_data/chart';
import { getOverview } from '../app/_data/overview';
import { parseView } from '../app/_data/view';
import { getAppSeriesByNetwork } from '../db/queries/app-detail';
import { getTopApps } from '../db/queries/usage';
import type { Db } from '../db/open';
import type { HistoryDb } from './history';
import { summarize, type Summary } from './stats';

interface Recorded {
  sql: string;
  params: unknown[];
}

/** recording wraps a Db so every statement a query runs (SQL and parameters) can be EXPLAINed. */
function recording(db: Db): { db: Db; all: () => Recorded[] } {
  const seen: Recorded[] = [];
  const wrapped = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') return Reflect.get(target, prop, receiver);
      return (sql: string) => {
        const stmt = target.prepare(sql);
        return new Proxy(stmt, {
          get(st, p) {
            const v: unknown = Reflect.get(st, p);
            if (typeof v !== 'function') return v;
            return (...args: unknown[]) => {
              if (p === 'all' || p === 'get') seen.push({ sql, params: args });
              return (v as (...a: unknown[]) => unknown).apply(st, args);
            };
          },
        });
      };
    },
  });
  return { db: wrapped, all: () => seen };
}

export interface QuerySpec {
  name: string;
  /** Goal for p95 in ms: what keeps the dashboard feeling instant. */
  goalMs: number;
  run(h: HistoryDb, db: Db): unknown;
}

const DAY = 86400;

/** QUERIES are the dashboard's hot reads: overview totals and charts, and one app's year chart. */
export const QUERIES: QuerySpec[] = [
  { name: 'top apps, 24 h', goalMs: 50, run: (h, db) => getTopApps(db, { since: h.now - DAY, until: h.now }, h.now, 20) },
  { name: 'overview page data, 24 h (app/_data getOverview)', goalMs: 50, run: (h, db) => getOverview(db, parseView(db, { period: '24h' }, h.now), h.now) },
  {
    name: 'overview page data, 1 y (custom period)',
    goalMs: 200,
    run: (h, db) => getOverview(db, parseView(db, { period: 'custom', since: String(h.now - 365 * DAY), until: String(h.now) }, h.now), h.now),
  },
  { name: 'top apps, 30 d', goalMs: 200, run: (h, db) => getTopApps(db, { since: h.now - 30 * DAY, until: h.now }, h.now, 20) },
  { name: 'top apps, 1 y', goalMs: 200, run: (h, db) => getTopApps(db, { since: h.now - 365 * DAY, until: h.now }, h.now, 20) },
  {
    name: 'one app, 1 y chart per network',
    goalMs: 200,
    run: (h, db) => getAppSeriesByNetwork(db, h.appIds[7], { since: h.now - 365 * DAY, until: h.now }, chartGrid(h.now - 365 * DAY, h.now, h.now, 120)),
  },
];

export interface QueryResult {
  name: string;
  goalMs: number;
  week: Summary;
  year: Summary;
  /** Median over rounds of year ÷ week (each round times both stores back to back). */
  yearOverWeek: number;
  plan: string[];
  /** The plan reads every usage table it touches through its primary key or an index. */
  usesIndexes: boolean;
}

/**
 * planUsesIndexes: no usage table is read by a full scan. `SCAN u` is fine where u is the
 * UNION ALL co-routine (its parts are SEARCHes) but not where u aliases a usage table.
 */
export function planUsesIndexes(plan: string[]): boolean {
  const coroutine = plan.some((l) => /^CO-ROUTINE u\b/.test(l));
  const scans = plan.filter((l) => (/^SCAN usage_/.test(l) || (/^SCAN u\b/.test(l) && !coroutine)) && !/USING/.test(l));
  return plan.length > 0 && scans.length === 0;
}

function explain(db: Db, r: Recorded): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...(r.params as never[])) as Array<{ detail: string }>;
  return rows.map((x) => x.detail);
}

/** benchQueries times each query `reps` times on both stores, alternating. */
export function benchQueries(week: HistoryDb, year: HistoryDb, opts: { reps: number }): QueryResult[] {
  return QUERIES.map((q) => {
    const w: number[] = [];
    const y: number[] = [];
    const ratios: number[] = [];
    q.run(week, week.db);
    q.run(year, year.db);
    for (let i = 0; i < opts.reps; i++) {
      const a = timeMsSync(() => q.run(week, week.db));
      const b = timeMsSync(() => q.run(year, year.db));
      w.push(a);
      y.push(b);
      ratios.push(b / a);
    }
    const rec = recording(year.db);
    q.run(year, rec.db);
    // Every statement that reads usage rows must use an index; all plans are kept, in order.
    const plans = rec.all().filter((r) => /\busage_/.test(r.sql)).map((r) => explain(year.db, r));
    const plan = plans.flatMap((p, i) => (i ? ['-- next statement', ...p] : p));
    return { name: q.name, goalMs: q.goalMs, week: summarize(w), year: summarize(y), yearOverWeek: summarize(ratios).median, plan, usesIndexes: plans.length > 0 && plans.every(planUsesIndexes) };
  });
}

function timeMsSync(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
