import { bucketLabel, pointLabel } from './chart-format';
import { byteTicks, stackedMax, timeTicks } from './chart-geometry';
import type { ChartSpec } from './chart-props';
import { ChartPoster } from './ChartPoster';
import { ChartTable } from './ChartTable';
import { ChartUpgrade } from './ChartUpgrade';
import { seriesColours } from './palette';

export interface StackedChartProps {
  points: Array<Record<string, number>>;
  /** Bottom of the stack first; `id` picks the colour (components/palette), the same in every view. */
  series: Array<{ key: string; name: string; id: string }>;
  stepSeconds: number;
  /** Time of the last point when its bucket is still filling (app/_data/chart inProgressAt). */
  inProgress: number | null;
  /** Accessible name of the chart. */
  label: string;
  small?: boolean;
}

/**
 * StackedChart draws bytes per bucket as stacked areas, one per series, with a legend; the
 * y axis is named with the bucket ("Bytes per 10 min"), as the same traffic peaks higher in longer buckets. The first
 * HTML already holds the chart, drawn on the server (ChartPoster); once the page has hydrated,
 * ChartUpgrade swaps in the recharts chart with the same scales and colours, which adds the
 * tooltip and the keyboard read-out.
 */
export function StackedChart({ points, series, stepSeconds, inProgress, label, small }: StackedChartProps) {
  const ts = points.map((p) => p.ts);
  const y = byteTicks(stackedMax(series.map((s) => points.map((p) => p[s.key] ?? 0)), ts.length));
  const xTicks = ts.length ? timeTicks(ts[0], ts[ts.length - 1]).map((t) => t.value) : [];
  const colours = seriesColours(series.map((s) => s.id));
  const spec: ChartSpec = {
    points,
    series: series.map((s, i) => ({ key: s.key, name: s.name, colour: colours[i] })),
    yTicks: y.ticks.map((t) => t.value),
    yTop: y.top,
    xTicks,
    stepSeconds,
    daily: xTicks.length > 1 && xTicks[1] - xTicks[0] >= 23 * 3600,
    inProgress,
    label,
  };
  return (
    <figure className="chartfig" aria-label={label} data-testid="stacked-chart" data-in-progress={inProgress ?? undefined}>
      <p className="chart-unit" data-testid="chart-unit">
        Bytes per {bucketLabel(stepSeconds)}<span className="muted"> · each point sums {stepSeconds >= 86400 ? 'a local day' : bucketLabel(stepSeconds)} of traffic</span>
      </p>
      <div className={small ? 'chart small' : 'chart'}>
        {points.length > 0 && series.length > 0 ? (
          <ChartUpgrade spec={spec}>
            <ChartPoster spec={spec} />
          </ChartUpgrade>
        ) : (
          <ChartPoster spec={spec} />
        )}
      </div>
      <ChartTable spec={spec} />
      <figcaption className="legend">
        {spec.series.map((s) => (
          <span key={s.key}>
            <svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill={s.colour} /></svg>
            {s.name}
          </span>
        ))}
        {inProgress !== null && (
          <span className="muted" data-testid="in-progress-note">
            <svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" className="chart-progress" /></svg>
            last point ({pointLabel(inProgress, stepSeconds)}) still in progress
          </span>
        )}
      </figcaption>
    </figure>
  );
}
