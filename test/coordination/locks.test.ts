/**
 * Locks from a workflow: the holder is the execution; withLock releases also when its fn
 * throws; every lock an execution holds and every request it has queued is let go whatever
 * its final status (SUCCESS, FAILED, CANCELLED, TIMED_OUT); cancellation reaches a pending
 * lock wait (the request leaves the queue); a wait past its timeout rejects with LOCK_TIMEOUT.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { workflow, type ExecutionHandle, type ExecutionStatus, type Runtime, type WeftError } from '../../src/index.js';
import type * as acts from '../fixtures/activities.js';
import { cleanup, open, rejection, release, sideFile, T0, TestClock, waitForLine } from '../fixtures/harness.js';

afterEach(cleanup);

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 5 });
}

/** Fails unless the execution holds no lock and waits for none. */
async function expectNothingOf(rt: Runtime, id: string): Promise<void> {
  const locks = await rt.locks.list();
  expect(locks.filter((l) => l.holder?.holder === id)).toEqual([]);
  expect(locks.filter((l) => l.waiters.some((w) => w.holder === id))).toEqual([]);
}

/** Runs a step inside withLock(name); `fail` makes that step throw. Then checks the lock is free by taking it without waiting. */
const guarded = workflow('guarded', async (ctx, name: string, fail: boolean) => {
  let caught: string | undefined;
  let value: string | undefined;
  try {
    value = await ctx.withLock(name, async () => {
      await ctx.now();
      if (fail) throw new Error('inside the lock');
      return 'inside';
    });
  } catch (err) {
    caught = (err as Error).message;
  }
  const again = await ctx.setting(name).acquire({ timeoutMs: 0 });
  return { value, caught, token: again.token };
});

/** withLock around a throwing fn, not caught: the execution fails. */
const failsInLock = workflow('failsInLock', async (ctx) =>
  ctx.withLock('L', () => Promise.reject(new Error('inside the lock'))),
);

/** Holds `held`, queues for `wanted` (the test holds it), then waits on a gate; 'throw' fails afterwards. */
const holdsAndQueues = workflow('holdsAndQueues', async (ctx, file: string, how: 'return' | 'throw') => {
  const { gate } = ctx.activities<typeof acts>();
  await ctx.setting('held').acquire();
  void ctx.setting('wanted').acquire({ timeoutMs: 3_600_000 });
  await gate(file, 'g');
  if (how === 'throw') throw new Error('the workflow gave up');
  return 'done';
});
const holdsAndQueuesTimed = workflow('holdsAndQueuesTimed', holdsAndQueues.fn, { timeoutMs: 5000 });

/** Takes lock `name`, waiting up to `timeoutMs`; answers the token, or the error code it caught. */
const takes = workflow('takes', async (ctx, name: string, timeoutMs: number) => {
  try {
    return (await ctx.setting(name).acquire({ timeoutMs })).token;
  } catch (err) {
    return (err as WeftError).code;
  }
});

const WORKFLOWS = [guarded, failsInLock, holdsAndQueues, holdsAndQueuesTimed, takes];

it('withLock releases the lock when its fn returns and when it throws', async () => {
  const rt = await open({ workflows: WORKFLOWS });
  const ok = await rt.start(guarded, 'L1', false);
  const thrown = await rt.start(guarded, 'L2', true);
  expect(await ok.result()).toMatchObject({ value: 'inside' });
  expect(await thrown.result()).toMatchObject({ caught: 'inside the lock' });
  for (const handle of [ok, thrown]) {
    const history = await handle.history();
    expect(history.map((e) => e.type)).toEqual([
      'lock.requested',
      'lock.granted',
      'value.recorded',
      'lock.releasing',
      'lock.released',
      'lock.requested',
      'lock.granted',
    ]);
    expect(history[1]).toMatchObject({ grant: { holder: handle.id } });
    expect(history[4]).toMatchObject({
      type: 'lock.released',
      token: (history[1] as { grant: { token: number } }).grant.token,
    });
    await expectNothingOf(rt, handle.id);
  }
  expect(await rt.locks.list()).toEqual([]);
});

