/**
 * startServer: the dashboard's HTTP server. Order matters: secret first (it may be readable
 * only by root), then drop root, then load Next.js, then listen; nothing is served before
 * the gate is registered.
 */
import { createServer, type Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostForUrl } from '../lib/security/bind';
import { registerReportRunner } from '../lib/report-runner';
import { registerAuthGate } from '../lib/security/gate';
import { allowedHosts } from '../lib/security/host';
import { DB_ENV } from '../lib/store-path';
import type { ServeConfig } from './config';
import { createGatekeeper, type NextHandler } from './gatekeeper';
import { assertNoNetAdmin, dropPrivileges } from './privileges';
import { readSecretFd, SECRET_FD_ENV } from './launch';
import { createReportPool } from './report-pool';
import { loadOrCreateSecret } from './secret';
import { SessionAuthority } from './sessions';
import { deriveKeys, mintLoginCode } from './tokens';
import { nowSeconds } from '../lib/time';

const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Running {
  server: Server;
  loginUrl: string;
  close(): Promise<void>;
}

async function loadNext(cfg: ServeConfig, dir: string): Promise<NextHandler> {
  const { default: next } = await import('next');
  const app = next({ dev: false, dir, hostname: cfg.host, port: cfg.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  return (req, res) => handle(req, res);
}

/** loginUrl builds the one-time login URL for a listening server. */
export function loginUrl(cfg: Pick<ServeConfig, 'host' | 'port'>, code: string): string {
  return `http://${hostForUrl(cfg.host)}:${cfg.port}/login?t=${code}`;
}

/** startServer runs the dashboard until closed; it logs the login URL as `appnet: dashboard at <url>`. */
export async function startServer(cfg: ServeConfig, opts: { appDir?: string; log?: (line: string) => void } = {}): Promise<Running> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const secret = cfg.secretFd !== undefined ? { secret: readSecretFd(cfg.secretFd), created: false, path: undefined } : loadOrCreateSecret({ dir: cfg.secretDir, envToken: cfg.envToken });
  delete process.env.APPNET_TOKEN; // Next.js code and any child process must not see it
  delete process.env[SECRET_FD_ENV];
  if (secret.created) log(`appnet: created the dashboard secret ${secret.path} (mode 600)`);
  const keys = deriveKeys(secret.secret);
  process.umask(0o027);
  const dropped = dropPrivileges({ user: cfg.user });
  if (dropped) log(`appnet: dashboard running as ${dropped.user} (uid ${dropped.uid}, gid ${dropped.gid})`);
  assertNoNetAdmin();
  process.env[DB_ENV] = cfg.dbPath; // the one hand-over to the pages (app/_data/config.ts)
  if (cfg.exposed) {
    process.stderr.write(`appnet: WARNING: the dashboard listens on ${cfg.host}, reachable from other machines over plain HTTP; anyone who learns the token can change your firewall\n`);
  }
  const auth = new SessionAuthority(keys, allowedHosts({ port: cfg.port, extraNames: cfg.allowHosts }), cfg.port);
  registerAuthGate(auth);
  registerReportRunner(createReportPool());
  const handler = await loadNext(cfg, opts.appDir ?? APP_DIR);
  const server = createServer(createGatekeeper(auth, handler));
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', (err) => fail(new Error(`cannot listen on ${cfg.host}:${cfg.port}: ${err.message}`)));
    server.listen(cfg.port, cfg.host, () => ok());
  });
  const url = loginUrl(cfg, mintLoginCode(keys, nowSeconds()));
  log(`appnet: dashboard at ${url}`);
  return { server, loginUrl: url, close: () => new Promise((ok) => server.close(() => ok())) };
}
