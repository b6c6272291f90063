/**
 * Output of the benchmarks: one JSON object per line on stdout (nothing else goes there), and
 * progress and diagnostics on stderr.
 */
export interface Metric {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  /** null: reported for information, no target */
  target: number | null;
  better: 'lower' | 'higher';
}

/** Rounds to `digits` significant digits (integers >= 10^digits stay whole). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return Number(value.toFixed(Math.min(decimals, 12)));
}

/** Writes one metric line; `digits` significant digits (an agreement of 0.99999 must not read 1). */
export function emit(metric: Metric, digits = 3): void {
  process.stdout.write(`${JSON.stringify({ ...metric, value: round(metric.value, digits) })}\n`);
}

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Seconds since `start` (a process.hrtime.bigint() reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
