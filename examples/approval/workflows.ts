import { workflow } from '../../src/index.js';

/** What an approver sends with the `approve` signal. */
export interface Approval {
  by: string;
  comment?: string;
}

/**
 * Waits for someone to approve: answers the payload of the `approve` signal (the execution is
 * WAITING_SIGNAL meanwhile), or fails with SIGNAL_TIMEOUT when none comes within `timeoutMs`.
 * An `approve` sent before the workflow reaches its wait is kept in the execution's inbox.
 */
export const approval = workflow('approval', async (ctx, timeoutMs: number = 60_000): Promise<Approval> =>
  ctx.waitSignal<Approval>('approve', { timeoutMs }),
);
