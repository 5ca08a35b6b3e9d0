/**
 * `soak`: a mixed load for `--duration` seconds (one-step and 3-step workflows, a signal
 * round trip, setting writes, lock pairs, from 32 clients at once), sampling throughput and
 * memory every second; memory is flat when the regression of the heap over the last 80% of
 * the run grows less than max(10 MiB, 10% of its mean) over that time.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Runtime } from '../../src/index.js';
import { withRuntime } from '../fixtures.js';
import { MiB } from '../memory.js';
import { linearFit, Reservoir } from '../stats.js';
import { chain, one, waitGo } from '../workflows/bench.js';
import type { Series, Workload } from '../workload.js';

export interface SoakSizes {
  durationSec: number;
  clients: number;
  /** How often throughput and memory are sampled: every second, or a tenth of a short soak. */
  sampleMs: number;
}

/** One operation of the mix, by client and iteration. */
const MIX: Array<(rt: Runtime, client: number, i: number) => Promise<unknown>> = [
  async (rt, _c, i) => expect(await (await rt.start(one, i)).result(), i + 1),
  async (rt, _c, i) => expect(await (await rt.start(chain, i, 3)).result(), i + 3),
  async (rt, _c, i) => {
    const h = await rt.start(waitGo, i);
    await h.signal('go', 1);
    expect(await h.result(), i + 1);
  },
  (rt, c, i) => rt.settings.update(`soak-${c}`, { i }),
  async (rt, c) => {
    const g = await rt.locks.acquire(`soak-${c % 8}`, { holder: `c${c}`, timeoutMs: Infinity });
    await rt.locks.release(g.name, g.token);
  },
];

function expect(got: unknown, want: number): void {
  if (got !== want) throw new Error(`soak: expected ${want}, got ${JSON.stringify(got)}`);
}

/** Memory is flat when the fitted growth over the window is under max(10 MiB, 10% of the mean). */
export function flatVerdict(samples: ReadonlyArray<readonly [number, number]>): {
  slopePerSec: number;
  growth: number;
  flat: boolean;
} {
  const window = samples.slice(Math.floor(samples.length * 0.2));
  if (window.length < 2) return { slopePerSec: 0, growth: 0, flat: true };
  const { slope } = linearFit(window);
  const span = window[window.length - 1]![0] - window[0]![0] || 1;
  const mean = window.reduce((sum, [, y]) => sum + y, 0) / window.length;
  const growth = slope * span;
  return { slopePerSec: slope, growth, flat: growth < Math.max(10 * MiB, 0.1 * mean) };
}

