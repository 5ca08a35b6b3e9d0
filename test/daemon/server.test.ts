/**
 * The daemon's HTTP layer in-process: every route through `app.inject()` over a real
 * in-memory runtime (real worker threads), the error mapping (400/401/404/409/413/415/5xx),
 * the Prometheus text and the OpenAPI document. One runtime and one server serve the file.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RuntimeClosedError, Runtime, SettingNotFoundError, WeftError, type ExecutionInfo } from '../../src/index.js';
import { statusOf, toHttpError } from '../../src/daemon/http-errors.js';
import { renderPrometheus } from '../../src/daemon/prometheus.js';
import { buildServer } from '../../src/daemon/server.js';
import { sendEvent } from '../../src/daemon/sse.js';
import { executionView, jsonValue } from '../../src/daemon/views.js';
import type { RuntimeMetrics } from '../../src/metrics.js';
import { awaitGo, gates } from '../fixtures/daemon-workflows.js';
import { cleanup, release, sideFile, waitForLine } from '../fixtures/harness.js';
import { ACTIVITIES, ALL_WORKFLOWS } from '../fixtures/workflows.js';
import type { SettingView } from '../../src/client/views.js';

const TOKEN = 'test-token-' + 'x'.repeat(20);
const BODY_LIMIT = 16 * 1024;

let rt: Runtime;
let app: FastifyInstance;

beforeAll(async () => {
  rt = await Runtime.open({
    inMemory: true,
    workflows: [...ALL_WORKFLOWS, awaitGo, gates],
    activities: [ACTIVITIES],
    threads: 1,
    logger: pino({ level: 'silent' }),
    shutdownGraceMs: 2000,
  });
  app = await buildServer(rt, { token: TOKEN, bodyLimit: BODY_LIMIT });
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
  await cleanup();
});

interface Answer<T> {
  status: number;
  body: T;
  text: string;
  headers: Record<string, unknown>;
}

interface ErrorAnswer {
  error: { code: string; message: string; context?: Record<string, unknown> };
}

/** One request with the token (`token: null` for none); `raw` sends text as it is. */
async function call<T = Record<string, unknown>>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  options: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  let payload: string | undefined = options.raw;
  if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await app.inject({ method, url, headers, ...(payload !== undefined && { payload }) });
  let body: unknown = res.body;
  try {
    body = res.json();
  } catch {
    // Text answers (metrics, event streams) stay text.
  }
  return { status: res.statusCode, body: body as T, text: res.body, headers: res.headers };
}

