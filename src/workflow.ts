import type { Logger } from 'pino';
import { InvalidArgumentError } from './errors.js';
import type { LockGrant } from './locks.js';
import type { QueueElement, QueueElementStatus } from './queues.js';
import type { Setting } from './settings.js';
import { assertName } from './names.js';

/** uTask's coarse retry patterns: retry every second, minute or hour, up to 10 attempts. */
export type RetryPattern = 'seconds' | 'minutes' | 'hours';

export interface RetryPolicy {
  /** Attempts in all, the first included; 1 never retries. @default 3 */
  maxAttempts?: number;
  /** Wait before the first retry. @default 1000 */
  initialIntervalMs?: number;
  /** Each wait is the previous one times this. @default 2 */
  backoffCoefficient?: number;
  /** The longest wait between attempts. @default 60_000 */
  maxIntervalMs?: number;
  /** Errors, by `name` or `code`, that fail the activity at once. */
  nonRetryableErrors?: string[];
}

export interface ActivityOptions {
  /** The Piscina pool that runs it. @default the workflow's task list, else 'default' */
  taskList?: string;
  retry?: RetryPolicy | RetryPattern;
  /** Longest one attempt may run; an attempt past it is aborted and retried. */
  startToCloseTimeoutMs?: number;
  /** Longest the activity may take from first scheduling to result, retries included; not retried past it. */
  scheduleToCloseTimeoutMs?: number;
  /** An attempt that does not call `heartbeat()` within this is aborted and retried. */
  heartbeatTimeoutMs?: number;
  /**
   * Named concurrency limits it needs (uTask's step resources), e.g. `['smtp']` with
   * `Runtime.open({ resources: { smtp: 2 } })`: an attempt waits until all are free.
   */
  resources?: string[];
}

// The any is deliberate: proxies accept every exported function shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** A typed stub for one activity: call it for a future; `.with(options)` overrides options for one call. */
export interface ActivityStub<A extends unknown[], R> {
  (...args: A): Promise<R>;
  with(options: ActivityOptions): (...args: A) => Promise<R>;
}

/** Typed stubs for every function exported by an activity module `T`. */
export type ActivityProxies<T> = {
  [K in keyof T as T[K] extends AnyFunction ? K : never]: T[K] extends (...args: infer A) => infer R
    ? ActivityStub<A, Awaited<R>>
    : never;
};

/**
 * What a workflow function can reach. Everything outside it (clocks, randomness, I/O) breaks
 * replay; go through the context.
 */
export interface WorkflowContext {
  readonly executionId: string;
  readonly workflow: string;
  /** The input the execution was started with: `{ args, kwargs }`. */
  readonly input: { args: unknown[]; kwargs?: Record<string, unknown> };
  /**
   * A pino logger tagged with the execution id and the workflow: its lines are printed and
   * stored with the execution (`handle.logs()`), once: replay does not write them again.
   */
  readonly log: Logger;
  /**
   * Typed activity stubs. Each call returns a promise that is a future: start several, then
   * await them, and they run in parallel.
   *
   * @example
   * const { increment, double } = ctx.activities<typeof import('./activities.js')>({ retry: { maxAttempts: 5 } });
   */
  activities<T = Record<string, AnyFunction>>(options?: ActivityOptions): ActivityProxies<T>;
  /** The time, recorded: replay sees the same Date. */
  now(): Promise<Date>;
  /** A random number in [0, 1), recorded. */
  random(): Promise<number>;
  /** A random UUID, recorded. */
  uuid(): Promise<string>;
  /** A durable timer: the execution is SLEEPING meanwhile, and the timer fires on time after a restart too. */
  sleep(ms: number): Promise<void>;
  /**
   * A setting by name, as Cloudomation's `system.setting(name)`: read and save its value, or
   * take its lock. Locks are held by the execution and released when it ends, whatever the status.
   *
   * @example
   * const lock = ctx.setting('cloud-vm-lock');
   * await lock.acquire({ timeoutMs: 60_000 }); // WAITING_LOCK while queued; LOCK_TIMEOUT past it
   * try { ... } finally { await lock.release(); }
   */
  setting<T = unknown>(name: string): WorkflowSetting<T>;
  /**
   * Waits for the next signal called `name` and answers its payload (WAITING_SIGNAL
   * meanwhile). Signals that came before the wait are kept, in order. Past `timeoutMs` it
   * rejects with SIGNAL_TIMEOUT.
   */
  waitSignal<T = unknown>(name: string, options?: { timeoutMs?: number }): Promise<T>;
  /** Sends a signal to another execution (EXECUTION_NOT_FOUND, EXECUTION_ENDED when it cannot take it). */
  signal(executionId: string, name: string, payload?: unknown): Promise<void>;
  /**
   * Runs a child workflow and answers its result (WAITING_CHILD meanwhile); its failure is
   * this workflow's error to catch. Cancelling this execution cancels its children.
   */
  child<A extends unknown[], R>(workflow: Workflow<A, R> | string, ...args: A): Promise<R>;
  /** Runs `fn` holding the lock `name`, and always releases it, also when `fn` throws. */
  withLock<R>(name: string, fn: () => Promise<R>, options?: LockOptions): Promise<R>;
  /**
   * A work queue, as OpenOrchestrator's: each operation is a recorded step, so replay answers
   * the same elements, and a repeat after a crash changes nothing twice.
   *
   * @example
   * const orders = ctx.queue<Order>('orders');
   * for (let e = await orders.next(); e; e = await orders.next()) {
   *   await charge(e.data);
   *   await orders.setStatus(e.id, 'DONE');
   * }
   */
  queue<T = unknown>(name: string): WorkflowQueue<T>;
  /** A constant's value (a recorded step); CONSTANT_NOT_FOUND when there is none. */
  constant(name: string): Promise<string>;
  /**
   * A credential, password included. Read live on every run and never recorded, so the
   * password stays out of the history; CREDENTIAL_NOT_FOUND when there is none.
   */
  credential(name: string): Promise<{ username: string; password: string }>;
}

