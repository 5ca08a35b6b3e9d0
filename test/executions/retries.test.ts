/**
 * Retries: exponential backoff on a ManualClock (no attempt starts before its recorded
 * retryAt), maxIntervalMs, nonRetryableErrors by name and by code, maxAttempts exhausted
 * (ACTIVITY_FAILED keeping the remote name and code), and the 'seconds' pattern.
 */
import { afterEach, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/index.js';
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
} from '../fixtures/harness.js';
import { callOne, probe, type SeenError } from '../fixtures/workflows.js';

afterEach(cleanup);

type Failed = Extract<HistoryEvent, { type: 'activity.failed' }>;

/** Waits for attempt `attempt` to fail, and for its retry timer; returns that failure. */
async function failedAttempt(
  clock: TestClock,
  handle: Parameters<typeof waitForEvent>[0],
  attempt: number,
): Promise<Failed> {
  const history = await waitForEvent(handle, { type: 'activity.failed', attempt });
  const failed = failures(history)[attempt - 1]!;
  if (failed.retryAt !== undefined) await clock.waitForTimerAt(failed.retryAt);
  return failed;
}

it('retries with backoff: attempt 2 after initialIntervalMs, attempt 3 after initialIntervalMs * coefficient', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'flaky', [file, 2], {
    retry: { maxAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 3 },
  });

  const f1 = await failedAttempt(clock, handle, 1);
  expect(f1.error).toMatchObject({ name: 'FlakyError', code: 'E_FLAKY' });
  expect(f1.retryAt).toBe(f1.at + 1000);
  clock.advance(999);
  expect(clock.hasTimerAt(f1.retryAt!)).toBe(true); // not due: attempt 2 has not been dispatched
  expect(readSide(file)).toHaveLength(1);
  clock.advance(1);

  const f2 = await failedAttempt(clock, handle, 2);
  expect(f2.startedAt).toBe(f1.retryAt);
  expect(f2.startedAt! - f1.at).toBeGreaterThanOrEqual(1000);
  expect(f2.retryAt).toBe(f2.at + 3000);
  clock.advance(2999);
  expect(clock.hasTimerAt(f2.retryAt!)).toBe(true);
  expect(readSide(file)).toHaveLength(2);
  clock.advance(1);

  expect(await handle.result()).toBe(3);
  const completed = (await handle.history()).find((e) => e.type === 'activity.completed');
  expect(completed).toMatchObject({ attempt: 3, startedAt: f2.retryAt });
  expect(readSide(file).map((l) => l.attempt)).toEqual([1, 2, 3]);
});

it('caps the wait at maxIntervalMs', async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'flaky', [file, 3], {
    retry: { maxAttempts: 4, initialIntervalMs: 1000, backoffCoefficient: 10, maxIntervalMs: 5000 },
  });
  const waits: number[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const failed = await failedAttempt(clock, handle, attempt);
    waits.push(failed.retryAt! - failed.at);
    clock.advance(failed.retryAt! - clock.now());
  }
  expect(waits).toEqual([1000, 5000, 5000]);
  expect(await handle.result()).toBe(4);
});

it('stops at once on a nonRetryableErrors name', async () => {
  const rt = await open();
  const file = sideFile();
  const handle = await rt.start(probe, 'failWith', [file, 'FatalError', 'E_SOMETHING'], {
    retry: { maxAttempts: 5, initialIntervalMs: 1, nonRetryableErrors: ['FatalError'] },
  });
  const seen = (await handle.result()) as SeenError;
  expect(seen.code).toBe('ACTIVITY_FAILED');
  expect(seen.remote).toMatchObject({ name: 'FatalError', code: 'E_SOMETHING' });
  expect(seen.context).toMatchObject({ attempt: 1 });
  expect(readSide(file)).toHaveLength(1);
  const [failed, ...more] = failures(await handle.history());
  expect(more).toEqual([]);
  expect(failed!.retryAt).toBeUndefined();
});

it('stops at once on a nonRetryableErrors code', async () => {
  const rt = await open();
  const file = sideFile();
  const handle = await rt.start(probe, 'failWith', [file, 'SomeError', 'E_FATAL'], {
    retry: { maxAttempts: 5, initialIntervalMs: 1, nonRetryableErrors: ['E_FATAL'] },
  });
  const seen = (await handle.result()) as SeenError;
  expect(seen.code).toBe('ACTIVITY_FAILED');
  expect(seen.remote).toMatchObject({ name: 'SomeError', code: 'E_FATAL' });
  expect(readSide(file)).toHaveLength(1);
});

it('stops at once on a numeric code listed as a string', async () => {
  const rt = await open();
  const file = sideFile();
  const handle = await rt.start(probe, 'failWith', [file, 'HttpError', 404], {
    retry: { maxAttempts: 5, initialIntervalMs: 1, nonRetryableErrors: ['404'] },
  });
  const seen = (await handle.result()) as SeenError;
  expect(seen.remote).toMatchObject({ name: 'HttpError', code: 404 });
  expect(readSide(file)).toHaveLength(1);
});

it('fails with ACTIVITY_FAILED once maxAttempts are used, keeping the remote name and code', async () => {
  const rt = await open();
  const file = sideFile();
  const options = { retry: { maxAttempts: 2, initialIntervalMs: 1 } };
  const seen = (await (
    await rt.start(probe, 'failWith', [file, 'BoomError', 'E_BOOM'], options)
  ).result()) as SeenError;
  expect(seen.code).toBe('ACTIVITY_FAILED');
  expect(seen.remote).toMatchObject({ name: 'BoomError', code: 'E_BOOM', message: 'failing with BoomError' });
  expect(seen.remote?.stack).toContain('failWith');
  expect(seen.cause).toMatchObject({ name: 'BoomError', code: 'E_BOOM' });
  expect(seen.context).toMatchObject({ activity: 'failWith', step: 1, attempt: 2 });
  expect(readSide(file).map((l) => l.attempt)).toEqual([1, 2]);

  // The same failure as result() reports it, once it has crossed the disk.
  const file2 = sideFile();
  const handle = await rt.start(callOne, 'failWith', [file2, 'BoomError', 'E_BOOM'], options);
  const err = await rejection(handle.result());
  expect(err.code).toBe('ACTIVITY_FAILED');
  expect(err.context).toMatchObject({ remoteName: 'BoomError', remoteCode: 'E_BOOM', attempt: 2 });
  expect(err.cause).toMatchObject({ name: 'BoomError', code: 'E_BOOM' });
  expect(await handle.status()).toBe('FAILED');
});

it("retries every second, 10 attempts in all, with the 'seconds' pattern", async () => {
  const clock = new TestClock(T0);
  const rt = await open({ clock });
  const file = sideFile();
  const handle = await rt.start(callOne, 'flaky', [file, 100], { retry: 'seconds' });
  for (let attempt = 1; attempt <= 9; attempt++) {
    const failed = await failedAttempt(clock, handle, attempt);
    expect(failed.retryAt! - failed.at).toBe(1000);
    clock.advance(1000);
  }
  const err = await rejection(handle.result());
  expect(err.code).toBe('ACTIVITY_FAILED');
  expect(err.context).toMatchObject({ attempt: 10, remoteCode: 'E_FLAKY' });
  const history = await handle.history();
  expect(failures(history)).toHaveLength(10);
  expect(failures(history)[9]!.retryAt).toBeUndefined();
  expect(readSide(file)).toHaveLength(10);
});
