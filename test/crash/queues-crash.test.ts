/**
 * Crash test of bulk create. A child process (queues-worker.ts) bulk creates batches of up
 * to 3000 elements while consuming the same queue, announcing each batch before sending it.
 * The test SIGKILLs it a random moment after a random announcement, so the kill lands
 * before, inside or after that batch's write, reopens the folder and checks: every announced
 * batch is there entirely or not at all, every acknowledged one is there, and the queue's
 * counts match the elements found. Several rounds on one folder, in both durability modes.
 * A failure names its seed; rerun with CRASH_SEED=<seed> to replay the same choices.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Runtime, type Durability } from '../../src/index.js';
import { mulberry32 } from '../support/random.js';
import { STALL_MS, killWorkers, runWorker } from './fixtures/runner.js';
import type { QueueWorkerMessage } from './queues-worker.js';

const ROUNDS = 4;

let rt: Runtime | undefined;
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'weft-'));
});

afterEach(async () => {
  killWorkers();
  await rt?.close();
  rt = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

describe.each<Durability>(['process', 'fsync'])('bulk create under SIGKILL, durability %s', (durability) => {
  it('leaves every batch entirely there or entirely absent', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 1e9));
    const random = mulberry32(seed);
    for (let round = 0; round < ROUNDS; round++) {
      const queue = `crash-${round}`;
      const killAfter = 1 + Math.floor(random() * 6);
      const delayMs = Math.floor(random() * 80);
      const where = `seed ${seed}, round ${round}, kill ${delayMs} ms after announcement ${killAfter}`;
      const messages = await runUntilKilled(durability, queue, seed + round, killAfter, delayMs);
      rt = await Runtime.open({ dataDir, durability, logger: pino({ level: 'silent' }) });
      await check(rt, queue, messages, where);
      await rt.close();
      rt = undefined;
    }
  }, 120_000);
});

async function check(rt: Runtime, queue: string, messages: QueueWorkerMessage[], where: string): Promise<void> {
  const acked = new Set(messages.flatMap((m) => (m.op === 'acked' ? [m.batch] : [])));
  let present = 0;
  for (const m of messages) {
    if (m.op !== 'sending') continue;
    const found: number[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await rt.queues.list<{ i: number }>(queue, { reference: m.batch, offset, limit: 1000 });
      found.push(...page.map((e) => e.data!.i));
      if (page.length < 1000) break;
    }
    const what = `${where}: batch ${m.batch} of ${m.size} (acked: ${acked.has(m.batch)})`;
    if (acked.has(m.batch) || found.length > 0) {
      expect(found.length, `${what} is partly there`).toBe(m.size);
      expect(new Set(found).size, `${what} has duplicates`).toBe(m.size);
    }
    present += found.length;
  }
  const summary = (await rt.queues.queues()).find((q) => q.queue === queue);
  const counts = summary?.counts ?? { NEW: 0, IN_PROGRESS: 0, DONE: 0, FAILED: 0 };
  expect(counts.NEW + counts.IN_PROGRESS + counts.DONE + counts.FAILED, `${where}: counts`).toBe(present);
  let listed = 0;
  for (let offset = 0; ; offset += 1000) {
    const page = await rt.queues.list(queue, { offset, limit: 1000 });
    listed += page.length;
    if (page.length < 1000) break;
  }
  expect(listed, `${where}: elements outside any announced batch`).toBe(present);
}

/** Forks the worker, SIGKILLs it `delayMs` after its `killAfter`-th announcement, and returns every message. */
async function runUntilKilled(
  durability: Durability,
  queue: string,
  seed: number,
  killAfter: number,
  delayMs: number,
): Promise<QueueWorkerMessage[]> {
  const messages: QueueWorkerMessage[] = [];
  let announced = 0;
  const { code, signal, killed, stalled, stderr } = await runWorker<QueueWorkerMessage>({
    worker: 'queues',
    args: [dataDir, durability, queue, String(seed)],
    onMessage: (m, kill) => {
      messages.push(m);
      if (m.op === 'sending' && ++announced === killAfter) setTimeout(kill, delayMs);
    },
  });
  const failed = messages.find((m) => m.op === 'failed');
  if (!killed || stalled || signal !== 'SIGKILL' || failed) {
    const why = stalled ? `made no progress for ${STALL_MS} ms` : `exited with code ${code}, signal ${signal}`;
    throw new Error(
      `worker (seed ${seed}) ${why} after ${announced} announcements\n${failed?.op === 'failed' ? failed.error : ''}\nstderr:\n${stderr}`,
    );
  }
  return messages;
}
