/**
 * Benchmark workflows: W1 (`one`), W2 (`chain`), W3 (`fanOut`), W4 (`cpuFanOut`), W8 and
 * soak (`waitGo`). A daemon loads them through bench/weft.config.ts.
 */
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

/** Waits for the signal `go`, then answers x + its payload: an execution parked in WAITING_SIGNAL. */
export const waitGo = workflow('bench-wait-signal', async (ctx, x: number) => {
  const add = await ctx.waitSignal<number>('go');
  return x + add;
});

export const BENCH_WORKFLOWS = [one, chain, fanOut, cpuFanOut, waitGo];
