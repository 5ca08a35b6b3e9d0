/**
 * CI is a busy 2-core machine: a condition a test waits for may take seconds to come true.
 * `vi.waitFor` gives up after 1 s unless told otherwise; here it waits up to 30 s by default
 * (a test still passes as soon as the condition holds, and never asserts a time).
 */
import { vi } from 'vitest';

const waitFor = vi.waitFor.bind(vi);
vi.waitFor = (callback, options) =>
  waitFor(callback, typeof options === 'number' ? options : { timeout: 30_000, interval: 20, ...options });
