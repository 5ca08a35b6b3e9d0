import type { Workflow } from '../../src/workflow.js';
import type { ExecutionEnv } from './env.js';
import type { ExecutionEvent } from './events.js';
import type { HistoryEvent } from './history.js';

/** What every kind of step gets from its execution: the shared env, the mailbox, the history. */
export interface StepHost {
  readonly env: ExecutionEnv;
  readonly executionId: string;
  readonly defaultTaskList: Workflow['taskList'];
  /** Sends an event to the execution actor's mailbox. */
  send(event: ExecutionEvent): void;
  /** Appends an event to the history; answers the journal batch it joined. */
  append(event: HistoryEvent): number;
  /** Runs `fn` once that batch is committed. */
  afterCommit(seq: number, fn: () => void): void;
  /** True once the execution ended (or the runtime is closing): no new effects. */
  isFinal(): boolean;
}

/** The highest step number among `steps` (0 when none): where replay of a history ends. */
export function lastStep(steps: Iterable<number>): number {
  let last = 0;
  for (const step of steps) if (step > last) last = step;
  return last;
}
