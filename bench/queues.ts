/**
 * The queue benchmark (workload `w7-queues`): bulk create of N elements in requests of
 * 10,000, then claim-and-complete cycles (`next` + `setStatus DONE`) by 8 consumers, each
 * beside the raw LevelDB limit measured in the same run and mode.
 *
 * Run alone: `npx tsx bench/queues.ts [scale]` prints both modes' figures.
 */
import { pathToFileURL } from 'node:url';
import { Level } from 'level';
import type { Durability } from '../src/index.js';
import { freshDir, rate, withRuntime } from './fixtures.js';
import { rawLevel } from './registry.js';

export interface QueueBenchSizes {
  /** Elements bulk created (and then claimed). */
  elements: number;
  /** Concurrent consumers. @default 8 */
  consumers?: number;
  /** Elements per bulkCreate call (the HTTP API's most). @default 10_000 */
  chunk?: number;
  /** Claim-complete cycles. @default elements (a quarter of them in fsync mode) */
  cycles?: number;
}

export interface QueueBenchContext {
  mode: Durability;
  /** A new empty folder for each runtime or database. */
  dataDir(): string;
  progress?(text: string): void;
}

export interface QueueBenchFigures {
  /** bulkCreate, elements/s. */
  bulkCreatePerSec: number;
  /** Raw LevelDB: the same number of elements as batches of one chunk each, 5 puts per element (record + 4 index entries). */
  rawBulkElementsPerSec: number;
  /** Claim-complete cycles/s. */
  cyclesPerSec: number;
  /** Raw LevelDB: puts/s in batches of 100 (as the registry benchmark). */
  rawBatchPutsPerSec: number;
  /** bulkCreatePerSec ÷ rawBulkElementsPerSec. */
  bulkRatio: number;
  /** cyclesPerSec ÷ (rawBatchPutsPerSec ÷ 8): a cycle writes 8 keys (two status changes of 4). */
  cyclesRatio: number;
}

/** Measures one run; answers the figures, one latency sample per cycle, and the submitted/completed counts. */
export async function queueBench(
  ctx: QueueBenchContext,
  sizes: QueueBenchSizes,
): Promise<{ values: QueueBenchFigures; latenciesMs: number[]; counts: { submitted: number; completed: number } }> {
  const { elements, consumers = 8, chunk = 10_000 } = sizes;
  const cycles = Math.min(elements, sizes.cycles ?? (ctx.mode === 'fsync' ? Math.ceil(elements / 4) : elements));
  ctx.progress?.('raw LevelDB');
  const rawBulkElementsPerSec = await rawBulk(ctx, elements, chunk);
  const { rawBatchPutsPerSec } = await rawLevel(ctx, ctx.mode === 'fsync' ? 100 : 400, 1);
  const latenciesMs: number[] = [];
  let completed = 0;
  const { bulkCreatePerSec, cyclesPerSec } = await withRuntime(ctx, async (rt) => {
    ctx.progress?.('bulk create');
    const start = performance.now();
    for (let i = 0; i < elements; i += chunk) {
      const n = Math.min(chunk, elements - i);
      await rt.queues.bulkCreate(
        'bench',
        Array.from({ length: n }, (_, k) => ({ reference: `r${(i + k) % 100}`, data: { n: i + k } })),
      );
    }
    const bulk = elements / ((performance.now() - start) / 1000);
    ctx.progress?.('claim + complete');
    const perSec = await rate(
      cycles,
      consumers,
      async () => {
        const e = await rt.queues.next('bench');
        if (!e) throw new Error('the queue ran dry before every cycle was done');
        await rt.queues.setStatus(e.id, 'DONE');
        completed++;
      },
      latenciesMs,
    );
    return { bulkCreatePerSec: bulk, cyclesPerSec: perSec };
  });
  return {
    values: {
      bulkCreatePerSec,
      rawBulkElementsPerSec,
      cyclesPerSec,
      rawBatchPutsPerSec,
      bulkRatio: bulkCreatePerSec / rawBulkElementsPerSec,
      cyclesRatio: cyclesPerSec / (rawBatchPutsPerSec / 8),
    },
    latenciesMs,
    counts: { submitted: cycles, completed },
  };
}

/** Raw LevelDB writing what bulk create writes: per element a ~200-byte record and four ~50-byte index entries. */
async function rawBulk(ctx: QueueBenchContext, elements: number, chunk: number): Promise<number> {
  const db = new Level<string, string>(ctx.dataDir(), { valueEncoding: 'utf8' });
  const sync = ctx.mode === 'fsync';
  const id = 'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx';
  try {
    await db.open();
    const start = performance.now();
    for (let i = 0; i < elements; i += chunk) {
      const ops: Array<{ type: 'put'; key: string; value: string }> = [];
      for (let k = i; k < Math.min(elements, i + chunk); k++) {
        const seq = String(k).padStart(16, '0');
        const record = JSON.stringify({ id, queue: 'bench', reference: `r${k % 100}`, data: `J{"n":${k}}`, seq: k });
        ops.push({ type: 'put', key: `e!${id}${k}`, value: record });
        for (const prefix of ['a', 's', 'r', 'q'])
          ops.push({ type: 'put', key: `i!${prefix}\u0000bench\u0000${seq}`, value: id });
      }
      await db.batch(ops, { sync } as object);
    }
    return elements / ((performance.now() - start) / 1000);
  } finally {
    await db.close();
  }
}

/** `npx tsx bench/queues.ts [scale]`: one run per mode, printed. */
async function main(): Promise<void> {
  const scale = Number(process.argv[2] ?? 1);
  const elements = Math.max(1000, Math.round(100_000 * scale));
  for (const mode of ['process', 'fsync'] as const) {
    const { dir, remove } = freshDir();
    let n = 0;
    try {
      const ctx = { mode, dataDir: () => `${dir}/${n++}` };
      const { values, latenciesMs } = await queueBench(ctx, { elements });
      const sorted = [...latenciesMs].sort((a, b) => a - b);
      const p = (q: number): string => (sorted[Math.floor(q * (sorted.length - 1))] ?? NaN).toFixed(2);
      const f = (x: number): string => Math.round(x).toLocaleString('en-US');
      process.stdout.write(
        `${mode}: ${elements.toLocaleString('en-US')} elements\n` +
          `  bulk create       ${f(values.bulkCreatePerSec)} elements/s (raw LevelDB ${f(values.rawBulkElementsPerSec)}, ratio ${values.bulkRatio.toFixed(2)})\n` +
          `  claim + complete  ${f(values.cyclesPerSec)} cycles/s, 8 consumers (raw batch puts ${f(values.rawBatchPutsPerSec)}/s, ratio ${values.cyclesRatio.toFixed(2)}); cycle p50 ${p(0.5)} ms, p99 ${p(0.99)} ms\n`,
      );
    } finally {
      remove();
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
