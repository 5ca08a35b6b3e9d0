/** `w3-fanout`: one workflow fanning out N activities and waiting for all. */
import { startRemote } from '../remote.js';
import { w3 } from '../workflows.js';
import { fanOut } from '../workflows/bench.js';
import { scaled, type Workload } from '../workload.js';
import { atLeast, fsyncTarget, limitRatio } from './targets.js';

export interface W3Sizes {
  activities: number;
}

export const w3Fanout: Workload<W3Sizes> = {
  name: 'w3-fanout',
  sizes: ({ scale }) => ({ activities: scaled(5_000, scale, 100) }),
  figures: (s, target) => [
    {
      key: 'activitiesPerSec',
      label: `1 workflow, ${s.activities.toLocaleString('en-US')} activities fanned out`,
      unit: 'activities/s',
      better: 'higher',
      ratio:
        target === 'daemon'
          ? limitRatio('activitiesPerSec', 'httpRequestsPerSec', 'GET /health requests/s')
          : limitRatio('activitiesPerSec', 'noopTasksPerSec', 'no-op Piscina tasks/s'),
      target: fsyncTarget(atLeast(10_000, '≥ 10,000/s')),
    },
  ],
  latency: { of: 'one activity, scheduled → completed (history, ms resolution)' },
  usesLimits: true,
  async run(ctx, s) {
    const latenciesMs: number[] = [];
    const m = await w3(ctx, ctx.options.threads, s.activities, latenciesMs);
    return {
      values: { activitiesPerSec: m.perSec },
      latenciesMs,
      counts: { submitted: s.activities, completed: m.completed },
    };
  },
  async remote({ client }, s) {
    await client.waitResult(await startRemote(client, fanOut.name, [256])); // threads started, code compiled
    const t = performance.now();
    const id = await startRemote(client, fanOut.name, [s.activities]);
    const view = await client.waitResult(id);
    const seconds = (performance.now() - t) / 1000;
    if (view.status !== 'SUCCESS' || view.result !== s.activities)
      throw new Error(`${fanOut.name} ended ${view.status} with ${JSON.stringify(view.result ?? view.error)}`);
    const done = (await client.tasks(id)).filter((task) => task.state === 'completed');
    return {
      values: { activitiesPerSec: s.activities / seconds },
      latenciesMs: done.map((task) => Date.parse(task.endedAt!) - Date.parse(task.scheduledAt)),
      counts: { submitted: s.activities, completed: done.length },
    };
  },
};
