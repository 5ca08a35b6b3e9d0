/**
 * Runs one workload in one mode: a warm-up run, then the measured runs, each in a fresh
 * data folder with its peak RSS sampled; answers the medians, each beside its ratio to a
 * limit measured in the same run and mode.
 */
import { PolledPeak, RssSampler } from './memory.js';
import type { ResolvedBenchOptions } from './options.js';
import type { Progress } from './progress.js';
import { runFolder } from './fixtures.js';
import { histogram, median, percentile, thin, type Histogram } from './stats.js';
import type { Better, FigureSpec, Mode, RunContext, RunOutput, Series, Target, Workload } from './workload.js';

export interface FigureResult {
  key: string;
  label: string;
  unit: string;
  better: Better;
  /** The median over the measured runs. */
  value: number;
  /** Every measured run's value. */
  runs: number[];
  /** The fraction of the limit's speed (throughput ÷ limit; for times, limit ÷ time). */
  ratio?: number;
  /** What the ratio is a fraction of. */
  ratioOf?: string;
  target?: { label: string; met: boolean };
}

export interface WorkloadResult {
  workload: string;
  mode: Mode;
  target: Target;
  sizes: object;
  /** Measured runs (the warm-up not counted). */
  runs: number;
  /** Wall time of the warm-up and every run, seconds. */
  seconds: number;
  figures: FigureResult[];
  /** The latency samples of every measured run, binned. */
  latency?: { of: string; samples: number; histogram: Histogram };
  /** Summed over the measured runs. */
  counts?: { submitted: number; completed: number };
  /** Each point the median of the runs. */
  series?: Series[];
}

/** A run that lost work: what it handed to weft and what came back differ. */
export class InconsistentRunError extends Error {
  override name = 'InconsistentRunError';
}

export interface Measurement<S extends object> {
  workload: Workload<S>;
  sizes: S;
  mode: Mode;
  target: Target;
  options: ResolvedBenchOptions;
  /** The limits' medians in this mode (empty if none were measured). */
  limits: Record<string, number>;
  progress: Progress;
  /** One run, given its context. */
  exec: (ctx: RunContext) => Promise<RunOutput>;
  /** Where the work runs in another process (a daemon): its RSS, for the peak. Default: this process's. */
  rssOf?: () => Promise<number>;
}

/** How many runs a workload gets: [warm-up runs, measured runs]. */
export function runsOf(workload: Workload, options: ResolvedBenchOptions): [number, number] {
  if (workload.runs === 'single') return [0, 1];
  return [options.warmUp && workload.runs !== 'self' ? 1 : 0, options.runs];
}

export async function measure<S extends object>(m: Measurement<S>): Promise<WorkloadResult> {
  const { workload, mode, options, progress } = m;
  const [warmUps, runs] = runsOf(workload, options);
  const began = performance.now();
  const outputs: RunOutput[] = [];
  const peaks: number[] = [];
  for (let r = 1 - warmUps; r <= runs; r++) {
    const label = `${workload.name} ${mode}: ${r < 1 ? 'warm-up' : `run ${r}/${runs}`}`;
    progress.begin(label);
    const folder = runFolder();
    const sampler = m.rssOf ? new PolledPeak(m.rssOf) : new RssSampler();
    let out: RunOutput;
    try {
      out = await m.exec({
        // A daemon run takes the daemon's mode; its context's mode is never read.
        mode: mode === 'daemon' ? 'fsync' : mode,
        options,
        dataDir: folder.dataDir,
        progress: (text) => progress.detail(text),
      });
    } finally {
      peaks.push(await sampler.stop());
      folder.remove();
    }
    if (out.peakRssBytes !== undefined) peaks[peaks.length - 1] = out.peakRssBytes;
    if (out.counts && out.counts.completed !== out.counts.submitted)
      throw new InconsistentRunError(`${label}: submitted ${out.counts.submitted}, completed ${out.counts.completed}`);
    progress.done();
    if (r >= 1) outputs.push(out);
  }
  return summarise(m, outputs, peaks.slice(-runs), (performance.now() - began) / 1000);
}

