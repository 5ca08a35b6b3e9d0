import { assign, createActor, setup, type ActorRefFrom } from 'xstate';
import type { Clock } from '../src/clock.js';
import { RuntimeClosedError, StoreFailedError, type WeftError } from '../src/errors.js';
import type { Journal } from '../src/store/journal.js';
import { LockTable } from './registry/lock-table.js';
import type { RegistryEvent } from './registry/messages.js';
import { ReplyQueue } from './registry/reply-queue.js';
import { SettingTable } from './registry/setting-table.js';

export type { RegistryEvent, RegistryRequest } from './registry/messages.js';

interface RegistryContext {
  settings: SettingTable;
  locks: LockTable;
  replies: ReplyQueue;
  failure?: WeftError;
}

/**
 * The registry actor (systemId `registry`): the single owner of settings and locks. It
 * handles one message at a time, so it needs no other mutex; the tables it delegates to
 * write through the journal, and the reply queue (its outbox) holds each answer until the
 * batch it depends on commits.
 *
 * `serving` → `failed` when the journal fails: from then on every request gets STORE_FAILED,
 * since the in-memory state may be ahead of what reached the disk.
 */
export const registryMachine = setup({
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- XState's typing idiom
  types: {} as { context: RegistryContext; events: RegistryEvent; input: RegistryContext },
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
 * Loads settings and locks from the journal's store, then starts the registry actor,
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
  await settings.load(journal.store);
  await locks.load(journal.store);

  const started = createActor(registryMachine, { input: { settings, locks, replies }, systemId: 'registry' });
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
