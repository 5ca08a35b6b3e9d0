/**
 * `GET /api/v1/logs` (a page of lines across executions, or with follow=1 a server-sent
 * event stream) and `POST /api/v1/retention/run`, through `app.inject()` over an in-memory
 * runtime on a ManualClock; then the same through WeftClient against a listening server.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { statusOf, toHttpError } from '../../src/daemon/http-errors.js';
import { buildServer } from '../../src/daemon/server.js';
import { ReaderTooSlowError } from '../../src/errors.js';
import { ManualClock, Runtime, WeftClient, workflow, type LogLine } from '../../src/index.js';
import { FOLLOW_BUFFER_LINES } from '../../src/logs.js';

const TOKEN = 'test-token-' + 'x'.repeat(20);
const T0 = Date.UTC(2026, 0, 1);
const DAY = 24 * 60 * 60 * 1000;

const alpha = workflow('alpha', (ctx, tag: string) => {
  ctx.log.info({ tag }, `${tag} info`);
  ctx.log.warn({ tag }, `${tag} warn`);
  return Promise.resolve(tag);
});
const beta = workflow('beta', (ctx, tag: string) => {
  ctx.log.error({ tag }, `${tag} error`);
  return Promise.resolve(tag);
});

/** Waits for `go`, then writes `count` lines in one burst. */
const burst = workflow('burst', async (ctx, count: number) => {
  ctx.log.info('waiting for go');
  await ctx.waitSignal('go');
  for (let i = 0; i < count; i++) ctx.log.info({ i }, 'burst line');
  return count;
});

const clock = new ManualClock(T0);
let rt: Runtime;
let app: FastifyInstance;

beforeAll(async () => {
  rt = await Runtime.open({
    inMemory: true,
    clock,
    workflows: [alpha, beta, burst],
    threads: 1,
    logger: pino({ level: 'silent' }),
    retention: { maxAgeMs: DAY, intervalMs: 3650 * DAY, batchSize: 10 },
  });
  app = await buildServer(rt, { token: TOKEN });
  // Three executions a second apart: alpha a1 at T0, beta b1 at T0+1s, alpha a2 at T0+2s.
  for (const [name, tag] of [
    ['alpha', 'a1'],
    ['beta', 'b1'],
    ['alpha', 'a2'],
  ] as const) {
    await (await rt.start(name, tag)).result();
    clock.advance(1000);
  }
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
});

/** A page, or an error body. */
interface Body {
  items: LogLine[];
  cursor?: string;
  error?: { code: string };
}

