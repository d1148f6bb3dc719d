import type { NetworkHistory as History } from '../lib/history';
import { formatBytes } from '../lib/format';
import { periodLabel, type HistoryUnit } from '../lib/history';

function HistoryTable({ h, unit }: { h: History; unit: HistoryUnit }) {
  return (
    <table className="small" data-testid={`history-${unit}-${h.networkId}`}>
      <caption className="muted">{unit === 'month' ? 'Per month' : 'Per day'}</caption>
      <thead><tr><th scope="col">{unit === 'month' ? 'Month' : 'Day'}</th><th scope="col" className="num">Down</th><th scope="col" className="num">Up</th><th scope="col" className="num">Total</th></tr></thead>
      <tbody>
        {h.periods.map((p) => (
          <tr key={p.ts} data-period={periodLabel(p.ts, unit)} data-bytes={p.rxBytes + p.txBytes}>
            <td>{periodLabel(p.ts, unit)}</td>
            <td className="num">{formatBytes(p.rxBytes)}</td>
            <td className="num">{formatBytes(p.txBytes)}</td>
            <td className="num">{formatBytes(p.rxBytes + p.txBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** NetworkHistory shows each network's totals per month (12 months) and per day (31 days), as vnStat does, with the CSV links. */
export function NetworkHistory({ months, days }: { months: History[]; days: History[] }) {
  return (
    <section className="panel" aria-labelledby="history-title" data-testid="network-history">
      <div className="pagehead">
        <h2 id="history-title">History</h2>
        <p className="small">
          CSV, per network and interface for 12 months: <a href="/api/history.csv?by=day" download>daily</a> · <a href="/api/history.csv?by=month" download>monthly</a>
        </p>
      </div>
      {months.length === 0 && <p className="muted">No traffic stored yet.</p>}
      {months.map((m) => {
        const d = days.find((x) => x.networkId === m.networkId);
        return (
          <details key={m.networkId} open={months.length <= 3}>
            <summary><strong>{m.network}</strong> <span className="muted small">({m.ifaces.join(', ')})</span></summary>
            <div className="netcards">
              <HistoryTable h={m} unit="month" />
              {d && <HistoryTable h={d} unit="day" />}
            </div>
          </details>
        );
      })}
    </section>
  );
}
