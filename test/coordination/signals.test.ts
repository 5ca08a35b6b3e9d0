/**
 * Signals: those sent before the wait are kept in arrival order (also across close + reopen);
 * a storm of 1,000 unawaited sends arrives in order; ctx.signal between executions; sending to
 * an ended execution (EXECUTION_ENDED) or an unknown one (EXECUTION_NOT_FOUND); cancellation
 * and the execution timeout reach a pending wait; a signal sent after a reopen reaches the
 * resumed wait.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { workflow, type ExecutionHandle, type ExecutionStatus, type WeftError } from '../../src/index.js';
import { cleanup, open, rejection, T0, TestClock } from '../fixtures/harness.js';

afterEach(cleanup);

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 5 });
}

/** Waits for `go`, then for `count` signals called `item`; answers go's payload and the items. */
const collects = workflow('collects', async (ctx, count: number) => {
  const go = await ctx.waitSignal<string>('go');
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(await ctx.waitSignal('item'));
  return { go, items };
});

/** Waits for one signal `name` (no timeout). */
const waitsFor = workflow('waitsFor', async (ctx, name: string) => ctx.waitSignal(name));

/** Like waitsFor, under an execution timeout of 5 s. */
const waitsTimed = workflow('waitsTimed', waitsFor.fn, { timeoutMs: 5000 });

/** Sends `name` to `target` with ctx.signal; answers 'sent', or the code it caught. */
const sends = workflow('sends', async (ctx, target: string, name: string, payload: unknown) => {
  try {
    await ctx.signal(target, name, payload);
    return 'sent';
  } catch (err) {
    return (err as WeftError).code;
  }
});

const ALL = [collects, waitsFor, waitsTimed, sends];

it('keeps signals sent before the wait, in arrival order, apart from other names', async () => {
  const rt = await open({ workflows: ALL });
  const handle = await rt.start(collects, 3);
  await waitForStatus(handle, 'WAITING_SIGNAL');
  // While it waits for `go`, three items arrive: none is taken by the `go` wait.
  await handle.signal('item', 'a');
  await handle.signal('item', { b: [1, 2] });
  await handle.signal('item', 'c');
  expect(await handle.status()).toBe('WAITING_SIGNAL');
  await handle.signal('go', 'now');
  expect(await handle.result()).toEqual({ go: 'now', items: ['a', { b: [1, 2] }, 'c'] });
  const received = (await handle.history()).filter((e) => e.type === 'signal.received');
  expect(received.map((e) => e.name)).toEqual(['go', 'item', 'item', 'item']);
  const items = received.slice(1).map((e) => e.seq);
  expect(items).toEqual([...items].sort((a, b) => a - b));
  expect(received[0]!.seq).toBeGreaterThan(items[2]!);
});

it('receives a storm of 1,000 unawaited signals in order, one wait each', async () => {
  const rt = await open({ workflows: ALL });
  const n = 1000;
  const handle = await rt.start(collects, n);
  const go = handle.signal('go', 'storm');
  const sent = Array.from({ length: n }, (_, i) => handle.signal('item', i));
  await Promise.all([go, ...sent]);
  const { items } = await handle.result();
  expect(items).toEqual(Array.from({ length: n }, (_, i) => i));
  const history = await handle.history();
  expect(history.filter((e) => e.type === 'signal.waiting')).toHaveLength(n + 1);
  expect(history.filter((e) => e.type === 'signal.received')).toHaveLength(n + 1);
});

it('sends a signal from one execution to another with ctx.signal', async () => {
  const rt = await open({ workflows: ALL });
  const receiver = await rt.start(waitsFor, 'ping');
  await rt.start(sends, receiver.id, 'ping', { from: 'sender' });
  expect(await receiver.result()).toEqual({ from: 'sender' });
  const received = (await receiver.history()).find((e) => e.type === 'signal.received');
  expect(received).toMatchObject({ name: 'ping' });
});

it('resolves ctx.signal in the sender once the signal is in, recording signal.sent', async () => {
  const rt = await open({ workflows: ALL });
  const receiver = await rt.start(waitsFor, 'ping');
  const sender = await rt.start(sends, receiver.id, 'ping', 'hello');
  expect(await receiver.result()).toBe('hello');
  expect(await sender.result()).toBe('sent');
  expect(await sender.history()).toEqual([
    expect.objectContaining({ type: 'signal.sent', step: 1, name: 'ping', target: receiver.id }),
  ]);
});

