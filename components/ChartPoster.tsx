import { byteLabel, tickLabels } from './chart-format';
import { stackPaths, VIEW_H, VIEW_W } from './chart-geometry';
import type { ChartSpec } from './chart-props';

const pct = (at: number) => `${(at * 100).toFixed(2)}%`;

/**
 * ChartPoster is the stacked chart drawn on the server as plain SVG (the paths stretch with the plot;
 * labels are HTML, so text keeps its size at any width): it is in the first HTML, with no script
 * and no measuring, and stands in until the interactive recharts chart replaces it in the same box.
 */
export function ChartPoster({ spec }: { spec: ChartSpec }) {
  const { points, series, yTicks, yTop, xTicks } = spec;
  const ts = points.map((p) => p.ts);
  const bands = stackPaths(ts, series.map((s) => points.map((p) => p[s.key] ?? 0)), yTop);
  const span = ts[ts.length - 1] - ts[0];
  const labels = tickLabels(xTicks, spec);
  const xAt = (t: number) => (span > 0 ? (t - ts[0]) / span : 0.5);
  // The segment into the last point, when that point's bucket is still filling.
  const progressFrom = spec.inProgress !== null && ts.length > 1 ? xAt(ts[ts.length - 2]) * VIEW_W : null;
  return (
    <div className="chart-poster" aria-hidden="true">
      <div className="chart-y">
        {yTicks.map((v) => <span key={v} style={{ bottom: pct(v / yTop) }}>{byteLabel(v)}</span>)}
      </div>
      <div className="chart-plot">
        <svg viewBox={`0 0 ${VIEW_W} ${VIEW_H}`} preserveAspectRatio="none" focusable="false">
          <g className="chart-grid">
            {yTicks.map((v) => {
              const at = VIEW_H - (v / yTop) * VIEW_H;
              return <line key={v} x1={0} x2={VIEW_W} y1={at} y2={at} vectorEffect="non-scaling-stroke" />;
            })}
          </g>
          {progressFrom !== null && <rect className="chart-progress" x={progressFrom} y={0} width={VIEW_W - progressFrom} height={VIEW_H} />}
          {bands.map((b, i) => (
            <g key={series[i].key} className="chart-series" data-series={series[i].key}>
              <path className="chart-band" d={b.area} fill={series[i].colour} />
              <path className="chart-line" d={b.line} stroke={series[i].colour} vectorEffect="non-scaling-stroke" />
            </g>
          ))}
        </svg>
      </div>
      <div className="chart-x">
        {xTicks.map((t, i) => (
          <span key={t} className={`${i % 2 ? 'minor' : ''}${xAt(t) > 0.9 ? ' end' : ''}`.trim() || undefined} style={{ left: pct(xAt(t)) }}>
            {labels[i]}
          </span>
        ))}
      </div>
    </div>
  );
}
