import { setTimeout as sleep } from 'node:timers/promises';
import { activityContext } from '../../src/index.js';

/** simpleflow's quickstart activities: they run in worker threads. */
export function increment(x: number): number {
  return x + 1;
}

export function double(x: number): number {
  return x * 2;
}

/** Waits `t` seconds (abortably), then answers `x`. */
export async function delay(t: number, x: number): Promise<number> {
  const { signal } = activityContext();
  await sleep(t * 1000, undefined, { signal });
  return x;
}
