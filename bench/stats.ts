/** Small statistics for benchmark figures. */
export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo);
}

/** Formats a rate or latency with thousands separators and sensible precision. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A histogram: `counts[i]` samples fell in [bounds[i], bounds[i+1]) (the last bin includes its upper bound). */
export interface Histogram {
  bounds: number[];
  counts: number[];
}

/**
 * Log-spaced bins from the smallest to the largest sample: latencies span orders of
 * magnitude, and equal-width bins would put nearly everything in the first one.
 */
export function histogram(samples: readonly number[], bins = 24): Histogram {
  const xs = samples.filter((x) => Number.isFinite(x) && x >= 0);
  if (xs.length === 0) return { bounds: [], counts: [] };
  const lo = Math.max(1e-3, Math.min(...xs));
  const hi = Math.max(lo * 1.001, Math.max(...xs));
  const step = Math.log(hi / lo) / bins;
  const bounds = Array.from({ length: bins + 1 }, (_, i) => lo * Math.exp(step * i));
  bounds[bins] = hi;
  const counts = new Array<number>(bins).fill(0);
  for (const x of xs) {
    const i = x <= lo ? 0 : Math.min(bins - 1, Math.floor(Math.log(x / lo) / step));
    counts[i] = (counts[i] as number) + 1;
  }
  return { bounds, counts };
}

/** Least-squares fit y = intercept + slope·x. */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): { slope: number; intercept: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.[1] ?? 0 };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** At most `max` samples, evenly strided, so a report stays small. */
export function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs];
  const step = xs.length / max;
  return Array.from({ length: max }, (_, i) => xs[Math.floor(i * step)] as T);
}

/**
 * A uniform sample of at most `size` values from a stream of any length, in fixed memory
 * (the soak must not grow its own heap); deterministic, so runs are comparable.
 */
export class Reservoir {
  readonly #values: Float64Array;
  #seen = 0;
  #seed = 1;

  constructor(size: number) {
    this.#values = new Float64Array(size);
  }

  add(x: number): void {
    const size = this.#values.length;
    if (this.#seen < size) this.#values[this.#seen] = x;
    else {
      const j = Math.floor(this.#random() * (this.#seen + 1));
      if (j < size) this.#values[j] = x;
    }
    this.#seen++;
  }

  values(): number[] {
    return Array.from(this.#values.subarray(0, Math.min(this.#seen, this.#values.length)));
  }

  /** xorshift32: enough for sampling, and the same every run. */
  #random(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed / 4_294_967_296;
  }
}
