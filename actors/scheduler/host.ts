import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import type { WeftError } from '../../src/errors.js';
import type { Journal } from '../../src/store/journal.js';
import type { Queues } from '../../src/queues.js';

/** How an execution ended. */
export type ExecutionOutcome = { ok: true; result: unknown } | { ok: false; error: WeftError };

/** The part of the work-queue API a queue trigger uses: `next` (peek, or claim with a request id), `get`, `setStatus`, `watch`. */
export type TriggerQueues = Pick<Queues, 'next' | 'get' | 'setStatus' | 'watch'>;

/**
 * What the scheduler actor needs from the runtime around it: time, the journal, starting
 * and watching executions, and the work queues. Kept narrow so the actor never reaches
 * into another actor's state.
 */
export interface SchedulerHost {
  readonly clock: Clock;
  readonly journal: Journal;
  readonly logger: Logger;
  readonly queues: TriggerQueues;
  /** Starts `workflow` under `id`; starting an id that exists answers `created: false` and starts nothing. */
  start(workflow: string, input: { args: unknown[]; kwargs?: Record<string, unknown> }, id: string): Promise<boolean>;
  /** Whether the execution has ended; undefined when there is no such execution. */
  ended(id: string): Promise<boolean | undefined>;
  /** Resolves when the execution ends; rejects (ABORTED) when `signal` aborts first. */
  outcome(id: string, signal: AbortSignal): Promise<ExecutionOutcome>;
}
