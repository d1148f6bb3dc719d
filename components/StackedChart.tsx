'use client';
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatBytes } from '../lib/format';
import { seriesColour } from './palette';

export interface StackedChartProps {
  points: Array<Record<string, number>>;
  series: Array<{ key: string; name: string }>;
  stepSeconds: number;
  /** Accessible name of the chart. */
  label: string;
  small?: boolean;
}

function tickFormatter(stepSeconds: number) {
  return (ts: number) => {
    const d = new Date(ts * 1000);
    if (stepSeconds >= 86400) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
    if (stepSeconds >= 3600) return d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
    return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  };
}

/** StackedChart draws bytes per bucket as stacked areas, one per series, with a legend. */
export function StackedChart({ points, series, stepSeconds, label, small }: StackedChartProps) {
  const tick = tickFormatter(stepSeconds);
  return (
    <figure className="chartfig" aria-label={label} data-testid="stacked-chart">
      <div className={small ? 'chart small' : 'chart'}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} />
          <XAxis dataKey="ts" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={tick} minTickGap={40} stroke="currentColor" />
          <YAxis tickFormatter={(v: number) => formatBytes(v)} width={72} stroke="currentColor" />
          <Tooltip
            labelFormatter={(ts) => new Date(Number(ts) * 1000).toLocaleString()}
            formatter={(v) => formatBytes(Number(v))}
          />
          {series.map((s, i) => (
            <Area
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stackId="1"
              type="monotone"
              stroke={seriesColour(s.key, i)}
              fill={seriesColour(s.key, i)}
              fillOpacity={0.55}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
      </div>
      <figcaption className="legend">
        {series.map((s, i) => (
          <span key={s.key}>
            <svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill={seriesColour(s.key, i)} /></svg>
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
