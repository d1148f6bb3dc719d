/** The dashboard's /metrics text: the same snapshot and format as the collector's listener. */
import { getMetricsSnapshot } from '../../db/queries/metrics';
import { DEFAULT_LIMITS, renderMetrics } from '../../lib/metrics';
import type { Db } from '../../db/open';
import { nowSeconds } from '../../lib/time';

/** metricsText renders the store's metrics in the Prometheus text format. */
export async function metricsText(db: Db, nowSec = nowSeconds()): Promise<string> {
  return renderMetrics(getMetricsSnapshot(db, DEFAULT_LIMITS, nowSec));
}