it('withLock releases the lock before an uncaught error fails the execution', async () => {
  const rt = await open({ workflows: WORKFLOWS });
  const handle = await rt.start(failsInLock);
  expect((await rejection(handle.result())).code).toBe('WORKFLOW_ERROR');
  expect((await handle.history()).map((e) => e.type)).toEqual([
    'lock.requested',
    'lock.granted',
    'lock.releasing',
    'lock.released',
  ]);
  expect(await rt.locks.list()).toEqual([]);
});

it.each([
  ['SUCCESS', 'return'],
  ['FAILED', 'throw'],
  ['CANCELLED', 'cancel'],
  ['TIMED_OUT', 'timeout'],
] as const)('lets go of held and queued locks when the execution ends %s', async (status, how) => {
  const clock = new TestClock(T0);
  const rt = await open({ workflows: WORKFLOWS, clock });
  const blocker = await rt.locks.acquire('wanted', { holder: 'test' });
  const file = sideFile();
  const handle =
    how === 'timeout'
      ? await rt.start(holdsAndQueuesTimed, file, 'return')
      : await rt.start(holdsAndQueues, file, how === 'throw' ? 'throw' : 'return');
  await waitForLine(file, { event: 'start', tag: 'g' });
  await vi.waitFor(
    async () => {
      const locks = await rt.locks.list();
      expect(locks.find((l) => l.name === 'held')?.holder?.holder).toBe(handle.id);
      expect(locks.find((l) => l.name === 'wanted')?.waiters.map((w) => w.holder)).toEqual([handle.id]);
    },
    { timeout: 20_000, interval: 5 },
  );

  if (how === 'cancel') expect(await handle.cancel()).toBe(true);
  else if (how === 'timeout') {
    await clock.waitForTimerAt(T0 + 5000);
    clock.advance(5000);
  } else release(file, 'g');
  await handle.result().catch(() => undefined);

  expect(await handle.status()).toBe(status);
  await expectNothingOf(rt, handle.id);
  expect(await rt.locks.list()).toMatchObject([
    { name: 'wanted', holder: { holder: 'test', token: blocker.token }, waiters: [] },
  ]);
  // The wait's deadline timer went with the request.
  expect(clock.hasTimerAt(T0 + 3_600_000)).toBe(false);
});

it('is reached by cancellation while it waits for a lock: the request leaves the queue', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ workflows: WORKFLOWS, clock });
  const blocker = await rt.locks.acquire('L', { holder: 'test' });
  const handle = await rt.start(takes, 'L', 60_000);
  await waitForStatus(handle, 'WAITING_LOCK');
  await clock.waitForTimerAt(T0 + 60_000);
  expect((await rt.locks.list())[0]?.waiters.map((w) => w.holder)).toEqual([handle.id]);

  expect(await handle.cancel()).toBe(true);
  expect(await handle.status()).toBe('CANCELLED');
  expect((await rejection(handle.result())).code).toBe('CANCELLED');
  expect(await rt.locks.list()).toMatchObject([{ name: 'L', holder: { holder: 'test' }, waiters: [] }]);
  expect(clock.hasTimerAt(T0 + 60_000)).toBe(false);
  // The lock now passes to nobody.
  await rt.locks.release('L', blocker.token);
  expect(await rt.locks.list()).toEqual([]);
});

it('rejects a wait past its timeout with LOCK_TIMEOUT, on the runtime clock, catchably', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ workflows: WORKFLOWS, clock });
  await rt.locks.acquire('L', { holder: 'test' });
  const handle = await rt.start(takes, 'L', 30_000);
  await waitForStatus(handle, 'WAITING_LOCK');
  await clock.waitForTimerAt(T0 + 30_000);
  clock.advance(29_999);
  expect(await handle.status()).toBe('WAITING_LOCK');
  clock.advance(1);
  expect(await handle.result()).toBe('LOCK_TIMEOUT');
  expect((await handle.history()).find((e) => e.type === 'step.failed')).toMatchObject({
    kind: 'lock.acquire',
    name: 'L',
    error: { code: 'LOCK_TIMEOUT' },
  });
  await expectNothingOf(rt, handle.id);
});
