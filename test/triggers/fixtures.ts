/** Workflows and helpers of the trigger tests: runtimes on a TestClock, executions counted by workflow. */
import { expect, vi } from 'vitest';
import { Runtime, WeftError, workflow, type ExecutionInfo, type RuntimeOptions } from '../../src/index.js';
import { logger, tempDir, TestClock } from '../fixtures/harness.js';

/** Ends at once with what it was given. */
export const stamp = workflow('stamp', (_ctx, ...args: unknown[]) => Promise.resolve(args));

/** Runs until signalled `go`; answers the payload. */
export const hold = workflow('hold', (ctx) => ctx.waitSignal('go'));

/** A queue trigger's workflow: waits for `go`, then answers `{ ok: data }`, or fails when the data says so. */
export const work = workflow('work', async (ctx, element: { id: string; reference?: string; data?: unknown }) => {
  await ctx.waitSignal('go');
  const data = element.data as { fail?: string } | undefined;
  if (data?.fail) throw new WeftError('INVALID_VALUE', data.fail);
  return { ok: element.data, reference: element.reference ?? null };
});

/** Answers the constant `flaky`: fails (CONSTANT_NOT_FOUND) until a test sets it. */
export const flaky = workflow('flaky', (ctx) => ctx.constant('flaky'));

export const TRIGGER_WORKFLOWS = [stamp, hold, work, flaky];

const runtimes: Runtime[] = [];

/** A runtime on the trigger workflows, with no activities; closed by {@link closeAll}. */
export async function openRuntime(options: RuntimeOptions & { clock: TestClock }): Promise<Runtime> {
  const rt = await Runtime.open({
    dataDir: options.dataDir ?? tempDir(),
    logger,
    threads: 1,
    workflows: TRIGGER_WORKFLOWS,
    shutdownGraceMs: 1000,
    ...options,
  });
  runtimes.push(rt);
  return rt;
}

export async function closeAll(): Promise<void> {
  await Promise.allSettled(runtimes.splice(0).map((rt) => rt.close()));
}

/** Every execution of `workflow`, oldest first. */
export async function executionsOf(rt: Runtime, workflowName: string): Promise<ExecutionInfo[]> {
  const items: ExecutionInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await rt.list({ workflow: workflowName, limit: 1000, ...(cursor !== undefined && { cursor }) });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return items;
}

/** Waits until the execution ids of `workflow` are exactly `ids` (in any order). */
export async function waitForExecutions(rt: Runtime, workflowName: string, ids: string[]): Promise<ExecutionInfo[]> {
  return vi.waitFor(
    async () => {
      const items = await executionsOf(rt, workflowName);
      expect(items.map((e) => e.id).sort()).toEqual([...ids].sort());
      return items;
    },
    { timeout: 20_000, interval: 10 },
  );
}

/** Waits until the trigger has no execution running (its ends are messages: they land a moment later). */
export async function waitIdle(rt: Runtime, name: string): Promise<void> {
  await vi.waitFor(async () => expect((await rt.triggers.get(name))?.running).toEqual([]), {
    timeout: 20_000,
    interval: 10,
  });
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** `name:<ISO time>`: a cron trigger's execution id. */
export function cronId(name: string, at: number): string {
  return `${name}:${new Date(at).toISOString()}`;
}

export { TestClock };
