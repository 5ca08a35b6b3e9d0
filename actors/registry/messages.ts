import type { WeftError } from '../../src/errors.js';

/**
 * The registry actor's typed messages. Every request carries a `reply` channel; the actor
 * answers each request exactly once, and only after what the answer shows is committed.
 */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WeftError };
export type Reply<T> = (outcome: Outcome<T>) => void;

/** A setting as stored: the value stays encoded (see `src/store/codec.ts`) inside the actor. */
export interface SettingRecord {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface SettingPage {
  readonly items: SettingRecord[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface LockGrantRecord {
  readonly name: string;
  readonly holder: string;
  readonly token: number;
  readonly expiresAt?: number;
}

export interface LockInfoRecord {
  readonly name: string;
  readonly holder?: { holder: string; token: number; since: number; count: number; expiresAt?: number };
  readonly waiters: Array<{ holder: string; since: number; deadline: number }>;
}

export type KeyKind = 'name' | 'id';

export type SettingRequest =
  | { type: 'setting.create'; name: string; value: string; updatedBy: string; reply: Reply<SettingRecord> }
  | { type: 'setting.get'; key: string; by: KeyKind; reply: Reply<SettingRecord | undefined> }
  | {
      type: 'setting.update';
      key: string;
      by: KeyKind;
      value: string;
      updatedBy: string;
      expectedVersion?: number;
      ifLockToken?: number;
      reply: Reply<SettingRecord>;
    }
  /** Update, or create when missing (a workflow's `setting(name).save()`). */
  | {
      type: 'setting.save';
      name: string;
      value: string;
      updatedBy: string;
      expectedVersion?: number;
      reply: Reply<SettingRecord>;
    }
  | { type: 'setting.delete'; key: string; by: KeyKind; reply: Reply<boolean> }
  | { type: 'setting.list'; prefix: string; limit: number; cursor?: string; reply: Reply<SettingPage> };

export type LockRequest =
  | {
      type: 'lock.acquire';
      name: string;
      holder: string;
      /** Unique per request; a request re-sent with the same id (after a restart) re-attaches. */
      requestId: string;
      timeoutMs: number;
      ttlMs?: number;
      reentrant: boolean;
      reply: Reply<LockGrantRecord>;
      /** Told when the request joins the queue (it will wait), before any grant. */
      onQueued?: () => void;
    }
  /** Withdraws a waiting acquire; the acquire itself gets the outcome. */
  | { type: 'lock.cancel'; requestId: string; error: WeftError }
  /** `requestId` makes a release idempotent: sent again (after a restart), it changes nothing. */
  | { type: 'lock.release'; name: string; token: number; requestId?: string; reply: Reply<void> }
  | { type: 'lock.renew'; name: string; token: number; reply: Reply<LockGrantRecord> }
  | { type: 'lock.releaseAll'; holder: string; reply: Reply<number> }
  | { type: 'lock.list'; reply: Reply<LockInfoRecord[]> };

/** A queue element's status, declared once: `QueueElementStatus` and the workflow's `QueueStatus` alias it. */
export type QueueStatus = 'NEW' | 'IN_PROGRESS' | 'DONE' | 'FAILED';

/** A queue element as stored: data stays encoded (see `src/store/codec.ts`), times are epoch ms. */
export interface QueueElementRecord {
  readonly id: string;
  readonly queue: string;
  readonly reference?: string;
  readonly data?: string;
  readonly status: QueueStatus;
  readonly message?: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  /** Store-wide creation number: FIFO order, and newest first in lists. */
  readonly seq: number;
  /** Rises by 1 on every change, so a record read from the store can be checked against later writes. */
  readonly version: number;
  /** The `next` request that claimed it, while it is IN_PROGRESS. */
  readonly claimedBy?: string;
  /** The last request that changed it, so that request re-sent changes nothing. */
  readonly lastRequest?: string;
  /** Its id was derived from the creating request's id: deleting it leaves a tombstone, so a re-sent create stays a repeat. */
  readonly fromRequest?: true;
}

export interface NewQueueElement {
  readonly id: string;
  readonly reference?: string;
  readonly data?: string;
  readonly createdBy: string;
}

/**
 * What a caller read from the store for an element the actor does not hold in memory (DONE
 * and FAILED elements live only in the store): everything up to journal seq `seq` was
 * applied when it read. `deletedBy` is the element's tombstone: the request that deleted
 * it ('' for none), present only for elements deleted by a request or created by one.
 */
export interface QueueStoreRead {
  readonly seq: number;
  readonly record?: QueueElementRecord;
  readonly deletedBy?: string;
}

/**
 * The answer to a request about one element that may live only in the store: `read` asks
 * the caller to read it and send the request again with what it read; `stale` says the
 * element changed after that read, so read again.
 */
export type Probed<T> = { readonly kind: 'done'; readonly value: T } | { readonly kind: 'read' | 'stale' };

export type QueueCreateAnswer =
  | { readonly kind: 'created'; readonly records: QueueElementRecord[] }
  /** The request was seen before: its elements are the ones with the ids the caller derived. */
  | { readonly kind: 'repeat' }
  | { readonly kind: 'read' | 'stale' };

export interface QueueCounts {
  readonly queue: string;
  readonly counts: Readonly<Record<QueueStatus, number>>;
}

export type QueueRequest =
  /** One element or many, in one journal write. With a `requestId`, ids are derived from it and `read` probes the first. */
  | {
      type: 'queue.create';
      queue: string;
      elements: NewQueueElement[];
      requestId?: string;
      read?: QueueStoreRead;
      reply: Reply<QueueCreateAnswer>;
    }
  | {
      type: 'queue.next';
      queue: string;
      reference?: string;
      claim: boolean;
      requestId?: string;
      reply: Reply<QueueElementRecord | undefined>;
    }
  | { type: 'queue.get'; id: string; read?: QueueStoreRead; reply: Reply<Probed<QueueElementRecord | undefined>> }
  | {
      type: 'queue.setStatus';
      id: string;
      status: QueueStatus;
      message?: string;
      requestId?: string;
      read?: QueueStoreRead;
      reply: Reply<Probed<QueueElementRecord | undefined>>;
    }
  | { type: 'queue.delete'; id: string; requestId?: string; read?: QueueStoreRead; reply: Reply<Probed<boolean>> }
  | { type: 'queue.counts'; reply: Reply<QueueCounts[]> };

/** Events the actor sends itself (timers) or receives from the journal. */
export type RegistryInternalEvent =
  | { type: 'journal.failed'; error: WeftError }
  | { type: 'lock.waitExpired'; requestId: string }
  | { type: 'lock.leaseExpired'; name: string; token: number }
  /** Elements were created in `queue` and committed; the actor emits it to `actor.on('queue.created')`. */
  | { type: 'queue.created'; queue: string };

/** What the actor emits (`actor.on(type, …)`). */
export type RegistryEmitted = { type: 'queue.created'; queue: string };

export type RegistryRequest = SettingRequest | LockRequest | QueueRequest;
export type RegistryEvent = RegistryRequest | RegistryInternalEvent;
