import Link from 'next/link';
import { AppTable } from '../components/AppTable';
import { AutoRefresh } from '../components/AutoRefresh';
import { Filters } from '../components/Filters';
import { NoData } from '../components/NoData';
import { PlanProgress } from '../components/PlanProgress';
import { colourByKey } from '../components/palette';
import { StackedChart } from '../components/StackedChart';
import { formatAgo, formatBytes, formatDateTime } from '../lib/format';
import { requirePageAuth } from './_data/auth';
import { getConfig } from './_data/config';
import { readStore } from './_data/db';
import { planCardsFor } from './_data/networks';
import { collectorState, getOverview, networkOptions } from './_data/overview';
import { apiQuery, parseView } from './_data/view';
import { nowSeconds } from '../lib/time';

// The root segment's own page: the layout's title template does not apply to it.
export const metadata = { title: 'Overview · appnet' };

function withNet(query: string, net: string): string {
  const q = new URLSearchParams(query);
  q.set('net', net);
  return q.toString();
}

/** headline asks the page's question for the chosen network filter. */
function headline(net: string, networks: Array<{ id: number; name: string }>): string {
  if (net === 'metered') return 'Which apps used my mobile data';
  if (net.startsWith('iface:')) return `Which apps used ${net.slice(6)}`;
  if (net.startsWith('net:')) return `Which apps used ${networks.find((n) => `net:${n.id}` === net)?.name ?? 'this network'}`;
  return 'Which apps used the network';
}

type Search = Promise<Record<string, string | string[] | undefined>>;

/** Overview: which apps used the network in the chosen period, on the chosen networks. */
export default async function OverviewPage({ searchParams }: { searchParams: Search }) {
  await requirePageAuth();
  const store = await readStore();
  if (store.state !== 'ok') return <NoData state={store.state} path={store.path} reason={store.state === 'missing' ? store.reason : undefined} />;
  const now = nowSeconds();
  const status = collectorState(store.db, now);
  if (!status.hasUsage) return <NoData state="nodata" path={store.path} />;
  const view = parseView(store.db, await searchParams, now, { landing: true });
  const data = getOverview(store.db, view, now);
  const networks = networkOptions(store.db);
  const total = data.total.rx + data.total.tx;
  return (
    <>
      <AutoRefresh seconds={getConfig().refreshSeconds} />
      <div className="pagehead">
        <div>
          <h1>{headline(view.net, networks)}{view.period === 'cycle' ? ' this billing cycle' : ''}</h1>
          <p className="muted small" data-testid="range">
            {view.periodLabel}: {formatDateTime(view.since)} – {formatDateTime(view.until)}
            {status.lastPoll !== null && <span className="live-only"> · last poll {formatAgo(status.lastPoll, now)}</span>}
          </p>
        </div>
      </div>
      <PlanProgress cards={planCardsFor(store.db, view.net, now)} />
      <section className="panel">
        <Filters
          period={view.period}
          net={view.net}
          since={view.since}
          until={view.until}
          networks={networks}
        />
      </section>
      <section className="stats">
        <div className="panel stat"><div className="label">Total</div><div className="value" data-testid="total" data-bytes={total}>{formatBytes(total)}</div></div>
        <div className="panel stat"><div className="label">Downloaded</div><div className="value down">{formatBytes(data.total.rx)}</div></div>
        <div className="panel stat"><div className="label">Uploaded</div><div className="value up">{formatBytes(data.total.tx)}</div></div>
        <div className="panel stat">
          <div className="label">Unattributed <span className="hide-narrow">(no local app)</span></div>
          <div className="value" data-testid="unattributed">{formatBytes(data.unattributed ? data.unattributed.rx + data.unattributed.tx : 0)}</div>
        </div>
      </section>
      {total === 0 ? (
        <section className="panel empty"><h2>No traffic in this period</h2><p className="muted">Pick a longer period or another network.</p></section>
      ) : (
        <>
          <div className="grid2">
            <section className="panel">
              <h2>Apps by traffic</h2>
              <AppTable rows={data.apps.slice(0, 100)} total={total} query={view.query} colours={colourByKey(data.chart.series)} />
              {data.apps.length > 100 && <p className="muted small">…and {data.apps.length - 100} more apps; export the CSV for the full list.</p>}
              <p className="filters small">
                <a className="button secondary" href={`/api/export.csv?${apiQuery(view, 'app')}`} download data-testid="csv-link">Export CSV</a>
                <a className="button secondary" href={`/api/export.csv?${apiQuery(view, 'app,day')}`} download>CSV per day</a>
              </p>
            </section>
            <section className="panel">
              <h2>Per network</h2>
              <table data-testid="network-totals">
                <tbody>
                  {data.networkTotals.map((n) => (
                    <tr key={n.networkId}>
                      <td>
                        <Link prefetch={false} href={`/?${withNet(view.query, `net:${n.networkId}`)}`}>{n.name}</Link>
                        <div className="muted small">{n.ifaces}{n.metered ? ' · metered' : ''}</div>
                      </td>
                      <td className="num">{formatBytes(n.rxBytes + n.txBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="muted small">
                “Unattributed” is traffic no local socket accounts for: forwarded packets, kernel-generated traffic and packets
                the collector could not map to an app.
              </p>
            </section>
          </div>
          <section className="panel">
            <h2>Top apps over time</h2>
            <StackedChart points={data.chart.points} series={data.chart.series} stepSeconds={data.chart.stepSeconds} inProgress={data.chart.inProgress} label="Bytes per app over time" />
          </section>
        </>
      )}
    </>
  );
}
