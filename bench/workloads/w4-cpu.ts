/**
 * `w4-cpu`: CPU-bound activities in one fan-out, on 1, 2, … `--threads` threads, each beside
 * raw Piscina running the same tasks on as many threads just before it (so both see the same
 * neighbours on a shared machine).
 */
import { piscinaCpu } from '../piscina-limit.js';
import { calibrateCpu, cpuTaskMs, CPU_TASK_MS, w4 } from '../workflows.js';
import { scaled, type FigureSpec, type Series, type Workload } from '../workload.js';
import { atLeast, fsyncTarget, ownRatio } from './targets.js';

export interface W4Sizes {
  /** CPU-bound activities per thread count. */
  activities: number;
  threads: number[];
}

export const w4Cpu: Workload<W4Sizes> = {
  name: 'w4-cpu',
  sizes: ({ scale, threads }) => ({
    activities: scaled(40, scale, 4),
    threads: Array.from({ length: threads }, (_, i) => i + 1),
  }),
  figures: (s) => {
    const max = s.threads[s.threads.length - 1] as number;
    const perThreads: FigureSpec[] = s.threads.flatMap((t) => [
      {
        key: `rawPerSec_t${t}`,
        label: `raw Piscina, ${s.activities} CPU tasks, ${t} thread${t > 1 ? 's' : ''} (limit)`,
        unit: 'tasks/s',
        better: 'higher' as const,
      },
      {
        key: `activitiesPerSec_t${t}`,
        label: `${s.activities} CPU activities, ${t} thread${t > 1 ? 's' : ''}`,
        unit: 'activities/s',
        better: 'higher' as const,
        ratio: ownRatio(`activitiesPerSec_t${t}`, `rawPerSec_t${t}`, `raw Piscina on ${t} thread${t > 1 ? 's' : ''}`),
      },
    ]);
    return [
      { key: 'cpuTaskMs', label: 'one CPU task on the main thread', unit: 'ms', better: 'none' },
      ...perThreads,
      ...(max > 1
        ? [
            {
              key: 'rawSpeedUp',
              label: `raw Piscina speed-up, 1 → ${max} threads (limit)`,
              unit: '×',
              better: 'higher' as const,
            },
            {
              key: 'speedUp',
              label: `speed-up, 1 → ${max} threads`,
              unit: '×',
              better: 'higher' as const,
              ratio: ownRatio('speedUp', 'rawSpeedUp', 'raw Piscina speed-up'),
              ...(max === 2 && { target: fsyncTarget(atLeast(1.8, '≥ 1.8×')) }),
            },
          ]
        : []),
    ];
  },
  notes: [
    `w4-cpu: each activity hashes for about ${CPU_TASK_MS} ms, a fixed amount of work calibrated once on the main thread;`,
    '  on a shared machine the rates move with the neighbours: compare each with raw Piscina beside it.',
  ],
  async run(ctx, s) {
    const rounds = calibrateCpu();
    const values: Record<string, number> = { cpuTaskMs: cpuTaskMs(rounds) };
    const weft: Series = {
      chart: 'w4-threads',
      title: 'W4: CPU-bound activities vs threads',
      name: 'weft',
      x: 'threads',
      y: 'activities/s',
      points: [],
    };
    const raw: Series = { ...weft, name: 'raw Piscina', points: [] };
    let completed = 0;
    for (const t of s.threads) {
      ctx.progress(`threads ${t}`);
      values[`rawPerSec_t${t}`] = await piscinaCpu(t, s.activities, rounds);
      const m = await w4(ctx, t, s.activities, rounds);
      values[`activitiesPerSec_t${t}`] = m.perSec;
      completed += m.completed;
      weft.points.push([t, m.perSec]);
      raw.points.push([t, values[`rawPerSec_t${t}`] as number]);
    }
    const max = s.threads[s.threads.length - 1] as number;
    if (max > 1) {
      values.speedUp = (values[`activitiesPerSec_t${max}`] as number) / (values.activitiesPerSec_t1 as number);
      values.rawSpeedUp = (values[`rawPerSec_t${max}`] as number) / (values.rawPerSec_t1 as number);
    }
    return { values, series: [weft, raw], counts: { submitted: s.activities * s.threads.length, completed } };
  },
};
