import { isFinal } from '../actors/execution/history.js';
import { startScheduler, type SchedulerActor } from '../actors/scheduler.js';
import type { SchedulerHost } from '../actors/scheduler/host.js';
import type { Reply, SchedulerRequest, TriggerRecord, TriggerState } from '../actors/scheduler/messages.js';
import { ask } from './ask.js';
import { RuntimeClosedError, TriggerNotFoundError, WeftError } from './errors.js';
import type { Runtime } from './runtime.js';
import type { ServiceContext } from './services.js';
import { decodeValue } from './store/codec.js';
import { toTriggerRecord, type TriggerDefinition } from '../actors/scheduler/definition.js';

export type {
  CatchUp,
  CronTriggerDefinition,
  Overlap,
  QueueTriggerDefinition,
  TriggerDefinition,
} from '../actors/scheduler/definition.js';

interface TriggerCommon {
  name: string;
  workflow: string;
  paused: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Executions this trigger started that have not ended (for a queue trigger: one per claimed element). */
  running: string[];
}

/** A cron schedule as read. */
export interface CronTrigger extends TriggerCommon {
  kind: 'cron';
  cron: string;
  timezone?: string;
  input: { args: unknown[]; kwargs?: Record<string, unknown> };
  overlap: 'skip' | 'allow';
  catchUp: 'none' | 'latest' | 'all';
  /** Absent when the expression never fires again. */
  nextAt?: Date;
  lastFiredAt?: Date;
  lastExecutionId?: string;
}

/** A queue trigger as read. */
export interface QueueTrigger extends TriggerCommon {
  kind: 'queue';
  queue: string;
  concurrency: number;
  /** Ids of the elements it claimed whose outcome is not yet recorded. */
  claimed: string[];
}

export type Trigger = CronTrigger | QueueTrigger;

/** One fire: a started, skipped or missed cron run, or a queue element's recorded outcome. */
export interface TriggerRunInfo {
  /** Cron: the scheduled time. Queue: when the outcome was recorded. */
  at: Date;
  outcome: 'started' | 'skipped' | 'missed' | 'error' | 'DONE' | 'FAILED';
  executionId?: string;
  elementId?: string;
  detail?: string;
}

/**
 * Cron schedules and queue triggers: OpenOrchestrator's scheduler. Triggers are stored and
 * survive restarts; the scheduler actor fires them on the runtime's clock.
 *
 * - A cron trigger starts its workflow as `<name>:<scheduled time ISO>`, so a fire is
 *   idempotent across a crash. `overlap: 'skip'` (default) skips a fire while the previous
 *   execution runs; after downtime `catchUp` runs none of the missed fires, the latest
 *   (default), or all (the newest 100, each subject to `overlap`).
 * - A queue trigger claims NEW elements up to `concurrency` (default 1) and starts one
 *   execution per claim, as `<name>:<elementId>:<claim token>` (so an element set back to
 *   NEW runs again), with the element `{ id, reference?, data? }` as its single argument; it
 *   sets the element DONE (the result as JSON, cut to 1 KB) or FAILED (`CODE: message`) when
 *   the execution ends.
 *
 * @example
 * await rt.triggers.create({ kind: 'cron', name: 'nightly', workflow: 'report', cron: '0 2 * * *', timezone: 'Europe/Oslo' });
 * await rt.triggers.create({ kind: 'queue', name: 'invoices', workflow: 'invoice', queue: 'invoices', concurrency: 4 });
 */
export class Triggers {
  readonly #actor: SchedulerActor;
  readonly #close: () => Promise<void>;
  readonly #ctx: ServiceContext;
  readonly #workflows: readonly string[];
  #closed = false;

  /** @internal */
  constructor(
    scheduler: { actor: SchedulerActor; close: () => Promise<void> },
    ctx: ServiceContext,
    workflows: readonly string[],
  ) {
    this.#actor = scheduler.actor;
    this.#close = scheduler.close;
    this.#ctx = ctx;
    this.#workflows = workflows;
  }

