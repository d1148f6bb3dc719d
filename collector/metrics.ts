/**
 * The headless /metrics listener (`appnet collect --metrics-listen ADDR`, `appnet metrics
 * --listen ADDR`) for servers without the dashboard. It reads the same store the
 * dashboard reads and serves the same text (lib/metrics.ts). Loopback only unless the
 * caller passes exposeToNetwork; an optional bearer token guards it like the dashboard's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { openDb, type Db } from '../db/open';
import { getMetricsSnapshot } from '../db/queries/metrics';
import { DEFAULT_LIMITS, METRICS_CONTENT_TYPE, renderMetrics, type LabelLimits } from '../lib/metrics';
import { bearerMatches } from '../lib/security/bearer';
import { isLoopbackBind } from '../lib/security/bind';
import { DEFAULT_METRICS_PORT } from '../lib/metrics-limits';
import { nowSeconds } from '../lib/time';

export { DEFAULT_METRICS_PORT };

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * parseListen reads '127.0.0.1:9477', '[::1]:9477', 'localhost:9477', ':9477' or '9477'
 * (an empty or missing host means 127.0.0.1, never all interfaces; port 0 picks a free port).
 */
export function parseListen(addr: string): ListenAddress {
  const s = addr.trim();
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(s) ?? /^()()(\d{1,5})$/.exec(s);
  const bare = m ? null : /^\[?([0-9A-Fa-f:.]+|localhost)\]?$/.exec(s);
  const host = m ? (m[1] || m[2] || '127.0.0.1') : bare ? bare[1] : null;
  const port = m ? Number(m[3]) : DEFAULT_METRICS_PORT;
  if (host === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--metrics-listen '${addr}' is not an address: use HOST:PORT, [IPv6]:PORT or PORT (e.g. 127.0.0.1:${DEFAULT_METRICS_PORT})`);
  }
  return { host, port };
}

export interface MetricsServerOptions {
  /** An open store (the collector's own connection) or the path of one to open read-only. */
  db: Db | string;
  /** HOST:PORT; see parseListen. */
  listen: string;
  /** Bearer token the scraper must send; none = no authentication (loopback only is then advisable). */
  token?: string;
  /** Allow a non-loopback address (the caller got an explicit flag from the user). */
  exposeToNetwork?: boolean;
  limits?: Partial<LabelLimits>;
}

export interface MetricsServer {
  /** The address actually bound (port 0 picks a free one). */
  address: ListenAddress;
  close(): Promise<void>;
}

const authorised = (req: IncomingMessage, token: string | undefined): boolean => !token || bearerMatches(req.headers.authorization, token);

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

/**
 * startMetricsServer serves GET /metrics until closed. Every scrape reads one consistent
 * snapshot of the store; a store that cannot be read answers 503 with the reason.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const addr = parseListen(opts.listen);
  if (!isLoopbackBind(addr.host) && !opts.exposeToNetwork) {
    throw new Error(`refusing to serve metrics on ${addr.host}: it is reachable from other machines. Use 127.0.0.1, or pass --metrics-expose-to-network (and set a token) if Prometheus scrapes from elsewhere`);
  }
  const limits: LabelLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const ownDb = typeof opts.db === 'string' ? opts.db : null;
  let db: Db | null = typeof opts.db === 'string' ? null : opts.db;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return send(res, 404, 'Not Found: appnet serves /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    if (!authorised(req, opts.token)) return send(res, 401, 'Unauthorized\n', { 'WWW-Authenticate': 'Bearer realm="appnet"' });
    try {
      db ??= openDb(ownDb!, { readonly: true });
      const text = await renderMetrics(getMetricsSnapshot(db, limits, nowSeconds()));
      send(res, 200, req.method === 'HEAD' ? '' : text, { 'Content-Type': METRICS_CONTENT_TYPE });
    } catch (err) {
      if (ownDb) {
        db?.close();
        db = null;
      }
      send(res, 503, `appnet cannot read its store: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', (err) => fail(new Error(`cannot listen for metrics on ${opts.listen}: ${err.message}`)));
    server.listen(addr.port, addr.host, () => ok());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : addr.port;
  return {
    address: { host: addr.host, port },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => {
          if (ownDb) db?.close();
          ok();
        });
        server.closeAllConnections();
      }),
  };
}
