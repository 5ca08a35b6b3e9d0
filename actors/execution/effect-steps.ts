import { randomUUID } from 'node:crypto';
import type { TimerHandle } from '../../src/clock.js';
import {
  errorFromJSON,
  NonDeterminismError,
  SignalTimeoutError,
  WorkflowError,
  type WeftError,
} from '../../src/errors.js';
import { decodeValue, encodeValue } from '../../src/store/codec.js';
import { toGrant } from '../../src/locks.js';
import { toSetting } from '../../src/settings.js';
import type { LockGrantRecord, Outcome, SettingRecord } from '../registry/messages.js';
import type { Effect, ExecutionEvent } from './events.js';
import type { EffectKind, HistoryEvent, RecordedError, SignalRecord } from './history.js';
import { recordError } from './run.js';
import { lastStep, type StepHost } from './step-host.js';

type Ev<T extends ExecutionEvent['type']> = Extract<ExecutionEvent, { type: T }>;

interface LiveEffect {
  step: number;
  effect: Effect;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  done: boolean;
  timer?: TimerHandle;
  /** A signal wait whose 'signal.waiting' is recorded: it takes the next signal of its name. */
  waiting?: boolean;
  /** A child step's child execution, once started. */
  childId?: string;
  /** A lock request the registry has queued: the execution is waiting for it. */
  queued?: boolean;
  /** A release sent again after a restart (the first may have been applied). */
  resent?: boolean;
}

const EFFECT_EVENTS = new Set<HistoryEvent['type']>([
  'value.recorded',
  'timer.started',
  'timer.fired',
  'setting.read',
  'setting.saved',
  'lock.requested',
  'lock.granted',
  'lock.releasing',
  'lock.released',
  'signal.waiting',
  'signal.received',
  'signal.sent',
  'child.started',
  'child.ended',
  'call.requested',
  'call.completed',
  'step.failed',
]);

/** setTimeout's ceiling; a longer sleep re-arms when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Steps other than activities: recorded values (`now`, `random`, `uuid`), durable timers,
 * settings and locks. Settings and locks are asked of the registry actor by message, the
 * lock holder being the execution; a lock wait re-attaches after a restart because its
 * request id is `<executionId>:<step>`. Every outcome is recorded before the workflow sees it.
 */
export class EffectSteps {
  readonly #host: StepHost;
  readonly #past = new Map<number, HistoryEvent[]>();
  readonly #live = new Map<number, LiveEffect>();
  #lastCalledStep = 0;
  #waitingLocks = 0;
  #sleeping = 0;
  #waitingSignals = 0;
  #waitingChildren = 0;
  /** Signals received and not yet consumed by a wait, in arrival order. */
  #inbox: SignalRecord[] = [];
  /** Whether the execution has ever asked for a lock: only then has it locks to let go when it ends. */
  usedLocks = false;
  /** The highest signal seq taken in so far: a signal read from the store is not delivered again. */
  #signalsUpTo = 0;

  constructor(host: StepHost) {
    this.#host = host;
  }