  /** Creates a trigger; TRIGGER_EXISTS, INVALID_CRON, WORKFLOW_NOT_FOUND, INVALID_NAME, INVALID_ARGUMENT. */
  async create(definition: TriggerDefinition): Promise<Trigger> {
    const record = toTriggerRecord(definition, this.#workflows, this.#ctx.clock.now());
    return toTrigger(await this.#ask<TriggerState>((reply) => ({ type: 'trigger.create', record, reply })));
  }

  /** Every trigger, by name. */
  async list(): Promise<Trigger[]> {
    return (await this.#ask<TriggerState[]>((reply) => ({ type: 'trigger.list', reply }))).map(toTrigger);
  }

  /** The trigger, or undefined when there is none. */
  async get(name: string): Promise<Trigger | undefined> {
    const state = await this.#ask<TriggerState | undefined>((reply) => ({ type: 'trigger.get', name, reply }));
    return state && toTrigger(state);
  }

  /** Stops firing (a queue trigger stops claiming; what runs goes on and is recorded). TRIGGER_NOT_FOUND. */
  async pause(name: string): Promise<Trigger> {
    return toTrigger(await this.#ask<TriggerState>((reply) => ({ type: 'trigger.pause', name, reply })));
  }

  /** Fires again from now on: fires that fell due while paused are not caught up. TRIGGER_NOT_FOUND. */
  async resume(name: string): Promise<Trigger> {
    return toTrigger(await this.#ask<TriggerState>((reply) => ({ type: 'trigger.resume', name, reply })));
  }

  /**
   * Deletes the trigger; answers whether there was one. Executions it started go on, and a
   * queue trigger's still set their elements DONE or FAILED when they end (after a restart
   * too); an element it was claiming but had not started goes back to NEW.
   */
  delete(name: string): Promise<boolean> {
    return this.#ask<boolean>((reply) => ({ type: 'trigger.delete', name, reply }));
  }

  /** Its latest fires (at most 20), newest first. TRIGGER_NOT_FOUND. */
  async runs(name: string): Promise<TriggerRunInfo[]> {
    const state = await this.#ask<TriggerState | undefined>((reply) => ({ type: 'trigger.get', name, reply }));
    if (!state) throw new TriggerNotFoundError(name);
    return state.record.runs.map(({ at, ...rest }) => ({ at: new Date(at), ...rest })).reverse();
  }

  /** The scheduler actor, for inspection (`getSnapshot()`, `subscribe()`); send it nothing directly. */
  get actor(): SchedulerActor {
    return this.#actor;
  }

  /** Stops firing and claiming, and waits until work in flight is written down. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#close();
  }

  #ask<T>(message: (reply: Reply<T>) => SchedulerRequest): Promise<T> {
    if (this.#closed) return Promise.reject(new RuntimeClosedError());
    return ask<T>((reply) => this.#actor.send(message(reply)));
  }
}

/** Starts the scheduler: the runtime calls this once it is built, and `close()` first when it closes. */
export async function openTriggers(rt: Runtime, ctx: ServiceContext): Promise<Triggers> {
  const workflows = rt.workflows;
  const scheduler = await startScheduler(hostOf(rt, ctx));
  return new Triggers(scheduler, ctx, workflows);
}

function hostOf(rt: Runtime, ctx: ServiceContext): SchedulerHost {
  return {
    clock: ctx.clock,
    journal: ctx.journal,
    logger: ctx.logger,
    queues: rt.queues,
    start: async (workflow, input, id) => (await rt.start({ workflow, ...input, id })).created,
    ended: async (id) => {
      try {
        return isFinal(await (await rt.get(id)).status());
      } catch (err) {
        if (err instanceof WeftError && err.code === 'EXECUTION_NOT_FOUND') return undefined;
        throw err;
      }
    },
    outcome: async (id, signal) => {
      const handle = await rt.get(id);
      try {
        return { ok: true, result: await handle.result({ signal }) };
      } catch (err) {
        if (signal.aborted) throw err;
        return { ok: false, error: err instanceof WeftError ? err : new WeftError('INTERNAL', String(err)) };
      }
    },
  };
}

function toTrigger({ record, running }: TriggerState): Trigger {
  const common = {
    name: record.name,
    workflow: record.workflow,
    paused: record.paused,
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    running,
  };
  return record.kind === 'queue'
    ? {
        kind: 'queue',
        ...common,
        queue: record.queue,
        concurrency: record.concurrency,
        claimed: record.claimed.map((c) => c.elementId),
      }
    : cronTrigger(record, common);
}

function cronTrigger(record: Extract<TriggerRecord, { kind: 'cron' }>, common: TriggerCommon): CronTrigger {
  return {
    kind: 'cron',
    ...common,
    cron: record.cron,
    ...(record.timezone !== undefined && { timezone: record.timezone }),
    input: decodeValue(record.input),
    overlap: record.overlap,
    catchUp: record.catchUp,
    ...(record.nextAt !== undefined && { nextAt: new Date(record.nextAt) }),
    ...(record.lastFiredAt !== undefined && { lastFiredAt: new Date(record.lastFiredAt) }),
    ...(record.lastExecutionId !== undefined && { lastExecutionId: record.lastExecutionId }),
  };
}
