/** Summary statistics for benchmark samples: medians, tail percentiles and spread. */

export interface Summary {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  /** Interquartile range divided by the median: the run-to-run noise, as a fraction. */
  iqrRel: number;
}

/** percentile returns the q-quantile (0..1) of samples by linear interpolation; NaN when empty. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** median is the 0.5 quantile. */
export function median(samples: number[]): number {
  return percentile(samples, 0.5);
}

/** p95 is the 0.95 quantile. */
export function p95(samples: number[]): number {
  return percentile(samples, 0.95);
}

/** summarize reduces samples to median, p95, p99, range and relative IQR. */
export function summarize(samples: number[]): Summary {
  const m = median(samples);
  return {
    n: samples.length,
    median: m,
    p95: p95(samples),
    p99: percentile(samples, 0.99),
    min: samples.length ? Math.min(...samples) : NaN,
    max: samples.length ? Math.max(...samples) : NaN,
    iqrRel: m ? (percentile(samples, 0.75) - percentile(samples, 0.25)) / m : NaN,
  };
}

export interface RatioSummary {
  /** Median over trials of candidate ÷ baseline, each trial paired with the baseline run next to it. */
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * pairedRatios divides each candidate trial by the baseline trial of the same round, so
 * slow drifts of a noisy machine cancel; the median of those ratios is the figure.
 */
export function pairedRatios(baseline: number[], candidate: number[]): RatioSummary {
  const n = Math.min(baseline.length, candidate.length);
  const r: number[] = [];
  for (let i = 0; i < n; i++) if (baseline[i] > 0) r.push(candidate[i] / baseline[i]);
  return { median: median(r), min: r.length ? Math.min(...r) : NaN, max: r.length ? Math.max(...r) : NaN, n: r.length };
}

/** round keeps `digits` significant decimals for reports (JSON keeps full precision elsewhere). */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** timeMs runs fn and returns its wall time in milliseconds with its result. */
export async function timeMs<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}
