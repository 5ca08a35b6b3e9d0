/**
 * Crash test of workflow coordination. A child process (coordination-worker.ts) runs
 * executions until they wait, and the test SIGKILLs it, then reopens the folder here (which
 * resumes them in this process):
 * - each kind of wait on its own: a held lock with two queued waiters (still held, the queue
 *   in order, handed on when the holder ends), a signal wait (the signal sent after the
 *   reopen reaches it), a timer (fires at once when due while down, on time otherwise), a
 *   child whose activity runs (both end, one child only);
 * - the crash window of a lock release (the registry committed it, the history not yet),
 *   reproduced by closing the runtime inside it: the release is sent again after the restart
 *   and, carrying its request id, changes nothing twice;
 * - a property test: random plans of lock holds, signal waits with timeouts, sleeps and
 *   withLock around an activity, several executions at once, killed after a random number
 *   of status changes a few times over; at the end every execution is SUCCESS, each step is
 *   recorded once, no fencing token is granted twice, and every lock is free.
 * A property failure prints its fast-check seed; rerun with CRASH_SEED=<seed> (kill points
 * still land a little differently). CRASH_VERBOSE=1 prints each run's rounds.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Runtime,
  type Clock,
  type Durability,
  type ExecutionHandle,
  type ExecutionInfo,
  type ExecutionStatus,
  type HistoryEvent,
  type LockInfo,
} from '../../src/index.js';
import { TestClock } from '../fixtures/harness.js';
import type { Mode, PlanExecution, WorkerMessage } from './coordination-worker.js';
import {
  COORDINATION_ACTIVITIES,
  COORDINATION_WORKFLOWS,
  NAP_MS,
  T0,
  crashPlan,
  reentrantHolder,
  releaser,
  type PlanOp,
} from './fixtures/coordination-workflows.js';
import { STALL_MS, killWorkers, runWorker } from './fixtures/runner.js';

const silent = pino({ level: 'silent' });
const FINAL = new Set<ExecutionStatus>(['SUCCESS', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

let base: string;
const runtimes: Runtime[] = [];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'weft-'));
});

afterEach(async () => {
  killWorkers();
  await Promise.allSettled(runtimes.splice(0).map((rt) => rt.close()));
  rmSync(base, { recursive: true, force: true });
});

/** Runs a scenario in a worker until it reports `reached`, then SIGKILLs it; answers the locks it saw. */
async function killAtWait(dataDir: string, mode: Mode, arg?: string): Promise<LockInfo[]> {
  let locks: LockInfo[] | undefined;
  let failure: string | undefined;
  const exit = await runWorker<WorkerMessage>({
    worker: 'coordination',
    args: [dataDir, 'process', mode, ...(arg !== undefined ? [arg] : [])],
    onMessage: (m, kill) => {
      if (m.type === 'reached') locks = m.locks;
      if (m.type === 'failed') failure = m.error;
      if (m.type === 'reached' || m.type === 'failed') kill();
    },
  });
  if (locks && failure === undefined) return locks;
  const why = exit.stalled
    ? `the ${mode} scenario did not reach its wait`
    : failure !== undefined
      ? `the worker failed: ${failure}`
      : `the worker exited (${exit.code}, ${exit.signal})`;
  throw new Error(`${why}\nstderr:\n${exit.stderr}`);
}

async function reopen(dataDir: string, durability: Durability = 'process', clock?: Clock): Promise<Runtime> {
  const rt = await Runtime.open({
    dataDir,
    durability,
    workflows: COORDINATION_WORKFLOWS,
    activities: [COORDINATION_ACTIVITIES],
    threads: 1,
    logger: silent,
    ...(clock && { clock }),
  });
  runtimes.push(rt);
  return rt;
}

async function waitForStatus(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  await vi.waitFor(async () => expect(await handle.status()).toBe(status), { timeout: 20_000, interval: 5 });
}

const types = async (handle: ExecutionHandle): Promise<string[]> => (await handle.history()).map((e) => e.type);

/** What a lock listing says, without its times (they cross the IPC pipe as strings). */
const shape = (locks: LockInfo[]): unknown[] =>
  locks.map((l) => ({
    name: l.name,
    holder: l.holder?.holder,
    token: l.holder?.token,
    count: l.holder?.count,
    waiters: l.waiters.map((w) => w.holder),
  }));