function summarise<S extends object>(
  m: Measurement<S>,
  outputs: RunOutput[],
  peaks: number[],
  seconds: number,
): WorkloadResult {
  const { workload } = m;
  const specs = [...workload.figures(m.sizes, m.target, m.options), ...latencySpecs(workload, m.target)];
  const values = (key: string): number[] =>
    outputs.map((o) => o.values[key]).filter((v): v is number => typeof v === 'number');
  for (const o of outputs) addPercentiles(o);
  const medians: Record<string, number> = {};
  for (const spec of specs) {
    const xs = values(spec.key);
    if (xs.length > 0) medians[spec.key] = median(xs);
  }
  const figures: FigureResult[] = specs
    .filter((spec) => medians[spec.key] !== undefined)
    .map((spec) => figure(spec, medians, values(spec.key), m.limits, m.mode));
  figures.push({
    key: 'peakRssBytes',
    label: m.target === 'daemon' ? "the daemon's peak RSS (its /metrics)" : 'peak RSS',
    unit: 'bytes',
    better: 'lower',
    value: median(peaks),
    runs: peaks,
  });
  const samples = outputs.flatMap((o) => o.latenciesMs ?? []);
  const counts = outputs.reduce<WorkloadResult['counts']>(
    (sum, o) =>
      o.counts
        ? {
            submitted: (sum?.submitted ?? 0) + o.counts.submitted,
            completed: (sum?.completed ?? 0) + o.counts.completed,
          }
        : sum,
    undefined,
  );
  const series = mergeSeries(outputs.flatMap((o) => o.series ?? []));
  return {
    workload: workload.name,
    mode: m.mode,
    target: m.target,
    sizes: m.sizes,
    runs: outputs.length,
    seconds,
    figures,
    ...(samples.length > 0 &&
      workload.latency && {
        latency: {
          of: latencyOf(workload, m.target),
          samples: samples.length,
          histogram: histogram(thin(samples, 50_000)),
        },
      }),
    ...(counts && { counts }),
    ...(series.length > 0 && { series }),
  };
}

function figure(
  spec: FigureSpec,
  medians: Record<string, number>,
  runs: number[],
  limits: Record<string, number>,
  mode: Mode,
): FigureResult {
  const value = medians[spec.key] as number;
  const ratio = spec.ratio?.value(medians, limits);
  const target = spec.target?.(value, mode, ratio);
  return {
    key: spec.key,
    label: spec.label,
    unit: spec.unit,
    better: spec.better,
    value,
    runs,
    ...(ratio !== undefined && Number.isFinite(ratio) && { ratio, ratioOf: spec.ratio?.of }),
    ...(target && { target }),
  };
}

const PERCENTILES = [50, 95, 99] as const;

function latencyOf(workload: Workload, target: Target): string {
  const latency = workload.latency!;
  return target === 'daemon' ? (latency.remoteOf ?? latency.of) : latency.of;
}

/** The latency figures every workload with samples gets. */
function latencySpecs(workload: Workload, target: Target): FigureSpec[] {
  const latency = workload.latency;
  if (!latency) return [];
  const limit = target === 'daemon' ? latency.remoteLimit : latency.limit;
  return PERCENTILES.map((p) => ({
    key: `latencyP${p}Ms`,
    label: `latency p${p}: ${latencyOf(workload, target)}`,
    unit: 'ms',
    better: 'lower' as const,
    ...(limit && {
      ratio: {
        of: limit.of,
        value: (own: Record<string, number>, limits: Record<string, number>) => {
          const l = limits[limit.key];
          const v = own[`latencyP${p}Ms`];
          return l === undefined || v === undefined || v === 0 ? undefined : l / v;
        },
      },
    }),
  }));
}

/** Each run's own percentiles, so that the reported one is the median of the runs'. */
function addPercentiles(out: RunOutput): void {
  if (!out.latenciesMs || out.latenciesMs.length === 0) return;
  for (const p of PERCENTILES) out.values[`latencyP${p}Ms`] ??= percentile(out.latenciesMs, p);
}

/** One line per chart and name; each x the median of the runs' y. */
function mergeSeries(all: Series[]): Series[] {
  const byLine = new Map<string, Series[]>();
  for (const s of all) {
    const key = `${s.chart}\u0000${s.name}`;
    byLine.set(key, [...(byLine.get(key) ?? []), s]);
  }
  return [...byLine.values()].map((lines) => {
    const first = lines[0] as Series;
    const ys = new Map<number, number[]>();
    for (const line of lines) for (const [x, y] of line.points) ys.set(x, [...(ys.get(x) ?? []), y]);
    return { ...first, points: [...ys.entries()].sort((a, b) => a[0] - b[0]).map(([x, y]) => [x, median(y)]) };
  });
}
