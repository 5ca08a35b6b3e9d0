import { InvalidArgumentError } from '../errors.js';

/** One attempt's claim on some resources: granted at once, or queued until they are free. */
export interface ResourceClaim {
  readonly names: readonly string[];
  granted: boolean;
  /** Gives the resources back (granted) or leaves the queue (waiting). Idempotent. */
  release(): void;
}

interface Waiting {
  claim: ResourceClaim;
  onGranted: () => void;
}

/**
 * Named concurrency limits shared by every execution (uTask's step resources): an activity
 * declaring `resources: ['smtp']` runs only while fewer than `limits.smtp` others hold
 * `smtp`. Claims are granted strictly in arrival order, all of an attempt's resources at
 * once, so no claim starves and none deadlocks holding half of what it needs.
 */
export class ResourceLimiter {
  readonly #limits: ReadonlyMap<string, number>;
  readonly #inUse = new Map<string, number>();
  #queue: Waiting[] = [];

  constructor(limits: Readonly<Record<string, number>>) {
    for (const [name, limit] of Object.entries(limits))
      if (!(Number.isSafeInteger(limit) && limit >= 1))
        throw new InvalidArgumentError(`resources.${name}`, 'a limit must be a whole number of at least 1');
    this.#limits = new Map(Object.entries(limits));
  }

  /** Throws naming a resource that has no limit. */
  check(names: readonly string[]): void {
    for (const name of names)
      if (!this.#limits.has(name))
        throw new InvalidArgumentError(
          'resources',
          `${JSON.stringify(name)} has no limit; declare it in Runtime.open({ resources })`,
        );
  }

  /** Claims `names`; `onGranted` runs (synchronously when they are free now) once they are held. */
  claim(names: readonly string[], onGranted: () => void): ResourceClaim {
    let done = false;
    const claim: ResourceClaim = {
      names,
      granted: false,
      release: () => {
        if (done) return;
        done = true;
        if (claim.granted) {
          for (const n of names) this.#inUse.set(n, (this.#inUse.get(n) ?? 1) - 1);
          this.#pump();
        } else this.#queue = this.#queue.filter((w) => w.claim !== claim);
      },
    };
    this.#queue.push({ claim, onGranted });
    this.#pump();
    return claim;
  }

  /** How many hold each resource now, and how many attempts wait. */
  stats(): { inUse: Record<string, number>; waiting: number } {
    return { inUse: Object.fromEntries(this.#inUse), waiting: this.#queue.length };
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Waiting;
      if (!head.claim.names.every((n) => (this.#inUse.get(n) ?? 0) < (this.#limits.get(n) ?? 0))) return;
      this.#queue.shift();
      for (const n of head.claim.names) this.#inUse.set(n, (this.#inUse.get(n) ?? 0) + 1);
      head.claim.granted = true;
      head.onGranted();
    }
  }
}
