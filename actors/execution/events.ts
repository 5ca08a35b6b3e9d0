import type { ActivityOptions } from '../../src/workflow.js';
import type { AttemptOutcome } from '../../src/pool/activity-pool.js';
import type { ActivityTimeoutKind } from '../../src/errors.js';
import type { RecordedError } from './history.js';

/** The execution actor's typed messages: from the workflow run, the pool, its timers, and callers. */
export type ExecutionEvent =
  /** The supervisor gave it a running slot. */
  | { type: 'start' }
  /** The workflow called an activity stub; `resolve`/`reject` settle the future it holds. */
  | {
      type: 'activity.call';
      step: number;
      activity: string;
      args: unknown[];
      options: ActivityOptions;
      resolve: (value: unknown) => void;
      reject: (error: unknown) => void;
    }
  | { type: 'activity.settled'; step: number; taskId: number; outcome: AttemptOutcome; endedAt: number }
  | { type: 'activity.heartbeat'; step: number; taskId: number }
  | { type: 'activity.timedOut'; step: number; taskId: number; kind: ActivityTimeoutKind }
  | { type: 'activity.retryDue'; step: number }
  | { type: 'activity.deadline'; step: number }
  | { type: 'workflow.succeeded'; result: string }
  | { type: 'workflow.failed'; error: RecordedError }
  | { type: 'cancel'; reason: string }
  | { type: 'timeout' };
