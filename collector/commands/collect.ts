import type { Command } from 'commander';
import { loadConfig, type CollectorOptions } from '../config';
import { requireNetAdmin } from '../privileges';
import { dbOption } from '../../lib/store-option';
import { addMetricsListenOptions, startMetricsFromOptions, type MetricsListenOptions } from './metrics';

/** registerCollect adds `appnet collect`. */
export function registerCollect(program: Command): void {
  const cmd = program
    .command('collect')
    .description('count traffic per application in the kernel and store it (runs in the foreground)')
    .addOption(dbOption())
    .option('--interval <seconds>', 'seconds between polls', '5')
    .option('--element-timeout <seconds>', 'idle seconds before the kernel drops a per-app counter', '600')
    .option('--counter <mechanism>', 'what counts per app: bpf (the cgroup BPF program), nft (nft set counters) or auto (BPF where it loads and attaches, else nft)', 'auto')
    .option('--no-destinations', 'do not count per-app destinations (remote addresses, ports, host names); the dashboard setting can also turn them off')
    .option('--destinations-keep-days <days>', 'days of destination history kept', '90')
    .option('--once', 'poll once and exit');
  addMetricsListenOptions(cmd).action(async (opts: CollectorOptions & MetricsListenOptions) => {
    requireNetAdmin();
    const cfg = loadConfig(opts);
    // The listener first: a refused --metrics-listen stops before anything is counted.
    const metrics = await startMetricsFromOptions(opts, cfg.dbPath);
    const { startCollector } = await import('../loop');
    const c = startCollector(cfg);
    process.stderr.write(`appnet: collecting every ${cfg.intervalSec} s into ${cfg.dbPath}\n`);
    await c.stopped;
    await metrics?.close();
  });
}