async function failsWith(answer: Promise<Answer<unknown>>, status: number, code: string): Promise<ErrorAnswer> {
  const { status: got, body } = await answer;
  expect({ status: got, code: (body as ErrorAnswer).error?.code }).toEqual({ status, code });
  return body as ErrorAnswer;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('auth, health and unknown routes', () => {
  it('GET /health needs no token', async () => {
    const res = await call('GET', '/health', { token: null });
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers 401 UNAUTHORIZED without a token, with a wrong one, or with another scheme', async () => {
    await failsWith(call('GET', '/api/v1/executions', { token: null }), 401, 'UNAUTHORIZED');
    await failsWith(call('GET', '/api/v1/executions', { token: 'wrong' }), 401, 'UNAUTHORIZED');
    await failsWith(call('GET', '/api/v1/executions', { token: TOKEN + 'x' }), 401, 'UNAUTHORIZED');
    await failsWith(
      call('GET', '/api/v1/executions', { token: null, headers: { authorization: `Basic ${TOKEN}` } }),
      401,
      'UNAUTHORIZED',
    );
    const ok = await call('GET', '/api/v1/executions', { token: null, headers: { authorization: `bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  it('answers 404 ROUTE_NOT_FOUND for unknown routes, and 401 before that without a token', async () => {
    const body = await failsWith(call('GET', '/api/v2/nothing?x=1'), 404, 'ROUTE_NOT_FOUND');
    expect(body.error.context).toEqual({ method: 'GET', url: '/api/v2/nothing' });
    await failsWith(call('GET', '/api/v2/nothing', { token: null }), 401, 'UNAUTHORIZED');
  });
});

describe('executions', () => {
  it('starts an execution: 201 when created, 200 when the id existed', async () => {
    const created = await call('POST', '/api/v1/executions', { body: { workflow: 'echo', input: [42], id: 'echo-1' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'echo-1' });
    const again = await call('POST', '/api/v1/executions', { body: { workflow: 'echo', input: [7], id: 'echo-1' } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe('echo-1');

    const result = await call('GET', '/api/v1/executions/echo-1/result');
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      id: 'echo-1',
      workflow: 'echo',
      version: '1',
      status: 'SUCCESS',
      input: { args: [42] },
      result: 42,
    });
    for (const key of ['createdAt', 'startedAt', 'endedAt']) expect(result.body[key]).toMatch(ISO);
    const view = await call('GET', '/api/v1/executions/echo-1');
    expect(view.body).toEqual(result.body);
  });

  it('takes input as { args, kwargs }', async () => {
    const res = await call('POST', '/api/v1/executions', { body: { workflow: 'echo', input: { kwargs: { t: 5 } } } });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const result = await call('GET', `/api/v1/executions/${id}/result`);
    expect(result.body).toMatchObject({ input: { args: [], kwargs: { t: 5 } }, result: { t: 5 } });
  });

  it('rejects bad start requests', async () => {
    await failsWith(call('POST', '/api/v1/executions', { body: { workflow: 'nope' } }), 404, 'WORKFLOW_NOT_FOUND');
    const missing = await failsWith(call('POST', '/api/v1/executions', { body: {} }), 400, 'INVALID_REQUEST');
    expect(missing.error.message).toBe('body/workflow is required');
    const unknown = await failsWith(
      call('POST', '/api/v1/executions', { body: { workflow: 'echo', extra: 1 } }),
      400,
      'INVALID_REQUEST',
    );
    expect(unknown.error.message).toBe('body/extra is not a known field');
    const input = await failsWith(
      call('POST', '/api/v1/executions', { body: { workflow: 'echo', input: 'x' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(input.error.message).toBe('body/input must be an array or an object');
    await failsWith(
      call('POST', '/api/v1/executions', { body: { workflow: 'echo', id: 'bad id!' } }),
      400,
      'INVALID_NAME',
    );
    await failsWith(call('POST', '/api/v1/executions', { body: [1] }), 400, 'INVALID_REQUEST');
  });

  it('lists executions with filters and pages', async () => {
    const since = Date.now();
    for (const value of [1, 2, 3])
      await call('POST', '/api/v1/executions', { body: { workflow: 'echo', input: [value] } });
    const page = await call<{ items: Array<{ workflow: string; createdAt: string }>; cursor?: string }>(
      'GET',
      `/api/v1/executions?workflow=echo&since=${since}&limit=2`,
    );
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.cursor).toEqual(expect.any(String));
    const rest = await call<{ items: unknown[] }>(
      'GET',
      `/api/v1/executions?workflow=echo&since=${new Date(since).toISOString()}&cursor=${encodeURIComponent(page.body.cursor!)}`,
    );
    expect(rest.body.items.length).toBeGreaterThanOrEqual(1);
    const none = await call<{ items: unknown[] }>('GET', '/api/v1/executions?status=TIMED_OUT&workflow=echo');
    expect(none.body.items).toEqual([]);
  });

  it('answers 400 naming the query parameter that is wrong', async () => {
    const limit = await failsWith(call('GET', '/api/v1/executions?limit=abc'), 400, 'INVALID_REQUEST');
    expect(limit.error.message).toBe('querystring/limit must be an integer');
    expect(limit.error.context).toEqual({ field: 'querystring/limit' });
    const big = await failsWith(call('GET', '/api/v1/executions?limit=5000'), 400, 'INVALID_REQUEST');
    expect(big.error.message).toBe('querystring/limit must be <= 1000');
    const status = await failsWith(call('GET', '/api/v1/executions?status=DONE'), 400, 'INVALID_REQUEST');
    expect(status.error.message).toMatch(/^querystring\/status must be one of "PENDING", "RUNNING"/);
    const since = await failsWith(call('GET', '/api/v1/executions?since=yesterday'), 400, 'INVALID_REQUEST');
    expect(since.error.message).toBe('querystring/since must be an ISO time or epoch milliseconds');
    const unknown = await failsWith(call('GET', '/api/v1/executions?colour=red'), 400, 'INVALID_REQUEST');
    expect(unknown.error.message).toBe('querystring/colour is not a known field');
  });

  it('answers 404 EXECUTION_NOT_FOUND on every route of an unknown execution', async () => {
    for (const suffix of ['', '/history', '/tasks', '/profile', '/logs', '/result'])
      await failsWith(call('GET', `/api/v1/executions/nobody${suffix}`), 404, 'EXECUTION_NOT_FOUND');
    await failsWith(
      call('POST', '/api/v1/executions/nobody/signals', { body: { name: 'go' } }),
      404,
      'EXECUTION_NOT_FOUND',
    );
    await failsWith(call('POST', '/api/v1/executions/nobody/cancel'), 404, 'EXECUTION_NOT_FOUND');
  });

  it('shows history, tasks and profile of an execution with activities', async () => {
    const file = sideFile();
    const start = await call('POST', '/api/v1/executions', { body: { workflow: 'twoSteps', input: [file] } });
    const id = start.body.id as string;
    const done = await call('GET', `/api/v1/executions/${id}/result`);
    expect(done.body.status).toBe('SUCCESS');

    const history = await call<{ items: Array<{ type: string; at: number }> }>(
      'GET',
      `/api/v1/executions/${id}/history`,
    );
    expect(history.body.items.map((e) => e.type)).toEqual(
      expect.arrayContaining(['activity.scheduled', 'activity.completed']),
    );
    expect(history.body.items[0]!.at).toEqual(expect.any(Number));

    const tasks = await call<{ items: Array<Record<string, unknown>> }>('GET', `/api/v1/executions/${id}/tasks`);
    expect(tasks.body.items).toHaveLength(2);
    expect(tasks.body.items[0]).toMatchObject({
      step: 1,
      activity: 'keyed',
      taskList: 'default',
      state: 'completed',
      attempts: 1,
    });
    for (const key of ['scheduledAt', 'startedAt', 'endedAt', 'lastStateAt'])
      expect(tasks.body.items[0]![key]).toMatch(ISO);

    const profile = await call<{ id: string; totalMs: number; items: Array<Record<string, unknown>> }>(
      'GET',
      `/api/v1/executions/${id}/profile`,
    );
    expect(profile.body).toMatchObject({ id, totalMs: expect.any(Number) as number });
    expect(profile.body.items).toHaveLength(2);
    expect(profile.body.items[1]).toMatchObject({
      step: 2,
      activity: 'keyed',
      state: 'completed',
      waitingMs: expect.any(Number) as number,
      runningMs: expect.any(Number) as number,
      percent: expect.any(Number) as number,
    });
  });

  it('long-polls the result: 202 while running, 200 once a signal ends it', async () => {
    const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'awaitGo' } });
    const id = body.id as string;
    const early = await call('GET', `/api/v1/executions/${id}/result?timeoutMs=0`);
    expect(early.status).toBe(202);
    expect(early.body).toEqual({ id, status: expect.any(String) as string });
    await failsWith(call('GET', `/api/v1/executions/${id}/result?timeoutMs=300001`), 400, 'INVALID_REQUEST');

    const waiting = call('GET', `/api/v1/executions/${id}/result?timeoutMs=60000`);
    const signal = await call('POST', `/api/v1/executions/${id}/signals`, { body: { name: 'go', payload: { n: 1 } } });
    expect(signal).toMatchObject({ status: 202, body: { delivered: true } });
    const final = await waiting;
    expect(final.status).toBe(200);
    expect(final.body).toMatchObject({ id, status: 'SUCCESS', result: { n: 1 } });

    await failsWith(call('POST', `/api/v1/executions/${id}/signals`, { body: { name: 'go' } }), 409, 'EXECUTION_ENDED');
  });

  it('rejects signals with a bad name or body', async () => {
    const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'awaitGo' } });
    const id = body.id as string;
    await failsWith(
      call('POST', `/api/v1/executions/${id}/signals`, { body: { name: 'not ok!' } }),
      400,
      'INVALID_NAME',
    );
    await failsWith(call('POST', `/api/v1/executions/${id}/signals`, { body: { payload: 1 } }), 400, 'INVALID_REQUEST');
    await call('POST', `/api/v1/executions/${id}/cancel`, { body: {} });
  });

  it('answers stored logs, filtered by level', async () => {
    const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'awaitGo' } });
    const id = body.id as string;
    await call('POST', `/api/v1/executions/${id}/signals`, { body: { name: 'go', payload: 'p' } });
    await call('GET', `/api/v1/executions/${id}/result`);
    const logs = await call<{ items: Array<{ msg: string; level: number; executionId: string }> }>(
      'GET',
      `/api/v1/executions/${id}/logs?level=info`,
    );
    expect(logs.body.items.map((l) => l.msg)).toEqual(['waiting for go', 'got go']);
    expect(logs.body.items[0]).toMatchObject({ level: 30, executionId: id, workflow: 'awaitGo' });
    const one = await call<{ items: unknown[] }>('GET', `/api/v1/executions/${id}/logs?limit=1`);
    expect(one.body.items).toHaveLength(1);
    await failsWith(call('GET', `/api/v1/executions/${id}/logs?level=loud`), 400, 'INVALID_REQUEST');
  });

  it('follows logs as server-sent events until the execution ends', async () => {
    const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'awaitGo' } });
    const id = body.id as string;
    const stream = call('GET', `/api/v1/executions/${id}/logs?follow=1&level=info`);
    await vi.waitFor(async () => {
      const stored = await call<{ items: unknown[] }>('GET', `/api/v1/executions/${id}/logs`);
      expect(stored.body.items).toHaveLength(1);
    });
    await call('POST', `/api/v1/executions/${id}/signals`, { body: { name: 'go', payload: 'now' } });
    const res = await stream;
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toBe('no-cache');
    const events = res.text
      .split('\n\n')
      .filter((chunk) => chunk.length > 0)
      .map((chunk) => {
        const [event, data] = chunk.split('\n');
        return { event: event!.replace('event: ', ''), data: JSON.parse(data!.replace('data: ', '')) as unknown };
      });
    expect(events.map((e) => e.event)).toEqual(['log', 'log', 'end']);
    expect(events[0]!.data).toMatchObject({ msg: 'waiting for go', executionId: id });
    expect(events[1]!.data).toMatchObject({ msg: 'got go', payload: 'now' });
    expect(events[2]!.data).toEqual({ status: 'SUCCESS' });
  });

  it('cancels with no body, an empty JSON body, or a reason', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'awaitGo' } });
      ids.push(body.id as string);
    }
    const none = await call('POST', `/api/v1/executions/${ids[0]}/cancel`);
    const empty = await call('POST', `/api/v1/executions/${ids[1]}/cancel`, {
      raw: '',
      headers: { 'content-type': 'application/json' },
    });
    const reason = await call('POST', `/api/v1/executions/${ids[2]}/cancel`, { body: { reason: 'no longer needed' } });
    for (const [i, res] of [none, empty, reason].entries()) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: ids[i], cancelled: true, status: expect.any(String) as string });
    }
    const final = await call<{ status: string; error: { code: string; message: string } }>(
      'GET',
      `/api/v1/executions/${ids[2]}/result`,
    );
    expect(final.body.status).toBe('CANCELLED');
    expect(final.body.error.code).toBe('CANCELLED');
    expect(final.body.error.message).toContain('no longer needed');
    const twice = await call('POST', `/api/v1/executions/${ids[2]}/cancel`);
    expect(twice.body).toMatchObject({ cancelled: false, status: 'CANCELLED' });
    await failsWith(
      call('POST', `/api/v1/executions/${ids[0]}/cancel`, { body: { why: 'x' } }),
      400,
      'INVALID_REQUEST',
    );
  });

  it("shows a failed execution's error with its code and context", async () => {
    const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'throwsWeft' } });
    const res = await call('GET', `/api/v1/executions/${body.id as string}/result`);
    expect(res.body).toMatchObject({
      status: 'FAILED',
      error: { code: 'VERSION_CONFLICT', message: 'thrown by the workflow', context: { by: 'test' } },
    });
    expect(res.body).not.toHaveProperty('result');
  });
});

describe('settings', () => {
  it('creates, reads by id and by name, updates with compare-and-set, lists and deletes', async () => {
    const created = await call<SettingView>('POST', '/api/v1/settings', {
      body: { name: 'emails/team', value: ['a@example.com'], updatedBy: 'alice' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'emails/team',
      value: ['a@example.com'],
      version: 1,
      updatedBy: 'alice',
    });
    expect(created.body.createdAt).toMatch(ISO);
    const { id } = created.body;

    const byId = await call<SettingView>('GET', `/api/v1/settings/${id}`);
    expect(byId.body).toEqual(created.body);
    const byName = await call<SettingView>('GET', `/api/v1/settings/${encodeURIComponent('emails/team')}?by=name`);
    expect(byName.body).toEqual(created.body);

    const updated = await call<SettingView>('PATCH', `/api/v1/settings/${id}`, {
      body: { value: ['a@example.com', 'b@example.com'], expectedVersion: 1 },
    });
    expect(updated.body).toMatchObject({ version: 2, value: ['a@example.com', 'b@example.com'], updatedBy: 'api' });
    const conflict = await failsWith(
      call('PATCH', `/api/v1/settings/emails%2Fteam?by=name`, { body: { value: [], expectedVersion: 1 } }),
      409,
      'VERSION_CONFLICT',
    );
    expect(conflict.error.context).toMatchObject({ expectedVersion: 1, currentVersion: 2 });

    await call('POST', '/api/v1/settings', { body: { name: 'emails/other', value: null } });
    await call('POST', '/api/v1/settings', { body: { name: 'unrelated', value: 1 } });
    const page = await call<{ items: SettingView[]; cursor?: string }>(
      'GET',
      '/api/v1/settings?prefix=emails/&limit=1',
    );
    expect(page.body.items.map((s) => s.name)).toEqual(['emails/other']);
    const next = await call<{ items: SettingView[] }>(
      'GET',
      `/api/v1/settings?prefix=emails/&cursor=${encodeURIComponent(page.body.cursor!)}`,
    );
    expect(next.body.items.map((s) => s.name)).toEqual(['emails/team']);

    expect((await call('DELETE', `/api/v1/settings/${id}`)).body).toEqual({ deleted: true });
    await failsWith(call('DELETE', `/api/v1/settings/${id}`), 404, 'SETTING_NOT_FOUND');
    await failsWith(call('GET', `/api/v1/settings/${id}`), 404, 'SETTING_NOT_FOUND');
    expect((await call('DELETE', '/api/v1/settings/unrelated?by=name')).status).toBe(200);
  });

  it('maps setting errors', async () => {
    await call('POST', '/api/v1/settings', { body: { name: 'dup', value: 1 } });
    await failsWith(call('POST', '/api/v1/settings', { body: { name: 'dup', value: 2 } }), 409, 'SETTING_EXISTS');
    await failsWith(call('POST', '/api/v1/settings', { body: { name: 'bad name', value: 1 } }), 400, 'INVALID_NAME');
    const noValue = await failsWith(call('POST', '/api/v1/settings', { body: { name: 'x' } }), 400, 'INVALID_REQUEST');
    expect(noValue.error.message).toBe('body/value is required');
    await failsWith(call('GET', '/api/v1/settings/nothing?by=name'), 404, 'SETTING_NOT_FOUND');
    const by = await failsWith(call('GET', '/api/v1/settings/dup?by=label'), 400, 'INVALID_REQUEST');
    expect(by.error.message).toBe('querystring/by must be one of "id", "name"');
    const version = await failsWith(
      call('PATCH', '/api/v1/settings/dup?by=name', { body: { value: 1, expectedVersion: '1' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(version.error.message).toBe('body/expectedVersion must be an integer');
    await failsWith(call('GET', `/api/v1/settings?limit=0`), 400, 'INVALID_REQUEST');
  });
});

describe('locks', () => {
  interface Grant {
    name: string;
    holder: string;
    token: number;
    expiresAt: string;
  }

  it('acquires, lists, renews and releases a lease', async () => {
    const grant = await call<Grant>('POST', '/api/v1/locks/deploy/acquire');
    expect(grant.status).toBe(200);
    expect(grant.body).toMatchObject({ name: 'deploy', holder: 'api', token: expect.any(Number) as number });
    expect(grant.body.expiresAt).toMatch(ISO);

    const list = await call<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/locks');
    expect(list.body.items).toContainEqual({
      name: 'deploy',
      holder: {
        holder: 'api',
        token: grant.body.token,
        since: expect.stringMatching(ISO) as string,
        count: 1,
        expiresAt: expect.stringMatching(ISO) as string,
      },
      waiters: [],
    });

    await failsWith(
      call('POST', '/api/v1/locks/deploy/acquire', { body: { holder: 'bob', timeoutMs: 0 } }),
      409,
      'LOCK_TIMEOUT',
    );
    await failsWith(call('POST', '/api/v1/locks/deploy/acquire', { body: {} }), 409, 'LOCK_ALREADY_HELD');

    const renewed = await call<Grant>('POST', '/api/v1/locks/deploy/renew', { body: { token: grant.body.token } });
    expect(renewed.body).toMatchObject({ name: 'deploy', token: grant.body.token });
    const released = await call('POST', '/api/v1/locks/deploy/release', { body: { token: grant.body.token } });
    expect(released.body).toEqual({ released: true });
    await failsWith(
      call('POST', '/api/v1/locks/deploy/release', { body: { token: grant.body.token } }),
      409,
      'NOT_LOCK_HOLDER',
    );
  });

  it('hands the lock to a waiting request when it is released', async () => {
    const first = await call<Grant>('POST', '/api/v1/locks/queue-me/acquire', { body: { holder: 'a' } });
    const waiting = call<Grant>('POST', '/api/v1/locks/queue-me/acquire', { body: { holder: 'b', timeoutMs: 60_000 } });
    await vi.waitFor(async () => {
      const [lock] = (await rt.locks.list()).filter((l) => l.name === 'queue-me');
      expect(lock?.waiters.map((w) => w.holder)).toEqual(['b']);
    });
    await call('POST', '/api/v1/locks/queue-me/release', { body: { token: first.body.token } });
    const second = await waiting;
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ holder: 'b' });
    expect(second.body.token).toBeGreaterThan(first.body.token);
    await call('POST', '/api/v1/locks/queue-me/release', { body: { token: second.body.token } });
  });

  it('rejects bad lock requests', async () => {
    const ttl = await failsWith(
      call('POST', '/api/v1/locks/x/acquire', { body: { ttlMs: 86_400_001 } }),
      400,
      'INVALID_REQUEST',
    );
    expect(ttl.error.message).toBe('body/ttlMs must be <= 86400000');
    expect(ttl.error.context).toEqual({ field: 'body/ttlMs' });
    const token = await failsWith(
      call('POST', '/api/v1/locks/x/release', { body: { token: '1' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(token.error.message).toBe('body/token must be an integer');
    await failsWith(call('POST', '/api/v1/locks/x/renew', { body: { token: 99_999 } }), 409, 'NOT_LOCK_HOLDER');
    await failsWith(call('POST', '/api/v1/locks/bad%20name/acquire'), 400, 'INVALID_NAME');
  });

  it('withdraws a waiting acquire when its client disconnects', async () => {
    const holder = await rt.locks.acquire('gone-client', { holder: 'keeper' });
    const server = await buildServer(rt, { token: TOKEN });
    try {
      await server.listen({ host: '127.0.0.1', port: 0 });
      const { port } = server.server.address() as AddressInfo;
      // node:http without an agent: fetch would keep a spare socket open that delays close().
      const request = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/locks/gone-client/acquire',
        agent: false,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
      const failed = new Promise((resolve) => request.on('error', resolve));
      request.end(JSON.stringify({ holder: 'leaver', timeoutMs: 120_000 }));
      const waiters = async (): Promise<string[]> =>
        (await rt.locks.list()).find((l) => l.name === 'gone-client')?.waiters.map((w) => w.holder) ?? [];
      await vi.waitFor(async () => expect(await waiters()).toEqual(['leaver']));
      request.destroy();
      await failed;
      await vi.waitFor(async () => expect(await waiters()).toEqual([]));
    } finally {
      await server.close();
      await rt.locks.release('gone-client', holder.token);
    }
  });
});

describe('closing the server', () => {
  it('ends long polls, log streams and lock waits instead of waiting for them', async () => {
    const server = await buildServer(rt, { token: TOKEN });
    // Past routing, a request is answered as the server closes (before, fastify answers 503 itself).
    let handling = 0;
    server.addHook('preHandler', (_request, _reply, done) => {
      handling++;
      done();
    });
    const inject = (method: 'GET' | 'POST', url: string, body?: unknown) =>
      server.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      });
    const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'awaitGo' } });
    const id = body.id as string;
    const held = await rt.locks.acquire('closing-lock', { holder: 'keeper' });
    const poll = inject('GET', `/api/v1/executions/${id}/result?timeoutMs=300000`);
    const stream = inject('GET', `/api/v1/executions/${id}/logs?follow=true`);
    const wait = inject('POST', '/api/v1/locks/closing-lock/acquire', { holder: 'late', timeoutMs: 300_000 });
    await vi.waitFor(async () => {
      const [lock] = (await rt.locks.list()).filter((l) => l.name === 'closing-lock');
      expect(lock?.waiters).toHaveLength(1);
      expect(handling).toBe(3);
    });
    await server.close();
    const polled = await poll;
    expect(polled.statusCode).toBe(202);
    // Kept-alive connections would hold close() up until they time out.
    expect(polled.headers.connection).toBe('close');
    const streamed = await stream;
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).not.toContain('event: end');
    const refused = await wait;
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: 'RUNTIME_CLOSED' } });
    await vi.waitFor(async () => {
      const [lock] = (await rt.locks.list()).filter((l) => l.name === 'closing-lock');
      expect(lock?.waiters).toEqual([]);
    });
    await rt.locks.release('closing-lock', held.token);
    await call('POST', `/api/v1/executions/${id}/cancel`);
  });

  it('holds many waiting requests on its closing signal without a listener-leak warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning);
    };
    process.on('warning', onWarning);
    const server = await buildServer(rt, { token: TOKEN });
    const held = await rt.locks.acquire('many-waiters', { holder: 'keeper' });
    try {
      // Each waiting acquire listens on the closing signal before it joins the lock's queue.
      const waits = Array.from({ length: 16 }, (_, i) =>
        server.inject({
          method: 'POST',
          url: '/api/v1/locks/many-waiters/acquire',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ holder: `waiter-${i}`, timeoutMs: 300_000 }),
        }),
      );
      await vi.waitFor(async () => {
        const [lock] = (await rt.locks.list()).filter((l) => l.name === 'many-waiters');
        expect(lock?.waiters).toHaveLength(16);
      });
      // A warning is emitted on the next tick: one macrotask later it would have been heard.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
      await server.close();
      for (const wait of waits) expect((await wait).statusCode).toBe(503);
    } finally {
      process.off('warning', onWarning);
      await rt.locks.release('many-waiters', held.token);
    }
  });
});

describe('event streams', () => {
  it('wait for a slow client to take an event before sending the next, until it goes away', async () => {
    const written: string[] = [];
    const pending: Array<() => void> = [];
    // A client that takes one chunk at a time, when the test says so.
    const res = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        pending.push(() => done());
      },
    });
    const gone = new AbortController();
    let sent = false;
    const first = sendEvent(res, 'log', { n: 1 }, gone.signal).then(() => (sent = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['event: log\ndata: {"n":1}\n\n']);
    expect(sent).toBe(false);
    pending.shift()?.();
    await first;
    expect(sent).toBe(true);

    const second = sendEvent(res, 'log', { n: 2 }, gone.signal);
    gone.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('error mapping', () => {
  it('answers 400 for a body that is not JSON, naming the problem', async () => {
    const res = await failsWith(
      call('POST', '/api/v1/settings', { raw: '{"name": "x", ', headers: { 'content-type': 'application/json' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(res.error.message).toBe('the body is not valid JSON (at position 14)');
  });

  it('answers 400 for broken JSON without quoting the body, which may hold a secret', async () => {
    const secret = 'hunter2-' + 'p'.repeat(12);
    for (const raw of [`{"username": "u", "password": ${secret}}`, `{"password": "${secret}" "x"}`, secret]) {
      const res = await failsWith(
        call('POST', '/api/v1/credentials/rotate-key', { raw, headers: { 'content-type': 'application/json' } }),
        400,
        'INVALID_REQUEST',
      );
      expect(res.error.message).toMatch(/^the body is not valid JSON( \(at position \d+\))?$/);
      expect(JSON.stringify(res)).not.toContain('hunter2');
    }
  });

  it('answers 400 for an empty body where one is needed', async () => {
    const res = await failsWith(
      call('POST', '/api/v1/settings', { raw: '', headers: { 'content-type': 'application/json' } }),
      400,
      'INVALID_REQUEST',
    );
    expect(res.error.message).toBe('the body must be a JSON object');
  });

  it('answers 415 INVALID_REQUEST for a body that is not application/json', async () => {
    const res = await failsWith(
      call('POST', '/api/v1/settings', { raw: 'name=x', headers: { 'content-type': 'text/plain' } }),
      415,
      'INVALID_REQUEST',
    );
    expect(res.error.message).toContain('application/json');
    await failsWith(
      call('POST', '/api/v1/settings', {
        raw: 'a=b',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'INVALID_REQUEST',
    );
  });

  it('answers 415 for a body without a content type, and 400 for a URL that does not decode', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/settings',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: '{"name":"x","value":1}',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    await failsWith(call('GET', '/api/v1/settings/%E0%A4%A'), 400, 'INVALID_REQUEST');
  });

  it('answers 414 for a path segment past any name, and raw 4xx for what is not HTTP', async () => {
    await failsWith(call('GET', `/api/v1/executions/${'i'.repeat(2000)}`), 414, 'INVALID_REQUEST');
    const server = await buildServer(rt, { token: TOKEN });
    try {
      await server.listen({ host: '127.0.0.1', port: 0 });
      const { port } = server.server.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end('GARBAGE\r\n\r\n'));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('error', reject);
        socket.on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as ErrorAnswer;
      expect(body.error).toEqual({ code: 'INVALID_REQUEST', message: 'the request is not valid HTTP/1.1' });
    } finally {
      await server.close();
    }
  });

  it('answers 413 PAYLOAD_TOO_LARGE past the body limit', async () => {
    const res = await failsWith(
      call('POST', '/api/v1/settings', { body: { name: 'big', value: 'x'.repeat(BODY_LIMIT) } }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(res.error.context).toEqual({ limitBytes: BODY_LIMIT });
  });

  it('maps codes to statuses', () => {
    expect(statusOf('INVALID_ARGUMENT')).toBe(400);
    expect(statusOf('INVALID_VALUE')).toBe(400);
    expect(statusOf('UNAUTHORIZED')).toBe(401);
    expect(statusOf('WORKFLOW_NOT_FOUND')).toBe(404);
    expect(statusOf('STALE_TOKEN')).toBe(409);
    expect(statusOf('LEASE_EXPIRED')).toBe(409);
    expect(statusOf('LOCK_ALREADY_WAITING')).toBe(409);
    expect(statusOf('STORE_FAILED')).toBe(503);
    expect(statusOf('NON_DETERMINISM')).toBe(500);
  });

  it('hides what went wrong inside a 500, naming the request id instead', () => {
    const res = toHttpError(new Error('secret detail at /home/x'), { requestId: 'req-7' });
    expect(res).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: "internal error; see the daemon's log (request id req-7)" } },
    });
    const unexpected = toHttpError(new WeftError('NON_DETERMINISM', 'secret', { step: 1 }));
    expect(unexpected.status).toBe(500);
    expect(JSON.stringify(unexpected.body)).not.toContain('secret');
    expect(toHttpError(new RuntimeClosedError())).toMatchObject({
      status: 503,
      body: { error: { code: 'RUNTIME_CLOSED' } },
    });
    expect(toHttpError(new SettingNotFoundError('k', 'id')).body.error.context).toEqual({ key: 'k', by: 'id' });
  });
});

describe('views', () => {
  it('turns values JSON cannot hold into plain data and leaves out an absent result', () => {
    expect(jsonValue(undefined)).toBeUndefined();
    expect(jsonValue(10n)).toBe('10');
    expect(jsonValue(new Map([['a', 1]]))).toEqual([['a', 1]]);
    expect(jsonValue({ at: new Date(0) })).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    const info: ExecutionInfo = {
      id: 'e',
      workflow: 'w',
      version: '1',
      status: 'RUNNING',
      input: { args: [1n] },
      createdAt: new Date(0),
    };
    expect(executionView(info)).toEqual({
      id: 'e',
      workflow: 'w',
      version: '1',
      status: 'RUNNING',
      input: { args: ['1'] },
      createdAt: '1970-01-01T00:00:00.000Z',
    });
    const ended = executionView({ ...info, status: 'SUCCESS', result: new Set([1n]) });
    expect(JSON.parse(JSON.stringify(ended))).toMatchObject({ result: ['1'] });
  });
});

/** Parses the exposition text into samples, and HELP/TYPE per family. */
function parsePrometheus(text: string): {
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
  help: Map<string, string>;
  type: Map<string, string>;
} {
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\w+) (.+)$/.exec(line);
    if (meta) {
      (meta[1] === 'HELP' ? help : type).set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(sample, `a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const m of (sample![2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    samples.push({ name: sample![1]!, labels, value: Number(sample![3]) });
  }
  return { samples, help, type };
}

function familyOf(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

describe('metrics and OpenAPI', () => {
  it('serves Prometheus text with HELP and TYPE for every family and cumulative buckets', async () => {
    const file = sideFile();
    const { body } = await call('POST', '/api/v1/executions', { body: { workflow: 'gated', input: [file, 'm'] } });
    await waitForLine(file, { event: 'start', tag: 'm' });
    release(file, 'm');
    await call('GET', `/api/v1/executions/${body.id as string}/result`);

    const res = await call('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples, help, type } = parsePrometheus(res.text);
    for (const s of samples) {
      const family = type.has(s.name) ? s.name : familyOf(s.name);
      expect(help.has(family), `HELP for ${s.name}`).toBe(true);
      expect(type.has(family), `TYPE for ${s.name}`).toBe(true);
    }
    const statuses = samples.filter((s) => s.name === 'weft_executions').map((s) => s.labels.status);
    expect(statuses).toHaveLength(10);
    expect(statuses).toEqual(expect.arrayContaining(['PENDING', 'RUNNING', 'WAITING_LOCK', 'SUCCESS', 'TIMED_OUT']));
    expect(samples.find((s) => s.name === 'weft_executions' && s.labels.status === 'SUCCESS')!.value).toBeGreaterThan(
      0,
    );
    expect(type.get('weft_activity_duration_seconds')).toBe('histogram');
    expect(type.get('weft_pool_completed_total')).toBe('counter');

    const gate = samples.filter(
      (s) => s.name === 'weft_activity_duration_seconds_bucket' && s.labels.activity === 'gate',
    );
    expect(gate.length).toBeGreaterThan(1);
    expect(gate[0]!.labels).toMatchObject({ task_list: 'default', outcome: 'ok' });
    const counts = gate.map((s) => s.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(gate.at(-1)!.labels.le).toBe('+Inf');
    const count = samples.find(
      (s) => s.name === 'weft_activity_duration_seconds_count' && s.labels.activity === 'gate',
    );
    expect(gate.at(-1)!.value).toBe(count!.value);

    const batches = samples.filter((s) => s.name === 'weft_journal_batch_size_bucket').map((s) => s.value);
    expect(batches).toEqual([...batches].sort((a, b) => a - b));
    expect(samples.find((s) => s.name === 'weft_pool_threads')).toMatchObject({ labels: { task_list: 'default' } });
    expect(samples.find((s) => s.name === 'process_resident_memory_bytes')!.value).toBeGreaterThan(0);
    await failsWith(call('GET', '/metrics', { token: null }), 401, 'UNAUTHORIZED');
  });

  it('escapes label values', () => {
    const empty = { bounds: [1], counts: [0, 0], sum: 0, count: 0 };
    const metrics: RuntimeMetrics = {
      executions: {} as RuntimeMetrics['executions'],
      dormant: 0,
      activities: [
        {
          activity: 'a"b\\c\nd',
          taskList: 't',
          ok: false,
          latency: { bounds: [0.5, 1], counts: [1, 2, 3], sum: 9, count: 6 },
        },
      ],
      pools: [],
      journal: { batches: 0, ops: 0, maxBatch: 0, batchSize: empty },
    };
    const text = renderPrometheus(metrics, 1);
    expect(text).toContain(
      'weft_activity_duration_seconds_bucket{activity="a\\"b\\\\c\\nd",task_list="t",outcome="error",le="0.5"} 1\n',
    );
    expect(text).toContain('le="1"} 3\n');
    expect(text).toContain('le="+Inf"} 6\n');
    expect(text).toContain('weft_executions{status="PENDING"} 0\n');
  });

  it('serves an OpenAPI document with every path', async () => {
    const res = await call<{
      openapi: string;
      paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>;
    }>('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    // Queues, secrets, triggers and logs add theirs (their own tests check them).
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/metrics',
        '/api/v1/openapi.json',
        '/api/v1/executions',
        '/api/v1/executions/{id}',
        '/api/v1/executions/{id}/history',
        '/api/v1/executions/{id}/tasks',
        '/api/v1/executions/{id}/profile',
        '/api/v1/executions/{id}/logs',
        '/api/v1/executions/{id}/signals',
        '/api/v1/executions/{id}/cancel',
        '/api/v1/executions/{id}/result',
        '/api/v1/settings',
        '/api/v1/settings/{key}',
        '/api/v1/locks',
        '/api/v1/locks/{name}/acquire',
        '/api/v1/locks/{name}/renew',
        '/api/v1/locks/{name}/release',
        '/api/v1/logs',
        '/api/v1/retention/run',
      ]),
    );
    for (const operations of Object.values(res.body.paths))
      for (const op of Object.values(operations)) {
        expect(op.tags?.length).toBeGreaterThan(0);
        expect(op.summary).toEqual(expect.any(String));
      }
    expect(Object.keys(res.body.paths['/api/v1/settings/{key}']!).sort()).toEqual(['delete', 'get', 'patch']);
  });
});
