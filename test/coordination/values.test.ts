/**
 * Recorded values: ctx.now(), ctx.random() and ctx.uuid() are recorded in the history
 * (`value.recorded`), and a replay after close + reopen hands the workflow the recorded
 * values, not fresh ones, even with the clock moved on.
 */
import { afterEach, expect, it } from 'vitest';
import { workflow, type HistoryEvent } from '../../src/index.js';
import { decodeValue } from '../../src/store/codec.js';
import type * as acts from '../fixtures/activities.js';
import { cleanup, open, release, sideFile, T0, TestClock, waitForLine } from '../fixtures/harness.js';

afterEach(cleanup);

/** Records a time, a number and a uuid, then waits on a gate: the replay happens across that wait. */
const records = workflow('records', async (ctx, file: string) => {
  const { gate } = ctx.activities<typeof acts>();
  const now = await ctx.now();
  const random = await ctx.random();
  const uuid = await ctx.uuid();
  await gate(file, 'g');
  return { now: now.getTime(), isDate: now instanceof Date, random, uuid };
});

type Recorded = Extract<HistoryEvent, { type: 'value.recorded' }>;

it('replays now, random and uuid with the values recorded before the restart', async () => {
  const clock = new TestClock(T0);
  let rt = await open({ workflows: [records], clock });
  const dataDir = rt.dataDir;
  const file = sideFile();
  const handle = await rt.start(records, file);
  await waitForLine(file, { event: 'start', tag: 'g' });
  const recorded = (await handle.history()).filter((e): e is Recorded => e.type === 'value.recorded');
  expect(recorded.map((e) => [e.step, e.kind])).toEqual([
    [1, 'now'],
    [2, 'random'],
    [3, 'uuid'],
  ]);
  const [now, random, uuid] = recorded.map((e) => decodeValue(e.value));
  await rt.close();

  // A later clock: a fresh ctx.now() would differ.
  rt = await open({ workflows: [records], clock: new TestClock(T0 + 3_600_000), dataDir });
  const again = await rt.get(handle.id);
  release(file, 'g');
  const result = (await again.result()) as { now: number; isDate: boolean; random: number; uuid: string };
  expect(result).toEqual({ now: T0, isDate: true, random, uuid });
  expect(new Date(now as Date | number).getTime()).toBe(T0);
  expect(random).toBeGreaterThanOrEqual(0);
  expect(random).toBeLessThan(1);
  expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  // Nothing recorded twice.
  expect((await again.history()).filter((e) => e.type === 'value.recorded')).toHaveLength(3);
});

it('gives fresh values to each execution', async () => {
  const rt = await open({ workflows: [records] });
  const file = sideFile();
  release(file, 'g');
  const [a, b] = await Promise.all([
    (await rt.start(records, file)).result(),
    (await rt.start(records, file)).result(),
  ]);
  expect(a.uuid).not.toBe(b.uuid);
  expect(a.random).not.toBe(b.random);
});
