import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TOKEN_CHARS } from '../../lib/security/bearer';
import { dbOption } from '../../lib/store-option';
import type { Db } from '../../db/open';
import { DEFAULT_LIMITS, DEFAULT_METRICS_PORT, type LabelLimits } from '../../lib/metrics-limits';
import type { MetricsServer } from '../metrics';
import { nowSeconds } from '../../lib/time';

/** Options `appnet collect` and `appnet metrics` share for the listener. */
export interface MetricsListenOptions {
  metricsListen?: string;
  metricsTokenFile?: string;
  metricsExposeToNetwork?: boolean;
  metricsMaxApps?: string;
}

/** readToken reads a scrape token file: one line, 16 to 512 characters a bearer header can carry (RFC 6750 b64token). */
export function readToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new Error(`cannot read the metrics token file ${path}: ${(err as Error).message}`);
  }
  if (text.length < 16 || text.length > 512 || !TOKEN_CHARS.test(text)) {
    throw new Error(`${path} must hold one token of 16 to 512 characters from A-Z a-z 0-9 - . _ ~ + / = (what base64 prints)`);
  }
  return text;
}

function limitsFrom(opts: MetricsListenOptions): Partial<LabelLimits> {
  if (opts.metricsMaxApps === undefined) return {};
  const n = Number(opts.metricsMaxApps);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Error(`--metrics-max-apps must be a whole number from 0 to 1000, got '${opts.metricsMaxApps}'`);
  return { maxApps: n };
}

/** addMetricsListenOptions adds --metrics-listen and its companions to a command (used by `appnet collect`). */
export function addMetricsListenOptions(cmd: Command): Command {
  return cmd
    .option('--metrics-listen <addr>', `serve Prometheus metrics on HOST:PORT (loopback only unless --metrics-expose-to-network; e.g. 127.0.0.1:${DEFAULT_METRICS_PORT})`)
    .option('--metrics-token-file <path>', 'require this bearer token (a file holding one line) from the scraper')
    .option('--metrics-expose-to-network', 'allow a --metrics-listen address other machines can reach')
    .option('--metrics-max-apps <n>', `apps with their own label value (default ${DEFAULT_LIMITS.maxApps}; the rest count as app="(other)")`);
}

/** startMetricsFromOptions starts the listener when --metrics-listen was given; null otherwise. */
export async function startMetricsFromOptions(opts: MetricsListenOptions, db: Db | string): Promise<MetricsServer | null> {
  if (!opts.metricsListen) return null;
  const { startMetricsServer } = await import('../metrics');
  const server = await startMetricsServer({
    db,
    listen: opts.metricsListen,
    token: opts.metricsTokenFile ? readToken(opts.metricsTokenFile) : undefined,
    exposeToNetwork: Boolean(opts.metricsExposeToNetwork),
    limits: limitsFrom(opts),
  });
  const h = server.address.host.includes(':') ? `[${server.address.host}]` : server.address.host;
  process.stderr.write(`appnet: metrics at http://${h}:${server.address.port}/metrics${opts.metricsTokenFile ? ' (bearer token required)' : ''}\n`);
  return server;
}

/**
 * registerMetrics adds `appnet metrics`: print the metrics of a store once, or serve them
 * (--listen) next to a collector that runs as its own service.
 */
export function registerMetrics(program: Command): void {
  const cmd = program
    .command('metrics')
    .description('print Prometheus metrics from the store, or serve them with --listen')
    .addOption(dbOption())
    .option('--listen <addr>', 'serve on HOST:PORT instead of printing once');
  cmd
    .option('--token-file <path>', 'require this bearer token from the scraper')
    .option('--expose-to-network', 'allow a --listen address other machines can reach')
    .option('--max-apps <n>', `apps with their own label value (default ${DEFAULT_LIMITS.maxApps})`)
    .action(async (o: { db: string; listen?: string; tokenFile?: string; exposeToNetwork?: boolean; maxApps?: string }) => {
      const dbPath = o.db;
      const opts: MetricsListenOptions = { metricsListen: o.listen, metricsTokenFile: o.tokenFile, metricsExposeToNetwork: o.exposeToNetwork, metricsMaxApps: o.maxApps };
      if (!o.listen) {
        const [{ openDb }, { getMetricsSnapshot }, { renderMetrics }] = await Promise.all([import('../../db/open'), import('../../db/queries/metrics'), import('../../lib/metrics')]);
        const db = openDb(dbPath, { readonly: true });
        try {
          process.stdout.write(await renderMetrics(getMetricsSnapshot(db, { ...DEFAULT_LIMITS, ...limitsFrom(opts) }, nowSeconds())));
        } finally {
          db.close();
        }
        return;
      }
      const server = await startMetricsFromOptions(opts, dbPath);
      const stop = (): void => {
        void server?.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
