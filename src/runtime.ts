import { startRegistry, type RegistryActor } from '../actors/registry.js';
import { InvalidArgumentError, ExecutionNotFoundError, RuntimeClosedError } from './errors.js';
import { isWorkflow, loadActivities, loadWorkflows } from './executions/catalog.js';
import { executionLogger, LogFeed } from './executions/execution-log.js';
import { ExecutionHandle, toInfo, type ExecutionInfo, type ExecutionStatus } from './executions/handle.js';
import { Supervisor } from './executions/supervisor.js';
import { Locks } from './locks.js';
import type { RuntimeMetrics } from './metrics.js';
import { resolveOptions, type ResolvedOptions, type RuntimeOptions } from './options.js';
import { ActivityPool } from './pool/activity-pool.js';
import { ResourceLimiter } from './pool/resources.js';
import { Settings } from './settings.js';
import type { ServiceContext } from './services.js';
import { openQueues, type Queues } from './queues.js';
import { openSecrets, type Constants, type Credentials } from './credentials.js';
import { openTriggers, type Triggers } from './triggers.js';
import { Logs } from './logs.js';
import { startRetention, type Retention, type RetentionPass } from './retention.js';
import { serviceCalls } from './service-calls.js';
import { Journal } from './store/journal.js';
import { openLevelStore } from './store/level-store.js';
import { openMemoryStore } from './store/memory-store.js';
import type { Workflow } from './workflow.js';

export type RuntimeStatus = 'open' | 'closing' | 'closed';

/** `start()` in its object form, simpleflow style. */
export interface StartOptions {
  /** A workflow definition or a registered workflow's name. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions of any argument types
  workflow: Workflow<any, any> | string;
  args?: unknown[];
  /** Passed as one last argument after `args`. */
  kwargs?: Record<string, unknown>;
  /** Makes start idempotent: starting an id that exists answers the existing execution. */
  id?: string;
}

export interface ExecutionPage {
  items: ExecutionInfo[];
  cursor?: string;
}

interface Engine {
  options: ResolvedOptions;
  services: ServiceContext;
  queues: Queues;
  constants: Constants;
  credentials: Credentials;
  retention: Retention;
  logs: Logs;
  journal: Journal;
  registry: RegistryActor;
  stopRegistry: () => void;
  pool: ActivityPool;
  supervisor: Supervisor;
}

/**
 * A weft runtime: one data folder, its journal, and the actors that own its state: the
 * registry (settings, locks) and one execution actor per running workflow.
 *
 * @example
 * const rt = await Runtime.open({ dataDir: './weft-data', workflows: [basic], activities: ['./activities.ts'] });
 * const handle = await rt.start(basic, 1, 5);
 * console.log(await handle.result());
 * await rt.close();
 */
export class Runtime {
  /** Named values, read and written whole (see {@link Settings}). */
  readonly settings: Settings;
  /** Exclusive locks with FIFO waiters, fencing tokens and leases (see {@link Locks}). */
  readonly locks: Locks;
  /** Execution logs across executions: query by workflow, level and time; follow live (see {@link Logs}). */
  readonly logs: Logs;
  #triggers: Triggers | undefined;
  #engine: Engine;
  #status: RuntimeStatus = 'open';
  #closing: Promise<void> | undefined;

  private constructor(engine: Engine) {
    this.#engine = engine;
    const registry = (): RegistryActor => {
      this.#assertOpen();
      return this.#engine.registry;
    };
    this.settings = new Settings(registry);
    this.locks = new Locks(registry);
    this.logs = engine.logs;
  }

  /** Work queues: elements created, claimed in FIFO order, and marked done or failed (see {@link Queues}). */
  get queues(): Queues {
    this.#assertOpen();
    return this.#engine.queues;
  }

  /** Named strings (see {@link Constants}). */
  get constants(): Constants {
    this.#assertOpen();
    return this.#engine.constants;
  }

  /** Usernames and passwords, the passwords encrypted at rest (see {@link Credentials}). */
  get credentials(): Credentials {
    this.#assertOpen();
    return this.#engine.credentials;
  }

