/**
 * Queue triggers: one execution per NEW element, at most `concurrency` at once, the outcome
 * recorded on the element (DONE with the result, FAILED with `CODE: message`), woken by the
 * queue's watch; and after a restart the claimed elements are picked up again, no element
 * is run twice, and new ones are claimed only up to the concurrency.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QueueTriggerRecord } from '../../actors/scheduler/messages.js';
import type { Runtime } from '../../src/index.js';
import { Journal } from '../../src/store/journal.js';
import { openLevelStore } from '../../src/store/level-store.js';
import { cleanup, T0, tempDir } from '../fixtures/harness.js';
import { closeAll, executionsOf, openRuntime, TestClock, waitForExecutions, waitIdle } from './fixtures.js';

afterEach(async () => {
  await closeAll();
  await cleanup();
});

const FINAL = new Set(['SUCCESS', 'FAILED', 'CANCELLED', 'TIMED_OUT']);
const WAIT = { timeout: 20_000, interval: 5 };

/** The ids of the trigger's executions still running, checked against the concurrency on every look. */
async function waitRunning(rt: Runtime, count: number, max: number): Promise<string[]> {
  return vi.waitFor(
    async () => {
      const running = (await executionsOf(rt, 'work')).filter((e) => !FINAL.has(e.status)).map((e) => e.id);
      if (running.length > max) throw new Error(`more than ${max} running: ${running.join(', ')}`);
      expect(running).toHaveLength(count);
      return running;
    },
    { timeout: 20_000, interval: 5 },
  );
}

/** The element a queue trigger's execution runs: its id is `<trigger>:<elementId>:<claim token>`. */
function elementOf(executionId: string): string {
  return executionId.split(':')[1]!;
}

