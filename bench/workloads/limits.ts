/**
 * `limits`: the floors any runtime on this stack pays, measured in the same run and mode as
 * the workloads whose ratios use them: a no-op Piscina task, a raw LevelDB batch put (synced
 * in fsync mode), a superjson round trip. Against a daemon: a bare HTTP round trip.
 */
import SuperJSON from 'superjson';
import { piscinaLimit } from '../piscina-limit.js';
import { rawLevel } from '../registry.js';
import { percentile } from '../stats.js';
import { scaled, type FigureSpec, type Workload } from '../workload.js';

export interface LimitSizes {
  noopTasks: number;
  noopSamples: number;
  /** Batches of 100 puts: fewer in fsync mode, where each waits for the disk. */
  batches: { fsync: number; process: number };
  puts: { fsync: number; process: number };
  roundTrips: number;
  httpRequests: number;
}

/** About 1 KB of JSON, with the types superjson exists for (Date, Set, Map, BigInt). */
function payload(i: number): unknown {
  return {
    id: `order-${i}`.padEnd(36, '0'),
    createdAt: new Date(1_700_000_000_000 + i),
    tags: new Set(['a', 'b', 'c']),
    amounts: new Map([
      ['net', 100n + BigInt(i)],
      ['tax', 19n],
    ]),
    lines: Array.from({ length: 12 }, (_, k) => ({
      sku: `sku-${k}`,
      qty: k + 1,
      price: 9.99 * k,
      note: 'x'.repeat(20),
    })),
  };
}

function superjsonRoundTrips(n: number): number {
  const values = Array.from({ length: 64 }, (_, i) => payload(i));
  for (let i = 0; i < 500; i++) SuperJSON.parse(SuperJSON.stringify(values[i % 64])); // compile
  const t = performance.now();
  for (let i = 0; i < n; i++) SuperJSON.parse(SuperJSON.stringify(values[i % 64]));
  return n / ((performance.now() - t) / 1000);
}

const CONCURRENT_REQUESTS = 16;

export const limits: Workload<LimitSizes> = {
  name: 'limits',
  sizes: ({ scale }) => ({
    noopTasks: scaled(20_000, scale, 500),
    noopSamples: scaled(300, scale, 30),
    batches: { fsync: scaled(100, scale, 10), process: scaled(400, scale, 20) },
    puts: { fsync: scaled(500, scale, 50), process: scaled(3_000, scale, 100) },
    roundTrips: scaled(20_000, scale, 500),
    httpRequests: scaled(5_000, scale, 200),
  }),
  figures: (s, target): FigureSpec[] =>
    target === 'daemon'
      ? [
          {
            key: 'httpRequestsPerSec',
            label: `GET /health, ${CONCURRENT_REQUESTS} at a time`,
            unit: 'requests/s',
            better: 'higher',
          },
          { key: 'httpLatencyMs', label: 'GET /health, one at a time (median)', unit: 'ms', better: 'lower' },
        ]
      : [
          {
            key: 'noopTasksPerSec',
            label: `no-op Piscina tasks, ${s.noopTasks.toLocaleString('en-US')} at once`,
            unit: 'tasks/s',
            better: 'higher',
          },
          { key: 'noopLatencyMs', label: 'no-op Piscina task, one at a time (median)', unit: 'ms', better: 'lower' },
          { key: 'rawBatchPutsPerSec', label: 'raw LevelDB puts, batches of 100', unit: 'puts/s', better: 'higher' },
          { key: 'rawPutLatencyMs', label: 'raw LevelDB single put, awaited', unit: 'ms', better: 'lower' },
          {
            key: 'superjsonRoundTripsPerSec',
            label: 'superjson stringify + parse, ~1 KB',
            unit: 'round trips/s',
            better: 'higher',
          },
        ],
  latency: { of: 'one no-op Piscina task, one at a time', remoteOf: 'one GET /health, one at a time' },
  async run(ctx, s) {
    const piscina = await piscinaLimit(s.noopTasks, s.noopSamples, ctx.options.threads);
    const level = await rawLevel(ctx, s.batches[ctx.mode], s.puts[ctx.mode]);
    return {
      values: {
        noopTasksPerSec: piscina.noopTasksPerSec,
        noopLatencyMs: piscina.noopLatencyMs,
        ...level,
        superjsonRoundTripsPerSec: superjsonRoundTrips(s.roundTrips),
      },
      latenciesMs: piscina.latenciesMs,
    };
  },
  async remote({ client }, s) {
    for (let i = 0; i < 50; i++) await client.health(); // connections open, code compiled
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, async () => {
        while (next++ < s.httpRequests) await client.health();
      }),
    );
    const httpRequestsPerSec = s.httpRequests / ((performance.now() - t) / 1000);
    const latenciesMs: number[] = [];
    for (let i = 0; i < s.noopSamples; i++) {
      const t0 = performance.now();
      await client.health();
      latenciesMs.push(performance.now() - t0);
    }
    return { values: { httpRequestsPerSec, httpLatencyMs: percentile(latenciesMs, 50) }, latenciesMs };
  },
};
