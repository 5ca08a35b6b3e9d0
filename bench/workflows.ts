import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import { Runtime, type Durability } from '../src/index.js';
import { hashRounds } from './activities/cpu.js';
import { freshDir } from './fixtures.js';
import { piscinaCpu, piscinaLimit } from './piscina-limit.js';
import { percentile } from './stats.js';
import { BENCH_WORKFLOWS, chain, cpuFanOut, fanOut, one } from './workflows/bench.js';

/**
 * The workflow benchmark (issue 3): durable executions against the raw Piscina no-op rate
 * measured in the same run. Each workload gets a fresh runtime and data folder, warmed up
 * (threads started, code compiled) before it is timed.
 */
export interface WorkflowFigures {
  /** Raw Piscina, no-op tasks submitted at once, tasks/s (the limit). */
  noopTasksPerSec: number;
  /** Raw Piscina, one no-op awaited at a time, median ms. */
  noopLatencyMs: number;
  /** W1: one-activity workflows submitted at once, workflows/s from first start to last result. */
  w1WorkflowsPerSec: number;
  /** W2: workflows of 10 sequential activities, all at once: activity steps/s. */
  w2StepsPerSec: number;
  w2WorkflowsPerSec: number;
  /** W3: one workflow fanning out no-op activities: activities/s. */
  w3ActivitiesPerSec: number;
  /** One CPU-bound activity run on the main thread, ms (the fastest of 5). */
  cpuTaskMs: number;
  /** The W4 limit: raw Piscina running the same CPU-bound tasks, all at once, on 1 thread and on every core: tasks/s. */
  rawCpuOneThreadPerSec: number;
  rawCpuAllThreadsPerSec: number;
  rawCpuSpeedUp: number;
  /** W4: CPU-bound activities in one fan-out workflow on 1 thread and on every core: activities/s. */
  w4OneThreadPerSec: number;
  w4AllThreadsPerSec: number;
  /** W4 all threads ÷ 1 thread. */
  w4SpeedUp: number;
  /** One-activity workflow started and awaited, one after another: ms. */
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface WorkflowSizes {
  /** Raw Piscina no-op tasks submitted at once. */
  limitTasks: number;
  w1Workflows: number;
  w2Workflows: number;
  /** Sequential activities per W2 workflow (not scaled). */
  w2Steps: number;
  w3Activities: number;
  w4Activities: number;
  latencySamples: number;
}

export const DEFAULT_SIZES: WorkflowSizes = {
  limitTasks: 20_000,
  w1Workflows: 5_000,
  w2Workflows: 500,
  w2Steps: 10,
  w3Activities: 5_000,
  w4Activities: 40,
  latencySamples: 300,
};

const MIN_SIZES: Omit<WorkflowSizes, 'w2Steps'> = {
  limitTasks: 1_000,
  w1Workflows: 100,
  w2Workflows: 20,
  w3Activities: 100,
  w4Activities: 8,
  latencySamples: 30,
};

/** Every count times `scale`, down to a floor that still measures something (steps per W2 workflow stay 10). */
export function scaledSizes(scale: number): WorkflowSizes {
  const sizes = { ...DEFAULT_SIZES };
  for (const k of Object.keys(sizes) as Array<keyof WorkflowSizes>)
    if (k !== 'w2Steps') sizes[k] = Math.max(MIN_SIZES[k], Math.round(DEFAULT_SIZES[k] * scale));
  return sizes;
}

export const CORES = availableParallelism();
/** Target work of one CPU-bound activity. */
export const CPU_TASK_MS = 20;

const ACTIVITIES = ['noop', 'increment', 'cpu'].map((m) => new URL(`./activities/${m}.js`, import.meta.url));

async function withWeft<T>(
  durability: Durability,
  threads: number,
  fn: (rt: Runtime) => Promise<T>,
  warmUp: (rt: Runtime) => Promise<unknown> = (rt) => elapsed(rt, fanOut, 256),
): Promise<T> {
  const { dir, remove } = freshDir();
  const rt = await Runtime.open({
    dataDir: dir,
    durability,
    threads,
    workflows: BENCH_WORKFLOWS,
    activities: ACTIVITIES,
    logger: pino({ level: 'silent' }),
  });
  try {
    await warmUp(rt);
    return await fn(rt);
  } finally {
    await rt.close();
    remove();
  }
}

/** Runs one execution to its end; answers seconds from start to result, and checks the result. */
async function elapsed(rt: Runtime, wf: { name: string }, ...args: unknown[]): Promise<number> {
  const t = performance.now();
  const result = await (await rt.start(wf.name, ...args)).result();
  const seconds = (performance.now() - t) / 1000;
  if (typeof result !== 'number') throw new Error(`${wf.name} answered ${JSON.stringify(result)}`);
  return seconds;
}

/** Starts `n` executions at once; answers seconds from the first start to the last result. */
async function burst(n: number, start: (i: number) => Promise<number>): Promise<number> {
  const t = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => start(i)));
  return (performance.now() - t) / 1000;
}

