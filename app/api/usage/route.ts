import { reportRoute } from '../../_data/report';
import { reportJson } from '../../../lib/report';

/** GET /api/usage: bytes per app (or per app and interface, or per app and day) over a period, as JSON. */
export const GET = reportRoute(({ query: q, report, now }) =>
  Response.json(
    reportJson(report.rows, { since: report.since, until: report.until, by: q.by, now, iface: q.iface, network: q.network, metered: q.metered }),
    { headers: { 'cache-control': 'no-store' } },
  ),
);
