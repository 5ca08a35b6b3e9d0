/**
 * Child workflows: the parent gets the child's result (the child's id is `<parentId>:<step>`);
 * a child's failure is the parent's to catch, with its code; uncaught, it fails the parent;
 * cancelling the parent cancels a running child (whose activity sees its abort); a child
 * running across close + reopen is found again, not started twice, and both finish.
 */
import { afterEach, expect, it, vi } from 'vitest';
import {
  workflow,
  type ExecutionHandle,
  type ExecutionStatus,
  type RemoteError,
  type Runtime,
  type WeftError,
} from '../../src/index.js';
import type * as acts from '../fixtures/activities.js';
import { cleanup, open, readSide, rejection, release, sideFile, waitForLine } from '../fixtures/harness.js';
import { throwsWeft } from '../fixtures/workflows.js';

afterEach(cleanup);

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 5 });
}

/** A handle on the child `id` once it exists. */
async function childOf(rt: Runtime, id: string): Promise<ExecutionHandle> {
  return vi.waitFor(() => rt.get(id), { timeout: 20_000, interval: 5 });
}

/** Runs keyed(file, tag): answers its tag, idempotency key and attempt. */
const keyedChild = workflow('keyedChild', async (ctx, file: string, tag: string) => {
  const { keyed } = ctx.activities<typeof acts>();
  return keyed(file, tag);
});

/** Runs gate(file, tag). */
const gatedChild = workflow('gatedChild', async (ctx, file: string, tag: string) => {
  const { gate } = ctx.activities<typeof acts>();
  return gate(file, tag);
});

/** Its activity fails for good (BoomError, code E_BOOM): the child ends FAILED with ACTIVITY_FAILED. */
const failingChild = workflow('failingChild', async (ctx, file: string) => {
  const { failWith } = ctx.activities<typeof acts>({ retry: { maxAttempts: 1 } });
  return failWith(file, 'BoomError', 'E_BOOM');
});

/** Waits for a signal nobody sends. */
const waitsForever = workflow('waitsForever', async (ctx) => ctx.waitSignal('never'));

/** keyedChild('one'), then gatedChild('g'). */
const parentOfTwo = workflow('parentOfTwo', async (ctx, file: string) => {
  const one = await ctx.child(keyedChild, file, 'one');
  const two = await ctx.child(gatedChild, file, 'g');
  return { one, two };
});

/** Runs the child `name` and answers its result, or what it caught: code, name, remote error. */
const catchesChild = workflow('catchesChild', async (ctx, name: string, args: unknown[]) => {
  try {
    return { value: await ctx.child(name, ...args) };
  } catch (err) {
    const e = err as WeftError & { remote?: RemoteError };
    return { code: e.code, name: e.name, ...(e.remote && { remote: { name: e.remote.name, code: e.remote.code } }) };
  }
});

/** Runs failingChild without catching. */
const failsWithChild = workflow('failsWithChild', async (ctx, file: string) => ctx.child(failingChild, file));

/** Runs gatedChild('g') and waits for it. */
const parentOfGated = workflow('parentOfGated', async (ctx, file: string) => ctx.child(gatedChild, file, 'g'));

/** Starts a child it does not await, then fails as soon as its next step is recorded. */
const abandonsChild = workflow('abandonsChild', async (ctx) => {
  void ctx.child(waitsForever);
  await ctx.now();
  throw new Error('the parent gives up');
});

const ALL = [
  keyedChild,
  gatedChild,
  failingChild,
  waitsForever,
  parentOfTwo,
  catchesChild,
  failsWithChild,
  parentOfGated,
  abandonsChild,
  throwsWeft,
];

it("answers the child's result; the child's id is <parentId>:<step>", async () => {
  const rt = await open({ workflows: ALL });
  const file = sideFile();
  release(file, 'g');
  const parent = await rt.start(parentOfTwo, file);
  const result = await parent.result();
  expect(result).toEqual({ one: { tag: 'one', key: `${parent.id}:1:1`, attempt: 1 }, two: 'g' });
  const history = await parent.history();
  expect(history).toEqual([
    expect.objectContaining({ type: 'child.started', step: 1, workflow: 'keyedChild', childId: `${parent.id}:1` }),
    expect.objectContaining({ type: 'child.ended', step: 1, childId: `${parent.id}:1`, status: 'SUCCESS' }),
    expect.objectContaining({ type: 'child.started', step: 2, workflow: 'gatedChild', childId: `${parent.id}:2` }),
    expect.objectContaining({ type: 'child.ended', step: 2, childId: `${parent.id}:2`, status: 'SUCCESS' }),
  ]);
  const child = await rt.get(`${parent.id}:1`);
  expect(await child.info()).toMatchObject({
    workflow: 'keyedChild',
    status: 'SUCCESS',
    input: { args: [file, 'one'] },
  });
});

it("lets the parent catch a child's failure, with its code", async () => {
  const rt = await open({ workflows: ALL });
  const file = sideFile();
  const activity = await rt.start(catchesChild, 'failingChild', [file]);
  expect(await activity.result()).toEqual({
    code: 'ACTIVITY_FAILED',
    name: 'ActivityFailure',
    remote: { name: 'BoomError', code: 'E_BOOM' },
  });
  expect((await (await rt.get(`${activity.id}:1`)).info()).error?.code).toBe('ACTIVITY_FAILED');
  // A weft error the child threw keeps its own code.
  const thrown = await rt.start(catchesChild, 'throwsWeft', []);
  expect(await thrown.result()).toMatchObject({ code: 'VERSION_CONFLICT' });
  // A child of a workflow nobody registered.
  const missing = await rt.start(catchesChild, 'noSuchWorkflow', []);
  expect(await missing.result()).toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
});

