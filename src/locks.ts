import { randomUUID } from 'node:crypto';
import type { RegistryActor } from '../actors/registry.js';
import type { LockGrantRecord, LockInfoRecord, Outcome } from '../actors/registry/messages.js';
import { ask } from './ask.js';
import { AbortedError, InvalidArgumentError } from './errors.js';
import { assertHolder, assertName } from './names.js';

export interface AcquireOptions {
  /** Who holds the lock: an execution id, or a client's name for a lease. */
  holder: string;
  /** How long to wait in the queue; 0 tries once and never queues; Infinity waits for ever. @default 60_000 */
  timeoutMs?: number;
  /** Makes the grant a lease that expires unless renewed within this many ms. */
  ttlMs?: number;
  /** Lets a holder take a lock it already holds: a count, the same token. @default false */
  reentrant?: boolean;
  /** Aborting withdraws the request from the queue; the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Makes the request idempotent: sent again with the same id (after a restart, say), it
   * attaches to the request already queued or granted instead of queueing anew.
   * @default a fresh random id
   */
  requestId?: string;
}

export interface LockGrant {
  name: string;
  holder: string;
  /** Fencing token: strictly greater than every token issued before it, across restarts. */
  token: number;
  /** When the lease expires unless renewed; absent for locks without `ttlMs`. */
  expiresAt?: Date;
}

export interface LockInfo {
  name: string;
  /** Absent while the lock is free (a free lock never has waiters for long: it is handed on at once). */
  holder?: { holder: string; token: number; since: Date; count: number; expiresAt?: Date };
  /** In grant order. */
  waiters: Array<{ holder: string; since: Date; deadline?: Date }>;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Exclusive locks on any name, with FIFO waiters, fencing tokens and leases. Every call is
 * a message to the registry actor.
 *
 * @example
 * const lock = await rt.locks.acquire('cloud-vm-lock', { holder: 'deploy-42', ttlMs: 30_000 });
 * try { ... } finally { await rt.locks.release(lock.name, lock.token); }
 */
export class Locks {
  readonly #registry: () => RegistryActor;

  /** @internal */
  constructor(registry: () => RegistryActor) {
    this.#registry = registry;
  }

  acquire(name: string, options: AcquireOptions): Promise<LockGrant> {
    try {
      return this.#acquire(name, options);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #acquire(name: string, options: AcquireOptions): Promise<LockGrant> {
    assertName('lock name', name);
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'pass { holder }');
    const {
      holder,
      timeoutMs = DEFAULT_TIMEOUT_MS,
      ttlMs,
      reentrant = false,
      signal,
      requestId = randomUUID(),
    } = options;
    assertHolder(holder);
    if (
      typeof timeoutMs !== 'number' ||
      !(timeoutMs >= 0) ||
      (Number.isFinite(timeoutMs) && !Number.isInteger(timeoutMs))
    )
      throw new InvalidArgumentError('timeoutMs', 'it must be a whole number of ms, 0 or more, or Infinity');
    if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs >= 1))
      throw new InvalidArgumentError('ttlMs', 'it must be a whole number of ms, 1 or more');
    if (typeof reentrant !== 'boolean') throw new InvalidArgumentError('reentrant', 'it must be true or false');
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 256)
      throw new InvalidArgumentError('requestId', 'it must be 1–256 characters');
    if (signal?.aborted) return Promise.reject(signal.reason as Error);

    const actor = this.#registry();
    return new Promise<LockGrant>((resolve, reject) => {
      let aborted = false;
      const onAbort = (): void => {
        aborted = true;
        actor.send({ type: 'lock.cancel', requestId, error: new AbortedError(`acquire of lock ${name}`) });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      actor.send({
        type: 'lock.acquire',
        name,
        holder,
        requestId,
        timeoutMs,
        reentrant,
        ...(ttlMs !== undefined && { ttlMs }),
        reply: (outcome: Outcome<LockGrantRecord>) => {
          signal?.removeEventListener('abort', onAbort);
          if (aborted) {
            // Granted before the withdrawal arrived: hand the lock straight back.
            if (outcome.ok)
              actor.send({ type: 'lock.release', name, token: outcome.value.token, reply: () => undefined });
            reject((signal as AbortSignal).reason as Error);
          } else if (outcome.ok) resolve(toGrant(outcome.value));
          else reject(outcome.error);
        },
      });
    });
  }

  /** Releases one hold (reentrant holds count down); the next waiter gets the lock at once. */
  async release(name: string, token: number): Promise<void> {
    assertName('lock name', name);
    assertToken(token);
    const actor = this.#registry();
    await ask<void>((reply) => actor.send({ type: 'lock.release', name, token, reply }));
  }

  /** Extends a lease by its TTL from now. */
  async renew(name: string, token: number): Promise<LockGrant> {
    assertName('lock name', name);
    assertToken(token);
    const actor = this.#registry();
    return toGrant(await ask<LockGrantRecord>((reply) => actor.send({ type: 'lock.renew', name, token, reply })));
  }

  /** Releases every lock `holder` holds and withdraws its waiting requests; answers how many locks it released. */
  async releaseAll(holder: string): Promise<number> {
    assertHolder(holder);
    const actor = this.#registry();
    return ask<number>((reply) => actor.send({ type: 'lock.releaseAll', holder, reply }));
  }

  /** Every lock that is held or waited for, by name. */
  async list(): Promise<LockInfo[]> {
    const actor = this.#registry();
    const records = await ask<LockInfoRecord[]>((reply) => actor.send({ type: 'lock.list', reply }));
    return records.map(toInfo);
  }
}

function assertToken(token: unknown): asserts token is number {
  if (!Number.isSafeInteger(token) || (token as number) < 1)
    throw new InvalidArgumentError('token', 'it must be a lock token (a positive integer)');
}

/** @internal */
export function toGrant(r: LockGrantRecord): LockGrant {
  return {
    name: r.name,
    holder: r.holder,
    token: r.token,
    ...(r.expiresAt !== undefined && { expiresAt: new Date(r.expiresAt) }),
  };
}

function toInfo(r: LockInfoRecord): LockInfo {
  const h = r.holder;
  return {
    name: r.name,
    ...(h && {
      holder: {
        holder: h.holder,
        token: h.token,
        since: new Date(h.since),
        count: h.count,
        ...(h.expiresAt !== undefined && { expiresAt: new Date(h.expiresAt) }),
      },
    }),
    waiters: r.waiters.map((w) => ({
      holder: w.holder,
      since: new Date(w.since),
      ...(Number.isFinite(w.deadline) && { deadline: new Date(w.deadline) }),
    })),
  };
}
