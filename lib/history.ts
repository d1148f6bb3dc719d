/**
 * Per-network history as vnStat shows it: a total per local day and per calendar month,
 * for each network and each interface on it, over the last 12 months. The query string of
 * GET /api/history.csv, the period arithmetic and the CSV layout.
 */
import { z } from 'zod';
import { toCsv } from './csv';
import { localDate } from './format';
import { localMonthStart, unixSeconds } from './time';

export const HISTORY_MONTHS = 12;

/** historySince is the start of the 12-month window ending with the month holding now: the 1st of the month 11 months back. */
export function historySince(now: number): number {
  const d = new Date(localMonthStart(now) * 1000);
  return localMonthStart(unixSeconds(new Date(d.getFullYear(), d.getMonth() - (HISTORY_MONTHS - 1), 1, 12)));
}

/** One total: a day or month (its local start), on one interface of one network. */
export interface HistoryRow {
  ts: number;
  networkId: number;
  network: string;
  iface: string;
  rxBytes: number;
  txBytes: number;
}

export type HistoryUnit = 'day' | 'month';

/** historyQuerySchema validates GET /api/history.csv's query: by=day|month, optionally one network's id. */
export const historyQuerySchema = z
  .object({
    by: z.enum(['day', 'month']).default('day'),
    net: z.string().regex(/^\d{1,12}$/, 'a network id (digits)').transform(Number).optional(),
  })
  .strict();

export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** periodLabel names a day (2026-11-30) or a month (2026-11) of local time. */
export function periodLabel(ts: number, unit: HistoryUnit): string {
  return unit === 'month' ? localDate(ts).slice(0, 7) : localDate(ts);
}

/** historyCsv renders history rows, one per period, network and interface, oldest first. */
export function historyCsv(rows: readonly HistoryRow[], unit: HistoryUnit): string {
  return toCsv(
    [unit, 'network', 'network_id', 'interface', 'rx_bytes', 'tx_bytes', 'total_bytes'],
    rows.map((r) => [periodLabel(r.ts, unit), r.network, r.networkId, r.iface, r.rxBytes, r.txBytes, r.rxBytes + r.txBytes]),
  );
}

/** NetworkHistory is one network's totals per period (its interfaces added up), newest first. */
export interface NetworkHistory {
  networkId: number;
  network: string;
  ifaces: string[];
  periods: Array<{ ts: number; rxBytes: number; txBytes: number }>;
}

/** byNetwork adds up each network's interfaces per period, newest period first, networks in first-seen order. */
export function byNetwork(rows: readonly HistoryRow[]): NetworkHistory[] {
  const nets = new Map<number, { h: NetworkHistory; at: Map<number, { ts: number; rxBytes: number; txBytes: number }> }>();
  for (const r of rows) {
    let n = nets.get(r.networkId);
    if (!n) nets.set(r.networkId, (n = { h: { networkId: r.networkId, network: r.network, ifaces: [], periods: [] }, at: new Map() }));
    if (!n.h.ifaces.includes(r.iface)) n.h.ifaces.push(r.iface);
    const p = n.at.get(r.ts) ?? { ts: r.ts, rxBytes: 0, txBytes: 0 };
    p.rxBytes += r.rxBytes;
    p.txBytes += r.txBytes;
    n.at.set(r.ts, p);
  }
  return [...nets.values()].map(({ h, at }) => ({ ...h, periods: [...at.values()].sort((a, b) => b.ts - a.ts) }));
}
