import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { hasNetAdmin, loadConfig, type CollectorOptions } from '../config';
import { startCollector } from '../loop';

/** requireNetAdmin stops with one clear line when the process may not change netfilter. */
export function requireNetAdmin(): void {
  let ok = false;
  try {
    ok = hasNetAdmin(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    ok = process.getuid?.() === 0;
  }
  if (!ok) {
    process.stderr.write('appnet: the collector needs root or CAP_NET_ADMIN (it reads and writes nftables): run it with sudo\n');
    process.exit(1);
  }
}

/** registerCollect adds `appnet collect`. */
export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('count traffic per application in the kernel and store it (runs in the foreground)')
    .option('--db <path>', 'SQLite store (default /var/lib/appnet/appnet.db or $APPNET_DB)')
    .option('--interval <seconds>', 'seconds between polls', '5')
    .option('--element-timeout <seconds>', 'idle seconds before the kernel drops a per-app counter', '600')
    .option('--once', 'poll once and exit')
    .action(async (opts: CollectorOptions) => {
      requireNetAdmin();
      const cfg = loadConfig(opts);
      const c = startCollector(cfg);
      process.stderr.write(`appnet: collecting every ${cfg.intervalSec} s into ${cfg.dbPath}\n`);
      await c.stopped;
    });
}