it('delivers a signal sent while the execution was PENDING', async () => {
  const rt = await open({ workflows: ALL, maxRunning: 1 });
  const first = await rt.start(waitsFor, 'a');
  const second = await rt.start(waitsFor, 'b');
  expect(await second.status()).toBe('PENDING');
  await second.signal('b', 'for b');
  await first.signal('a', 'for a');
  expect(await first.result()).toBe('for a');
  // Started now: fixed, it takes the kept signal at once and ends; buggy, it waits for ever.
  await vi.waitFor(async () => expect(['WAITING_SIGNAL', 'SUCCESS']).toContain(await second.status()), {
    timeout: 20_000,
    interval: 5,
  });
  expect((await second.history()).map((e) => e.type)).toEqual(['signal.waiting', 'signal.received']);
  expect(await second.result()).toBe('for b');
});

it('refuses a signal to an ended execution (EXECUTION_ENDED) and to an unknown id (EXECUTION_NOT_FOUND)', async () => {
  const rt = await open({ workflows: ALL });
  const ended = await rt.start(waitsFor, 'ping');
  await ended.signal('ping', 1);
  expect(await ended.result()).toBe(1);
  const err = await rejection(ended.signal('ping', 2));
  expect(err.code).toBe('EXECUTION_ENDED');
  expect(err.context).toMatchObject({ executionId: ended.id, status: 'SUCCESS' });
  expect((await rejection(rt.get('no-such-execution'))).code).toBe('EXECUTION_NOT_FOUND');

  // From a workflow: the error is the workflow's to catch, and recorded as the step's failure.
  const toEnded = await rt.start(sends, ended.id, 'ping', 3);
  expect(await toEnded.result()).toBe('EXECUTION_ENDED');
  const toNobody = await rt.start(sends, 'no-such-execution', 'ping', 4);
  expect(await toNobody.result()).toBe('EXECUTION_NOT_FOUND');
  const [failed] = await toNobody.history();
  expect(failed).toMatchObject({
    type: 'step.failed',
    step: 1,
    kind: 'signal.send',
    error: { code: 'EXECUTION_NOT_FOUND' },
  });
});

it('cancels a pending signal wait at once', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ workflows: ALL, clock });
  const handle = await rt.start(waitsFor, 'never');
  await waitForStatus(handle, 'WAITING_SIGNAL');
  expect(await handle.cancel('no longer needed')).toBe(true);
  const err = await rejection(handle.result());
  expect(err.code).toBe('CANCELLED');
  expect(await handle.status()).toBe('CANCELLED');
  expect(clock.now()).toBe(T0); // no time had to pass
  expect((await rejection(handle.signal('never'))).code).toBe('EXECUTION_ENDED');
});

it('keeps the inbox and the wait across close + reopen; a signal sent after the reopen reaches the wait', async () => {
  let rt = await open({ workflows: ALL });
  const dataDir = rt.dataDir;
  const handle = await rt.start(collects, 2);
  await waitForStatus(handle, 'WAITING_SIGNAL');
  await handle.signal('item', 'before close');
  await rt.close();

  rt = await open({ workflows: ALL, dataDir });
  const again = await rt.get(handle.id);
  await waitForStatus(again, 'WAITING_SIGNAL');
  await again.signal('item', 'after reopen');
  await again.signal('go', 'go');
  expect(await again.result()).toEqual({ go: 'go', items: ['before close', 'after reopen'] });
  const history = await again.history();
  // The wait for `go` was recorded once, before the close, and resumed, not asked again.
  expect(history.filter((e) => e.type === 'signal.waiting').map((e) => e.name)).toEqual(['go', 'item', 'item']);
  expect(history.filter((e) => e.type === 'signal.received')).toHaveLength(3);
});

it('times a signal wait out with the execution timeout: TIMED_OUT', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ workflows: ALL, clock });
  const handle = await rt.start(waitsTimed, 'never');
  await waitForStatus(handle, 'WAITING_SIGNAL');
  await clock.waitForTimerAt(T0 + 5000);
  clock.advance(4999);
  expect(await handle.status()).toBe('WAITING_SIGNAL');
  clock.advance(1);
  const err = await rejection(handle.result());
  expect(err.code).toBe('EXECUTION_TIMEOUT');
  const info = await handle.info();
  expect(info.status).toBe('TIMED_OUT');
  expect(info.error?.code).toBe('EXECUTION_TIMEOUT');
  expect((await rejection(handle.signal('never'))).code).toBe('EXECUTION_ENDED');
});
