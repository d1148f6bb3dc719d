import Link from 'next/link';
import { notFound } from 'next/navigation';
import { AutoRefresh } from '../../../components/AutoRefresh';
import { Filters } from '../../../components/Filters';
import { NoData } from '../../../components/NoData';
import { RulesPanel } from '../../../components/RulesPanel';
import { StackedChart } from '../../../components/StackedChart';
import { DestinationsTable } from '../../../components/DestinationsTable';
import { LiveConnections } from '../../../components/LiveConnections';
import { parseBlockParam } from '../../../lib/destinations';
import { formatAgo, formatBytes, formatDateTime } from '../../../lib/format';
import { getApp, getAppDetail } from '../../_data/app-detail';
import { requirePageAuth } from '../../_data/auth';
import { getConfig } from '../../_data/config';
import { readStore } from '../../_data/db';
import { getRulesView } from '../../_data/rules';
import { RULES_ACTIONS } from '../../rules/action-set';
import { networkOptions } from '../../_data/overview';
import { parseView } from '../../_data/view';
import { nowSeconds } from '../../../lib/time';

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

/** generateMetadata names the tab after the app: "Firefox · appnet". */
export async function generateMetadata({ params }: Pick<Props, 'params'>): Promise<{ title: string }> {
  // Metadata is rendered apart from the page: it checks the session itself, or the title would name the app to anyone.
  await requirePageAuth();
  const { id: raw } = await params;
  const store = await readStore();
  const app = store.state === 'ok' && /^\d{1,12}$/.test(raw) ? getApp(store.db, Number(raw)) : null;
  return { title: app ? app.name : 'App' };
}

/** App detail: one app's usage per direction and network, its destinations, live connections, cgroups, processes and rules (`block=` pre-fills a rule from a destination or a connection). */
export default async function AppPage({ params, searchParams }: Props) {
  await requirePageAuth();
  const { id: raw } = await params;
  const id = /^\d{1,12}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) notFound();
  const store = await readStore();
  if (store.state !== 'ok') return <NoData state={store.state} path={store.path} />;
  const now = nowSeconds();
  const sp = await searchParams;
  const view = parseView(store.db, sp, now);
  const block = parseBlockParam(sp.block);
  const prefill = block ? { ...block, action: 'drop' } : undefined;
  const d = getAppDetail(store.db, id, view, now);
  if (!d) notFound();
  const { app } = d;
  const rules = getRulesView(store.db, { app: app.appKey });
  return (
    <>
      <AutoRefresh seconds={getConfig().refreshSeconds} />
      <div className="pagehead">
        <div>
          <p className="small"><Link prefetch={false} href={`/?${view.query}`}>← Overview</Link></p>
          <h1 data-testid="app-name">{app.name}</h1>
          {app.icon ? <p className="muted small">Icon (from its .desktop entry): <span className="mono" data-testid="app-icon">{app.icon}</span></p> : null}
          <p className="muted small">
            <span className="mono">{app.appKey}</span> · {app.kind}
            {' · '}last active {d.lastActive === null ? 'never' : <>{formatDateTime(d.lastActive)}<span className="live-only"> ({formatAgo(d.lastActive, now)})</span></>}
          </p>
        </div>
        <Link prefetch={false} className="button secondary" href="/rules">All rules</Link>
      </div>
      <section className="panel">
        <Filters
          period={view.period}
          net={view.net}
          since={view.since}
          until={view.until}
          networks={networkOptions(store.db)}
        />
      </section>
      <section className="stats">
        <div className="panel stat"><div className="label">Total ({view.periodLabel.toLowerCase()})</div><div className="value" data-testid="app-total" data-bytes={d.total.rx + d.total.tx}>{formatBytes(d.total.rx + d.total.tx)}</div></div>
        <div className="panel stat"><div className="label">Downloaded</div><div className="value down">{formatBytes(d.total.rx)}</div></div>
        <div className="panel stat"><div className="label">Uploaded</div><div className="value up">{formatBytes(d.total.tx)}</div></div>
      </section>
      <div className="grid2">
        <section className="panel">
          <h2>Download per network</h2>
          <StackedChart points={d.chart.down} series={d.chart.series} stepSeconds={d.chart.stepSeconds} inProgress={d.chart.inProgress} label="Downloaded bytes per network" small />
          <h2>Upload per network</h2>
          <StackedChart points={d.chart.up} series={d.chart.series} stepSeconds={d.chart.stepSeconds} inProgress={d.chart.inProgress} label="Uploaded bytes per network" small />
        </section>
        <section className="panel">
          <h2>Per network</h2>
          {d.perNetwork.length === 0 ? (
            <p className="muted">No traffic in this period.</p>
          ) : (
            <table>
              <thead><tr><th>Network</th><th className="num">Down</th><th className="num">Up</th></tr></thead>
              <tbody>
                {d.perNetwork.map((n) => (
                  <tr key={n.networkId}>
                    <td>{n.name}<div className="muted small">{n.ifaces}{n.metered ? ' · metered' : ''}</div></td>
                    <td className="num down">{formatBytes(n.rxBytes)}</td>
                    <td className="num up">{formatBytes(n.txBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2 className="section-gap">Details</h2>
          <dl className="facts">
            {app.unit && (<><dt>Unit</dt><dd className="mono">{app.unit}</dd></>)}
            {app.exe && (<><dt>Executable</dt><dd className="mono">{app.exe}</dd></>)}
            <dt>First seen</dt><dd>{formatDateTime(app.firstSeen)}</dd>
            <dt>Last seen</dt><dd>{formatDateTime(app.lastSeen)}</dd>
          </dl>
        </section>
      </div>
      {d.destinations && (
        <section className="panel" data-testid="destinations">
          <h2>Destinations</h2>
          <DestinationsTable view={d.destinations} now={now} blockHref={(param) => `/apps/${id}?${view.query}&block=${encodeURIComponent(param)}#add-rule`} />
        </section>
      )}
      {app.kind !== 'unattributed' && (
        <section className="panel" data-testid="live-connections">
          <h2>Live connections</h2>
          <LiveConnections appId={id} ruleHref={rules ? `/apps/${id}?${view.query}&block=` : null} />
        </section>
      )}
      <section className="panel">
        <h2>Control groups</h2>
        {d.cgroups.length === 0 ? (
          <p className="muted">None: this bucket counts packets that belong to no local socket.</p>
        ) : (
          <table>
            <thead><tr><th>Path</th><th className="hide-narrow">Seen</th><th>State</th></tr></thead>
            <tbody>
              {d.cgroups.map((c) => (
                <tr key={c.cgroupId}>
                  <td className="mono">{c.path}</td>
                  <td className="hide-narrow small">{formatDateTime(c.firstSeen)} – {formatDateTime(c.lastSeen)}</td>
                  <td>{c.goneAt === null ? 'running' : `gone ${formatAgo(c.goneAt, now)}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel">
        <h2>Processes now</h2>
        {d.processes.length === 0 ? (
          <p className="muted">No running processes.</p>
        ) : (
          <table data-testid="processes">
            <thead><tr><th className="num">PID</th><th>Name</th><th className="hide-narrow">Command line</th></tr></thead>
            <tbody>
              {d.processes.map((p) => (
                <tr key={p.pid}><td className="num">{p.pid}</td><td>{p.comm}</td><td className="mono hide-narrow">{p.cmdline}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {rules && app.kind !== 'unattributed' && <RulesPanel view={rules} app={app.appKey} actions={RULES_ACTIONS} prefill={prefill} />}
    </>
  );
}
