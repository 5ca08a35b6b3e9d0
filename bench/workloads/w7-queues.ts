/**
 * `w7-queues`: bulk create of N elements, then claim-and-complete cycles by 8 consumers,
 * each beside raw LevelDB writing the same keys, measured in the same run and mode. The
 * measurement is the queues helper's `queueBench` (bench/queues.ts).
 */
import { queueBench } from '../queues.js';
import { scaled, type Workload } from '../workload.js';
import { ownRatio } from './targets.js';

export interface W7Sizes {
  elements: number;
  consumers: number;
}

export const w7Queues: Workload<W7Sizes> = {
  name: 'w7-queues',
  sizes: ({ scale }) => ({ elements: scaled(100_000, scale, 500), consumers: 8 }),
  figures: (s) => [
    {
      key: 'rawBulkElementsPerSec',
      label: 'raw LevelDB, the same keys as bulk create (limit)',
      unit: 'elements/s',
      better: 'higher',
    },
    {
      key: 'bulkCreatePerSec',
      label: `bulk create, ${s.elements.toLocaleString('en-US')} elements, 10,000 per call`,
      unit: 'elements/s',
      better: 'higher',
      ratio: ownRatio('bulkCreatePerSec', 'rawBulkElementsPerSec', 'raw LevelDB writing the same keys'),
    },
    { key: 'rawBatchPutsPerSec', label: 'raw LevelDB puts, batches of 100 (limit)', unit: 'puts/s', better: 'higher' },
    {
      key: 'cyclesPerSec',
      label: `claim + complete, ${s.consumers} consumers`,
      unit: 'cycles/s',
      better: 'higher',
      ratio: {
        of: 'raw batch puts/s ÷ 8 (a cycle writes 8 keys)',
        value: (own) =>
          own.cyclesPerSec === undefined || own.rawBatchPutsPerSec === undefined
            ? undefined
            : own.cyclesPerSec / (own.rawBatchPutsPerSec / 8),
      },
    },
  ],
  latency: { of: 'one claim + complete, 8 consumers' },
  notes: ['w7-queues: fsync mode runs a quarter of the claim-complete cycles (each waits for the disk).'],
  async run(ctx, s) {
    const out = await queueBench(ctx, { elements: s.elements, consumers: s.consumers });
    return { values: { ...out.values }, latenciesMs: out.latenciesMs, counts: out.counts };
  },
};
