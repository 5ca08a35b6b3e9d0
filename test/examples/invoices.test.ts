/**
 * The invoices example (examples/invoices): a workflow drains a queue through recorded steps,
 * and a queue trigger charges each invoice as it arrives; both mark good invoices DONE with a
 * receipt and the one with nothing to charge FAILED.
 */
import { afterEach, expect, it } from 'vitest';
import { chargeInvoice, drainInvoices } from '../../examples/invoices/workflows.js';
import { cleanup, open } from '../fixtures/harness.js';

afterEach(cleanup);

const ACTIVITIES = new URL('../../examples/invoices/activities.ts', import.meta.url);
const INVOICES = [
  { reference: 'INV-1', data: { amount: 12.5 } },
  { reference: 'INV-2', data: { amount: 0 } },
  { reference: 'INV-3', data: { amount: 3 } },
];

const statuses = async (rt: Awaited<ReturnType<typeof open>>): Promise<Record<string, [string, string?]>> =>
  Object.fromEntries(
    (await rt.queues.list('invoices')).map((e) => [e.reference, [e.status, e.message]] as const),
  ) as Record<string, [string, string?]>;

it('drainInvoices claims every invoice and marks each', async () => {
  const rt = await open({ workflows: [drainInvoices, chargeInvoice], activities: [ACTIVITIES] });
  await rt.queues.bulkCreate('invoices', INVOICES);
  expect(await (await rt.start(drainInvoices)).result()).toBe(2);
  const byReference = await statuses(rt);
  expect(byReference['INV-1']).toEqual(['DONE', 'receipt-INV-1-1250']);
  expect(byReference['INV-3']).toEqual(['DONE', 'receipt-INV-3-300']);
  expect(byReference['INV-2']?.[0]).toBe('FAILED');
});

it('a queue trigger charges each invoice as it arrives', async () => {
  const rt = await open({ workflows: [drainInvoices, chargeInvoice], activities: [ACTIVITIES] });
  await rt.triggers.create({ kind: 'queue', name: 'invoice-worker', workflow: 'chargeInvoice', queue: 'invoices' });
  await rt.queues.bulkCreate('invoices', INVOICES);
  await expect
    .poll(async () => Object.values(await statuses(rt)).filter(([status]) => status === 'DONE' || status === 'FAILED'))
    .toHaveLength(3);
  const byReference = await statuses(rt);
  expect(byReference['INV-1']?.[0]).toBe('DONE');
  expect(byReference['INV-1']?.[1]).toContain('receipt-INV-1-1250');
  expect(byReference['INV-2']?.[0]).toBe('FAILED');
  expect(byReference['INV-2']?.[1]).toContain('nothing to charge');
});
