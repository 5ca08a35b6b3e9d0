import { StoreFailedError } from '../errors.js';
import { BATCH_BOUNDS, HistogramRecorder } from '../metrics.js';
import type { Store, WriteOp } from './store.js';
import { WriteAheadLog } from './wal.js';

/**
 * How far a write must get before it is acknowledged.
 * - `fsync` (default): to the disk; nothing acknowledged is lost, even on power loss.
 * - `process`: to the operating system; survives the process being killed, not the machine.
 */
export type Durability = 'fsync' | 'process';

export interface JournalStats {
  /** Batches committed so far. */
  batches: number;
  /** Ops committed so far (after coalescing writes to the same key within a batch). */
  ops: number;
  /** The largest batch so far, in ops. */
  maxBatch: number;
}

/** Log size past which the journal empties (or rotates) its log. */
const CHECKPOINT_BYTES = 16 * 1024 * 1024;

/**
 * How long group commits may run back to back before a batch waits for the event loop to turn.
 * A turn costs the waiting batch little (writes keep joining it), so this only bounds the
 * loop delay the journal adds under load.
 */
const MAX_LOOP_HOLD_MS = 50;

/**
 * Group commit. Every write issued in the same tick (a callback and the promise
 * continuations it sets off) joins one batch. At the end of the tick the batch is appended
 * to the write-ahead log, fdatasync'd in `fsync` mode, and acknowledged; the store applies
 * committed batches in the background, merged into larger batches of its own. Messages
 * that arrive while a batch syncs wait in the mailbox and form the next batch, so batches
 * grow with load.
 *
 * Tick callbacks never let the event loop turn, and a commit's waiters often write again at
 * once, so under load that always has a next batch the journal would hold the loop for good:
 * timers, sockets and immediates would starve. Once it has held the loop for
 * {@link MAX_LOOP_HOLD_MS}, the next batch waits for the loop's check phase instead (writes
 * made meanwhile join it). The clock starts at the first batch after the loop last turned,
 * so a write after an idle spell still commits at the end of its tick.
 *
 * Stores without a log (the in-memory one) commit by writing the store directly.
 */
export class Journal {
  readonly durability: Durability;
  readonly stats: JournalStats = { batches: 0, ops: 0, maxBatch: 0 };
  /** Writes per group commit, for metrics. */
  readonly batchSizes = new HistogramRecorder(BATCH_BOUNDS);
  readonly #store: Store;
  readonly #wal: WriteAheadLog | undefined;
  readonly #listeners = new Set<(committedSeq: number) => void>();
  readonly #waiters: Array<{ seq: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  /** Ops of the batch still gathering, keyed by kind and key so the last write wins. */
  #open = new Map<string, WriteOp>();
  #openSeq = 1;
  #flushScheduled = false;
  /** When the first batch since the event loop last turned was scheduled; undefined once it has turned. */
  #holdingLoopSince: number | undefined;
  /** Highest seq appended to the log (or handed to the store when there is no log). */
  #writtenSeq = 0;
  #committedSeq = 0;
  #failure: StoreFailedError | undefined;

  /** Batches waiting to be applied to the store, oldest first. */
  #toApply: Array<{ seq: number; ops: WriteOp[] }> = [];
  #appliedSeq = 0;
  #applying: Promise<void> | undefined;
  /** The last seq in the log's rotated-out file, while that file waits for the store. */
  #rotatedAt: number | undefined;
  #appliedWaiters: Array<{ seq: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  #closed = false;

  readonly #checkpointBytes: number;

  private constructor(store: Store, durability: Durability, wal: WriteAheadLog | undefined, checkpointBytes: number) {
    this.#checkpointBytes = checkpointBytes;
    this.#store = store;
    this.durability = durability;
    this.#wal = wal;
  }

  /** Opens the journal over a store, first replaying into it whatever a crashed process left in the log. */
  static async open(
    store: Store,
    durability: Durability,
    { checkpointBytes = CHECKPOINT_BYTES }: { checkpointBytes?: number } = {},
  ): Promise<Journal> {
    if (!store.walPath) return new Journal(store, durability, undefined, checkpointBytes);
    let opened: ReturnType<typeof WriteAheadLog.open>;
    try {
      opened = WriteAheadLog.open(store.walPath);
    } catch (cause) {
      throw new StoreFailedError(`open of the journal ${store.walPath}`, { cause });
    }
    const { log, batches } = opened;
    if (batches.length > 0) {
      // Ops are blind puts and deletes, so replaying ones the store already has is harmless.
      await store.write(batches.flat(), { sync: true });
      log.truncate();
    }
    return new Journal(store, durability, log, checkpointBytes);
  }

