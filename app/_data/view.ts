/** The filters every dashboard page shares (period + network), parsed from the URL with zod. */
import { z } from 'zod';
import type { Db } from '../../db/open';
import { getCycleStartDay, getNetworks } from '../../db/queries/network-settings';
import type { UsageFilter } from '../../db/queries/usage';
import { PERIOD_LABELS, PERIODS, resolvePeriod, type PeriodName } from '../../lib/period';
import { unixSeconds } from '../../lib/time';

/** A `<input type=datetime-local>` value, ISO-8601 (local time when it has no offset) or unix seconds. */
const localTime = z.union([
  z.string().trim().regex(/^\d{9,11}$/).transform(Number),
  z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?([+-]\d{2}:\d{2}|Z)?$/)
    .transform((s) => unixSeconds(new Date(s.length === 10 ? `${s}T00:00` : s))),
]);

const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);

const viewSchema = z.object({
  period: z.preprocess(first, z.enum(PERIODS).catch('24h').default('24h')),
  net: z.preprocess(first, z.string().regex(/^(all|metered|iface:[A-Za-z0-9_.:@-]{1,15}|net:\d{1,9})$/).catch('all').default('all')),
  since: z.preprocess(first, localTime.optional().catch(undefined)),
  until: z.preprocess(first, localTime.optional().catch(undefined)),
});

export interface View {
  period: PeriodName;
  periodLabel: string;
  net: string;
  since: number;
  until: number;
  /** End of the billing cycle when the period is 'cycle'. */
  cycleEnd: number | null;
  filter: UsageFilter;
  /** The query string that reproduces this view (for links and the CSV button). */
  query: string;
  /** True when the URL chose neither period nor network and the landing defaults were used. */
  landing: boolean;
}

/**
 * landingNet is the network a bare visit opens on: the metered network when there is one (several:
 * all metered ones), else all networks. The question behind the page is "which app used my mobile data".
 */
function landingNet(db: Db | null): string | null {
  if (!db) return null;
  const metered = getNetworks(db).filter((n) => n.metered && n.kind !== 'loopback');
  if (metered.length === 0) return null;
  return metered.length === 1 ? `net:${metered[0].id}` : 'metered';
}

/** netFilter turns the `net` URL value into a usage filter. */
function netFilter(net: string): Omit<UsageFilter, 'since' | 'until'> {
  if (net === 'metered') return { metered: true };
  if (net.startsWith('iface:')) return { ifaces: [net.slice(6)] };
  if (net.startsWith('net:')) return { networkId: Number(net.slice(4)) };
  return {};
}

/**
 * parseView reads a page's searchParams into a concrete period and filter; bad values fall back to
 * defaults. On the landing page (opts.landing), a URL with neither period nor network opens on the metered network's billing cycle when
 * one exists (landingNet), else on the last 24 hours of all networks.
 */
export function parseView(db: Db | null, params: Record<string, string | string[] | undefined>, now: number, opts: { landing?: boolean } = {}): View {
  const bare = first(params.period) === undefined && first(params.net) === undefined;
  const home = opts.landing && bare ? landingNet(db) : null;
  const v = viewSchema.parse(home ? { ...params, period: 'cycle', net: home } : params);
  const nf = netFilter(v.net);
  const cycleStartDay = v.period === 'cycle' && db ? getCycleStartDay(db, nf) : 1;
  let since = v.since;
  let until = v.until;
  if (v.period === 'custom' && since !== undefined && until !== undefined && since >= until) [since, until] = [until, since];
  const p = resolvePeriod({ period: v.period, since, until, cycleStartDay }, now);
  const q = new URLSearchParams({ period: v.period, net: v.net });
  if (v.period === 'custom') {
    q.set('since', String(params.since ?? ''));
    q.set('until', String(params.until ?? ''));
  }
  return {
    period: v.period,
    periodLabel: PERIOD_LABELS[v.period],
    net: v.net,
    since: p.since,
    until: p.until,
    cycleEnd: p.cycleEnd ?? null,
    filter: { since: p.since, until: p.until, ...nf },
    query: q.toString(),
    landing: home !== null,
  };
}

/** apiQuery renders a view's period and filter as /api/usage and /api/export.csv parameters. */
export function apiQuery(v: View, by: string): string {
  const q = new URLSearchParams({ since: String(v.since), until: String(v.until), by });
  if (v.filter.ifaces) q.set('iface', v.filter.ifaces.join(','));
  if (v.filter.networkId !== undefined) q.set('network', String(v.filter.networkId));
  if (v.filter.metered !== undefined) q.set('metered', v.filter.metered ? '1' : '0');
  return q.toString();
}
