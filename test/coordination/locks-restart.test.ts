/**
 * Locks across close + reopen: a lock an execution holds stays held by it (same token) and is
 * released when it ends; a queued lock wait re-attaches to its place in the queue.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { workflow, type ExecutionHandle, type ExecutionStatus } from '../../src/index.js';
import type * as acts from '../fixtures/activities.js';
import { cleanup, open, rejection, release, sideFile, T0, TestClock, waitForLine } from '../fixtures/harness.js';

afterEach(cleanup);

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 5 });
}

/** Holds lock 'vm' around a gate. */
const holdsVm = workflow('holdsVm', async (ctx, file: string) => {
  const { gate } = ctx.activities<typeof acts>();
  return ctx.withLock('vm', () => gate(file, 'g'));
});

/** Takes lock 'vm' (waiting up to an hour) and answers the token; the lock is let go when it ends. */
const takesVm = workflow('takesVm', async (ctx) => (await ctx.setting('vm').acquire({ timeoutMs: 3_600_000 })).token);

it('keeps a held lock across a reopen, held by the execution, and releases it when the execution ends', async () => {
  let rt = await open({ workflows: [holdsVm] });
  const dataDir = rt.dataDir;
  const file = sideFile();
  const handle = await rt.start(holdsVm, file);
  await waitForLine(file, { event: 'start', tag: 'g' });
  const [before] = await rt.locks.list();
  expect(before).toMatchObject({ name: 'vm', holder: { holder: handle.id }, waiters: [] });
  await rt.close();

  rt = await open({ workflows: [holdsVm], dataDir });
  const again = await rt.get(handle.id);
  expect(await rt.locks.list()).toEqual([before]);
  expect((await rejection(rt.locks.acquire('vm', { holder: 'test', timeoutMs: 0 }))).code).toBe('LOCK_TIMEOUT');
  release(file, 'g');
  expect(await again.result()).toBe('g');
  expect(await rt.locks.list()).toEqual([]);
  const history = await again.history();
  expect(history.filter((e) => e.type.startsWith('lock.')).map((e) => e.type)).toEqual([
    'lock.requested',
    'lock.granted',
    'lock.releasing',
    'lock.released',
  ]);
  expect(history.find((e) => e.type === 'lock.released')).toMatchObject({ token: before?.holder?.token });
});

it('re-attaches queued lock waits in their places after a reopen', async () => {
  let rt = await open({ workflows: [takesVm], clock: new TestClock(T0) });
  const dataDir = rt.dataDir;
  const blocker = await rt.locks.acquire('vm', { holder: 'test' });
  const first = await rt.start(takesVm);
  await waitForStatus(first, 'WAITING_LOCK');
  const second = await rt.start(takesVm);
  await waitForStatus(second, 'WAITING_LOCK');
  const waiters = (await rt.locks.list())[0]?.waiters;
  expect(waiters?.map((w) => w.holder)).toEqual([first.id, second.id]);
  await rt.close();

  rt = await open({ workflows: [takesVm], clock: new TestClock(T0 + 1000), dataDir });
  const [a, b] = await Promise.all([rt.get(first.id), rt.get(second.id)]);
  await waitForStatus(a, 'WAITING_LOCK');
  await waitForStatus(b, 'WAITING_LOCK');
  expect(await rt.locks.list()).toMatchObject([
    { name: 'vm', holder: { holder: 'test', token: blocker.token }, waiters },
  ]);

  await rt.locks.release('vm', blocker.token);
  const tokenA = (await a.result()) as number;
  const tokenB = (await b.result()) as number;
  expect(tokenA).toBeGreaterThan(blocker.token);
  expect(tokenB).toBeGreaterThan(tokenA);
  for (const handle of [a, b]) {
    const types = (await handle.history()).map((e) => e.type);
    expect(types).toEqual(['lock.requested', 'lock.granted']);
  }
  expect(await rt.locks.list()).toEqual([]);
});
