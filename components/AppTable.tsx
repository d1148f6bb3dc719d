import Link from 'next/link';
import { formatBytes, formatShare } from '../lib/format';
import { LinkPending } from './LinkPending';
import { Sparkline } from './Sparkline';
import type { AppListItem } from '../lib/app-list';

const KIND_LABEL: Record<string, string> = {
  service: 'system service', 'user-service': 'user service', app: 'app', container: 'container', session: 'session',
  scope: 'scope', slice: 'slice', other: 'other', unattributed: 'no local socket',
};

/**
 * AppTable ranks apps by bytes with the download/upload split, share of the total and a sparkline;
 * `colours` (app key → the chart's colour for it) puts the chart's swatch beside each app it draws.
 */
export function AppTable({ rows, total, query, colours = {} }: { rows: AppListItem[]; total: number; query: string; colours?: Record<string, string> }) {
  return (
    <div className="tablewrap">
    <table data-testid="app-table">
      <thead>
        <tr>
          <th className="rank">#</th>
          <th>App</th>
          <th className="num">Total</th>
          <th className="num hide-narrow">Down</th>
          <th className="num hide-narrow">Up</th>
          <th className="num">Share</th>
          <th className="hide-narrow">Trend</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={r.id} className={r.kind === 'unattributed' ? 'unattributed' : undefined} data-app-key={r.key}>
            <td className="rank">{i + 1}</td>
            <td>
              {colours[r.key] && <svg className="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill={colours[r.key]} /></svg>}
              <Link prefetch={false} className="appname" href={`/apps/${r.id}?${query}`}>{r.name}<LinkPending /></Link>
              <span className="kind">{KIND_LABEL[r.kind] ?? r.kind}</span>
            </td>
            <td className="num" data-bytes={r.rx + r.tx}>{formatBytes(r.rx + r.tx)}</td>
            <td className="num hide-narrow down">↓ {formatBytes(r.rx)}</td>
            <td className="num hide-narrow up">↑ {formatBytes(r.tx)}</td>
            <td className="num">
              <span className="share">
                <meter min={0} max={Math.max(total, 1)} value={r.rx + r.tx} aria-hidden="true" />
                {formatShare(r.rx + r.tx, total)}
              </span>
            </td>
            <td className="hide-narrow"><Sparkline values={r.spark} width={72} label={`${r.name} trend`} /></td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}
