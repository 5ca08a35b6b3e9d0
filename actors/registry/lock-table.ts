import type { Clock, TimerHandle } from '../../src/clock.js';
import {
  LeaseExpiredError,
  LockAbandonedError,
  LockAlreadyHeldError,
  LockAlreadyWaitingError,
  LockTimeoutError,
  NotLockHolderError,
  type WeftError,
} from '../../src/errors.js';
import type { Journal } from '../../src/store/journal.js';
import type { Store } from '../../src/store/store.js';
import type { LockGrantRecord, LockInfoRecord, LockRequest, RegistryInternalEvent, Reply } from './messages.js';
import type { ReplyQueue } from './reply-queue.js';

type Msg<T extends LockRequest['type']> = Extract<LockRequest, { type: T }>;
type TimerEvent = Extract<RegistryInternalEvent, { type: 'lock.waitExpired' | 'lock.leaseExpired' }>;

interface Holder {
  holder: string;
  token: number;
  requestId: string;
  since: number;
  count: number;
  ttlMs?: number;
  expiresAt?: number;
  /** Release requests already applied to this hold (reentrant counts), so a re-sent one changes nothing. */
  releases?: string[];
}

interface Waiter {
  requestId: string;
  holder: string;
  seq: number;
  since: number;
  /** Absolute; null waits for ever. */
  deadline: number | null;
  ttlMs?: number;
}

interface LockEntry {
  name: string;
  holder?: Holder;
  waiters: Waiter[];
  /** The latest leases on this lock that expired (a few), so a late renew gets LEASE_EXPIRED. */
  expiredTokens?: number[];
}

/** A waiting acquire: its reply channel is absent after a restart until the requester re-attaches. */
interface Pending {
  entry: LockEntry;
  waiter: Waiter;
  reply?: Reply<LockGrantRecord>;
  timer?: TimerHandle;
}

/** How many expired lease tokens a lock remembers for LEASE_EXPIRED answers. */
const EXPIRED_TOKENS_KEPT = 16;

/** setTimeout's ceiling; longer waits re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Exclusive locks with FIFO waiters, fencing tokens and leases. Only the registry actor
 * calls this, one message at a time, so the checks and the writes below never interleave.
 * Every state change is written through the journal before its reply goes out.
 */
export class LockTable {
  readonly #locks = new Map<string, LockEntry>();
  readonly #pending = new Map<string, Pending>();
  readonly #heldBy = new Map<string, Set<string>>();
  readonly #leaseTimers = new Map<string, TimerHandle>();
  #lastToken = 0;
  #lastWaiterSeq = 0;

  constructor(
    private readonly journal: Journal,
    private readonly replies: ReplyQueue,
    private readonly clock: Clock,
    private readonly notify: (event: TimerEvent) => void,
  ) {}

  /** The token holding `name`, if any (for writes fenced by a lock token). */
  tokenOf(name: string): number | undefined {
    return this.#locks.get(name)?.holder?.token;
  }

  acquire(m: Msg<'lock.acquire'>): void {
    const waiting = this.#pending.get(m.requestId);
    if (waiting) {
      waiting.reply = m.reply; // the same request, re-sent: attach to it
      m.onQueued?.();
      return;
    }
    const entry = this.#entry(m.name);
    const current = entry.holder;
    if (current?.requestId === m.requestId) return this.replies.ok(m.reply, grantOf(entry.name, current));
    if (!current) {
      this.#grant(entry, { requestId: m.requestId, holder: m.holder, ttlMs: m.ttlMs });
      return this.replies.ok(m.reply, grantOf(entry.name, entry.holder as Holder));
    }
    if (current.holder === m.holder) {
      if (!m.reentrant) return this.replies.fail(m.reply, new LockAlreadyHeldError(m.name, m.holder, current.token));
      current.count++;
      this.#persistLock(entry);
      return this.replies.ok(m.reply, grantOf(entry.name, current));
    }
    if (entry.waiters.some((w) => w.holder === m.holder))
      return this.replies.fail(m.reply, new LockAlreadyWaitingError(m.name, m.holder));
    if (m.timeoutMs === 0) return this.replies.fail(m.reply, new LockTimeoutError(m.name, m.holder, 0));

    const now = this.clock.now();
    const waiter: Waiter = {
      requestId: m.requestId,
      holder: m.holder,
      seq: ++this.#lastWaiterSeq,
      since: now,
      deadline: Number.isFinite(m.timeoutMs) ? now + m.timeoutMs : null,
      ...(m.ttlMs !== undefined && { ttlMs: m.ttlMs }),
    };
    entry.waiters.push(waiter);
    this.journal.write([
      { type: 'put', kind: 'lock-waiters', key: waiterKey(entry.name, waiter.seq), value: JSON.stringify(waiter) },
    ]);
    const pending: Pending = { entry, waiter, reply: m.reply };
    this.#pending.set(m.requestId, pending);
    this.#armWait(pending);
    m.onQueued?.();
  }