  /** Takes in the execution's inbox (after its history): signals not consumed yet wait for a waitSignal. */
  loadInbox(signals: readonly SignalRecord[]): void {
    const consumed = new Set<number>();
    for (const events of this.#past.values())
      for (const e of events) if (e.type === 'signal.received') consumed.add(e.seq);
    this.#inbox = signals.filter((s) => !consumed.has(s.seq)).sort((a, b) => a.seq - b.seq);
    for (const s of signals) if (s.seq > this.#signalsUpTo) this.#signalsUpTo = s.seq;
  }

  load(event: HistoryEvent): void {
    if (!EFFECT_EVENTS.has(event.type)) return;
    if (event.type.startsWith('lock.')) this.usedLocks = true;
    const events = this.#past.get(event.step);
    if (events) events.push(event);
    else this.#past.set(event.step, [event]);
  }

  /** Lock requests the workflow waits on now. */
  get waitingLocks(): number {
    return this.#waitingLocks;
  }

  /** Timers the workflow waits on now. */
  get sleeping(): number {
    return this.#sleeping;
  }

  /** Children the workflow waits on now. */
  get waitingChildren(): number {
    return this.#waitingChildren;
  }

  /** Children still running, to cancel when this execution ends. */
  runningChildren(): string[] {
    const ids: string[] = [];
    for (const live of this.#live.values()) if (!live.done && live.childId !== undefined) ids.push(live.childId);
    return ids;
  }

  /** A child ended: its outcome is this step's, recorded first. */
  childEnded(e: Ev<'child.ended'>): void {
    const live = this.#live.get(e.step);
    if (!live || live.done) return;
    this.#waitingChildren--;
    const c = e.child;
    const status = c.status as Extract<HistoryEvent, { type: 'child.ended' }>['status'];
    const event: HistoryEvent = {
      type: 'child.ended',
      step: e.step,
      childId: c.id,
      status,
      at: this.#host.env.clock.now(),
      ...(c.result !== undefined && { result: c.result }),
      ...(c.error !== undefined && { error: c.error }),
    };
    const seq = this.#host.append(event);
    this.#settle(live);
    this.#host.afterCommit(seq, () => settleChild(live, event));
  }

  /** Signal waits the workflow waits on now. */
  get waitingSignals(): number {
    return this.#waitingSignals;
  }

  /** A signal arrived: it goes to the oldest wait for its name, or to the inbox in arrival order. */
  signalArrived(e: Ev<'signal.arrived'>): void {
    // An execution woken by this signal may have read it from its stored inbox already.
    if (e.signal.seq <= this.#signalsUpTo) return;
    this.#signalsUpTo = e.signal.seq;
    this.#inbox.push(e.signal);
    const waiters = [...this.#live.values()]
      .filter((l) => !l.done && l.effect.kind === 'signal.wait' && l.effect.name === e.signal.name && l.waiting)
      .sort((a, b) => a.step - b.step);
    for (const live of waiters) if (!this.#deliver(live)) break;
  }

  /**
   * Whether nothing but a signal can move the workflow on: `now` when every step it asked for
   * is settled but signal waits with no deadline; `never` while a wait has a deadline (its
   * timer must run); `later` while another step is still in flight.
   */
  signalsOnly(): 'now' | 'later' | 'never' {
    if (this.#waitingSignals === 0) return 'never';
    let busy = false;
    for (const live of this.#live.values()) {
      if (live.done) continue;
      if (live.effect.kind !== 'signal.wait' || !live.waiting) busy = true;
      else if (live.timer !== undefined) return 'never';
    }
    return busy ? 'later' : 'now';
  }

  /** The highest step the history holds (0 when none). */
  lastRecordedStep(): number {
    return lastStep(this.#past.keys());
  }

  /** The last recorded step the workflow has not asked for on replay, described; undefined when none. */
  unreplayed(): { step: number; recorded: string } | undefined {
    const last = this.lastRecordedStep();
    if (last <= this.#lastCalledStep) return undefined;
    return { step: last, recorded: describeEvent((this.#past.get(last) as HistoryEvent[])[0] as HistoryEvent) };
  }

  call(e: Ev<'effect.call'>): void {
    if (e.step > this.#lastCalledStep) this.#lastCalledStep = e.step;
    const live: LiveEffect = { step: e.step, effect: e.effect, resolve: e.resolve, reject: e.reject, done: false };
    this.#live.set(e.step, live);
    const past = this.#past.get(e.step);
    if (past) return this.#replay(live, past);
    const host = this.#host;
    const now = host.env.clock.now();
    const effect = e.effect;
    switch (effect.kind) {
      case 'now':
      case 'random':
      case 'uuid': {
        const value = effect.kind === 'now' ? new Date(now) : effect.kind === 'random' ? Math.random() : randomUUID();
        const encoded = encodeValue(value);
        return this.#record(
          live,
          { type: 'value.recorded', step: e.step, kind: effect.kind, value: encoded, at: now },
          () => decodeValue(encoded),
        );
      }
      case 'sleep': {
        const fireAt = now + effect.ms;
        this.#sleeping++;
        const seq = host.append({ type: 'timer.started', step: e.step, fireAt, at: now });
        return host.afterCommit(seq, () => this.#armTimer(live, fireAt));
      }
      case 'setting.get':
        return this.#ask(live, (reply) =>
          host.env.registry.send({ type: 'setting.get', key: effect.name, by: 'name', reply }),
        );
      case 'setting.save':
        return this.#ask(live, (reply) =>
          host.env.registry.send({
            type: 'setting.save',
            name: effect.name,
            value: effect.value,
            updatedBy: host.executionId,
            reply,
            ...(effect.expectedVersion !== undefined && { expectedVersion: effect.expectedVersion }),
          }),
        );
      case 'lock.acquire': {
        this.usedLocks = true;
        // Write-ahead: replay knows a request is out, and re-attaches to it.
        const seq = host.append({ type: 'lock.requested', step: e.step, name: effect.name, at: now });
        return host.afterCommit(seq, () => this.#requestLock(live));
      }
      case 'lock.release': {
        // Write-ahead: a release the registry applied but the history never heard of is sent
        // again after a restart, and its request id makes that harmless.
        const seq = host.append({
          type: 'lock.releasing',
          step: e.step,
          name: effect.name,
          token: effect.token,
          at: now,
        });
        return host.afterCommit(seq, () => this.#release(live));
      }
      case 'signal.wait': {
        const deadline = Number.isFinite(effect.timeoutMs) ? now + effect.timeoutMs : null;
        host.append({ type: 'signal.waiting', step: e.step, name: effect.name, deadline, at: now });
        return this.#wait(live, deadline);
      }
      case 'child': {
        const childId = `${host.executionId}:${e.step}`;
        const seq = host.append({ type: 'child.started', step: e.step, workflow: effect.workflow, childId, at: now });
        this.#waitingChildren++;
        return host.afterCommit(seq, () => this.#runChild(live, childId));
      }
      case 'call': {
        // Write-ahead: after a crash the call is made again with the same request id, which the service dedupes.
        const seq = host.append({ type: 'call.requested', step: e.step, name: effect.name, at: now });
        return host.afterCommit(seq, () => this.#callService(live));
      }
      case 'signal.send':
        return void host.env.sendSignal(effect.target, effect.name, effect.payload, host.executionId).then(
          () => host.send({ type: 'effect.answered', step: e.step, outcome: { ok: true, value: undefined } }),
          (error: WeftError) => host.send({ type: 'effect.answered', step: e.step, outcome: { ok: false, error } }),
        );
    }
  }

  /** The registry answered: record the outcome, then let the workflow see it. */
  answered(e: Ev<'effect.answered'>): void {
    const live = this.#live.get(e.step);
    if (!live || live.done) return;
    const host = this.#host;
    const at = host.env.clock.now();
    const { effect } = live;
    if (effect.kind === 'lock.acquire' && live.queued) {
      live.queued = false;
      this.#waitingLocks--;
    }
    // Sent again after a restart and the hold is gone: the first release did it (only this
    // execution releases its own locks).
    const alreadyReleased = !e.outcome.ok && live.resent && e.outcome.error.code === 'NOT_LOCK_HOLDER';
    if (!e.outcome.ok && !alreadyReleased) return this.#fail(live, e.outcome.error, at);
    const value = e.outcome.ok ? e.outcome.value : undefined;
    switch (effect.kind) {
      case 'setting.get': {
        const setting = value as SettingRecord | undefined;
        const event: HistoryEvent = {
          type: 'setting.read',
          step: e.step,
          name: effect.name,
          at,
          ...(setting && { setting }),
        };
        return this.#record(live, event, () => setting && toSetting(setting));
      }
      case 'setting.save': {
        const setting = value as SettingRecord;
        return this.#record(live, { type: 'setting.saved', step: e.step, name: effect.name, setting, at }, () =>
          toSetting(setting),
        );
      }
      case 'lock.acquire': {
        const grant = value as LockGrantRecord;
        return this.#record(live, { type: 'lock.granted', step: e.step, name: effect.name, grant, at }, () =>
          toGrant(grant),
        );
      }
      case 'lock.release':
        return this.#record(
          live,
          { type: 'lock.released', step: e.step, name: effect.name, token: effect.token, at },
          () => undefined,
        );
      case 'signal.send':
        return this.#record(
          live,
          { type: 'signal.sent', step: e.step, name: effect.name, target: effect.target, at },
          () => undefined,
        );
      case 'call': {
        let result: string;
        try {
          result = encodeValue(value);
        } catch (err) {
          return this.#fail(live, err as WeftError, at);
        }
        return this.#record(live, { type: 'call.completed', step: e.step, name: effect.name, result, at }, () =>
          decodeValue(result),
        );
      }
      default:
        return;
    }
  }

  lockQueued(e: Ev<'effect.lockQueued'>): void {
    const live = this.#live.get(e.step);
    if (!live || live.done || live.queued) return;
    live.queued = true;
    this.#waitingLocks++;
  }

  timerDue(e: Ev<'effect.timerDue'>): void {
    const live = this.#live.get(e.step);
    if (!live || live.done) return;
    const at = this.#host.env.clock.now();
    if (live.effect.kind === 'sleep') {
      this.#sleeping--;
      return this.#record(live, { type: 'timer.fired', step: e.step, at }, () => undefined);
    }
    if (live.effect.kind === 'signal.wait') {
      this.#waitingSignals--;
      live.waiting = false;
      this.#fail(live, new SignalTimeoutError(this.#host.executionId, live.effect.name, live.effect.timeoutMs), at);
    }
  }

  /** The execution ended: timers stop, waits end (the registry withdraws its lock requests). */
  abandon(): void {
    for (const live of this.#live.values()) this.#settle(live);
    this.#waitingLocks = 0;
    this.#sleeping = 0;
    this.#waitingSignals = 0;
    this.#waitingChildren = 0;
  }

  stop(): void {
    this.abandon();
  }

  #replay(live: LiveEffect, past: HistoryEvent[]): void {
    const first = past[0] as HistoryEvent;
    const asked = describeEffect(live.effect);
    if (describeEvent(first) !== asked) {
      const error = new NonDeterminismError(this.#host.executionId, live.step, describeEvent(first), asked);
      return this.#host.send({ type: 'workflow.failed', error: error.toJSON() });
    }
    const last = past[past.length - 1] as HistoryEvent;
    switch (last.type) {
      case 'step.failed':
        return this.#settleWith(live, () => live.reject(rebuild(last.error)));
      case 'value.recorded':
        return this.#settleWith(live, () => live.resolve(decodeValue(last.value)));
      case 'timer.fired':
      case 'lock.released':
        return this.#settleWith(live, () => live.resolve(undefined));
      case 'timer.started':
        this.#sleeping++;
        return this.#armTimer(live, last.fireAt);
      case 'setting.read':
        return this.#settleWith(live, () => live.resolve(last.setting && toSetting(last.setting)));
      case 'setting.saved':
        return this.#settleWith(live, () => live.resolve(toSetting(last.setting)));
      case 'lock.granted':
        return this.#settleWith(live, () => live.resolve(toGrant(last.grant)));
      case 'lock.requested':
        return this.#requestLock(live); // the same request id: it re-attaches to its place
      case 'lock.releasing':
        live.resent = true;
        return this.#release(live);
      case 'signal.received':
        return this.#settleWith(live, () => live.resolve(decodeValue(last.payload)));
      case 'signal.waiting':
        return this.#wait(live, last.deadline);
      case 'signal.sent':
        return this.#settleWith(live, () => live.resolve(undefined));
      case 'child.ended':
        return this.#settleWith(live, () => settleChild(live, last));
      case 'child.started':
        this.#waitingChildren++;
        return this.#runChild(live, last.childId); // starting it again finds the same child
      case 'call.completed':
        return this.#settleWith(live, () => live.resolve(decodeValue(last.result)));
      case 'call.requested':
        return this.#callService(live); // the same request id: the service answers the first outcome
      default:
        return;
    }
  }

  /** A recorded signal wait: takes a signal already in the inbox, or waits (until `deadline`). */
  #wait(live: LiveEffect, deadline: number | null): void {
    live.waiting = true;
    this.#waitingSignals++;
    if (this.#deliver(live)) return;
    if (deadline !== null) this.#armTimer(live, deadline);
  }

  /** Gives the oldest inbox signal of the wait's name to the wait; false when there is none. */
  #deliver(live: LiveEffect): boolean {
    if (live.effect.kind !== 'signal.wait' || this.#host.isFinal()) return false;
    const name = live.effect.name;
    const i = this.#inbox.findIndex((s) => s.name === name);
    if (i < 0) return false;
    const signal = this.#inbox.splice(i, 1)[0] as SignalRecord;
    this.#waitingSignals--;
    live.waiting = false;
    const at = this.#host.env.clock.now();
    const event: HistoryEvent = {
      type: 'signal.received',
      step: live.step,
      name,
      seq: signal.seq,
      payload: signal.payload,
      at,
    };
    this.#record(live, event, () => decodeValue(signal.payload));
    return true;
  }

  #runChild(live: LiveEffect, childId: string): void {
    if (live.effect.kind !== 'child' || this.#host.isFinal()) return;
    live.childId = childId;
    const host = this.#host;
    host.env.runChild(live.effect.workflow, live.effect.input, childId, host.executionId).then(
      (child) => host.send({ type: 'child.ended', step: live.step, child }),
      (error: WeftError) => {
        this.#waitingChildren--;
        this.#fail(live, error, host.env.clock.now());
      },
    );
  }

  #callService(live: LiveEffect): void {
    if (live.effect.kind !== 'call' || this.#host.isFinal()) return;
    const host = this.#host;
    const { op, target, args } = live.effect;
    host.env.services.call(op, target, args, `${host.executionId}:${live.step}`).then(
      (value) => host.send({ type: 'effect.answered', step: live.step, outcome: { ok: true, value } }),
      (error: WeftError) => host.send({ type: 'effect.answered', step: live.step, outcome: { ok: false, error } }),
    );
  }

  #release(live: LiveEffect): void {
    if (live.effect.kind !== 'lock.release' || this.#host.isFinal()) return;
    const host = this.#host;
    host.env.registry.send({
      type: 'lock.release',
      name: live.effect.name,
      token: live.effect.token,
      requestId: `${host.executionId}:${live.step}`,
      reply: (outcome) => host.send({ type: 'effect.answered', step: live.step, outcome }),
    });
  }

  #requestLock(live: LiveEffect): void {
    if (live.effect.kind !== 'lock.acquire' || this.#host.isFinal()) return;
    const { name, timeoutMs, reentrant } = live.effect;
    const host = this.#host;
    const requestId = `${host.executionId}:${live.step}`;
    host.env.registry.send({
      type: 'lock.acquire',
      name,
      holder: host.executionId,
      requestId,
      timeoutMs,
      reentrant,
      reply: (outcome) => host.send({ type: 'effect.answered', step: live.step, outcome }),
      onQueued: () => host.send({ type: 'effect.lockQueued', step: live.step }),
    });
  }

  #ask(live: LiveEffect, send: (reply: (outcome: Outcome<unknown>) => void) => void): void {
    send((outcome) => this.#host.send({ type: 'effect.answered', step: live.step, outcome }));
  }

  #armTimer(live: LiveEffect, fireAt: number): void {
    if (live.done || this.#host.isFinal()) return;
    const { clock } = this.#host.env;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, fireAt - clock.now()));
    live.timer = clock.setTimeout(() => {
      live.timer = undefined;
      if (clock.now() < fireAt) return this.#armTimer(live, fireAt); // a long sleep, re-armed
      this.#host.send({ type: 'effect.timerDue', step: live.step });
    }, ms);
  }

  /** Appends the outcome; once it is committed the workflow sees `value()`. */
  #record(live: LiveEffect, event: HistoryEvent, value: () => unknown): void {
    const seq = this.#host.append(event);
    this.#settle(live);
    this.#host.afterCommit(seq, () => live.resolve(value()));
  }

  #fail(live: LiveEffect, error: WeftError, at: number): void {
    const effect = live.effect;
    const recorded = recordError(error);
    const event: HistoryEvent = {
      type: 'step.failed',
      step: live.step,
      kind: effect.kind,
      error: recorded,
      at,
      ...('name' in effect && { name: effect.name }),
    };
    const seq = this.#host.append(event);
    this.#settle(live);
    this.#host.afterCommit(seq, () => live.reject(error));
  }

  #settleWith(live: LiveEffect, fn: () => void): void {
    this.#settle(live);
    fn();
  }

  #settle(live: LiveEffect): void {
    live.done = true;
    if (live.timer !== undefined) this.#host.env.clock.clearTimeout(live.timer);
    live.timer = undefined;
  }
}

/** How a step reads in a NON_DETERMINISM message, from the history's side and the code's. */
function describeEvent(event: HistoryEvent): string {
  switch (event.type) {
    case 'value.recorded':
      return event.kind;
    case 'timer.started':
    case 'timer.fired':
      return 'sleep';
    case 'setting.read':
      return `setting.get ${event.name}`;
    case 'setting.saved':
      return `setting.save ${event.name}`;
    case 'lock.requested':
    case 'lock.granted':
      return `lock.acquire ${event.name}`;
    case 'lock.releasing':
    case 'lock.released':
      return `lock.release ${event.name}`;
    case 'signal.waiting':
    case 'signal.received':
      return `signal.wait ${event.name}`;
    case 'signal.sent':
      return `signal.send ${event.name}`;
    case 'child.started':
      return `child ${event.workflow}`;
    case 'child.ended':
      return 'child';
    case 'call.requested':
    case 'call.completed':
      return `call ${event.name}`;
    case 'step.failed':
      return event.name !== undefined ? `${event.kind} ${event.name}` : event.kind;
    default:
      return event.type;
  }
}

function describeEffect(effect: Effect): string {
  if (effect.kind === 'child') return `child ${effect.workflow}`;
  return 'name' in effect ? `${effect.kind satisfies EffectKind} ${effect.name}` : effect.kind;
}

/** A child's outcome is the parent's: its result, or its error to catch. */
function settleChild(live: LiveEffect, ended: Extract<HistoryEvent, { type: 'child.ended' }>): void {
  if (ended.status === 'SUCCESS') live.resolve(ended.result === undefined ? undefined : decodeValue(ended.result));
  else
    live.reject(
      ended.error
        ? rebuild(ended.error)
        : new WorkflowError({ name: 'Error', message: `child ${ended.childId} ended ${ended.status}` }),
    );
}

function rebuild(error: RecordedError): Error {
  return 'context' in error && error.context !== undefined ? errorFromJSON(error) : new WorkflowError(error);
}