describe('each kind of wait across a SIGKILL', () => {
  it('a held lock stays held, its waiters stay queued in order and get it in turn', async () => {
    const dataDir = join(base, 'data');
    const before = await killAtWait(dataDir, 'lock');
    expect(shape(before)).toMatchObject([{ name: 'res', holder: 'holder', waiters: ['waiter-1', 'waiter-2'] }]);
    expect(before[0]?.holder?.token).toBeTypeOf('number');
    const rt = await reopen(dataDir);
    const [holder, first, second] = await Promise.all(['holder', 'waiter-1', 'waiter-2'].map((id) => rt.get(id)));
    await waitForStatus(holder!, 'WAITING_SIGNAL');
    await waitForStatus(first!, 'WAITING_LOCK');
    await waitForStatus(second!, 'WAITING_LOCK');
    expect(shape(await rt.locks.list())).toEqual(shape(before));

    await holder!.signal('finish', 'done');
    const held = (await holder!.result()) as { token: number; payload: string };
    const [tokenA, tokenB] = (await Promise.all([first!.result(), second!.result()])) as number[];
    expect(held).toEqual({ token: before[0]!.holder!.token, payload: 'done' });
    expect(tokenA).toBeGreaterThan(held.token);
    expect(tokenB).toBeGreaterThan(tokenA!);
    expect(await rt.locks.list()).toEqual([]);
    expect(await types(holder!)).toEqual([
      'lock.requested',
      'lock.granted',
      'signal.waiting',
      'signal.received',
      'lock.releasing',
      'lock.released',
    ]);
    for (const waiter of [first!, second!])
      expect(await types(waiter)).toEqual(['lock.requested', 'lock.granted', 'lock.releasing', 'lock.released']);
  });

  it('a signal sent after the restart reaches the wait', async () => {
    const dataDir = join(base, 'data');
    await killAtWait(dataDir, 'signal');
    const rt = await reopen(dataDir);
    const handle = await rt.get('signalled');
    await waitForStatus(handle, 'WAITING_SIGNAL');
    await handle.signal('go', 42);
    expect(await handle.result()).toBe(42);
    expect(await types(handle)).toEqual(['signal.waiting', 'signal.received']);
  });

  it('a timer that fell due while the process was down fires at once', async () => {
    const dataDir = join(base, 'data');
    await killAtWait(dataDir, 'timer');
    const rt = await reopen(dataDir, 'process', new TestClock(T0 + 2 * NAP_MS));
    const handle = await rt.get('napper');
    expect(await handle.result()).toEqual([T0, T0 + 2 * NAP_MS]);
    const history = await handle.history();
    expect(history.map((e) => e.type)).toEqual(['value.recorded', 'timer.started', 'timer.fired', 'value.recorded']);
    expect(history[1]).toMatchObject({ fireAt: T0 + NAP_MS });
  });

  it('a timer not yet due keeps its due time', async () => {
    const dataDir = join(base, 'data');
    await killAtWait(dataDir, 'timer');
    const clock = new TestClock(T0 + NAP_MS / 2);
    const rt = await reopen(dataDir, 'process', clock);
    const handle = await rt.get('napper');
    await clock.waitForTimerAt(T0 + NAP_MS);
    expect(await handle.status()).toBe('SLEEPING');
    clock.advance(NAP_MS / 2);
    expect(await handle.result()).toEqual([T0, T0 + NAP_MS]);
    expect(await types(handle)).toEqual(['value.recorded', 'timer.started', 'timer.fired', 'value.recorded']);
  });

  it('a parent and its running child both end, with one child execution', async () => {
    const dataDir = join(base, 'data');
    const dir = join(base, 'side');
    mkdirSync(dir);
    await killAtWait(dataDir, 'child', dir);
    const rt = await reopen(dataDir);
    const handle = await rt.get('parent');
    // The child's activity runs again after the restart (its result was never recorded).
    const side = join(dir, 'side.log');
    await vi.waitFor(() => expect(readFileSync(side, 'utf8').match(/start child/g)).toHaveLength(2), {
      timeout: 20_000,
      interval: 5,
    });
    writeFileSync(join(dir, 'child.go'), '');
    expect(await handle.result()).toBe('child said child');
    const { items } = await rt.list();
    expect(items.map((i) => [i.id, i.workflow, i.status]).sort()).toEqual([
      ['parent', 'crash-parent', 'SUCCESS'],
      ['parent:1', 'crash-child', 'SUCCESS'],
    ]);
    expect(await types(handle)).toEqual(['child.started', 'child.ended']);
    expect(await types(await rt.get('parent:1'))).toEqual(['activity.scheduled', 'activity.completed']);
  });
});

