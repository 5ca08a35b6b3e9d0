/**
 * The Piscina worker: loads activity modules by URL (once per thread), runs one attempt
 * inside an activity context, and answers with an outcome instead of throwing, so that the
 * activity's error keeps its code across the thread boundary.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { activityStorage, type ActivityContext } from '../activity-context.js';
import { toRemoteError } from '../errors.js';
import { CONTROL_CHANNEL, type ControlMessage, type WorkerOutcome, type WorkerTask } from './protocol.js';

const modules = new Map<string, Promise<Record<string, unknown>>>();
const running = new Map<number, AbortController>();
/**
 * Aborts for tasks this thread has not started (yet, or ever: every thread hears every
 * abort). A task still queued in Piscina when its abort comes must not run afterwards.
 */
const earlyAborts = new Map<number, string>();
const EARLY_ABORTS_KEPT = 10_000;
const control = new BroadcastChannel(CONTROL_CHANNEL);
control.unref();
control.onmessage = (event: unknown) => {
  const msg = (event as { data: ControlMessage }).data;
  if (msg.type !== 'abort') return;
  const controller = running.get(msg.taskId);
  if (controller) return controller.abort(new Error(msg.reason));
  earlyAborts.set(msg.taskId, msg.reason);
  if (earlyAborts.size > EARLY_ABORTS_KEPT) earlyAborts.delete(earlyAborts.keys().next().value as number);
};

let logger: Logger | undefined;
function baseLogger(level: string): Logger {
  // Synchronous: an async destination in a worker can lose lines when the pool shuts down.
  logger ??= pino({ level }, pino.destination({ fd: 2, sync: true }));
  return logger;
}

const requireModule = createRequire(import.meta.url);

function load(url: string): Promise<Record<string, unknown>> {
  let mod = modules.get(url);
  if (!mod) {
    // On Node 20 tsx's ESM hooks do not reach worker threads but its require hook does, so
    // TypeScript modules are required (they must then have no top-level await).
    mod = url.endsWith('.ts')
      ? Promise.resolve().then(() => requireModule(fileURLToPath(url)) as Record<string, unknown>)
      : (import(url) as Promise<Record<string, unknown>>);
    modules.set(url, mod);
  }
  return mod;
}

export default async function runActivity(task: WorkerTask): Promise<WorkerOutcome> {
  const aborted = earlyAborts.get(task.taskId);
  if (aborted !== undefined) {
    earlyAborts.delete(task.taskId);
    return { ok: false, error: { name: 'AbortError', message: `aborted before it started: ${aborted}` } };
  }
  const controller = new AbortController();
  running.set(task.taskId, controller);
  try {
    const fn = (await load(task.module))[task.activity];
    if (typeof fn !== 'function')
      return {
        ok: false,
        error: {
          name: 'ActivityNotFoundError',
          message: `${task.activity} is not exported by ${task.module}`,
          code: 'ACTIVITY_NOT_FOUND',
        },
      };
    const ctx: ActivityContext = {
      signal: controller.signal,
      heartbeat: (details?: unknown) =>
        control.postMessage({ type: 'heartbeat', taskId: task.taskId, details } satisfies ControlMessage),
      attempt: task.attempt,
      idempotencyKey: task.idempotencyKey,
      executionId: task.executionId,
      activity: task.activity,
      get log() {
        return baseLogger(task.logLevel).child({
          executionId: task.executionId,
          activity: task.activity,
          attempt: task.attempt,
        });
      },
    };
    const value: unknown = await activityStorage.run(ctx, () => (fn as (...a: unknown[]) => unknown)(...task.args));
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toRemoteError(err) };
  } finally {
    running.delete(task.taskId);
  }
}
