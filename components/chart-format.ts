/** Axis label formats shared by the server-drawn chart poster and the recharts chart that replaces it. */
import { formatBytes } from '../lib/format';

/** tickLabel prints an x tick: a date when ticks are days apart, else a time (with the weekday when points are hours apart). */
export function tickLabel(ts: number, opts: { stepSeconds: number; daily: boolean }): string {
  const d = new Date(ts * 1000);
  if (opts.daily || opts.stepSeconds >= 86400) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  if (opts.stepSeconds >= 3600) return d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** byteLabel prints a y-axis value without trailing zeros: "2 GiB", "2.5 GiB". */
export function byteLabel(v: number): string {
  return formatBytes(v).replace(/(\.\d*?)0+ /, '$1 ').replace('. ', ' ');
}

/** bucketLabel names the span one chart point sums: "10 s", "10 min", "2 hours", "day". */
export function bucketLabel(stepSeconds: number): string {
  if (stepSeconds >= 86400) return stepSeconds === 86400 ? 'day' : `${Math.round(stepSeconds / 86400)} days`;
  if (stepSeconds >= 3600) return stepSeconds === 3600 ? 'hour' : `${Math.round(stepSeconds / 3600)} hours`;
  if (stepSeconds >= 60) return `${Math.round(stepSeconds / 60)} min`;
  return `${stepSeconds} s`;
}
