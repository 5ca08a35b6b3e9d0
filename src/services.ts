import type { Logger } from 'pino';
import type { RegistryActor } from '../actors/registry.js';
import type { Clock } from './clock.js';
import type { ResolvedOptions } from './options.js';
import type { Journal } from './store/journal.js';

/** What the runtime's services (queues, constants, credentials, triggers, retention) are built from. */
export interface ServiceContext {
  journal: Journal;
  registry: RegistryActor;
  clock: Clock;
  logger: Logger;
  options: ResolvedOptions;
}
