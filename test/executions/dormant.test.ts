/**
 * Dormant executions: one that waits only on signals leaves memory after `dormantAfterMs`
 * and is rebuilt by replay when a signal (or a cancel) comes, without running a recorded step
 * again; it stays dormant across a restart, and a signal committed just before a close
 * resumes it on reopen. Executions with a deadline, or busy with anything else, stay resident.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { workflow, type ExecutionHandle, type ExecutionStatus, type Runtime } from '../../src/index.js';
import type * as acts from '../fixtures/activities.js';
import { ACTIVITIES } from '../fixtures/workflows.js';
import { cleanup, open, readSide, sideFile, tempDir } from '../fixtures/harness.js';

afterEach(cleanup);

/** A step, then `rounds` signals `add` summed, a step between each; then a last step. */
const adds = workflow('adds', async (ctx, file: string, rounds: number) => {
  const { keyed } = ctx.activities<typeof acts>();
  await keyed(file, 'first');
  let sum = 0;
  for (let i = 0; i < rounds; i++) {
    sum += await ctx.waitSignal<number>('add');
    await keyed(file, `after-${i}`);
  }
  await keyed(file, 'last');
  return sum;
});

/** Waits for `go` with a deadline: never dormant (its timer must fire). */
const waitsWithDeadline = workflow('waitsWithDeadline', async (ctx) => ctx.waitSignal('go', { timeoutMs: 3_600_000 }));

/** Waits for `go` and for a signal sent to itself at once: `pong` arrives while it waits. */
const waitsForBoth = workflow('waitsForBoth', async (ctx) => {
  const [a, b] = await Promise.all([ctx.waitSignal<string>('a'), ctx.waitSignal<string>('b')]);
  return a + b;
});

const WORKFLOWS = [adds, waitsWithDeadline, waitsForBoth];

function openDormant(options: { dataDir?: string } = {}): Promise<Runtime> {
  return open({ workflows: WORKFLOWS, activities: [ACTIVITIES], dormantAfterMs: 0, ...options });
}

async function untilDormant(rt: Runtime, n: number): Promise<void> {
  await vi.waitFor(() => expect(rt.metrics().dormant).toBe(n), { interval: 5 });
}

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { interval: 5 });
}

/** Tags of the activity runs the side file shows, in order. */
const ran = (file: string): string[] => readSide(file).map((l) => l.tag!);

it('goes dormant while it waits and is rebuilt by a signal without running a step again', async () => {
  const rt = await openDormant();
  const file = sideFile();
  const handle = await rt.start(adds, file, 3);
  for (let i = 0; i < 3; i++) {
    await untilDormant(rt, 1);
    expect(await handle.status()).toBe('WAITING_SIGNAL');
    await handle.signal('add', 10 ** i);
  }
  expect(await handle.result()).toBe(111);
  expect(rt.metrics().dormant).toBe(0);
  expect(ran(file)).toEqual(['first', 'after-0', 'after-1', 'after-2', 'last']);
  const history = await handle.history();
  expect(history.filter((e) => e.type === 'signal.received')).toHaveLength(3);
  expect(history.filter((e) => e.type === 'activity.scheduled')).toHaveLength(5);
});

it('takes every signal of a burst sent while it wakes, once each', async () => {
  const rt = await openDormant();
  const file = sideFile();
  const handle = await rt.start(adds, file, 4);
  await untilDormant(rt, 1);
  await Promise.all([1, 2, 4].map((n) => handle.signal('add', n)));
  // A signal taken twice would be the fourth round's: it waits for one more.
  await vi.waitFor(() => expect(ran(file)).toContain('after-2'));
  await untilDormant(rt, 1);
  await handle.signal('add', 8);
  expect(await handle.result()).toBe(15);
  const received = (await handle.history()).filter((e) => e.type === 'signal.received');
  expect(received).toHaveLength(4);
  expect(new Set(received.map((e) => e.seq)).size).toBe(4);
});

it('wakes for a signal it does not wait for yet, and sleeps again until the one it waits for', async () => {
  const rt = await openDormant();
  const handle = await rt.start(waitsForBoth);
  await untilDormant(rt, 1);
  await handle.signal('b', 'B');
  // Woken, it takes `b`, and goes dormant again waiting for `a`.
  await vi.waitFor(async () =>
    expect((await handle.history()).filter((e) => e.type === 'signal.received')).toHaveLength(1),
  );
  await untilDormant(rt, 1);
  await handle.signal('a', 'A');
  expect(await handle.result()).toBe('AB');
});

it('stays dormant across a restart, reading nothing of it until a signal comes', async () => {
  const dataDir = tempDir();
  const file = sideFile();
  const first = await openDormant({ dataDir });
  const started = await first.start(adds, file, 1);
  await untilDormant(first, 1);
  await first.close();

  const rt = await openDormant({ dataDir });
  expect(rt.metrics().dormant).toBe(1);
  const handle = await rt.get(started.id);
  expect(await handle.status()).toBe('WAITING_SIGNAL');
  await handle.signal('add', 7);
  expect(await handle.result()).toBe(7);
  expect(ran(file)).toEqual(['first', 'after-0', 'last']);
});

it('resumes after a restart when a signal was committed just before the close', async () => {
  const dataDir = tempDir();
  const file = sideFile();
  const first = await openDormant({ dataDir });
  const handle = await first.start(adds, file, 1);
  await untilDormant(first, 1);
  await handle.signal('add', 5);
  await first.close(); // the wake may not have finished: the signal is in the inbox, the mark gone

  const rt = await openDormant({ dataDir });
  expect(await (await rt.get(handle.id)).result()).toBe(5);
  expect(ran(file).filter((tag) => tag === 'first')).toHaveLength(1);
});

it('cancels a dormant execution', async () => {
  const rt = await openDormant();
  const handle = await rt.start(adds, sideFile(), 1);
  await untilDormant(rt, 1);
  expect(await handle.cancel('no longer needed')).toBe(true);
  expect(await handle.status()).toBe('CANCELLED');
  expect(rt.metrics().dormant).toBe(0);
});

it('keeps in memory an execution whose wait has a deadline', async () => {
  const rt = await openDormant();
  const timed = await rt.start(waitsWithDeadline);
  await waitForStatus(timed, 'WAITING_SIGNAL');
  // One that can sleep, started after: once it is dormant, the sweep has seen the timed one too.
  const other = await rt.start(adds, sideFile(), 1);
  await untilDormant(rt, 1);
  expect(await rt.get(other.id).then((h) => h.status())).toBe('WAITING_SIGNAL');
  await timed.signal('go', 'now');
  expect(await timed.result()).toBe('now');
  expect(rt.metrics().dormant).toBe(1);
});

it('keeps every actor in memory with dormantAfterMs: Infinity', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES], dormantAfterMs: Infinity });
  const handle = await rt.start(adds, sideFile(), 1);
  await waitForStatus(handle, 'WAITING_SIGNAL');
  expect(rt.metrics().dormant).toBe(0);
  await handle.signal('add', 1);
  expect(await handle.result()).toBe(1);
});
