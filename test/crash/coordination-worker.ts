/**
 * Child process of the coordination crash test (coordination-crash.test.ts).
 * Usage: node --import tsx test/crash/coordination-worker.ts <dataDir> <durability> <mode> [<json>]
 *
 * It opens a runtime on <dataDir> (which resumes every unfinished execution), then:
 * - modes `lock`, `signal`, `timer`, `child`: starts the scenario's executions (fixed ids),
 *   waits until they reached their wait, makes sure that is committed, and sends `reached`;
 *   the test SIGKILLs it then.
 * - mode `plan` (<json>: PlanExecution[]): (re)starts `plan-<i>` of crashPlan, pokes the ones
 *   that want it whenever they wait on a signal, reports every status change as `progress`,
 *   and once all have ended closes the runtime and sends `done`. The test SIGKILLs it after
 *   a number of progress messages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import {
  ManualClock,
  Runtime,
  type Durability,
  type ExecutionHandle,
  type ExecutionStatus,
  type LockInfo,
} from '../../src/index.js';
import {
  COORDINATION_ACTIVITIES,
  COORDINATION_WORKFLOWS,
  T0,
  crashPlan,
  lockHolder,
  lockWaiter,
  napper,
  parent,
  signalWaiter,
  type PlanOp,
} from './fixtures/coordination-workflows.js';

export type Scenario = 'lock' | 'signal' | 'timer' | 'child';
export type Mode = Scenario | 'plan';

export interface PlanExecution {
  ops: PlanOp[];
  /** The worker sends it signal `poke` each time it waits on a signal. */
  poke: boolean;
}

export type WorkerMessage =
  | { type: 'opened'; unfinished: number }
  /** A scenario reached its wait; `locks` as the registry lists them then. */
  | { type: 'reached'; locks: LockInfo[] }
  | { type: 'progress'; id: string; status: ExecutionStatus }
  | { type: 'done' }
  | { type: 'failed'; error: string };

const FINAL = new Set<ExecutionStatus>(['SUCCESS', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/** Resolves once the message is in the pipe, so the parent gets it even if this process dies next. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code } = err as { code?: unknown };
  return `${typeof code === 'string' ? `[${code}] ` : ''}${err.stack ?? err.message}`;
}

/** Resolves once the execution's status is `status`; rejects if it ends first. */
function reach(handle: ExecutionHandle, status: ExecutionStatus): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (s: ExecutionStatus): void => {
      if (s === status) {
        off();
        resolve();
      } else if (FINAL.has(s)) {
        off();
        reject(new Error(`${handle.id} ended ${s} before reaching ${status}`));
      }
    };
    const off = handle.subscribe(({ status: s }) => check(s));
    handle.status().then(check, reject);
  });
}

async function runScenario(rt: Runtime, scenario: Scenario, arg: string | undefined): Promise<void> {
  switch (scenario) {
    case 'lock': {
      const holder = await rt.start({ workflow: lockHolder.name, id: 'holder' });
      await reach(holder, 'WAITING_SIGNAL');
      for (const id of ['waiter-1', 'waiter-2'])
        await reach(await rt.start({ workflow: lockWaiter.name, id }), 'WAITING_LOCK');
      break;
    }
    case 'signal':
      await reach(await rt.start({ workflow: signalWaiter.name, id: 'signalled' }), 'WAITING_SIGNAL');
      break;
    case 'timer':
      await reach(await rt.start({ workflow: napper.name, id: 'napper' }), 'SLEEPING');
      break;
    case 'child': {
      const dir = arg!;
      await reach(await rt.start({ workflow: parent.name, args: [dir], id: 'parent' }), 'WAITING_CHILD');
      // The child's activity is in progress once the gate has noted its start.
      const side = join(dir, 'side.log');
      while (!(existsSync(side) && readFileSync(side, 'utf8').includes('start child'))) await sleep(5);
      await reach(await rt.get('parent:1'), 'RUNNING');
      break;
    }
  }
  // A registry reply waits for the journal's newest pending batch: what we saw is committed.
  await send({ type: 'reached', locks: await rt.locks.list() });
}

async function runPlan(rt: Runtime, executions: PlanExecution[]): Promise<void> {
  const handles = await Promise.all(
    executions.map((e, i) => rt.start({ workflow: crashPlan.name, args: [e.ops], id: `plan-${i}` })),
  );
  const poke = (handle: ExecutionHandle, i: number): void =>
    void handle.signal('poke', i).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'EXECUTION_ENDED') void fail(err);
    });
  await Promise.all(
    handles.map(async (handle, i) => {
      const ended = handle.result().catch(() => undefined);
      const seen = (status: ExecutionStatus): void => {
        void send({ type: 'progress', id: handle.id, status }).catch(() => undefined);
        if (status === 'WAITING_SIGNAL' && executions[i]!.poke) poke(handle, i);
      };
      handle.subscribe(({ status }) => seen(status));
      const status = await handle.status();
      if (status === 'WAITING_SIGNAL' && executions[i]!.poke) poke(handle, i);
      await ended;
    }),
  );
  await rt.close();
  await send({ type: 'done' });
  finishing = true;
  process.disconnect(); // the runtime is closed: nothing else should keep the process alive
}

async function main(): Promise<void> {
  const [dataDir, durability, mode, arg] = process.argv.slice(2) as [string, Durability, Mode, string | undefined];
  const rt = await Runtime.open({
    dataDir,
    durability,
    workflows: COORDINATION_WORKFLOWS,
    activities: [COORDINATION_ACTIVITIES],
    threads: 1,
    logger: pino({ level: 'silent' }),
    ...(mode === 'timer' && { clock: new ManualClock(T0) }),
  });
  const { items } = await rt.list({ limit: 1000 });
  await send({ type: 'opened', unfinished: items.filter((i) => !FINAL.has(i.status)).length });
  if (mode === 'plan') await runPlan(rt, JSON.parse(arg!) as PlanExecution[]);
  else await runScenario(rt, mode, arg);
}

let finishing = false;
// Don't outlive a parent that went away.
process.on('disconnect', () => finishing || process.exit(0));

async function fail(err: unknown): Promise<void> {
  await send({ type: 'failed', error: describeError(err) }).catch(() => undefined);
  process.exit(1);
}

main().catch(fail);
