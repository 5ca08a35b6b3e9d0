/** The report's activities: they run in worker threads. */

/** One part's figure: its square. */
export function square(n: number): number {
  return n * n;
}
