'use client';
import type { TooltipContentProps } from 'recharts';
import { formatBytes } from '../lib/format';
import { pointLabel } from './chart-format';

/** ChartTip is the stacked chart's tooltip: the point's time, then each series with bytes, top of the stack first. */
export function ChartTip({ active, payload, label, inProgress, stepSeconds }: TooltipContentProps & { inProgress: number | null; stepSeconds: number }) {
  if (!active || !payload?.length) return null;
  const rows = payload.filter((p) => Number(p.value) > 0).reverse();
  return (
    <div className="chart-tip" role="status">
      <div className="chart-tip-time">
        {pointLabel(Number(label), stepSeconds)}
        {Number(label) === inProgress && ' (in progress)'}
      </div>
      {rows.length === 0 && <div className="muted">No traffic</div>}
      {rows.map((r) => (
        <div key={String(r.dataKey)} className="chart-tip-row">
          <svg width="8" height="8" aria-hidden="true"><rect width="8" height="8" rx="2" fill={r.color} /></svg>
          <span>{r.name}</span>
          <span className="num">{formatBytes(Number(r.value))}</span>
        </div>
      ))}
    </div>
  );
}