  release(m: Msg<'lock.release'>): void {
    const entry = this.#locks.get(m.name);
    const h = entry?.holder;
    if (!entry || !h || h.token !== m.token) return this.replies.fail(m.reply, new NotLockHolderError(m.name, m.token));
    if (m.requestId !== undefined && h.releases?.includes(m.requestId)) return this.replies.ok(m.reply, undefined);
    if (h.count > 1) {
      h.count--;
      if (m.requestId !== undefined) h.releases = [...(h.releases ?? []), m.requestId];
      this.#persistLock(entry);
    } else this.#free(entry);
    // After the writes: a reply waits for the batch pending when it is issued.
    this.replies.ok(m.reply, undefined);
  }

  renew(m: Msg<'lock.renew'>): void {
    const entry = this.#locks.get(m.name);
    const h = entry?.holder;
    if (entry && h && h.token === m.token) {
      if (h.ttlMs !== undefined) {
        h.expiresAt = this.clock.now() + h.ttlMs;
        this.#persistLock(entry);
        this.#armLease(entry.name, h);
      }
      return this.replies.ok(m.reply, grantOf(entry.name, h));
    }
    if (entry?.expiredTokens?.includes(m.token))
      return this.replies.fail(m.reply, new LeaseExpiredError(m.name, m.token));
    this.replies.fail(m.reply, new NotLockHolderError(m.name, m.token));
  }

  cancel(m: Msg<'lock.cancel'>): void {
    const pending = this.#pending.get(m.requestId);
    if (!pending) return; // already granted or ended: the acquire has its outcome
    this.#withdraw(pending);
    if (pending.reply) this.replies.fail(pending.reply, m.error);
  }

