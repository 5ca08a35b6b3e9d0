import { startRegistry, type RegistryActor } from '../actors/registry.js';
import { RuntimeClosedError } from './errors.js';
import { Locks } from './locks.js';
import { resolveOptions, type ResolvedOptions, type RuntimeOptions } from './options.js';
import { Settings } from './settings.js';
import { Journal } from './store/journal.js';
import { openLevelStore } from './store/level-store.js';
import { openMemoryStore } from './store/memory-store.js';

export type RuntimeStatus = 'open' | 'closing' | 'closed';

interface Engine {
  options: ResolvedOptions;
  journal: Journal;
  registry: RegistryActor;
  stopRegistry: () => void;
}

/**
 * A weft runtime: one data folder, its journal, and the actors that own its state.
 *
 * @example
 * const rt = await Runtime.open({ dataDir: './weft-data' });
 * await rt.settings.create('greeting', 'hello');
 * await rt.close();
 */
export class Runtime {
  /** Named values, read and written whole (see {@link Settings}). */
  readonly settings: Settings;
  /** Exclusive locks with FIFO waiters, fencing tokens and leases (see {@link Locks}). */
  readonly locks: Locks;
  #engine: Engine;
  #status: RuntimeStatus = 'open';
  #closing: Promise<void> | undefined;

  private constructor(engine: Engine) {
    this.#engine = engine;
    const registry = (): RegistryActor => {
      if (this.#status !== 'open') throw new RuntimeClosedError();
      return this.#engine.registry;
    };
    this.settings = new Settings(registry);
    this.locks = new Locks(registry);
  }

  /** Opens the data folder (failing with STORE_LOCKED if another process has it) and starts the actors. */
  static async open(options: RuntimeOptions = {}): Promise<Runtime> {
    const resolved = resolveOptions(options);
    const store = resolved.inMemory ? await openMemoryStore() : await openLevelStore(resolved.dataDir);
    let journal: Journal;
    try {
      journal = await Journal.open(store, resolved.durability);
    } catch (err) {
      await store.close();
      throw err;
    }
    journal.onFailure((err) => resolved.logger.error({ err }, 'the store failed; writes are refused until restart'));
    const { actor, stop } = await startRegistry(journal, resolved.clock);
    return new Runtime({ options: resolved, journal, registry: actor, stopRegistry: stop });
  }

  get status(): RuntimeStatus {
    return this.#status;
  }

  /** Where the data lives. */
  get dataDir(): string {
    return this.#engine.journal.store.location;
  }

  /** The registry actor, for inspection (`getSnapshot()`, `subscribe()`); send it nothing directly. */
  get registryActor(): RegistryActor {
    return this.#engine.registry;
  }

  /** Journal counters: batches and ops committed, the largest batch. */
  get journalStats(): Readonly<{ batches: number; ops: number; maxBatch: number }> {
    return { ...this.#engine.journal.stats };
  }

  /** Commits what is pending, stops the actors and closes the store. Idempotent. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#status = 'closing';
      const { journal, stopRegistry } = this.#engine;
      this.#closing = journal
        .committed()
        .catch(() => undefined)
        .then(() => {
          stopRegistry();
          return journal.close();
        })
        .finally(() => {
          this.#status = 'closed';
        });
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
