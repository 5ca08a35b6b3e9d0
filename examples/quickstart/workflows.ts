import { workflow } from '../../src/index.js';
import type * as activities from './activities.js';

/** (x + 1) * 2, with a delay of `t` seconds running in parallel with the doubling. */
export const basic = workflow('basic', async (ctx, x: number, t: number = 30) => {
  const { increment, double, delay } = ctx.activities<typeof activities>();
  const y = await increment(x);
  const waited = delay(t, y); // a future: it runs while double does
  const z = await double(y);
  await waited;
  return z;
});
