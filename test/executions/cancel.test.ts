/**
 * Cancellation: it reaches a running activity through its AbortSignal; result() rejects
 * with CANCELLED; a PENDING execution is cancelled before it runs; a pending retry never
 * fires; cancelling a finished execution answers false.
 */
import { afterEach, expect, it } from 'vitest';
import {
  cleanup,
  open,
  readSide,
  rejection,
  release,
  sideFile,
  T0,
  TestClock,
  waitForEvent,
  waitForLine,
} from '../fixtures/harness.js';
import { callOne } from '../fixtures/workflows.js';

afterEach(cleanup);

it('reaches the running activity: CANCELLED, result() rejects with CANCELLED, the activity saw the abort', async () => {
  const rt = await open();
  const file = sideFile();
  const handle = await rt.start(callOne, 'hang', [file], {});
  await waitForLine(file, { event: 'start', attempt: 1 });
  expect(await handle.cancel('the customer left')).toBe(true);
  expect(await handle.status()).toBe('CANCELLED');
  const err = await rejection(handle.result());
  expect(err.code).toBe('CANCELLED');
  expect(err.context).toMatchObject({ executionId: handle.id, reason: 'the customer left' });
  expect((await handle.info()).error?.code).toBe('CANCELLED');
  await waitForLine(file, { event: 'aborted', attempt: 1 });
});

it('cancels a PENDING execution before it runs', async () => {
  const rt = await open({ maxRunning: 1 });
  const file = sideFile();
  const first = await rt.start('gated', file, 'first');
  const second = await rt.start('gated', file, 'second');
  await waitForLine(file, { event: 'start', tag: 'first' });
  expect(await second.status()).toBe('PENDING');
  expect(await second.cancel()).toBe(true);
  expect((await rejection(second.result())).code).toBe('CANCELLED');
  release(file, 'first');
  release(file, 'second');
  expect(await first.result()).toBe('first');
  expect(readSide(file).filter((l) => l.tag === 'second')).toEqual([]);
  expect(await second.history()).toEqual([]);
  expect((await second.info()).startedAt).toBeUndefined();
});

it('drops a pending retry', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'flaky', [file, 1], { retry: { maxAttempts: 3, initialIntervalMs: 5000 } });
  await waitForEvent(handle, { type: 'activity.failed', attempt: 1 });
  await clock.waitForTimerAt(T0 + 5000);
  expect(await handle.cancel()).toBe(true);
  expect(clock.hasTimerAt(T0 + 5000)).toBe(false);
  clock.advance(10_000);
  expect((await rejection(handle.result())).code).toBe('CANCELLED');
  expect(readSide(file)).toHaveLength(1);
});

it('answers false for an execution that already ended, and leaves it as it was', async () => {
  const rt = await open();
  const handle = await rt.start('echo', 42);
  expect(await handle.result()).toBe(42);
  expect(await handle.cancel()).toBe(false);
  expect(await handle.status()).toBe('SUCCESS');
  expect(await handle.result()).toBe(42);
});

it('does not let a queued activity of a cancelled execution run with a live signal', async () => {
  // One thread, one task at a time: the victim's activity queues behind the blocker's.
  const rt = await open({ threads: 1, concurrentTasksPerWorker: 1 });
  const file = sideFile();
  const blocker = await rt.start(callOne, 'gate', [file, 'blocker'], {});
  await waitForLine(file, { event: 'start', tag: 'blocker' });
  const victim = await rt.start(callOne, 'keyed', [file, 'victim'], {});
  await waitForEvent(victim, { type: 'activity.scheduled' }); // dispatched to the pool, queued
  expect(await victim.cancel()).toBe(true);
  release(file, 'blocker');
  await blocker.result();
  // Tasks run in FIFO order on the one thread: once this one ran, the victim's has been handled.
  await (await rt.start(callOne, 'keyed', [file, 'flush'], {})).result();
  const ran = readSide(file).filter((l) => l.tag === 'victim');
  expect(ran.every((l) => l.aborted === true)).toBe(true);
});
