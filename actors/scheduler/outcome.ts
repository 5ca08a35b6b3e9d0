import { WeftError } from '../../src/errors.js';
import type { ExecutionOutcome } from './host.js';
import type { ElementOutcome } from './messages.js';

/** Queue element messages hold at most this many bytes of an execution's result or error. */
export const MESSAGE_BYTES = 1024;

export function toWeftError(err: unknown): WeftError {
  if (err instanceof WeftError) return err;
  return new WeftError('INTERNAL', err instanceof Error ? err.message : String(err));
}

/** `CODE: message`, as a queue element's message and a run's detail. */
export function describeError(err: unknown): string {
  const error = toWeftError(err);
  return truncateBytes(`${error.code}: ${error.message}`, MESSAGE_BYTES);
}

/** DONE with the result as JSON, or FAILED with `CODE: message`; either cut to {@link MESSAGE_BYTES}. */
export function elementOutcome(outcome: ExecutionOutcome): ElementOutcome {
  if (!outcome.ok) return { status: 'FAILED', message: describeError(outcome.error) };
  let json: string;
  try {
    json = JSON.stringify(outcome.result ?? null) ?? 'null';
  } catch {
    json = JSON.stringify(String(outcome.result)); // a BigInt, a cycle: still something to show
  }
  return { status: 'DONE', message: truncateBytes(json, MESSAGE_BYTES) };
}

/** `text` cut to `bytes` of UTF-8 (ending in `…` when cut), never in the middle of a character. */
export function truncateBytes(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  const ellipsis = '…';
  const cut = buffer.subarray(0, bytes - Buffer.byteLength(ellipsis)).toString('utf8');
  return cut.replace(/\uFFFD$/, '') + ellipsis;
}
