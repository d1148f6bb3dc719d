/** Periods people pick on the dashboard, turned into [since, until) in unix seconds, local time. */
import { localMidnight, unixSeconds } from './time';

export const PERIODS = ['1h', '24h', 'today', '7d', '30d', 'cycle', 'custom'] as const;
export type PeriodName = (typeof PERIODS)[number];

export const PERIOD_LABELS: Record<PeriodName, string> = {
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  today: 'Today',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  cycle: 'Billing cycle',
  custom: 'Custom',
};

/** cycleBounds returns the billing cycle holding `now` that starts on local day `startDay` (1–28) of a month. */
export function cycleBounds(now: number, startDay: number): { since: number; until: number } {
  const d = new Date(now * 1000);
  let y = d.getFullYear();
  let m = d.getMonth();
  if (d.getDate() < startDay) m -= 1;
  if (m < 0) {
    m += 12;
    y -= 1;
  }
  const since = unixSeconds(new Date(y, m, startDay, 0, 0, 0, 0));
  const until = unixSeconds(new Date(y, m + 1, startDay, 0, 0, 0, 0));
  return { since, until };
}

export interface PeriodInput {
  period: PeriodName;
  /** For 'custom': unix seconds. */
  since?: number;
  until?: number;
  /** For 'cycle': the network's cycle start day. */
  cycleStartDay?: number;
}

/**
 * resolvePeriod turns a named period into [since, until). 'today' and 'cycle' end at now
 * (the data ends there); the cycle's real end is returned as cycleEnd for projections.
 */
export function resolvePeriod(p: PeriodInput, now: number): { since: number; until: number; cycleEnd?: number } {
  switch (p.period) {
    case '1h':
      return { since: now - 3600, until: now };
    case '24h':
      return { since: now - 86400, until: now };
    case 'today':
      return { since: localMidnight(now), until: now };
    case '7d':
      return { since: now - 7 * 86400, until: now };
    case '30d':
      return { since: now - 30 * 86400, until: now };
    case 'cycle': {
      const c = cycleBounds(now, p.cycleStartDay ?? 1);
      return { since: c.since, until: now, cycleEnd: c.until };
    }
    case 'custom': {
      const until = p.until ?? now;
      const since = p.since ?? until - 86400;
      return { since, until };
    }
  }
}
