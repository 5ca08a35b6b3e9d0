import type { Outcome, Reply } from '../actors/registry/messages.js';

/** Request/reply over a mailbox: sends the message built around a reply channel, resolves with the answer. */
export function ask<T>(send: (reply: Reply<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    send((outcome: Outcome<T>) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)));
  });
}
