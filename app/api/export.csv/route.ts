import { reportRoute } from '../../_data/report';
import { localDate } from '../../../lib/format';

/** GET /api/export.csv: the /api/usage report as RFC 4180 CSV, downloaded as a file (streamed). */
export const GET = reportRoute('csv', ({ query: q, since, until, body }) => {
  const name = `appnet-${q.by.replace(',', '-')}-${localDate(since)}_${localDate(until)}.csv`;
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
    },
  });
});
