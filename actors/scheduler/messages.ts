import type { WeftError } from '../../src/errors.js';
import type { Reply } from '../registry/messages.js';

export type { Outcome, Reply } from '../registry/messages.js';

/** `skip`: a fire while the previous one's execution is still running is skipped; `allow`: it starts anyway. */
export type Overlap = 'skip' | 'allow';
/** What happens to runs that fell due while the runtime was down: none run, the latest one, or all (at most 100). */
export type CatchUp = 'none' | 'latest' | 'all';

/** One fire of a trigger, kept (the newest {@link RUNS_KEPT}) for operators. */
export interface TriggerRun {
  /** Cron: the scheduled time. Queue: when the element's outcome was recorded. */
  readonly at: number;
  /** `started` (cron), `skipped` (overlap), `missed` (catch-up), `error` (could not start), or the element's status. */
  readonly outcome: 'started' | 'skipped' | 'missed' | 'error' | 'DONE' | 'FAILED';
  readonly executionId?: string;
  readonly elementId?: string;
  /** Why it was skipped or missed (with how many), the start error, or the element's message. */
  readonly detail?: string;
}

export const RUNS_KEPT = 20;

interface TriggerBase {
  readonly name: string;
  /** Random per creation: work in flight for a deleted trigger never touches one re-created under its name. */
  readonly uid: string;
  readonly workflow: string;
  readonly paused: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Newest last. */
  readonly runs: readonly TriggerRun[];
}

/** A started execution whose start is not yet known to be recorded (write-ahead: redone, idempotently, on open). */
export interface PendingStart {
  readonly at: number;
  readonly executionId: string;
}

export interface CronTriggerRecord extends TriggerBase {
  readonly kind: 'cron';
  readonly cron: string;
  readonly timezone?: string;
  /** `{ args, kwargs? }`, encoded (see `src/store/codec.ts`). */
  readonly input: string;
  readonly overlap: Overlap;
  readonly catchUp: CatchUp;
  /** The next scheduled time; absent when the expression never fires again. */
  readonly nextAt?: number;
  readonly lastFiredAt?: number;
  readonly lastExecutionId?: string;
  readonly pending: readonly PendingStart[];
}

/** An element a queue trigger claimed, and the execution it runs in (its id is unique to the claim). */
export interface QueueClaim {
  readonly elementId: string;
  readonly executionId: string;
}

export interface QueueTriggerRecord extends TriggerBase {
  readonly kind: 'queue';
  readonly queue: string;
  readonly concurrency: number;
  /** Elements this trigger claimed whose outcome is not yet recorded. */
  readonly claimed: readonly QueueClaim[];
  /** The request id of a claim on its way (write-ahead: sent again, it answers the same element). */
  readonly claiming?: string;
  /**
   * Deleted while it still had claims: kept (under another key, by uid only) until their
   * executions end and their outcomes are recorded, so no element is left IN_PROGRESS.
   */
  readonly deleted?: true;
}

export type TriggerRecord = CronTriggerRecord | QueueTriggerRecord;

/** How an execution ended, as a queue element's status and message. */
export interface ElementOutcome {
  readonly status: 'DONE' | 'FAILED';
  readonly message: string;
}

/** A trigger as the actor answers it: its record, and the executions it started that are still running. */
export interface TriggerState {
  readonly record: TriggerRecord;
  readonly running: string[];
}

/** What callers ask; every request is answered exactly once, after what the answer shows is committed. */
export type SchedulerRequest =
  | { type: 'trigger.create'; record: TriggerRecord; reply: Reply<TriggerState> }
  | { type: 'trigger.get'; name: string; reply: Reply<TriggerState | undefined> }
  | { type: 'trigger.list'; reply: Reply<TriggerState[]> }
  | { type: 'trigger.pause'; name: string; reply: Reply<TriggerState> }
  | { type: 'trigger.resume'; name: string; reply: Reply<TriggerState> }
  | { type: 'trigger.delete'; name: string; reply: Reply<boolean> };

/** What the actor's timers and its own asynchronous work (starts, claims, outcomes) tell it. */
export type SchedulerInternalEvent =
  | { type: 'cron.due'; uid: string }
  | { type: 'cron.started'; uid: string; at: number; executionId: string; error?: WeftError }
  | { type: 'cron.ended'; uid: string; executionId: string }
  | { type: 'queue.pump'; uid: string }
  | { type: 'queue.peeked'; uid: string; found: boolean; error?: WeftError }
  | { type: 'queue.claimed'; uid: string; requestId: string; element?: ClaimedElement; error?: WeftError }
  | { type: 'queue.started'; uid: string; elementId: string; executionId: string; error?: WeftError }
  | { type: 'queue.ended'; uid: string; elementId: string; executionId: string; outcome: ElementOutcome }
  | { type: 'queue.recorded'; uid: string; elementId: string; executionId: string; outcome: ElementOutcome }
  /** Sent once when the actor starts: every live trigger starts firing (catching up at once). */
  | { type: 'scheduler.open' }
  | { type: 'scheduler.close' }
  | { type: 'journal.failed'; error: WeftError };

export type SchedulerEvent = SchedulerRequest | SchedulerInternalEvent;

/** A queue element as the trigger passes it to its workflow: the single argument. */
export interface ClaimedElement {
  readonly id: string;
  readonly reference?: string;
  readonly data?: unknown;
}
