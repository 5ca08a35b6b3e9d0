import type { ExecutionStatus } from '../actors/execution/history.js';

/** A histogram as counted: `counts[i]` values fell in (bounds[i-1], bounds[i]]; the last count is above every bound. */
export interface Histogram {
  bounds: readonly number[];
  counts: number[];
  sum: number;
  count: number;
}

/** What `Runtime.metrics()` answers: cheap to take (everything is counted as it happens), safe to poll. */
export interface RuntimeMetrics {
  /** Executions in the store by status (final ones included, since the store was created). */
  executions: Record<ExecutionStatus, number>;
  /** Executions waiting on signals with no actor in memory (see `dormantAfterMs`). */
  dormant: number;
  /** Activity attempt latency in seconds, from dispatch to answer, per activity, task list and outcome. */
  activities: Array<{ activity: string; taskList: string; ok: boolean; latency: Histogram }>;
  /** Each task list's thread pool. `utilization` is Piscina's: the share of time threads spent running tasks. */
  pools: Array<{ taskList: string; threads: number; utilization: number; queueSize: number; completed: number }>;
  /** Group commits: how many, how many writes, the largest, and the distribution of their sizes in writes. */
  journal: { batches: number; ops: number; maxBatch: number; batchSize: Histogram };
}

/** Seconds: from a millisecond no-op to a five-minute report. */
export const LATENCY_BOUNDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];
/** Writes per group commit. */
export const BATCH_BOUNDS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/** Counts values into fixed buckets; observing is a short scan, no allocation. */
export class HistogramRecorder {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.#bounds.length && value > (this.#bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#sum += value;
    this.#count++;
  }

  snapshot(): Histogram {
    return { bounds: this.#bounds, counts: [...this.#counts], sum: this.#sum, count: this.#count };
  }
}
