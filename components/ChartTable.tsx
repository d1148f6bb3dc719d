import { formatBytes } from '../lib/format';
import { bucketLabel, pointLabel } from './chart-format';
import type { ChartSpec } from './chart-props';

/**
 * ChartTable is the chart's text alternative: the same points as a table (bytes per series and in
 * all), behind a disclosure so it costs no room. Points without traffic are left out, except the
 * point still filling, which says so.
 */
export function ChartTable({ spec }: { spec: ChartSpec }) {
  const rows = spec.points
    .map((p) => ({ p, total: spec.series.reduce((a, s) => a + (p[s.key] ?? 0), 0) }))
    .filter((r) => r.total > 0 || r.p.ts === spec.inProgress);
  return (
    <details className="chart-data">
      <summary>Show the chart as a table</summary>
      <div className="tablewrap">
        <table data-testid="chart-table">
          <caption className="small muted">
            {spec.label}: bytes per {bucketLabel(spec.stepSeconds)}{rows.length < spec.points.length ? '; points without traffic are left out' : ''}.
          </caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {spec.series.map((s) => <th scope="col" className="num" key={s.key}>{s.name}</th>)}
              <th scope="col" className="num">All</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ p, total }) => (
              <tr key={p.ts} data-ts={p.ts} data-in-progress={p.ts === spec.inProgress ? '' : undefined}>
                <th scope="row">{pointLabel(p.ts, spec.stepSeconds)}{p.ts === spec.inProgress ? ' (in progress)' : ''}</th>
                {spec.series.map((s) => <td className="num" key={s.key}>{formatBytes(p[s.key] ?? 0)}</td>)}
                <td className="num" data-bytes={total}>{formatBytes(total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
