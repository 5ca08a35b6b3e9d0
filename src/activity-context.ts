import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/** What an activity can learn about the attempt it runs in. */
export interface ActivityContext {
  /** Aborted when the execution is cancelled or times out, or the attempt exceeds a timeout. */
  readonly signal: AbortSignal;
  /** Tells weft the activity is alive; required within `heartbeatTimeoutMs` when that is set. */
  heartbeat(details?: unknown): void;
  /**
   * 1 for the first attempt, then 2, 3… on retries. An attempt cut short by a crash of the
   * whole process runs again under the same number: tell re-runs apart by `idempotencyKey`.
   */
  readonly attempt: number;
  /** `<executionId>:<step>`: the same on every attempt and after a restart. Use it to make effects idempotent. */
  readonly idempotencyKey: string;
  readonly executionId: string;
  /** The activity's name. */
  readonly activity: string;
  /** A pino logger tagged with the execution id, the activity and the attempt. */
  readonly log: Logger;
}

/**
 * @internal The worker runs every activity inside this storage. It lives on a global
 * symbol so that every copy of this module in a thread shares it: an activity module may
 * import weft's TypeScript source while the worker runs the compiled JavaScript.
 */
export const activityStorage: AsyncLocalStorage<ActivityContext> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('weft.activityStorage')
] ??= new AsyncLocalStorage<ActivityContext>()) as AsyncLocalStorage<ActivityContext>;

/**
 * The context of the activity attempt running now. Call it inside an activity (in a worker
 * thread); anywhere else it throws.
 *
 * @example
 * export async function delay(seconds: number, x: number) {
 *   const { signal } = activityContext();
 *   await setTimeout(seconds * 1000, undefined, { signal });
 *   return x;
 * }
 */
export function activityContext(): ActivityContext {
  const ctx = activityStorage.getStore();
  if (!ctx) throw new Error('activityContext() can only be called inside an activity');
  return ctx;
}
