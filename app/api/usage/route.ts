import { connection } from 'next/server';
import { requireApiAuth } from '../../_data/auth';
import { runReportRequest } from '../../_data/report';
import { reportJson } from '../../../lib/report';

/** GET /api/usage: bytes per app (or per app and interface, or per app and day) over a period, as JSON. */
export async function GET(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const r = runReportRequest(req);
  if (!r.ok) return r.response;
  const { query: q, report, now } = r;
  const body = reportJson(report.rows, { since: report.since, until: report.until, by: q.by, now, iface: q.iface, network: q.network, metered: q.metered });
  return Response.json(body, { headers: { 'cache-control': 'no-store' } });
}
