/**
 * The quickstart example (examples/quickstart): basic(x, t) returns (x + 1) * 2, and its
 * delay is dispatched in parallel with double (read from the recorded history, not timed).
 */
import { afterEach, expect, it } from 'vitest';
import { basic } from '../../examples/quickstart/workflows.js';
import type { HistoryEvent } from '../../src/index.js';
import { cleanup, open } from '../fixtures/harness.js';

afterEach(cleanup);

const seqOf = (history: HistoryEvent[], type: HistoryEvent['type'], step: number): number =>
  history.findIndex((e) => e.type === type && e.step === step);

it('gives (x + 1) * 2 with the delay running alongside double', async () => {
  const rt = await open({
    workflows: [basic],
    activities: [new URL('../../examples/quickstart/activities.ts', import.meta.url)],
  });
  const handle = await rt.start(basic, 4, 0.2);
  expect(await handle.result()).toBe(10);
  expect(await handle.status()).toBe('SUCCESS');

  const history = await handle.history();
  const scheduled = history.filter((e) => e.type === 'activity.scheduled');
  expect(scheduled.map((e) => e.type === 'activity.scheduled' && e.activity)).toEqual(['increment', 'delay', 'double']);
  // Steps: 1 increment, 2 delay, 3 double. Both 2 and 3 are scheduled before 2 completes.
  const delayDone = seqOf(history, 'activity.completed', 2);
  expect(delayDone).toBeGreaterThan(0);
  expect(seqOf(history, 'activity.scheduled', 2)).toBeLessThan(delayDone);
  expect(seqOf(history, 'activity.scheduled', 3)).toBeLessThan(delayDone);
  // By the recorded timestamps too: double was scheduled no later than the delay completed.
  const doubleScheduled = history[seqOf(history, 'activity.scheduled', 3)] as { at: number };
  expect(doubleScheduled.at).toBeLessThanOrEqual((history[delayDone] as { at: number }).at);
});

it('starts by workflow name', async () => {
  const rt = await open({
    workflows: [basic],
    activities: [new URL('../../examples/quickstart/activities.ts', import.meta.url)],
  });
  const handle = await rt.start('basic', 1, 0);
  expect(await handle.result()).toBe(4);
  expect((await handle.info()).input).toEqual({ args: [1, 0] });
});
