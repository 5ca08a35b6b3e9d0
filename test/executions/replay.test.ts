/**
 * Replay on Runtime.open, for every kind of recorded step: a completed step returns its
 * recorded result without re-running; a step scheduled with no result is dispatched again
 * with the same idempotency key; a pending retry fires at its recorded time; a final
 * failure is rethrown. Also NON_DETERMINISM when the code asks for another activity.
 * States come from closing a runtime mid-execution, or from recorded-history fixtures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/index.js';
import { encodeValue } from '../../src/store/codec.js';
import {
  cleanup,
  failures,
  open,
  readSide,
  rejection,
  release,
  sideFile,
  T0,
  tempDir,
  TestClock,
  waitForEvent,
  waitForLine,
  writeRecorded,
} from '../fixtures/harness.js';
import { callOne } from '../fixtures/workflows.js';

afterEach(cleanup);

const scheduled = (step: number, activity: string, args: unknown[]): HistoryEvent => ({
  type: 'activity.scheduled',
  step,
  activity,
  taskList: 'default',
  args: encodeValue(args),
  at: T0,
});

describe('after closing mid-execution and reopening', () => {
  it('returns completed steps from the history and re-runs the unanswered one with its key', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    const first = await open({ dataDir });
    const { id } = await first.start('stepThenGate', file);
    await waitForLine(file, { event: 'start', tag: 'g' });
    await first.close();

    const before = readSide(file);
    expect(before.filter((l) => l.tag === 'one')).toHaveLength(1);
    release(file, 'g');
    const second = await open({ dataDir });
    const handle = await second.get(id);
    expect(await handle.result()).toEqual(['one', 'g']);

    const after = readSide(file);
    expect(after.filter((l) => l.tag === 'one')).toHaveLength(1); // step 1 was not run again
    const gateStarts = after.filter((l) => l.tag === 'g' && l.event === 'start');
    expect(gateStarts).toHaveLength(2);
    expect(gateStarts.map((l) => l.key)).toEqual([`${id}:2`, `${id}:2`]);
    const history = await handle.history();
    expect(history.filter((e) => e.type === 'activity.scheduled')).toHaveLength(2);
    expect(history.filter((e) => e.type === 'activity.completed')).toHaveLength(2);
  });

  it('fires a pending retry at its recorded time', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    const first = await open({ dataDir, clock: new TestClock(T0) });
    const started = await first.start(callOne, 'flaky', [file, 1], {
      retry: { maxAttempts: 3, initialIntervalMs: 1000 },
    });
    const [failed] = failures(await waitForEvent(started, { type: 'activity.failed', attempt: 1 }));
    expect(failed!.retryAt).toBe(T0 + 1000);
    await first.close();

    const clock = new TestClock(T0 + 500);
    const second = await open({ dataDir, clock });
    const handle = await second.get(started.id);
    await clock.waitForTimerAt(T0 + 1000);
    clock.advance(499);
    expect(readSide(file)).toHaveLength(1);
    clock.advance(1);
    expect(await handle.result()).toBe(2);
    expect(readSide(file).map((l) => l.attempt)).toEqual([1, 2]);
  });
});

describe('from recorded histories', () => {
  it('(a) a completed step returns its recorded result without running the activity', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    const recorded = { tag: 'one', key: 'recorded', attempt: 7 };
    await writeRecorded(dataDir, { id: 'rec-a', workflow: 'twoSteps', args: [file] }, [
      scheduled(1, 'keyed', [file, 'one']),
      { type: 'activity.completed', step: 1, attempt: 7, result: encodeValue(recorded), startedAt: T0, at: T0 },
    ]);
    const rt = await open({ dataDir });
    const handle = await rt.get('rec-a');
    const [one, two] = (await handle.result()) as Array<{ tag: string; key: string; attempt: number }>;
    expect(one).toEqual(recorded);
    expect(two).toEqual({ tag: 'two', key: 'rec-a:2', attempt: 1 });
    expect(readSide(file).map((l) => l.tag)).toEqual(['two']);
  });

  it('(b) a step scheduled with no result is dispatched again with the same idempotency key', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    await writeRecorded(dataDir, { id: 'rec-b', workflow: 'twoSteps', args: [file] }, [
      scheduled(1, 'keyed', [file, 'one']),
    ]);
    const rt = await open({ dataDir });
    const handle = await rt.get('rec-b');
    await handle.result();
    const lines = readSide(file);
    expect(lines.map((l) => [l.tag, l.key, l.attempt])).toEqual([
      ['one', 'rec-b:1', 1],
      ['two', 'rec-b:2', 1],
    ]);
    const history = await handle.history();
    // One schedule per step: the re-dispatch did not record a second one.
    expect(history.filter((e) => e.type === 'activity.scheduled').map((e) => e.step)).toEqual([1, 2]);
  });

  it('(c) a pending retry fires at its recorded time after reopen', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    const retryAt = T0 + 5000;
    await writeRecorded(dataDir, { id: 'rec-c', workflow: 'twoSteps', args: [file] }, [
      scheduled(1, 'keyed', [file, 'one']),
      {
        type: 'activity.failed',
        step: 1,
        attempt: 1,
        error: { name: 'Error', message: 'first attempt failed' },
        startedAt: T0,
        at: T0,
        retryAt,
      },
    ]);
    const clock = new TestClock(T0 + 1000);
    const rt = await open({ dataDir, clock });
    const handle = await rt.get('rec-c');
    await clock.waitForTimerAt(retryAt);
    clock.advance(3999);
    expect(clock.hasTimerAt(retryAt)).toBe(true); // not due yet: nothing dispatched
    expect(readSide(file)).toEqual([]);
    clock.advance(1);
    const [one] = (await handle.result()) as Array<{ attempt: number; key: string }>;
    expect(one).toEqual({ tag: 'one', key: 'rec-c:1', attempt: 2 });
    const history = await handle.history();
    expect(history).toContainEqual(expect.objectContaining({ type: 'activity.completed', step: 1, attempt: 2 }));
    const completed = history.find((e) => e.type === 'activity.completed' && e.step === 1) as { startedAt: number };
    expect(completed.startedAt).toBe(retryAt);
  });

  it('(d) a final failure is rethrown without running the activity', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    await writeRecorded(dataDir, { id: 'rec-d', workflow: 'twoSteps', args: [file] }, [
      scheduled(1, 'keyed', [file, 'one']),
      {
        type: 'activity.failed',
        step: 1,
        attempt: 3,
        error: { name: 'BadThing', message: 'recorded failure', code: 'E_BAD' },
        startedAt: T0,
        at: T0,
      },
    ]);
    const rt = await open({ dataDir });
    const handle = await rt.get('rec-d');
    const err = await rejection(handle.result());
    expect(err.code).toBe('ACTIVITY_FAILED');
    expect(err.context).toMatchObject({ activity: 'keyed', step: 1, attempt: 3, remoteName: 'BadThing' });
    expect(err.context.remoteCode).toBe('E_BAD');
    expect((err.cause as { code?: unknown }).code).toBe('E_BAD');
    expect(await handle.status()).toBe('FAILED');
    expect(readSide(file)).toEqual([]);
    expect(failures(await handle.history())).toHaveLength(1);
  });

  it('(d) a recorded final timeout is rethrown as ACTIVITY_TIMEOUT', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    const timeout = {
      name: 'ActivityTimeoutError',
      code: 'ACTIVITY_TIMEOUT' as const,
      message: 'timed out',
      context: { activity: 'keyed', step: 1, kind: 'scheduleToClose', timeoutMs: 10 },
    };
    await writeRecorded(dataDir, { id: 'rec-d2', workflow: 'twoSteps', args: [file] }, [
      scheduled(1, 'keyed', [file, 'one']),
      { type: 'activity.failed', step: 1, attempt: 1, error: timeout, at: T0 },
    ]);
    const rt = await open({ dataDir });
    const err = await rejection((await rt.get('rec-d2')).result());
    expect(err.code).toBe('ACTIVITY_TIMEOUT');
    expect(err.context.kind).toBe('scheduleToClose');
    expect(readSide(file)).toEqual([]);
  });

  it('fails with NON_DETERMINISM when the code returns before steps the history holds', async () => {
    const dataDir = tempDir();
    // echo returns at once, but this history says its code once ran an activity.
    await writeRecorded(dataDir, { id: 'rec-short', workflow: 'echo', args: [1] }, [scheduled(1, 'x', [])]);
    const rt = await open({ dataDir });
    const err = await rejection((await rt.get('rec-short')).result());
    expect(err.code).toBe('NON_DETERMINISM');
    expect(err.context).toMatchObject({ step: 1, recorded: 'activity x', requested: 'the workflow to return' });
  });

  it('fails with NON_DETERMINISM when step 1 asks for another activity than recorded', async () => {
    const dataDir = tempDir();
    await writeRecorded(dataDir, { id: 'rec-nd', workflow: 'asksY', args: [] }, [
      scheduled(1, 'x', []),
      { type: 'activity.completed', step: 1, attempt: 1, result: encodeValue('x'), startedAt: T0, at: T0 },
    ]);
    const rt = await open({ dataDir });
    const handle = await rt.get('rec-nd');
    const err = await rejection(handle.result());
    expect(err.code).toBe('NON_DETERMINISM');
    expect(err.context).toMatchObject({
      executionId: 'rec-nd',
      step: 1,
      recorded: 'activity x',
      requested: 'activity y',
    });
    const info = await handle.info();
    expect(info.status).toBe('FAILED');
    expect(info.error?.code).toBe('NON_DETERMINISM');
    // Nothing new was recorded for the mismatched step.
    expect(await handle.history()).toHaveLength(2);
  });

  it('resumes a pending retry whose time has already passed', async () => {
    const dataDir = tempDir();
    const file = sideFile();
    await writeRecorded(dataDir, { id: 'rec-late', workflow: 'twoSteps', args: [file] }, [
      scheduled(1, 'keyed', [file, 'one']),
      { type: 'activity.failed', step: 1, attempt: 1, error: { name: 'Error', message: 'x' }, at: T0, retryAt: T0 },
    ]);
    const rt = await open({ dataDir }); // the system clock: T0 is long past
    const handle = await rt.get('rec-late');
    await waitForEvent(handle, { type: 'activity.completed', step: 2 });
    expect(readSide(file).map((l) => [l.tag, l.attempt])).toEqual([
      ['one', 2],
      ['two', 1],
    ]);
  });
});
