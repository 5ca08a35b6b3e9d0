/**
 * `/api/v1/triggers` in-process: every route through `app.inject()` over an in-memory
 * runtime on a ManualClock, the trigger error codes with their statuses, and a fire seen
 * through the API.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Runtime } from '../../src/index.js';
import { buildServer } from '../../src/daemon/server.js';
import type { TriggerRunView, TriggerView } from '../../src/client/triggers.js';
import { logger, T0, TestClock } from '../fixtures/harness.js';
import { TRIGGER_WORKFLOWS } from '../triggers/fixtures.js';

const TOKEN = 'test-token-' + 'x'.repeat(20);
const clock = new TestClock(T0);
let rt: Runtime;
let app: FastifyInstance;

beforeAll(async () => {
  rt = await Runtime.open({ inMemory: true, workflows: TRIGGER_WORKFLOWS, threads: 1, logger, clock });
  app = await buildServer(rt, { token: TOKEN });
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
});

interface ErrorAnswer {
  error: { code: string; message: string; context?: Record<string, unknown> };
}

async function call<T>(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json() };
}

async function failsWith(
  answer: Promise<{ status: number; body: unknown }>,
  status: number,
  code: string,
): Promise<void> {
  const { status: got, body } = await answer;
  expect({ status: got, code: (body as ErrorAnswer).error?.code }).toEqual({ status, code });
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('/api/v1/triggers', () => {
  it('creates, lists, reads, pauses, resumes and deletes a cron trigger', async () => {
    const created = await call<TriggerView>('POST', '/triggers', {
      kind: 'cron',
      name: 'hourly',
      workflow: 'stamp',
      cron: '0 * * * *',
      input: { args: [1], kwargs: { a: 'b' } },
      overlap: 'allow',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      kind: 'cron',
      name: 'hourly',
      workflow: 'stamp',
      paused: false,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      running: [],
      cron: '0 * * * *',
      input: { args: [1], kwargs: { a: 'b' } },
      overlap: 'allow',
      catchUp: 'latest',
      nextAt: new Date(T0 + 3_600_000).toISOString(),
    });

    const list = await call<{ items: TriggerView[] }>('GET', '/triggers');
    expect(list.status).toBe(200);
    expect(list.body.items.map((t) => t.name)).toContain('hourly');
    expect((await call<TriggerView>('GET', '/triggers/hourly')).body).toEqual(created.body);

    const paused = await call<TriggerView>('POST', '/triggers/hourly/pause');
    expect(paused).toMatchObject({ status: 200, body: { paused: true } });
    const resumed = await call<TriggerView>('POST', '/triggers/hourly/resume');
    expect(resumed).toMatchObject({ status: 200, body: { paused: false } });
    expect(resumed.body.nextAt).toMatch(ISO);

    expect(await call('DELETE', '/triggers/hourly')).toEqual({ status: 200, body: { deleted: true } });
    await failsWith(call('DELETE', '/triggers/hourly'), 404, 'TRIGGER_NOT_FOUND');
    await failsWith(call('GET', '/triggers/hourly'), 404, 'TRIGGER_NOT_FOUND');
    await failsWith(call('POST', '/triggers/hourly/pause'), 404, 'TRIGGER_NOT_FOUND');
    await failsWith(call('GET', '/triggers/hourly/runs'), 404, 'TRIGGER_NOT_FOUND');
  });

  it('creates a queue trigger', async () => {
    const created = await call<TriggerView>('POST', '/triggers', {
      kind: 'queue',
      name: 'jobs',
      workflow: 'work',
      queue: 'jobs',
      concurrency: 3,
      paused: true,
    });
    expect(created).toMatchObject({
      status: 201,
      body: { kind: 'queue', queue: 'jobs', concurrency: 3, paused: true, claimed: [], running: [] },
    });
    expect(created.body).not.toHaveProperty('cron');
  });

  it('shows fires in the trigger and its runs', async () => {
    await call('POST', '/triggers', { kind: 'cron', name: 'minutely', workflow: 'stamp', cron: '* * * * *' });
    const at = clock.now() + 60_000 - (clock.now() % 60_000);
    clock.advance(at - clock.now());
    const id = `minutely:${new Date(at).toISOString()}`;
    await vi.waitFor(async () => expect((await rt.get(id)).id).toBe(id), { timeout: 20_000, interval: 10 });
    const trigger = await call<TriggerView>('GET', '/triggers/minutely');
    expect(trigger.body).toMatchObject({ lastFiredAt: new Date(at).toISOString(), lastExecutionId: id });
    const runs = await call<{ items: TriggerRunView[] }>('GET', '/triggers/minutely/runs');
    expect(runs).toEqual({
      status: 200,
      body: { items: [{ at: new Date(at).toISOString(), outcome: 'started', executionId: id }] },
    });
  });

  it('answers 409 TRIGGER_EXISTS, 400 INVALID_CRON, 404 WORKFLOW_NOT_FOUND and 400 for bad bodies', async () => {
    const cron = { kind: 'cron', name: 'dup', workflow: 'stamp', cron: '0 0 * * *' };
    expect((await call('POST', '/triggers', cron)).status).toBe(201);
    await failsWith(call('POST', '/triggers', cron), 409, 'TRIGGER_EXISTS');
    await failsWith(call('POST', '/triggers', { ...cron, name: 'c2', cron: 'not a cron' }), 400, 'INVALID_CRON');
    await failsWith(call('POST', '/triggers', { ...cron, name: 'c2', workflow: 'nope' }), 404, 'WORKFLOW_NOT_FOUND');
    await failsWith(
      call('POST', '/triggers', { ...cron, name: 'c2', timezone: 'Nowhere/Zone' }),
      400,
      'INVALID_ARGUMENT',
    );
    await failsWith(call('POST', '/triggers', { ...cron, name: 'c2', queue: 'q' }), 400, 'INVALID_ARGUMENT');
    await failsWith(call('POST', '/triggers', { ...cron, name: 'c2', extra: 1 }), 400, 'INVALID_REQUEST');
    await failsWith(call('POST', '/triggers', { ...cron, name: 'c2', kind: 'webhook' }), 400, 'INVALID_REQUEST');
    await failsWith(call('POST', '/triggers', { ...cron, name: 'bad name' }), 400, 'INVALID_NAME');
    await failsWith(
      call('POST', '/triggers', { kind: 'queue', name: 'q2', workflow: 'work', queue: 'q', concurrency: 0 }),
      400,
      'INVALID_REQUEST',
    );
  });
});
