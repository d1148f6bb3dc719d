import { connection } from 'next/server';
import { apiError, apiJson } from '../../_data/api';
import { requireApiAuth } from '../../_data/auth';
import { getConfig } from '../../_data/config';
import { openStore } from '../../_data/db';
import { collectorState } from '../../_data/overview';
import { nowSeconds } from '../../../lib/time';

/** GET /api/status: whether the dashboard can read the store, when the collector last polled, and whether it is `appnet demo`'s. */
export async function GET(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const store = openStore();
  const now = nowSeconds();
  try {
    const demo = getConfig().demo;
    return apiJson(store.state === 'ok' ? { db: 'ok', collector: collectorState(store.db, now), demo } : { db: store.state, collector: null, demo });
  } catch (err) {
    return apiError(500, 'internal', `Reading the collector's status failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
