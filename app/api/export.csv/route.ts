import { reportRoute } from '../../_data/report';
import { localDate } from '../../../lib/format';
import { reportCsv } from '../../../lib/report';

/** GET /api/export.csv: the /api/usage report as RFC 4180 CSV, downloaded as a file. */
export const GET = reportRoute(({ query: q, report }) => {
  const name = `appnet-${q.by.replace(',', '-')}-${localDate(report.since)}_${localDate(report.until)}.csv`;
  return new Response(reportCsv(report.rows, q.by), {
    headers: {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
    },
  });
});