  /** Releases every lock `holder` holds (whatever the count) and withdraws its waiting requests. */
  releaseAll(m: Msg<'lock.releaseAll'>): void {
    let released = 0;
    for (const name of [...(this.#heldBy.get(m.holder) ?? [])]) {
      const entry = this.#locks.get(name);
      if (entry?.holder) {
        this.#free(entry);
        released++;
      }
    }
    for (const pending of [...this.#pending.values()]) {
      if (pending.waiter.holder !== m.holder) continue;
      this.#withdraw(pending);
      if (pending.reply) this.replies.fail(pending.reply, new LockAbandonedError(pending.entry.name, m.holder));
    }
    this.replies.ok(m.reply, released);
  }

  list(m: Msg<'lock.list'>): void {
    const infos: LockInfoRecord[] = [];
    for (const entry of this.#locks.values()) {
      if (!entry.holder && entry.waiters.length === 0) continue;
      const h = entry.holder;
      infos.push({
        name: entry.name,
        ...(h && {
          holder: {
            holder: h.holder,
            token: h.token,
            since: h.since,
            count: h.count,
            ...(h.expiresAt !== undefined && { expiresAt: h.expiresAt }),
          },
        }),
        waiters: entry.waiters.map((w) => ({ holder: w.holder, since: w.since, deadline: w.deadline ?? Infinity })),
      });
    }
    infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.replies.ok(m.reply, infos);
  }

  waitExpired(e: Extract<TimerEvent, { type: 'lock.waitExpired' }>): void {
    const pending = this.#pending.get(e.requestId);
    if (!pending) return;
    const now = this.clock.now();
    const { deadline, holder, since } = pending.waiter;
    if (deadline === null || deadline > now) return this.#armWait(pending); // a long wait, re-armed
    this.#withdraw(pending);
    if (pending.reply) this.replies.fail(pending.reply, new LockTimeoutError(pending.entry.name, holder, now - since));
  }

  leaseExpired(e: Extract<TimerEvent, { type: 'lock.leaseExpired' }>): void {
    const entry = this.#locks.get(e.name);
    const h = entry?.holder;
    if (!entry || !h || h.token !== e.token || h.expiresAt === undefined) return;
    if (h.expiresAt > this.clock.now()) return this.#armLease(entry.name, h);
    entry.expiredTokens = [...(entry.expiredTokens ?? []), h.token].slice(-EXPIRED_TOKENS_KEPT);
    this.#free(entry);
  }

  /**
   * Loads lock state and brings it up to date after downtime, in the documented order:
   * waiters whose deadline passed time out, leases get a fresh TTL, then free locks with
   * waiters are granted. Returns nothing; its writes join the journal's next batch.
   */
  async load(store: Store): Promise<void> {
    this.#lastToken = Number((await store.get('meta', 'lastToken')) ?? 0);
    for (const [name, json] of await store.range('locks')) {
      const stored = JSON.parse(json) as { holder?: Holder; expiredTokens?: number[] };
      const entry = this.#entry(name);
      if (stored.holder) this.#setHolder(entry, stored.holder);
      if (stored.expiredTokens) entry.expiredTokens = stored.expiredTokens;
    }
    for (const [key, json] of await store.range('lock-waiters')) {
      const waiter = JSON.parse(json) as Waiter;
      const entry = this.#entry(key.slice(0, key.lastIndexOf('\u0000')));
      entry.waiters.push(waiter);
      this.#pending.set(waiter.requestId, { entry, waiter });
      this.#lastWaiterSeq = Math.max(this.#lastWaiterSeq, waiter.seq);
    }
    const now = this.clock.now();
    for (const pending of [...this.#pending.values()]) {
      const d = pending.waiter.deadline;
      if (d !== null && d <= now) this.#withdraw(pending);
    }
    for (const entry of this.#locks.values()) {
      const h = entry.holder;
      if (h?.ttlMs !== undefined) {
        h.expiresAt = now + h.ttlMs;
        this.#persistLock(entry);
        this.#armLease(entry.name, h);
      }
    }
    for (const entry of [...this.#locks.values()]) if (!entry.holder) this.#handOff(entry);
    for (const pending of this.#pending.values()) this.#armWait(pending);
  }

  #entry(name: string): LockEntry {
    let entry = this.#locks.get(name);
    if (!entry) {
      entry = { name, waiters: [] };
      this.#locks.set(name, entry);
    }
    return entry;
  }

  #grant(entry: LockEntry, to: { requestId: string; holder: string; ttlMs?: number | undefined }): void {
    const now = this.clock.now();
    const holder: Holder = {
      holder: to.holder,
      token: ++this.#lastToken,
      requestId: to.requestId,
      since: now,
      count: 1,
      ...(to.ttlMs !== undefined && { ttlMs: to.ttlMs, expiresAt: now + to.ttlMs }),
    };
    this.#setHolder(entry, holder);
    this.#persistLock(entry);
    // The token counter is written in the same batch as the grant that used it.
    this.journal.write([{ type: 'put', kind: 'meta', key: 'lastToken', value: String(this.#lastToken) }]);
    if (holder.expiresAt !== undefined) this.#armLease(entry.name, holder);
  }

  #setHolder(entry: LockEntry, holder: Holder): void {
    entry.holder = holder;
    let names = this.#heldBy.get(holder.holder);
    if (!names) this.#heldBy.set(holder.holder, (names = new Set()));
    names.add(entry.name);
  }

  /** Frees the lock and hands it straight to the first waiter, in the same batch. */
  #free(entry: LockEntry): void {
    const h = entry.holder;
    if (!h) return;
    entry.holder = undefined;
    const names = this.#heldBy.get(h.holder);
    names?.delete(entry.name);
    if (names?.size === 0) this.#heldBy.delete(h.holder);
    const timer = this.#leaseTimers.get(entry.name);
    if (timer !== undefined) {
      this.clock.clearTimeout(timer);
      this.#leaseTimers.delete(entry.name);
    }
    this.#handOff(entry);
  }

  #handOff(entry: LockEntry): void {
    const next = entry.waiters.shift();
    if (!next) return this.#persistLock(entry);
    this.journal.write([{ type: 'del', kind: 'lock-waiters', key: waiterKey(entry.name, next.seq) }]);
    const pending = this.#pending.get(next.requestId);
    this.#pending.delete(next.requestId);
    if (pending?.timer !== undefined) this.clock.clearTimeout(pending.timer);
    this.#grant(entry, next);
    if (pending?.reply) this.replies.ok(pending.reply, grantOf(entry.name, entry.holder as Holder));
  }

  /** Removes a waiting request from its queue (it gets no grant). */
  #withdraw(pending: Pending): void {
    const { entry, waiter } = pending;
    this.#pending.delete(waiter.requestId);
    if (pending.timer !== undefined) this.clock.clearTimeout(pending.timer);
    const i = entry.waiters.indexOf(waiter);
    if (i >= 0) entry.waiters.splice(i, 1);
    this.journal.write([{ type: 'del', kind: 'lock-waiters', key: waiterKey(entry.name, waiter.seq) }]);
    if (!entry.holder && entry.waiters.length === 0 && !entry.expiredTokens) this.#locks.delete(entry.name);
  }

  #persistLock(entry: LockEntry): void {
    if (!entry.holder && !entry.expiredTokens) {
      this.journal.write([{ type: 'del', kind: 'locks', key: entry.name }]);
      if (entry.waiters.length === 0) this.#locks.delete(entry.name);
      return;
    }
    const value = JSON.stringify({ holder: entry.holder, expiredTokens: entry.expiredTokens });
    this.journal.write([{ type: 'put', kind: 'locks', key: entry.name, value }]);
  }

  #armWait(pending: Pending): void {
    if (pending.timer !== undefined) this.clock.clearTimeout(pending.timer);
    const { deadline, requestId } = pending.waiter;
    if (deadline === null) return;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, deadline - this.clock.now()));
    pending.timer = this.clock.setTimeout(() => this.notify({ type: 'lock.waitExpired', requestId }), ms);
  }

  #armLease(name: string, h: Holder): void {
    const old = this.#leaseTimers.get(name);
    if (old !== undefined) this.clock.clearTimeout(old);
    if (h.expiresAt === undefined) return;
    const token = h.token;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, h.expiresAt - this.clock.now()));
    this.#leaseTimers.set(
      name,
      this.clock.setTimeout(() => this.notify({ type: 'lock.leaseExpired', name, token }), ms),
    );
  }

  /**
   * Cancels every timer; the actor is stopping. Waiting requesters hear `reason` at once
   * (their waits stay persisted, so a request re-sent after reopening re-attaches).
   */
  stop(reason: WeftError): void {
    for (const p of this.#pending.values()) {
      if (p.timer !== undefined) this.clock.clearTimeout(p.timer);
      p.reply?.({ ok: false, error: reason });
      p.reply = undefined;
    }
    for (const t of this.#leaseTimers.values()) this.clock.clearTimeout(t);
    this.#leaseTimers.clear();
  }
}

function grantOf(name: string, h: Holder): LockGrantRecord {
  return { name, holder: h.holder, token: h.token, ...(h.expiresAt !== undefined && { expiresAt: h.expiresAt }) };
}

/** Waiters sort by lock name, then by a global sequence: FIFO per lock, across restarts. */
function waiterKey(name: string, seq: number): string {
  return name + '\u0000' + String(seq).padStart(16, '0');
}
