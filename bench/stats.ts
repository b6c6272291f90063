/** Order statistics of timing samples. */

/** Sorts in place (numeric) and returns the same array. */
export function sortSamples(samples: Float64Array): Float64Array {
  return samples.sort();
}

/** Nearest-rank percentile (0 < p <= 100) of samples already sorted ascending. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[] | Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Percentiles of samples (sorted in place as a side effect). */
export function summarize(samples: Float64Array): Summary {
  const sorted = sortSamples(samples);
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
    mean: sorted.length === 0 ? NaN : sum / sorted.length,
  };
}

/**
 * The cost of reading the timer itself: the median of many differences between two consecutive
 * process.hrtime.bigint() calls, in ns. Every per-call timing below includes it once.
 */
export function timerOverheadNs(samples = 200_000): number {
  const d = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    d[i] = Number(t1 - t0);
  }
  return median(d);
}
