/** The plain, serialisable description of a stacked chart that both of its renderings draw from. */

export interface ChartSeries {
  key: string;
  name: string;
  colour: string;
}

export interface ChartSpec {
  /** One object per point: `ts` (seconds) and a number per series key. */
  points: Array<Record<string, number>>;
  /** Bottom of the stack first. */
  series: ChartSeries[];
  /** Round y values from 0 and the scale top they imply (byteTicks). */
  yTicks: number[];
  yTop: number;
  /** x tick times (timeTicks) and how to print them (tickLabel). */
  xTicks: number[];
  stepSeconds: number;
  daily: boolean;
  /** Time of the last point when its bucket holds now: drawn, and marked as still filling. */
  inProgress: number | null;
  /** Accessible name of the chart. */
  label: string;
}
