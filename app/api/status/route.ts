import { connection } from 'next/server';
import { apiError, apiJson } from '../../_data/api';
import { requireApiAuth } from '../../_data/auth';
import { openStore } from '../../_data/db';
import { collectorState } from '../../_data/overview';
import { nowSeconds } from '../../../lib/time';

/** GET /api/status: whether the dashboard can read the store and when the collector last polled. */
export async function GET(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const store = openStore();
  const now = nowSeconds();
  try {
    return apiJson(store.state === 'ok' ? { db: 'ok', collector: collectorState(store.db, now) } : { db: store.state, collector: null });
  } catch (err) {
    return apiError(500, 'internal', `Reading the collector's status failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