/** The id of the one execution the trigger started for the element. */
async function executionOf(rt: Runtime, elementId: string): Promise<string> {
  const ids = (await executionsOf(rt, 'work')).map((e) => e.id).filter((id) => elementOf(id) === elementId);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

/** Lets the execution finish, and waits until it has. */
async function go(rt: Runtime, id: string): Promise<void> {
  const handle = await rt.get(id);
  await handle.signal('go');
  await vi.waitFor(async () => expect(FINAL.has(await handle.status())).toBe(true), { timeout: 20_000, interval: 5 });
}

describe('queue triggers', () => {
  it('drain a queue with concurrency 2, never more than 2 running, recording DONE and FAILED', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    const elements = await rt.queues.bulkCreate(
      'jobs',
      [0, 1, 2, 3, 4, 5].map((n) => ({ reference: `r${n}`, data: n === 3 ? { fail: 'bad 3' } : { n } })),
    );
    const trigger = await rt.triggers.create({
      kind: 'queue',
      name: 'drain',
      workflow: 'work',
      queue: 'jobs',
      concurrency: 2,
    });
    expect(trigger).toMatchObject({ kind: 'queue', queue: 'jobs', concurrency: 2, paused: false });

    for (let done = 0; done < elements.length; done++) {
      const running = await waitRunning(rt, Math.min(2, elements.length - done), 2);
      expect((await rt.triggers.get('drain'))?.running.length).toBeLessThanOrEqual(2);
      // The oldest running one goes first: claims are made oldest first.
      await go(rt, running.sort((a, b) => order(a) - order(b))[0]!);
    }
    function order(executionId: string): number {
      return elements.findIndex((e) => elementOf(executionId) === e.id);
    }
    await waitRunning(rt, 0, 2);
    await vi.waitFor(async () => expect((await rt.triggers.get('drain'))?.running).toEqual([]));

    const stored = await Promise.all(elements.map((e) => rt.queues.get(e.id)));
    expect(stored.map((e) => e.status)).toEqual(['DONE', 'DONE', 'DONE', 'FAILED', 'DONE', 'DONE']);
    expect(stored[0]?.message).toBe(JSON.stringify({ ok: { n: 0 }, reference: 'r0' }));
    expect(stored[3]?.message).toMatch(/^INVALID_VALUE: .*bad 3/);
    const ids = (await executionsOf(rt, 'work')).map((e) => e.id);
    expect(ids.every((id) => id.startsWith('drain:'))).toBe(true);
    expect(ids.map(elementOf).sort()).toEqual(elements.map((e) => e.id).sort());
    const runs = await rt.triggers.runs('drain');
    expect(runs.map((r) => r.outcome).sort()).toEqual(['DONE', 'DONE', 'DONE', 'DONE', 'DONE', 'FAILED']);

    // Idle now: a new element wakes it through the queue's watch (no poll: the clock stands still).
    const late = await rt.queues.create('jobs', { data: { n: 6 } });
    const [id] = await waitRunning(rt, 1, 2);
    expect(elementOf(id!)).toBe(late.id);
    await go(rt, id!);
    await vi.waitFor(async () => expect((await rt.queues.get(late.id)).status).toBe('DONE'));
  });

  it('stop claiming while paused, and cut long results to 1 KB', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    await rt.triggers.create({ kind: 'queue', name: 'q', workflow: 'work', queue: 'big', paused: true });
    const element = await rt.queues.create('big', { data: 'x'.repeat(5000) });
    clock.advance(60_000); // the poll would find it, were the trigger live
    expect(await executionsOf(rt, 'work')).toEqual([]);
    expect((await rt.queues.get(element.id)).status).toBe('NEW');

    await rt.triggers.resume('q');
    const [id] = await waitRunning(rt, 1, 1);
    await go(rt, id!);
    await vi.waitFor(async () => expect((await rt.queues.get(element.id)).status).toBe('DONE'));
    const message = (await rt.queues.get(element.id)).message ?? '';
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(1024);
    expect(message.startsWith('{"ok":"xxx')).toBe(true);
    expect(message.endsWith('…')).toBe(true);
  });

  it('run an element set back to NEW again, in an execution of its own', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    await rt.triggers.create({ kind: 'queue', name: 'retry', workflow: 'flaky', queue: 'jobs' });
    const element = await rt.queues.create('jobs', { data: 1 });
    await vi.waitFor(async () => expect((await rt.queues.get(element.id)).status).toBe('FAILED'), WAIT);
    expect((await rt.queues.get(element.id)).message).toMatch(/^CONSTANT_NOT_FOUND: /);
    await waitIdle(rt, 'retry');

    // Fixed, and put back in line: the queue's watch wakes the trigger (the clock stands still).
    await rt.constants.set('flaky', 'fixed');
    await rt.queues.setStatus(element.id, 'NEW');
    await vi.waitFor(async () => expect((await rt.queues.get(element.id)).status).toBe('DONE'), WAIT);
    expect((await rt.queues.get(element.id)).message).toBe('"fixed"');
    const executions = await executionsOf(rt, 'flaky');
    expect(executions.map((e) => e.status).sort()).toEqual(['FAILED', 'SUCCESS']);
    expect(executions.map((e) => elementOf(e.id))).toEqual([element.id, element.id]);
    await waitIdle(rt, 'retry');
    expect((await rt.triggers.runs('retry')).map((r) => r.outcome)).toEqual(['DONE', 'FAILED']);
  });

  it('when deleted, still record the outcome of what runs, and let the name be used again', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    await rt.triggers.create({ kind: 'queue', name: 'drain', workflow: 'work', queue: 'jobs' });
    const [first, second] = await rt.queues.bulkCreate('jobs', [{ data: 1 }, { data: 2 }]);
    const [id] = await waitRunning(rt, 1, 1);
    expect(await rt.triggers.delete('drain')).toBe(true);
    expect(await rt.triggers.get('drain')).toBeUndefined();
    await rt.triggers.create({ kind: 'queue', name: 'drain', workflow: 'work', queue: 'jobs', paused: true });

    await go(rt, id!);
    await vi.waitFor(async () => expect((await rt.queues.get(first!.id)).status).toBe('DONE'), WAIT);
    // Neither trigger claimed the next one: the old one is gone, the new one is paused.
    expect((await rt.queues.get(second!.id)).status).toBe('NEW');
    expect(await rt.triggers.runs('drain')).toEqual([]);
  });
});

