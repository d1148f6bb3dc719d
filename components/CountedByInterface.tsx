import { formatBytes, formatDateTime } from '../lib/format';
import { countedDifference, type NetworkCounted } from '../lib/link-counters';

/**
 * CountedByInterface sets what appnet counted on a network next to what its interfaces' own
 * counters say over the same polls, and why the two differ.
 */
export function CountedByInterface({ counted }: { counted: NetworkCounted }) {
  const diff = countedDifference(counted);
  const rows = [
    { by: 'appnet', label: 'Counted by appnet', t: counted.appnet },
    { by: 'interface', label: 'Counted by the interface', t: counted.iface },
  ];
  return (
    <div className="counted" data-testid="counted">
      <table className="small">
        <thead>
          <tr><th>Since {formatDateTime(counted.since)}</th><th className="num">Received</th><th className="num">Sent</th><th className="num">Total</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.by} data-counted-by={r.by} data-bytes={r.t.rxBytes + r.t.txBytes}>
              <td>{r.label}</td>
              <td className="num">{formatBytes(r.t.rxBytes)}</td>
              <td className="num">{formatBytes(r.t.txBytes)}</td>
              <td className="num">{formatBytes(r.t.rxBytes + r.t.txBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted" data-testid="counted-difference">
        {diff.bytes === 0 ? (
          <>Both counted the same.</>
        ) : (
          <>
            The interface counted {diff.bytes > 0 ? 'more' : 'less'} by {formatBytes(Math.abs(diff.bytes))}
            {diff.percent !== null && <> ({Math.abs(diff.percent)} % of its figure)</>}.
          </>
        )}{' '}
        It counts every frame on the link: the
        link-layer header of each (14 bytes on Ethernet and Wi-Fi), ARP and other frames that are not IP, and the headers of
        every TCP segment, which appnet’s nft counters see merged into one packet (see Health). Hold the interface’s figure
        against a carrier’s bill.
      </p>
    </div>
  );
}
