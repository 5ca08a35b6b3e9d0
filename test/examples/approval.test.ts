/**
 * The approval example (examples/approval): the execution is WAITING_SIGNAL until `approve`
 * comes and answers its payload (also one sent before the wait); with a short timeout on a
 * ManualClock and no signal it fails with SIGNAL_TIMEOUT.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { approval } from '../../examples/approval/workflows.js';
import type { ExecutionHandle, ExecutionStatus, HistoryEvent, Runtime } from '../../src/index.js';
import { cleanup, open, rejection, T0, TestClock } from '../fixtures/harness.js';

afterEach(cleanup);

const openApproval = (clock?: TestClock): Promise<Runtime> =>
  open({ workflows: [approval], activities: [], ...(clock && { clock }) });

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 5 });
}

it('waits WAITING_SIGNAL for approve, then answers its payload', async () => {
  const rt = await openApproval();
  const handle = await rt.start(approval, 60_000);
  await waitForStatus(handle, 'WAITING_SIGNAL');
  const seen: ExecutionStatus[] = [];
  handle.subscribe(({ status }) => seen.push(status));
  await handle.signal('approve', { by: 'toni', comment: 'ship it' });
  expect(await handle.result()).toEqual({ by: 'toni', comment: 'ship it' });
  expect(await handle.status()).toBe('SUCCESS');
  expect(seen.at(-1)).toBe('SUCCESS');
  const history = await handle.history();
  expect(history.map((e) => e.type)).toEqual(['signal.waiting', 'signal.received']);
  const waiting = history[0] as Extract<HistoryEvent, { type: 'signal.waiting' }>;
  expect(waiting).toMatchObject({ name: 'approve', deadline: waiting.at + 60_000 });
});

it('takes an approve sent right after the start', async () => {
  const rt = await openApproval();
  const handle = await rt.start(approval);
  await handle.signal('approve', { by: 'cory' });
  expect(await handle.result()).toEqual({ by: 'cory' });
});

it('fails with SIGNAL_TIMEOUT when no approve comes in time', async () => {
  const clock = new TestClock(T0);
  const rt = await openApproval(clock);
  const handle = await rt.start(approval, 1000);
  await waitForStatus(handle, 'WAITING_SIGNAL');
  await clock.waitForTimerAt(T0 + 1000);
  clock.advance(999);
  expect(await handle.status()).toBe('WAITING_SIGNAL');
  clock.advance(1);
  const err = await rejection(handle.result());
  expect(err.code).toBe('SIGNAL_TIMEOUT');
  expect(err.context).toMatchObject({ executionId: handle.id, signal: 'approve', timeoutMs: 1000 });
  const info = await handle.info();
  expect(info.status).toBe('FAILED');
  expect(info.error?.code).toBe('SIGNAL_TIMEOUT');
  // Too late now.
  expect((await rejection(handle.signal('approve', { by: 'late' }))).code).toBe('EXECUTION_ENDED');
});
