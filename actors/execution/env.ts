import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import type { ActivityPool } from '../../src/pool/activity-pool.js';
import type { ResourceLimiter } from '../../src/pool/resources.js';
import type { Journal } from '../../src/store/journal.js';
import type { RegistryActor } from '../registry.js';
import type { ExecutionRecord } from './history.js';

/** What workflows may ask of the runtime's services as recorded steps (`ctx.queue(…)`, `ctx.constant(…)`). */
export type ServiceOp =
  | 'queue.create'
  | 'queue.bulkCreate'
  | 'queue.next'
  | 'queue.list'
  | 'queue.get'
  | 'queue.setStatus'
  | 'queue.delete'
  | 'constant.get';

export interface ServiceCalls {
  /** A recorded step's call on `target` (a queue or constant name); `requestId` makes a repeat after a crash harmless. */
  call(op: ServiceOp, target: string, args: unknown[], requestId: string): Promise<unknown>;
  /** Read live, never recorded: a password must not enter the history. */
  credential(name: string): Promise<{ username: string; password: string }>;
}

/** Where each activity lives: its name → the file URL of the module that exports it. */
export type ActivityCatalog = ReadonlyMap<string, string>;

/** What every execution actor shares: the journal, the pool, time and the supervisor's hooks. */
export interface ExecutionEnv {
  journal: Journal;
  pool: ActivityPool;
  /** Named concurrency limits across all executions. */
  resources: ResourceLimiter;
  clock: Clock;
  logger: Logger;
  /** The logger behind `ctx.log`: printed and stored with the execution. */
  executionLogger: Logger;
  activities: ActivityCatalog;
  /** The registry actor: settings and locks are asked of it by message. */
  registry: RegistryActor;
  /** Queues, constants and credentials, for the workflow context. */
  services: ServiceCalls;
  /** Delivers a signal to an execution's inbox; resolves once it is committed. */
  sendSignal(target: string, name: string, payload: string, from?: string): Promise<void>;
  /** Starts a child execution (idempotent by id) and resolves with its record once it has ended. */
  runChild(
    workflow: string,
    input: { args: unknown[]; kwargs?: Record<string, unknown> },
    id: string,
    parentId: string,
  ): Promise<ExecutionRecord>;
  /** Cancels an unfinished execution (a child whose parent ended). */
  cancelChild(id: string, reason: string): void;
  /** Called once the final status is committed. */
  onFinal(record: ExecutionRecord): void;
  /** Called on every status change (committed or not yet), for subscribers. */
  onStatus(record: ExecutionRecord): void;
}
