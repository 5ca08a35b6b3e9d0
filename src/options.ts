import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { InvalidArgumentError } from './errors.js';
import type { Durability } from './store/journal.js';

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
}

export interface ResolvedOptions {
  dataDir: string;
  durability: Durability;
  inMemory: boolean;
  clock: Clock;
  logger: Logger;
}

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
  const logger = raw.logger ?? pino({ level: process.env.LOG_LEVEL?.toLowerCase() ?? 'info' }, pino.destination(2));
  return { dataDir, durability, inMemory, clock, logger };
}
