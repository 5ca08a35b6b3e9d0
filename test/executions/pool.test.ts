/**
 * Worker crashes: an activity calling process.exit(3), or throwing uncaught from a timer,
 * fails that attempt with WORKER_CRASHED; the pool replaces the thread, so later activities
 * run, and a concurrent activity on the runtime is not lost (it completes or is retried).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, failures, open, readSide, sideFile } from '../fixtures/harness.js';
import { callOne, crashWithNeighbour, probe, type SeenError } from '../fixtures/workflows.js';

afterEach(cleanup);

describe.each([
  ['process.exit(3)', 'exit'],
  ['an uncaught error in a timer', 'uncaught'],
] as const)('a worker killed by %s', (_label, how) => {
  it('fails the attempt with WORKER_CRASHED, and a later activity runs', async () => {
    const rt = await open();
    const file = sideFile();
    const handle = await rt.start(probe, 'crash', [file, how, 1], { retry: { maxAttempts: 1 } });
    const seen = (await handle.result()) as SeenError;
    expect(seen.code).toBe('ACTIVITY_FAILED');
    expect(seen.remote).toMatchObject({ code: 'WORKER_CRASHED' });
    const [failed, ...more] = failures(await handle.history());
    expect(more).toEqual([]);
    expect(failed!.error).toMatchObject({ code: 'WORKER_CRASHED', context: { activity: 'crash' } });
    expect(failed!.retryAt).toBeUndefined();

    const later = await rt.start(callOne, 'keyed', [file, 'later'], {});
    expect(await later.result()).toMatchObject({ tag: 'later', attempt: 1 });
  });

  it('retries the crashed attempt and does not lose a concurrent activity', async () => {
    const rt = await open();
    const file = sideFile();
    const handle = await rt.start(crashWithNeighbour, file, how);
    expect(await handle.result()).toEqual(['survived', 'steady']);
    const history = await handle.history();
    // Step 1 is steady, step 2 crash: crash's first attempt died with its thread, the second survived.
    const [crashed] = failures(history, 2);
    expect(crashed).toMatchObject({ attempt: 1, error: { code: 'WORKER_CRASHED' } });
    expect(crashed!.retryAt).toBeDefined();
    expect(history).toContainEqual(expect.objectContaining({ type: 'activity.completed', step: 2, attempt: 2 }));
    // steady either finished on the other thread, or shared the dead one and was retried.
    for (const f of failures(history, 1)) expect(f.error).toMatchObject({ code: 'WORKER_CRASHED' });
    expect(history).toContainEqual(expect.objectContaining({ type: 'activity.completed', step: 1 }));
    expect(readSide(file).filter((l) => l.event === 'steady-end').length).toBeGreaterThanOrEqual(1);
  });
});
