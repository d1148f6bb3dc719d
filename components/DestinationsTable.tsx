import Link from 'next/link';
import { formatAgo, formatBytes, formatShare } from '../lib/format';
import { blockParam, protocolName, type DestinationsView } from '../lib/destinations';

/**
 * DestinationsTable lists an app's destinations over the page's period and network filter:
 * host (the name a DNS answer gave the address, else the address), address, port, ↓, ↑, share
 * of the app's total, last seen; "other destinations" holds the rest, so the rows add up to the
 * app's total. Each row links to a rule form pre-filled for it (`blockHref`).
 */
export function DestinationsTable({ view, now, blockHref }: { view: DestinationsView; now: number; blockHref: (param: string) => string }) {
  const other = view.other.rxBytes + view.other.txBytes;
  return (
    <>
      {!view.recording && (
        <p className="muted small" data-testid="destinations-off">
          Destination history is off. {view.recordingText} <Link prefetch={false} href="/health#dest-history-title">The switch is on the Health page.</Link>
        </p>
      )}
      {view.rows.length === 0 && other === 0 ? (
        <p className="muted">No destinations recorded in this period.</p>
      ) : (
        <div className="tablewrap">
          <table data-testid="destinations-table">
            <thead>
              <tr>
                <th>Host</th><th className="hide-narrow">Address</th><th>Port</th><th className="num">↓</th><th className="num">↑</th>
                <th className="num">Share</th><th className="hide-narrow">Last seen</th><th>Rule</th>
              </tr>
            </thead>
            <tbody>
              {view.rows.map((r) => (
                <tr key={`${r.remote}|${r.proto}|${r.port}|${r.inbound}|${r.host ?? ''}`} data-remote={r.remote} data-port={r.port} data-bytes={r.rxBytes + r.txBytes} data-addresses={r.addresses}>
                  <td>
                    {r.host ?? <span className="mono">{r.remote}</span>}
                    {r.addresses > 1 && <span className="muted small" title="IPv6 privacy addresses of one /64, folded into one row" data-testid="folded-addresses"> {r.addresses} addresses</span>}
                  </td>
                  <td className="mono hide-narrow">{r.remote}</td>
                  <td>{protocolName(r.proto)}{r.port ? ` ${r.port}` : ''}{r.inbound && <span className="muted small" title="a connection made to this app: its own port"> in</span>}</td>
                  <td className="num down">{formatBytes(r.rxBytes)}</td>
                  <td className="num up">{formatBytes(r.txBytes)}</td>
                  <td className="num">{formatShare(r.rxBytes + r.txBytes, view.total)}</td>
                  <td className="hide-narrow small">{formatAgo(r.lastSeen, now)}</td>
                  <td><Link prefetch={false} className="small" href={blockHref(blockParam(r))} data-testid="block-destination">Rule…</Link></td>
                </tr>
              ))}
              {other > 0 && (
                <tr data-testid="other-destinations" data-bytes={other}>
                  <td className="muted">Other destinations</td><td className="hide-narrow" /><td />
                  <td className="num down">{formatBytes(view.other.rxBytes)}</td>
                  <td className="num up">{formatBytes(view.other.txBytes)}</td>
                  <td className="num">{formatShare(other, view.total)}</td><td className="hide-narrow" /><td />
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small">
        Names come from the DNS answers this machine received; an address no answer named is shown as it is (it is never looked up).
        They cannot be named when the app resolves names itself over an encrypted channel (DNS over HTTPS or TLS inside the app) or
        uses hard-coded addresses. Several IPv6 privacy addresses of one /64 (same port, no name telling them apart) are one row, the /64.
        Other destinations: beyond the top 100 of an hour, or traffic counted while destinations were off.
      </p>
    </>
  );
}
