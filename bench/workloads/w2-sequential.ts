/** `w2-sequential`: N workflows of 10 sequential activities, submitted at once. */
import { burstRemote, oneAtATimeRemote } from '../remote.js';
import { oneAtATime, w2 } from '../workflows.js';
import { chain } from '../workflows/bench.js';
import { scaled, type Workload } from '../workload.js';
import { atLeast, fsyncTarget, limitRatio } from './targets.js';

export interface W2Sizes {
  workflows: number;
  /** Sequential activities per workflow (not scaled). */
  steps: number;
  /** One-at-a-time workflows timed for the latency figures. */
  samples: number;
}

export const w2Sequential: Workload<W2Sizes> = {
  name: 'w2-sequential',
  sizes: ({ scale }) => ({ workflows: scaled(500, scale, 20), steps: 10, samples: scaled(100, scale, 10) }),
  figures: (s, target) => [
    {
      key: 'stepsPerSec',
      label: `${s.workflows.toLocaleString('en-US')} workflows × ${s.steps} sequential activities`,
      unit: 'steps/s',
      better: 'higher',
      ratio:
        target === 'daemon'
          ? limitRatio('stepsPerSec', 'httpRequestsPerSec', 'GET /health requests/s')
          : limitRatio('stepsPerSec', 'noopTasksPerSec', 'no-op Piscina tasks/s'),
      target: fsyncTarget(atLeast(8_000, '≥ 8,000/s')),
    },
    { key: 'workflowsPerSec', label: 'the same, per workflow', unit: 'workflows/s', better: 'higher' },
  ],
  latency: { of: `start → result of one ${10}-step workflow, one at a time` },
  usesLimits: true,
  async run(ctx, s) {
    const threads = ctx.options.threads;
    const burst = await w2(ctx, threads, s.workflows, s.steps);
    ctx.progress('one at a time');
    const latenciesMs = await oneAtATime(ctx, threads, s.samples, chain, s.steps);
    return {
      values: { stepsPerSec: burst.perSec, workflowsPerSec: burst.perSec / s.steps },
      latenciesMs,
      counts: { submitted: s.workflows + s.samples, completed: burst.completed + latenciesMs.length },
    };
  },
  async remote({ client, progress }, s) {
    const args = (i: number): unknown[] => [i, s.steps];
    const want = (i: number): number => i + s.steps;
    const burst = await burstRemote(client, s.workflows, chain.name, args, want);
    progress('one at a time');
    const latenciesMs = await oneAtATimeRemote(client, s.samples, chain.name, args, want);
    const workflowsPerSec = s.workflows / burst.seconds;
    return {
      values: { stepsPerSec: workflowsPerSec * s.steps, workflowsPerSec },
      latenciesMs,
      counts: { submitted: s.workflows + s.samples, completed: burst.completed + latenciesMs.length },
    };
  },
};
