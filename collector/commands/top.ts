import type { Command } from 'commander';
import { openDb } from '../../db/open';
import { getTopApps } from '../../db/queries/usage';
import { formatBytes } from '../../lib/format';
import { nowSeconds, parseDuration } from '../../lib/time';
import { dbOption } from '../../lib/store-option';
import { escapeControls, jsonForTerminal } from '../../lib/terminal';

interface TopOptions {
  db: string;
  since: string;
  iface?: string;
  metered?: boolean;
  json?: boolean;
  limit: string;
}

/** registerTop adds `appnet top`: the apps that used the most traffic in a period. */
export function registerTop(program: Command): void {
  program
    .command('top')
    .description('show which apps used the most traffic')
    .addOption(dbOption())
    .option('--since <duration>', 'period to look back: 90s, 15m, 24h, 7d, 2w', '24h')
    .option('--iface <name>', 'only this interface')
    .option('--metered', 'only metered networks (mobile data)')
    .option('--limit <n>', 'rows to show', '20')
    .option('--json', 'machine-readable output')
    .action((opts: TopOptions) => {
      const span = parseDuration(opts.since);
      if (span === null) throw new Error(`--since takes a duration like 90s, 15m, 24h, 7d or 2w, not '${opts.since}'`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new Error(`--limit must be a whole number from 1 to 10000, not '${opts.limit}'`);
      if (opts.iface !== undefined && opts.metered) throw new Error('use either --iface or --metered, not both');
      const db = openDb(opts.db, { readonly: true });
      const now = nowSeconds();
      const rows = getTopApps(db, { since: now - span, until: now + 1, ifaces: opts.iface ? [opts.iface] : undefined, metered: opts.metered ? true : undefined }, now, limit);
      db.close();
      if (opts.json) {
        process.stdout.write(jsonForTerminal({ since: now - span, until: now, apps: rows }) + '\n');
        return;
      }
      if (rows.length === 0) {
        process.stdout.write('no traffic recorded in this period\n');
        return;
      }
      const total = rows.reduce((n, r) => n + r.rxBytes + r.txBytes, 0) || 1;
      // Names come from cgroup names any user may choose: shown escaped, never interpreted.
      const shown = rows.map((r) => ({ ...r, name: escapeControls(r.name), appKey: escapeControls(r.appKey) }));
      const w = Math.max(4, ...shown.map((r) => r.name.length));
      process.stdout.write(`${'APP'.padEnd(w)}  ${'DOWN'.padStart(10)}  ${'UP'.padStart(10)}  ${'SHARE'.padStart(6)}  KEY\n`);
      for (const r of shown) {
        const share = `${((100 * (r.rxBytes + r.txBytes)) / total).toFixed(1)}%`;
        process.stdout.write(`${r.name.padEnd(w)}  ${formatBytes(r.rxBytes).padStart(10)}  ${formatBytes(r.txBytes).padStart(10)}  ${share.padStart(6)}  ${r.appKey}\n`);
      }
    });
}
