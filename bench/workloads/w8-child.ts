/**
 * W8's child process, one per phase, so that its RSS is the runtime's own:
 * `hold` parks N executions on a signal and measures memory, then closes the runtime;
 * `resume` reopens the folder (a restart), signals every execution and times until all
 * have finished. Answers over IPC. Run with `--expose-gc` so memory is measured after a
 * full collection.
 *
 *   node --expose-gc w8-child.js hold|resume <dataDir> <fsync|process> <n> <threads>
 */
import type { Durability, ExecutionStatus, Runtime } from '../../src/index.js';
import { openRuntime } from '../fixtures.js';
import { collectGarbage, RssSampler } from '../memory.js';
import { waitGo } from '../workflows/bench.js';
import type { HoldResult, ResumeResult } from './w8-resume.js';

/** Executions started (or signalled) at once: bounded, so pending promises do not count as per-execution memory. */
const CHUNK = 1_000;

async function inChunks(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let from = 0; from < n; from += CHUNK)
    await Promise.all(Array.from({ length: Math.min(CHUNK, n - from) }, (_, k) => fn(from + k)));
}

/** Polls `test`; an execution that failed instead of waiting must not hang the bench. */
async function until(
  rt: Runtime,
  test: (counts: Record<ExecutionStatus, number>, dormant: number) => boolean,
): Promise<void> {
  const failedBefore = rt.metrics().executions.FAILED;
  for (;;) {
    const { executions: counts, dormant } = rt.metrics();
    if (test(counts, dormant)) return;
    if (counts.FAILED > failedBefore) throw new Error(`w8-resume: ${counts.FAILED - failedBefore} executions failed`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function memory(): { rss: number; heapUsed: number; external: number } {
  collectGarbage();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

const id = (i: number): string => `w8-${i}`;

/** Executions in a final status. */
function ended(c: Record<ExecutionStatus, number>): number {
  return c.SUCCESS + c.FAILED + c.CANCELLED + c.TIMED_OUT;
}

async function hold(rt: Runtime, n: number, sampler: RssSampler): Promise<HoldResult> {
  // Warm-up: the paths compiled, a few executions from start to end.
  const warm = Math.min(200, n);
  await inChunks(warm, async (i) => {
    const h = await rt.start({ workflow: waitGo, args: [i], id: `warm-${i}` });
    await h.signal('go', 1);
    await h.result();
  });
  const baseline = memory();
  const t = performance.now();
  // Memory at half and at all: the slope between them is what one more execution costs,
  // without the heap's first growth steps, which a small N would spread over too few.
  const half = Math.floor(n / 2);
  await inChunks(half, (i) => rt.start({ workflow: waitGo, args: [i], id: id(i) }));
  // Measured once they are dormant, as waiting executions are after `dormantAfterMs`.
  await until(rt, (c, dormant) => c.WAITING_SIGNAL >= half && dormant >= half);
  const pause = performance.now();
  const halfway = memory();
  const resumed = performance.now();
  await inChunks(n - half, (i) => rt.start({ workflow: waitGo, args: [half + i], id: id(half + i) }));
  await until(rt, (c, dormant) => c.WAITING_SIGNAL >= n && dormant >= n);
  const holdSeconds = (performance.now() - t - (resumed - pause)) / 1000;
  const waiting = memory();
  return {
    baselineRssBytes: baseline.rss,
    waitingRssBytes: waiting.rss,
    rssPerExecutionBytes: (waiting.rss - halfway.rss) / (n - half),
    heapPerExecutionBytes: (waiting.heapUsed - halfway.heapUsed) / (n - half),
    externalPerExecutionBytes: (waiting.external - halfway.external) / (n - half),
    holdSeconds,
    gc: collectGarbage(),
    peakRssBytes: sampler.stop(),
  };
}

async function resume(
  dataDir: string,
  mode: Durability,
  n: number,
  threads: number,
  sampler: RssSampler,
): Promise<ResumeResult> {
  const t = performance.now();
  const rt = await openRuntime(dataDir, mode, { threads });
  const openSeconds = (performance.now() - t) / 1000;
  try {
    const before = rt.metrics().executions;
    const recoveredRssBytes = process.memoryUsage.rss();
    await inChunks(n, async (i) => (await rt.get(id(i))).signal('go', 1));
    await until(rt, (c) => ended(c) - ended(before) >= n);
    const resumeSeconds = (performance.now() - t) / 1000;
    let completed = 0;
    await inChunks(n, async (i) => {
      if ((await (await rt.get(id(i))).result()) === i + 1) completed++;
    });
    return {
      openSeconds,
      resumeSeconds,
      recovered: before.WAITING_SIGNAL,
      recoveredRssBytes,
      completed,
      peakRssBytes: sampler.stop(),
    };
  } finally {
    await rt.close();
  }
}

async function main(): Promise<void> {
  const [phase, dataDir, mode, count, threadCount] = process.argv.slice(2);
  const n = Number(count);
  const threads = Number(threadCount);
  if ((phase !== 'hold' && phase !== 'resume') || !dataDir || (mode !== 'fsync' && mode !== 'process') || !(n > 0))
    throw new Error(
      `usage: w8-child hold|resume <dataDir> <fsync|process> <n> <threads>, not ${process.argv.slice(2).join(' ')}`,
    );
  const sampler = new RssSampler();
  let result: HoldResult | ResumeResult;
  if (phase === 'hold') {
    const rt = await openRuntime(dataDir, mode, { threads });
    try {
      result = await hold(rt, n, sampler);
    } finally {
      await rt.close();
    }
  } else result = await resume(dataDir, mode, n, threads, sampler);
  await new Promise<void>((resolve, reject) =>
    process.send!(result, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

await main();
// Everything is closed; nothing left should keep the process, but a stray handle must not hang the bench.
process.exit(0);
