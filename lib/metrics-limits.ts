/** The metrics' label budget and scrape port: constants the command line shows in its help without loading prom-client (lib/metrics.ts). */

export interface LabelLimits {
  maxApps: number;
  minBytes: number;
  maxIfaces: number;
  maxNetworks: number;
}

/** DEFAULT_LIMITS: at most 50 apps × 16 interfaces × 16 networks × 2 metered × 2 directions. */
export const DEFAULT_LIMITS: Readonly<LabelLimits> = Object.freeze({ maxApps: 50, minBytes: 1 << 20, maxIfaces: 16, maxNetworks: 16 });

/** DEFAULT_METRICS_PORT is appnet's scrape port when an address names no port. */
export const DEFAULT_METRICS_PORT = 9477;