// ---------------------------------------------------------------------------------------------
// The crash window of a lock release: the registry has committed the release, the history has
// not recorded it yet (the property test below hits it with SIGKILL now and then). Closing the
// runtime right after the registry handled the release, before the journal's next tick commits
// it and hands the reply to the execution, leaves the folder in exactly that state.

/** Closes `rt` just after the registry handled the first release of lock `name`; resolves once closed. */
function closeOnRelease(rt: Runtime, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sub = rt.registryActor.system.inspect((ev) => {
      if (ev.type !== '@xstate.event' || ev.event.type !== 'lock.release') return;
      if ((ev.event as { name?: string }).name !== name) return;
      sub.unsubscribe();
      // Inspection sees the event before the registry handles it; this runs right after, before the commit.
      queueMicrotask(() => void rt.close().then(resolve, reject));
    });
  });
}

/**
 * Lets `id` run up to its wait on signal `go`, sends it, and closes in the window of the
 * release that follows. True when the folder is then as `expected` (read without resuming
 * anything); false when the setup missed the window or failed, which fails the test.
 */
async function closedInReleaseWindow(
  dataDir: string,
  id: string,
  workflowName: string,
  lock: string,
  expected: { history: string[]; locks: unknown[] },
): Promise<boolean> {
  try {
    const rt = await reopen(dataDir);
    const handle = await rt.start({ workflow: workflowName, id });
    await waitForStatus(handle, 'WAITING_SIGNAL');
    const closed = closeOnRelease(rt, lock);
    await handle.signal('go');
    await closed;
    const reader = await Runtime.open({ dataDir, durability: 'process', logger: silent });
    try {
      const history = await types(await reader.get(id));
      const locks = shape(await reader.locks.list());
      return isDeepStrictEqual(history, expected.history) && isDeepStrictEqual(locks, expected.locks);
    } finally {
      await reader.close();
    }
  } catch {
    return false;
  }
}

async function waitUntilWaitingOrEnded(handle: ExecutionHandle): Promise<ExecutionStatus> {
  await vi.waitFor(async () => expect([...FINAL, 'WAITING_SIGNAL']).toContain(await handle.status()), {
    timeout: 20_000,
    interval: 5,
  });
  return handle.status();
}

