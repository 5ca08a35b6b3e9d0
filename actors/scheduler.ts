import { assign, createActor, setup, type ActorRefFrom } from 'xstate';
import { RuntimeClosedError, type WeftError } from '../src/errors.js';
import { ReplyQueue } from './registry/reply-queue.js';
import { CronRunner } from './scheduler/cron-runner.js';
import type { SchedulerHost } from './scheduler/host.js';
import { InFlight } from './scheduler/in-flight.js';
import type { SchedulerEvent, TriggerRecord } from './scheduler/messages.js';
import { QueueRunner } from './scheduler/queue-runner.js';
import { TriggerTable, type Activation, type TriggerRunner } from './scheduler/trigger-table.js';

export type { SchedulerEvent, SchedulerRequest, TriggerRecord, TriggerState } from './scheduler/messages.js';

interface SchedulerContext {
  table: TriggerTable;
  cron: CronRunner;
  queue: QueueRunner;
  replies: ReplyQueue;
  failure?: WeftError;
}

/**
 * The scheduler actor (systemId `scheduler`): the single owner of the trigger table and its
 * timers. Requests, timer fires and the outcomes of its own asynchronous work (starts,
 * claims, status writes) all arrive as messages, handled one at a time.
 *
 * `serving` → `closing` (no new fires or claims; work in flight is still written down) and
 * `serving` → `failed` when the journal fails (every request gets STORE_FAILED).
 */
export const schedulerMachine = setup({
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- XState's typing idiom
  types: {} as { context: SchedulerContext; events: SchedulerEvent; input: SchedulerContext },
  actions: {
    refuse: ({ context, event }) => {
      if ('reply' in event) context.replies.fail(event.reply, context.failure ?? new RuntimeClosedError());
    },
    stopRunners: ({ context }) => {
      context.cron.close();
      context.queue.close();
    },
  },
}).createMachine({
  id: 'scheduler',
  context: ({ input }) => input,
  initial: 'serving',
  on: {
    // Work already in flight is written down whatever the state (but `failed`: nothing can be).
    'cron.started': { actions: ({ context, event }) => context.cron.started(event) },
    'cron.ended': { actions: ({ context, event }) => context.cron.ended(event) },
    'queue.peeked': { actions: ({ context, event }) => context.queue.peeked(event) },
    'queue.claimed': { actions: ({ context, event }) => context.queue.claimed(event) },
    'queue.started': { actions: ({ context, event }) => context.queue.started(event) },
    'queue.ended': { actions: ({ context, event }) => context.queue.ended(event) },
    'queue.recorded': { actions: ({ context, event }) => context.queue.recorded(event) },
    'journal.failed': {
      target: '.failed',
      actions: [
        assign({ failure: ({ event }) => event.error }),
        ({ context, event }) => context.replies.failAll(event.error),
        'stopRunners',
      ],
    },
  },
  states: {
    serving: {
      on: {
        'scheduler.open': {
          actions: ({ context }) => {
            for (const record of context.table.all()) if (!record.paused) activate(context, record, 'open');
          },
        },
        'trigger.create': { actions: ({ context, event }) => context.table.create(event) },
        'trigger.get': { actions: ({ context, event }) => context.table.get(event) },
        'trigger.list': { actions: ({ context, event }) => context.table.list(event) },
        'trigger.pause': { actions: ({ context, event }) => context.table.pause(event) },
        'trigger.resume': { actions: ({ context, event }) => context.table.resume(event) },
        'trigger.delete': { actions: ({ context, event }) => context.table.delete(event) },
        'cron.due': { actions: ({ context, event }) => context.cron.due(event) },
        'queue.pump': { actions: ({ context, event }) => context.queue.pump(event) },
        'scheduler.close': { target: 'closing', actions: 'stopRunners' },
      },
    },
    closing: {
      on: {
        'trigger.*': { actions: 'refuse' },
      },
    },
    failed: {
      on: { '*': { actions: 'refuse' } },
    },
  },
});

function activate(context: SchedulerContext, record: TriggerRecord, reason: Activation): void {
  if (record.kind === 'cron') context.cron.activate(record, reason);
  else context.queue.activate(record);
}

export type SchedulerActor = ActorRefFrom<typeof schedulerMachine>;

/**
 * Loads the triggers, picks up what was in flight when the runtime last stopped (starts to
 * redo, executions to watch), then starts the scheduler actor and sets every live trigger
 * firing. `close()` stops new fires and claims, waits for work in flight to be written
 * down, and stops the actor.
 */
export async function startScheduler(
  host: SchedulerHost,
): Promise<{ actor: SchedulerActor; close: () => Promise<void> }> {
  const { journal } = host;
  const replies = new ReplyQueue(journal);
  const table = new TriggerTable(journal, replies, host.clock);
  const inFlight = new InFlight();
  const stop = new AbortController();
  // Messages sent before the actor exists (an execution that ends during recovery) wait for it.
  const early: SchedulerEvent[] = [];
  const mailbox: { actor?: SchedulerActor; stopped?: boolean } = {};
  const send = (event: SchedulerEvent): void => {
    if (mailbox.stopped) return;
    if (mailbox.actor) mailbox.actor.send(event);
    else early.push(event);
  };
  const cron = new CronRunner(table, host, send, inFlight, stop.signal);
  const queue = new QueueRunner(table, host, send, inFlight, stop.signal);
  const runner: TriggerRunner = {
    activate: (record, reason) => activate({ table, cron, queue, replies }, record, reason),
    deactivate: (record) => (record.kind === 'cron' ? cron.deactivate(record) : queue.deactivate(record)),
    running: (record) => (record.kind === 'cron' ? cron.running(record.uid) : queue.running(record)),
  };
  table.setRunner(runner);

  await journal.applied();
  for (const record of await table.load(journal.store)) {
    try {
      if (record.kind === 'cron') await cron.recover(record);
      else await queue.recover(record);
    } catch (err) {
      // One trigger's trouble (a queue that will not answer) must not keep the runtime from opening.
      host.logger.error({ err, trigger: record.name }, 'a trigger could not pick up its work in flight');
    }
  }

  const started = createActor(schedulerMachine, { input: { table, cron, queue, replies }, systemId: 'scheduler' });
  started.subscribe({ error: (err) => host.logger.error({ err }, 'the scheduler actor failed') });
  const offCommit = journal.onCommit((seq) => replies.committed(seq));
  const offFailure = journal.onFailure((error) => send({ type: 'journal.failed', error }));
  started.start();
  mailbox.actor = started;
  for (const event of early.splice(0)) started.send(event);
  started.send({ type: 'scheduler.open' });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      started.send({ type: 'scheduler.close' });
      // Executions still running are watched again on the next open; what is in flight is written down now.
      stop.abort(new RuntimeClosedError());
      await inFlight.settled();
      await journal.committed().catch(() => undefined);
      mailbox.stopped = true;
      offCommit();
      offFailure();
      started.stop();
    })());
  return { actor: started, close };
}
