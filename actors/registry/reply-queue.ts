import type { WeftError } from '../../src/errors.js';
import type { Journal } from '../../src/store/journal.js';
import type { Outcome, Reply } from './messages.js';

interface Deferred {
  seq: number;
  reply: Reply<unknown>;
  outcome: Outcome<unknown>;
}

/**
 * Holds replies until the journal has committed the batch that what they show is part of.
 * A reply issued while no batch is pending goes out at once; otherwise it waits for the
 * newest pending batch, which keeps both rules: a change is committed before it is
 * acknowledged, and no reply (a read included) shows state that is not yet committed.
 */
export class ReplyQueue {
  readonly #journal: Journal;
  #queue: Deferred[] = [];
  #head = 0;

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  send<T>(reply: Reply<T>, outcome: Outcome<T>): void {
    const seq = this.#journal.pendingSeq;
    if (seq === undefined) reply(outcome);
    else this.#queue.push({ seq, reply: reply as Reply<unknown>, outcome });
  }

  ok<T>(reply: Reply<T>, value: T): void {
    this.send(reply, { ok: true, value });
  }

  fail(reply: Reply<never>, error: WeftError): void {
    this.send(reply, { ok: false, error });
  }

  /** Delivers every reply whose batch is now committed, in the order they were issued. */
  committed(seq: number): void {
    const q = this.#queue;
    while (this.#head < q.length && (q[this.#head] as Deferred).seq <= seq) {
      const d = q[this.#head++] as Deferred;
      d.reply(d.outcome);
    }
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
    }
  }

  /** The journal failed: nothing pending was committed, so every waiting reply is an error. */
  failAll(error: WeftError): void {
    const pending = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    for (const d of pending) d.reply({ ok: false, error });
  }
}
