/** Benchmark workflows: W1 and latency (`one`), W2 (`chain`), W3 (`fanOut`), W4 (`cpuFanOut`). */
import { workflow } from '../../src/index.js';
import type * as cpu from '../activities/cpu.js';
import type * as increment from '../activities/increment.js';
import type * as noop from '../activities/noop.js';

type Activities = typeof increment & typeof noop & typeof cpu;

/** One activity: answers x + 1. */
export const one = workflow('bench-one', async (ctx, x: number) => {
  const { increment } = ctx.activities<Activities>();
  return increment(x);
});

/** `steps` sequential activities: answers x + steps. */
export const chain = workflow('bench-chain', async (ctx, x: number, steps: number) => {
  const { increment } = ctx.activities<Activities>();
  for (let i = 0; i < steps; i++) x = await increment(x);
  return x;
});

/** `n` no-op activities started at once and awaited together: answers n. */
export const fanOut = workflow('bench-fan-out', async (ctx, n: number) => {
  const { noop } = ctx.activities<Activities>();
  const results = await Promise.all(Array.from({ length: n }, () => noop()));
  return results.length;
});

/** `n` CPU-bound activities at once: answers n. */
export const cpuFanOut = workflow('bench-cpu-fan-out', async (ctx, n: number, rounds: number) => {
  const { hashRounds } = ctx.activities<Activities>();
  const digests = await Promise.all(Array.from({ length: n }, () => hashRounds(rounds)));
  return digests.length;
});

export const BENCH_WORKFLOWS = [one, chain, fanOut, cpuFanOut];
