/**
 * Child process of the queue crash test (queues-crash.test.ts); it runs until SIGKILLed.
 * Usage: node --import tsx test/crash/queues-worker.ts <dataDir> <durability> <queue> <seed>
 *
 * It bulk creates batches of 1–3000 elements into <queue>, each element carrying its
 * batch as reference, while a consumer claims and completes elements of the same queue (so
 * bulk writes share journal batches with other writes). Before each bulk create it reports
 * the batch and its size (flushed to the pipe), and once acknowledged, that it was.
 */
import { pino } from 'pino';
import { Runtime, type Durability } from '../../src/index.js';

export type QueueWorkerMessage =
  | { op: 'ready' }
  | { op: 'sending'; batch: string; size: number }
  | { op: 'acked'; batch: string }
  | { op: 'failed'; error: string };

const [dataDir, durability, queue, seedArg] = process.argv.slice(2) as [string, Durability, string, string];
let state = Number(seedArg) >>> 0;

/** mulberry32: an integer in [0, n). */
function rand(n: number): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
}

/** Resolves once the message is in the pipe, so the parent gets it even if this process dies next. */
function flush(message: QueueWorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

async function main(): Promise<void> {
  const rt = await Runtime.open({ dataDir, durability, logger: pino({ level: 'silent' }) });
  await flush({ op: 'ready' });
  let stop = false;
  const consumer = async (): Promise<void> => {
    while (!stop) {
      const e = await rt.queues.next(queue);
      if (e) await rt.queues.setStatus(e.id, rand(2) === 0 ? 'DONE' : 'FAILED');
      else await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const consuming = consumer();
  for (let k = 0; ; k++) {
    const batch = `${queue}-b${k}`;
    const size = 1 + rand(3000);
    await flush({ op: 'sending', batch, size });
    await rt.queues.bulkCreate(
      queue,
      Array.from({ length: size }, (_, i) => ({ reference: batch, data: { k, i } })),
    );
    process.send!({ op: 'acked', batch } satisfies QueueWorkerMessage);
    if (k > 1000) break;
  }
  stop = true;
  await consuming;
}

// Don't outlive a parent that went away.
process.on('disconnect', () => process.exit(0));
main().catch(async (err: unknown) => {
  const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  await flush({ op: 'failed', error }).catch(() => undefined);
  process.exit(1);
});
