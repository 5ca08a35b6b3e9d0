import type { ExecutionActor } from '../../actors/execution.js';
import type { ExecutionEngine } from '../../actors/execution/engine.js';
import type { ExecutionRecord } from '../../actors/execution/history.js';
import type { Journal } from '../store/journal.js';
import { MARK } from '../store/store.js';
import { readStored, type StoredExecution } from './stored.js';

/**
 * Executions rebuilt per batch at most: a burst of 100,000 signals is read and rebuilt in slices,
 * so it does not hold every history and actor at once (halves the peak RSS, measured).
 */
const WAKE_BATCH = 5_000;

/** An execution whose actor is in memory. */
export interface Active {
  actor: ExecutionActor;
  engine: ExecutionEngine;
}

/** What the supervisor lends to dormancy: its actors in memory, and how to drop and rebuild one. */
export interface DormancyHost {
  readonly journal: Journal;
  active(id: string): Active | undefined;
  /** Stops the actor and frees its slot; nothing is written. */
  drop(active: Active): void;
  /** Whether a dormant execution's workflow is loaded, so it can be rebuilt. */
  canRebuild(record: ExecutionRecord): boolean;
  /** Creates the actor from what is stored and runs it, taking a slot at once (it held one). */
  rebuild(record: ExecutionRecord, stored: StoredExecution): void;
  isClosed(): boolean;
}

/**
 * Dormant executions. One that has waited only on signals (no deadline) for `afterMs` has its
 * actor dropped, with a `dormant` mark in the store; a signal or a cancel rebuilds it by
 * replay. A waiting execution then costs its record, not an actor, a workflow's suspended
 * frame and their closures (about 9 KiB), and a restart reads nothing of it until it wakes.
 */
export class Dormancy {
  readonly #host: DormancyHost;
  readonly #afterMs: number;
  /** Dormant executions' records, by id. */
  readonly #records = new Map<string, ExecutionRecord>();
  /** Executions that began to wait only on signals, with when (performance.now()), oldest first. */
  readonly #idleSince = new Map<string, number>();
  #sweeper: NodeJS.Timeout | undefined;
  /** Wakes under way, and the ones for the next batch of reads. */
  readonly #waking = new Map<string, Promise<Active | undefined>>();
  #toWake = new Map<string, ExecutionRecord>();
  #wakeLoop: Promise<void> | undefined;

  constructor(host: DormancyHost, afterMs: number) {
    this.#host = host;
    this.#afterMs = afterMs;
  }

  get size(): number {
    return this.#records.size;
  }

  /** The record of a dormant execution. */
  record(id: string): ExecutionRecord | undefined {
    return this.#records.get(id);
  }

  /** Takes in an execution found dormant on open. */
  adopt(record: ExecutionRecord): void {
    this.#records.set(record.id, record);
  }

  /** Hears every status change of an execution in memory: the clock starts when it waits only on signals. */
  statusChanged(record: ExecutionRecord): void {
    if (this.#afterMs === Infinity) return;
    this.#idleSince.delete(record.id);
    if (record.status !== 'WAITING_SIGNAL') return;
    this.#idleSince.set(record.id, performance.now());
    // Real time, not the runtime's clock: this is about memory, not about the workflow's time.
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(10, this.#afterMs / 2)).unref();
  }

  /**
   * Rebuilds a dormant execution. Answers it once it is in memory again, or undefined when it
   * is not dormant (unknown, ended, of a workflow not loaded) or the runtime closed meanwhile.
   */
  wake(id: string): Promise<Active | undefined> {
    const active = this.#host.active(id);
    if (active) return Promise.resolve(active);
    const waking = this.#waking.get(id);
    if (waking) return waking;
    const record = this.#records.get(id);
    if (!record || !this.#host.canRebuild(record)) return Promise.resolve(undefined);
    // In the same tick as the signal that wakes it, so in the same batch: a restart after that
    // batch replays it with the signal in its inbox.
    this.#host.journal.write([{ type: 'del', kind: 'dormant', key: id }]);
    this.#toWake.set(id, record);
    const woken = (this.#wakeLoop ??= this.#wakeAll())
      .then(() => this.#host.active(id))
      .finally(() => this.#waking.delete(id));
    this.#waking.set(id, woken);
    return woken;
  }

  stop(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Makes dormant the executions that have waited only on signals for `afterMs`. */
  #sweep(): void {
    const cutoff = performance.now() - this.#afterMs;
    for (const [id, since] of this.#idleSince) {
      if (since > cutoff) break; // the rest began to wait later
      this.#idleSince.delete(id);
      const active = this.#host.active(id);
      if (!active || active.engine.record.status !== 'WAITING_SIGNAL') continue;
      const dormancy = active.engine.dormancy();
      if (dormancy === 'now') this.#sleep(active);
      // Still busy with something besides the wait (a reply, a commit): look again later.
      else if (dormancy === 'later') this.#idleSince.set(id, performance.now());
    }
    if (this.#idleSince.size === 0) this.stop();
  }

  #sleep(active: Active): void {
    const { record } = active.engine;
    this.#host.drop(active);
    this.#records.set(record.id, record);
    // After its status in the journal's order: a restart finds it WAITING_SIGNAL and leaves it dormant.
    this.#host.journal.write([{ type: 'put', kind: 'dormant', key: record.id, value: MARK }]);
  }

  /** The oldest {@link WAKE_BATCH} executions waiting to wake, taken off the list. */
  #takeBatch(): Map<string, ExecutionRecord> {
    if (this.#toWake.size <= WAKE_BATCH) {
      const all = this.#toWake;
      this.#toWake = new Map();
      return all;
    }
    const batch = new Map<string, ExecutionRecord>();
    for (const [id, record] of this.#toWake) {
      batch.set(id, record);
      this.#toWake.delete(id);
      if (batch.size === WAKE_BATCH) break;
    }
    return batch;
  }

  /**
   * Rebuilds the executions to wake, a batch at a time: every one asked for while the last
   * batch was read joins the next, so their histories are read in one scan and they run on
   * together, sharing group commits.
   */
  async #wakeAll(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // the rest of this turn's signals join
    const host = this.#host;
    for (;;) {
      if (this.#toWake.size === 0 || host.isClosed()) {
        this.#wakeLoop = undefined; // in the same synchronous step as the check: no wake is missed
        return;
      }
      const batch = this.#takeBatch();
      await host.journal.applied();
      const stored = await readStored(host.journal.store, batch.keys());
      if (host.isClosed()) continue;
      for (const [id, record] of batch) {
        this.#records.delete(id);
        host.rebuild(record, stored.get(id)!);
      }
    }
  }
}
