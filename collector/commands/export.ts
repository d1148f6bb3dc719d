import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PERIODS } from '../../lib/period';
import { nowSeconds, parseDuration } from '../../lib/time';
import { dbOption } from '../../lib/store-option';
import { jsonForTerminal } from '../../lib/terminal';

interface ExportOptions {
  db: string;
  since?: string;
  until?: string;
  period?: string;
  iface?: string;
  network?: string;
  metered?: string;
  by: string;
  fold6?: string;
  format: string;
  output?: string;
}

/** relative turns a duration such as '7d' into unix seconds before now; other values pass through. */
function relative(v: string | undefined, now: number): string | undefined {
  if (v === undefined) return undefined;
  const span = parseDuration(v);
  return span === null ? v : String(now - span);
}

/** BY_HELP lists lib/report.ts BY for the help without loading the report's schema (zod) before the command runs. */
export const BY_HELP = 'app | app,iface | app,day | app,remote';

/**
 * registerExport adds `appnet export`: the same usage report as GET /api/export.csv (and, with
 * --format json, GET /api/usage), written to stdout or a file.
 */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a usage report as CSV (RFC 4180) or JSON, the same as the dashboard\'s export')
    .addOption(dbOption())
    .option('--since <time>', 'start: ISO-8601 (2026-11-01T00:00:00+01:00), unix seconds, or a duration back from now (24h, 7d)')
    .option('--until <time>', 'end (exclusive), same forms as --since; default now')
    .option('--period <name>', `a named period instead of --since/--until: ${PERIODS.filter((p) => p !== 'custom').join(', ')}`)
    .option('--iface <names>', 'only these interfaces, comma-separated')
    .option('--network <id>', 'only this network id')
    .option('--metered <1|0>', 'only metered (1) or unmetered (0) networks')
    .option('--by <grouping>', `rows per ${BY_HELP}`, 'app')
    .option('--fold6 <auto|off>', 'with --by app,remote: fold IPv6 privacy addresses of one /64 into one row (auto, the default) or list every address (off)')
    .option('--format <csv|json>', 'output format', 'csv')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: ExportOptions) => {
      if (opts.format !== 'csv' && opts.format !== 'json') throw new Error(`--format must be csv or json, not '${opts.format}'`);
      const now = nowSeconds();
      const raw = Object.fromEntries(
        Object.entries({
          since: relative(opts.since, now), until: relative(opts.until, now), period: opts.period, iface: opts.iface,
          network: opts.network, metered: opts.metered, by: opts.by, fold6: opts.fold6,
        }).filter(([, v]) => v !== undefined),
      );
      const [{ openDb }, { getReport }, { apiErrorFromZod, reportCsv, reportJson, reportQuerySchema }] = await Promise.all([
        import('../../db/open'), import('../../db/queries/report'), import('../../lib/report'),
      ]);
      const parsed = reportQuerySchema.safeParse(raw);
      if (!parsed.success) {
        const fields = apiErrorFromZod(parsed.error).error.fields ?? {};
        throw new Error(`invalid options: ${Object.entries(fields).map(([k, v]) => `--${k}: ${v.join('; ')}`).join('; ')}`);
      }
      const q = parsed.data;
      const db = openDb(opts.db, { readonly: true });
      let text: string;
      try {
        const r = getReport(db, q, now);
        text = opts.format === 'csv'
          ? reportCsv(r.rows, q.by)
          : `${jsonForTerminal(reportJson(r.rows, { since: r.since, until: r.until, by: q.by, now, iface: q.iface, network: q.network, metered: q.metered }))}\n`;
      } finally {
        db.close();
      }
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}
