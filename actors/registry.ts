import { assign, createActor, emit, setup, type ActorRefFrom } from 'xstate';
import type { Clock } from '../src/clock.js';
import { RuntimeClosedError, StoreFailedError, type WeftError } from '../src/errors.js';
import type { Journal } from '../src/store/journal.js';
import { LockTable } from './registry/lock-table.js';
import type { RegistryEmitted, RegistryEvent } from './registry/messages.js';
import { QueueTable } from './registry/queue-table.js';
import { ReplyQueue } from './registry/reply-queue.js';
import { SettingTable } from './registry/setting-table.js';

export type { RegistryEmitted, RegistryEvent, RegistryRequest } from './registry/messages.js';

interface RegistryContext {
  settings: SettingTable;
  locks: LockTable;
  queues: QueueTable;
  replies: ReplyQueue;
  failure?: WeftError;
}

/**
 * The registry actor (systemId `registry`): the single owner of settings, locks and work
 * queues. It
 * handles one message at a time, so it needs no other mutex; the tables it delegates to
 * write through the journal, and the reply queue (its outbox) holds each answer until the
 * batch it depends on commits.
 *
 * It emits `queue.created` once new queue elements are committed (`actor.on(…)`).
 *
 * `serving` → `failed` when the journal fails: from then on every request gets STORE_FAILED,
 * since the in-memory state may be ahead of what reached the disk.
 */
export const registryMachine = setup({
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- XState's typing idiom
  types: {} as { context: RegistryContext; events: RegistryEvent; input: RegistryContext; emitted: RegistryEmitted },
  actions: {
    refuse: ({ context, event }) => {
      if ('reply' in event) event.reply({ ok: false, error: context.failure ?? new StoreFailedError('registry') });
    },
  },
}).createMachine({
  id: 'registry',
  context: ({ input }) => input,
  initial: 'serving',
  states: {
    serving: {
      on: {
        'setting.create': { actions: ({ context, event }) => context.settings.create(event) },
        'setting.get': { actions: ({ context, event }) => context.settings.get(event) },
        'setting.update': { actions: ({ context, event }) => context.settings.update(event) },
        'setting.save': { actions: ({ context, event }) => context.settings.save(event) },
        'setting.delete': { actions: ({ context, event }) => context.settings.delete(event) },
        'setting.list': { actions: ({ context, event }) => context.settings.list(event) },
        'lock.acquire': { actions: ({ context, event }) => context.locks.acquire(event) },
        'lock.cancel': { actions: ({ context, event }) => context.locks.cancel(event) },
        'lock.release': { actions: ({ context, event }) => context.locks.release(event) },
        'lock.renew': { actions: ({ context, event }) => context.locks.renew(event) },
        'lock.releaseAll': { actions: ({ context, event }) => context.locks.releaseAll(event) },
        'lock.list': { actions: ({ context, event }) => context.locks.list(event) },
        'lock.waitExpired': { actions: ({ context, event }) => context.locks.waitExpired(event) },
        'lock.leaseExpired': { actions: ({ context, event }) => context.locks.leaseExpired(event) },
        'queue.create': { actions: ({ context, event }) => context.queues.create(event) },
        'queue.next': { actions: ({ context, event }) => context.queues.next(event) },
        'queue.get': { actions: ({ context, event }) => context.queues.get(event) },
        'queue.setStatus': { actions: ({ context, event }) => context.queues.setStatus(event) },
        'queue.delete': { actions: ({ context, event }) => context.queues.delete(event) },
        'queue.counts': { actions: ({ context, event }) => context.queues.counts(event) },
        'queue.created': { actions: emit(({ event }) => ({ type: 'queue.created' as const, queue: event.queue })) },
        'journal.failed': {
          target: 'failed',
          actions: [
            assign({ failure: ({ event }) => event.error }),
            ({ context, event }) => context.replies.failAll(event.error),
            ({ context, event }) => context.locks.stop(event.error),
          ],
        },
      },
    },
    failed: {
      on: { '*': { actions: 'refuse' } },
    },
  },
});

export type RegistryActor = ActorRefFrom<typeof registryMachine>;

/**
 * Loads settings, locks and the queues' working set from the journal's store, then starts the registry actor,
 * wired to the journal's commit and failure notifications.
 */
export async function startRegistry(
  journal: Journal,
  clock: Clock,
): Promise<{ actor: RegistryActor; stop: () => void }> {
  const replies = new ReplyQueue(journal);
  // Timers fire into the actor's mailbox like any other message.
  const mailbox: { actor?: RegistryActor } = {};
  const locks = new LockTable(journal, replies, clock, (event) => mailbox.actor?.send(event));
  const settings = new SettingTable(journal, replies, clock, (name) => locks.tokenOf(name));
  const queues = new QueueTable(journal, replies, clock, (queue) =>
    mailbox.actor?.send({ type: 'queue.created', queue }),
  );
  await settings.load(journal.store);
  await locks.load(journal.store);
  await queues.load(journal.store);

  const started = createActor(registryMachine, {
    input: { settings, locks, queues, replies },
    systemId: 'registry',
  });
  mailbox.actor = started;
  started.subscribe({ error: (err) => console.error('registry actor failed', err) });
  // The reply queue is the actor's outbox: committed replies leave it without another trip
  // through the mailbox (they touch no actor state).
  const offCommit = journal.onCommit((seq) => replies.committed(seq));
  const offFailure = journal.onFailure((error) => started.send({ type: 'journal.failed', error }));
  started.start();
  return {
    actor: started,
    stop: () => {
      offCommit();
      offFailure();
      locks.stop(new RuntimeClosedError());
      started.stop();
    },
  };
}