function check(got: unknown, want: number): number {
  if (got !== want) throw new Error(`expected ${want}, got ${JSON.stringify(got)}`);
  return want;
}

export async function w1(durability: Durability, n: number): Promise<number> {
  return withWeft(durability, CORES, async (rt) => {
    const s = await burst(n, async (i) => check(await (await rt.start(one, i)).result(), i + 1));
    return n / s;
  });
}

export async function w2(durability: Durability, n: number, steps: number): Promise<number> {
  return withWeft(durability, CORES, async (rt) => {
    const s = await burst(n, async (i) => check(await (await rt.start(chain, i, steps)).result(), i + steps));
    return (n * steps) / s;
  });
}

export async function w3(durability: Durability, n: number): Promise<number> {
  return withWeft(durability, CORES, async (rt) => n / (await elapsed(rt, fanOut, n)));
}

/** Calibrated once per process: `hashRounds` rounds for about {@link CPU_TASK_MS}. */
let rounds: number | undefined;

/**
 * Times `hashRounds(r)` on this thread: the fastest of 5, ms. The fastest, not the median:
 * on a shared machine a slow run measures the neighbours, and a calibration from it would
 * shrink the work.
 */
function cpuTaskMs(r: number): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    hashRounds(r);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

export function calibrateCpu(): number {
  if (rounds === undefined) {
    hashRounds(20_000); // compile
    let r = 5_000;
    for (let i = 0; i < 3; i++) r = Math.max(100, Math.round((r * CPU_TASK_MS) / cpuTaskMs(r)));
    rounds = r;
  }
  return rounds;
}

export async function w4(durability: Durability, n: number, threads: number): Promise<number> {
  const r = calibrateCpu();
  return withWeft(
    durability,
    threads,
    async (rt) => n / (await elapsed(rt, cpuFanOut, n, r)),
    // Every thread started and hashRounds compiled in each.
    (rt) => elapsed(rt, cpuFanOut, threads * 4, Math.ceil(r / 20)),
  );
}

export async function latency(durability: Durability, samples: number): Promise<{ p50: number; p99: number }> {
  return withWeft(durability, CORES, async (rt) => {
    for (let i = 0; i < 20; i++) await elapsed(rt, one, i); // warm the one-at-a-time path
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push((await elapsed(rt, one, i)) * 1000);
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  });
}

export async function workflowsRun(durability: Durability, sizes: WorkflowSizes): Promise<WorkflowFigures> {
  const limit = await piscinaLimit(sizes.limitTasks, Math.max(100, sizes.latencySamples));
  const w1WorkflowsPerSec = await w1(durability, sizes.w1Workflows);
  const w2StepsPerSec = await w2(durability, sizes.w2Workflows, sizes.w2Steps);
  const w3ActivitiesPerSec = await w3(durability, sizes.w3Activities);
  // Each weft figure right after its raw one, so both see the same neighbours on a shared machine.
  const rounds = calibrateCpu();
  const rawCpuOneThreadPerSec = await piscinaCpu(1, sizes.w4Activities, rounds);
  const w4OneThreadPerSec = await w4(durability, sizes.w4Activities, 1);
  const rawCpuAllThreadsPerSec = await piscinaCpu(CORES, sizes.w4Activities, rounds);
  const w4AllThreadsPerSec = await w4(durability, sizes.w4Activities, CORES);
  const { p50, p99 } = await latency(durability, sizes.latencySamples);
  return {
    ...limit,
    w1WorkflowsPerSec,
    w2StepsPerSec,
    w2WorkflowsPerSec: w2StepsPerSec / sizes.w2Steps,
    w3ActivitiesPerSec,
    cpuTaskMs: cpuTaskMs(rounds),
    rawCpuOneThreadPerSec,
    rawCpuAllThreadsPerSec,
    rawCpuSpeedUp: rawCpuAllThreadsPerSec / rawCpuOneThreadPerSec,
    w4OneThreadPerSec,
    w4AllThreadsPerSec,
    w4SpeedUp: w4AllThreadsPerSec / w4OneThreadPerSec,
    latencyP50Ms: p50,
    latencyP99Ms: p99,
  };
}
