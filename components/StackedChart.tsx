import { formatBytes } from '../lib/format';
import { byteTicks, stackedMax, stackPaths, timeTicks, VIEW_H, VIEW_W } from './chart-geometry';
import { ChartHover } from './ChartHover';
import { seriesColour } from './palette';

export interface StackedChartProps {
  points: Array<Record<string, number>>;
  series: Array<{ key: string; name: string }>;
  stepSeconds: number;
  /** Accessible name of the chart. */
  label: string;
  small?: boolean;
}

/** tickLabel prints an x tick: a date when ticks are days apart, else a time (with the weekday when points are hours apart). */
function tickLabel(ts: number, opts: { stepSeconds: number; daily: boolean }): string {
  const d = new Date(ts * 1000);
  if (opts.daily || opts.stepSeconds >= 86400) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  if (opts.stepSeconds >= 3600) return d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Axis values print without trailing zeros: "2 GiB", "2.5 GiB". */
const byteLabel = (v: number) => formatBytes(v).replace(/(\.\d*?)0+ /, '$1 ').replace('. ', ' ');

/**
 * StackedChart draws bytes per bucket as stacked areas, one per series, with a legend. It renders
 * on the server to plain SVG (the paths stretch with the plot; labels are HTML, so text keeps its
 * size at any width): the chart is in the first HTML, with no script and no measuring. Only the
 * hover/keyboard read-out (ChartHover) runs in the browser.
 */
export function StackedChart({ points, series, stepSeconds, label, small }: StackedChartProps) {
  const ts = points.map((p) => p.ts);
  const values = series.map((s) => points.map((p) => p[s.key] ?? 0));
  const colours = series.map((s, i) => seriesColour(s.key, i));
  const y = byteTicks(stackedMax(values, ts.length));
  const bands = stackPaths(ts, values, y.top);
  const x = ts.length ? timeTicks(ts[0], ts[ts.length - 1]) : [];
  const daily = x.length > 1 && x[1].value - x[0].value >= 23 * 3600;
  return (
    <figure className="chartfig" aria-label={label} data-testid="stacked-chart">
      <div className={small ? 'chart small' : 'chart'}>
        <div className="chart-y" aria-hidden="true">
          {y.ticks.map((t) => <span key={t.value} style={{ bottom: `${(t.at * 100).toFixed(2)}%` }}>{byteLabel(t.value)}</span>)}
        </div>
        <div className="chart-plot">
          <svg viewBox={`0 0 ${VIEW_W} ${VIEW_H}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
            <g className="chart-grid">
              {y.ticks.map((t) => {
                const at = VIEW_H - t.at * VIEW_H;
                return <line key={t.value} x1={0} x2={VIEW_W} y1={at} y2={at} vectorEffect="non-scaling-stroke" />;
              })}
            </g>
            {bands.map((b, i) => (
              <g key={series[i].key} className="chart-series" data-series={series[i].key}>
                <path className="chart-band" d={b.area} fill={colours[i]} />
                <path className="chart-line" d={b.line} stroke={colours[i]} vectorEffect="non-scaling-stroke" />
              </g>
            ))}
          </svg>
          <ChartHover label={label} ts={ts} values={values} names={series.map((s) => s.name)} colours={colours} />
        </div>
        <div className="chart-x" aria-hidden="true">
          {x.map((t, i) => (
            <span key={t.value} className={`${i % 2 ? 'minor' : ''}${t.at > 0.9 ? ' end' : ''}`.trim() || undefined} style={{ left: `${(t.at * 100).toFixed(2)}%` }}>
              {tickLabel(t.value, { stepSeconds, daily })}
            </span>
          ))}
        </div>
      </div>
      <figcaption className="legend">
        {series.map((s, i) => (
          <span key={s.key}>
            <svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill={colours[i]} /></svg>
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
