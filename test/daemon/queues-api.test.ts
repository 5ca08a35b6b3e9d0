/**
 * The queue routes in-process: every route through `app.inject()` over an in-memory
 * runtime, the views (ISO times, JSON data), 204 for an empty queue, the 4xx bodies, and
 * requestId (or Idempotency-Key) making a repeated change answer the first outcome.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { buildServer } from '../../src/daemon/server.js';

const TOKEN = 'test-token-' + 'q'.repeat(20);
let rt: Runtime;
let app: FastifyInstance;

beforeAll(async () => {
  rt = await Runtime.open({ inMemory: true, threads: 1, logger: pino({ level: 'silent' }) });
  app = await buildServer(rt, { token: TOKEN, bodyLimit: 4 * 1024 * 1024 });
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
});

interface ElementView {
  id: string;
  queue: string;
  reference?: string;
  data?: unknown;
  status: string;
  message?: string;
  createdBy: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
}

interface ErrorAnswer {
  error: { code: string; message: string; context?: Record<string, unknown> };
}

async function call<T = ElementView>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await app.inject({ method, url: `/api/v1${url}`, headers, ...(payload !== undefined && { payload }) });
  return { status: res.statusCode, body: (res.body === '' ? undefined : res.json()) as T };
}

async function failsWith(answer: Promise<{ status: number; body: unknown }>, status: number, code: string) {
  const { status: got, body } = await answer;
  expect({ status: got, code: (body as ErrorAnswer).error?.code }).toEqual({ status, code });
  return (body as ErrorAnswer).error;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('creating', () => {
  it('POST /queues/:queue/elements creates an element: 201 with the view', async () => {
    const res = await call('POST', '/queues/invoices/elements', {
      body: { reference: 'INV-1', data: { amount: 10 }, createdBy: 'toni' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String) as string,
      queue: 'invoices',
      reference: 'INV-1',
      data: { amount: 10 },
      status: 'NEW',
      createdBy: 'toni',
      createdAt: expect.stringMatching(ISO) as string,
    });
    const bare = await call('POST', '/queues/invoices/elements');
    expect(bare.status).toBe(201);
    expect(bare.body).toMatchObject({ queue: 'invoices', status: 'NEW', createdBy: 'api' });
    expect(bare.body).not.toHaveProperty('data');
  });

  it('POST /queues/:queue/elements/bulk creates them all, in order', async () => {
    const elements = Array.from({ length: 500 }, (_, i) => ({ reference: `r${i % 2}`, data: i }));
    const res = await call<{ items: ElementView[] }>('POST', '/queues/bulk/elements/bulk', { body: { elements } });
    expect(res.status).toBe(201);
    expect(res.body.items.map((e) => e.data)).toEqual(elements.map((e) => e.data));
    expect(res.body.items[1]).toMatchObject({ reference: 'r1', status: 'NEW' });
  });

  it('refuses bad bodies and names with 400', async () => {
    await failsWith(call('POST', '/queues/bad%20name/elements', { body: {} }), 400, 'INVALID_NAME');
    const unknown = await failsWith(
      call('POST', '/queues/q/elements', { body: { colour: 'red' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(unknown.message).toBe('body/colour is not a known field');
    await failsWith(
      call('POST', '/queues/q/elements', { body: { reference: 'x'.repeat(257) } }),
      400,
      'INVALID_REQUEST',
    );
    await failsWith(call('POST', '/queues/q/elements', { body: { reference: 'a\u0007b' } }), 400, 'INVALID_ARGUMENT');
    await failsWith(call('POST', '/queues/q/elements', { body: [1] }), 400, 'INVALID_REQUEST');
    const missing = await failsWith(call('POST', '/queues/q/elements/bulk', { body: {} }), 400, 'INVALID_REQUEST');
    expect(missing.message).toBe('body/elements is required');
    const tooMany = Array.from({ length: 10_001 }, () => ({}));
    const many = await failsWith(
      call('POST', '/queues/q/elements/bulk', { body: { elements: tooMany } }),
      400,
      'INVALID_REQUEST',
    );
    expect(many.message).toBe('body/elements must NOT have more than 10000 items');
    await failsWith(
      call('POST', '/queues/q/elements/bulk', { body: { elements: [{ data: 1, extra: true }] } }),
      400,
      'INVALID_REQUEST',
    );
    expect((await call('GET', '/queues/q/elements')).body).toEqual({ items: [] });
  });

  it('401 without the token', async () => {
    await failsWith(call('POST', '/queues/q/elements', { body: {}, token: null }), 401, 'UNAUTHORIZED');
    await failsWith(call('GET', '/queues', { token: null }), 401, 'UNAUTHORIZED');
  });
});

describe('claiming and listing', () => {
  it('POST /queues/:queue/next claims oldest first, by reference, peeks, and answers 204 when empty', async () => {
    const { body } = await call<{ items: ElementView[] }>('POST', '/queues/work/elements/bulk', {
      body: { elements: [{ reference: 'x' }, { reference: 'y' }, { reference: 'x' }] },
    });
    const [x1, y1, x2] = body.items;
    const peek = await call('POST', '/queues/work/next', { body: { claim: false } });
    expect(peek).toMatchObject({ status: 200, body: { id: x1!.id, status: 'NEW' } });
    const byRef = await call('POST', '/queues/work/next', { body: { reference: 'y' } });
    expect(byRef.body).toMatchObject({
      id: y1!.id,
      status: 'IN_PROGRESS',
      startedAt: expect.stringMatching(ISO) as string,
    });
    expect((await call('POST', '/queues/work/next')).body.id).toBe(x1!.id);
    expect((await call('POST', '/queues/work/next', { body: {} })).body.id).toBe(x2!.id);
    const empty = await call('POST', '/queues/work/next');
    expect(empty).toEqual({ status: 204, body: undefined });
    await failsWith(call('POST', '/queues/work/next', { body: { claim: 'yes' } }), 400, 'INVALID_REQUEST');
  });

  it('GET /queues/:queue/elements lists newest first with filters, offset and limit', async () => {
    await call('POST', '/queues/listing/elements/bulk', {
      body: { elements: Array.from({ length: 6 }, (_, i) => ({ reference: i % 2 ? 'odd' : 'even', data: i })) },
    });
    await call('POST', '/queues/listing/next');
    const data = async (query: string): Promise<unknown[]> => {
      const res = await call<{ items: ElementView[] }>('GET', `/queues/listing/elements${query}`);
      expect(res.status).toBe(200);
      return res.body.items.map((e) => e.data);
    };
    expect(await data('')).toEqual([5, 4, 3, 2, 1, 0]);
    expect(await data('?offset=1&limit=2')).toEqual([4, 3]);
    expect(await data('?reference=odd')).toEqual([5, 3, 1]);
    expect(await data('?status=IN_PROGRESS')).toEqual([0]);
    expect(await data('?status=NEW&reference=even')).toEqual([4, 2]);
    const limit = await failsWith(call('GET', '/queues/listing/elements?limit=0'), 400, 'INVALID_REQUEST');
    expect(limit.message).toBe('querystring/limit must be >= 1');
    const status = await failsWith(call('GET', '/queues/listing/elements?status=OK'), 400, 'INVALID_REQUEST');
    expect(status.message).toMatch(/^querystring\/status must be one of "NEW", "IN_PROGRESS"/);
    await failsWith(call('GET', '/queues/listing/elements?offset=-1'), 400, 'INVALID_REQUEST');
    await failsWith(call('GET', '/queues/listing/elements?colour=red'), 400, 'INVALID_REQUEST');
  });

  it('GET /queues counts every queue by status', async () => {
    await call('POST', '/queues/counted/elements/bulk', { body: { elements: [{}, {}] } });
    await call('POST', '/queues/counted/next');
    const res = await call<{ items: Array<{ queue: string; counts: Record<string, number> }> }>('GET', '/queues');
    expect(res.status).toBe(200);
    expect(res.body.items.find((q) => q.queue === 'counted')).toEqual({
      queue: 'counted',
      counts: { NEW: 1, IN_PROGRESS: 1, DONE: 0, FAILED: 0 },
    });
    const names = res.body.items.map((q) => q.queue);
    expect(names).toEqual([...names].sort());
  });
});

describe('one element', () => {
  it('GET, PATCH and DELETE /queue-elements/:id', async () => {
    const { body: created } = await call('POST', '/queues/one/elements', { body: { data: [1, 2] } });
    expect(await call('GET', `/queue-elements/${created.id}`)).toEqual({ status: 200, body: created });
    const done = await call('PATCH', `/queue-elements/${created.id}`, { body: { status: 'DONE', message: 'ok' } });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({
      ...created,
      status: 'DONE',
      message: 'ok',
      endedAt: expect.stringMatching(ISO) as string,
    });
    expect((await call('GET', `/queue-elements/${created.id}`)).body).toEqual(done.body);
    const failed = await call('PATCH', `/queue-elements/${created.id}`, { body: { status: 'FAILED' } });
    expect(failed.body).toMatchObject({ status: 'FAILED' });
    expect(failed.body).not.toHaveProperty('message');
    expect(await call('DELETE', `/queue-elements/${created.id}`)).toEqual({ status: 200, body: { deleted: true } });
    await failsWith(call('DELETE', `/queue-elements/${created.id}`), 404, 'QUEUE_ELEMENT_NOT_FOUND');
  });

  it('404 QUEUE_ELEMENT_NOT_FOUND for an unknown id; 400 for a bad status change', async () => {
    const missing = await failsWith(call('GET', '/queue-elements/no-such-id'), 404, 'QUEUE_ELEMENT_NOT_FOUND');
    expect(missing.context).toEqual({ id: 'no-such-id' });
    await failsWith(
      call('PATCH', '/queue-elements/no-such-id', { body: { status: 'DONE' } }),
      404,
      'QUEUE_ELEMENT_NOT_FOUND',
    );
    const { body: created } = await call('POST', '/queues/one/elements');
    const status = await failsWith(
      call('PATCH', `/queue-elements/${created.id}`, { body: { status: 'SKIPPED' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(status.message).toMatch(/^body\/status must be one of "NEW"/);
    const none = await failsWith(call('PATCH', `/queue-elements/${created.id}`, { body: {} }), 400, 'INVALID_REQUEST');
    expect(none.message).toBe('body/status is required');
    await failsWith(
      call('PATCH', `/queue-elements/${created.id}`, { body: { status: 'DONE', message: 'x'.repeat(65_537) } }),
      400,
      'INVALID_REQUEST',
    );
    expect((await call('GET', `/queue-elements/${created.id}`)).body.status).toBe('NEW');
  });

  it('data the runtime stored with superjson comes out as JSON (Dates as ISO strings)', async () => {
    const at = new Date(Date.UTC(2026, 0, 2));
    const element = await rt.queues.create('typed', { data: { at, big: 12n, tags: new Set(['a']) } });
    const res = await call('GET', `/queue-elements/${element.id}`);
    expect(res.body.data).toEqual({ at: at.toISOString(), big: '12', tags: ['a'] });
  });
});

describe('requestId', () => {
  it('a repeated next answers the element it claimed the first time; another requestId claims the next', async () => {
    const { body } = await call<{ items: ElementView[] }>('POST', '/queues/retried/elements/bulk', {
      body: { elements: [{ data: 1 }, { data: 2 }, { data: 3 }] },
    });
    const [first, second] = body.items;
    const claim = (requestId: string) => call('POST', '/queues/retried/next', { body: { requestId } });
    const once = await claim('claim-1');
    expect(once.body).toMatchObject({ id: first!.id, status: 'IN_PROGRESS' });
    expect(await claim('claim-1')).toEqual(once);
    expect((await claim('claim-2')).body.id).toBe(second!.id);
    const inProgress = await call<{ items: ElementView[] }>('GET', '/queues/retried/elements?status=IN_PROGRESS');
    expect(inProgress.body.items.map((e) => e.data)).toEqual([2, 1]);
  });

  it('a repeated create or bulk create creates nothing more and answers the same elements', async () => {
    const create = () =>
      call('POST', '/queues/once/elements', { body: { reference: 'INV-9', data: { n: 9 }, requestId: 'create-1' } });
    const created = await create();
    expect(created.status).toBe(201);
    expect(await create()).toEqual(created);
    const bulk = () =>
      call<{ items: ElementView[] }>('POST', '/queues/once/elements/bulk', {
        body: { elements: [{ data: 'a' }, { data: 'b' }], requestId: 'bulk-1' },
      });
    const items = (await bulk()).body.items;
    expect((await bulk()).body.items).toEqual(items);
    const listed = await call<{ items: ElementView[] }>('GET', '/queues/once/elements');
    expect(listed.body.items.map((e) => e.id)).toEqual([items[1]!.id, items[0]!.id, created.body.id]);
  });

  it('a repeated create whose element was deleted answers 404 QUEUE_ELEMENT_NOT_FOUND, naming it', async () => {
    const create = () => call('POST', '/queues/gone/elements', { body: { requestId: 'create-gone' } });
    const { body: element } = await create();
    expect((await call('DELETE', `/queue-elements/${element.id}`)).status).toBe(200);
    const error = await failsWith(create(), 404, 'QUEUE_ELEMENT_NOT_FOUND');
    expect(error.message).toContain(
      `No queue element with id "${element.id}": request "create-gone" was already applied`,
    );
    expect(error.context).toEqual({ id: element.id, requestId: 'create-gone' });
  });

  it('a repeated PATCH changes nothing; a repeated DELETE (?requestId=) answers 200 again', async () => {
    const { body: element } = await call('POST', '/queues/patched/elements');
    const patch = () =>
      call('PATCH', `/queue-elements/${element.id}`, { body: { status: 'DONE', message: 'paid', requestId: 'p-1' } });
    const done = await patch();
    expect(done.body).toMatchObject({ status: 'DONE', message: 'paid' });
    expect(await patch()).toEqual(done);
    const remove = () => call('DELETE', `/queue-elements/${element.id}?requestId=d-1`);
    expect(await remove()).toEqual({ status: 200, body: { deleted: true } });
    expect(await remove()).toEqual({ status: 200, body: { deleted: true } });
    await failsWith(call('DELETE', `/queue-elements/${element.id}?requestId=d-2`), 404, 'QUEUE_ELEMENT_NOT_FOUND');
  });

  it('takes the Idempotency-Key header as the requestId; the body and the header must agree', async () => {
    const keyed = (key: string, body?: unknown) =>
      call('POST', '/queues/headed/elements', {
        headers: { 'idempotency-key': key },
        ...(body !== undefined && { body }),
      });
    const created = await keyed('key-1');
    expect(created.status).toBe(201);
    expect(await keyed('key-1')).toEqual(created);
    expect(await keyed('key-1', { requestId: 'key-1' })).toEqual(created);
    const claim = () => call('POST', '/queues/headed/next', { headers: { 'Idempotency-Key': 'headed-claim-1' } });
    const claimed = await claim();
    expect(claimed.body).toMatchObject({ id: created.body.id, status: 'IN_PROGRESS' });
    expect(await claim()).toEqual(claimed);
    const differ = await failsWith(keyed('key-2', { requestId: 'key-3' }), 400, 'INVALID_REQUEST');
    expect(differ.message).toBe('requestId and the Idempotency-Key header differ; send one, or the same in both');
    expect(differ.context).toEqual({ field: 'requestId' });
    expect((await call<{ items: ElementView[] }>('GET', '/queues/headed/elements')).body.items).toHaveLength(1);
  });

  it('refuses a requestId that is too long, empty or holds control characters, naming it', async () => {
    const long = 'r'.repeat(257);
    const tooLong = await failsWith(
      call('POST', '/queues/q/next', { body: { requestId: long } }),
      400,
      'INVALID_REQUEST',
    );
    expect(tooLong.message).toBe('body/requestId must NOT have more than 256 characters');
    const bulk = await failsWith(
      call('POST', '/queues/q/elements/bulk', { body: { elements: [{}], requestId: '' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(bulk.message).toBe('body/requestId must NOT have fewer than 1 characters');
    const query = await failsWith(call('DELETE', `/queue-elements/x?requestId=${long}`), 400, 'INVALID_REQUEST');
    expect(query.message).toBe('querystring/requestId must NOT have more than 256 characters');
    const header = await failsWith(
      call('POST', '/queues/q/elements', { headers: { 'idempotency-key': long } }),
      400,
      'INVALID_REQUEST',
    );
    expect(header.message).toBe('headers/idempotency-key must NOT have more than 256 characters');
    const control = await failsWith(
      call('PATCH', '/queue-elements/x', { body: { status: 'DONE', requestId: 'a\u0007b' } }),
      400,
      'INVALID_ARGUMENT',
    );
    expect(control.context).toEqual({ argument: 'requestId' });
    expect((await call('GET', '/queues/q/elements')).body).toEqual({ items: [] });
  });
});
