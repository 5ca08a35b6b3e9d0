import { workflow } from '../../src/index.js';
import type * as activities from './activities.js';

export interface Invoice {
  amount: number;
}

/**
 * Charges one invoice: the workflow a queue trigger starts for each element of `invoices`
 * (`weft trigger add-queue invoice-worker chargeInvoice invoices`). The trigger sets the
 * element DONE with the receipt, or FAILED with the error.
 */
export const chargeInvoice = workflow(
  'chargeInvoice',
  async (ctx, element: { id: string; reference?: string; data?: Invoice }): Promise<string> => {
    const { charge } = ctx.activities<typeof activities>({
      retry: { maxAttempts: 3, nonRetryableErrors: ['NO_AMOUNT'] },
    });
    return charge(element.reference ?? element.id, element.data?.amount ?? 0);
  },
);

/**
 * Drains the queue itself, as an OpenOrchestrator process does: claims each NEW invoice,
 * charges it, and marks it DONE with the receipt or FAILED with the error.
 */
export const drainInvoices = workflow('drainInvoices', async (ctx, queue: string = 'invoices'): Promise<number> => {
  const { charge } = ctx.activities<typeof activities>();
  const invoices = ctx.queue<Invoice>(queue);
  let charged = 0;
  for (let e = await invoices.next(); e; e = await invoices.next()) {
    try {
      await invoices.setStatus(e.id, 'DONE', await charge(e.reference ?? e.id, e.data?.amount ?? 0));
      charged++;
    } catch (err) {
      await invoices.setStatus(e.id, 'FAILED', (err as Error).message);
    }
  }
  ctx.log.info({ charged }, 'invoices drained');
  return charged;
});
