/** Benchmark activity: the cheapest activity with an argument and a result to check. */
export function increment(x: number): number {
  return x + 1;
}
