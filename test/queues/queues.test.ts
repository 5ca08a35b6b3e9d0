/**
 * rt.queues: every operation and its errors, FIFO order, the reference filter, peek and
 * claim, list filters and paging (newest first), status times, requestId idempotency,
 * elements that live only in the store (DONE, FAILED), watchers, counts, and a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, Runtime } from '../../src/index.js';
import type { QueueElement } from '../../src/queues.js';
import { codeOf, failure } from '../support/weft-error.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
const runtimes: Runtime[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-queues-'));
  dirs.push(dir);
  return dir;
}

async function open(options: { dataDir?: string; clock?: ManualClock } = {}): Promise<{
  rt: Runtime;
  clock: ManualClock;
  dir: string;
}> {
  const dir = options.dataDir ?? tempDir();
  const clock = options.clock ?? new ManualClock(T0);
  const rt = await Runtime.open({ dataDir: dir, clock, logger, durability: 'process' });
  runtimes.push(rt);
  return { rt, clock, dir };
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const ids = (elements: Array<QueueElement | undefined>): Array<string | undefined> => elements.map((e) => e?.id);

describe('create and get', () => {
  it('creates an element as NEW with its fields, and reads it back by id', async () => {
    const { rt } = await open();
    const created = await rt.queues.create('invoices', { reference: 'INV-1', data: { amount: 10 }, createdBy: 'toni' });
    expect(created).toEqual({
      id: expect.any(String) as string,
      queue: 'invoices',
      reference: 'INV-1',
      data: { amount: 10 },
      status: 'NEW',
      createdBy: 'toni',
      createdAt: new Date(T0),
    });
    expect(await rt.queues.get(created.id)).toEqual(created);
  });

  it('defaults createdBy to api and leaves reference and data out when not given', async () => {
    const { rt } = await open();
    const created = await rt.queues.create('q');
    expect(created).toEqual({
      id: expect.any(String) as string,
      queue: 'q',
      status: 'NEW',
      createdBy: 'api',
      createdAt: new Date(T0),
    });
  });

  it('keeps superjson data (Dates, Maps, BigInts) and hands out a fresh copy on every read', async () => {
    const { rt } = await open();
    const data = { at: new Date(T0), tags: new Map([['a', 1n]]), list: [1, 2] };
    const created = await rt.queues.create('q', { data });
    const read = await rt.queues.get<typeof data>(created.id);
    expect(read.data).toEqual(data);
    read.data!.list.push(3);
    expect((await rt.queues.get<typeof data>(created.id)).data!.list).toEqual([1, 2]);
  });

  it('bulk creates in order, in one journal batch', async () => {
    const { rt } = await open();
    const batches = rt.journalStats.batches;
    const elements = Array.from({ length: 2000 }, (_, i) => ({ reference: `r${i % 3}`, data: i }));
    const created = await rt.queues.bulkCreate('bulk', elements);
    expect(created.map((e) => e.data)).toEqual(elements.map((e) => e.data));
    expect(new Set(ids(created)).size).toBe(2000);
    expect(rt.journalStats.batches - batches).toBe(1);
    expect(await rt.queues.bulkCreate('bulk', [])).toEqual([]);
    expect((await rt.queues.queues())[0]).toEqual({
      queue: 'bulk',
      counts: { NEW: 2000, IN_PROGRESS: 0, DONE: 0, FAILED: 0 },
    });
  });

  it('QUEUE_ELEMENT_NOT_FOUND for an unknown id', async () => {
    const { rt } = await open();
    const err = await failure(() => rt.queues.get('no-such-id'));
    expect(err.code).toBe('QUEUE_ELEMENT_NOT_FOUND');
    expect(err.context).toEqual({ id: 'no-such-id' });
  });

  it('refuses bad names, references, data and options, writing nothing', async () => {
    const { rt } = await open();
    const ops = rt.journalStats.ops;
    expect(await codeOf(() => rt.queues.create('bad name'))).toBe('INVALID_NAME');
    expect(await codeOf(() => rt.queues.create('q', { reference: 'a\nb' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.create('q', { reference: 'x'.repeat(257) }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.create('q', { createdBy: '' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.create('q', { data: () => 1 }))).toBe('INVALID_VALUE');
    expect(await codeOf(() => rt.queues.bulkCreate<unknown>('q', [{ data: 1 }, { data: Symbol('x') }]))).toBe(
      'INVALID_VALUE',
    );
    expect(await codeOf(() => rt.queues.bulkCreate('q', 'x' as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.bulkCreate('q', [null as never]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.create('q', { requestId: '' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.next('q', { claim: 'yes' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.list('q', { limit: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.list('q', { limit: 1001 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.list('q', { offset: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.list('q', { status: 'DONEISH' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.setStatus('id', 'LATER' as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.setStatus('id', 'DONE', 'x'.repeat(65_537)))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.queues.get(''))).toBe('INVALID_ARGUMENT');
    expect(() => rt.queues.watch('bad name', () => undefined)).toThrow(/queue name/);
    expect(rt.journalStats.ops).toBe(ops);
    expect(await rt.queues.queues()).toEqual([]);
  });

  it('RUNTIME_CLOSED once the runtime is closed', async () => {
    const { rt } = await open();
    const created = await rt.queues.create('q');
    await rt.close();
    expect(await codeOf(() => rt.queues.create('q'))).toBe('RUNTIME_CLOSED');
    expect(await codeOf(() => rt.queues.next('q'))).toBe('RUNTIME_CLOSED');
    expect(await codeOf(() => rt.queues.list('q'))).toBe('RUNTIME_CLOSED');
    expect(await codeOf(() => rt.queues.get(created.id))).toBe('RUNTIME_CLOSED');
    expect(await codeOf(() => rt.queues.queues())).toBe('RUNTIME_CLOSED');
  });
});

describe('next', () => {
  it('claims the oldest NEW element first, marking it IN_PROGRESS with startedAt', async () => {
    const { rt, clock } = await open();
    const a = await rt.queues.create('q', { data: 'a' });
    const [b, c] = await rt.queues.bulkCreate('q', [{ data: 'b' }, { data: 'c' }]);
    clock.advance(5000);
    const first = await rt.queues.next('q');
    expect(first).toEqual({ ...a, status: 'IN_PROGRESS', startedAt: new Date(T0 + 5000) });
    expect(await rt.queues.get(a.id)).toEqual(first);
    expect(ids([await rt.queues.next('q'), await rt.queues.next('q')])).toEqual(ids([b, c]));
    expect(await rt.queues.next('q')).toBeUndefined();
    expect(await rt.queues.next('other')).toBeUndefined();
  });

  it('claims only elements with the given reference, oldest first, and the rest stay in line', async () => {
    const { rt } = await open();
    const [x1, y1, x2, y2] = await rt.queues.bulkCreate('q', [
      { reference: 'x' },
      { reference: 'y' },
      { reference: 'x' },
      { reference: 'y' },
    ]);
    expect((await rt.queues.next('q', { reference: 'x' }))?.id).toBe(x1!.id);
    expect((await rt.queues.next('q'))?.id).toBe(y1!.id);
    expect((await rt.queues.next('q', { reference: 'x' }))?.id).toBe(x2!.id);
    expect(await rt.queues.next('q', { reference: 'x' })).toBeUndefined();
    expect(await rt.queues.next('q', { reference: 'z' })).toBeUndefined();
    expect((await rt.queues.next('q'))?.id).toBe(y2!.id);
    expect(await rt.queues.next('q', { reference: 'y' })).toBeUndefined();
  });

  it('peeks with claim: false, changing nothing; a claim then takes the same element', async () => {
    const { rt } = await open();
    const a = await rt.queues.create('q', { reference: 'r' });
    const ops = rt.journalStats.ops;
    expect(await rt.queues.next('q', { claim: false })).toEqual(a);
    expect(await rt.queues.next('q', { claim: false, reference: 'r' })).toEqual(a);
    expect(rt.journalStats.ops).toBe(ops);
    expect((await rt.queues.next('q'))?.id).toBe(a.id);
    expect(await rt.queues.next('q', { claim: false })).toBeUndefined();
  });

  it('concurrent claims never hand out the same element twice', async () => {
    const { rt } = await open();
    await rt.queues.bulkCreate(
      'q',
      Array.from({ length: 300 }, (_, i) => ({ data: i })),
    );
    const claimed = await Promise.all(Array.from({ length: 320 }, () => rt.queues.next<number>('q')));
    const got = claimed.filter((e) => e !== undefined).map((e) => e.data);
    expect(got.sort((a, b) => a! - b!)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});

describe('list', () => {
  it('lists newest first, with status and reference filters, offset and limit', async () => {
    const { rt } = await open();
    const all = await rt.queues.bulkCreate(
      'q',
      Array.from({ length: 10 }, (_, i) => ({ reference: i % 2 === 0 ? 'even' : 'odd', data: i })),
    );
    await rt.queues.create('other');
    const newestFirst = [...all].reverse();
    const data = (es: QueueElement[]): unknown[] => es.map((e) => e.data);
    expect(data(await rt.queues.list('q'))).toEqual(data(newestFirst));
    expect(data(await rt.queues.list('q', { offset: 2, limit: 3 }))).toEqual([7, 6, 5]);
    expect(data(await rt.queues.list('q', { offset: 9, limit: 5 }))).toEqual([0]);
    expect(await rt.queues.list('q', { offset: 10 })).toEqual([]);
    expect(data(await rt.queues.list('q', { reference: 'even' }))).toEqual([8, 6, 4, 2, 0]);

    await rt.queues.next('q'); // 0
    await rt.queues.next('q', { reference: 'odd' }); // 1
    await rt.queues.setStatus(all[4]!.id, 'DONE');
    await rt.queues.setStatus(all[5]!.id, 'FAILED');
    expect(data(await rt.queues.list('q', { status: 'IN_PROGRESS' }))).toEqual([1, 0]);
    expect(data(await rt.queues.list('q', { status: 'DONE' }))).toEqual([4]);
    expect(data(await rt.queues.list('q', { status: 'NEW', reference: 'even' }))).toEqual([8, 6, 2]);
    expect(data(await rt.queues.list('q', { status: 'NEW', reference: 'odd', limit: 2 }))).toEqual([9, 7]);
    expect(data(await rt.queues.list('q', { status: 'FAILED', reference: 'even' }))).toEqual([]);
    expect(await rt.queues.list('nothing-here')).toEqual([]);
  });
});

describe('setStatus and delete', () => {
  it('DONE and FAILED stamp endedAt and keep startedAt; the message is replaced', async () => {
    const { rt, clock } = await open();
    const a = await rt.queues.create('q');
    clock.advance(1000);
    await rt.queues.next('q');
    clock.advance(1000);
    const done = await rt.queues.setStatus(a.id, 'DONE', 'paid');
    expect(done).toEqual({
      ...a,
      status: 'DONE',
      message: 'paid',
      startedAt: new Date(T0 + 1000),
      endedAt: new Date(T0 + 2000),
    });
    expect(await rt.queues.get(a.id)).toEqual(done);
    clock.advance(1000);
    const failed = await rt.queues.setStatus(a.id, 'FAILED');
    expect(failed).toEqual({ ...a, status: 'FAILED', startedAt: new Date(T0 + 1000), endedAt: new Date(T0 + 3000) });
  });

  it('IN_PROGRESS stamps startedAt; NEW clears the times and puts the element back in its place in line', async () => {
    const { rt, clock } = await open();
    const [a, b] = await rt.queues.bulkCreate('q', [{ data: 'a' }, { data: 'b' }]);
    clock.advance(1000);
    expect((await rt.queues.setStatus(b!.id, 'IN_PROGRESS')).startedAt).toEqual(new Date(T0 + 1000));
    expect((await rt.queues.next('q'))?.id).toBe(a!.id);
    await rt.queues.setStatus(a!.id, 'DONE');
    expect(await rt.queues.next('q')).toBeUndefined();
    // Back to NEW, a DONE element (read from the store) and an IN_PROGRESS one line up by creation.
    const later = await rt.queues.create('q', { data: 'later' });
    expect(await rt.queues.setStatus(b!.id, 'NEW', 'retry')).toEqual({ ...b, message: 'retry' });
    expect(await rt.queues.setStatus(a!.id, 'NEW')).toEqual(a);
    expect(ids([await rt.queues.next('q'), await rt.queues.next('q'), await rt.queues.next('q')])).toEqual(
      ids([a, b, later]),
    );
  });

  it('changes and deletes DONE and FAILED elements, which live only in the store', async () => {
    const { rt } = await open();
    const [a, b, c] = await rt.queues.bulkCreate('q', [{}, {}, {}]);
    for (const e of [a, b, c]) await rt.queues.setStatus(e!.id, 'DONE');
    expect((await rt.queues.setStatus(a!.id, 'FAILED', 'on second thought')).status).toBe('FAILED');
    expect((await rt.queues.get(a!.id)).message).toBe('on second thought');
    expect(await rt.queues.delete(b!.id)).toBe(true);
    expect(await rt.queues.delete(b!.id)).toBe(false);
    expect(await codeOf(() => rt.queues.get(b!.id))).toBe('QUEUE_ELEMENT_NOT_FOUND');
    expect(await codeOf(() => rt.queues.setStatus(b!.id, 'DONE'))).toBe('QUEUE_ELEMENT_NOT_FOUND');
    expect((await rt.queues.list('q')).map((e) => [e.id, e.status])).toEqual([
      [c!.id, 'DONE'],
      [a!.id, 'FAILED'],
    ]);
    expect((await rt.queues.queues())[0]?.counts).toEqual({ NEW: 0, IN_PROGRESS: 0, DONE: 1, FAILED: 1 });
  });

  it('racing changes to one DONE element all apply, one after another, and the counts stay right', async () => {
    const { rt } = await open();
    const a = await rt.queues.create('q');
    await rt.queues.setStatus(a.id, 'DONE');
    const statuses = ['FAILED', 'DONE', 'FAILED', 'DONE', 'FAILED'] as const;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => rt.queues.setStatus(a.id, statuses[i % 5]!, `change ${i}`)),
    );
    const last = await rt.queues.get(a.id);
    expect(results.map((r) => r.message)).toContain(last.message);
    const counts = (await rt.queues.queues())[0]!.counts;
    expect(counts.DONE + counts.FAILED).toBe(1);
    expect(counts[last.status]).toBe(1);
    const [deleted, ...others] = await Promise.all([
      rt.queues.delete(a.id),
      rt.queues.setStatus(a.id, 'DONE').catch((err: { code: string }) => err.code),
      rt.queues.delete(a.id),
    ]);
    expect(deleted).toBe(true);
    expect(others).toEqual(['QUEUE_ELEMENT_NOT_FOUND', false]);
    expect(await rt.queues.queues()).toEqual([]);
  });

  it('deletes NEW and IN_PROGRESS elements: they leave the line', async () => {
    const { rt } = await open();
    const [a, b, c] = await rt.queues.bulkCreate('q', [{ reference: 'r' }, { reference: 'r' }, {}]);
    await rt.queues.next('q');
    expect(await rt.queues.delete(a!.id)).toBe(true);
    expect(await rt.queues.delete(b!.id)).toBe(true);
    expect(await rt.queues.next('q', { reference: 'r' })).toBeUndefined();
    expect((await rt.queues.next('q'))?.id).toBe(c!.id);
    expect((await rt.queues.list('q')).map((e) => e.id)).toEqual([c!.id]);
  });
});

describe('requestId idempotency', () => {
  it('create: the same request answers the same element and creates nothing more', async () => {
    const { rt } = await open();
    const first = await rt.queues.create('q', { data: 1, requestId: 'req-1' });
    const again = await rt.queues.create('q', { data: 1, requestId: 'req-1' });
    expect(again).toEqual(first);
    await rt.queues.setStatus(first.id, 'DONE');
    expect(await rt.queues.create('q', { data: 1, requestId: 'req-1' })).toEqual(await rt.queues.get(first.id));
    expect((await rt.queues.create('q', { data: 1, requestId: 'req-2' })).id).not.toBe(first.id);
    expect((await rt.queues.create('other', { data: 1, requestId: 'req-1' })).id).not.toBe(first.id);
    expect(await rt.queues.list('q')).toHaveLength(2);
  });

  it('bulkCreate: the same request answers the same elements', async () => {
    const { rt } = await open();
    const first = await rt.queues.bulkCreate('q', [{ data: 'a' }, { data: 'b' }], { requestId: 'bulk-1' });
    const again = await rt.queues.bulkCreate('q', [{ data: 'a' }, { data: 'b' }], { requestId: 'bulk-1' });
    expect(again).toEqual(first);
    expect((await rt.queues.queues())[0]?.counts.NEW).toBe(2);
  });

  it('a repeated create after its first element was deleted creates nothing again', async () => {
    const { rt } = await open();
    const [a, b, c] = await rt.queues.bulkCreate('q', [{ data: 'a' }, { data: 'b' }, { data: 'c' }], {
      requestId: 'bulk-2',
    });
    await rt.queues.setStatus(b!.id, 'DONE');
    expect(await rt.queues.delete(a!.id)).toBe(true);
    const again = await rt.queues.bulkCreate('q', [{ data: 'a' }, { data: 'b' }, { data: 'c' }], {
      requestId: 'bulk-2',
    });
    expect(again).toEqual([await rt.queues.get(b!.id), c]);
    expect((await rt.queues.list('q')).map((e) => e.data)).toEqual(['c', 'b']);
    expect((await rt.queues.queues())[0]?.counts).toEqual({ NEW: 1, IN_PROGRESS: 0, DONE: 1, FAILED: 0 });
  });

  it('a repeated create whose element was deleted fails QUEUE_ELEMENT_NOT_FOUND, naming it, and creates nothing', async () => {
    const { rt } = await open();
    const a = await rt.queues.create('q', { data: 1, requestId: 'req-del' });
    expect(await rt.queues.delete(a.id)).toBe(true);
    const err = await failure(() => rt.queues.create('q', { data: 1, requestId: 'req-del' }));
    expect({ code: err.code, context: err.context }).toEqual({
      code: 'QUEUE_ELEMENT_NOT_FOUND',
      context: { id: a.id, requestId: 'req-del' },
    });
    expect(err.message).toBe(
      `No queue element with id "${a.id}": request "req-del" was already applied and the element it created has been deleted since`,
    );
    // Deleted once DONE (the element then lives only in the store): the same.
    const b = await rt.queues.create('q', { requestId: 'req-done' });
    await rt.queues.setStatus(b.id, 'DONE');
    await rt.queues.delete(b.id);
    expect(await codeOf(() => rt.queues.create('q', { requestId: 'req-done' }))).toBe('QUEUE_ELEMENT_NOT_FOUND');
    // bulkCreate answers what remains of its elements: none here.
    expect(await rt.queues.bulkCreate('q', [{ data: 1 }], { requestId: 'req-del' })).toEqual([]);
    expect(await rt.queues.list('q')).toEqual([]);
  });

  it('next: the same requestId on two queues is two requests, claiming one element from each', async () => {
    const { rt, dir, clock } = await open();
    const [a] = await rt.queues.bulkCreate('a', [{ data: 'a1' }, { data: 'a2' }]);
    const [b] = await rt.queues.bulkCreate('b', [{ data: 'b1' }, { data: 'b2' }]);
    expect((await rt.queues.next('a', { requestId: 'claim-x' }))?.id).toBe(a!.id);
    expect((await rt.queues.next('b', { requestId: 'claim-x' }))?.id).toBe(b!.id);
    expect((await rt.queues.next('a', { requestId: 'claim-x' }))?.id).toBe(a!.id);
    expect((await rt.queues.next('b', { requestId: 'claim-x' }))?.id).toBe(b!.id);
    await rt.queues.create('c');
    await rt.close();

    // The claims, rebuilt from the stored elements, are still one per queue.
    const { rt: again } = await open({ dataDir: dir, clock });
    expect((await again.queues.next('b', { requestId: 'claim-x' }))?.id).toBe(b!.id);
    expect((await again.queues.next('a', { requestId: 'claim-x' }))?.id).toBe(a!.id);
    expect((await again.queues.next('c', { requestId: 'claim-x' }))?.queue).toBe('c');
    expect((await again.queues.queues()).map((q) => q.counts)).toEqual([
      { NEW: 1, IN_PROGRESS: 1, DONE: 0, FAILED: 0 },
      { NEW: 1, IN_PROGRESS: 1, DONE: 0, FAILED: 0 },
      { NEW: 0, IN_PROGRESS: 1, DONE: 0, FAILED: 0 },
    ]);
  });

  it('next: the same request answers the element it claimed while that is IN_PROGRESS', async () => {
    const { rt } = await open();
    const [a] = await rt.queues.bulkCreate('q', [{}, {}]);
    const claimed = await rt.queues.next('q', { requestId: 'claim-1' });
    expect(claimed?.id).toBe(a!.id);
    expect(await rt.queues.next('q', { requestId: 'claim-1' })).toEqual(claimed);
    expect((await rt.queues.queues())[0]?.counts).toMatchObject({ NEW: 1, IN_PROGRESS: 1 });
  });

  it('setStatus: the same request changes nothing the second time', async () => {
    const { rt, clock } = await open();
    const a = await rt.queues.create('q');
    const done = await rt.queues.setStatus(a.id, 'DONE', 'ok', { requestId: 'set-1' });
    clock.advance(1000);
    expect(await rt.queues.setStatus(a.id, 'DONE', 'ok', { requestId: 'set-1' })).toEqual(done);
    expect((await rt.queues.setStatus(a.id, 'DONE', 'ok', { requestId: 'set-2' })).endedAt).toEqual(
      new Date(T0 + 1000),
    );
  });

  it('delete: the same request answers true again', async () => {
    const { rt } = await open();
    const a = await rt.queues.create('q');
    const b = await rt.queues.create('q');
    await rt.queues.setStatus(b.id, 'FAILED');
    for (const e of [a, b]) {
      expect(await rt.queues.delete(e.id, { requestId: `del-${e.id}` })).toBe(true);
      expect(await rt.queues.delete(e.id, { requestId: `del-${e.id}` })).toBe(true);
      expect(await rt.queues.delete(e.id, { requestId: 'someone-else' })).toBe(false);
    }
  });
});

describe('watch and counts', () => {
  it('calls a watcher after new elements in its queue commit; unsubscribing stops it', async () => {
    const { rt } = await open();
    const listener = vi.fn(() => undefined);
    const stop = rt.queues.watch('q', listener);
    await rt.queues.create('other');
    await rt.queues.create('q');
    await vi.waitFor(() => expect(listener).toHaveBeenCalledTimes(1));
    await rt.queues.bulkCreate('q', [{}, {}]);
    await vi.waitFor(() => expect(listener).toHaveBeenCalledTimes(2));
    stop();
    await rt.queues.create('q');
    await rt.queues.create('other');
    await vi.waitFor(async () => expect((await rt.queues.queues()).map((q) => q.counts.NEW)).toEqual([2, 4]));
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('calls a watcher when an element is set back to NEW, from IN_PROGRESS or from FAILED', async () => {
    const { rt } = await open();
    const listener = vi.fn(() => undefined);
    rt.queues.watch('q', listener);
    const a = await rt.queues.create('q');
    await vi.waitFor(() => expect(listener).toHaveBeenCalledTimes(1));
    await rt.queues.next('q');
    await rt.queues.setStatus(a.id, 'NEW');
    await vi.waitFor(() => expect(listener).toHaveBeenCalledTimes(2));
    await rt.queues.next('q');
    await rt.queues.setStatus(a.id, 'FAILED', 'boom');
    await rt.queues.setStatus(a.id, 'NEW'); // FAILED lives only in the store
    await vi.waitFor(() => expect(listener).toHaveBeenCalledTimes(3));
    expect((await rt.queues.next('q'))?.id).toBe(a.id);
  });

  it('a watcher that throws does not stop the others', async () => {
    const { rt } = await open();
    const good = vi.fn(() => undefined);
    rt.queues.watch('q', () => {
      throw new Error('boom');
    });
    rt.queues.watch('q', good);
    await rt.queues.create('q');
    await vi.waitFor(() => expect(good).toHaveBeenCalledTimes(1));
  });

  it('counts every queue by status, in name order', async () => {
    const { rt } = await open();
    await rt.queues.bulkCreate('b', [{}, {}, {}]);
    const a = await rt.queues.create('a');
    await rt.queues.next('b');
    await rt.queues.setStatus(a.id, 'FAILED');
    expect(await rt.queues.queues()).toEqual([
      { queue: 'a', counts: { NEW: 0, IN_PROGRESS: 0, DONE: 0, FAILED: 1 } },
      { queue: 'b', counts: { NEW: 2, IN_PROGRESS: 1, DONE: 0, FAILED: 0 } },
    ]);
  });
});

describe('restart', () => {
  it('keeps every element, the line, claims, counts and the creation order', async () => {
    const clock = new ManualClock(T0);
    const { rt, dir } = await open({ clock });
    const [a, b, c, d] = await rt.queues.bulkCreate<unknown>('q', [
      { reference: 'r', data: new Date(T0) },
      { data: 'b' },
      { reference: 'r' },
      {},
    ]);
    expect((await rt.queues.next('q', { requestId: 'claim-a' }))?.id).toBe(a!.id);
    await rt.queues.setStatus(a!.id, 'DONE', 'ok');
    expect((await rt.queues.next('q', { requestId: 'claim-b' }))?.id).toBe(b!.id);
    await rt.queues.delete(d!.id, { requestId: 'del-d' });
    const before = await rt.queues.list('q');
    const counts = await rt.queues.queues();
    await rt.close();

    const { rt: again } = await open({ dataDir: dir, clock });
    expect(await again.queues.list('q')).toEqual(before);
    expect(await again.queues.queues()).toEqual(counts);
    expect((await again.queues.get(a!.id)).data).toEqual(new Date(T0));
    // The claim of request claim-b (element b) answers the same after the restart.
    expect((await again.queues.next('q', { requestId: 'claim-b' }))?.id).toBe(b!.id);
    expect(await again.queues.delete(d!.id, { requestId: 'del-d' })).toBe(true);
    const e = await again.queues.create('q', { reference: 'r' });
    expect(ids([await again.queues.next('q', { reference: 'r' }), await again.queues.next('q')])).toEqual(ids([c, e]));
    expect((await again.queues.list('q'))[0]?.id).toBe(e.id);
  });
});
