import type { ExecutionRecord, ExecutionStatus, HistoryEvent, RecordedError } from '../../actors/execution/history.js';
import type { Clock } from '../clock.js';
import { errorFromJSON, ExecutionNotFoundError, WorkflowError, type WeftError } from '../errors.js';
import { decodeValue } from '../store/codec.js';
import type { LogLine } from './execution-log.js';
import { profileOf, tasksOf, type ExecutionProfile, type TaskInfo } from './tasks.js';
import type { Supervisor } from './supervisor.js';

export type { ExecutionStatus } from '../../actors/execution/history.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** An execution as callers see it: values decoded, times as Dates. */
export interface ExecutionInfo<R = unknown> {
  id: string;
  workflow: string;
  version: string;
  status: ExecutionStatus;
  input: { args: unknown[]; kwargs?: Record<string, unknown> };
  createdAt: Date;
  startedAt?: Date;
  endedAt?: Date;
  /** Once SUCCESS. */
  result?: R;
  /** Once FAILED, CANCELLED or TIMED_OUT: the error the result rejects with. */
  error?: WeftError;
}

/**
 * A handle on one execution.
 *
 * @example
 * const handle = await rt.start(basic, 1, 5);
 * handle.subscribe(({ status }) => console.log(status));
 * console.log(await handle.result()); // 4
 */
export class ExecutionHandle<R = unknown> {
  readonly id: string;
  /** False when `start` was given an id that already existed: this is that execution, and nothing new started. */
  readonly created: boolean;
  readonly #supervisor: Supervisor;
  readonly #clock: Clock;

  /** @internal */
  constructor(supervisor: Supervisor, clock: Clock, id: string, created = false) {
    this.#supervisor = supervisor;
    this.#clock = clock;
    this.id = id;
    this.created = created;
  }

  async status(): Promise<ExecutionStatus> {
    return (await this.info()).status;
  }

  async info(): Promise<ExecutionInfo<R>> {
    const record = await this.#supervisor.get(this.id);
    if (!record) throw new Error(`execution ${this.id} vanished`);
    return toInfo<R>(record);
  }

  /**
   * Resolves with the workflow's return value, or rejects with its error, once the execution
   * ends; rejects with ABORTED if `signal` aborts first (the execution goes on).
   */
  async result(options: { signal?: AbortSignal } = {}): Promise<R> {
    const record = await this.#supervisor.waitFinal(this.id, options.signal);
    if (record.status === 'SUCCESS') return decodeValue<R>(record.result ?? 'Jnull');
    throw errorOf(record.error);
  }

  /** Cancels the execution: every pending step is abandoned and running activities see their AbortSignal fire. */
  cancel(reason = 'cancelled by request'): Promise<boolean> {
    return this.#supervisor.cancel(this.id, reason);
  }

  /** Sends the execution a signal; resolves once it is durably in the execution's inbox. */
  signal(name: string, payload?: unknown): Promise<void> {
    return this.#supervisor.signal(this.id, name, payload);
  }

  /** Calls `listener` on every status change until the execution ends; returns an unsubscribe function. */
  subscribe(listener: (update: { id: string; status: ExecutionStatus }) => void): () => void {
    return this.#supervisor.subscribe(this.id, (record) => listener({ id: record.id, status: record.status }));
  }

  /** The lines its workflow logged through `ctx.log`, oldest first, at `level` or above. */
  logs(options: { level?: LogLevel; limit?: number } = {}): Promise<LogLine[]> {
    return this.#supervisor.logs(this.id, options);
  }

  /**
   * Its log lines as they come: the stored ones, then each new one as the workflow writes
   * it; the iteration ends when the execution has ended, or when `signal` aborts.
   *
   * @example
   * for await (const line of handle.followLogs({ level: 'info' })) console.log(line.msg);
   */
  followLogs(options: { level?: LogLevel; signal?: AbortSignal } = {}): AsyncIterable<LogLine> {
    return this.#supervisor.followLogs(this.id, options);
  }

  /** The recorded steps, in order. */
  async history(): Promise<HistoryEvent[]> {
    return (await this.#supervisor.history(this.id)).map((h) => h.event);
  }

  /** Its activity steps: state, attempts, and when each was scheduled, started and ended. */
  async tasks(): Promise<TaskInfo[]> {
    return tasksOf(await this.history());
  }

  /** Where its time went: per activity, time waiting and running, and its share of the whole. */
  async profile(): Promise<ExecutionProfile> {
    const [record, history] = await Promise.all([this.#supervisor.get(this.id), this.history()]);
    if (!record) throw new ExecutionNotFoundError(this.id);
    return profileOf(record, history, this.#clock.now());
  }
}

export function toInfo<R>(record: ExecutionRecord): ExecutionInfo<R> {
  return {
    id: record.id,
    workflow: record.workflow,
    version: record.version,
    status: record.status,
    input: decodeValue(record.input),
    createdAt: new Date(record.createdAt),
    ...(record.startedAt !== undefined && { startedAt: new Date(record.startedAt) }),
    ...(record.endedAt !== undefined && { endedAt: new Date(record.endedAt) }),
    ...(record.result !== undefined && { result: decodeValue<R>(record.result) }),
    ...(record.error !== undefined && { error: errorOf(record.error) }),
  };
}

/** weft errors come back with their code and context; a user's error as WORKFLOW_ERROR with it as the cause. */
export function errorOf(error: RecordedError | undefined): WeftError {
  if (!error) return new WorkflowError({ name: 'Error', message: 'the execution failed without an error' });
  if ('context' in error && error.context !== undefined) return errorFromJSON(error);
  return new WorkflowError(error);
}
