import type { Logger } from 'pino';
import type { TimerHandle } from '../../src/clock.js';
import { CancelledError, ExecutionTimeoutError, NonDeterminismError, type SerializedError } from '../../src/errors.js';
import { putEnded } from '../../src/retention.js';
import { decodeValue } from '../../src/store/codec.js';
import type { Workflow } from '../../src/workflow.js';
import { ActivitySteps } from './activity-steps.js';
import { EffectSteps } from './effect-steps.js';
import type { ExecutionEnv } from './env.js';
import type { ExecutionEvent } from './events.js';
import {
  putExecution,
  putHistory,
  type ExecutionRecord,
  type FinalStatus,
  type HistoryEvent,
  type RecordedError,
  type SignalRecord,
  type WaitingStatus,
} from './history.js';
import { runWorkflow } from './run.js';
import type { StepHost } from './step-host.js';

/**
 * The work behind one execution actor: its record, its history, the workflow run, and the
 * steps it takes (activities now; locks, signals, timers and children slot in beside them as
 * further kinds of step sharing the same {@link StepHost}). Only the actor calls it, one
 * event at a time.
 */
export class ExecutionEngine {
  record: ExecutionRecord;
  readonly activities: ActivitySteps;
  /** Recorded values, timers, settings and locks. */
  readonly effects: EffectSteps;
  readonly #env: ExecutionEnv;
  readonly #definition: Workflow;
  readonly #send: (event: ExecutionEvent) => void;
  #seq = 0;
  #timeoutTimer: TimerHandle | undefined;
  #final = false;
  /** Callbacks waiting for a batch to commit: until they run, the workflow has something to hear. */
  #awaitingCommit = 0;
  #shownWaiting: 'RUNNING' | WaitingStatus = 'RUNNING';

  constructor(
    env: ExecutionEnv,
    definition: Workflow,
    record: ExecutionRecord,
    history: ReadonlyArray<{ seq: number; event: HistoryEvent }>,
    inbox: readonly SignalRecord[],
    send: (event: ExecutionEvent) => void,
  ) {
    this.#env = env;
    this.#definition = definition;
    this.record = record;
    this.#send = send;
    const host: StepHost = {
      env,
      executionId: record.id,
      defaultTaskList: definition.taskList,
      send,
      append: (event) => this.#env.journal.write([putHistory(this.record.id, ++this.#seq, event)]),
      afterCommit: (seq, fn) => this.#afterCommit(seq, fn),
      isFinal: () => this.#final,
    };
    this.activities = new ActivitySteps(host);
    this.effects = new EffectSteps(host);
    for (const { seq, event } of history) {
      this.#seq = Math.max(this.#seq, seq);
      this.activities.load(event);
      this.effects.load(event);
    }
    this.effects.loadInbox(inbox);
  }

