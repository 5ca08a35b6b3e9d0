import { InvalidArgumentError } from '../errors.js';
import type { RetryPattern, RetryPolicy } from '../workflow.js';

export interface ResolvedRetry {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
  nonRetryableErrors: readonly string[];
}

const DEFAULT_RETRY: ResolvedRetry = {
  maxAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maxIntervalMs: 60_000,
  nonRetryableErrors: [],
};

const PATTERNS: Record<RetryPattern, number> = { seconds: 1000, minutes: 60_000, hours: 3_600_000 };

/** Raw retry option → a policy with every field set; a bad field throws naming it. */
export function resolveRetry(raw: RetryPolicy | RetryPattern | undefined): ResolvedRetry {
  if (raw === undefined) return DEFAULT_RETRY;
  if (typeof raw === 'string') {
    const every = PATTERNS[raw];
    if (every === undefined)
      throw new InvalidArgumentError('retry', `use 'seconds', 'minutes', 'hours' or a policy object`);
    return { ...DEFAULT_RETRY, maxAttempts: 10, initialIntervalMs: every, backoffCoefficient: 1, maxIntervalMs: every };
  }
  const r = { ...DEFAULT_RETRY, ...raw };
  const positiveInt = (name: keyof ResolvedRetry, v: number, min: number): void => {
    if (!Number.isSafeInteger(v) || v < min)
      throw new InvalidArgumentError(`retry.${name}`, `it must be a whole number ≥ ${min}`);
  };
  positiveInt('maxAttempts', r.maxAttempts, 1);
  positiveInt('initialIntervalMs', r.initialIntervalMs, 0);
  positiveInt('maxIntervalMs', r.maxIntervalMs, 0);
  if (!(typeof r.backoffCoefficient === 'number' && r.backoffCoefficient >= 1))
    throw new InvalidArgumentError('retry.backoffCoefficient', 'it must be a number ≥ 1');
  if (!Array.isArray(r.nonRetryableErrors) || r.nonRetryableErrors.some((e) => typeof e !== 'string'))
    throw new InvalidArgumentError('retry.nonRetryableErrors', 'it must be a list of error names or codes');
  return r;
}

/** The wait before attempt `attempt + 1`, after `attempt` failed. */
export function retryDelay(policy: ResolvedRetry, attempt: number): number {
  const raw = policy.initialIntervalMs * policy.backoffCoefficient ** (attempt - 1);
  return Math.min(policy.maxIntervalMs, Math.round(raw));
}
