/**
 * The peak resident set size while something runs: sampled every `intervalMs` (a busy event
 * loop samples less often, so the peak is a lower bound) and once at the end.
 */
export class RssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 25) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  /** Stops sampling; answers the peak, bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak;
  }

  #sample(): void {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }
}

/** The peak of a value read every `intervalMs` elsewhere (a daemon's RSS from its /metrics); read errors are skipped. */
export class PolledPeak {
  #peak = 0;
  #reading: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;
  readonly #read: () => Promise<number>;

  constructor(read: () => Promise<number>, intervalMs = 200) {
    this.#read = read;
    this.#poll();
    this.#timer = setInterval(() => this.#poll(), intervalMs);
    this.#timer.unref();
  }

  /** Stops polling after one last read; answers the peak. */
  async stop(): Promise<number> {
    clearInterval(this.#timer);
    this.#poll();
    await this.#reading;
    return this.#peak;
  }

  #poll(): void {
    this.#reading = this.#reading.then(() =>
      this.#read().then(
        (value) => void (this.#peak = Math.max(this.#peak, value)),
        () => undefined,
      ),
    );
  }
}

/** Runs a full collection when the process was started with `--expose-gc`; answers whether it could. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

export const MiB = 1024 * 1024;
