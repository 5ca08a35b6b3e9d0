import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { EXT } from './fixtures.js';
import { percentile } from './stats.js';

/**
 * The limits for the workflow workloads: raw Piscina running the same activity modules,
 * with a pool configured like weft's (threads = cores unless told, `atomics: 'async'`, 16
 * tasks in flight per thread), and no journal, no actors, no history.
 */
export interface PiscinaLimit {
  /** No-op tasks/s, `tasks` submitted at once. */
  noopTasksPerSec: number;
  /** One no-op task awaited at a time: the median round trip, ms. */
  noopLatencyMs: number;
  /** Every one-at-a-time round trip, ms. */
  latenciesMs: number[];
}

/** From source, the worker needs tsx (Piscina tries `require()`, which tsx's hook serves). */
const TSX_ARGV =
  EXT === 'ts' && !process.execArgv.some((a) => a.includes('tsx'))
    ? { execArgv: [...process.execArgv, '--import', 'tsx'] }
    : {};

/**
 * `name` is the export each thread loads when it starts: from source, only Piscina's
 * `require()` reaches tsx's hook in a worker on Node 20, and a module without that export
 * would fall through to `import()`, which cannot load TypeScript there.
 */
function weftLikePool(module: string, name: string, threads: number): Piscina {
  return new Piscina({
    filename: new URL(`./activities/${module}.${EXT}`, import.meta.url).href,
    name,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 16,
    atomics: 'async',
    idleTimeout: 60_000,
    ...TSX_ARGV,
  });
}

/** Runs `n` tasks at once; answers tasks/s. */
async function burst(n: number, run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, run));
  return n / ((performance.now() - start) / 1000);
}

export async function piscinaLimit(
  tasks: number,
  samples: number,
  threads = availableParallelism(),
): Promise<PiscinaLimit> {
  const pool = weftLikePool('noop', 'noop', threads);
  const run = (): Promise<unknown> => pool.run(null);
  try {
    await burst(threads * 16 * 4, run); // warm-up: every thread started, code compiled
    const noopTasksPerSec = await burst(tasks, run);
    const latenciesMs: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await run();
      latenciesMs.push(performance.now() - t);
    }
    return { noopTasksPerSec, noopLatencyMs: percentile(latenciesMs, 50), latenciesMs };
  } finally {
    await pool.destroy();
  }
}

/** `n` CPU-bound tasks (`hashRounds(rounds)`) at once on `threads` threads: tasks/s. */
export async function piscinaCpu(threads: number, n: number, rounds: number): Promise<number> {
  const pool = weftLikePool('cpu', 'hashRounds', threads);
  try {
    await burst(threads * 4, () => pool.run(Math.ceil(rounds / 20)));
    return await burst(n, () => pool.run(rounds));
  } finally {
    await pool.destroy();
  }
}
