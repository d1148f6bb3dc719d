import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { dbOption } from '../../lib/store-option';
import { requireNetAdmin } from '../privileges';
import { ensureWebUser, prepareStoreDir, shareStore, WEB_USER } from '../webuser';

const APPNET = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'appnet.mjs');
interface StartOptions {
  db: string;
  interval?: string;
  counter?: string;
  /** false with --no-destinations. */
  destinations?: boolean;
  port: string;
}

/** registerStart adds `appnet start`: the collector and the dashboard together, as a system would run them. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the collector and the dashboard (as root; the dashboard drops to the appnet account)')
    .addOption(dbOption())
    .option('--interval <seconds>', 'seconds between polls', '5')
    .option('--counter <mechanism>', 'what counts per app: auto, bpf or nft (see `appnet collect --help`)', 'auto')
    .option('--no-destinations', 'do not count per-app destinations (see `appnet collect --help`)')
    .option('--port <n>', 'dashboard port on 127.0.0.1', '7171')
    .action(async (opts: StartOptions) => {
      requireNetAdmin();
      const cfg = loadConfig({ db: opts.db, interval: opts.interval, counter: opts.counter, destinations: opts.destinations });
      const web = await ensureWebUser();
      // The web account may read the store, never change it or its directory (docs/security.md).
      prepareStoreDir(dirname(cfg.dbPath), web.gid);
      shareStore(cfg.dbPath, web.gid);
      const { startCollector } = await import('../loop');
      const collector = startCollector(cfg);
      const dashboard = spawn(process.execPath, [APPNET, 'serve', '--db', cfg.dbPath, '--port', opts.port, '--user', WEB_USER], { stdio: ['ignore', 'inherit', 'inherit'] });
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        dashboard.kill('SIGTERM');
        collector.stop();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      dashboard.on('exit', (code) => {
        if (!stopping) {
          process.stderr.write(`appnet: the dashboard exited (${code}); stopping the collector too\n`);
          process.exitCode = 1;
        }
        stop();
      });
      await collector.stopped;
    });
}
