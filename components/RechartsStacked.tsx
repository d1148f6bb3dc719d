'use client';
import { Area, AreaChart, CartesianGrid, ReferenceArea, Tooltip, XAxis, YAxis, type XAxisTickContentProps } from 'recharts';
import { byteLabel, tickLabels } from './chart-format';
import type { ChartSpec } from './chart-props';
import { ChartTip } from './ChartTip';

/**
 * RechartsStacked is the interactive stacked chart: the poster's scales, ticks, colours and straight
 * segments, so the swap does not move the shapes or the labels, plus recharts' tooltip and keyboard
 * layer (focus the chart, then ← →). Loaded only after hydration, by ChartUpgrade.
 */
export function RechartsStacked({ spec }: { spec: ChartSpec }) {
  const { points, series, yTicks, yTop, xTicks, label } = spec;
  const t0 = points[0].ts;
  const span = points[points.length - 1].ts - t0;
  const labels = tickLabels(xTicks, spec);
  // Placed like the poster's HTML labels: every other one is "minor" (hidden on narrow screens), the last right-aligned.
  const xTick = ({ x, y, payload, index }: XAxisTickContentProps) => {
    const at = span > 0 ? (Number(payload.value) - t0) / span : 0.5;
    return (
      <text x={x} y={y} dy="0.71em" textAnchor={at > 0.9 ? 'end' : 'middle'} className={`recharts-cartesian-axis-tick-value${index % 2 ? ' minor' : ''}`}>
        {labels[index] ?? ''}
      </text>
    );
  };
  return (
    <AreaChart responsive style={{ width: '100%', height: '100%' }} data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer aria-label={`${label}: use the arrow keys to read each point`}>
      <CartesianGrid vertical={false} />
      <XAxis dataKey="ts" type="number" domain={['dataMin', 'dataMax']} ticks={xTicks} interval={0} tick={xTick} height={24} axisLine={false} tickLine={false} />
      <YAxis type="number" domain={[0, yTop]} ticks={yTicks} interval={0} tickFormatter={byteLabel} width={72} axisLine={false} tickLine={false} />
      {spec.inProgress !== null && points.length > 1 && (
        <ReferenceArea x1={points[points.length - 2].ts} x2={spec.inProgress} fill="currentColor" fillOpacity={0.12} ifOverflow="hidden" />
      )}
      <Tooltip content={(p) => <ChartTip {...p} inProgress={spec.inProgress} stepSeconds={spec.stepSeconds} />} isAnimationActive={false} />
      {series.map((s) => (
        <Area key={s.key} dataKey={s.key} name={s.name} stackId="1" type="linear" stroke={s.colour} strokeWidth={1.5} fill={s.colour} fillOpacity={0.55} isAnimationActive={false} />
      ))}
    </AreaChart>
  );
}
