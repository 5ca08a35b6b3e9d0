/**
 * Benchmark activity: does nothing. Also the task of the raw Piscina limit
 * (`bench/piscina-limit.ts` runs it by name), so both measure the same module.
 */
export function noop(): null {
  return null;
}
