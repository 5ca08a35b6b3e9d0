/** Small builders for the figures' ratios and targets. */
import type { FigureSpec, Mode } from '../workload.js';

type Target = NonNullable<FigureSpec['target']>;

/**
 * The figure `own` ÷ the limit `limit` (e.g. workflows/s ÷ no-op tasks/s); `from` turns the
 * limit into a rate first (e.g. one put's ms into puts/s).
 */
export function limitRatio(
  own: string,
  limit: string,
  of: string,
  from: (limit: number) => number = (l) => l,
): FigureSpec['ratio'] {
  return {
    of,
    value: (values, limits) => {
      const v = values[own];
      const l = limits[limit];
      return v === undefined || l === undefined ? undefined : v / from(l);
    },
  };
}

/** The figure `own` ÷ another figure of the same workload `other` (e.g. weft ÷ raw Piscina on as many threads). */
export function ownRatio(own: string, other: string, of: string): FigureSpec['ratio'] {
  return {
    of,
    value: (values) => {
      const v = values[own];
      const o = values[other];
      return v === undefined || o === undefined || o === 0 ? undefined : v / o;
    },
  };
}

/** Met when the value is at least `min`. */
export function atLeast(min: number, label: string): Target {
  return (value) => ({ label, met: value >= min });
}

/** Met when the value is at most `max`. */
export function atMost(max: number, label: string): Target {
  return (value) => ({ label, met: value <= max });
}

/** Met when the ratio is at least `min`. */
export function ratioAtLeast(min: number, label: string): Target {
  return (_value, _mode, ratio) => (ratio === undefined ? undefined : { label, met: ratio >= min });
}

/** The target only in `mode` (the issue states most of them in fsync mode). */
export function inMode(mode: Mode, target: Target): Target {
  return (value, m, ratio) => (m === mode ? target(value, m, ratio) : undefined);
}

export const fsyncTarget = (target: Target): Target => inMode('fsync', target);
