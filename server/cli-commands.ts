import type { Command } from 'commander';
import { dbOption } from '../lib/store-option';
import { EXPOSE_FLAG, type ServeOptions, loadServeConfig } from './config';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function addServeOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'TCP port', '7171')
    .option('--host <address>', 'address to listen on (loopback only unless the expose flag is given)', '127.0.0.1')
    .option('--secret-dir <dir>', 'directory of the per-install secret (default /etc/appnet as root, ~/.local/state/appnet otherwise, or $APPNET_SECRET_DIR)');
}

/**
 * registerServe adds `appnet serve` (the dashboard's web server: loopback, token login,
 * drops root) and `appnet login-url` (prints a fresh one-time login link).
 */
export function registerServe(program: Command): void {
  addServeOptions(
    program
      .command('serve')
      .description('run the web dashboard (needs a `next build`); prints a one-time login URL')
      .addOption(dbOption()),
  )
    .option('--allow-host <name>', 'also accept this Host name (repeatable), e.g. a name in /etc/hosts', collect, [])
    .option(EXPOSE_FLAG, 'allow a --host that other machines can reach (prints a warning)')
    .option('--user <name>', 'account to run as when started as root (default: appnet if it exists, else nobody)')
    .action(async (opts: ServeOptions) => {
      const cfg = loadServeConfig(opts);
      if (process.getuid?.() === 0 && cfg.secretFd === undefined) {
        // Root only reads the secret and starts the server as the web account (server/launch.ts).
        const { launchUnprivileged } = await import('./launch');
        process.exit(await launchUnprivileged(cfg, { log: (line) => process.stdout.write(`${line}\n`) }));
      }
      const { startServer } = await import('./start');
      const running = await startServer(cfg);
      const stop = (): void => {
        void running.close().then(() => process.exit(0));
        setTimeout(() => process.exit(0), 3000).unref();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  addServeOptions(program.command('login-url').description('print a fresh one-time login URL for a running dashboard')).action(
    async (opts: ServeOptions) => {
      const cfg = loadServeConfig({ ...opts, exposeToNetwork: true });
      const { printLoginUrl } = await import('./login-url');
      printLoginUrl(cfg);
    },
  );
}
