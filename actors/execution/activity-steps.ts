import type { TimerHandle } from '../../src/clock.js';
import {
  ActivityFailure,
  ActivityNotFoundError,
  ActivityTimeoutError,
  errorFromJSON,
  InvalidArgumentError,
  NonDeterminismError,
  WorkerCrashedError,
  type ActivityTimeoutKind,
} from '../../src/errors.js';
import { resolveRetry, retryDelay, type ResolvedRetry } from '../../src/executions/retry.js';
import { decodeValue, encodeValue } from '../../src/store/codec.js';
import type { ResourceClaim } from '../../src/pool/resources.js';
import type { ActivityOptions } from '../../src/workflow.js';
import type { ExecutionEvent } from './events.js';
import type { HistoryEvent, RecordedError } from './history.js';
import { recordError } from './run.js';
import { lastStep, type StepHost } from './step-host.js';

type Ev<T extends ExecutionEvent['type']> = Extract<ExecutionEvent, { type: T }>;
type Scheduled = Extract<HistoryEvent, { type: 'activity.scheduled' }>;
type Completed = Extract<HistoryEvent, { type: 'activity.completed' }>;
type Failed = Extract<HistoryEvent, { type: 'activity.failed' }>;

/** What the history says about one step. */
interface PastStep {
  scheduled: Scheduled;
  failures: Failed[];
  completed?: Completed;
}

/** A step the running workflow is waiting on. */
interface LiveStep {
  step: number;
  activity: string;
  taskList: string;
  args: unknown[];
  options: ActivityOptions;
  policy: ResolvedRetry;
  scheduledAt: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  attempt: number;
  done: boolean;
  taskId?: number;
  attemptStartedAt?: number;
  attemptTimer?: TimerHandle;
  heartbeatTimer?: TimerHandle;
  retryTimer?: TimerHandle;
  deadlineTimer?: TimerHandle;
  /** The attempt's claim on its resources: waiting, or held while it runs. */
  claim?: ResourceClaim;
}

/**
 * Activity steps of one execution: replays recorded ones, records and dispatches new ones,
 * retries and times out attempts. Only the execution actor calls it, one event at a time.
 * A step is appended to the history before its effect shows: the attempt starts once its
 * schedule is committed, and the workflow sees a result once that result is committed.
 */
export class ActivitySteps {
  readonly #host: StepHost;
  readonly #past = new Map<number, PastStep>();
  readonly #live = new Map<number, LiveStep>();
  #lastCalledStep = 0;
  #pending = 0;

  constructor(host: StepHost) {
    this.#host = host;
  }

  /** Takes in one recorded event (at construction, in history order). */
  load(event: HistoryEvent): void {
    if (event.type === 'activity.scheduled') return void this.#past.set(event.step, { scheduled: event, failures: [] });
    if (event.type !== 'activity.completed' && event.type !== 'activity.failed') return;
    const past = this.#past.get(event.step);
    if (!past) return; // cannot happen: a step's schedule is written before its outcome
    if (event.type === 'activity.completed') past.completed = event;
    else past.failures.push(event);
  }

  /** Activity steps the workflow waits on now. */
  get pending(): number {
    return this.#pending;
  }

