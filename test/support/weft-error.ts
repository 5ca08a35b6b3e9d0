/** Assertion helpers for calls that must fail with a WeftError. */
import { expect } from 'vitest';
import { WeftError, type ErrorCode } from '../../src/index.js';

/** Runs `fn` and returns the WeftError it throws or rejects with. */
export async function failure(fn: () => unknown): Promise<WeftError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WeftError);
    return err as WeftError;
  }
  throw new Error('expected a WeftError, but the call succeeded');
}

export async function codeOf(fn: () => unknown): Promise<ErrorCode> {
  return (await failure(fn)).code;
}
