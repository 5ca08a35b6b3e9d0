/**
 * Child process of the executions crash test (executions-crash.test.ts).
 * Usage: node --import tsx test/crash/executions-worker.ts <dataDir> <durability> <sideFile> <count>
 *
 * It opens a runtime on <dataDir> (which resumes every unfinished execution), reports how
 * many executions it found unfinished, then (re)starts executions `crash-0`…`crash-<count-1>`
 * of `crashChain` with idempotent ids, and reports each one as it ends. Once all have ended
 * it closes the runtime, sends `done` and exits. The test SIGKILLs it at random points.
 */
import { pino } from 'pino';
import { Runtime, type Durability, type ExecutionHandle } from '../../src/index.js';
import { SIDE_FILE_ENV } from './fixtures/crash-activities.js';
import { CRASH_ACTIVITIES, crashChain } from './fixtures/crash-workflows.js';

export type WorkerMessage =
  /** After open: executions recorded, and how many of them were not yet SUCCESS. */
  | { type: 'opened'; total: number; unfinished: number }
  /** A start is recorded (or answered the existing execution). */
  | { type: 'recorded'; id: string }
  | { type: 'ended'; id: string; ok: true; value: unknown }
  | { type: 'ended'; id: string; ok: false; error: string }
  | { type: 'done' }
  | { type: 'failed'; error: string };

/** Executions flow through in FIFO order, not in lockstep: a kill finds them at every step, and some PENDING. */
const MAX_RUNNING = 40;

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

async function main(): Promise<void> {
  const [dataDir, durability, sideFile, count] = process.argv.slice(2) as [string, Durability, string, string];
  process.env[SIDE_FILE_ENV] = sideFile; // before the pool's threads exist: they copy the environment
  const rt = await Runtime.open({
    dataDir,
    durability,
    workflows: [crashChain],
    activities: [CRASH_ACTIVITIES],
    threads: 2,
    maxRunning: MAX_RUNNING,
    logger: pino({ level: 'silent' }),
  });
  const { items } = await rt.list({ limit: 1000 });
  await send({ type: 'opened', total: items.length, unfinished: items.filter((i) => i.status !== 'SUCCESS').length });

  const n = Number(count);
  const handles = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      // By name: StartOptions.workflow (Workflow | string) rejects a typed Workflow<[number], number>.
      const handle = await rt.start({ workflow: crashChain.name, args: [i], id: `crash-${i}` });
      await send({ type: 'recorded', id: handle.id });
      return handle;
    }),
  );
  await Promise.all(
    handles.map((h: ExecutionHandle) =>
      h.result().then(
        (value) => send({ type: 'ended', id: h.id, ok: true, value }),
        (err: unknown) => send({ type: 'ended', id: h.id, ok: false, error: describeError(err) }),
      ),
    ),
  );
  await rt.close();
  await send({ type: 'done' });
  finishing = true;
  process.disconnect(); // the runtime is closed: nothing else should keep the process alive
}

let finishing = false;
// Don't outlive a parent that went away.
process.on('disconnect', () => finishing || process.exit(0));

main().catch(async (err: unknown) => {
  await send({ type: 'failed', error: describeError(err) }).catch(() => undefined);
  process.exit(1);
});