  /** Cron schedules and queue triggers that start workflows (see {@link Triggers}). */
  get triggers(): Triggers {
    this.#assertOpen();
    return this.#triggers as Triggers;
  }

  /**
   * Opens the data folder (failing with STORE_LOCKED if another process has it), loads the
   * workflow and activity modules, starts the actors, and resumes every unfinished execution.
   */
  static async open(options: RuntimeOptions = {}): Promise<Runtime> {
    const resolved = resolveOptions(options);
    const resources = new ResourceLimiter(resolved.resources);
    const workflows = await loadWorkflows(resolved.workflows);
    const activities = await loadActivities(resolved.activities);
    const store = resolved.inMemory ? await openMemoryStore() : await openLevelStore(resolved.dataDir);
    let journal: Journal;
    try {
      journal = await Journal.open(store, resolved.durability);
    } catch (err) {
      await store.close();
      throw err;
    }
    journal.onFailure((err) => resolved.logger.error({ err }, 'the store failed; writes are refused until restart'));
    // A failure from here on undoes what was started, last first: otherwise the folder stays
    // locked and the next open in this process fails with STORE_LOCKED.
    const undo: Array<() => unknown> = [];
    try {
      const { actor, stop } = await startRegistry(journal, resolved.clock);
      undo.push(stop);
      const pool = new ActivityPool({
        threads: resolved.threads,
        concurrentTasksPerWorker: resolved.concurrentTasksPerWorker,
        typescript: [...activities.values()].some((url) => url.endsWith('.ts')),
      });
      undo.push(() => pool.close(0));
      const services: ServiceContext = {
        journal,
        registry: actor,
        clock: resolved.clock,
        logger: resolved.logger,
        options: resolved,
      };
      const queues = await openQueues(services);
      const { constants, credentials } = await openSecrets(services);
      const logFeed = new LogFeed();
      const supervisor = new Supervisor(
        {
          journal,
          pool,
          resources,
          clock: resolved.clock,
          logger: resolved.logger,
          executionLogger: executionLogger(journal, resolved.logger.level, logFeed, resolved.clock),
          activities,
          registry: actor,
          services: serviceCalls(queues, constants, credentials),
        },
        workflows,
        resolved.maxRunning,
        logFeed,
        resolved.dormantAfterMs,
      );
      undo.push(() => supervisor.close());
      const resumed = await supervisor.recover();
      if (resumed > 0) resolved.logger.info({ resumed }, 'resumed unfinished executions');
      const retention = startRetention(services, supervisor);
      undo.push(() => retention.stop());
      const logs = new Logs(journal, logFeed);
      undo.push(() => logs.close());
      const rt = new Runtime({
        options: resolved,
        services,
        journal,
        registry: actor,
        stopRegistry: stop,
        pool,
        supervisor,
        queues,
        constants,
        credentials,
        retention,
        logs,
      });
      rt.#triggers = await openTriggers(rt, services);
      return rt;
    } catch (err) {
      for (const step of undo.reverse())
        await Promise.resolve()
          .then(step)
          .catch(() => undefined);
      await journal.committed().catch(() => undefined);
      await journal.close().catch(() => undefined);
      throw err;
    }
  }

  get status(): RuntimeStatus {
    return this.#status;
  }

  /** The names of the registered workflows. */
  get workflows(): string[] {
    return this.#engine.supervisor.workflowNames;
  }

  /** Where the data lives. */
  get dataDir(): string {
    return this.#engine.journal.store.location;
  }

