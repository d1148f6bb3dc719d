/**
 * Route-handler side of the usage report: parse the query string, then hand the reading and
 * rendering to the server's report runner (a worker thread, server/report-pool.ts), so a
 * year-long report never holds up the request thread; the answer is streamed as it comes.
 */
import { connection } from 'next/server';
import { zodFields } from '../../lib/api-error';
import { reportQuerySchema, type ReportQuery } from '../../lib/report';
import { registeredReportRunner } from '../../lib/report-runner';
import { apiError, storeError } from './api';
import { requireApiAuth } from './auth';
import { openStore } from './db';
import { nowSeconds } from '../../lib/time';

/** What a report route renders: the validated query, the report's bounds and its streamed body. */
export interface ReportAnswer {
  query: ReportQuery;
  since: number;
  until: number;
  body: ReadableStream<Uint8Array>;
}

/** parseReportQuery validates a report request's query string, or answers 400 with the fields. */
function parseReportQuery(req: Request): { ok: true; query: ReportQuery } | { ok: false; response: Response } {
  const parsed = reportQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (parsed.success) return { ok: true, query: parsed.data };
  const fields = zodFields(parsed.error);
  const named = Object.entries(fields).map(([k, v]) => (k === '_' ? v.join('; ') : `${k}: ${v.join('; ')}`));
  return { ok: false, response: apiError(400, 'bad_request', `invalid parameters — ${named.join('; ')}`, fields) };
}

/**
 * reportRoute is a whole report route handler: authorise, validate, read on the report
 * runner in `format`, then wrap the body with `render`'s headers; every failure answers in
 * the one error shape.
 */
export function reportRoute(format: 'csv' | 'json', render: (r: ReportAnswer) => Response): (req: Request) => Promise<Response> {
  return async (req) => {
    await connection();
    const denied = await requireApiAuth(req);
    if (denied) return denied;
    const parsed = parseReportQuery(req);
    if (!parsed.ok) return parsed.response;
    const store = openStore();
    if (store.state !== 'ok') return storeError(store) as Response;
    const runner = registeredReportRunner();
    if (!runner) return apiError(503, 'unavailable', 'Reports are read by appnet serve; this server has no report runner.');
    const out = await runner.run({ dbPath: store.path, query: parsed.query, now: nowSeconds(), format }, req.signal);
    if (!out.ok) return apiError(out.status, out.code, out.message);
    return render({ query: parsed.query, since: out.since, until: out.until, body: out.body });
  };
}
