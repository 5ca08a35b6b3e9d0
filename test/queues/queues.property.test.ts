/**
 * Property tests of rt.queues against a real Runtime on LevelDB:
 * - draining: 8 concurrent consumers (some asking for a reference first) drain 10,000
 *   elements; no element is ever held by two consumers at once, each is claimed once per
 *   time it was put back in line, and none is left behind. One run restarts the runtime
 *   half-way, with consumers holding claimed elements across the restart;
 * - a model: random creates, bulk creates, claims (by reference or not), status changes and
 *   deletes, each answer compared with a plain array, and list pages with random filters.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import type { QueueElement, QueueElementStatus } from '../../src/queues.js';
import { mulberry32 } from '../support/random.js';

const logger = pino({ level: 'silent' });
let dir: string;
let rt: Runtime;
let run = 0;

const reopen = async (): Promise<void> => {
  rt = await Runtime.open({ dataDir: dir, durability: 'process', logger });
};

// One data folder for the file; every property run works on a fresh queue.
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-queues-'));
  await reopen();
});
afterAll(async () => {
  await rt.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const REFERENCES = ['a', 'b', 'c'];

describe('8 concurrent consumers', () => {
  interface Case {
    seed: number;
    /** Restart the runtime once this many claims were made. */
    restartAt: number | undefined;
    /** Chance that a consumer puts a claimed element back in line (once per element). */
    requeue: number;
  }

  const N = 10_000;
  const CONSUMERS = 8;

  async function drain({ seed, restartAt, requeue }: Case): Promise<void> {
    const queue = `drain-${++run}`;
    const random = mulberry32(seed);
    const pick = (): string | undefined => (random() < 0.25 ? undefined : REFERENCES[Math.floor(random() * 3)]);
    const created = await rt.queues.bulkCreate(
      queue,
      Array.from({ length: N }, (_, i) => ({ data: i, ...withReference(pick()) })),
    );
    const referenceOf = new Map(created.map((e) => [e.id, e.reference]));

    const held = new Set<string>();
    const claims = new Map<string, number>();
    const requeued = new Set<string>();
    let claimCount = 0;
    let alive = CONSUMERS;
    // The restart: consumers park (some holding a claimed element); the last to park restarts.
    let pausing = false;
    let parked = 0;
    let resume: (() => void) | undefined;
    let resumed = Promise.resolve();
    const park = async (): Promise<void> => {
      if (!pausing) return;
      parked++;
      if (parked === alive) {
        await rt.close();
        await reopen();
        pausing = false;
        parked = 0;
        resume?.();
      } else await resumed;
    };
    const maybePause = (): void => {
      if (restartAt === undefined || pausing || claimCount !== restartAt) return;
      pausing = true;
      resumed = new Promise((r) => (resume = r));
    };

    const consumer = async (w: number): Promise<void> => {
      // Consumers 0-2 ask for their own reference first.
      const preferred = w < 3 ? REFERENCES[w] : undefined;
      for (;;) {
        await park();
        let e: QueueElement | undefined;
        if (preferred !== undefined) e = await rt.queues.next(queue, { reference: preferred });
        e ??= await rt.queues.next(queue);
        if (!e) break;
        expect(held.has(e.id), `element ${e.id} held twice`).toBe(false);
        expect(e.status).toBe('IN_PROGRESS');
        if (preferred !== undefined && e.reference !== preferred) expect(e.reference).toBe(referenceOf.get(e.id));
        held.add(e.id);
        claims.set(e.id, (claims.get(e.id) ?? 0) + 1);
        claimCount++;
        maybePause();
        await park();
        held.delete(e.id);
        if (!requeued.has(e.id) && random() < requeue) {
          requeued.add(e.id);
          await rt.queues.setStatus(e.id, 'NEW');
        } else await rt.queues.setStatus(e.id, random() < 0.9 ? 'DONE' : 'FAILED', `by ${w}`);
      }
      alive--;
      // A parked restart may be waiting for this consumer, which will never park.
      if (pausing && parked === alive && alive > 0) {
        parked--;
        await park();
      }
    };
    await Promise.all(Array.from({ length: CONSUMERS }, (_, w) => consumer(w)));

    expect(claims.size).toBe(N);
    for (const [id, n] of claims) expect(n, id).toBe(requeued.has(id) ? 2 : 1);
    const summary = (await rt.queues.queues()).find((q) => q.queue === queue);
    expect(summary?.counts.NEW).toBe(0);
    expect(summary?.counts.IN_PROGRESS).toBe(0);
    expect(summary!.counts.DONE + summary!.counts.FAILED).toBe(N);
    expect(await rt.queues.list(queue, { status: 'NEW' })).toEqual([]);
    expect(await rt.queues.list(queue, { status: 'IN_PROGRESS' })).toEqual([]);
    if (restartAt !== undefined) expect(claimCount).toBeGreaterThan(restartAt);
  }

  it('never hand out one element twice and leave none behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer(),
          restartAt: fc.option(fc.integer({ min: 1, max: N - 1 }), { nil: undefined }),
          requeue: fc.constantFrom(0, 0.05),
        }),
        drain,
      ),
      { numRuns: 2, examples: [[{ seed: 42, restartAt: N / 2, requeue: 0.05 }]] },
    );
  }, 120_000);
});

