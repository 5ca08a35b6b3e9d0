/** ctx.queue, ctx.constant and ctx.credential: recorded steps (queues, constants), a live read (credentials). */
import { afterEach, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { cleanup, open, tempDir } from '../fixtures/harness.js';
import { ACTIVITIES, ALL_WORKFLOWS } from '../fixtures/workflows.js';

afterEach(cleanup);

/** Takes every element of `queue`, marking each DONE with a message naming the execution. */
const drain = workflow('drain', async (ctx, queue: string) => {
  const q = ctx.queue<{ n: number }>(queue);
  let sum = 0;
  for (let e = await q.next(); e; e = await q.next()) {
    sum += e.data?.n ?? 0;
    await q.setStatus(e.id, 'DONE', `by ${ctx.executionId}`);
  }
  return sum;
});

/** Claims one element, waits for `go`, then completes it: a restart in between must not claim again. */
const claimThenWait = workflow('claimThenWait', async (ctx, queue: string) => {
  const q = ctx.queue<string>(queue);
  const e = await q.next();
  if (!e) return 'empty';
  await ctx.waitSignal('go');
  await q.setStatus(e.id, 'DONE');
  return e.data;
});

const settingsOf = workflow('settingsOf', async (ctx) => {
  const region = await ctx.constant('region');
  const { username, password } = await ctx.credential('smtp');
  return { region, username, passwordLength: password.length };
});

const missingConstant = workflow('missingConstant', async (ctx) => {
  try {
    return await ctx.constant('nope');
  } catch (err) {
    return (err as { code?: string }).code;
  }
});

/** Adds elements one at a time and in bulk, one of them naming its creator. */
const produce = workflow('produce', async (ctx, queue: string) => {
  const q = ctx.queue<number>(queue);
  await q.create(1, { reference: 'one' });
  const more = await q.bulkCreate([{ data: 2 }, { data: 3, createdBy: 'billing' } as { data: number }]);
  return more.length + 1;
});

const WORKFLOWS = [...ALL_WORKFLOWS, drain, claimThenWait, settingsOf, missingConstant, produce];

it('a workflow drains a queue through recorded steps', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES] });
  await rt.queues.bulkCreate('orders', [{ data: { n: 1 } }, { data: { n: 2 } }, { data: { n: 3 } }]);
  const handle = await rt.start(drain, 'orders');
  expect(await handle.result()).toBe(6);
  const elements = await rt.queues.list('orders');
  expect(elements.map((e) => e.status)).toEqual(['DONE', 'DONE', 'DONE']);
  expect(elements.every((e) => e.message === `by ${handle.id}`)).toBe(true);
  const calls = (await handle.history()).filter((e) => e.type === 'call.completed');
  expect(calls).toHaveLength(3 + 3 + 1); // three claims, three status changes, the empty next
});

it('replay after a restart answers the claimed element, and nothing is claimed twice', async () => {
  const dataDir = tempDir();
  let rt = await open({ dataDir, workflows: WORKFLOWS, activities: [ACTIVITIES] });
  await rt.queues.bulkCreate('jobs', [{ data: 'first' }, { data: 'second' }]);
  const handle = await rt.start(claimThenWait, 'jobs');
  await expect.poll(() => handle.status()).toBe('WAITING_SIGNAL');
  await rt.close();

  rt = await open({ dataDir, workflows: WORKFLOWS, activities: [ACTIVITIES] });
  const resumed = await rt.get(handle.id);
  await resumed.signal('go');
  expect(await resumed.result()).toBe('first');
  const byData = Object.fromEntries((await rt.queues.list('jobs')).map((e) => [e.data as string, e.status]));
  expect(byData).toEqual({ first: 'DONE', second: 'NEW' });
});

it('elements a workflow creates name its execution as createdBy, unless it gave one', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES] });
  const handle = await rt.start(produce, 'made');
  expect(await handle.result()).toBe(3);
  const byData = Object.fromEntries((await rt.queues.list('made')).map((e) => [e.data as number, e.createdBy]));
  expect(byData).toEqual({ 1: handle.id, 2: handle.id, 3: 'billing' });
  expect((await rt.queues.create('made', { data: 4 })).createdBy).toBe('api');
});

it('reads constants as recorded steps and credentials live, keeping the password out of the history', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES] });
  const password = 'correct horse battery staple 7f3a9c';
  await rt.constants.set('region', 'eu-west');
  await rt.credentials.set('smtp', { username: 'mailer', password });
  const handle = await rt.start(settingsOf);
  expect(await handle.result()).toEqual({ region: 'eu-west', username: 'mailer', passwordLength: password.length });
  const history = JSON.stringify(await handle.history());
  expect(history).toContain('eu-west');
  expect(history).not.toContain(password);

  expect(await (await rt.start(missingConstant)).result()).toBe('CONSTANT_NOT_FOUND');
});