  /**
   * Starts an execution. Resolves once it is recorded (durably, in `fsync` mode), with a
   * handle; `result()` on the handle waits for the outcome.
   *
   * @example
   * await rt.start(basic, 1, 5);
   * await rt.start('basic', 1);
   * await rt.start({ workflow: 'basic', args: [1, 5], id: 'order-42' }); // kwargs, if any, arrive as one last argument
   */
  start<A extends unknown[], R>(workflow: Workflow<A, R>, ...args: A): Promise<ExecutionHandle<R>>;
  start(workflow: string, ...args: unknown[]): Promise<ExecutionHandle>;
  start(options: StartOptions): Promise<ExecutionHandle>;
  async start(first: Workflow | string | StartOptions, ...rest: unknown[]): Promise<ExecutionHandle> {
    this.#assertOpen();
    const { supervisor } = this.#engine;
    let name: string;
    let input: { args: unknown[]; kwargs?: Record<string, unknown> };
    let id: string | undefined;
    if (typeof first === 'string' || isWorkflow(first)) {
      name = typeof first === 'string' ? first : first.name;
      input = { args: rest };
    } else {
      if (typeof first !== 'object' || first === null)
        throw new InvalidArgumentError('start', 'pass a workflow, its name, or { workflow, args?, kwargs?, id? }');
      const { workflow, args = [], kwargs, id: givenId } = first;
      name = typeof workflow === 'string' ? workflow : workflow?.name;
      if (!Array.isArray(args)) throw new InvalidArgumentError('args', 'it must be a list of positional arguments');
      if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)))
        throw new InvalidArgumentError('kwargs', 'it must be an object of named arguments');
      input = { args, ...(kwargs !== undefined && { kwargs }) };
      id = givenId;
    }
    const { record, created } = await supervisor.start(name, input, id);
    return new ExecutionHandle(supervisor, this.#engine.options.clock, record.id, created);
  }

  /** A handle on an existing execution; EXECUTION_NOT_FOUND if there is none. */
  async get(id: string): Promise<ExecutionHandle> {
    this.#assertOpen();
    const { supervisor } = this.#engine;
    if (!(await supervisor.get(id))) throw new ExecutionNotFoundError(id);
    return new ExecutionHandle(supervisor, this.#engine.options.clock, id);
  }

  /** Executions in creation order, filtered by status and workflow, a page at a time. */
  async list(
    options: { status?: ExecutionStatus; workflow?: string; since?: number; limit?: number; cursor?: string } = {},
  ): Promise<ExecutionPage> {
    this.#assertOpen();
    const page = await this.#engine.supervisor.list(options);
    return { items: page.items.map((r) => toInfo(r)), ...(page.cursor !== undefined && { cursor: page.cursor }) };
  }

  /** The registry actor, for inspection (`getSnapshot()`, `subscribe()`); send it nothing directly. */
  get registryActor(): RegistryActor {
    return this.#engine.registry;
  }

  /**
   * Runs a retention pass now (as the timer does every `retention.intervalMs`): prunes the
   * finished executions that ended longer than `retention.maxAgeMs` ago, `batchSize` per
   * journal batch. Prunes nothing with `retention: false`.
   */
  runRetention(): Promise<RetentionPass> {
    this.#assertOpen();
    return this.#engine.retention.runOnce();
  }

  /** Counters for monitoring: executions by status, activity latency, pool use, group commits. */
  metrics(): RuntimeMetrics {
    const { supervisor, pool, journal } = this.#engine;
    return {
      executions: supervisor.statusCounts(),
      dormant: supervisor.dormantCount,
      activities: pool.latency(),
      pools: pool.stats(),
      journal: { ...journal.stats, batchSize: journal.batchSizes.snapshot() },
    };
  }

  /** Journal counters: batches and ops committed, the largest batch. */
  get journalStats(): Readonly<{ batches: number; ops: number; maxBatch: number }> {
    return { ...this.#engine.journal.stats };
  }

  /**
   * Stops the executions (unfinished ones resume when the folder is opened again), lets
   * running activities stop within `shutdownGraceMs`, commits what is pending and closes
   * the store. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#status = 'closing';
      const { journal, stopRegistry, supervisor, pool, options, retention, logs } = this.#engine;
      // Executions stop at once, before anything else can run: what is in flight stays as
      // recorded and resumes on reopen (a reply arriving later must not be recorded half-way).
      supervisor.close();
      logs.close();
      this.#closing = (async () => {
        await this.#triggers?.close();
        await retention.stop();
        await pool.close(options.shutdownGraceMs);
        await journal.committed().catch(() => undefined);
        stopRegistry();
        await journal.close();
      })().finally(() => {
        this.#status = 'closed';
      });
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#status !== 'open') throw new RuntimeClosedError();
  }
}
