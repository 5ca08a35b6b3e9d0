import { createActor, setup, type ActorRefFrom } from 'xstate';
import type { Workflow } from '../src/workflow.js';
import { ExecutionEngine } from './execution/engine.js';
import type { ExecutionEnv } from './execution/env.js';
import type { ExecutionEvent } from './execution/events.js';
import type { ExecutionRecord, HistoryEvent, SignalRecord } from './execution/history.js';
import { recordError } from './execution/run.js';

export type { ExecutionEvent } from './execution/events.js';

interface ExecutionContext {
  engine: ExecutionEngine;
}

/**
 * One execution: its status is this machine's state, and nothing else writes it.
 * `PENDING` waits for a running slot; `RUNNING` drives the workflow function, whose every
 * context call arrives here as an event, and shows `WAITING_LOCK` or `SLEEPING` (its
 * substates) while the workflow waits only on lock requests or only on timers; the four
 * final states each write the outcome once.
 */
export const executionMachine = setup({
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- XState's typing idiom
  types: {} as { context: ExecutionContext; events: ExecutionEvent; input: ExecutionContext },
  actions: {
    refreshWaiting: ({ context }) => context.engine.refreshWaiting(),
  },
}).createMachine({
  id: 'execution',
  context: ({ input }) => input,
  initial: 'PENDING',
  states: {
    PENDING: {
      on: {
        start: 'RUNNING',
        // A signal to an execution still waiting for a slot joins its inbox now.
        'signal.arrived': {
          actions: [({ context, event }) => context.engine.effects.signalArrived(event), 'refreshWaiting'],
        },
        cancel: {
          target: 'CANCELLED',
          actions: ({ context: { engine }, event }) =>
            engine.finish('CANCELLED', { error: engine.cancelledError(event.reason) }),
        },
      },
    },
    RUNNING: {
      entry: ({ context }) => context.engine.begin(),
      // The waiting statuses follow from what the workflow waits on: the engine says when that
      // changes, after the event that changed it.
      initial: 'active',
      states: {
        active: { entry: ({ context }) => context.engine.setStatus('RUNNING') },
        WAITING_LOCK: { entry: ({ context }) => context.engine.setStatus('WAITING_LOCK') },
        WAITING_SIGNAL: { entry: ({ context }) => context.engine.setStatus('WAITING_SIGNAL') },
        WAITING_CHILD: { entry: ({ context }) => context.engine.setStatus('WAITING_CHILD') },
        SLEEPING: { entry: ({ context }) => context.engine.setStatus('SLEEPING') },
      },
      on: {
        'effect.call': { actions: [({ context, event }) => context.engine.effects.call(event), 'refreshWaiting'] },
        'effect.answered': {
          actions: [({ context, event }) => context.engine.effects.answered(event), 'refreshWaiting'],
        },
        'effect.timerDue': {
          actions: [({ context, event }) => context.engine.effects.timerDue(event), 'refreshWaiting'],
        },
        'effect.lockQueued': {
          actions: [({ context, event }) => context.engine.effects.lockQueued(event), 'refreshWaiting'],
        },
        'signal.arrived': { actions: ({ context, event }) => context.engine.effects.signalArrived(event) },
        'child.ended': {
          actions: [({ context, event }) => context.engine.effects.childEnded(event), 'refreshWaiting'],
        },
        'activity.call': { actions: [({ context, event }) => context.engine.activities.call(event), 'refreshWaiting'] },
        'activity.settled': {
          actions: [({ context, event }) => context.engine.activities.settled(event), 'refreshWaiting'],
        },
        'activity.heartbeat': {
          actions: [({ context, event }) => context.engine.activities.heartbeat(event), 'refreshWaiting'],
        },
        'activity.timedOut': {
          actions: [({ context, event }) => context.engine.activities.timedOut(event), 'refreshWaiting'],
        },
        'activity.retryDue': {
          actions: [({ context, event }) => context.engine.activities.retryDue(event), 'refreshWaiting'],
        },
        'activity.deadline': {
          actions: [({ context, event }) => context.engine.activities.deadline(event), 'refreshWaiting'],
        },
        'workflow.succeeded': [
          {
            guard: ({ context, event }) => context.engine.succeeded(event.result).error !== undefined,
            target: 'FAILED',
            actions: ({ context, event }) => context.engine.finish('FAILED', context.engine.succeeded(event.result)),
          },
          {
            target: 'SUCCESS',
            actions: ({ context, event }) => context.engine.finish('SUCCESS', { result: event.result }),
          },
        ],
        'waiting.changed': [
          { guard: ({ event }) => event.status === 'WAITING_LOCK', target: '.WAITING_LOCK' },
          { guard: ({ event }) => event.status === 'WAITING_SIGNAL', target: '.WAITING_SIGNAL' },
          { guard: ({ event }) => event.status === 'WAITING_CHILD', target: '.WAITING_CHILD' },
          { guard: ({ event }) => event.status === 'SLEEPING', target: '.SLEEPING' },
          { target: '.active' },
        ],
        'workflow.failed': {
          target: 'FAILED',
          actions: ({ context, event }) => context.engine.finish('FAILED', { error: event.error }),
        },
        cancel: {
          target: 'CANCELLED',
          actions: ({ context: { engine }, event }) =>
            engine.finish('CANCELLED', { error: engine.cancelledError(event.reason) }),
        },
        timeout: {
          target: 'TIMED_OUT',
          actions: ({ context: { engine } }) => engine.finish('TIMED_OUT', { error: engine.timeoutError() }),
        },
      },
    },
    SUCCESS: { type: 'final' },
    FAILED: { type: 'final' },
    CANCELLED: { type: 'final' },
    TIMED_OUT: { type: 'final' },
  },
});

export type ExecutionActor = ActorRefFrom<typeof executionMachine>;

/** Creates (does not start) the actor of one execution, with its recorded history for replay. */
export function createExecutionActor(
  env: ExecutionEnv,
  definition: Workflow,
  record: ExecutionRecord,
  history: ReadonlyArray<{ seq: number; event: HistoryEvent }>,
  inbox: readonly SignalRecord[] = [],
): { actor: ExecutionActor; engine: ExecutionEngine } {
  const mailbox: { actor?: ExecutionActor } = {};
  // Late answers (an activity finishing after its execution ended) are dropped here, not
  // sent to a stopped actor.
  const send = (event: ExecutionEvent): void => {
    const actor = mailbox.actor;
    if (actor && actor.getSnapshot().status === 'active') actor.send(event);
  };
  const engine = new ExecutionEngine(env, definition, record, history, inbox, send);
  const actor = createActor(executionMachine, { input: { engine }, id: record.id });
  mailbox.actor = actor;
  // A bug that throws inside the actor must not leave the execution hanging for ever: it
  // ends FAILED with that error, and the supervisor hears of it as of any other end.
  actor.subscribe({
    error: (err) => {
      env.logger.error({ err, executionId: record.id }, 'execution actor failed');
      engine.finish('FAILED', { error: recordError(err) });
    },
  });
  return { actor, engine };
}
