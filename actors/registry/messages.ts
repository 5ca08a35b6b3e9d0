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

/** Events the actor sends itself (timers) or receives from the journal. */
export type RegistryInternalEvent =
  | { type: 'journal.failed'; error: WeftError }
  | { type: 'lock.waitExpired'; requestId: string }
  | { type: 'lock.leaseExpired'; name: string; token: number };

export type RegistryRequest = SettingRequest | LockRequest;
export type RegistryEvent = RegistryRequest | RegistryInternalEvent;
