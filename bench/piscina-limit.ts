import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { percentile } from './stats.js';

/**
 * The limits for the workflow benchmark: raw Piscina running the same activity modules,
 * with a pool configured like weft's (threads = cores unless told, `atomics: 'async'`, 16
 * tasks in flight per thread), and no journal, no actors, no history.
 */
export interface PiscinaLimit {
  /** No-op tasks/s, `tasks` submitted at once. */
  noopTasksPerSec: number;
  /** One no-op task awaited at a time: the median round trip, ms. */
  noopLatencyMs: number;
}

function weftLikePool(module: string, threads: number): Piscina {
  return new Piscina({
    filename: new URL(`./activities/${module}.js`, import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 16,
    atomics: 'async',
    idleTimeout: 60_000,
  });
}

/** Runs `n` tasks at once; answers tasks/s. */
async function burst(n: number, run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, run));
  return n / ((performance.now() - start) / 1000);
}

export async function piscinaLimit(tasks: number, samples: number): Promise<PiscinaLimit> {
  const threads = availableParallelism();
  const pool = weftLikePool('noop', threads);
  const run = (): Promise<unknown> => pool.run(null, { name: 'noop' });
  try {
    await burst(threads * 16 * 4, run); // warm-up: every thread started, code compiled
    const noopTasksPerSec = await burst(tasks, run);
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    return { noopTasksPerSec, noopLatencyMs: percentile(times, 50) };
  } finally {
    await pool.destroy();
  }
}

/** `n` CPU-bound tasks (`hashRounds(rounds)`) at once on `threads` threads: tasks/s. */
export async function piscinaCpu(threads: number, n: number, rounds: number): Promise<number> {
  const pool = weftLikePool('cpu', threads);
  try {
    await burst(threads * 4, () => pool.run(Math.ceil(rounds / 20), { name: 'hashRounds' }));
    return await burst(n, () => pool.run(rounds, { name: 'hashRounds' }));
  } finally {
    await pool.destroy();
  }
}
