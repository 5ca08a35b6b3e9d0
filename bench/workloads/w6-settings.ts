/** `w6-settings`: setting writes by 100 writers and reads by 100 readers, beside the raw LevelDB batch put rate. */
import type { WeftClient } from '../../src/index.js';
import { rate } from '../fixtures.js';
import { CLIENTS, settingsReads, settingsWrites } from '../registry.js';
import { scaled, type Workload } from '../workload.js';
import { limitRatio, ratioAtLeast } from './targets.js';

export interface W6Sizes {
  writes: number;
  reads: number;
}

/** fsync mode runs a quarter of the writes: each batch waits for the disk. */
const forMode = (x: number, mode: string): number => (mode === 'fsync' ? Math.max(50, Math.round(x / 4)) : x);

export const w6Settings: Workload<W6Sizes> = {
  name: 'w6-settings',
  sizes: ({ scale }) => ({ writes: scaled(20_000, scale, 200), reads: scaled(50_000, scale, 500) }),
  figures: (_s, target) => [
    {
      key: 'writesPerSec',
      label: `setting writes, ${CLIENTS} writers`,
      unit: 'writes/s',
      better: 'higher',
      ...(target === 'daemon'
        ? { ratio: limitRatio('writesPerSec', 'httpRequestsPerSec', 'GET /health requests/s') }
        : {
            ratio: limitRatio('writesPerSec', 'rawBatchPutsPerSec', 'raw LevelDB batch puts/s'),
            target: ratioAtLeast(0.5, '≥ 0.5 × raw batch puts'),
          }),
    },
    { key: 'readsPerSec', label: `setting reads, ${CLIENTS} readers`, unit: 'reads/s', better: 'higher' },
  ],
  latency: { of: `one setting write, ${CLIENTS} writers` },
  usesLimits: true,
  async run(ctx, s) {
    const latenciesMs: number[] = [];
    const writes = forMode(s.writes, ctx.mode);
    const writesPerSec = await settingsWrites(ctx, writes, latenciesMs);
    ctx.progress('reads');
    const readsPerSec = await settingsReads(ctx, s.reads);
    return {
      values: { writesPerSec, readsPerSec },
      latenciesMs,
      counts: { submitted: writes, completed: latenciesMs.length },
    };
  },
  async remote({ client, progress }, s) {
    const prefix = `bench-${process.pid}-${Date.now()}-`;
    const names = Array.from({ length: CLIENTS }, (_, i) => `${prefix}${i}`);
    try {
      for (const name of names) await client.settings.create(name, { n: 0 });
      const latenciesMs: number[] = [];
      const writesPerSec = await rate(s.writes, CLIENTS, (w, i) => update(client, names[w]!, i), latenciesMs);
      progress('reads');
      const readsPerSec = await rate(s.reads, CLIENTS, (w) => client.settings.get(names[w]!, { by: 'name' }));
      return {
        values: { writesPerSec, readsPerSec },
        latenciesMs,
        counts: { submitted: s.writes, completed: latenciesMs.length },
      };
    } finally {
      for (const name of names) await client.settings.delete(name, { by: 'name' }).catch(() => undefined);
    }
  },
};

function update(client: WeftClient, name: string, i: number): Promise<unknown> {
  return client.settings.update(name, { n: i }, { by: 'name' });
}
