import { connection } from 'next/server';
import { apiError, apiJson, storeError } from '../../_data/api';
import { getApp } from '../../_data/app-detail';
import { requireApiAuth } from '../../_data/auth';
import { readStore } from '../../_data/db';
import { getLiveView } from '../../_data/live';

/** GET /api/live?app=ID: the app's current connections and open ports, as the collector last listed them (it lists while somebody asks). */
export async function GET(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const store = await readStore();
  if (store.state !== 'ok') return storeError(store) as Response;
  const raw = new URL(req.url).searchParams.get('app') ?? '';
  if (!/^\d{1,12}$/.test(raw) || Number(raw) === 0) return apiError(400, 'bad_request', `'${raw.slice(0, 20)}' is not an app id.`, { app: ['must be an app id (a whole number)'] });
  const id = Number(raw);
  if (!getApp(store.db, id)) return apiError(404, 'not_found', `There is no app ${id}.`);
  try {
    return apiJson(await getLiveView(store.db, id));
  } catch (err) {
    return apiError(500, 'internal', `Reading the live connections failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
