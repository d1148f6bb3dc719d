import { AlertsPanel } from '../../components/AlertsPanel';
import { ALERT_LABELS, ALERT_TITLES } from '../../lib/alerts';
import { getAlertsView } from '../_data/alerts';
import { updateAlertSettings } from './alert-actions';
import { clearDestinations, saveDestinationsSwitch } from './destination-actions';
import { DestinationSettings } from '../../components/DestinationSettings';
import { getDestinationSettings } from '../_data/dest-settings';
import { AutoRefresh } from '../../components/AutoRefresh';
import { NoData } from '../../components/NoData';
import { formatAgo, formatBytes, formatDateTime } from '../../lib/format';
import { requirePageAuth } from '../_data/auth';
import { getConfig } from '../_data/config';
import { readStore } from '../_data/db';
import { getHealth } from '../_data/health';
import { nowSeconds } from '../../lib/time';

export const metadata = { title: 'Health' };

/** Health: is the collector counting? Each part of its poll, set fill, store size and recent events. */
export default async function HealthPage() {
  await requirePageAuth();
  const store = await readStore();
  if (store.state !== 'ok') return <NoData state={store.state} path={store.path} />;
  const cfg = getConfig();
  const h = getHealth(store.db, cfg.dbPath);
  const now = nowSeconds();
  return (
    <>
      <AutoRefresh seconds={cfg.refreshSeconds} />
      <div className="pagehead">
        <div>
          <h1>Collector health</h1>
          <p className="muted small" data-testid="last-ok">
            {h.lastOk === null ? 'No successful poll yet.' : <>Last successful poll {formatDateTime(h.lastOk)}<span className="live-only"> ({formatAgo(h.lastOk, now)})</span>.</>}
            {' '}Store size {formatBytes(h.dbBytes)}.
          </p>
          {h.counter && (
            <p className="muted small" data-testid="counter-source" data-source={h.counter.source}>
              Per-app counting: {h.counter.source === 'bpf' ? 'the cgroup BPF program (each interface\'s own statistics give its total)' : 'nft set counters'}.
              {h.counter.note ? ` ${h.counter.note}` : ''}
            </p>
          )}
        </div>
      </div>
      <AlertsPanel {...getAlertsView(store.db)} labels={ALERT_LABELS} titles={ALERT_TITLES} action={updateAlertSettings} />
      <DestinationSettings {...getDestinationSettings(store.db)} save={saveDestinationsSwitch} clear={clearDestinations} />
      <section className="panel">
        <h2>Parts of a poll</h2>
        <table data-testid="sources">
          <thead><tr><th>Part</th><th>State</th><th className="num">Took</th><th className="hide-narrow">Last run</th><th>Error</th></tr></thead>
          <tbody>
            {h.sources.map((s) => (
              <tr key={s.source} data-source={s.source} data-ok={s.ok ? '1' : '0'}>
                <td className="mono">{s.source}</td>
                <td>{s.ok ? 'ok' : 'failing'}</td>
                <td className="num">{s.durationMs.toFixed(1)} ms</td>
                <td className="hide-narrow small">{formatDateTime(s.lastRun)}</td>
                <td className="small">{s.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <h2>Counters in the kernel</h2>
        {h.sets.length === 0 ? (
          <p className="muted">Not read yet.</p>
        ) : (
          <table data-testid="sets">
            <thead><tr><th>Set</th><th className="num">Elements</th><th className="num">Capacity</th><th className="num">Full</th></tr></thead>
            <tbody>
              {h.sets.map((s) => (
                <tr key={s.name} data-set={s.name} data-count={s.count}>
                  <td className="mono">{s.name}</td>
                  <td className="num">{s.count}</td>
                  <td className="num">{s.size ?? '—'}</td>
                  <td className="num">{s.size ? `${((100 * s.count) / s.size).toFixed(1)} %` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {h.accuracy && (
        <section className="panel" data-testid="accuracy" data-source={h.accuracy.source} data-sees-segments={h.accuracy.seesSegments ? '1' : '0'}>
          <h2>How exact the counts are</h2>
          <p className="small">{h.accuracy.summary}</p>
          {h.accuracy.measured.length > 0 && (
            <table>
              <thead><tr><th>Measured on a link set up like a network card</th><th className="num">appnet ÷ link</th></tr></thead>
              <tbody>
                {h.accuracy.measured.map((m) => (
                  <tr key={m.traffic}><td>{m.traffic}</td><td className="num">{m.ratio.toFixed(3)}</td></tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="small muted">The Networks page compares each network’s total with the interface’s own counters.</p>
        </section>
      )}
      <section className="panel">
        <h2>Recent events</h2>
        {h.events.length === 0 ? (
          <p className="muted">Nothing to report.</p>
        ) : (
          <table data-testid="events">
            <thead><tr><th className="hide-narrow">When</th><th>Level</th><th>What happened</th></tr></thead>
            <tbody>
              {h.events.map((e, i) => (
                <tr key={i}><td className="hide-narrow small">{formatDateTime(e.ts)}</td><td>{e.level}</td><td>{e.message}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
