/**
 * Each timeout kind on a ManualClock: startToClose (the attempt is aborted, then retried
 * or failed per policy), scheduleToClose (final, not retried), heartbeat (a beating
 * activity keeps going across advances; a silent one is aborted and retried), and the
 * workflow's own timeoutMs (TIMED_OUT with EXECUTION_TIMEOUT).
 */
import fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import {
  cleanup,
  failures,
  open,
  readSide,
  rejection,
  sideFile,
  T0,
  TestClock,
  waitForEvent,
  waitForLine,
} from '../fixtures/harness.js';
import { callOne } from '../fixtures/workflows.js';

afterEach(cleanup);

it('startToClose: the attempt is aborted past its timeout, then retried', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'hang', [file, 2], {
    startToCloseTimeoutMs: 1000,
    retry: { maxAttempts: 2, initialIntervalMs: 500 },
  });
  await waitForLine(file, { event: 'start', attempt: 1 });
  clock.advance(999);
  expect(clock.hasTimerAt(T0 + 1000)).toBe(true); // not yet timed out
  clock.advance(1);

  const history = await waitForEvent(handle, { type: 'activity.failed', attempt: 1 });
  const [failed] = failures(history);
  expect(failed!.error).toMatchObject({ code: 'ACTIVITY_TIMEOUT', context: { kind: 'startToClose', timeoutMs: 1000 } });
  expect(failed!.retryAt).toBe(T0 + 1500);
  await waitForLine(file, { event: 'aborted', attempt: 1 });
  await clock.waitForTimerAt(T0 + 1500);
  clock.advance(500);
  expect(await handle.result()).toBe('done on attempt 2');
});

it('startToClose: with no attempts left the execution fails with ACTIVITY_TIMEOUT', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'hang', [file], { startToCloseTimeoutMs: 1000, retry: { maxAttempts: 1 } });
  await waitForLine(file, { event: 'start', attempt: 1 });
  clock.advance(1000);
  const err = await rejection(handle.result());
  expect(err.code).toBe('ACTIVITY_TIMEOUT');
  expect(err.context).toMatchObject({ activity: 'hang', step: 1, kind: 'startToClose', timeoutMs: 1000 });
  expect(await handle.status()).toBe('FAILED');
  await waitForLine(file, { event: 'aborted', attempt: 1 });
});

it('scheduleToClose: final, not retried', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'hang', [file], {
    scheduleToCloseTimeoutMs: 2000,
    retry: { maxAttempts: 5, initialIntervalMs: 1 },
  });
  await waitForLine(file, { event: 'start', attempt: 1 });
  clock.advance(2000);
  const err = await rejection(handle.result());
  expect(err.code).toBe('ACTIVITY_TIMEOUT');
  expect(err.context).toMatchObject({ kind: 'scheduleToClose', timeoutMs: 2000 });
  const fails = failures(await handle.history());
  expect(fails).toHaveLength(1);
  expect(fails[0]!.retryAt).toBeUndefined();
  await waitForLine(file, { event: 'aborted', attempt: 1 });
  expect(readSide(file).filter((l) => l.event === 'start')).toHaveLength(1);
});

it('scheduleToClose: passing while a retry waits ends the step', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'flaky', [file, 100], {
    scheduleToCloseTimeoutMs: 2000,
    retry: { maxAttempts: 5, initialIntervalMs: 5000 },
  });
  await waitForEvent(handle, { type: 'activity.failed', attempt: 1 });
  await clock.waitForTimerAt(T0 + 5000);
  clock.advance(2000);
  const err = await rejection(handle.result());
  expect(err.code).toBe('ACTIVITY_TIMEOUT');
  expect(err.context).toMatchObject({ kind: 'scheduleToClose' });
  expect(readSide(file)).toHaveLength(1);
  const fails = failures(await handle.history());
  expect(fails.at(-1)!.retryAt).toBeUndefined();
});

it('heartbeat: an activity that keeps beating runs on across advances past the timeout', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'heartbeater', [file], { heartbeatTimeoutMs: 1000 });
  await waitForLine(file, { event: 'start', attempt: 1 });
  for (let i = 0; i < 4; i++) {
    // A beat received after this advance re-arms the timer from the new now.
    clock.advance(600);
    await clock.waitForTimerAt(clock.now() + 1000);
  }
  expect(clock.now() - T0).toBeGreaterThan(2 * 1000);
  fs.writeFileSync(file + '.stop', '');
  expect(await handle.result()).toBe('done on attempt 1');
  expect(failures(await handle.history())).toEqual([]);
});

it('heartbeat: an activity that stops beating is aborted and retried', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'heartbeatOnce', [file], {
    heartbeatTimeoutMs: 1000,
    retry: { maxAttempts: 2, initialIntervalMs: 100 },
  });
  await waitForLine(file, { event: 'beat', attempt: 1 });
  clock.advance(1000);
  const history = await waitForEvent(handle, { type: 'activity.failed', attempt: 1 });
  const [failed] = failures(history);
  expect(failed!.error).toMatchObject({ code: 'ACTIVITY_TIMEOUT', context: { kind: 'heartbeat', timeoutMs: 1000 } });
  await waitForLine(file, { event: 'aborted', attempt: 1 });
  await clock.waitForTimerAt(failed!.retryAt!);
  clock.advance(100);
  expect(await handle.result()).toBe('done on attempt 2');
});

it('workflow timeoutMs: the execution ends TIMED_OUT with EXECUTION_TIMEOUT and its activity is aborted', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start('timed', file);
  await waitForLine(file, { event: 'start', attempt: 1 });
  clock.advance(4999);
  expect(await handle.status()).toBe('RUNNING');
  clock.advance(1);
  const err = await rejection(handle.result());
  expect(err.code).toBe('EXECUTION_TIMEOUT');
  expect(err.context).toMatchObject({ executionId: handle.id, timeoutMs: 5000 });
  const info = await handle.info();
  expect(info.status).toBe('TIMED_OUT');
  expect(info.endedAt?.getTime()).toBe(T0 + 5000);
  await waitForLine(file, { event: 'aborted', attempt: 1 });
});