  /** The seq of the batch that writes issued now will join. */
  get openSeq(): number {
    return this.#openSeq;
  }

  /** The highest seq whose batch is durable and acknowledged. */
  get committedSeq(): number {
    return this.#committedSeq;
  }

  /** The seq of the newest batch not yet committed, or undefined when everything is. */
  get pendingSeq(): number | undefined {
    const newest = this.#open.size > 0 ? this.#openSeq : this.#writtenSeq;
    return newest > this.#committedSeq ? newest : undefined;
  }

  /** Adds ops to the open batch and returns its seq. Nothing is visible in the store until it commits. */
  write(ops: readonly WriteOp[]): number {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new StoreFailedError('write after close');
    if (ops.length === 0) return this.pendingSeq ?? this.#committedSeq;
    for (const op of ops) this.#open.set(op.kind + '\u0000' + op.key, op);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#scheduleFlush();
    }
    return this.#openSeq;
  }

  #scheduleFlush(): void {
    const now = performance.now();
    if (this.#holdingLoopSince === undefined) {
      this.#holdingLoopSince = now;
      // Immediates run once the loop has turned (after timers and the poll phase); unref'd,
      // it keeps no process alive.
      setImmediate(() => (this.#holdingLoopSince = undefined)).unref();
    } else if (now - this.#holdingLoopSince > MAX_LOOP_HOLD_MS) {
      // Queued after the probe above, so the probe has run by the time this batch flushes.
      setImmediate(() => this.#flush());
      return;
    }
    // A tick callback runs after the current microtask queue drains, so the writes of
    // every promise continuation running now join this batch.
    process.nextTick(() => this.#flush());
  }

  /** Calls `listener(seq)` each time batches up to `seq` commit. Returns an unsubscribe function. */
  onCommit(listener: (committedSeq: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the batch `seq` (and every earlier one) is committed. */
  committed(seq: number = this.pendingSeq ?? this.#committedSeq): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (seq <= this.#committedSeq) return Promise.resolve();
    return new Promise((resolve, reject) => enqueue(this.#waiters, { seq, resolve, reject }));
  }

  /** Resolves once everything committed so far is also readable from the store. */
  async applied(): Promise<void> {
    await this.committed();
    const seq = this.#committedSeq;
    if (this.#failure) throw this.#failure;
    if (seq <= this.#appliedSeq) return;
    await new Promise<void>((resolve, reject) => enqueue(this.#appliedWaiters, { seq, resolve, reject }));
  }

  /** The store, for reads. Read only after {@link applied} when a read must see recent writes. */
  get store(): Store {
    return this.#store;
  }

  /** Commits and applies everything pending, empties the log and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#open.size > 0 && !this.#failure) this.#flush();
    this.#closed = true;
    try {
      if (!this.#failure) {
        await this.applied();
        if (this.#wal) {
          if (this.durability === 'fsync') await this.#syncStore();
          this.#wal.truncate();
        }
      }
    } finally {
      this.#wal?.close();
      await this.#store.close();
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#open.size === 0 || this.#failure) return;
    const ops = [...this.#open.values()];
    const seq = this.#openSeq++;
    this.#open = new Map();
    this.stats.batches++;
    this.batchSizes.observe(ops.length);
    this.stats.ops += ops.length;
    if (ops.length > this.stats.maxBatch) this.stats.maxBatch = ops.length;

    if (!this.#wal) {
      // No log: the store write is the commit. One write in flight keeps batches in order.
      this.#writtenSeq = seq;
      this.#toApply.push({ seq, ops });
      this.#drainApply();
      return;
    }
    try {
      this.#wal.append(ops);
      if (this.durability === 'fsync') this.#wal.sync();
    } catch (cause) {
      this.#fail(new StoreFailedError('journal append', { cause }));
      return;
    }
    this.#writtenSeq = seq;
    this.#toApply.push({ seq, ops });
    this.#commit(seq);
    this.#drainApply();
  }

  #commit(seq: number): void {
    if (seq <= this.#committedSeq) return;
    this.#committedSeq = seq;
    settle(this.#waiters, seq);
    for (const listener of this.#listeners) {
      try {
        listener(seq);
      } catch (err) {
        // A listener's failure is its own; the journal and the other listeners carry on.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Applies committed ops to the store, one store batch in flight at a time. */
  #drainApply(): void {
    if (this.#applying || this.#failure) return;
    // With a log, only committed batches go to the store; without one, the store write commits.
    const limit = this.#wal ? this.#committedSeq : Infinity;
    let n = 0;
    while (n < this.#toApply.length && (this.#toApply[n] as { seq: number }).seq <= limit) n++;
    if (n === 0) return;
    const batches = this.#toApply.splice(0, n);
    const seq = (batches[n - 1] as { seq: number }).seq;
    const ops = n === 1 ? (batches[0] as { ops: WriteOp[] }).ops : coalesce(batches);
    const sync = !this.#wal && this.durability === 'fsync';
    this.#applying = this.#store.write(ops, { sync }).then(
      async () => {
        this.#appliedSeq = seq;
        if (!this.#wal) this.#commit(seq);
        await this.#maybeCheckpoint();
        this.#applying = undefined;
        settle(this.#appliedWaiters, seq);
        this.#drainApply();
      },
      (cause: unknown) => {
        this.#applying = undefined;
        this.#fail(new StoreFailedError('store write', { cause }));
      },
    );
  }

  /**
   * Keeps the log small. Once it is large: emptied if the store holds everything in it;
   * otherwise (load that never lets the store catch up) rotated, and the old file deleted once
   * the store holds everything written before the rotation.
   */
  async #maybeCheckpoint(): Promise<void> {
    const wal = this.#wal;
    if (!wal) return;
    if (this.#rotatedAt !== undefined && this.#appliedSeq >= this.#rotatedAt) {
      await this.#syncStore();
      wal.dropOld();
      this.#rotatedAt = undefined;
    }
    if (wal.size < this.#checkpointBytes || this.#rotatedAt !== undefined) return;
    if (this.#appliedSeq === this.#writtenSeq) {
      const upTo = this.#writtenSeq;
      await this.#syncStore();
      if (this.#writtenSeq === upTo && this.#rotatedAt === undefined) wal.truncate();
      return;
    }
    wal.rotate();
    this.#rotatedAt = this.#writtenSeq;
  }

  /** The store's own writes were not synced; one synced write makes every earlier one durable. */
  #syncStore(): Promise<void> {
    return this.#store.write([{ type: 'put', kind: 'meta', key: 'checkpoint', value: String(this.#appliedSeq) }], {
      sync: true,
    });
  }

  #fail(error: StoreFailedError): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const w of this.#waiters.splice(0)) w.reject(error);
    for (const w of this.#appliedWaiters.splice(0)) w.reject(error);
    for (const listener of this.#failureListeners) listener(error);
  }

  readonly #failureListeners = new Set<(error: StoreFailedError) => void>();

  /** Calls `listener` once if the journal fails; it then refuses every write. */
  onFailure(listener: (error: StoreFailedError) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }
}

/** Merges batches in order; a later write to the same key replaces an earlier one. */
function coalesce(batches: ReadonlyArray<{ ops: WriteOp[] }>): WriteOp[] {
  const merged = new Map<string, WriteOp>();
  for (const { ops } of batches) for (const op of ops) merged.set(op.kind + '\u0000' + op.key, op);
  return [...merged.values()];
}

/** Keeps waiters ordered by seq; they nearly always arrive in order, so this is an append. */
function enqueue<W extends { seq: number }>(waiters: W[], waiter: W): void {
  let i = waiters.length;
  while (i > 0 && (waiters[i - 1] as W).seq > waiter.seq) i--;
  if (i === waiters.length) waiters.push(waiter);
  else waiters.splice(i, 0, waiter);
}

/** Resolves the waiters whose batch is now committed: a prefix, since they are ordered. */
function settle(waiters: Array<{ seq: number; resolve: () => void }>, seq: number): void {
  let n = 0;
  while (n < waiters.length && (waiters[n] as { seq: number }).seq <= seq) n++;
  if (n === 0) return;
  for (const w of waiters.splice(0, n)) w.resolve();
}
