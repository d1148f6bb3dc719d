/** The dashboard's /metrics text: the same snapshot and format as the collector's listener. */
import { getMetricsSnapshot } from '../../db/queries/metrics';
import { DEFAULT_LIMITS, renderMetrics } from '../../lib/metrics';
import type { Db } from '../../db/open';

/** metricsText renders the store's metrics in the Prometheus text format. */
export async function metricsText(db: Db, nowSec = Math.floor(Date.now() / 1000)): Promise<string> {
  return renderMetrics(getMetricsSnapshot(db, DEFAULT_LIMITS, nowSec));
}
