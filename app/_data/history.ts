/** Per-network history for the Networks page and GET /api/history.csv. */
import { connection } from 'next/server';
import type { Db } from '../../db/open';
import { getLinkHistory } from '../../db/queries/history';
import { zodFields } from '../../lib/api-error';
import { byNetwork, historyCsv, historyQuerySchema, historySince, periodLabel, type NetworkHistory } from '../../lib/history';
import { localDate } from '../../lib/format';
import { nextLocalMidnight, nowSeconds } from '../../lib/time';
import { apiError, storeError } from './api';
import { requireApiAuth } from './auth';
import { openStore } from './db';

/** How many days the page lists (the CSV has all of the 12 months). */
const PAGE_DAYS = 31;

export interface NetworkHistoryView {
  months: NetworkHistory[];
  days: NetworkHistory[];
  since: number;
}

/** getNetworkHistory reads each network's monthly totals for 12 months and its daily totals for the last 31 days. */
export function getNetworkHistory(db: Db, now: number): NetworkHistoryView {
  const since = historySince(now);
  const end = nextLocalMidnight(now);
  return {
    since,
    months: byNetwork(getLinkHistory(db, 'month', since, end)),
    days: byNetwork(getLinkHistory(db, 'day', Math.max(since, end - PAGE_DAYS * 86400), end)),
  };
}

/** historyCsvResponse answers GET /api/history.csv: authorise, validate, read 12 months, render. */
export async function historyCsvResponse(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const parsed = historyQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!parsed.success) {
    const fields = zodFields(parsed.error);
    return apiError(400, 'bad_request', `invalid parameters — ${Object.entries(fields).map(([k, v]) => `${k}: ${v.join('; ')}`).join('; ')}`, fields);
  }
  const store = openStore();
  if (store.state !== 'ok') return storeError(store) as Response;
  const now = nowSeconds();
  const q = parsed.data;
  const since = historySince(now);
  const rows = getLinkHistory(store.db, q.by, since, nextLocalMidnight(now), { networkId: q.net });
  const name = `appnet-history-${q.by}-${periodLabel(since, q.by)}_${localDate(now)}.csv`;
  return new Response(historyCsv(rows, q.by), {
    headers: { 'content-type': 'text/csv; charset=utf-8; header=present', 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' },
  });
}
