/**
 * Started as root, `appnet serve` does not serve itself: it reads the secret (which may be
 * readable only by root), then starts the real server through util-linux's setpriv as the
 * web account with an empty capability bounding set, no inheritable or ambient
 * capabilities and no_new_privs, as the systemd unit does (CapabilityBoundingSet=,
 * NoNewPrivileges=yes). Node cannot call prctl, and after an in-process setuid the bounding
 * set can no longer be dropped, so this takes an exec. The secret goes over a pipe (fd 3),
 * never through the environment or argv. The root process then only waits: it forwards
 * SIGTERM/SIGINT and exits with the server's status; it reads nothing from the server.
 */
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { chooseWebUser, parsePasswd, type PasswdEntry } from '../lib/security/passwd';
import type { ServeConfig } from './config';
import { loadOrCreateSecret, validateToken } from './secret';

/** SECRET_FD_ENV names the descriptor the unprivileged server reads its secret from. */
export const SECRET_FD_ENV = 'APPNET_SECRET_FD';
const SECRET_FD = 3;

/** setprivArgs is the setpriv command line that runs argv as `user` with no way back to privileges. */
export function setprivArgs(user: PasswdEntry, argv: readonly string[]): string[] {
  return [
    `--reuid=${user.uid}`, `--regid=${user.gid}`, `--groups=${user.gid}`,
    '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--no-new-privs',
    '--', ...argv,
  ];
}

/**
 * launchUnprivileged runs the dashboard as the web account under setpriv and resolves with
 * its exit status. Only for a root process; the caller exits with the status.
 */
export function launchUnprivileged(cfg: ServeConfig, opts: { log: (line: string) => void; passwdFile?: string }): Promise<number> {
  const secret = loadOrCreateSecret({ dir: cfg.secretDir, envToken: cfg.envToken });
  if (secret.created) opts.log(`appnet: created the dashboard secret ${secret.path} (mode 600)`);
  const user = chooseWebUser(parsePasswd(readFileSync(opts.passwdFile ?? '/etc/passwd', 'utf8')), cfg.user);
  const env: NodeJS.ProcessEnv = { ...process.env, [SECRET_FD_ENV]: String(SECRET_FD), HOME: user.home || '/', USER: user.name, LOGNAME: user.name };
  delete env.APPNET_TOKEN;
  const child = spawn('setpriv', setprivArgs(user, [process.execPath, ...process.execArgv, ...process.argv.slice(1)]), {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env,
  });
  const pipe = child.stdio[3] as NodeJS.WritableStream;
  pipe.on('error', () => undefined); // the server may exit before reading; its status says why
  pipe.end(`${secret.secret}\n`);
  opts.log(`appnet: dashboard running as ${user.name} (uid ${user.uid}, gid ${user.gid}) with no capabilities and no_new_privs`);
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGINT', forward('SIGINT'));
  return new Promise((ok, fail) => {
    child.once('error', (err) => fail(new Error(`cannot start the dashboard as ${user.name} with setpriv (util-linux): ${err.message}`)));
    child.once('exit', (code, signal) => ok(code ?? (signal ? 128 : 1)));
  });
}

/** readSecretFd reads the secret the root launcher wrote to fd `fd`, then closes it. */
export function readSecretFd(fd: number): string {
  try {
    return validateToken(readFileSync(fd, 'utf8').trim());
  } finally {
    closeSync(fd);
  }
}
