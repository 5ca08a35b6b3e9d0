/**
 * Cron triggers on a ManualClock: fires on schedule, overlap skip vs allow, pause and resume,
 * and after a restart (the same data folder, the clock moved on) catch-up per rule with no
 * scheduled time fired twice, including a start the crash interrupted (written ahead).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CronTriggerRecord } from '../../actors/scheduler/messages.js';
import { compileCron, dueTimes } from '../../actors/scheduler/schedule.js';
import { Journal } from '../../src/store/journal.js';
import { openLevelStore } from '../../src/store/level-store.js';
import { cleanup, rejection, T0, tempDir } from '../fixtures/harness.js';
import {
  closeAll,
  cronId,
  executionsOf,
  HOUR,
  MINUTE,
  openRuntime,
  TestClock,
  waitForExecutions,
  waitIdle,
} from './fixtures.js';

afterEach(async () => {
  await closeAll();
  await cleanup();
});

describe('cron triggers', () => {
  it('start the workflow at each scheduled time, under a deterministic id, with the input', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    const created = await rt.triggers.create({
      kind: 'cron',
      name: 'every5',
      workflow: 'stamp',
      cron: '*/5 * * * *',
      input: { args: [1, 'a'] },
    });
    expect(created).toMatchObject({
      kind: 'cron',
      overlap: 'skip',
      catchUp: 'latest',
      paused: false,
      input: { args: [1, 'a'] },
      nextAt: new Date(T0 + 5 * MINUTE),
    });

    clock.advance(4 * MINUTE);
    expect(await executionsOf(rt, 'stamp')).toEqual([]);
    clock.advance(MINUTE);
    const [first] = await waitForExecutions(rt, 'stamp', [cronId('every5', T0 + 5 * MINUTE)]);
    expect(await (await rt.get(first!.id)).result()).toEqual([1, 'a']);
    await waitIdle(rt, 'every5');

    clock.advance(5 * MINUTE);
    await waitForExecutions(rt, 'stamp', [cronId('every5', T0 + 5 * MINUTE), cronId('every5', T0 + 10 * MINUTE)]);
    const trigger = await rt.triggers.get('every5');
    expect(trigger).toMatchObject({
      lastFiredAt: new Date(T0 + 10 * MINUTE),
      lastExecutionId: cronId('every5', T0 + 10 * MINUTE),
      nextAt: new Date(T0 + 15 * MINUTE),
    });
    const runs = await rt.triggers.runs('every5');
    expect(runs.map((r) => [r.outcome, r.executionId])).toEqual([
      ['started', cronId('every5', T0 + 10 * MINUTE)],
      ['started', cronId('every5', T0 + 5 * MINUTE)],
    ]);
  });

  it('read the expression in the given time zone', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    // 09:00 in Oslo is 08:00 UTC in January.
    const trigger = await rt.triggers.create({
      kind: 'cron',
      name: 'oslo',
      workflow: 'stamp',
      cron: '0 9 * * *',
      timezone: 'Europe/Oslo',
    });
    expect(trigger.kind === 'cron' && trigger.nextAt).toEqual(new Date(T0 + 8 * HOUR));
  });

  it("skip a fire while the previous execution runs under overlap 'skip', and start it under 'allow'", async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    await rt.triggers.create({ kind: 'cron', name: 'skipper', workflow: 'hold', cron: '* * * * *' });
    await rt.triggers.create({ kind: 'cron', name: 'allower', workflow: 'hold', cron: '* * * * *', overlap: 'allow' });

    clock.advance(MINUTE);
    await waitForExecutions(rt, 'hold', [cronId('skipper', T0 + MINUTE), cronId('allower', T0 + MINUTE)]);
    clock.advance(MINUTE);
    const both = await waitForExecutions(rt, 'hold', [
      cronId('skipper', T0 + MINUTE),
      cronId('allower', T0 + MINUTE),
      cronId('allower', T0 + 2 * MINUTE),
    ]);
    const [skipped] = await rt.triggers.runs('skipper');
    expect(skipped).toMatchObject({ at: new Date(T0 + 2 * MINUTE), outcome: 'skipped' });
    expect(skipped?.detail).toContain(cronId('skipper', T0 + MINUTE));
    expect((await rt.triggers.get('allower'))?.running.sort()).toEqual(
      [cronId('allower', T0 + MINUTE), cronId('allower', T0 + 2 * MINUTE)].sort(),
    );

    // Once the running one ends, the next fire starts again.
    for (const e of both) await (await rt.get(e.id)).signal('go', 'done');
    await waitIdle(rt, 'skipper');
    clock.advance(MINUTE);
    await waitForExecutions(rt, 'hold', [
      ...both.map((e) => e.id),
      cronId('skipper', T0 + 3 * MINUTE),
      cronId('allower', T0 + 3 * MINUTE),
    ]);
  });

  it('fire nothing while paused, and resume from the next time after now (no catch-up)', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    await rt.triggers.create({ kind: 'cron', name: 'p', workflow: 'stamp', cron: '0 * * * *', catchUp: 'all' });
    expect((await rt.triggers.pause('p')).paused).toBe(true);
    clock.advance(3 * HOUR + 30 * MINUTE);
    expect(await executionsOf(rt, 'stamp')).toEqual([]);

    const resumed = await rt.triggers.resume('p');
    expect(resumed).toMatchObject({ paused: false, nextAt: new Date(T0 + 4 * HOUR) });
    expect(await executionsOf(rt, 'stamp')).toEqual([]);
    clock.advance(30 * MINUTE);
    await waitForExecutions(rt, 'stamp', [cronId('p', T0 + 4 * HOUR)]);
  });

  it('answer TRIGGER_EXISTS, INVALID_CRON, WORKFLOW_NOT_FOUND, TRIGGER_NOT_FOUND, and delete', async () => {
    const clock = new TestClock(T0);
    const rt = await openRuntime({ clock });
    const base = { kind: 'cron' as const, name: 'x', workflow: 'stamp', cron: '0 * * * *' };
    await rt.triggers.create(base);
    expect((await rejection(rt.triggers.create(base))).code).toBe('TRIGGER_EXISTS');
    expect((await rejection(rt.triggers.create({ ...base, name: 'y', cron: 'every day' }))).code).toBe('INVALID_CRON');
    expect((await rejection(rt.triggers.create({ ...base, name: 'y', cron: '0 0 30 2 *' }))).code).toBe('INVALID_CRON');
    expect((await rejection(rt.triggers.create({ ...base, name: 'y', cron: '61 * * * *' }))).code).toBe('INVALID_CRON');
    expect((await rejection(rt.triggers.create({ ...base, name: 'y', workflow: 'nope' }))).code).toBe(
      'WORKFLOW_NOT_FOUND',
    );
    expect((await rejection(rt.triggers.create({ ...base, name: 'y', timezone: 'Mars/Base' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await rejection(rt.triggers.create({ ...base, name: 'bad name' }))).code).toBe('INVALID_NAME');
    expect((await rejection(rt.triggers.pause('y'))).code).toBe('TRIGGER_NOT_FOUND');
    expect((await rejection(rt.triggers.runs('y'))).code).toBe('TRIGGER_NOT_FOUND');
    expect(await rt.triggers.get('y')).toBeUndefined();
    expect((await rt.triggers.list()).map((t) => t.name)).toEqual(['x']);

    expect(await rt.triggers.delete('x')).toBe(true);
    expect(await rt.triggers.delete('x')).toBe(false);
    clock.advance(2 * HOUR);
    expect(await executionsOf(rt, 'stamp')).toEqual([]);
  });
});

describe('due times', () => {
  it('stay bounded after a long downtime of a fine schedule: the newest ones, counted as at least', () => {
    const due = dueTimes(compileCron('* * * * * *'), T0, T0 + 24 * HOUR, 100);
    expect(due.times).toHaveLength(100);
    expect(due.times[99]).toBe(T0 + 24 * HOUR);
    expect(due.times[0]).toBe(T0 + 24 * HOUR - 99_000);
    expect(due).toMatchObject({ exact: false, total: 250, next: T0 + 24 * HOUR + 1000 });
    expect(dueTimes(compileCron('0 * * * *'), T0, T0 + 5 * HOUR + 1, 3)).toEqual({
      times: [T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR],
      total: 6,
      exact: true,
      next: T0 + 6 * HOUR,
    });
  });
});

describe('cron triggers across a restart', () => {
  it('catch up per rule (none, latest, all) and never fire a scheduled time twice', async () => {
    const clock = new TestClock(T0);
    const dataDir = tempDir();
    let rt = await openRuntime({ clock, dataDir });
    const hourly = { kind: 'cron' as const, workflow: 'stamp', cron: '0 * * * *' };
    await rt.triggers.create({ ...hourly, name: 'none', catchUp: 'none' });
    await rt.triggers.create({ ...hourly, name: 'latest' });
    await rt.triggers.create({ ...hourly, name: 'all', catchUp: 'all', overlap: 'allow' });
    await rt.triggers.create({ ...hourly, name: 'all-skip', catchUp: 'all' });
    const names = ['none', 'latest', 'all', 'all-skip'];
    clock.advance(HOUR);
    const atOne = names.map((n) => cronId(n, T0 + HOUR));
    await waitForExecutions(rt, 'stamp', atOne);
    for (const n of names) await waitIdle(rt, n);
    await rt.close();

    // Down from 01:00 to 06:30: the runs of 02:00 to 06:00 were missed.
    clock.advance(5 * HOUR + 30 * MINUTE);
    rt = await openRuntime({ clock, dataDir });
    const missed = [2, 3, 4, 5, 6].map((h) => T0 + h * HOUR);
    const afterCatchUp = [
      ...atOne,
      cronId('latest', T0 + 6 * HOUR),
      ...missed.map((at) => cronId('all', at)),
      // Each caught-up run still obeys overlap 'skip': the first one starts, and the rest
      // are skipped unless it has ended by then (stamp ends at once, but the fires come in one go).
      cronId('all-skip', T0 + 2 * HOUR),
    ];
    await waitForExecutions(rt, 'stamp', afterCatchUp);
    expect((await rt.triggers.runs('none'))[0]).toMatchObject({ outcome: 'missed', at: new Date(T0 + 2 * HOUR) });
    expect((await rt.triggers.runs('none'))[0]?.detail).toMatch(/^5 scheduled run/);
    expect((await rt.triggers.runs('all-skip')).filter((r) => r.outcome === 'skipped')).toHaveLength(4);
    for (const n of names) {
      const t = await rt.triggers.get(n);
      expect(t?.kind === 'cron' && t.nextAt).toEqual(new Date(T0 + 7 * HOUR));
    }
    for (const n of names) await waitIdle(rt, n);
    const runsBefore = await Promise.all(names.map((n) => rt.triggers.runs(n)));
    await rt.close();

    // Opened again at the same moment: nothing is due, nothing fires twice. (Catch-up is
    // decided and written while the runtime opens, so the runs show it once open resolves.)
    rt = await openRuntime({ clock, dataDir });
    expect(await Promise.all(names.map((n) => rt.triggers.runs(n)))).toEqual(runsBefore);
    await waitForExecutions(rt, 'stamp', afterCatchUp);
    clock.advance(30 * MINUTE);
    await waitForExecutions(rt, 'stamp', [...afterCatchUp, ...names.map((n) => cronId(n, T0 + 7 * HOUR))]);
  });

  it("keep skipping under overlap 'skip' after a restart while the last execution still runs", async () => {
    const clock = new TestClock(T0);
    const dataDir = tempDir();
    let rt = await openRuntime({ clock, dataDir });
    await rt.triggers.create({ kind: 'cron', name: 'long', workflow: 'hold', cron: '* * * * *' });
    clock.advance(MINUTE);
    await waitForExecutions(rt, 'hold', [cronId('long', T0 + MINUTE)]);
    await rt.close();

    clock.advance(MINUTE + 10_000);
    rt = await openRuntime({ clock, dataDir });
    expect((await rt.triggers.runs('long'))[0]).toMatchObject({ outcome: 'skipped', at: new Date(T0 + 2 * MINUTE) });
    expect((await rt.triggers.get('long'))?.running).toEqual([cronId('long', T0 + MINUTE)]);
    await (await rt.get(cronId('long', T0 + MINUTE))).signal('go');
    await waitIdle(rt, 'long');
    clock.advance(MINUTE);
    await waitForExecutions(rt, 'hold', [cronId('long', T0 + MINUTE), cronId('long', T0 + 3 * MINUTE)]);
  });

  it('redo a start the crash interrupted (written ahead) under the same id, once', async () => {
    const clock = new TestClock(T0 + HOUR + 10_000);
    const dataDir = tempDir();
    let rt = await openRuntime({ clock, dataDir });
    await rt.triggers.create({ kind: 'cron', name: 'lost', workflow: 'stamp', cron: '0 * * * *' });
    await rt.triggers.create({ kind: 'cron', name: 'made', workflow: 'stamp', cron: '0 * * * *' });
    const at = T0 + HOUR;
    // For `made`, the start reached the store before the crash; for `lost`, it did not.
    await rt.start({ workflow: 'stamp', id: cronId('made', at) });
    await rt.close();

    // What a crash leaves between a fire's write and its start's: the fire noted, the start pending.
    await patchTriggers(dataDir, (r) => ({
      ...r,
      lastFiredAt: at,
      lastExecutionId: cronId(r.name, at),
      nextAt: T0 + 2 * HOUR,
      pending: [{ at, executionId: cronId(r.name, at) }],
    }));
    rt = await openRuntime({ clock, dataDir });
    const ids = [cronId('lost', at), cronId('made', at)];
    await waitForExecutions(rt, 'stamp', ids);
    expect(await rt.triggers.get('lost')).toMatchObject({ lastFiredAt: new Date(at), nextAt: new Date(T0 + 2 * HOUR) });
    await waitIdle(rt, 'lost');
    await rt.close();

    // The redone start is noted: opened again, nothing starts.
    rt = await openRuntime({ clock, dataDir });
    await waitForExecutions(rt, 'stamp', ids);
    clock.advance(HOUR);
    await waitForExecutions(rt, 'stamp', [...ids, cronId('lost', T0 + 2 * HOUR), cronId('made', T0 + 2 * HOUR)]);
  });
});

/** Rewrites every stored cron trigger (the runtime must be closed). */
async function patchTriggers(dataDir: string, patch: (r: CronTriggerRecord) => CronTriggerRecord): Promise<void> {
  const journal = await Journal.open(await openLevelStore(dataDir), 'fsync');
  const ops = (await journal.store.range('triggers')).map(([key, json]) => ({
    type: 'put' as const,
    kind: 'triggers' as const,
    key,
    value: JSON.stringify(patch(JSON.parse(json) as CronTriggerRecord)),
  }));
  journal.write(ops);
  await journal.close();
}
