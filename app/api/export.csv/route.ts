import { connection } from 'next/server';
import { requireApiAuth } from '../../_data/auth';
import { runReportRequest } from '../../_data/report';
import { reportCsv } from '../../../lib/report';
import { localDate } from '../../../lib/format';

/** GET /api/export.csv: the /api/usage report as RFC 4180 CSV, downloaded as a file. */
export async function GET(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const r = runReportRequest(req);
  if (!r.ok) return r.response;
  const { query: q, report } = r;
  const name = `appnet-${q.by.replace(',', '-')}-${localDate(report.since)}_${localDate(report.until)}.csv`;
  return new Response(reportCsv(report.rows, q.by), {
    headers: {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
    },
  });
}
