/** Axis label formats shared by the server-drawn chart poster and the recharts chart that replaces it. */
import { formatBytes, formatDateTime, formatDay, formatTime, localDate } from '../lib/format';

/**
 * tickLabels prints the x ticks in the dashboard's one date and time format (lib/format): dates
 * when ticks are days apart; else times, with the date on the first tick and wherever a new local
 * day begins when the axis spans more than one day.
 */
export function tickLabels(ticks: number[], opts: { stepSeconds: number; daily: boolean }): string[] {
  if (opts.daily || opts.stepSeconds >= 86400) return ticks.map(formatDay);
  const multiDay = ticks.length > 1 && localDate(ticks[0]) !== localDate(ticks[ticks.length - 1]);
  return ticks.map((t, i) => (multiDay && (i === 0 || localDate(t) !== localDate(ticks[i - 1])) ? formatDateTime(t) : formatTime(t)));
}

/** tickLabel prints one x tick alone (no neighbours): a date when ticks are days apart, else a time. */
export function tickLabel(ts: number, opts: { stepSeconds: number; daily: boolean }): string {
  return tickLabels([ts], opts)[0];
}

/** pointLabel prints the span a chart point sums, for the tooltip and the data table: 'Sat 28 Nov, 14:00–14:10', 'Sat 28 Nov'. */
export function pointLabel(ts: number, stepSeconds: number): string {
  return stepSeconds >= 86400 ? formatDay(ts) : `${formatDateTime(ts)}–${formatTime(ts + stepSeconds)}`;
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