// ---- the model ----

interface ModelElement {
  id: string;
  reference?: string;
  status: QueueElementStatus;
  data: number;
}

type Op =
  | { op: 'create'; reference?: string }
  | { op: 'bulk'; references: Array<string | undefined> }
  | { op: 'next'; reference?: string; claim: boolean }
  | { op: 'set'; index: number; status: QueueElementStatus }
  | { op: 'delete'; index: number }
  | { op: 'list'; reference?: string; status?: QueueElementStatus; offset: number; limit: number };

const reference = fc.option(fc.constantFrom(...REFERENCES), { nil: undefined });
const status = fc.constantFrom<QueueElementStatus>('NEW', 'IN_PROGRESS', 'DONE', 'FAILED');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), reference }),
  fc.record({ op: fc.constant('bulk' as const), references: fc.array(reference, { maxLength: 8 }) }),
  fc.record({ op: fc.constant('next' as const), reference, claim: fc.boolean() }),
  fc.record({ op: fc.constant('set' as const), index: fc.nat(), status }),
  fc.record({ op: fc.constant('delete' as const), index: fc.nat() }),
  fc.record({
    op: fc.constant('list' as const),
    reference,
    status: fc.option(status, { nil: undefined }),
    offset: fc.nat(12),
    limit: fc.integer({ min: 1, max: 12 }),
  }),
);

function withReference(r: string | undefined): { reference?: string } {
  return r === undefined ? {} : { reference: r };
}

describe('a model of one queue', () => {
  it('answers every operation and every list page as a plain array does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const queue = `model-${++run}`;
        const model: ModelElement[] = []; // in creation order
        let n = 0;
        const add = (e: QueueElement): void => {
          model.push({ id: e.id, status: 'NEW', data: n++, ...withReference(e.reference) });
        };
        for (const op of ops) {
          switch (op.op) {
            case 'create':
              add(await rt.queues.create(queue, { data: n, ...withReference(op.reference) }));
              break;
            case 'bulk': {
              const made = await rt.queues.bulkCreate(
                queue,
                op.references.map((r, i) => ({ data: n + i, ...withReference(r) })),
              );
              made.forEach(add);
              break;
            }
            case 'next': {
              const expected = model.find(
                (e) => e.status === 'NEW' && (op.reference === undefined || e.reference === op.reference),
              );
              const got = await rt.queues.next(queue, { claim: op.claim, ...withReference(op.reference) });
              expect(got?.id).toBe(expected?.id);
              if (expected && op.claim) expected.status = 'IN_PROGRESS';
              if (got) expect(got.status).toBe(expected!.status);
              break;
            }
            case 'set': {
              const target = model[op.index % Math.max(1, model.length)];
              if (!target) break;
              const got = await rt.queues.setStatus(target.id, op.status);
              target.status = op.status;
              expect(got.status).toBe(op.status);
              break;
            }
            case 'delete': {
              const i = op.index % Math.max(1, model.length);
              const target = model[i];
              if (!target) break;
              expect(await rt.queues.delete(target.id)).toBe(true);
              model.splice(i, 1);
              break;
            }
            case 'list': {
              const expected = model
                .filter(
                  (e) =>
                    (op.reference === undefined || e.reference === op.reference) &&
                    (op.status === undefined || e.status === op.status),
                )
                .reverse()
                .slice(op.offset, op.offset + op.limit);
              const got = await rt.queues.list(queue, {
                offset: op.offset,
                limit: op.limit,
                ...withReference(op.reference),
                ...(op.status !== undefined && { status: op.status }),
              });
              expect(got.map((e) => [e.id, e.status, e.data])).toEqual(expected.map((e) => [e.id, e.status, e.data]));
              break;
            }
          }
        }
        const counts = { NEW: 0, IN_PROGRESS: 0, DONE: 0, FAILED: 0 };
        for (const e of model) counts[e.status]++;
        const summary = (await rt.queues.queues()).find((q) => q.queue === queue);
        if (model.length === 0) expect(summary).toBeUndefined();
        else expect(summary?.counts).toEqual(counts);
      }),
      { numRuns: 100, interruptAfterTimeLimit: 40_000 },
    );
  }, 60_000);
});
