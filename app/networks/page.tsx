import Link from 'next/link';
import { CountedByInterface } from '../../components/CountedByInterface';
import { NetworkForm } from '../../components/NetworkForm';
import { NoData } from '../../components/NoData';
import { formatBytes, formatDateTime, formatShare } from '../../lib/format';
import { requirePageAuth } from '../_data/auth';
import { readStore } from '../_data/db';
import { getNetworkCards } from '../_data/networks';
import { updateNetwork } from './actions';

export const metadata = { title: 'Networks' };

/** Networks: every network's kind, metered flag, billing cycle and plan with usage so far, a projection, and the interface's own count. */
export default async function NetworksPage() {
  await requirePageAuth();
  const store = await readStore();
  if (store.state !== 'ok') return <NoData state={store.state} path={store.path} />;
  const now = Math.floor(Date.now() / 1000);
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
        {cards.map((n) => {
          const over = n.planBytes !== null && n.projected !== null && n.projected > n.planBytes;
          return (
            <section className="panel" key={n.id} data-testid={`network-${n.id}`}>
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
                {n.projected !== null && (
                  <p className={over ? 'small field-error' : 'small muted'}>
                    At this pace: about {formatBytes(n.projected)} by the end of the cycle{over ? ' — more than the plan' : ''}.
                  </p>
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
        })}
      </div>
    </>
  );
}
