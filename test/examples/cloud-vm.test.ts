/**
 * The cloud-vm example (examples/cloud-vm): executions take turns with `cloud-vm-lock`. A
 * second one waits (WAITING_LOCK) while the first holds the lock, both succeed, and their
 * VM use periods do not overlap; one whose lock wait runs out fails with LOCK_TIMEOUT.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { cloudVm } from '../../examples/cloud-vm/workflows.js';
import type { ExecutionHandle, ExecutionStatus, HistoryEvent, LockInfo, Runtime } from '../../src/index.js';
import { cleanup, open, rejection } from '../fixtures/harness.js';

afterEach(cleanup);

const LOCK = 'cloud-vm-lock';
const ACTIVITIES = new URL('../../examples/cloud-vm/activities.ts', import.meta.url);

const openCloudVm = (): Promise<Runtime> => open({ workflows: [cloudVm], activities: [ACTIVITIES] });

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 10 });
}

const lockInfo = async (rt: Runtime): Promise<LockInfo | undefined> =>
  (await rt.locks.list()).find((l) => l.name === LOCK);

/** When the last activity of a history completed, and when the first was scheduled (recorded times). */
const lastCompleted = (history: HistoryEvent[]): number =>
  Math.max(...history.filter((e) => e.type === 'activity.completed').map((e) => e.at));
const firstScheduled = (history: HistoryEvent[]): number =>
  Math.min(...history.filter((e) => e.type === 'activity.scheduled').map((e) => e.at));

function lockEvent<T extends 'lock.requested' | 'lock.granted' | 'lock.released'>(
  history: HistoryEvent[],
  type: T,
): Extract<HistoryEvent, { type: T }> {
  const found = history.filter((e): e is Extract<HistoryEvent, { type: T }> => e.type === type);
  expect(found).toHaveLength(1);
  return found[0]!;
}

it('serialises two executions on the lock: the second waits, both succeed, their uses do not overlap', async () => {
  const rt = await openCloudVm();
  // The test holds the lock first, so both executions queue deterministically, in start order.
  const blocker = await rt.locks.acquire(LOCK, { holder: 'test' });
  const first = await rt.start(cloudVm, 0.3);
  await waitForStatus(first, 'WAITING_LOCK');
  const second = await rt.start(cloudVm, 0.3);
  const seen: ExecutionStatus[] = [];
  second.subscribe(({ status }) => seen.push(status));
  await waitForStatus(second, 'WAITING_LOCK');
  expect((await lockInfo(rt))?.waiters.map((w) => w.holder)).toEqual([first.id, second.id]);

  await rt.locks.release(LOCK, blocker.token);
  const [a, b] = await Promise.all([first.result(), second.result()]);
  expect(await first.status()).toBe('SUCCESS');
  expect(await second.status()).toBe('SUCCESS');
  expect(a.vmId).not.toBe(b.vmId);
  expect(b.lockToken).toBeGreaterThan(a.lockToken);

  // The second stayed WAITING_LOCK until its own grant: through the whole of the first's hold.
  expect(seen.indexOf('WAITING_LOCK')).toBe(-1); // it was already waiting when subscribed
  expect(seen[0]).toBe('RUNNING');
  const h1 = await first.history();
  const h2 = await second.history();
  const released1 = lockEvent(h1, 'lock.released');
  const granted2 = lockEvent(h2, 'lock.granted');
  expect(released1.token).toBe(a.lockToken);
  expect(granted2.grant.token).toBe(b.lockToken);
  // By the recorded times: the first's removeVm completed before the second got the lock, and
  // the second's createVm was scheduled after. (Each lock event's `at` is when its execution
  // heard the registry's answer, so the first's `lock.released` may be stamped after the second's grant.)
  expect(lastCompleted(h1)).toBeLessThanOrEqual(granted2.at);
  expect(firstScheduled(h2)).toBeGreaterThanOrEqual(granted2.at);
  // And by the activities' own clock: the uses do not overlap.
  expect(b.used.from).toBeGreaterThanOrEqual(a.used.to);
  expect(await rt.locks.list()).toEqual([]);
});

it('shows the second WAITING_LOCK while the first holds the lock', async () => {
  const rt = await openCloudVm();
  const first = await rt.start(cloudVm, 2);
  await vi.waitFor(async () => expect((await lockInfo(rt))?.holder?.holder).toBe(first.id), {
    timeout: 20_000,
    interval: 10,
  });
  const second = await rt.start(cloudVm, 0.1);
  const seen: ExecutionStatus[] = [];
  second.subscribe(({ status }) => seen.push(status));
  // Polled, and also every change since the subscription: a slow poll cannot miss the wait.
  await vi.waitFor(async () => expect([await second.status(), ...seen]).toContain('WAITING_LOCK'), {
    timeout: 20_000,
    interval: 10,
  });
  await Promise.all([first.result(), second.result()]);
  const h1 = await first.history();
  const h2 = await second.history();
  const granted2 = lockEvent(h2, 'lock.granted');
  expect(granted2.grant.token).toBeGreaterThan(lockEvent(h1, 'lock.granted').grant.token);
  expect(lockEvent(h2, 'lock.requested').at).toBeLessThanOrEqual(lastCompleted(h1));
  expect(lastCompleted(h1)).toBeLessThanOrEqual(granted2.at);
  expect(firstScheduled(h2)).toBeGreaterThanOrEqual(granted2.at);
});

it('fails with LOCK_TIMEOUT when the lock stays taken past lockTimeoutMs', async () => {
  const rt = await openCloudVm();
  const blocker = await rt.locks.acquire(LOCK, { holder: 'test' });
  const handle = await rt.start(cloudVm, 0.1, 100);
  const err = await rejection(handle.result());
  expect(err.code).toBe('LOCK_TIMEOUT');
  const info = await handle.info();
  expect(info.status).toBe('FAILED');
  expect(info.error?.code).toBe('LOCK_TIMEOUT');
  // It never got to the VM, and it left no request behind.
  expect((await handle.history()).filter((e) => e.type === 'activity.scheduled')).toEqual([]);
  expect(await rt.locks.list()).toMatchObject([
    { name: LOCK, holder: { holder: 'test', token: blocker.token }, waiters: [] },
  ]);
});
