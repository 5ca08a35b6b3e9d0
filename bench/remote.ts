/**
 * Driving a daemon through {@link WeftClient} for `--url`: executions started and awaited
 * with a bounded number of requests in flight, and each result checked.
 */
import { WeftError, type WeftClient } from '../src/index.js';

/** Requests in flight at once: enough to keep a daemon busy, few enough not to queue in the socket pool. */
export const IN_FLIGHT = 64;

/** Runs `fn(0..n-1)` with at most `concurrency` calls in flight. */
export async function bounded(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** Waits for the execution and checks that it answered `want`. */
async function expectResult(client: WeftClient, id: string, want: unknown): Promise<void> {
  const view = await client.waitResult(id);
  if (view.status !== 'SUCCESS' || view.result !== want)
    throw new Error(
      `execution ${id} ended ${view.status} with ${JSON.stringify(view.result ?? view.error)}, expected ${JSON.stringify(want)}`,
    );
}

/** Starts a workflow the daemon must have (bench/weft.config.ts); says how to load it if it has not. */
export async function startRemote(client: WeftClient, workflow: string, args: unknown[]): Promise<string> {
  try {
    return (await client.start(workflow, args)).id;
  } catch (err) {
    if (err instanceof WeftError && err.code === 'WORKFLOW_NOT_FOUND')
      throw new Error(`the daemon has no workflow ${workflow}: start it with --config bench/weft.config.ts`, {
        cause: err,
      });
    throw err;
  }
}

/**
 * Starts `n` executions of `workflow` (args from `args(i)`), then waits for every one;
 * answers seconds from the first start to the last result, and how many answered `want(i)`.
 */
export async function burstRemote(
  client: WeftClient,
  n: number,
  workflow: string,
  args: (i: number) => unknown[],
  want: (i: number) => unknown,
): Promise<{ seconds: number; completed: number }> {
  const t = performance.now();
  const ids: string[] = new Array<string>(n);
  await bounded(n, IN_FLIGHT, async (i) => {
    ids[i] = await startRemote(client, workflow, args(i));
  });
  let completed = 0;
  await bounded(n, IN_FLIGHT, async (i) => {
    await expectResult(client, ids[i] as string, want(i));
    completed++;
  });
  return { seconds: (performance.now() - t) / 1000, completed };
}

/** `samples` executions one after another, after a few unmeasured ones: each one's start-to-result ms. */
export async function oneAtATimeRemote(
  client: WeftClient,
  samples: number,
  workflow: string,
  args: (i: number) => unknown[],
  want: (i: number) => unknown,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = -10; i < samples; i++) {
    const t = performance.now();
    await expectResult(client, await startRemote(client, workflow, args(i)), want(i));
    if (i >= 0) times.push(performance.now() - t);
  }
  return times;
}
