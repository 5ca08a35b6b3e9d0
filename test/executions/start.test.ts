/**
 * Starting executions: the same id gives one execution (twice in a row, twice in the same
 * tick, after it ended, after a reopen); maxRunning keeps the rest PENDING, never more than
 * the limit RUNNING, and starts them in FIFO order.
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { ExecutionHandle, ExecutionStatus } from '../../src/index.js';
import {
  cleanup,
  open,
  readSide,
  rejection,
  release,
  sideFile,
  T0,
  tempDir,
  TestClock,
  waitForLine,
} from '../fixtures/harness.js';

afterEach(cleanup);

it('the same id twice in a row gives one execution', async () => {
  const rt = await open();
  const a = await rt.start({ workflow: 'echo', args: ['first'], id: 'order-1' });
  const b = await rt.start({ workflow: 'echo', args: ['second'], id: 'order-1' });
  expect(b.id).toBe('order-1');
  expect(a.id).toBe('order-1');
  expect(await b.result()).toBe('first');
  expect((await rt.list()).items.map((i) => i.id)).toEqual(['order-1']);
});

it('the same id twice in the same tick gives one execution', async () => {
  const rt = await open();
  const [a, b] = await Promise.all([
    rt.start({ workflow: 'echo', args: ['first'], id: 'order-2' }),
    rt.start({ workflow: 'echo', args: ['second'], id: 'order-2' }),
  ]);
  expect([a.id, b.id]).toEqual(['order-2', 'order-2']);
  expect(await a.result()).toBe('first');
  expect(await b.result()).toBe('first');
  const { items } = await rt.list();
  expect(items).toHaveLength(1);
  expect(items[0]!.input).toEqual({ args: ['first'] });
});

it('the same id after the execution ended, and after a reopen, answers the existing one', async () => {
  const dataDir = tempDir();
  const first = await open({ dataDir });
  const done = await first.start({ workflow: 'echo', args: [1], id: 'order-3' });
  expect(await done.result()).toBe(1);
  const again = await first.start({ workflow: 'echo', args: [2], id: 'order-3' });
  expect(await again.result()).toBe(1);
  await first.close();

  const second = await open({ dataDir });
  const reopened = await second.start({ workflow: 'echo', args: [3], id: 'order-3' });
  const info = await reopened.info();
  expect(info).toMatchObject({ id: 'order-3', status: 'SUCCESS', result: 1, input: { args: [1] } });
  expect((await second.list()).items).toHaveLength(1);
});

it('refuses an id that is not a valid name', async () => {
  const rt = await open();
  expect((await rejection(rt.start({ workflow: 'echo', args: [1], id: 'has space' }))).code).toBe('INVALID_NAME');
  expect((await rejection(rt.start({ workflow: 'echo', args: [1], id: '' }))).code).toBe('INVALID_NAME');
  expect((await rt.list()).items).toEqual([]);
});

it('maxRunning 2 with 6 executions: never more than 2 RUNNING, all finish, started in FIFO order', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock, maxRunning: 2 });
  const file = sideFile();
  const tags = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'];
  const handles: ExecutionHandle[] = [];
  for (const tag of tags) {
    handles.push(await rt.start({ workflow: 'gated', args: [file, tag], id: tag }));
    clock.advance(1); // distinct creation times
  }
  // No gate is open, so nothing changes status until the loop below.
  const status = new Map<string, ExecutionStatus>();
  for (const h of handles) status.set(h.id, await h.status());
  const countRunning = (): number => [...status.values()].filter((s) => s === 'RUNNING').length;
  let mostRunning = countRunning();
  for (const h of handles)
    h.subscribe(({ id, status: s }) => {
      status.set(id, s);
      mostRunning = Math.max(mostRunning, countRunning());
    });
  expect((await rt.list({ status: 'RUNNING' })).items.map((i) => i.id)).toEqual(['e0', 'e1']);
  expect((await rt.list({ status: 'PENDING' })).items.map((i) => i.id)).toEqual(['e2', 'e3', 'e4', 'e5']);

  for (const [i, tag] of tags.entries()) {
    clock.advance(1); // distinct start times
    await vi.waitFor(() => expect(readSide(file)).toContainEqual(expect.objectContaining({ event: 'start', tag })), {
      timeout: 20_000,
      interval: 10,
    });
    release(file, tag);
    expect(await handles[i]!.result()).toBe(tag);
    expect((await rt.list({ status: 'RUNNING' })).items.length).toBeLessThanOrEqual(2);
  }

  expect(mostRunning).toBe(2);
  const infos = await Promise.all(handles.map((h) => h.info()));
  expect(infos.map((i) => i.status)).toEqual(tags.map(() => 'SUCCESS'));
  const created = infos.map((i) => i.createdAt.getTime());
  const started = infos.map((i) => i.startedAt!.getTime());
  expect(created).toEqual([...created].sort((a, b) => a - b));
  expect(started).toEqual([...started].sort((a, b) => a - b));
  expect(new Set(started).size).toBe(6);

  // From the activities' own log: never more than 2 gates open at once.
  let openGates = 0;
  let mostOpen = 0;
  for (const line of readSide(file)) {
    if (line.event === 'start') mostOpen = Math.max(mostOpen, ++openGates);
    if (line.event === 'end') openGates--;
  }
  expect(mostOpen).toBeLessThanOrEqual(2);
});

it('a start with an id in flight when close() begins rejects with RUNTIME_CLOSED', async () => {
  const rt = await open();
  const starting = rt.start({ workflow: 'echo', args: [1], id: 'late' });
  const closing = rt.close();
  const err = await rejection(starting);
  await closing;
  expect(err.code).toBe('RUNTIME_CLOSED');
});

it('a PENDING start racing close() leaves no interval keeping the process alive', async () => {
  const set = vi.spyOn(globalThis, 'setInterval');
  const clear = vi.spyOn(globalThis, 'clearInterval');
  const leaked = (): NodeJS.Timeout[] => {
    const cleared = new Set(clear.mock.calls.map(([handle]) => handle));
    return set.mock.calls
      .map(([, ms], i) => ({ ms, handle: set.mock.results[i]?.value as NodeJS.Timeout }))
      .filter(({ ms, handle }) => ms === 2 ** 30 && !cleared.has(handle)) // the supervisor's keep-alive
      .map(({ handle }) => handle);
  };
  try {
    const rt = await open({ maxRunning: 1 });
    const file = sideFile();
    await rt.start('gated', file, 'holds-the-slot');
    await waitForLine(file, { event: 'start', tag: 'holds-the-slot' });
    const queued = rt.start('echo', 'queued'); // PENDING: the only slot is taken
    await rt.close();
    await queued.catch(() => undefined);
    expect(leaked()).toEqual([]);
  } finally {
    for (const handle of leaked()) clearInterval(handle);
    set.mockRestore();
    clear.mockRestore();
  }
});