  /** RUNNING: record the start (first time only), arm the execution timeout, run the workflow. */
  begin(): void {
    const now = this.#env.clock.now();
    if (this.record.status !== 'RUNNING') {
      this.record = { ...this.record, status: 'RUNNING', startedAt: this.record.startedAt ?? now };
      this.#env.journal.write([putExecution(this.record)]);
      this.#env.onStatus(this.record);
    }
    const { timeoutMs } = this.#definition;
    if (timeoutMs !== undefined) {
      const left = (this.record.startedAt ?? now) + timeoutMs - now;
      this.#timeoutTimer = this.#env.clock.setTimeout(() => this.#send({ type: 'timeout' }), Math.max(0, left));
    }
    const input = decodeValue<{ args: unknown[]; kwargs?: Record<string, unknown> }>(this.record.input);
    const replayUntil = Math.max(this.activities.lastRecordedStep(), this.effects.lastRecordedStep());
    const log = (): Logger =>
      this.#env.executionLogger.child({ executionId: this.record.id, workflow: this.#definition.name });
    runWorkflow(this.#definition, this.record.id, input, this.#send, log, replayUntil, this.#env.services);
  }

  /**
   * The workflow returned: fine, unless replay stopped short of steps the history holds
   * (the code changed), which is NON_DETERMINISM like any other divergence.
   */
  succeeded(result: string): { result?: string; error?: RecordedError } {
    const a = this.activities.unreplayed();
    const b = this.effects.unreplayed();
    const unreplayed = a && b ? (a.step > b.step ? a : b) : (a ?? b);
    if (!unreplayed) return { result };
    const error = new NonDeterminismError(
      this.record.id,
      unreplayed.step,
      unreplayed.recorded,
      'the workflow to return',
    );
    return { error: error.toJSON() };
  }

  /** Writes the final status; the actor enters the matching final state. */
  finish(status: FinalStatus, outcome: { result?: string; error?: RecordedError }): void {
    if (this.#final) return;
    this.#final = true;
    if (this.#timeoutTimer !== undefined) this.#env.clock.clearTimeout(this.#timeoutTimer);
    const reason = status === 'SUCCESS' ? 'the workflow returned' : `the execution ended ${status}`;
    this.activities.abandon(reason);
    // Children still running end with their parent.
    for (const child of this.effects.runningChildren())
      this.#env.cancelChild(child, `its parent ${this.record.id}: ${reason}`);
    this.effects.abandon();
    this.record = {
      ...this.record,
      status,
      endedAt: this.#env.clock.now(),
      ...(outcome.result !== undefined && { result: outcome.result }),
      ...(outcome.error !== undefined && { error: outcome.error }),
    };
    const record = this.record;
    // Indexed by when it ended in the same batch, so retention finds it without a scan.
    const seq = this.#env.journal.write([putExecution(record), putEnded(record)]);
    // In the same tick, so in the same batch: every lock it holds or waits for is let go.
    if (this.effects.usedLocks)
      this.#env.registry.send({ type: 'lock.releaseAll', holder: record.id, reply: () => undefined });
    this.#env.onStatus(record);
    this.#env.journal.committed(seq).then(
      () => this.#env.onFinal(record),
      (err: unknown) => this.#env.logger.error({ err, executionId: record.id }, 'final status not committed'),
    );
  }

  cancelledError(reason: string): SerializedError {
    return new CancelledError(this.record.id, reason).toJSON();
  }

  timeoutError(): SerializedError {
    return new ExecutionTimeoutError(this.record.id, this.#definition.timeoutMs ?? 0).toJSON();
  }

  /** Stops every timer without writing anything (the runtime is closing; the execution resumes on reopen). */
  stop(): void {
    this.#final = true;
    if (this.#timeoutTimer !== undefined) this.#env.clock.clearTimeout(this.#timeoutTimer);
    this.activities.stop();
    this.effects.stop();
  }

  /** What the execution waits on, when it is RUNNING: only lock requests, only timers, or anything else. */
  waitingStatus(): 'RUNNING' | WaitingStatus {
    if (this.#final || this.activities.pending > 0) return 'RUNNING';
    if (this.effects.waitingLocks > 0) return 'WAITING_LOCK';
    if (this.effects.waitingSignals > 0) return 'WAITING_SIGNAL';
    if (this.effects.waitingChildren > 0) return 'WAITING_CHILD';
    if (this.effects.sleeping > 0) return 'SLEEPING';
    return 'RUNNING';
  }

  /**
   * Whether the execution can be dropped from memory and rebuilt by replay when a signal
   * comes: `now` when it waits only on signals with no deadline and the workflow has heard
   * everything recorded; `never` while a deadline or the execution timeout must be kept;
   * `later` while anything else is in flight.
   */
  dormancy(): 'now' | 'later' | 'never' {
    if (this.#final || this.#timeoutTimer !== undefined) return 'never';
    const signals = this.effects.signalsOnly();
    if (signals !== 'now') return signals;
    return this.#awaitingCommit === 0 && this.activities.pending === 0 ? 'now' : 'later';
  }

  /** Tells the machine when what the workflow waits on changed kind; cheap when it did not. */
  refreshWaiting(): void {
    const status = this.waitingStatus();
    if (status === this.#shownWaiting) return;
    this.#shownWaiting = status;
    this.#send({ type: 'waiting.changed', status });
  }

  /** Records a change between RUNNING and a waiting status (the machine's substates call it). */
  setStatus(status: 'RUNNING' | WaitingStatus): void {
    if (this.#final || this.record.status === status) return;
    this.record = { ...this.record, status };
    this.#env.journal.write([putExecution(this.record)]);
    this.#env.onStatus(this.record);
  }

  #afterCommit(seq: number, fn: () => void): void {
    this.#awaitingCommit++;
    this.#env.journal.committed(seq).then(
      () => {
        this.#awaitingCommit--;
        fn();
      },
      (err: unknown) =>
        this.#env.logger.error(
          { err, executionId: this.record.id },
          'history write failed; the execution stalls until restart',
        ),
    );
  }
}
