import { requireApiAuth } from '../_data/auth';
import { readStore } from '../_data/db';
import { metricsText } from '../_data/metrics';
import { METRICS_CONTENT_TYPE } from '../../lib/metrics';

/**
 * GET /metrics: the collector's store in the Prometheus text format, the same text as
 * `appnet collect --metrics-listen`. Scrapers authenticate with the dashboard's token as
 * `Authorization: Bearer <token>` (Prometheus: authorization.credentials_file).
 */
export async function GET(req: Request): Promise<Response> {
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const store = await readStore();
  if (store.state !== 'ok') {
    const why = store.state === 'missing' ? store.reason : `the store at ${store.path} has no schema yet`;
    return new Response(`appnet cannot read its store: ${why}\n`, { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } });
  }
  return new Response(await metricsText(store.db), { headers: { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' } });
}
