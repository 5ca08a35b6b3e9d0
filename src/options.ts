import type { Logger } from 'pino';
import { defaultLogger } from './logger.js';
import { systemClock, type Clock } from './clock.js';
import { InvalidArgumentError } from './errors.js';
import { availableParallelism } from 'node:os';
import type { Durability } from './store/journal.js';
import type { Workflow } from './workflow.js';

/** Options of {@link Runtime.open}; every one has a documented default. */
export interface RuntimeOptions {
  /** The data folder (LevelDB and the journal's log). Created if missing. @default './weft-data' */
  dataDir?: string;
  /**
   * `fsync`: nothing acknowledged is lost, even on power loss. `process`: survives the
   * process being killed, not the machine losing power; faster for chains of dependent steps.
   * @default 'fsync'
   */
  durability?: Durability;
  /** Keep everything in memory instead of a data folder (tests, throwaway runs). @default false */
  inMemory?: boolean;
  /** The clock for timeouts and leases; tests pass a `ManualClock`. @default the system clock */
  clock?: Clock;
  /** A pino logger; by default one at `LOG_LEVEL` (or `info`) writing to stderr. */
  logger?: Logger;
  /** Workflow definitions (from `workflow()`), or paths/URLs of modules that export them. @default [] */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions of any argument types
  workflows?: ReadonlyArray<Workflow<any, any> | string | URL>;
  /** Paths or URLs of modules whose exported functions are activities (TypeScript needs no build). @default [] */
  activities?: ReadonlyArray<string | URL>;
  /** Worker threads per task list. @default the number of cores */
  threads?: number;
  /** Activities in flight per thread (I/O-bound activities overlap). @default 16 */
  concurrentTasksPerWorker?: number;
  /** Executions running at once; the rest wait PENDING and start in FIFO order. @default Infinity */
  maxRunning?: number;
  /** On close, how long running activities may take to stop before their threads are ended. @default 5000 */
  shutdownGraceMs?: number;
  /**
   * An execution that has waited only on signals (no deadline) for this long is made dormant:
   * its actor leaves memory and is rebuilt by replay when a signal comes, so waiting
   * executions cost a small record each. `Infinity` keeps every actor in memory. @default 1000
   */
  dormantAfterMs?: number;
  /** Named concurrency limits for activities' `resources` option, e.g. `{ smtp: 2 }`. @default {} */
  resources?: Readonly<Record<string, number>>;
  /**
   * Finished executions (record, history, signals, logs) are pruned once they ended longer
   * ago than `maxAgeMs`, in the background, `batchSize` at a time every `intervalMs`;
   * `false` keeps everything. @default { maxAgeMs: 30 days, intervalMs: 1 hour, batchSize: 500 }
   */
  retention?: RetentionOptions | false;
  /**
   * The key credentials' passwords are encrypted with (AES-256-GCM): 32 bytes in base64.
   * @default WEFT_SECRET_KEY, else `<dataDir>/secret.key` (created on first open, mode 0600)
   */
  secretKey?: string;
}

export interface RetentionOptions {
  maxAgeMs?: number;
  intervalMs?: number;
  batchSize?: number;
}

export interface ResolvedOptions {
  dataDir: string;
  durability: Durability;
  inMemory: boolean;
  clock: Clock;
  logger: Logger;
  workflows: ReadonlyArray<Workflow | string | URL>;
  activities: ReadonlyArray<string | URL>;
  threads: number;
  concurrentTasksPerWorker: number;
  maxRunning: number;
  shutdownGraceMs: number;
  dormantAfterMs: number;
  resources: Readonly<Record<string, number>>;
  retention: Required<RetentionOptions> | false;
  secretKey: string | undefined;
}

const DAY = 24 * 60 * 60 * 1000;
const DURABILITIES: readonly Durability[] = ['fsync', 'process'];

export function resolveOptions(raw: RuntimeOptions = {}): ResolvedOptions {
  if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError('options', 'pass an object');
  const dataDir = raw.dataDir ?? './weft-data';
  if (typeof dataDir !== 'string' || dataDir.length === 0)
    throw new InvalidArgumentError('dataDir', 'it must be a folder path');
  const durability = raw.durability ?? 'fsync';
  if (!DURABILITIES.includes(durability))
    throw new InvalidArgumentError('durability', `it must be 'fsync' or 'process', not ${JSON.stringify(durability)}`);
  const inMemory = raw.inMemory ?? false;
  if (typeof inMemory !== 'boolean') throw new InvalidArgumentError('inMemory', 'it must be true or false');
  const clock = raw.clock ?? systemClock;
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function')
    throw new InvalidArgumentError('clock', 'it must implement now(), setTimeout() and clearTimeout()');
  const logger = raw.logger ?? defaultLogger('info');
  const workflows = raw.workflows ?? [];
  if (!Array.isArray(workflows)) throw new InvalidArgumentError('workflows', 'it must be a list');
  const activities = raw.activities ?? [];
  if (!Array.isArray(activities))
    throw new InvalidArgumentError('activities', 'it must be a list of module paths or URLs');
  const count = (name: string, value: number | undefined, fallback: number, min: number, unbounded = false): number => {
    const v = value ?? fallback;
    if (!((unbounded && v === Infinity) || (Number.isSafeInteger(v) && v >= min)))
      throw new InvalidArgumentError(name, `it must be a whole number of at least ${min}`);
    return v;
  };
  return {
    dataDir,
    durability,
    inMemory,
    clock,
    logger,
    workflows: workflows as ReadonlyArray<Workflow | string | URL>,
    activities,
    threads: count('threads', raw.threads, availableParallelism(), 1),
    concurrentTasksPerWorker: count('concurrentTasksPerWorker', raw.concurrentTasksPerWorker, 16, 1),
    maxRunning: count('maxRunning', raw.maxRunning, Infinity, 1, true),
    shutdownGraceMs: count('shutdownGraceMs', raw.shutdownGraceMs, 5000, 0),
    dormantAfterMs: count('dormantAfterMs', raw.dormantAfterMs, 1000, 0, true),
    resources: raw.resources ?? {},
    retention: resolveRetention(raw.retention),
    secretKey: raw.secretKey,
  };
}

function resolveRetention(raw: RetentionOptions | false | undefined): Required<RetentionOptions> | false {
  if (raw === false) return false;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null))
    throw new InvalidArgumentError('retention', 'it must be { maxAgeMs?, intervalMs?, batchSize? } or false');
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!(Number.isSafeInteger(v) && v >= 1))
      throw new InvalidArgumentError(`retention.${name}`, 'it must be a whole number of at least 1');
    return v;
  };
  return {
    maxAgeMs: positive('maxAgeMs', raw?.maxAgeMs, 30 * DAY),
    intervalMs: positive('intervalMs', raw?.intervalMs, 60 * 60 * 1000),
    batchSize: positive('batchSize', raw?.batchSize, 500),
  };
}