describe('queue triggers across a restart', () => {
  it('pick up the claimed elements again, and claim new ones only up to the concurrency', async () => {
    const clock = new TestClock(T0);
    const dataDir = tempDir();
    let rt = await openRuntime({ clock, dataDir });
    const elements = await rt.queues.bulkCreate(
      'jobs',
      [0, 1, 2, 3, 4].map((n) => ({ data: { n } })),
    );
    await rt.triggers.create({ kind: 'queue', name: 'drain', workflow: 'work', queue: 'jobs', concurrency: 2 });
    await waitRunning(rt, 2, 2);
    const ids = [await executionOf(rt, elements[0]!.id)];
    await go(rt, ids[0]!);
    await vi.waitFor(async () => expect((await rt.queues.get(elements[0]!.id)).status).toBe('DONE'));
    const running = await waitRunning(rt, 2, 2);
    expect(running.map(elementOf).sort()).toEqual([elements[1]!.id, elements[2]!.id].sort());
    ids.push(await executionOf(rt, elements[1]!.id), await executionOf(rt, elements[2]!.id));
    await rt.close();

    rt = await openRuntime({ clock, dataDir });
    expect((await rt.triggers.get('drain'))?.running.sort()).toEqual([ids[1], ids[2]].sort());
    expect((await waitRunning(rt, 2, 2)).sort()).toEqual([ids[1], ids[2]].sort());
    expect((await rt.queues.get(elements[3]!.id)).status).toBe('NEW');
    for (let i = 1; i < elements.length; i++) {
      ids[i] ??= await executionOf(rt, elements[i]!.id);
      await go(rt, ids[i]!);
      await waitRunning(rt, Math.min(2, elements.length - 1 - i), 2);
    }
    await vi.waitFor(async () =>
      expect((await Promise.all(elements.map((e) => rt.queues.get(e.id)))).map((e) => e.status)).toEqual(
        Array(5).fill('DONE'),
      ),
    );
    await waitForExecutions(rt, 'work', ids);
  });

  it('when deleted, still record the outcome of what ran before the restart, then forget the trigger', async () => {
    const clock = new TestClock(T0);
    const dataDir = tempDir();
    let rt = await openRuntime({ clock, dataDir });
    await rt.triggers.create({ kind: 'queue', name: 'drain', workflow: 'work', queue: 'jobs', concurrency: 2 });
    const elements = await rt.queues.bulkCreate('jobs', [{ data: 1 }, { data: 2 }, { data: 3 }]);
    const running = await waitRunning(rt, 2, 2);
    await rt.triggers.delete('drain');
    await rt.close();

    rt = await openRuntime({ clock, dataDir });
    expect(await rt.triggers.list()).toEqual([]);
    for (const id of running) await go(rt, id);
    await vi.waitFor(
      async () =>
        expect((await Promise.all(elements.map((e) => rt.queues.get(e.id)))).map((e) => e.status)).toEqual([
          'DONE',
          'DONE',
          'NEW',
        ]),
      WAIT,
    );
    await rt.close();
    // Both outcomes recorded: nothing of the deleted trigger is left.
    const journal = await Journal.open(await openLevelStore(dataDir), 'fsync');
    expect(await journal.store.range('triggers')).toEqual([]);
    await journal.close();
  });

  it('start elements claimed just before the crash: one noted as claimed, one as a claim on its way', async () => {
    const clock = new TestClock(T0);
    const dataDir = tempDir();
    let rt = await openRuntime({ clock, dataDir });
    await rt.triggers.create({ kind: 'queue', name: 'lost', workflow: 'work', queue: 'jobs', paused: true });
    await rt.queues.bulkCreate('jobs', [{ data: { n: 1 } }, { data: { n: 2 } }, { data: { n: 3 } }]);
    // The claims the trigger made, committed; then the crash, before their starts (and, for
    // the second, before its answer was noted: only its request id was written ahead).
    const noted = await rt.queues.next('jobs', { claim: true });
    const onItsWay = await rt.queues.next('jobs', { claim: true, requestId: 'lost:claim:1' });
    await rt.close();
    const journal = await Journal.open(await openLevelStore(dataDir), 'fsync');
    const record = JSON.parse((await journal.store.get('triggers', 'lost')) as string) as QueueTriggerRecord;
    const crashed: QueueTriggerRecord = {
      ...record,
      claimed: [{ elementId: noted!.id, executionId: `lost:${noted!.id}:0` }],
      claiming: 'lost:claim:1',
    };
    journal.write([{ type: 'put', kind: 'triggers', key: 'lost', value: JSON.stringify(crashed) }]);
    await journal.close();

    rt = await openRuntime({ clock, dataDir });
    const ids = [`lost:${noted!.id}:0`, `lost:${onItsWay!.id}:1`];
    expect((await waitRunning(rt, 2, 2)).sort()).toEqual(ids.sort());
    for (const id of ids) await go(rt, id);
    await vi.waitFor(async () => expect((await rt.triggers.get('lost'))?.running).toEqual([]));
    for (const element of [noted!, onItsWay!]) expect((await rt.queues.get(element.id)).status).toBe('DONE');
    // Paused: nothing new was claimed.
    expect((await rt.queues.list('jobs', { status: 'NEW' })).map((e) => e.data)).toEqual([{ n: 3 }]);
  });
});