export const soak: Workload<SoakSizes> = {
  name: 'soak',
  sizes: ({ durationSec }) => ({ durationSec, clients: 32, sampleMs: Math.min(1000, durationSec * 100) }),
  figures: (s) => [
    {
      key: 'opsPerSec',
      label: `mixed operations, ${s.clients} clients, ${s.durationSec} s`,
      unit: 'ops/s',
      better: 'higher',
    },
    { key: 'minOpsPerSec', label: `the slowest ${s.sampleMs / 1000} s`, unit: 'ops/s', better: 'higher' },
    { key: 'heapSlopeMiBPerMin', label: 'JS heap trend (last 80%)', unit: 'MiB/min', better: 'lower' },
    { key: 'rssSlopeMiBPerMin', label: 'RSS trend (last 80%)', unit: 'MiB/min', better: 'lower' },
    {
      key: 'flatMemory',
      label: 'memory flat (1 yes, 0 no)',
      unit: '',
      better: 'higher',
      target: (v) => ({ label: 'flat (10 min)', met: v === 1 }),
    },
    { key: 'loopDelayP99Ms', label: 'event-loop delay p99', unit: 'ms', better: 'lower' },
    { key: 'loopDelayMaxMs', label: 'event-loop delay, the longest', unit: 'ms', better: 'lower' },
  ],
  latency: { of: 'one operation of the mix' },
  runs: 'single',
  notes: [
    'soak: one run, no warm-up, whatever --runs says; the first 20% of its samples are left out of the memory trend,',
    '  and the verdict means something after minutes, not seconds (the issue asks for 10: --duration 600).',
  ],
  async run(ctx, s) {
    return withRuntime(ctx, async (rt) => {
      for (let c = 0; c < s.clients; c++) await rt.settings.create(`soak-${c}`, { i: 0 });
      const latencies = new Reservoir(50_000);
      let submitted = 0;
      let completed = 0;
      const end = performance.now() + s.durationSec * 1000;
      const sampler = new SoakSampler(s.sampleMs, end, (at) => ctx.progress(`${Math.round(at)}/${s.durationSec} s`));
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      try {
        await Promise.all(
          Array.from({ length: s.clients }, async (_, c) => {
            for (let i = c; performance.now() < end; i += s.clients) {
              submitted++;
              const t = performance.now();
              await MIX[i % MIX.length]!(rt, c, i);
              latencies.add(performance.now() - t);
              completed++;
              sampler.done();
            }
          }),
        );
      } finally {
        sampler.stop();
        loopDelay.disable();
      }
      const seconds = (performance.now() - sampler.began) / 1000;
      const heapTrend = flatVerdict(sampler.heapBytes);
      const rssTrend = flatVerdict(sampler.rssBytes);
      const rates = sampler.throughput.points.map(([, y]) => y);
      return {
        values: {
          opsPerSec: completed / seconds,
          minOpsPerSec: rates.length > 0 ? Math.min(...rates) : completed / seconds,
          heapSlopeMiBPerMin: (heapTrend.slopePerSec * 60) / MiB,
          rssSlopeMiBPerMin: (rssTrend.slopePerSec * 60) / MiB,
          flatMemory: heapTrend.flat ? 1 : 0,
          // No sample at all: the loop never got back to its timers, for the whole soak.
          loopDelayP99Ms: loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : seconds * 1000,
          loopDelayMaxMs: loopDelay.count > 0 ? loopDelay.max / 1e6 : seconds * 1000,
        },
        latenciesMs: latencies.values(),
        series: sampler.series(),
        counts: { submitted, completed },
      };
    });
  },
};

/**
 * Throughput and memory every `everyMs`. Sampled when an operation ends (and by a timer
 * when none does), not by a timer alone: a loaded main thread can starve timers for
 * seconds, which would leave holes in the record exactly where it matters.
 */
class SoakSampler {
  readonly began = performance.now();
  readonly throughput: Series = {
    chart: 'soak-throughput',
    title: 'Soak: throughput over time',
    name: 'ops/s',
    x: 's',
    y: 'ops/s',
    points: [],
  };
  readonly heapBytes: Array<[number, number]> = [];
  readonly rssBytes: Array<[number, number]> = [];
  #done = 0;
  #last = this.began;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly everyMs: number,
    readonly end: number,
    readonly onSample: (atSec: number) => void,
  ) {
    this.#timer = setInterval(() => this.#sampleIfDue(), everyMs);
  }

  done(): void {
    this.#done++;
    this.#sampleIfDue();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  series(): Series[] {
    const heap: Series = {
      chart: 'soak-memory',
      title: 'Soak: memory over time',
      name: 'JS heap MiB',
      x: 's',
      y: 'MiB',
      points: [],
    };
    heap.points = this.heapBytes.map(([at, bytes]) => [at, bytes / MiB]);
    const rss: Series = { ...heap, name: 'RSS MiB', points: this.rssBytes.map(([at, bytes]) => [at, bytes / MiB]) };
    return [this.throughput, heap, rss];
  }

  #sampleIfDue(): void {
    const now = performance.now();
    // After the end only the last operations drain: not an interval of the load.
    if (now - this.#last < this.everyMs || now > this.end) return;
    const at = (now - this.began) / 1000;
    const { heapUsed, rss } = process.memoryUsage();
    this.throughput.points.push([at, this.#done / ((now - this.#last) / 1000)]);
    this.heapBytes.push([at, heapUsed]);
    this.rssBytes.push([at, rss]);
    this.#done = 0;
    this.#last = now;
    this.onSample(at);
  }
}