/** The status of a queue element (the same type as `QueueElementStatus`). */
export type QueueStatus = QueueElementStatus;

export interface WorkflowQueue<T> {
  create(data?: T, options?: { reference?: string }): Promise<QueueElement<T>>;
  bulkCreate(elements: Array<{ data?: T; reference?: string }>): Promise<Array<QueueElement<T>>>;
  /** Claims the oldest NEW element (IN_PROGRESS from then on), or only looks with `claim: false`; undefined when none. */
  next(options?: { reference?: string; claim?: boolean }): Promise<QueueElement<T> | undefined>;
  list(options?: {
    reference?: string;
    status?: QueueStatus;
    offset?: number;
    limit?: number;
  }): Promise<Array<QueueElement<T>>>;
  get(id: string): Promise<QueueElement<T>>;
  setStatus(id: string, status: QueueStatus, message?: string): Promise<QueueElement<T>>;
  delete(id: string): Promise<boolean>;
}

export interface LockOptions {
  /** How long to wait in the queue. @default 60_000 */
  timeoutMs?: number;
  /** Let the execution take a lock it already holds (a count, the same token). @default false */
  reentrant?: boolean;
}

export interface WorkflowSetting<T> {
  get(): Promise<Setting<T> | undefined>;
  /** Writes the value whole (creating the setting if missing); `expectedVersion` makes it compare-and-set. */
  save(value: T, options?: { expectedVersion?: number }): Promise<Setting<T>>;
  acquire(options?: LockOptions): Promise<LockGrant>;
  /** Releases the lock this handle acquired. */
  release(): Promise<void>;
}

export interface WorkflowOptions {
  /** A label recorded with each execution. @default '1' */
  version?: string;
  /** Default task list for its activities. @default 'default' */
  taskList?: string;
  /** The execution is TIMED_OUT past this. @default no limit */
  timeoutMs?: number;
}

export type WorkflowFunction<A extends unknown[] = unknown[], R = unknown> = (
  ctx: WorkflowContext,
  ...args: A
) => Promise<R>;

export interface Workflow<A extends unknown[] = unknown[], R = unknown> {
  readonly name: string;
  readonly fn: WorkflowFunction<A, R>;
  readonly version: string;
  readonly taskList: string;
  readonly timeoutMs?: number;
}

/**
 * Defines a workflow: an async, deterministic function that reaches the world only
 * through `ctx`. When `kwargs` are given at start, they arrive as one last argument.
 *
 * @example
 * export const basic = workflow('basic', async (ctx, x: number, t = 30) => {
 *   const { increment, double, delay } = ctx.activities<typeof acts>();
 *   const y = await increment(x);
 *   const waited = delay(t, y); // a future
 *   const z = await double(y);
 *   await waited;
 *   return z;
 * });
 */
export function workflow<A extends unknown[], R>(
  name: string,
  fn: WorkflowFunction<A, R>,
  options: WorkflowOptions = {},
): Workflow<A, R> {
  assertName('workflow name', name);
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a workflow needs an async function');
  const { version = '1', taskList = 'default', timeoutMs } = options;
  if (typeof version !== 'string' || version.length === 0)
    throw new InvalidArgumentError('version', 'it must be a non-empty string');
  assertName('task list', taskList);
  if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs > 0))
    throw new InvalidArgumentError('timeoutMs', 'it must be a whole number of ms above 0');
  return Object.freeze({ name, fn, version, taskList, ...(timeoutMs !== undefined && { timeoutMs }) });
}