describe('a lock release whose reply a crash lost', () => {
  it('is not re-sent into NOT_LOCK_HOLDER after the restart', async () => {
    const dataDir = join(base, 'data');
    const history = ['lock.requested', 'lock.granted', 'signal.waiting', 'signal.received', 'lock.releasing'];
    // The registry has let the lock go; the history says only that a release was on its way.
    expect(await closedInReleaseWindow(dataDir, 'releaser', releaser.name, 'rel', { history, locks: [] })).toBe(true);

    const rt = await reopen(dataDir);
    const handle = await rt.get('releaser');
    const status = await waitUntilWaitingOrEnded(handle);
    const { error } = await handle.info();
    expect({ status, error: error?.code }).toEqual({ status: 'WAITING_SIGNAL', error: undefined });
    await handle.signal('end', 'bye');
    expect(await handle.result()).toBe('bye');
    expect(await types(handle)).toContain('lock.released');
  });

  it('does not take a reentrant lock from its holder after the restart', async () => {
    const dataDir = join(base, 'data');
    const twice = ['lock.requested', 'lock.granted', 'lock.requested', 'lock.granted'];
    const history = [...twice, 'signal.waiting', 'signal.received', 'lock.releasing'];
    // The registry has taken one count off (2 → 1); the history says only that a release was on its way.
    const locks = [{ name: 're', holder: 'reentrant', token: 1, count: 1, waiters: [] }];
    expect(await closedInReleaseWindow(dataDir, 'reentrant', reentrantHolder.name, 're', { history, locks })).toBe(
      true,
    );

    const rt = await reopen(dataDir);
    const handle = await rt.get('reentrant');
    const status = await waitUntilWaitingOrEnded(handle);
    const { error } = await handle.info();
    expect({ status, error: error?.code }).toEqual({ status: 'WAITING_SIGNAL', error: undefined });
    // Still inside its outer hold: the lock must still be its own.
    expect(await rt.locks.list()).toMatchObject([{ name: 're', holder: { holder: 'reentrant', count: 1 } }]);
    await handle.signal('end', 'bye');
    expect(await handle.result()).toBe('bye');
    expect(await rt.locks.list()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property test

const lockName = fc.constantFrom('L1' as const, 'L2' as const);
const opArb: fc.Arbitrary<PlanOp> = fc.oneof(
  fc.record({ op: fc.constant('hold' as const), lock: lockName, ms: fc.integer({ min: 5, max: 60 }) }),
  fc.record({ op: fc.constant('signal' as const), timeoutMs: fc.integer({ min: 20, max: 300 }) }),
  fc.record({ op: fc.constant('sleep' as const), ms: fc.integer({ min: 5, max: 80 }) }),
  fc.record({ op: fc.constant('withLock' as const), lock: lockName, ms: fc.integer({ min: 1, max: 40 }) }),
);
const runArb = fc.record({
  executions: fc.array(fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 5 }), poke: fc.boolean() }), {
    minLength: 2,
    maxLength: 4,
  }),
  /**
   * Per killed round, where it dies, as a share of about as many status changes as the plan
   * makes in all (two per op): 0 is as soon as the folder is open.
   */
  kills: fc.array(fc.noBias(fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 4 }),
  durability: fc.constantFrom<Durability>('process', 'fsync'),
});

/** One round: the worker runs the plan and is SIGKILLed after `killAfter` progress messages, unless it finishes first. */
async function runRound(
  dataDir: string,
  durability: Durability,
  executions: PlanExecution[],
  killAfter: number,
): Promise<string> {
  let progress = 0;
  let done = false;
  let failure: string | undefined;
  let unfinished = 0;
  const { code, signal, killed, stalled, stderr } = await runWorker<WorkerMessage>({
    worker: 'coordination',
    args: [dataDir, durability, 'plan', JSON.stringify(executions)],
    onMessage: (m, kill) => {
      if (m.type === 'opened') unfinished = m.unfinished;
      if (m.type === 'opened' && killAfter === 0) kill();
      if (m.type === 'progress' && ++progress === killAfter) kill();
      if (m.type === 'done') done = true;
      if (m.type === 'failed') failure = m.error;
    },
  });
  if (failure !== undefined || stalled || (killed ? signal !== 'SIGKILL' : !(done && code === 0)))
    throw new Error(
      `the worker ${stalled ? `made no progress for ${STALL_MS} ms` : 'failed'} (exit ${code}, ${signal})\n` +
        `${failure ?? ''}\n${stalled ? await describeFolder(dataDir, durability) : ''}\nstderr:\n${stderr}`,
    );
  return `${killed ? `killed after ${killAfter}` : 'done'} (${unfinished} unfinished at open)`;
}

/** Reopens here, pokes every execution that waits on a signal, and waits until all have ended. */
async function finish(
  dataDir: string,
  durability: Durability,
  executions: PlanExecution[],
): Promise<{ rt: Runtime; unfinished: number }> {
  const rt = await reopen(dataDir, durability);
  const unfinished = (await rt.list()).items.filter((i) => !FINAL.has(i.status)).length;
  const handles = await Promise.all(
    executions.map((e, i) => rt.start({ workflow: crashPlan.name, args: [e.ops], id: `plan-${i}` })),
  );
  const poke = (handle: ExecutionHandle, status: ExecutionStatus): void => {
    if (status === 'WAITING_SIGNAL') void handle.signal('poke', -1).catch(() => undefined); // EXECUTION_ENDED
  };
  const ended = Promise.all(
    handles.map(async (handle) => {
      handle.subscribe(({ status }) => poke(handle, status));
      poke(handle, await handle.status());
      await handle.result().catch(() => undefined);
    }),
  );
  let guard: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`executions still unfinished after ${STALL_MS} ms`)), STALL_MS);
  });
  try {
    await Promise.race([ended, stall]);
  } catch (err) {
    const unfinished = await Promise.all(
      handles.map(async (h) => `${h.id}: ${JSON.stringify(await h.info())}\n  ${JSON.stringify(await h.history())}`),
    );
    throw new Error(`${(err as Error).message}\n${unfinished.join('\n')}`);
  } finally {
    clearTimeout(guard);
  }
  return { rt, unfinished };
}

/** For a stalled worker: every execution with its history, read without resuming anything. */
async function describeFolder(dataDir: string, durability: Durability): Promise<string> {
  const reader = await Runtime.open({ dataDir, durability, logger: silent });
  try {
    const lines = [];
    for (const info of (await reader.list()).items)
      lines.push(
        `${info.id}: ${JSON.stringify(info)}\n  ${JSON.stringify(await (await reader.get(info.id)).history())}`,
      );
    return `locks ${JSON.stringify(await reader.locks.list())}\n${lines.join('\n')}`;
  } finally {
    await reader.close();
  }
}

