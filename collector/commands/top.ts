import type { Command } from 'commander';
import { openDb } from '../../db/open';
import { getTopApps, type UsageFilter } from '../../db/queries/usage';
import { findApps, getAppDestinations } from '../../db/queries/destinations';
import { protocolName } from '../../lib/destinations';
import { FOLD6, type Fold6 } from '../../lib/dest-fold';
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
  app?: string;
  by: string;
  fold6: string;
}

/** printDestinations is `appnet top --app NAME --by remote`: one app's destinations, biggest first, and its other destinations. */
function printDestinations(opts: TopOptions, f: UsageFilter, now: number, limit: number): void {
  const db = openDb(opts.db, { readonly: true });
  try {
    const apps = findApps(db, opts.app!);
    if (apps.length === 0) throw new Error(`no app is called '${opts.app}' (appnet top lists them; use the name or the KEY column)`);
    if (apps.length > 1) throw new Error(`'${opts.app}' names ${apps.length} apps: use one of their keys (${apps.map((a) => a.appKey).join(', ')})`);
    const g = getAppDestinations(db, apps[0].id, f, now, limit, opts.fold6 as Fold6);
    if (opts.json) {
      process.stdout.write(JSON.stringify({ app: apps[0].appKey, since: g.since, until: g.until, destinations: g.rows.map((r) => ({ ...r, protocol: protocolName(r.proto) })), other: g.other, total: g.total }, null, 2) + '\n');
      return;
    }
    const total = g.total.rxBytes + g.total.txBytes || 1;
    const rows = [
      ...g.rows.map((r) => ({ host: r.host ?? r.remote, addr: `${r.host ? r.remote : ''}${r.addresses > 1 ? `${r.host ? ' ' : ''}(${r.addresses} addresses)` : ''}`, port: `${protocolName(r.proto)}${r.port ? ` ${r.port}` : ''}${r.inbound ? ' (in)' : ''}`, rx: r.rxBytes, tx: r.txBytes })),
      { host: '(other destinations)', addr: '', port: '', rx: g.other.rxBytes, tx: g.other.txBytes },
    ];
    const w = Math.max(4, ...rows.map((r) => r.host.length));
    process.stdout.write(`${'HOST'.padEnd(w)}  ${'PORT'.padEnd(11)}  ${'DOWN'.padStart(10)}  ${'UP'.padStart(10)}  ${'SHARE'.padStart(6)}  ADDRESS\n`);
    for (const r of rows) {
      const share = `${((100 * (r.rx + r.tx)) / total).toFixed(1)}%`;
      process.stdout.write(`${r.host.padEnd(w)}  ${r.port.padEnd(11)}  ${formatBytes(r.rx).padStart(10)}  ${formatBytes(r.tx).padStart(10)}  ${share.padStart(6)}  ${r.addr}\n`);
    }
  } finally {
    db.close();
  }
}

/** registerTop adds `appnet top`: the apps that used the most traffic in a period, or (--app NAME --by remote) one app's destinations. */
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
    .option('--app <name>', 'one app (its name or key): with --by remote, its destinations')
    .option('--by <what>', 'app (the apps) or remote (the destinations of --app)', 'app')
    .option('--fold6 <auto|off>', 'with --by remote: fold IPv6 privacy addresses of one /64 into one row (auto) or list every address (off)', 'auto')
    .action((opts: TopOptions) => {
      const span = parseDuration(opts.since);
      if (span === null) throw new Error(`--since takes a duration like 90s, 15m, 24h, 7d or 2w, not '${opts.since}'`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new Error(`--limit must be a whole number from 1 to 10000, not '${opts.limit}'`);
      if (opts.iface !== undefined && opts.metered) throw new Error('use either --iface or --metered, not both');
      if (opts.by !== 'app' && opts.by !== 'remote') throw new Error(`--by must be app or remote, not '${opts.by}'`);
      if (!(FOLD6 as readonly string[]).includes(opts.fold6)) throw new Error(`--fold6 must be auto or off, not '${opts.fold6}'`);
      if (opts.fold6 !== 'auto' && opts.by !== 'remote') throw new Error('--fold6 goes with --by remote: it folds IPv6 destinations');
      if ((opts.by === 'remote') !== (opts.app !== undefined)) throw new Error('--by remote and --app NAME go together: the destinations of one app');
      if (opts.by === 'remote') {
        const now = nowSeconds();
        printDestinations(opts, { since: now - span, until: now + 1, ifaces: opts.iface ? [opts.iface] : undefined, metered: opts.metered ? true : undefined }, now, limit);
        return;
      }
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
