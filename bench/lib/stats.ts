/**
 * What every benchmark prints and computes the same way: one JSON object per line on stdout
 * (tagged with the benchmark's name), progress on stderr, medians and nearest-rank percentiles.
 * Not a benchmark itself (scripts/bench.mjs lists only the files directly under bench/).
 */

export function emitter(bench: string): (record: Record<string, unknown>) => void {
  return (record) => {
    process.stdout.write(`${JSON.stringify({ bench, ...record })}\n`);
  };
}

export function progressReporter(bench: string): (message: string) => void {
  return (message) => {
    process.stderr.write(`[bench ${bench}] ${message}\n`);
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
export const round2 = (n: number) => Math.round(n * 100) / 100;
export const round3 = (n: number) => Math.round(n * 1000) / 1000;
export const round4 = (n: number) => Math.round(n * 10000) / 10000;
export const now = () => performance.now();