/** Every execution SUCCESS with one line per op, each step recorded once, tokens never granted twice, locks free. */
async function check(rt: Runtime, executions: PlanExecution[]): Promise<{ lostReleaseReplies: number }> {
  const problems: string[] = [];
  const grants = new Map<string, string>();
  let lostReleaseReplies = 0;
  for (const [i, { ops }] of executions.entries()) {
    const handle = await rt.get(`plan-${i}`);
    const info = await handle.info();
    const history = await handle.history();
    const wrong: string[] = [];
    const tolerated = TOLERATE_LOST_RELEASE_REPLY && isLostReleaseReply(info, history);
    if (tolerated) lostReleaseReplies++;
    else if (info.status !== 'SUCCESS') wrong.push(`status ${info.status}: ${JSON.stringify(info.error)}`);
    else {
      const lines = info.result as string[];
      const expected = ops.map((o) => (o.op === 'hold' || o.op === 'withLock' ? `${o.op} ${o.lock} ` : o.op));
      if (lines.length !== ops.length || lines.some((l, k) => !l.startsWith(expected[k]!)))
        wrong.push(`result ${JSON.stringify(lines)}`);
    }
    const seen = new Set<string>();
    for (const e of history) {
      const key = `${e.step} ${e.type}`;
      if (e.type !== 'activity.failed' && seen.has(key)) wrong.push(`${key} recorded twice`);
      seen.add(key);
      if (e.type === 'lock.granted') {
        const token = `${e.name} ${e.grant.token}`;
        const by = `${handle.id} step ${e.step}`;
        if (grants.has(token)) wrong.push(`token ${token} granted to ${grants.get(token)} and ${by}`);
        grants.set(token, by);
        if (!tolerated && !releasedLater(history, e)) wrong.push(`token ${token} never released`);
      }
    }
    if (wrong.length > 0)
      problems.push(`${handle.id} (${JSON.stringify(ops)}): ${wrong.join('; ')}\n  history ${JSON.stringify(history)}`);
  }
  if (problems.length > 0) throw new Error(`${problems.length} executions wrong:\n${problems.join('\n')}`);
  expect(await rt.locks.list()).toEqual([]);
  return { lostReleaseReplies };
}

/**
 * An execution killed between the registry's commit of a release and the history's record
 * of it sends the release again after the restart; its request id makes that harmless. Kept
 * as a switch in case a regression needs the rest of the property checked while it is fixed.
 */
const TOLERATE_LOST_RELEASE_REPLY = false;

function isLostReleaseReply(info: ExecutionInfo, history: HistoryEvent[]): boolean {
  const last = history.at(-1);
  if (info.status !== 'FAILED' || info.error?.code !== 'NOT_LOCK_HOLDER') return false;
  if (last?.type !== 'step.failed' || last.kind !== 'lock.release') return false;
  const { token } = (last.error.context ?? {}) as { token?: number };
  return history.some((e) => e.type === 'lock.granted' && e.grant.token === token);
}

function releasedLater(history: HistoryEvent[], granted: Extract<HistoryEvent, { type: 'lock.granted' }>): boolean {
  return history.some((e) => e.type === 'lock.released' && e.step > granted.step && e.token === granted.grant.token);
}

it('random coordination plans killed at random points all end, with every lock free', async () => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(runArb, async ({ executions, kills, durability }) => {
      const dataDir = join(base, `run-${runs++}`);
      const rounds: string[] = [];
      const changes = 2 * executions.reduce((n, e) => n + e.ops.length, 0);
      for (const percent of kills) {
        const killAfter = Math.round((percent / 100) * changes);
        const round = await runRound(dataDir, durability, executions, killAfter);
        rounds.push(round);
        if (round.startsWith('done')) break;
      }
      const { rt, unfinished } = await finish(dataDir, durability, executions);
      rounds.push(`last (${unfinished} unfinished at open)`);
      try {
        const { lostReleaseReplies } = await check(rt, executions);
        if (process.env.CRASH_VERBOSE)
          console.info(`${durability}, rounds: ${rounds.join(', ')}; lost release replies: ${lostReleaseReplies}`);
      } catch (err) {
        throw new Error(`rounds ${rounds.join(', ')}: ${(err as Error).message}`);
      } finally {
        await rt.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }),
    {
      numRuns: 15,
      endOnFailure: true,
      ...(process.env.CRASH_SEED !== undefined && { seed: Number(process.env.CRASH_SEED) }),
    },
  );
}, 120_000);
