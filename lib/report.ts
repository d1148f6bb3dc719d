/**
 * The usage report shared by GET /api/usage (JSON), GET /api/export.csv and `appnet export`:
 * one parameter schema, one row shape, one CSV layout.
 */
import { z } from 'zod';
import { toCsv, type Cell } from './csv';
import { isoLocal } from './format';
import { PERIODS } from './period';
import { FOLD6 } from './dest-fold';

/** A time given as unix seconds or ISO-8601 (an offset-less time is read as local time). */
const timeParam = z
  .string()
  .trim()
  .min(1)
  .transform((s, ctx) => {
    const n = /^\d{1,12}$/.test(s) ? Number(s) : Date.parse(s) / 1000;
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `not a time: "${s}" (use ISO-8601 like 2026-11-28T14:00:00+01:00 or unix seconds)` });
      return z.NEVER;
    }
    return Math.floor(n);
  });

const IFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** MAX_REPORT_SPAN_SEC: a report covers at most 5 years, whichever bounds were given. */
export const MAX_REPORT_SPAN_SEC = 5 * 366 * 86400;

/**
 * REPORT_LIMITS bound one report answer: rows (a year by app and day for 500 apps fits) and
 * bytes of CSV or JSON. A larger one is refused with a sentence asking for a narrower one.
 */
export const REPORT_LIMITS = Object.freeze({ rows: 200_000, bytes: 32 * 1024 * 1024 });

export const BY = ['app', 'app,iface', 'app,day', 'app,remote'] as const;
export type ReportBy = (typeof BY)[number];

/** reportQuerySchema validates the query string of /api/usage and /api/export.csv (and the CLI's options). */
export const reportQuerySchema = z
  .object({
    since: timeParam.optional(),
    until: timeParam.optional(),
    period: z.enum(PERIODS).optional(),
    iface: z
      .string()
      .trim()
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .refine((l) => l.every((x) => IFACE.test(x)), { message: 'interface names are 1–15 characters of letters, digits, _ . : @ -' })
      .optional(),
    network: z.coerce.number().int().positive().optional(),
    metered: z
      .enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'metered must be 1 or 0 (or true/false)' })
      .transform((s) => s === '1' || s === 'true' || s === 'yes')
      .optional(),
    by: z.enum(BY, { message: `by must be one of ${BY.join(' | ')}` }).default('app'),
    /** by=app,remote: fold IPv6 privacy addresses to their /64 (auto, the default) or list every address (off); lib/dest-fold.ts. */
    fold6: z.enum(FOLD6, { message: `fold6 must be one of ${FOLD6.join(' | ')}` }).optional(),
  })
  .strict()
  .refine((q) => q.fold6 === undefined || q.by === 'app,remote', {
    message: 'fold6 applies to by=app,remote only (it folds IPv6 destinations)',
    path: ['fold6'],
  })
  .refine((q) => q.since === undefined || q.until === undefined || q.since < q.until, {
    message: 'since must be before until',
    path: ['since'],
  })
  .refine((q) => q.since === undefined || q.until === undefined || q.until - q.since <= MAX_REPORT_SPAN_SEC, {
    message: 'a period can be at most 5 years long',
    path: ['until'],
  });

export type ReportQuery = z.infer<typeof reportQuerySchema>;

/** apiErrorFromZod: report parameters are refused in the API's one error shape (lib/api-error.ts). */
export { apiErrorFromZod } from './api-error';

/**
 * One row of a usage report; iface/network only for by=app,iface; remote/host/protocol/port only
 * for by=app,remote (all null on an app's "other destinations" row); since/until are the row's
 * own period (by=app,remote: widened to whole hours, as destinations are kept).
 */
export interface ReportRow {
  since: number;
  until: number;
  appKey: string;
  appName: string;
  kind: string;
  iface?: string;
  network?: string;
  /** The remote address. */
  remote?: string | null;
  /** The host name a DNS answer gave the address, or null. */
  host?: string | null;
  /** tcp, udp, icmp, icmpv6 or the IP protocol number. */
  protocol?: string | null;
  /** The remote port, or the app's own for connections made to it (inbound); 0 without ports. */
  port?: number | null;
  inbound?: boolean | null;
  /** How many addresses `remote` stands for: 1, or more for a /64 of folded privacy addresses (lib/dest-fold.ts). */
  addresses?: number | null;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** The JSON answer of /api/usage. */
export interface ReportJson {
  since: string;
  until: string;
  by: ReportBy;
  generatedAt: string;
  filter: { iface: string[] | null; network: number | null; metered: boolean | null };
  totals: { rxBytes: number; txBytes: number; totalBytes: number };
  rows: Array<Omit<ReportRow, 'since' | 'until'> & { since: string; until: string; totalBytes: number }>;
}

/** reportJson shapes report rows for /api/usage: ISO-8601 times with offset, integer bytes. */
export function reportJson(
  rows: ReportRow[],
  meta: { since: number; until: number; by: ReportBy; now: number; iface?: string[]; network?: number; metered?: boolean },
): ReportJson {
  const rx = rows.reduce((a, r) => a + r.rxBytes, 0);
  const tx = rows.reduce((a, r) => a + r.txBytes, 0);
  return {
    since: isoLocal(meta.since),
    until: isoLocal(meta.until),
    by: meta.by,
    generatedAt: isoLocal(meta.now),
    filter: { iface: meta.iface ?? null, network: meta.network ?? null, metered: meta.metered ?? null },
    totals: { rxBytes: rx, txBytes: tx, totalBytes: rx + tx },
    rows: rows.map((r) => ({ ...r, since: isoLocal(r.since), until: isoLocal(r.until), totalBytes: r.rxBytes + r.txBytes })),
  };
}

/** reportHeader is the CSV header for a grouping. */
export function reportHeader(by: ReportBy): string[] {
  const extra = by === 'app,iface' ? ['iface', 'network'] : by === 'app,remote' ? ['remote', 'host', 'protocol', 'port'] : [];
  return ['since', 'until', 'app', 'app_name', 'kind', ...extra, 'rx_bytes', 'tx_bytes', 'total_bytes', 'rx_packets', 'tx_packets'];
}

/** reportCsv renders report rows as RFC 4180 CSV with a header row. */
export function reportCsv(rows: ReportRow[], by: ReportBy): string {
  return toCsv(reportHeader(by), rows.map((r) => csvRow(r, by)));
}

/**
 * reportCsvChunks yields the same text as reportCsv in pieces of `chunkRows` rows (the header
 * with the first), so a large report is streamed rather than built whole.
 */
export function* reportCsvChunks(rows: readonly ReportRow[], by: ReportBy, chunkRows = 2000): Generator<string> {
  const header = toCsv(reportHeader(by), []);
  if (rows.length === 0) yield header;
  for (let i = 0; i < rows.length; i += chunkRows) {
    const text = toCsv(reportHeader(by), rows.slice(i, i + chunkRows).map((r) => csvRow(r, by)));
    yield i === 0 ? text : text.slice(header.length);
  }
}

function csvRow(r: ReportRow, by: ReportBy): Cell[] {
  return [
    isoLocal(r.since),
    isoLocal(r.until),
    r.appKey,
    r.appName,
    r.kind,
    ...(by === 'app,iface' ? [r.iface ?? '', r.network ?? ''] : []),
    ...(by === 'app,remote' ? [r.remote ?? '', r.host ?? '', r.protocol ?? '', r.port ?? ''] : []),
    r.rxBytes,
    r.txBytes,
    r.rxBytes + r.txBytes,
    r.rxPackets,
    r.txPackets,
  ];
}
