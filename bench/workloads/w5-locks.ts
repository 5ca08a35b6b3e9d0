/**
 * `w5-locks`: hand-offs of one lock between K contenders (K = 2, 10, 100), and uncontended
 * acquire+release pairs by 100 clients on their own locks. The registry issue's targets:
 * pairs ≥ 30,000/s in fsync; hand-offs (100 contenders) ≥ 20,000/s in process mode and
 * ≥ 0.8 × one synced put's rate in fsync.
 */
import { CLIENTS, handoffs, lockPairs } from '../registry.js';
import { scaled, type FigureSpec, type Series, type Workload } from '../workload.js';
import { atLeast, fsyncTarget, limitRatio, ratioAtLeast } from './targets.js';

export interface W5Sizes {
  handoffs: number;
  pairs: number;
  contenders: number[];
}

const n = (x: number): string => x.toLocaleString('en-US');

/** fsync mode runs a quarter of the operations: each one waits for the disk. */
const forMode = (x: number, mode: string): number => (mode === 'fsync' ? Math.max(50, Math.round(x / 4)) : x);

export const w5Locks: Workload<W5Sizes> = {
  name: 'w5-locks',
  sizes: ({ scale }) => ({
    handoffs: scaled(10_000, scale, 200),
    pairs: scaled(20_000, scale, 200),
    contenders: [2, 10, CLIENTS],
  }),
  figures: (s) => {
    const perK: FigureSpec[] = s.contenders.map((k) => ({
      key: k === CLIENTS ? 'handoffsPerSec' : `handoffsPerSec_k${k}`,
      label: `hand-offs, 1 lock, ${k} contenders`,
      unit: 'hand-offs/s',
      better: 'higher' as const,
      ...(k === CLIENTS && {
        ratio: limitRatio(
          'handoffsPerSec',
          'rawPutLatencyMs',
          'one raw put awaited at a time (1000 ÷ ms)',
          (ms) => 1000 / ms,
        ),
        target: (v: number, mode: string, ratio: number | undefined) =>
          mode === 'process'
            ? atLeast(20_000, '≥ 20,000/s')(v, mode, ratio)
            : mode === 'fsync'
              ? ratioAtLeast(0.8, '≥ 0.8 × 1/synced put')(v, mode, ratio)
              : undefined,
      }),
    }));
    return [
      ...perK,
      {
        key: 'pairsPerSec',
        label: `acquire+release, ${CLIENTS} clients on their own locks`,
        unit: 'pairs/s',
        better: 'higher',
        ratio: limitRatio('pairsPerSec', 'rawBatchPutsPerSec', 'raw batch puts/s ÷ 2', (l) => l / 2),
        target: fsyncTarget(atLeast(30_000, '≥ 30,000/s')),
      },
    ];
  },
  latency: { of: `acquire + release, ${CLIENTS} clients on their own locks` },
  usesLimits: true,
  notes: [
    `w5-locks, w6-settings: fsync mode runs a quarter of the operations (each waits for the disk); sizes show process mode's.`,
  ],
  async run(ctx, s) {
    const values: Record<string, number> = {};
    const line: Series = {
      chart: 'w5-contenders',
      title: 'W5: lock hand-offs vs contenders',
      name: 'weft',
      x: 'contenders',
      y: 'hand-offs/s',
      points: [],
    };
    let submitted = 0;
    for (const k of s.contenders) {
      ctx.progress(`${n(k)} contenders`);
      const ops = forMode(s.handoffs, ctx.mode);
      const rate = await handoffs(ctx, ops, k);
      values[k === CLIENTS ? 'handoffsPerSec' : `handoffsPerSec_k${k}`] = rate;
      line.points.push([k, rate]);
      submitted += ops;
    }
    ctx.progress('pairs');
    const latenciesMs: number[] = [];
    const pairs = forMode(s.pairs, ctx.mode);
    values.pairsPerSec = await lockPairs(ctx, pairs, latenciesMs);
    // `rate` runs every operation or rejects: what it ran is what was asked.
    return {
      values,
      latenciesMs,
      series: [line],
      counts: { submitted: submitted + pairs, completed: submitted + latenciesMs.length },
    };
  },
};
