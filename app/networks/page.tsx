import Link from 'next/link';
import { CountedByInterface } from '../../components/CountedByInterface';
import { NetworkForm } from '../../components/NetworkForm';
import { NetworkHistory } from '../../components/NetworkHistory';
import { NoData } from '../../components/NoData';
import { formatBytes, formatDateTime, formatShare } from '../../lib/format';
import type { NetworkCard } from '../_data/networks';
import { requirePageAuth } from '../_data/auth';
import { readStore } from '../_data/db';
import { getNetworkHistory } from '../_data/history';
import { getNetworkCards } from '../_data/networks';
import { updateNetwork } from './actions';
import { nowSeconds } from '../../lib/time';

export const metadata = { title: 'Networks' };

/** Networks: every network's kind, metered flag, billing cycle and plan with usage so far, a projection, and the interface's own count. */
export default async function NetworksPage() {
  await requirePageAuth();
  const store = await readStore();
  if (store.state !== 'ok') return <NoData state={store.state} path={store.path} />;
  const now = nowSeconds();
  const cards = getNetworkCards(store.db, now);
  return (
    <>
      <div className="pagehead">
        <div>
          <h1>Networks</h1>
          <p className="muted small">Mark the networks that cost money per byte as metered; the Overview can then show mobile data only.</p>
        </div>
      </div>
      {cards.length === 0 && <section className="panel empty"><h2>No networks seen yet</h2><p className="muted">They appear after the collector’s first poll.</p></section>}
      <div className="netcards">
        {cards.filter((n) => n.kind !== 'loopback').map((n) => <NetworkPanel key={n.id} n={n} />)}
      </div>
      {cards.some((n) => n.kind === 'loopback') && (
        <details className="panel loopback" data-testid="loopback">
          <summary>Loopback: this computer talking to itself (never metered, no plan)</summary>
          {cards.filter((n) => n.kind === 'loopback').map((n) => (
            <p className="small" key={n.id}>
              <Link prefetch={false} href={`/?period=cycle&net=net:${n.id}`}>{n.name}</Link> ({n.ifaces.join(', ')}): {formatBytes(n.used)} this cycle.
            </p>
          ))}
        </details>
      )}
      <NetworkHistory {...getNetworkHistory(store.db, now)} />
    </>
  );
}

/** NetworkPanel is one network's card: kind and links, this cycle's use against the plan, the projection, the settings form. */
function NetworkPanel({ n }: { n: NetworkCard }) {
  const over = n.planBytes !== null && n.projected !== null && n.projected > n.planBytes;
  const late = n.countedSince > n.cycleSince;
  return (
    <section className="panel" data-testid={`network-${n.id}`}>
      <h2><Link prefetch={false} href={`/?period=cycle&net=net:${n.id}`}>{n.name}</Link></h2>
      <div className="tags">
        <span className="tag">{n.kind}</span>
        {n.metered && <span className="tag metered">metered</span>}
        {n.ifaces.map((i) => <span className="tag" key={i}>{i}</span>)}
      </div>
      <div className="plan">
        <p className="small">
          This billing cycle ({formatDateTime(n.cycleSince)} – {formatDateTime(n.cycleUntil)}):{' '}
          <strong data-testid="cycle-used">{formatBytes(n.used)}</strong>
          {n.planBytes !== null && <> of {formatBytes(n.planBytes)} ({formatShare(n.used, n.planBytes)})</>}
        </p>
        {n.planBytes !== null && <progress className={n.used >= n.planBytes ? 'over' : over ? 'warn' : undefined} max={n.planBytes} value={Math.min(n.used, n.planBytes)} aria-label="Plan used" />}
        {late && <p className="small muted">Counted since {formatDateTime(n.countedSince)}, when appnet first saw this network; earlier traffic of the cycle is not included.</p>}
        {n.projected !== null ? (
          <p className={over ? 'small field-error' : 'small muted'} data-testid="projection">
            At this pace: about {formatBytes(n.projected)} by the end of the cycle{over ? ' — more than the plan' : ''}.
          </p>
        ) : (
          <p className="small muted" data-testid="projection">A projection appears after a day of counting ({formatDateTime(n.countedSince + 86400)}).</p>
        )}
      </div>
      {n.counted && <CountedByInterface counted={n.counted} />}
      <NetworkForm
        action={updateNetwork}
        values={{
          id: n.id,
          metered: n.meteredUser === null ? 'auto' : n.meteredUser ? 'yes' : 'no',
          meteredAutoLabel: n.meteredAuto === null ? 'unknown, not metered' : n.meteredAuto ? 'metered' : 'not metered',
          cycleStartDay: n.cycleStartDay,
          planGiB: n.planBytes === null ? '' : String(Math.round((n.planBytes / 1024 ** 3) * 1000) / 1000),
        }}
      />
    </section>
  );
}