async function get(url: string, token: string | null = TOKEN): Promise<{ status: number; body: Body }> {
  const res = await app.inject({
    method: 'GET',
    url,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, body: res.json<Body>() };
}

const msgs = (body: { items: LogLine[] }): Array<string | undefined> => body.items.map((l) => l.msg);

describe('GET /api/v1/logs', () => {
  it('answers lines across executions, oldest first, filtered by workflow, execution, level and time', async () => {
    const all = await get('/api/v1/logs');
    expect(all.status).toBe(200);
    expect(msgs(all.body)).toEqual(['a1 info', 'a1 warn', 'b1 error', 'a2 info', 'a2 warn']);
    expect(all.body.cursor).toBeUndefined();
    expect(all.body.items[2]).toMatchObject({ workflow: 'beta', level: 50, time: T0 + 1000, tag: 'b1' });

    expect(msgs((await get('/api/v1/logs?workflow=alpha&level=warn')).body)).toEqual(['a1 warn', 'a2 warn']);
    const a2 = all.body.items[3]!.executionId;
    expect(msgs((await get(`/api/v1/logs?execution=${a2}`)).body)).toEqual(['a2 info', 'a2 warn']);
    expect(msgs((await get(`/api/v1/logs?since=${T0 + 1000}&until=${T0 + 2000}`)).body)).toEqual(['b1 error']);
    const iso = (ms: number): string => encodeURIComponent(new Date(ms).toISOString());
    expect(msgs((await get(`/api/v1/logs?since=${iso(T0 + 1)}&until=${iso(T0 + 2001)}`)).body)).toEqual([
      'b1 error',
      'a2 info',
      'a2 warn',
    ]);
  });

  it('pages with limit and cursor', async () => {
    const first = await get('/api/v1/logs?limit=2');
    expect(msgs(first.body)).toEqual(['a1 info', 'a1 warn']);
    expect(typeof first.body.cursor).toBe('string');
    const second = await get(`/api/v1/logs?limit=2&cursor=${encodeURIComponent(first.body.cursor!)}`);
    expect(msgs(second.body)).toEqual(['b1 error', 'a2 info']);
    const third = await get(`/api/v1/logs?limit=2&cursor=${encodeURIComponent(second.body.cursor!)}`);
    expect(msgs(third.body)).toEqual(['a2 warn']);
    expect(third.body.cursor).toBeUndefined();
  });

  it('answers 400 for bad parameters and 401 without a token', async () => {
    const code = async (url: string): Promise<[number, string]> => {
      const { status, body } = await get(url);
      return [status, body.error?.code ?? ''];
    };
    expect(await code('/api/v1/logs?limit=0')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/v1/logs?limit=1001')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/v1/logs?level=loud')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/v1/logs?since=yesterday')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/v1/logs?until=')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/v1/logs?colour=red')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/v1/logs?cursor=nonsense')).toEqual([400, 'INVALID_ARGUMENT']);
    expect(await code('/api/v1/logs?workflow=no%20spaces')).toEqual([400, 'INVALID_NAME']);
    expect(await code('/api/v1/logs?follow=1&since=0')).toEqual([400, 'INVALID_REQUEST']);
    expect((await get('/api/v1/logs', null)).status).toBe(401);
  });

  it('follows new lines as server-sent events until the server closes', async () => {
    const server = await buildServer(rt, { token: TOKEN });
    const stream = server.inject({
      method: 'GET',
      url: '/api/v1/logs?follow=1&workflow=alpha&level=info',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await vi.waitFor(() => expect(rt.logs.followers).toBe(1));
    const a3 = await rt.start(alpha, 'a3');
    await (await rt.start(beta, 'b3')).result();
    await a3.result();
    await server.close();
    const res = await stream;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = res.body
      .split('\n\n')
      .filter((chunk) => chunk.length > 0 && !chunk.startsWith(':'))
      .map((chunk) => {
        const [event, data] = chunk.split('\n');
        return { event: event!.replace('event: ', ''), data: JSON.parse(data!.replace('data: ', '')) as LogLine };
      });
    expect(events.map((e) => [e.event, e.data.msg])).toEqual([
      ['log', 'a3 info'],
      ['log', 'a3 warn'],
    ]);
    expect(events[0]!.data.executionId).toBe(a3.id);
    expect(rt.logs.followers).toBe(0);
  });
});

describe('POST /api/v1/retention/run', () => {
  it('prunes what ended past the age, and answers how many', async () => {
    const post = async (): Promise<{ status: number; body: unknown }> => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/retention/run',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return { status: res.statusCode, body: res.json<unknown>() };
    };
    const before = rt.metrics().executions.SUCCESS;
    expect(await post()).toEqual({ status: 200, body: { pruned: 0 } });
    clock.advance(2 * DAY);
    expect(await post()).toEqual({ status: 200, body: { pruned: before } });
    expect(rt.metrics().executions.SUCCESS).toBe(0);
    expect((await get('/api/v1/logs')).body).toEqual({ items: [] });
  });
});

