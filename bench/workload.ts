/**
 * What a workload is to the harness: sizes from a scale, one measured run at a time (in a
 * fresh data folder), and the figures it reports, each with an optional ratio to a limit
 * measured in the same run and mode.
 */
import type { Durability, WeftClient } from '../src/index.js';
import type { ResolvedBenchOptions } from './options.js';

/** Where a workload runs: in this process (one mode at a time), or against a running daemon. */
export type Target = 'embedded' | 'daemon';

/** A figure of the `limits` workload, by key, and what to call it. */
export interface LimitRef {
  key: string;
  of: string;
}

/** A durability mode, or `daemon` (whatever the daemon was started with). */
export type Mode = Durability | 'daemon';

/** A line of points, e.g. activities/s over threads; lines sharing a `chart` are drawn together. */
export interface Series {
  chart: string;
  /** The chart's title. */
  title: string;
  name: string;
  x: string;
  y: string;
  points: Array<[x: number, y: number]>;
}

/** What one measured run answers. */
export interface RunOutput {
  /** Every figure of the run, by key (see {@link FigureSpec.key}). */
  values: Record<string, number>;
  /** One sample per operation (what an operation is: {@link Workload.latency}), ms. */
  latenciesMs?: number[];
  /** Work handed to weft and work it finished: the harness fails the run when they differ. */
  counts?: { submitted: number; completed: number };
  series?: Series[];
  /** The run measured its own peak RSS (a child process): the harness takes it over its own. */
  peakRssBytes?: number;
}

export type Better = 'higher' | 'lower' | 'none';

/** How one figure is shown and compared. */
export interface FigureSpec {
  key: string;
  label: string;
  unit: string;
  /** Which way is an improvement, for `--compare`; `none` is never a regression. */
  better: Better;
  /** The figure as a fraction of a limit measured in the same run and mode. */
  ratio?: {
    /** What it is a fraction of, e.g. 'no-op Piscina tasks/s'. */
    of: string;
    /** The ratio, from this workload's medians and the limits' (undefined when a value is missing). */
    value: (own: Record<string, number>, limits: Record<string, number>) => number | undefined;
  };
  /** The target, judged on the median (meaningful at `--scale 1`). */
  target?: (value: number, mode: Mode, ratio: number | undefined) => { label: string; met: boolean } | undefined;
}

/** What a run may use: a fresh data folder per runtime, the resolved options, a progress line. */
export interface RunContext {
  mode: Durability;
  options: ResolvedBenchOptions;
  /** A new empty folder inside this run's folder (removed after the run). */
  dataDir(): string;
  /** Shown beside the progress bar, e.g. 'threads 2'. */
  progress(text: string): void;
}

export interface RemoteContext {
  client: WeftClient;
  options: ResolvedBenchOptions;
  progress(text: string): void;
}

/**
 * A benchmark workload. `S` is its sizes (operation counts at a scale).
 *
 * @example
 * const w: Workload<{ n: number }> = { name: 'x', sizes: (s) => ({ n: scaled(100, s, 10) }),
 *   figures: () => [{ key: 'opsPerSec', label: 'ops', unit: 'ops/s', better: 'higher' }],
 *   run: async (ctx, { n }) => ({ values: { opsPerSec: n } }) };
 */
export interface Workload<S extends object = object> {
  /** As in bench/catalog.ts, which also describes it. */
  name: string;
  sizes(options: ResolvedBenchOptions): S;
  /** The figures, in table order (latency percentiles and peak RSS are added by the harness). */
  figures(sizes: S, target: Target, options: ResolvedBenchOptions): FigureSpec[];
  /**
   * What one latency sample is, when the run gives samples; the harness adds p50/p95/p99
   * figures, each with a ratio `limit ÷ figure` when a limit (a key of the limits' figures) is named.
   */
  latency?: { of: string; remoteOf?: string; limit?: LimitRef; remoteLimit?: LimitRef };
  /** Its ratios use the `limits` workload's figures: `limits` runs first, in each mode. */
  usesLimits?: boolean;
  /**
   * `single`: one run, no warm-up, whatever `--runs` says (soak). `self`: no harness
   * warm-up, the run warms itself (W8's child processes start cold anyway).
   */
  runs?: 'single' | 'self';
  run?(ctx: RunContext, sizes: S): Promise<RunOutput>;
  /** The same workload through the HTTP API (`--url`); absent: in-process only. */
  remote?(ctx: RemoteContext, sizes: S): Promise<RunOutput>;
  /** Printed under the summary table. */
  notes?: string[];
}

/** `base × scale`, rounded, and never under `floor`. */
export function scaled(base: number, scale: number, floor: number): number {
  return Math.max(floor, Math.round(base * scale));
}
