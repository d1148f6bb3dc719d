/** Route-handler side of the usage report: parse the query string, read, answer in one error shape. */
import { getReport, type Report } from '../../db/queries/report';
import { zodFields } from '../../lib/api-error';
import { reportQuerySchema, type ReportQuery } from '../../lib/report';
import { connection } from 'next/server';
import { apiError, storeError } from './api';
import { requireApiAuth } from './auth';
import { openStore } from './db';
import { nowSeconds } from '../../lib/time';

/** runReportRequest validates a report request's query string and reads it; returns the report or an error Response. */
export function runReportRequest(req: Request): { ok: true; query: ReportQuery; report: Report; now: number } | { ok: false; response: Response } {
  const params = Object.fromEntries(new URL(req.url).searchParams);
  const parsed = reportQuerySchema.safeParse(params);
  if (!parsed.success) {
    const fields = zodFields(parsed.error);
    const named = Object.entries(fields).map(([k, v]) => (k === '_' ? v.join('; ') : `${k}: ${v.join('; ')}`));
    return { ok: false, response: apiError(400, 'bad_request', `invalid parameters — ${named.join('; ')}`, fields) };
  }
  const store = openStore();
  if (store.state !== 'ok') return { ok: false, response: storeError(store) as Response };
  const now = nowSeconds();
  try {
    return { ok: true, query: parsed.data, report: getReport(store.db, parsed.data, now), now };
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, response: apiError(400, 'bad_request', err.message) };
    return { ok: false, response: apiError(500, 'internal', `Reading the usage report failed: ${err instanceof Error ? err.message : String(err)}`) };
  }
}

/**
 * reportRoute is a whole report route handler: authorise, validate, read, then render the
 * report with `render` (JSON or CSV); every failure answers in the one error shape.
 */
export function reportRoute(
  render: (r: { query: ReportQuery; report: Report; now: number }) => Response,
): (req: Request) => Promise<Response> {
  return async (req) => {
    await connection();
    const denied = await requireApiAuth(req);
    if (denied) return denied;
    const r = runReportRequest(req);
    return r.ok ? render(r) : r.response;
  };
}