it('fails the parent with the child’s error when it does not catch it', async () => {
  const rt = await open({ workflows: ALL });
  const parent = await rt.start(failsWithChild, sideFile());
  const err = await rejection(parent.result());
  expect(err.code).toBe('ACTIVITY_FAILED');
  const info = await parent.info();
  expect(info.status).toBe('FAILED');
  expect(info.error?.code).toBe('ACTIVITY_FAILED');
  expect(await (await rt.get(`${parent.id}:1`)).status()).toBe('FAILED');
});

it('gives the parent CANCELLED to catch when its child is cancelled', async () => {
  const rt = await open({ workflows: ALL });
  const parent = await rt.start(catchesChild, 'waitsForever', []);
  const child = await childOf(rt, `${parent.id}:1`);
  await waitForStatus(child, 'WAITING_SIGNAL');
  expect(await child.cancel('by the test')).toBe(true);
  expect(await parent.result()).toMatchObject({ code: 'CANCELLED' });
});

it('cancels a running child when the parent is cancelled; its activity sees the abort', async () => {
  const rt = await open({ workflows: ALL });
  const file = sideFile();
  const parent = await rt.start(parentOfGated, file);
  await waitForLine(file, { event: 'start', tag: 'g' });
  await waitForStatus(parent, 'WAITING_CHILD');
  const child = await rt.get(`${parent.id}:1`);
  expect(await child.status()).toBe('RUNNING');

  expect(await parent.cancel('by the test')).toBe(true);
  expect((await rejection(parent.result())).code).toBe('CANCELLED');
  const err = await rejection(child.result());
  expect(err.code).toBe('CANCELLED');
  expect(await child.status()).toBe('CANCELLED');
  await waitForLine(file, { event: 'aborted', tag: 'g' });
  expect(readSide(file).filter((l) => l.event === 'end')).toEqual([]);
});

it('finds a running child again after close + reopen: not started twice, both finish', async () => {
  let rt = await open({ workflows: ALL });
  const dataDir = rt.dataDir;
  const file = sideFile();
  const parent = await rt.start(parentOfTwo, file);
  await waitForLine(file, { event: 'start', tag: 'g' });
  await waitForStatus(parent, 'WAITING_CHILD');
  const before = (await rt.list({ workflow: 'gatedChild' })).items;
  expect(before.map((c) => c.id)).toEqual([`${parent.id}:2`]);
  await rt.close();

  rt = await open({ workflows: ALL, dataDir });
  const again = await rt.get(parent.id);
  const child = await rt.get(`${parent.id}:2`);
  // The child resumes its gate (dispatched again, same key); the parent waits for it.
  await vi.waitFor(() => expect(readSide(file).filter((l) => l.event === 'start' && l.tag === 'g')).toHaveLength(2), {
    timeout: 20_000,
    interval: 10,
  });
  await waitForStatus(again, 'WAITING_CHILD');
  release(file, 'g');
  expect(await again.result()).toMatchObject({ one: { tag: 'one' }, two: 'g' });
  expect(await child.status()).toBe('SUCCESS');

  // One child per step, the same execution as before the close; the first child did not run again.
  const children = (await rt.list()).items.filter((e) => e.id.startsWith(`${parent.id}:`));
  expect(children.map((c) => c.id).sort()).toEqual([`${parent.id}:1`, `${parent.id}:2`]);
  expect(children.find((c) => c.id === `${parent.id}:2`)?.createdAt).toEqual(before[0]?.createdAt);
  expect(readSide(file).filter((l) => l.event === 'ran')).toHaveLength(1);
  const history = await again.history();
  expect(history.filter((e) => e.type === 'child.started').map((e) => e.step)).toEqual([1, 2]);
  expect(history.filter((e) => e.type === 'child.ended').map((e) => e.step)).toEqual([1, 2]);
  const gates = new Set(
    readSide(file)
      .filter((l) => l.event === 'start' && l.tag === 'g')
      .map((l) => l.key),
  );
  expect([...gates]).toEqual([`${parent.id}:2:1`]);
});

it('cancels a child whose parent ends while the child is being started', async () => {
  const rt = await open({ workflows: ALL });
  const parent = await rt.start(abandonsChild);
  expect((await rejection(parent.result())).code).toBe('WORKFLOW_ERROR');
  expect(await parent.history()).toContainEqual(expect.objectContaining({ type: 'child.started', step: 1 }));
  const child = await childOf(rt, `${parent.id}:1`);
  await vi.waitFor(async () => expect(['WAITING_SIGNAL', 'CANCELLED']).toContain(await child.status()), {
    timeout: 20_000,
    interval: 5,
  });
  expect(await child.status()).toBe('CANCELLED');
});

it('runs a child even when its parent holds the only running slot (maxRunning: 1)', async () => {
  const leaf = workflow('leaf', (_ctx, n: number) => Promise.resolve(n * 2));
  const root = workflow('root', async (ctx, n: number) => (await ctx.child(leaf, n)) + 1);
  const rt = await open({ workflows: [leaf, root], maxRunning: 1 });
  expect(await (await rt.start(root, 20)).result()).toBe(41);
});
