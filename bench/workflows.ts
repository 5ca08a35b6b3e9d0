import type { Durability, Runtime } from '../src/index.js';
import { hashRounds } from './activities/cpu.js';
import { openRuntime } from './fixtures.js';
import { chain, cpuFanOut, fanOut, one } from './workflows/bench.js';

/**
 * Measurements of durable executions (issue 3), used by the W1-W4 workloads. Each opens a
 * runtime on a fresh data folder and warms it up (threads started, code compiled) before
 * it is timed.
 */
interface Ctx {
  mode: Durability;
  dataDir(): string;
}

/** Target work of one CPU-bound activity. */
export const CPU_TASK_MS = 20;

/** Runs `fn` on a runtime with `threads` threads in a fresh folder, after `warmUp` (a 256-activity fan-out). */
export async function withWeft<T>(
  ctx: Ctx,
  threads: number,
  fn: (rt: Runtime) => Promise<T>,
  warmUp: (rt: Runtime) => Promise<unknown> = (rt) => elapsed(rt, fanOut, 256),
): Promise<T> {
  const rt = await openRuntime(ctx.dataDir(), ctx.mode, { threads });
  try {
    await warmUp(rt);
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Runs one execution to its end; answers seconds from start to result, and checks the result. */
export async function elapsed(rt: Runtime, wf: { name: string }, ...args: unknown[]): Promise<number> {
  const t = performance.now();
  const result = await (await rt.start(wf.name, ...args)).result();
  const seconds = (performance.now() - t) / 1000;
  if (typeof result !== 'number') throw new Error(`${wf.name} answered ${JSON.stringify(result)}`);
  return seconds;
}

/** A rate, and how many of the operations finished as expected. */
export interface Measured {
  perSec: number;
  completed: number;
}

/** Starts `n` executions at once; answers seconds from the first start to the last result, and how many answered right. */
async function burst(
  n: number,
  start: (i: number) => Promise<number>,
): Promise<{ seconds: number; completed: number }> {
  const t = performance.now();
  let completed = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await start(i);
      completed++;
    }),
  );
  return { seconds: (performance.now() - t) / 1000, completed };
}

function check(got: unknown, want: number): number {
  if (got !== want) throw new Error(`expected ${want}, got ${JSON.stringify(got)}`);
  return want;
}

/** W1: `n` one-activity workflows at once: workflows/s from the first start to the last result. */
export async function w1(ctx: Ctx, threads: number, n: number): Promise<Measured> {
  return withWeft(ctx, threads, async (rt) => {
    const { seconds, completed } = await burst(n, async (i) => check(await (await rt.start(one, i)).result(), i + 1));
    return { perSec: n / seconds, completed };
  });
}

/** W2: `n` workflows of `steps` sequential activities at once: steps/s. */
export async function w2(ctx: Ctx, threads: number, n: number, steps: number): Promise<Measured> {
  return withWeft(ctx, threads, async (rt) => {
    const { seconds, completed } = await burst(n, async (i) =>
      check(await (await rt.start(chain, i, steps)).result(), i + steps),
    );
    return { perSec: (n * steps) / seconds, completed };
  });
}

/**
 * W3: one workflow fanning out `n` no-op activities: activities/s; `completed` counts the
 * activity steps its history shows completed. With `latenciesMs`, each activity's time from
 * scheduled to completed (from the history, ms resolution) is pushed onto it.
 */
export async function w3(ctx: Ctx, threads: number, n: number, latenciesMs?: number[]): Promise<Measured> {
  return withWeft(ctx, threads, async (rt) => {
    const t = performance.now();
    const handle = await rt.start(fanOut, n);
    check(await handle.result(), n);
    const perSec = n / ((performance.now() - t) / 1000);
    const done = (await handle.tasks()).filter((task) => task.state === 'completed');
    if (latenciesMs) for (const task of done) latenciesMs.push(task.endedAt!.getTime() - task.scheduledAt.getTime());
    return { perSec, completed: done.length };
  });
}

/** Calibrated once per process: `hashRounds` rounds for about {@link CPU_TASK_MS}. */
let rounds: number | undefined;

/**
 * Times `hashRounds(r)` on this thread: the fastest of 5, ms. The fastest, not the median:
 * on a shared machine a slow run measures the neighbours, and a calibration from it would
 * shrink the work.
 */
export function cpuTaskMs(r: number): number {
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

/** W4: `n` CPU-bound activities (`rounds` hash rounds each) in one fan-out on `threads` threads: activities/s. */
export async function w4(ctx: Ctx, threads: number, n: number, rounds: number): Promise<Measured> {
  return withWeft(
    ctx,
    threads,
    async (rt) => {
      const t = performance.now();
      const digests = await (await rt.start(cpuFanOut, n, rounds)).result();
      return { perSec: n / ((performance.now() - t) / 1000), completed: digests };
    },
    // Every thread started and hashRounds compiled in each.
    (rt) => elapsed(rt, cpuFanOut, threads * 4, Math.ceil(rounds / 20)),
  );
}

/** Runs `samples` executions of `wf(i, ...args)` one after another; answers each one's start-to-result ms. */
export async function oneAtATime(
  ctx: Ctx,
  threads: number,
  samples: number,
  wf: { name: string },
  ...args: unknown[]
): Promise<number[]> {
  return withWeft(ctx, threads, async (rt) => {
    for (let i = 0; i < 20; i++) await elapsed(rt, wf, i, ...args); // warm the one-at-a-time path
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push((await elapsed(rt, wf, i, ...args)) * 1000);
    return times;
  });
}
