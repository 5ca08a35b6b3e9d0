/** Pretends to charge an invoice: answers a receipt number (a real one would call a payment API). */
export function charge(reference: string, amount: number): string {
  if (!(amount > 0)) throw Object.assign(new Error(`invoice ${reference}: nothing to charge`), { code: 'NO_AMOUNT' });
  return `receipt-${reference}-${Math.round(amount * 100)}`;
}
