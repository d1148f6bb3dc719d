/** The usage report behind /api/usage, /api/export.csv and `appnet export`. */
import type { Db } from '../open';
import { resolvePeriod } from '../../lib/period';
import { MAX_REPORT_SPAN_SEC, type ReportQuery, type ReportRow } from '../../lib/report';
import { getReportRows } from './dashboard';
import { getDestinationReportRows } from './destinations';
import { getCycleStartDay } from './network-settings';
import type { UsageFilter } from './usage';

export interface Report {
  since: number;
  until: number;
  filter: UsageFilter;
  rows: ReportRow[];
}

/**
 * getReport resolves a validated report query (explicit since/until win over a named period;
 * the default is the last 24 hours) and reads its rows.
 */
export function getReport(db: Db, q: ReportQuery, now: number): Report {
  const base = { ifaces: q.iface, networkId: q.network, metered: q.metered };
  let since: number;
  let until: number;
  if (q.since !== undefined || q.until !== undefined || q.period === undefined || q.period === 'custom') {
    until = q.until ?? now;
    since = q.since ?? until - 86400;
  } else {
    const cycleStartDay = q.period === 'cycle' ? getCycleStartDay(db, base) : 1;
    ({ since, until } = resolvePeriod({ period: q.period, cycleStartDay }, now));
  }
  if (since >= until) throw new RangeError(`the period is empty: since (${since}) is not before until (${until})`);
  // Checked here, on the resolved bounds, so `since` alone (until = now) is capped too.
  if (until - since > MAX_REPORT_SPAN_SEC) throw new RangeError('a period can be at most 5 years long: give a later since or an earlier until');
  const filter: UsageFilter = { since, until, ...base };
  if (q.by === 'app,remote') {
    const rows = getDestinationReportRows(db, filter, now, q.fold6 ?? 'auto');
    // Destinations are kept per hour: the report covers the whole hours around the period asked for.
    const wide = { since: since - (((since % 3600) + 3600) % 3600), until: Math.ceil(until / 3600) * 3600 };
    return { ...wide, filter: { ...filter, ...wide }, rows };
  }
  return { since, until, filter, rows: getReportRows(db, filter, q.by, now) };
}
