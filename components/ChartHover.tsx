'use client';
import { useState, type KeyboardEvent, type PointerEvent } from 'react';
import { formatBytes } from '../lib/format';
import { xFraction } from './chart-geometry';

export interface ChartHoverProps {
  /** Accessible name of the chart. */
  label: string;
  ts: number[];
  /** values[series][point], bottom series first. */
  values: number[][];
  names: string[];
  colours: string[];
}

/**
 * ChartHover is the stacked chart's read-out: pointing at the plot (or focusing it and using the
 * arrow keys) shows each series' bytes at the nearest point. The chart itself is server-rendered SVG;
 * this overlay is the only part that needs script.
 */
export function ChartHover({ label, ts, values, names, colours }: ChartHoverProps) {
  const [at, setAt] = useState<number | null>(null);
  const n = ts.length;
  if (n === 0) return null;
  const nearest = (frac: number) => {
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(xFraction(ts, i) - frac) < Math.abs(xFraction(ts, best) - frac)) best = i;
    return best;
  };
  const onMove = (e: PointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    if (r.width > 0) setAt(nearest((e.clientX - r.left) / r.width));
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const step: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, Home: -n, End: n };
    if (e.key === 'Escape') return setAt(null);
    if (!(e.key in step)) return;
    e.preventDefault();
    setAt((cur) => Math.min(n - 1, Math.max(0, (cur ?? (step[e.key] > 0 ? -1 : n)) + step[e.key])));
  };
  const x = at === null ? 0 : xFraction(ts, at) * 100;
  const rows = at === null ? [] : names.map((name, s) => ({ name, colour: colours[s], v: values[s][at] ?? 0 })).filter((r) => r.v > 0).reverse();
  return (
    <div
      className="chart-hover"
      tabIndex={0}
      role="group"
      aria-label={`${label}: use the arrow keys to read each point`}
      onPointerMove={onMove}
      onPointerDown={onMove}
      // A tap leaves the read-out up (touch has no hover); a mouse leaving the plot clears it.
      onPointerLeave={(e) => e.pointerType !== 'touch' && setAt(null)}
      onBlur={() => setAt(null)}
      onKeyDown={onKey}
    >
      {at !== null && (
        <>
          <div className="chart-cursor" style={{ left: `${x}%` }} />
          <div className={x > 50 ? 'chart-tip left' : 'chart-tip'} style={{ left: `${x}%` }} role="status">
            <div className="chart-tip-time">{new Date(ts[at] * 1000).toLocaleString()}</div>
            {rows.length === 0 && <div className="muted">No traffic</div>}
            {rows.map((r) => (
              <div key={r.name} className="chart-tip-row">
                <svg width="8" height="8" aria-hidden="true"><rect width="8" height="8" rx="2" fill={r.colour} /></svg>
                <span>{r.name}</span>
                <span className="num">{formatBytes(r.v)}</span>
              </div>
            ))}
          </div>
        </>
      )}
    </div>
  );
}
