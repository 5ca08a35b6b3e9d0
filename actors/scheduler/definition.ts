import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, InvalidNameError, WorkflowNotFoundError } from '../../src/errors.js';
import { assertName } from '../../src/names.js';
import { encodeValue } from '../../src/store/codec.js';
import type { CatchUp, CronTriggerRecord, Overlap, QueueTriggerRecord, TriggerRecord } from './messages.js';
import { assertFires, compileCron } from './schedule.js';

export type { CatchUp, Overlap } from './messages.js';

/** Starts `workflow` on a cron expression. */
export interface CronTriggerDefinition {
  kind: 'cron';
  /** Names its executions too (`<name>:<time>`), so at most {@link MAX_TRIGGER_NAME} characters. */
  name: string;
  workflow: string;
  /** Each execution's input. @default { args: [] } */
  input?: { args?: unknown[]; kwargs?: Record<string, unknown> };
  /** Five fields (minute hour day month weekday), six (seconds first), or `@hourly`, `@daily`… */
  cron: string;
  /** IANA zone the expression is read in. @default 'UTC' */
  timezone?: string;
  /** @default 'skip' */
  overlap?: Overlap;
  /** @default 'latest' */
  catchUp?: CatchUp;
  /** @default false */
  paused?: boolean;
}

/** Starts `workflow` once per NEW element of `queue`, at most `concurrency` at a time. */
export interface QueueTriggerDefinition {
  kind: 'queue';
  name: string;
  workflow: string;
  queue: string;
  /** @default 1 */
  concurrency?: number;
  /** @default false */
  paused?: boolean;
}

export type TriggerDefinition = CronTriggerDefinition | QueueTriggerDefinition;

/** Leaves room in an execution id (256 characters) for `:` and a time or an element id. */
export const MAX_TRIGGER_NAME = 200;
export const MAX_CONCURRENCY = 1000;

const CRON_FIELDS = new Set(['kind', 'name', 'workflow', 'input', 'cron', 'timezone', 'overlap', 'catchUp', 'paused']);
const QUEUE_FIELDS = new Set(['kind', 'name', 'workflow', 'queue', 'concurrency', 'paused']);

/** Checks a definition (every rule names the field it is about) and builds the record to store. */
export function toTriggerRecord(
  definition: TriggerDefinition,
  workflows: readonly string[],
  now: number,
): TriggerRecord {
  if (typeof definition !== 'object' || definition === null)
    throw new InvalidArgumentError('trigger', "it must be an object with kind 'cron' or 'queue'");
  const { kind, name, workflow } = definition;
  if (kind !== 'cron' && kind !== 'queue')
    throw new InvalidArgumentError('kind', `it must be 'cron' or 'queue', not ${JSON.stringify(kind)}`);
  const fields = kind === 'cron' ? CRON_FIELDS : QUEUE_FIELDS;
  for (const field of Object.keys(definition))
    if (!fields.has(field)) throw new InvalidArgumentError(field, `a ${kind} trigger has no such field`);
  assertName('trigger name', name);
  if (name.length > MAX_TRIGGER_NAME)
    throw new InvalidNameError('trigger name', name, `it must be at most ${MAX_TRIGGER_NAME} characters long`);
  if (typeof workflow !== 'string' || !workflows.includes(workflow))
    throw new WorkflowNotFoundError(String(workflow), workflows);
  const paused = definition.paused ?? false;
  if (typeof paused !== 'boolean') throw new InvalidArgumentError('paused', 'it must be true or false');
  const base = { name, uid: randomUUID(), workflow, paused, createdAt: now, updatedAt: now, runs: [] };
  if (kind === 'queue') return queueRecord(definition, base);
  return cronRecord(definition, base, now);
}

type Base = Pick<TriggerRecord, 'name' | 'uid' | 'workflow' | 'paused' | 'createdAt' | 'updatedAt' | 'runs'>;

function cronRecord(definition: CronTriggerDefinition, base: Base, now: number): CronTriggerRecord {
  const { cron, timezone, overlap = 'skip', catchUp = 'latest' } = definition;
  const nextAt = assertFires(cron, compileCron(cron, timezone), now);
  if (overlap !== 'skip' && overlap !== 'allow')
    throw new InvalidArgumentError('overlap', `it must be 'skip' or 'allow', not ${JSON.stringify(overlap)}`);
  if (catchUp !== 'none' && catchUp !== 'latest' && catchUp !== 'all')
    throw new InvalidArgumentError('catchUp', `it must be 'none', 'latest' or 'all', not ${JSON.stringify(catchUp)}`);
  return {
    kind: 'cron',
    ...base,
    cron: cron.trim(),
    ...(timezone !== undefined && { timezone }),
    input: encodeValue(inputOf(definition.input)),
    overlap,
    catchUp,
    nextAt,
    pending: [],
  };
}

function queueRecord(definition: QueueTriggerDefinition, base: Base): QueueTriggerRecord {
  const { queue, concurrency = 1 } = definition;
  assertName('queue name', queue);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY)
    throw new InvalidArgumentError('concurrency', `it must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  return { kind: 'queue', ...base, queue, concurrency, claimed: [] };
}

function inputOf(input: CronTriggerDefinition['input']): { args: unknown[]; kwargs?: Record<string, unknown> } {
  if (input === undefined) return { args: [] };
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidArgumentError('input', 'it must be { args?: [...], kwargs?: {...} }');
  for (const key of Object.keys(input))
    if (key !== 'args' && key !== 'kwargs') throw new InvalidArgumentError('input', `it has no field ${key}`);
  const { args = [], kwargs } = input;
  if (!Array.isArray(args)) throw new InvalidArgumentError('input.args', 'it must be a list of positional arguments');
  if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)))
    throw new InvalidArgumentError('input.kwargs', 'it must be an object of named arguments');
  return { args, ...(kwargs !== undefined && { kwargs }) };
}