describe('WeftClient.logQuery', () => {
  it('queries, follows and runs retention against a listening daemon', async () => {
    const server = await buildServer(rt, { token: TOKEN });
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = server.server.address() as AddressInfo;
      const client = new WeftClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
      const abort = new AbortController();
      const followed: LogLine[] = [];
      const following = (async () => {
        for await (const line of client.logQuery.follow({ level: 'warn', signal: abort.signal })) {
          followed.push(line);
          if (followed.length === 2) abort.abort();
        }
      })().catch((err: unknown) => {
        if (!abort.signal.aborted) throw err;
      });
      await vi.waitFor(() => expect(rt.logs.followers).toBe(1));
      const since = clock.now();
      await (await rt.start(alpha, 'c1')).result();
      await (await rt.start(beta, 'c2')).result();
      await following;
      expect(followed.map((l) => l.msg)).toEqual(['c1 warn', 'c2 error']);

      const page = await client.logQuery.query({ since: new Date(since), limit: 2 });
      expect(page.items.map((l) => l.msg)).toEqual(['c1 info', 'c1 warn']);
      const next = await client.logQuery.query({ since, limit: 2, cursor: page.cursor as string });
      expect(next.items.map((l) => l.msg)).toEqual(['c2 error']);
      expect((await client.logQuery.query({ workflow: 'beta', level: 'error' })).items).toHaveLength(1);
      await expect(client.logQuery.query({ level: 'loud' as 'info' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });

      clock.advance(2 * DAY);
      expect(await client.logQuery.runRetention()).toEqual({ pruned: 2 });
    } finally {
      await server.close();
    }
  });
});

describe('a follower that falls behind', () => {
  // A code of its own: ABORTED is a caller's own signal, and the SSE route tells the two apart.
  const behind = {
    code: 'READER_TOO_SLOW',
    message: 'The reader fell behind by more than 10,000 lines; follow again',
    context: { what: 'log follow', bufferedLines: FOLLOW_BUFFER_LINES },
  };

  it('gets the lines held for it, then READER_TOO_SLOW, instead of lines held without bound', async () => {
    const abort = new AbortController();
    const follow = rt.logs.follow({ workflow: 'burst', signal: abort.signal });
    const run = await rt.start(burst, FOLLOW_BUFFER_LINES + 1);
    await run.signal('go');
    await run.result();
    let taken = 0;
    const reading = (async () => {
      // Nothing read until the burst is written: one line more than a follow holds.
      for await (const _line of follow) if (++taken > FOLLOW_BUFFER_LINES) break;
    })();
    await expect(reading).rejects.toMatchObject(behind);
    await expect(reading).rejects.toBeInstanceOf(ReaderTooSlowError);
    expect(taken).toBe(FOLLOW_BUFFER_LINES);
    expect(rt.logs.followers).toBe(0);
    abort.abort();
  });

  it('ends both HTTP follows with event: error, which the client throws', async () => {
    const server = await buildServer(rt, { token: TOKEN });
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = server.server.address() as AddressInfo;
      const client = new WeftClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
      const run = await rt.start(burst, FOLLOW_BUFFER_LINES + 1);
      const count = async (lines: AsyncIterable<LogLine>, seen: LogLine[]): Promise<number> => {
        // Past what a follow holds, it failed to end: stop rather than wait for its end.
        for await (const line of lines) if (seen.push(line) > 1 + FOLLOW_BUFFER_LINES) break;
        return seen.length;
      };
      // The execution's follow: its stored line, then the burst (live); across executions, the burst.
      const ofRun: LogLine[] = [];
      const following = count(client.followLogs(run.id), ofRun);
      const across = count(client.logQuery.follow({ workflow: 'burst' }), []);
      await vi.waitFor(() => {
        expect(ofRun.map((l) => l.msg)).toEqual(['waiting for go']);
        expect(rt.logs.followers).toBe(1);
      });
      await run.signal('go');
      const [ofRunEnd, acrossEnd] = await Promise.allSettled([following, across]);
      expect(ofRunEnd).toMatchObject({ status: 'rejected', reason: behind });
      expect(acrossEnd).toMatchObject({ status: 'rejected', reason: behind });
      expect(ofRun).toHaveLength(1 + FOLLOW_BUFFER_LINES);
      expect(ofRun.at(-1)).toMatchObject({ msg: 'burst line', i: FOLLOW_BUFFER_LINES - 1 });
    } finally {
      await server.close();
    }
  });

  it('is a 409 with its message and context outside a stream (inside one, 200 is sent already)', () => {
    const err = new ReaderTooSlowError('log follow', FOLLOW_BUFFER_LINES);
    expect(statusOf('READER_TOO_SLOW')).toBe(409);
    expect(toHttpError(err)).toEqual({ status: 409, body: { error: behind } });
  });
});
