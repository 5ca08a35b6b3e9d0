/** `w1-one-step`: N one-activity workflows submitted at once; and one at a time, for latency. */
import { burstRemote, oneAtATimeRemote } from '../remote.js';
import { oneAtATime, w1 } from '../workflows.js';
import { one } from '../workflows/bench.js';
import { scaled, type Workload } from '../workload.js';
import { atLeast, fsyncTarget, limitRatio } from './targets.js';

export interface W1Sizes {
  workflows: number;
  /** One-at-a-time executions timed for the latency figures. */
  samples: number;
}

export const w1OneStep: Workload<W1Sizes> = {
  name: 'w1-one-step',
  sizes: ({ scale }) => ({ workflows: scaled(5_000, scale, 100), samples: scaled(300, scale, 30) }),
  figures: (s, target) => [
    {
      key: 'workflowsPerSec',
      label: `${s.workflows.toLocaleString('en-US')} one-activity workflows at once`,
      unit: 'workflows/s',
      better: 'higher',
      ratio:
        target === 'daemon'
          ? limitRatio('workflowsPerSec', 'httpRequestsPerSec', 'GET /health requests/s')
          : limitRatio('workflowsPerSec', 'noopTasksPerSec', 'no-op Piscina tasks/s'),
      target: fsyncTarget(atLeast(6_500, '≥ 6,500/s')),
    },
  ],
  latency: {
    of: 'start → result, one at a time',
    limit: { key: 'noopLatencyMs', of: 'no-op Piscina round trip' },
    remoteLimit: { key: 'httpLatencyMs', of: 'GET /health round trip' },
  },
  usesLimits: true,
  async run(ctx, s) {
    const threads = ctx.options.threads;
    const burst = await w1(ctx, threads, s.workflows);
    ctx.progress('one at a time');
    const latenciesMs = await oneAtATime(ctx, threads, s.samples, one);
    return {
      values: { workflowsPerSec: burst.perSec },
      latenciesMs,
      counts: { submitted: s.workflows + s.samples, completed: burst.completed + latenciesMs.length },
    };
  },
  async remote({ client, progress }, s) {
    const burst = await burstRemote(
      client,
      s.workflows,
      one.name,
      (i) => [i],
      (i) => i + 1,
    );
    progress('one at a time');
    const latenciesMs = await oneAtATimeRemote(
      client,
      s.samples,
      one.name,
      (i) => [i],
      (i) => i + 1,
    );
    return {
      values: { workflowsPerSec: s.workflows / burst.seconds },
      latenciesMs,
      counts: { submitted: s.workflows + s.samples, completed: burst.completed + latenciesMs.length },
    };
  },
};