  /** The highest step the history holds (0 when none). */
  lastRecordedStep(): number {
    return lastStep(this.#past.keys());
  }

  /** The last recorded step the workflow has not asked for on replay, described; undefined when none. */
  unreplayed(): { step: number; recorded: string } | undefined {
    const last = this.lastRecordedStep();
    if (last <= this.#lastCalledStep) return undefined;
    return { step: last, recorded: `activity ${(this.#past.get(last) as PastStep).scheduled.activity}` };
  }

  call(e: Ev<'activity.call'>): void {
    if (e.step > this.#lastCalledStep) this.#lastCalledStep = e.step;
    const past = this.#past.get(e.step);
    if (past) return this.#replay(e, past);
    const module = this.#host.env.activities.get(e.activity);
    if (!module) return e.reject(new ActivityNotFoundError(e.activity, [...this.#host.env.activities.keys()]));
    let policy: ResolvedRetry;
    let args: string;
    try {
      policy = resolveRetry(e.options.retry);
      checkTimeouts(e.options);
      if (e.options.resources !== undefined) {
        if (!Array.isArray(e.options.resources))
          throw new InvalidArgumentError('resources', 'it must be a list of names');
        this.#host.env.resources.check(e.options.resources);
      }
      args = encodeValue(e.args);
    } catch (err) {
      return e.reject(err);
    }
    const now = this.#host.env.clock.now();
    const scheduled: Scheduled = {
      type: 'activity.scheduled',
      step: e.step,
      activity: e.activity,
      taskList: e.options.taskList ?? this.#host.defaultTaskList,
      args,
      at: now,
    };
    this.#past.set(e.step, { scheduled, failures: [] });
    const live = this.#track(e, scheduled, policy);
    const seq = this.#host.append(scheduled);
    this.#armDeadline(live);
    // Write-ahead: the attempt starts only once its schedule is durable.
    this.#host.afterCommit(seq, () => this.#dispatch(live, 1));
  }

  settled(e: Ev<'activity.settled'>): void {
    const live = this.#live.get(e.step);
    if (!live || live.done || live.taskId !== e.taskId) return; // a late answer from an abandoned attempt
    this.#clearAttempt(live);
    const startedAt = live.attemptStartedAt ?? e.endedAt;
    const { outcome } = e;
    if (outcome.ok) {
      let result: string;
      try {
        result = encodeValue(outcome.value);
      } catch (err) {
        return this.#attemptFailed(live, recordError(err), startedAt, false);
      }
      const completed: Completed = {
        type: 'activity.completed',
        step: live.step,
        attempt: live.attempt,
        result,
        startedAt,
        at: e.endedAt,
      };
      (this.#past.get(live.step) as PastStep).completed = completed;
      this.#settle(live);
      this.#host.afterCommit(this.#host.append(completed), () => live.resolve(decodeValue(result)));
    } else if ('crashed' in outcome) {
      this.#attemptFailed(live, new WorkerCrashedError(live.activity, outcome.crashed).toJSON(), startedAt, true);
    } else {
      const retryable = outcome.error.code !== 'ACTIVITY_NOT_FOUND';
      this.#attemptFailed(live, outcome.error, startedAt, retryable);
    }
  }

  heartbeat(e: Ev<'activity.heartbeat'>): void {
    const live = this.#live.get(e.step);
    if (live && !live.done && live.taskId === e.taskId) this.#armHeartbeat(live);
  }

  timedOut(e: Ev<'activity.timedOut'>): void {
    const live = this.#live.get(e.step);
    if (!live || live.done || live.taskId !== e.taskId) return;
    const ms = (e.kind === 'heartbeat' ? live.options.heartbeatTimeoutMs : live.options.startToCloseTimeoutMs) ?? 0;
    const error = new ActivityTimeoutError(live.activity, live.step, e.kind, ms);
    this.#host.env.pool.abort(e.taskId, error.message);
    const startedAt = live.attemptStartedAt;
    this.#clearAttempt(live);
    this.#attemptFailed(live, error.toJSON(), startedAt, true);
  }

  retryDue(e: Ev<'activity.retryDue'>): void {
    const live = this.#live.get(e.step);
    if (live && !live.done) this.#dispatch(live, live.attempt + 1);
  }

  /** Schedule-to-close passed: no more attempts. */
  deadline(e: Ev<'activity.deadline'>): void {
    const live = this.#live.get(e.step);
    if (!live || live.done) return;
    const error = new ActivityTimeoutError(
      live.activity,
      live.step,
      'scheduleToClose',
      live.options.scheduleToCloseTimeoutMs ?? 0,
    );
    if (live.taskId !== undefined) this.#host.env.pool.abort(live.taskId, error.message);
    const startedAt = live.attemptStartedAt;
    this.#clearAttempt(live);
    this.#attemptFailed(live, error.toJSON(), startedAt, false);
  }

  /** The execution ended: running attempts see their signal fire; no step settles any more. */
  abandon(reason: string): void {
    for (const live of this.#live.values()) {
      if (live.done) continue;
      if (live.taskId !== undefined) this.#host.env.pool.abort(live.taskId, reason);
      this.#clearAttempt(live);
      this.#settle(live);
    }
  }

  /** Stops every timer and attempt without recording anything (the runtime is closing). */
  stop(): void {
    for (const live of this.#live.values()) {
      if (live.taskId !== undefined) this.#host.env.pool.abort(live.taskId, 'the runtime is closing');
      this.#clearAttempt(live);
      this.#clearTimer(live, 'retryTimer');
      this.#clearTimer(live, 'deadlineTimer');
    }
  }

  #replay(e: Ev<'activity.call'>, past: PastStep): void {
    if (past.scheduled.activity !== e.activity) {
      const error = new NonDeterminismError(
        this.#host.executionId,
        e.step,
        `activity ${past.scheduled.activity}`,
        `activity ${e.activity}`,
      );
      return this.#host.send({ type: 'workflow.failed', error: error.toJSON() });
    }
    let policy: ResolvedRetry;
    try {
      policy = resolveRetry(e.options.retry);
    } catch (err) {
      return e.reject(err);
    }
    const live = this.#track(e, past.scheduled, policy);
    live.attempt = past.failures.length;
    if (past.completed) {
      this.#settle(live);
      return live.resolve(decodeValue(past.completed.result));
    }
    const last = past.failures[past.failures.length - 1];
    if (last && last.retryAt === undefined) {
      this.#settle(live);
      return live.reject(this.#finalError(live, last.error, last.attempt));
    }
    this.#armDeadline(live);
    if (last?.retryAt !== undefined) this.#armRetry(live, last.retryAt);
    else this.#dispatch(live, live.attempt + 1); // scheduled, never answered: run it again, same idempotency key
  }

  #track(e: Ev<'activity.call'>, scheduled: Scheduled, policy: ResolvedRetry): LiveStep {
    const live: LiveStep = {
      step: e.step,
      activity: e.activity,
      taskList: scheduled.taskList,
      args: e.args,
      options: e.options,
      policy,
      scheduledAt: scheduled.at,
      resolve: e.resolve,
      reject: e.reject,
      attempt: 0,
      done: false,
    };
    this.#live.set(e.step, live);
    this.#pending++;
    return live;
  }

  #dispatch(live: LiveStep, attempt: number): void {
    if (this.#host.isFinal() || live.done) return;
    const resources = live.options.resources;
    if (resources && resources.length > 0) {
      // The attempt waits for its resources; its timeouts start once it runs.
      live.claim = this.#host.env.resources.claim(resources, () => this.#run(live, attempt));
      return;
    }
    this.#run(live, attempt);
  }

  /** True while the attempt of `step` waits for a resource (for the execution's tasks). */
  waitingForResource(step: number): boolean {
    const claim = this.#live.get(step)?.claim;
    return claim !== undefined && !claim.granted;
  }

  #run(live: LiveStep, attempt: number): void {
    if (this.#host.isFinal() || live.done) return;
    const { pool, clock, activities } = this.#host.env;
    const taskId = pool.taskId();
    live.attempt = attempt;
    live.taskId = taskId;
    live.attemptStartedAt = clock.now();
    const { startToCloseTimeoutMs, heartbeatTimeoutMs } = live.options;
    if (startToCloseTimeoutMs !== undefined)
      live.attemptTimer = clock.setTimeout(
        () => this.#host.send({ type: 'activity.timedOut', step: live.step, taskId, kind: 'startToClose' }),
        startToCloseTimeoutMs,
      );
    if (heartbeatTimeoutMs !== undefined) this.#armHeartbeat(live);
    const step = live.step;
    // run() never rejects: a crashed thread is an outcome too.
    void pool
      .run(
        live.taskList,
        {
          taskId,
          module: activities.get(live.activity) ?? '',
          activity: live.activity,
          args: live.args,
          executionId: this.#host.executionId,
          attempt,
          idempotencyKey: `${this.#host.executionId}:${step}`,
          logLevel: this.#host.env.logger.level,
        },
        heartbeatTimeoutMs !== undefined
          ? () => this.#host.send({ type: 'activity.heartbeat', step, taskId })
          : undefined,
      )
      .then((outcome) => this.#host.send({ type: 'activity.settled', step, taskId, outcome, endedAt: clock.now() }));
  }

  #attemptFailed(live: LiveStep, error: RecordedError, startedAt: number | undefined, retryable: boolean): void {
    const now = this.#host.env.clock.now();
    const { policy } = live;
    const names = policy.nonRetryableErrors;
    const canRetry =
      retryable &&
      live.attempt < policy.maxAttempts &&
      !names.includes(error.name) &&
      !(error.code !== undefined && names.includes(String(error.code)));
    const failed: Failed = {
      type: 'activity.failed',
      step: live.step,
      attempt: live.attempt,
      error,
      at: now,
      ...(startedAt !== undefined && { startedAt }),
      ...(canRetry && { retryAt: now + retryDelay(policy, live.attempt) }),
    };
    (this.#past.get(live.step) as PastStep).failures.push(failed);
    const seq = this.#host.append(failed);
    if (failed.retryAt !== undefined) {
      const retryAt = failed.retryAt;
      return this.#host.afterCommit(seq, () => this.#armRetry(live, retryAt));
    }
    this.#settle(live);
    this.#host.afterCommit(seq, () => live.reject(this.#finalError(live, error, live.attempt)));
  }

  #finalError(live: LiveStep, error: RecordedError, attempt: number): Error {
    if (error.code === 'ACTIVITY_TIMEOUT' && 'context' in error && error.context) return errorFromJSON(error);
    return new ActivityFailure(live.activity, live.step, attempt, {
      name: error.name,
      message: error.message,
      ...(error.stack !== undefined && { stack: error.stack }),
      ...(error.code !== undefined && { code: error.code }),
    });
  }

  #armRetry(live: LiveStep, retryAt: number): void {
    if (this.#host.isFinal() || live.done) return;
    const ms = Math.max(0, retryAt - this.#host.env.clock.now());
    live.retryTimer = this.#host.env.clock.setTimeout(
      () => this.#host.send({ type: 'activity.retryDue', step: live.step }),
      ms,
    );
  }

  #armDeadline(live: LiveStep): void {
    const ms = live.options.scheduleToCloseTimeoutMs;
    if (ms === undefined) return;
    const left = Math.max(0, live.scheduledAt + ms - this.#host.env.clock.now());
    live.deadlineTimer = this.#host.env.clock.setTimeout(
      () => this.#host.send({ type: 'activity.deadline', step: live.step }),
      left,
    );
  }

  #armHeartbeat(live: LiveStep): void {
    this.#clearTimer(live, 'heartbeatTimer');
    const { taskId, step } = live;
    if (taskId === undefined) return;
    live.heartbeatTimer = this.#host.env.clock.setTimeout(
      () =>
        this.#host.send({ type: 'activity.timedOut', step, taskId, kind: 'heartbeat' satisfies ActivityTimeoutKind }),
      live.options.heartbeatTimeoutMs ?? 0,
    );
  }

  #clearAttempt(live: LiveStep): void {
    live.claim?.release();
    live.claim = undefined;
    live.taskId = undefined;
    live.attemptStartedAt = undefined;
    this.#clearTimer(live, 'attemptTimer');
    this.#clearTimer(live, 'heartbeatTimer');
  }

  /** The step has its outcome (or never will): no more attempts, no more timers. */
  #settle(live: LiveStep): void {
    if (!live.done) this.#pending--;
    live.done = true;
    this.#clearTimer(live, 'retryTimer');
    this.#clearTimer(live, 'deadlineTimer');
  }

  #clearTimer(live: LiveStep, timer: 'attemptTimer' | 'heartbeatTimer' | 'retryTimer' | 'deadlineTimer'): void {
    const handle = live[timer];
    if (handle !== undefined) this.#host.env.clock.clearTimeout(handle);
    live[timer] = undefined;
  }
}

function checkTimeouts(options: ActivityOptions): void {
  for (const key of ['startToCloseTimeoutMs', 'scheduleToCloseTimeoutMs', 'heartbeatTimeoutMs'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0))
      throw new InvalidArgumentError(key, 'it must be a whole number of ms above 0');
  }
  if (options.taskList !== undefined && typeof options.taskList !== 'string')
    throw new InvalidArgumentError('taskList', 'it must be a string');
}
