/**
 * Durable timers: ctx.sleep(ms) runs on the runtime's clock (status SLEEPING meanwhile, it
 * fires once the clock reaches its due time), survives close + reopen (fires at once when the
 * due time passed while down), and cancellation reaches a pending sleep.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { workflow, type ExecutionHandle, type ExecutionStatus } from '../../src/index.js';
import { cleanup, open, rejection, T0, TestClock, waitForEvent } from '../fixtures/harness.js';

afterEach(cleanup);

const naps = workflow('naps', async (ctx, ms: number) => {
  const before = await ctx.now();
  await ctx.sleep(ms);
  const after = await ctx.now();
  return after.getTime() - before.getTime();
});

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 5 });
}

it('is SLEEPING until the clock reaches the due time, then fires', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ workflows: [naps], clock });
  const handle = await rt.start(naps, 60_000);
  await waitForStatus(handle, 'SLEEPING');
  await clock.waitForTimerAt(T0 + 60_000);
  const history = await handle.history();
  expect(history).toContainEqual(expect.objectContaining({ type: 'timer.started', step: 2, fireAt: T0 + 60_000 }));
  clock.advance(59_999);
  expect(await handle.status()).toBe('SLEEPING');
  expect((await handle.history()).some((e) => e.type === 'timer.fired')).toBe(false);
  clock.advance(1);
  expect(await handle.result()).toBe(60_000);
  expect(await handle.history()).toContainEqual(expect.objectContaining({ type: 'timer.fired', step: 2 }));
});

it('fires at once after a reopen past its due time', async () => {
  let rt = await open({ workflows: [naps], clock: new TestClock(T0) });
  const dataDir = rt.dataDir;
  const handle = await rt.start(naps, 60_000);
  await waitForStatus(handle, 'SLEEPING');
  await rt.close();

  // The system clock: T0 + 60 s is long past. (A ManualClock would need a tick: see the report.)
  rt = await open({ workflows: [naps], dataDir });
  const again = await rt.get(handle.id);
  expect(await again.result()).toBeGreaterThan(60_000);
  const fired = (await again.history()).filter((e) => e.type === 'timer.fired');
  expect(fired).toEqual([expect.objectContaining({ step: 2 })]);
  expect(fired[0]!.at).toBeGreaterThan(T0 + 60_000);
});

it('keeps its due time across a reopen before it', async () => {
  let rt = await open({ workflows: [naps], clock: new TestClock(T0) });
  const dataDir = rt.dataDir;
  const handle = await rt.start(naps, 60_000);
  await waitForStatus(handle, 'SLEEPING');
  await rt.close();

  const clock = new TestClock(T0 + 10_000);
  rt = await open({ workflows: [naps], clock, dataDir });
  const again = await rt.get(handle.id);
  await clock.waitForTimerAt(T0 + 60_000);
  await waitForStatus(again, 'SLEEPING');
  clock.advance(50_000);
  expect(await again.result()).toBe(60_000);
});

it('is reached by cancellation: CANCELLED at once, the timer dropped', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ workflows: [naps], clock });
  const handle = await rt.start(naps, 60_000);
  await waitForEvent(handle, { type: 'timer.started' });
  await clock.waitForTimerAt(T0 + 60_000);
  expect(await handle.cancel('no more naps')).toBe(true);
  expect(await handle.status()).toBe('CANCELLED');
  expect((await rejection(handle.result())).code).toBe('CANCELLED');
  expect(clock.hasTimerAt(T0 + 60_000)).toBe(false);
  clock.advance(120_000);
  expect((await handle.history()).some((e) => e.type === 'timer.fired')).toBe(false);
});
