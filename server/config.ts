/**
 * `appnet serve` configuration: read once from options and the environment, then frozen.
 * The only place the web server reads process.env.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isLoopbackBind } from '../lib/security/bind';
import { normalizeAllowedName } from '../lib/security/host';
import { DEFAULT_DB } from '../lib/store-path';

export const DEFAULT_PORT = 7171;
export const DEFAULT_HOST = '127.0.0.1';
/** The flag that must accompany a non-loopback --host. */
export const EXPOSE_FLAG = '--expose-to-network';

export interface ServeConfig {
  readonly dbPath: string;
  readonly port: number;
  readonly host: string;
  readonly allowHosts: readonly string[];
  readonly exposed: boolean;
  readonly secretDir: string;
  /** APPNET_TOKEN, when set: used instead of the secret file. */
  readonly envToken?: string;
  /** Account to run as when started as root (default: appnet, else nobody). */
  readonly user?: string;
  /** The descriptor the root launcher passes the secret on (server/launch.ts), when it did. */
  readonly secretFd?: number;
}

export interface ServeOptions {
  db?: string;
  port?: string | number;
  host?: string;
  allowHost?: string[];
  exposeToNetwork?: boolean;
  secretDir?: string;
  user?: string;
}

/** defaultSecretDir: /etc/appnet for root (a directory the web account cannot write), else the user's state dir. */
export function defaultSecretDir(env: NodeJS.ProcessEnv, uid: number): string {
  if (uid === 0) return '/etc/appnet';
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'appnet');
}

function parsePort(v: string | number | undefined): number {
  if (v === undefined) return DEFAULT_PORT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--port must be a whole number from 1 to 65535, got '${String(v)}'`);
  return n;
}

/** loadServeConfig validates the options; a non-loopback --host without the expose flag is an error. */
export function loadServeConfig(opts: ServeOptions, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): ServeConfig {
  const host = (opts.host ?? DEFAULT_HOST).trim();
  const exposed = !isLoopbackBind(host);
  if (exposed && !opts.exposeToNetwork) {
    throw new Error(`refusing to listen on ${host}: that address is reachable from other machines. Use the default 127.0.0.1, or add ${EXPOSE_FLAG} if you really want to expose the dashboard`);
  }
  return Object.freeze({
    dbPath: opts.db ?? DEFAULT_DB,
    port: parsePort(opts.port),
    host,
    allowHosts: Object.freeze((opts.allowHost ?? []).map(normalizeAllowedName)),
    exposed,
    secretDir: opts.secretDir ?? env.APPNET_SECRET_DIR ?? defaultSecretDir(env, uid),
    envToken: env.APPNET_TOKEN || undefined,
    user: opts.user,
    secretFd: env.APPNET_SECRET_FD && /^\d{1,4}$/.test(env.APPNET_SECRET_FD) ? Number(env.APPNET_SECRET_FD) : undefined,
  });
}
