import type { ServiceOp } from './env.js';
import type { ActivityOptions } from '../../src/workflow.js';
import type { AttemptOutcome } from '../../src/pool/activity-pool.js';
import type { ActivityTimeoutKind } from '../../src/errors.js';
import type { Outcome } from '../registry/messages.js';
import type { ExecutionRecord, RecordedError, SignalRecord, WaitingStatus } from './history.js';

/** A step other than an activity, as the workflow asks for it. */
export type Effect =
  | { kind: 'now' }
  | { kind: 'random' }
  | { kind: 'uuid' }
  | { kind: 'sleep'; ms: number }
  | { kind: 'setting.get'; name: string }
  | { kind: 'setting.save'; name: string; value: string; expectedVersion?: number }
  | { kind: 'lock.acquire'; name: string; timeoutMs: number; reentrant: boolean }
  | { kind: 'lock.release'; name: string; token: number }
  | { kind: 'signal.wait'; name: string; timeoutMs: number }
  | { kind: 'signal.send'; name: string; target: string; payload: string }
  /** A service call; `name` is `<op> <target>`, which replay compares. */
  | { kind: 'call'; name: string; op: ServiceOp; target: string; args: unknown[] }
  /** Start (or find again) the child `<parent id>:<step>` and wait for its end. */
  | { kind: 'child'; workflow: string; input: { args: unknown[]; kwargs?: Record<string, unknown> } };

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
  | {
      type: 'effect.call';
      step: number;
      effect: Effect;
      resolve: (value: unknown) => void;
      reject: (error: unknown) => void;
    }
  /** The registry answered a step's request. */
  | { type: 'effect.answered'; step: number; outcome: Outcome<unknown> }
  | { type: 'effect.timerDue'; step: number }
  /** The registry queued a lock request of this execution: it is WAITING_LOCK from now. */
  | { type: 'effect.lockQueued'; step: number }
  /** A signal reached this execution's inbox (it is committed, or in the batch being written). */
  | { type: 'signal.arrived'; signal: SignalRecord }
  /** A child execution ended (its final status is committed). */
  | { type: 'child.ended'; step: number; child: ExecutionRecord }
  /** What the workflow waits on changed kind (the engine tells after the event that did it). */
  | { type: 'waiting.changed'; status: 'RUNNING' | WaitingStatus }
  | { type: 'workflow.succeeded'; result: string }
  | { type: 'workflow.failed'; error: RecordedError }
  | { type: 'cancel'; reason: string }
  | { type: 'timeout' };
