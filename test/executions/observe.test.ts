/** What an operator reads of executions: tasks, profile, followed logs, idempotent-start flag, list since, metrics. */
import { afterEach, expect, it } from 'vitest';
import type { LogLine } from '../../src/index.js';
import { cleanup, open, release, sideFile, waitForLine } from '../fixtures/harness.js';
import { awaitGo, gates } from '../fixtures/daemon-workflows.js';
import { ACTIVITIES, ALL_WORKFLOWS } from '../fixtures/workflows.js';

afterEach(cleanup);

const WORKFLOWS = [...ALL_WORKFLOWS, awaitGo, gates];

it('lists activity steps as tasks and profiles where the time went', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES] });
  const file = sideFile();
  const handle = await rt.start(gates, file, 'g', 2);
  await waitForLine(file, { event: 'start', tag: 'g-1' });
  expect(await handle.tasks()).toMatchObject([{ step: 1, activity: 'gate', taskList: 'default', state: 'scheduled' }]);
  release(file, 'g-1');
  release(file, 'g-2');
  expect(await handle.result()).toEqual(['g-1', 'g-2']);

  const tasks = await handle.tasks();
  expect(tasks.map((t) => [t.step, t.activity, t.state, t.attempts])).toEqual([
    [1, 'gate', 'completed', 1],
    [2, 'gate', 'completed', 1],
  ]);
  for (const t of tasks) {
    expect(t.startedAt!.getTime()).toBeGreaterThanOrEqual(t.scheduledAt.getTime());
    expect(t.endedAt!.getTime()).toBeGreaterThanOrEqual(t.startedAt!.getTime());
  }
  const profile = await handle.profile();
  const info = await handle.info();
  expect(profile.totalMs).toBe(info.endedAt!.getTime() - info.startedAt!.getTime());
  expect(profile.tasks).toHaveLength(2);
  for (const row of profile.tasks) {
    expect(row.runningMs).toBe(row.endedAt!.getTime() - row.startedAt!.getTime());
    expect(row.waitingMs).toBe(row.startedAt!.getTime() - row.scheduledAt.getTime());
    expect(row.percent).toBeGreaterThanOrEqual(0);
    expect(row.percent).toBeLessThanOrEqual(100);
  }
});

it('follows logs: stored lines first, then live ones, ending with the execution', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES] });
  const handle = await rt.start(awaitGo);
  await expect.poll(() => handle.status()).toBe('WAITING_SIGNAL');
  const seen: LogLine[] = [];
  const followed = (async () => {
    for await (const line of handle.followLogs({ level: 'info' })) {
      seen.push(line);
      if (seen.length === 1) await handle.signal('go', { n: 1 });
    }
  })();
  await followed;
  expect(seen.map((l) => l.msg)).toEqual(['waiting for go', 'got go']);
  expect(seen[1]).toMatchObject({ payload: { n: 1 }, executionId: handle.id, workflow: 'awaitGo' });
  // Once ended, following answers the stored lines and stops.
  const again: string[] = [];
  for await (const line of handle.followLogs()) again.push(String(line.msg));
  expect(again).toEqual(['waiting for go', 'got go']);
});

it('stops following when the signal aborts', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES] });
  const handle = await rt.start(awaitGo);
  const controller = new AbortController();
  const seen: string[] = [];
  for await (const line of handle.followLogs({ signal: controller.signal })) {
    seen.push(String(line.msg));
    controller.abort();
  }
  expect(seen).toEqual(['waiting for go']);
  await handle.cancel();
});

it('says whether start created the execution, and lists executions created since a time', async () => {
  const rt = await open();
  const first = await rt.start({ workflow: 'echo', args: [1], id: 'order-1' });
  const again = await rt.start({ workflow: 'echo', args: [2], id: 'order-1' });
  expect([first.created, again.created]).toEqual([true, false]);
  await first.result();
  const cut = (await first.info()).createdAt.getTime() + 1;
  const later = await rt.start('echo', 3);
  await later.result();
  const since = await rt.list({ since: (await later.info()).createdAt.getTime() });
  expect(since.items.map((i) => i.id)).toContain(later.id);
  expect(since.items.map((i) => i.id)).not.toContain('order-1');
  expect((await rt.list({ since: cut - 10_000 })).items).toHaveLength(2);
  await expect(rt.list({ since: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
});

it('counts executions by status, activity latency, pool use and group commits', async () => {
  const dataDir = (await import('../fixtures/harness.js')).tempDir();
  let rt = await open({ dataDir });
  await (await rt.start('echo', 'a')).result();
  const file = sideFile();
  await rt.start('gated', file, 'm');
  await waitForLine(file, { event: 'start', tag: 'm' });
  let m = rt.metrics();
  expect(m.executions.SUCCESS).toBe(1);
  expect(m.executions.RUNNING).toBe(1);
  expect(m.executions.FAILED).toBe(0);
  expect(m.pools).toEqual([expect.objectContaining({ taskList: 'default', threads: 2 })]);
  expect(m.journal.batches).toBeGreaterThan(0);
  expect(m.journal.batchSize.count).toBe(m.journal.batches);
  expect(m.journal.batchSize.counts.reduce((a, b) => a + b, 0)).toBe(m.journal.batches);
  await rt.close();

  rt = await open({ dataDir }); // counts come back from the store
  m = rt.metrics();
  expect([m.executions.SUCCESS, m.executions.RUNNING]).toEqual([1, 1]);
  release(file, 'm');
  await expect.poll(() => rt.metrics().executions.SUCCESS).toBe(2);
  m = rt.metrics();
  expect(m.executions.RUNNING).toBe(0);
  const gate = m.activities.find((a) => a.activity === 'gate' && a.ok);
  expect(gate?.taskList).toBe('default');
  expect(gate?.latency.count).toBe(1);
  expect(gate?.latency.counts.reduce((a, b) => a + b, 0)).toBe(1);
});

it('stops waiting for a result when the signal aborts, and the execution goes on', async () => {
  const rt = await open({ workflows: WORKFLOWS, activities: [ACTIVITIES] });
  const handle = await rt.start(awaitGo);
  const controller = new AbortController();
  const waiting = handle.result({ signal: controller.signal });
  controller.abort();
  await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  await handle.signal('go', 7);
  expect(await handle.result()).toBe(7);
});
