/**
 * The scheduler's own asynchronous work in progress (starts, claims, status writes), so
 * closing can wait for it: a claim that lands after the close must still be written down.
 */
export class InFlight {
  readonly #promises = new Set<Promise<void>>();

  /** Its outcome is the caller's to handle: a rejection here is only waited for. */
  track(promise: Promise<unknown>): void {
    const done = (): void => void this.#promises.delete(tracked);
    const tracked: Promise<void> = promise.then(done, done);
    this.#promises.add(tracked);
  }

  /** Resolves once nothing is in flight, including work that finishing work starts. */
  async settled(): Promise<void> {
    while (this.#promises.size > 0) await Promise.all([...this.#promises]);
  }
}
