/**
 * Every endpoint of the daemon's HTTP API over real HTTP, against one real daemon process
 * (test/fixtures/weft.config.ts) on a free loopback port.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SettingView } from '../../src/client/views.js';
import { api, daemonTempDir, startDaemon, type ApiResponse, type DaemonProcess } from '../fixtures/daemon.js';

interface ErrorBody {
  error: { code: string; message: string; context?: Record<string, unknown> };
}

interface ExecutionView {
  id: string;
  workflow: string;
  version: string;
  status: string;
  input: { args: unknown[]; kwargs?: Record<string, unknown> };
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  result?: unknown;
  error?: { code: string; message: string; context?: Record<string, unknown> };
}

interface Page<T> {
  items: T[];
  cursor?: string;
}

interface LockGrantView {
  name: string;
  holder: string;
  token: number;
  expiresAt: string;
}

interface LockView {
  name: string;
  holder?: { holder: string; token: number; since: string; count: number; expiresAt?: string };
  waiters: Array<{ holder: string; since: string; deadline?: string }>;
}

const STATUSES = ['PENDING', 'RUNNING', 'WAITING_LOCK', 'WAITING_SIGNAL', 'WAITING_CHILD', 'SLEEPING'];
const FINAL = ['SUCCESS', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

let daemon: DaemonProcess;
let side: string;

beforeAll(async () => {
  daemon = await startDaemon();
  side = path.join(daemonTempDir(), 'side.jsonl');
});

afterAll(async () => {
  await daemon?.stop();
});

/** Asserts an error answer: its status and `{ error: { code, message } }`. */
function expectError(res: ApiResponse, status: number, code?: string): ErrorBody['error'] {
  expect(res.status, `${res.status} ${res.text}`).toBe(status);
  const { error } = res.body as ErrorBody;
  expect(typeof error?.code, res.text).toBe('string');
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  if (code !== undefined) expect(error.code, res.text).toBe(code);
  return error;
}

function expectIso(value: unknown): void {
  expect(typeof value).toBe('string');
  expect(new Date(value as string).toISOString()).toBe(value);
}

async function start(body: Record<string, unknown>): Promise<{ id: string; status: string }> {
  const res = await api<{ id: string; status: string }>(daemon, 'POST', '/api/v1/executions', { body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function finalView(id: string): Promise<ExecutionView> {
  const res = await api<ExecutionView>(daemon, 'GET', `/api/v1/executions/${encodeURIComponent(id)}/result`);
  expect(res.status, res.text).toBe(200);
  expect(FINAL).toContain(res.body.status);
  return res.body;
}

function release(tag: string): void {
  fs.writeFileSync(`${side}.${tag}.go`, '');
}

/** Reads an event stream until `done(text so far)` holds or the stream ends; answers the text and whether it ended. */
async function readStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  state: { text: string },
  done: (text: string) => boolean,
): Promise<boolean> {
  const decoder = new TextDecoder();
  while (!done(state.text)) {
    const chunk = await reader.read();
    if (chunk.done) return true;
    state.text += decoder.decode(chunk.value, { stream: true });
  }
  return false;
}

/** The events of an SSE text: `{ event, data }` per blank-line-separated block. */
function sseEvents(text: string): Array<{ event: string; data: string }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const lines = block.split('\n');
      const event =
        lines
          .find((l) => l.startsWith('event:'))
          ?.slice('event:'.length)
          .trim() ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice('data:'.length).trim())
        .join('\n');
      return { event, data };
    });
}

describe('health and auth', () => {
  it('GET /health answers without a token', async () => {
    const res = await api(daemon, 'GET', '/health', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it.each([
    ['GET', '/api/v1/executions'],
    ['POST', '/api/v1/executions'],
    ['GET', '/api/v1/executions/some-id'],
    ['POST', '/api/v1/executions/some-id/signals'],
    ['GET', '/api/v1/settings'],
    ['DELETE', '/api/v1/settings/some-id'],
    ['GET', '/api/v1/locks'],
    ['POST', '/api/v1/locks/some-lock/acquire'],
    ['GET', '/metrics'],
    ['GET', '/api/v1/openapi.json'],
  ])('%s %s needs the bearer token (401 without one, 401 with a wrong one)', async (method, url) => {
    const body = method === 'POST' ? { workflow: 'echo', name: 'go' } : undefined;
    expectError(await api(daemon, method, url, { token: null, body }), 401, 'UNAUTHORIZED');
    expectError(await api(daemon, method, url, { token: daemon.token + 'x', body }), 401, 'UNAUTHORIZED');
    expectError(
      await api(daemon, method, url, { token: null, body, headers: { authorization: `Basic ${daemon.token}` } }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('an unknown route is 404 ROUTE_NOT_FOUND', async () => {
    expectError(await api(daemon, 'GET', '/api/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND');
    expectError(await api(daemon, 'GET', '/api/v2/executions'), 404, 'ROUTE_NOT_FOUND');
    expectError(await api(daemon, 'PUT', '/api/v1/executions'), 404, 'ROUTE_NOT_FOUND');
  });
});

describe('executions', () => {
  it('POST /executions creates (201), and the same id again answers 200 without starting anything new', async () => {
    const first = await api<{ id: string; status: string }>(daemon, 'POST', '/api/v1/executions', {
      body: { workflow: 'echo', input: [42], id: 'echo-once' },
    });
    expect(first.status, first.text).toBe(201);
    expect(first.body.id).toBe('echo-once');
    expect([...STATUSES, ...FINAL]).toContain(first.body.status);
    const view = await finalView('echo-once');
    const again = await api<{ id: string; status: string }>(daemon, 'POST', '/api/v1/executions', {
      body: { workflow: 'echo', input: [7], id: 'echo-once' },
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ id: 'echo-once', status: 'SUCCESS' });
    expect((await finalView('echo-once')).result).toBe(42);
    expect(view.result).toBe(42);
  });

  it('POST /executions without an id picks one; input may be { args, kwargs }', async () => {
    const { id } = await start({ workflow: 'echo', input: { args: ['hi'], kwargs: { k: 'v' } } });
    expect(typeof id).toBe('string');
    expect(id.length).toBeGreaterThan(0);
    const done = await finalView(id);
    expect(done.input).toEqual({ args: ['hi'], kwargs: { k: 'v' } });
    const { id: noInput } = await start({ workflow: 'echo' });
    expect((await finalView(noInput)).input.args).toEqual([]);
  });

  it('GET /executions/:id answers the ExecutionView', async () => {
    await start({ workflow: 'echo', input: [{ nested: [1, 'two'] }], id: 'echo-view' });
    await finalView('echo-view');
    const res = await api<ExecutionView>(daemon, 'GET', '/api/v1/executions/echo-view');
    expect(res.status).toBe(200);
    const view = res.body;
    expect(view).toMatchObject({
      id: 'echo-view',
      workflow: 'echo',
      status: 'SUCCESS',
      input: { args: [{ nested: [1, 'two'] }] },
      result: { nested: [1, 'two'] },
    });
    expect(typeof view.version).toBe('string');
    expectIso(view.createdAt);
    expectIso(view.startedAt);
    expectIso(view.endedAt);
    expect(view.error).toBeUndefined();
  });

  it('a failed execution shows its error { code, message }', async () => {
    const { id } = await start({ workflow: 'throwsWeft' });
    const view = await finalView(id);
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('VERSION_CONFLICT');
    expect(typeof view.error?.message).toBe('string');
    expect(view.result).toBeUndefined();
  });

  it('GET /executions filters by status, workflow and since, and pages with a cursor', async () => {
    const since = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await start({ workflow: 'echo', input: [i] })).id);
    const failed = (await start({ workflow: 'throwsPlain', input: ['listed'] })).id;
    for (const id of [...ids, failed]) await finalView(id);

    const all = await api<Page<ExecutionView>>(daemon, 'GET', `/api/v1/executions?workflow=echo&since=${since}`);
    expect(all.status, all.text).toBe(200);
    expect(all.body.items.map((e) => e.id)).toEqual(expect.arrayContaining(ids));
    for (const item of all.body.items) {
      expect(item.workflow).toBe('echo');
      expect(Date.parse(item.createdAt)).toBeGreaterThanOrEqual(since);
    }

    const iso = new Date(since).toISOString();
    const byIso = await api<Page<ExecutionView>>(
      daemon,
      'GET',
      `/api/v1/executions?workflow=echo&since=${encodeURIComponent(iso)}&limit=1000`,
    );
    expect(byIso.body.items.map((e) => e.id).sort()).toEqual(all.body.items.map((e) => e.id).sort());

    const succeeded = await api<Page<ExecutionView>>(daemon, 'GET', `/api/v1/executions?status=SUCCESS&since=${since}`);
    expect(succeeded.body.items.map((e) => e.id)).toEqual(expect.arrayContaining(ids));
    expect(succeeded.body.items.map((e) => e.id)).not.toContain(failed);
    expect(succeeded.body.items.every((e) => e.status === 'SUCCESS')).toBe(true);

    const failures = await api<Page<ExecutionView>>(daemon, 'GET', `/api/v1/executions?status=FAILED&since=${since}`);
    expect(failures.body.items.map((e) => e.id)).toEqual([failed]);

    const future = await api<Page<ExecutionView>>(daemon, 'GET', `/api/v1/executions?since=${Date.now() + 3_600_000}`);
    expect(future.body.items).toEqual([]);

    // Paging: limit 2 over the same filter visits every item once.
    const paged: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const query = `workflow=echo&since=${since}&limit=2` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
      const res = await api<Page<ExecutionView>>(daemon, 'GET', `/api/v1/executions?${query}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      paged.push(...res.body.items.map((e) => e.id));
      cursor = res.body.cursor;
      if (cursor === undefined) break;
    }
    expect(cursor).toBeUndefined();
    expect(paged.length).toBe(new Set(paged).size);
    expect(paged.sort()).toEqual(all.body.items.map((e) => e.id).sort());
  });

  it('GET /executions rejects bad filters with 400', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'status=BOGUS', 'since=not-a-time']) {
      expectError(await api(daemon, 'GET', `/api/v1/executions?${query}`), 400);
    }
  });

  it('history, tasks and profile of an execution with an activity', async () => {
    const { id } = await start({ workflow: 'gated', input: [side, 'tasks'] });
    const running = await vi.waitFor(
      async () => {
        const res = await api<Page<Record<string, unknown>>>(daemon, 'GET', `/api/v1/executions/${id}/tasks`);
        expect(res.status).toBe(200);
        expect(res.body.items).toHaveLength(1);
        return res.body.items[0]!;
      },
      { timeout: 20_000, interval: 20 },
    );
    expect(running).toMatchObject({ step: 1, activity: 'gate', taskList: 'default' });
    expect(['scheduled', 'retrying']).toContain(running.state);
    release('tasks');
    expect((await finalView(id)).result).toBe('tasks');

    const history = await api<Page<{ type: string; at: number; step?: number }>>(
      daemon,
      'GET',
      `/api/v1/executions/${id}/history`,
    );
    expect(history.status).toBe(200);
    expect(history.body.items.map((e) => e.type)).toEqual(
      expect.arrayContaining(['activity.scheduled', 'activity.completed']),
    );
    for (const event of history.body.items) expect(typeof event.at).toBe('number');

    const tasks = await api<Page<Record<string, unknown>>>(daemon, 'GET', `/api/v1/executions/${id}/tasks`);
    const [task] = tasks.body.items;
    expect(task).toMatchObject({ step: 1, activity: 'gate', taskList: 'default', state: 'completed', attempts: 1 });
    for (const field of ['scheduledAt', 'startedAt', 'endedAt', 'lastStateAt']) expectIso(task![field]);

    const profile = await api<{ id: string; totalMs: number; items: Array<Record<string, unknown>> }>(
      daemon,
      'GET',
      `/api/v1/executions/${id}/profile`,
    );
    expect(profile.status).toBe(200);
    expect(profile.body.id).toBe(id);
    expect(typeof profile.body.totalMs).toBe('number');
    expect(profile.body.items).toHaveLength(1);
    const row = profile.body.items[0]!;
    expect(row).toMatchObject({ step: 1, activity: 'gate', state: 'completed' });
    for (const field of ['waitingMs', 'runningMs', 'percent']) expect(typeof row[field]).toBe('number');
    expectIso(row.scheduledAt);
  });

  it('GET /executions/:id/logs answers stored lines, filtered by level and limited', async () => {
    const { id } = await start({ workflow: 'awaitGo', id: 'logs-plain' });
    const signal = await api(daemon, 'POST', `/api/v1/executions/${id}/signals`, {
      body: { name: 'go', payload: { by: 'logs' } },
    });
    expect(signal.status, signal.text).toBe(202);
    expect((await finalView(id)).result).toEqual({ by: 'logs' });

    const logs = await api<Page<{ level: number; time: number; msg?: string; executionId: string; workflow: string }>>(
      daemon,
      'GET',
      `/api/v1/executions/${id}/logs?level=info`,
    );
    expect(logs.status, logs.text).toBe(200);
    expect(logs.body.items.map((l) => l.msg)).toEqual(['waiting for go', 'got go']);
    for (const line of logs.body.items) {
      expect(line).toMatchObject({ level: 30, executionId: id, workflow: 'awaitGo' });
      expect(typeof line.time).toBe('number');
    }
    const warn = await api<Page<unknown>>(daemon, 'GET', `/api/v1/executions/${id}/logs?level=warn`);
    expect(warn.body.items).toEqual([]);
    const one = await api<Page<unknown>>(daemon, 'GET', `/api/v1/executions/${id}/logs?limit=1`);
    expect(one.body.items).toHaveLength(1);
    expectError(await api(daemon, 'GET', `/api/v1/executions/${id}/logs?level=loud`), 400);
  });

  it('GET /executions/:id/logs?follow=1 streams lines as SSE and ends with `event: end` when the execution ends', async () => {
    const { id } = await start({ workflow: 'awaitGo', id: 'logs-follow' });
    const res = await fetch(`${daemon.url}/api/v1/executions/${id}/logs?follow=1`, {
      headers: { authorization: `Bearer ${daemon.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const state = { text: '' };
    const endedEarly = await readStream(reader, state, (text) => text.includes('waiting for go'));
    expect(endedEarly).toBe(false);

    const signal = await api(daemon, 'POST', `/api/v1/executions/${id}/signals`, {
      body: { name: 'go', payload: 'follow' },
    });
    expect(signal.status, signal.text).toBe(202);
    const ended = await readStream(reader, state, () => false);
    expect(ended).toBe(true);

    const events = sseEvents(state.text);
    const logs = events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data) as { msg?: string });
    expect(logs.map((l) => l.msg)).toEqual(['waiting for go', 'got go']);
    const last = events.at(-1)!;
    expect(last.event).toBe('end');
    expect(JSON.parse(last.data)).toEqual({ status: 'SUCCESS' });
  });

  it('POST /executions/:id/signals: 202 delivered, 404 for an unknown execution, 409 once it ended', async () => {
    const { id } = await start({ workflow: 'awaitGo', id: 'signalled' });
    const res = await api(daemon, 'POST', `/api/v1/executions/${id}/signals`, {
      body: { name: 'go', payload: [1, 2, 3] },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ delivered: true });
    expect((await finalView(id)).result).toEqual([1, 2, 3]);

    expectError(
      await api(daemon, 'POST', '/api/v1/executions/no-such-execution/signals', { body: { name: 'go' } }),
      404,
      'EXECUTION_NOT_FOUND',
    );
    expectError(
      await api(daemon, 'POST', `/api/v1/executions/${id}/signals`, { body: { name: 'go' } }),
      409,
      'EXECUTION_ENDED',
    );
    expectError(await api(daemon, 'POST', `/api/v1/executions/${id}/signals`, { body: { payload: 1 } }), 400);
    expectError(await api(daemon, 'POST', `/api/v1/executions/${id}/signals`, { body: { name: 5 } }), 400);
  });

  it('POST /executions/:id/cancel cancels a waiting execution; the body is optional', async () => {
    const { id } = await start({ workflow: 'awaitGo', id: 'cancelled' });
    const res = await api<{ id: string; cancelled: boolean; status: string }>(
      daemon,
      'POST',
      `/api/v1/executions/${id}/cancel`,
      { body: { reason: 'by the api test' } },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id, cancelled: true });
    expect(typeof res.body.status).toBe('string');
    const view = await finalView(id);
    expect(view.status).toBe('CANCELLED');
    expect(view.error?.code).toBe('CANCELLED');

    const { id: bare } = await start({ workflow: 'awaitGo' });
    const noBody = await api<{ cancelled: boolean }>(daemon, 'POST', `/api/v1/executions/${bare}/cancel`);
    expect(noBody.status, noBody.text).toBe(200);
    expect(noBody.body.cancelled).toBe(true);
    expect((await finalView(bare)).status).toBe('CANCELLED');

    const again = await api<{ cancelled: boolean; status: string }>(daemon, 'POST', `/api/v1/executions/${id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ cancelled: false, status: 'CANCELLED' });
    expectError(await api(daemon, 'POST', '/api/v1/executions/no-such-execution/cancel'), 404, 'EXECUTION_NOT_FOUND');
  });

  it('GET /executions/:id/result long-polls: 202 when the timeout passes first, 200 once final', async () => {
    const { id } = await start({ workflow: 'awaitGo', id: 'polled' });
    const early = await api<{ id: string; status: string }>(
      daemon,
      'GET',
      `/api/v1/executions/${id}/result?timeoutMs=50`,
    );
    expect(early.status, early.text).toBe(202);
    expect(early.body.id).toBe(id);
    expect(STATUSES).toContain(early.body.status);

    const waiting = api<ExecutionView>(daemon, 'GET', `/api/v1/executions/${id}/result?timeoutMs=30000`);
    await api(daemon, 'POST', `/api/v1/executions/${id}/signals`, { body: { name: 'go', payload: 'polled' } });
    const done = await waiting;
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({ id, status: 'SUCCESS', result: 'polled' });

    expectError(await api(daemon, 'GET', `/api/v1/executions/${id}/result?timeoutMs=300001`), 400);
    expectError(await api(daemon, 'GET', `/api/v1/executions/${id}/result?timeoutMs=-1`), 400);
  });

  it.each(['', '/history', '/tasks', '/profile', '/logs', '/result'])(
    'GET /executions/<unknown>%s is 404 EXECUTION_NOT_FOUND',
    async (suffix) => {
      expectError(
        await api(daemon, 'GET', `/api/v1/executions/no-such-execution${suffix}`),
        404,
        'EXECUTION_NOT_FOUND',
      );
    },
  );

  it('POST /executions rejects bad input with 4xx and a clear error', async () => {
    const post = (options: Parameters<typeof api>[3]): Promise<ApiResponse> =>
      api(daemon, 'POST', '/api/v1/executions', options);
    expectError(await post({ body: { workflow: 'noSuchWorkflow' } }), 404, 'WORKFLOW_NOT_FOUND');
    expectError(await post({ body: {} }), 400, 'INVALID_REQUEST');
    expectError(await post({ body: { workflow: 5 } }), 400, 'INVALID_REQUEST');
    expectError(await post({ body: { workflow: 'echo', input: 'not a list' } }), 400, 'INVALID_REQUEST');
    expectError(await post({ body: { workflow: 'echo', input: { args: 'x' } } }), 400, 'INVALID_REQUEST');
    expectError(await post({ body: { workflow: 'echo', surprise: true } }), 400, 'INVALID_REQUEST');
    expectError(await post({ body: [1, 2] }), 400, 'INVALID_REQUEST');
    const badJson = expectError(await post({ raw: '{"workflow": "echo",' }), 400, 'INVALID_REQUEST');
    expect(badJson.message).toMatch(/not valid JSON/);
    const missing = expectError(await post({ body: { input: [] } }), 400, 'INVALID_REQUEST');
    expect(missing.message).toMatch(/workflow/);
    expectError(
      await post({ raw: 'workflow=echo', headers: { 'content-type': 'text/plain' } }),
      415,
      'INVALID_REQUEST',
    );
  });

  it('a body over the 1 MiB limit is 413 PAYLOAD_TOO_LARGE', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const res = await api(daemon, 'POST', '/api/v1/executions', { body: { workflow: 'echo', input: [huge] } });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    const settings = await api(daemon, 'POST', '/api/v1/settings', { body: { name: 'big', value: huge } });
    expectError(settings, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('settings', () => {
  it('create, list, get by id and by name, patch with expectedVersion, delete', async () => {
    const created = await api<SettingView>(daemon, 'POST', '/api/v1/settings', {
      body: { name: 'api.one', value: { emails: ['a@example.com'] }, updatedBy: 'tester' },
    });
    expect(created.status, created.text).toBe(201);
    const s = created.body;
    expect(s).toMatchObject({ name: 'api.one', value: { emails: ['a@example.com'] }, version: 1, updatedBy: 'tester' });
    expect(typeof s.id).toBe('string');
    expectIso(s.createdAt);
    expectIso(s.updatedAt);

    expectError(
      await api(daemon, 'POST', '/api/v1/settings', { body: { name: 'api.one', value: 2 } }),
      409,
      'SETTING_EXISTS',
    );

    const byId = await api<SettingView>(daemon, 'GET', `/api/v1/settings/${s.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(s);
    const byIdExplicit = await api<SettingView>(daemon, 'GET', `/api/v1/settings/${s.id}?by=id`);
    expect(byIdExplicit.body).toEqual(s);
    const byName = await api<SettingView>(daemon, 'GET', '/api/v1/settings/api.one?by=name');
    expect(byName.status).toBe(200);
    expect(byName.body).toEqual(s);
    expectError(await api(daemon, 'GET', '/api/v1/settings/api.one'), 404, 'SETTING_NOT_FOUND');

    const patched = await api<SettingView>(daemon, 'PATCH', '/api/v1/settings/api.one?by=name', {
      body: { value: ['v2'], expectedVersion: 1, updatedBy: 'patcher' },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id: s.id, name: 'api.one', value: ['v2'], version: 2, updatedBy: 'patcher' });
    const stale = expectError(
      await api(daemon, 'PATCH', '/api/v1/settings/api.one?by=name', { body: { value: 'late', expectedVersion: 1 } }),
      409,
      'VERSION_CONFLICT',
    );
    expect(stale.context).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    const byIdPatch = await api<SettingView>(daemon, 'PATCH', `/api/v1/settings/${s.id}`, { body: { value: null } });
    expect(byIdPatch.status, byIdPatch.text).toBe(200);
    expect(byIdPatch.body).toMatchObject({ value: null, version: 3 });

    const deleted = await api(daemon, 'DELETE', `/api/v1/settings/${s.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: true });
    expectError(await api(daemon, 'GET', `/api/v1/settings/${s.id}`), 404, 'SETTING_NOT_FOUND');
    expectError(await api(daemon, 'DELETE', `/api/v1/settings/${s.id}`), 404, 'SETTING_NOT_FOUND');
    expectError(
      await api(daemon, 'PATCH', '/api/v1/settings/api.one?by=name', { body: { value: 1 } }),
      404,
      'SETTING_NOT_FOUND',
    );
  });

  it('GET /settings lists by prefix and pages with a cursor; DELETE by name', async () => {
    const names = ['list.a', 'list.b', 'list.c', 'list.d', 'list.e'];
    for (const [i, name] of names.entries()) {
      const res = await api(daemon, 'POST', '/api/v1/settings', { body: { name, value: i } });
      expect(res.status, res.text).toBe(201);
    }
    await api(daemon, 'POST', '/api/v1/settings', { body: { name: 'other.x', value: 0 } });

    const all = await api<Page<SettingView>>(daemon, 'GET', '/api/v1/settings?prefix=list.');
    expect(all.status).toBe(200);
    expect(all.body.items.map((s) => s.name).sort()).toEqual(names);

    const paged: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const query = 'prefix=list.&limit=2' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
      const res = await api<Page<SettingView>>(daemon, 'GET', `/api/v1/settings?${query}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      paged.push(...res.body.items.map((s) => s.name));
      cursor = res.body.cursor;
      if (cursor === undefined) break;
    }
    expect(paged.sort()).toEqual(names);

    const gone = await api(daemon, 'DELETE', '/api/v1/settings/list.a?by=name');
    expect(gone.body).toEqual({ deleted: true });
    const after = await api<Page<SettingView>>(daemon, 'GET', '/api/v1/settings?prefix=list.');
    expect(after.body.items.map((s) => s.name)).not.toContain('list.a');
  });

  it('rejects bad settings requests with 400', async () => {
    expectError(await api(daemon, 'POST', '/api/v1/settings', { body: { value: 1 } }), 400, 'INVALID_REQUEST');
    expectError(await api(daemon, 'POST', '/api/v1/settings', { body: { name: 'bad name!', value: 1 } }), 400);
    expectError(
      await api(daemon, 'POST', '/api/v1/settings', { body: { name: 'ok', value: 1, extra: 1 } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await api(daemon, 'PATCH', '/api/v1/settings/ok?by=name', { body: { value: 1, expectedVersion: 'one' } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(await api(daemon, 'GET', '/api/v1/settings/ok?by=nickname'), 400);
    expectError(await api(daemon, 'GET', '/api/v1/settings?limit=0'), 400);
  });
});

describe('locks', () => {
  it('acquire a lease, 409 LOCK_TIMEOUT for a second try, list, renew, release; a waiter gets it next', async () => {
    const grant = await api<LockGrantView>(daemon, 'POST', '/api/v1/locks/api.lock/acquire', {
      body: { holder: 'alice', ttlMs: 60_000 },
    });
    expect(grant.status, grant.text).toBe(200);
    expect(grant.body).toMatchObject({ name: 'api.lock', holder: 'alice' });
    expect(Number.isInteger(grant.body.token)).toBe(true);
    expectIso(grant.body.expiresAt);

    expectError(
      await api(daemon, 'POST', '/api/v1/locks/api.lock/acquire', { body: { holder: 'bob', timeoutMs: 0 } }),
      409,
      'LOCK_TIMEOUT',
    );

    const list = await api<Page<LockView>>(daemon, 'GET', '/api/v1/locks');
    expect(list.status).toBe(200);
    const view = list.body.items.find((l) => l.name === 'api.lock');
    expect(view?.holder).toMatchObject({ holder: 'alice', token: grant.body.token, count: 1 });
    expectIso(view?.holder?.since);
    expect(view?.waiters).toEqual([]);

    const renewed = await api<LockGrantView>(daemon, 'POST', '/api/v1/locks/api.lock/renew', {
      body: { token: grant.body.token },
    });
    expect(renewed.status, renewed.text).toBe(200);
    expect(renewed.body).toMatchObject({ name: 'api.lock', holder: 'alice', token: grant.body.token });
    expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThanOrEqual(Date.parse(grant.body.expiresAt));
    expectError(
      await api(daemon, 'POST', '/api/v1/locks/api.lock/renew', { body: { token: grant.body.token + 1000 } }),
      409,
    );

    // bob waits; alice's release hands the lock to him with a greater token.
    const bob = api<LockGrantView>(daemon, 'POST', '/api/v1/locks/api.lock/acquire', {
      body: { holder: 'bob', timeoutMs: 30_000 },
    });
    await vi.waitFor(
      async () => {
        const locks = await api<Page<LockView>>(daemon, 'GET', '/api/v1/locks');
        const waiters = locks.body.items.find((l) => l.name === 'api.lock')?.waiters ?? [];
        expect(waiters.map((w) => w.holder)).toEqual(['bob']);
      },
      { timeout: 20_000, interval: 20 },
    );
    const released = await api(daemon, 'POST', '/api/v1/locks/api.lock/release', { body: { token: grant.body.token } });
    expect(released.status, released.text).toBe(200);
    expect(released.body).toEqual({ released: true });
    const bobGrant = await bob;
    expect(bobGrant.status, bobGrant.text).toBe(200);
    expect(bobGrant.body.holder).toBe('bob');
    expect(bobGrant.body.token).toBeGreaterThan(grant.body.token);

    expectError(
      await api(daemon, 'POST', '/api/v1/locks/api.lock/release', { body: { token: grant.body.token } }),
      409,
    );
    const bobReleased = await api(daemon, 'POST', '/api/v1/locks/api.lock/release', {
      body: { token: bobGrant.body.token },
    });
    expect(bobReleased.status).toBe(200);
  });

  it('acquire defaults: holder "api", a 30 s lease', async () => {
    const grant = await api<LockGrantView>(daemon, 'POST', '/api/v1/locks/api.defaults/acquire', { body: {} });
    expect(grant.status, grant.text).toBe(200);
    expect(grant.body.holder).toBe('api');
    expectIso(grant.body.expiresAt);
    await api(daemon, 'POST', '/api/v1/locks/api.defaults/release', { body: { token: grant.body.token } });
  });

  it('rejects bad lock requests with 400', async () => {
    const acquire = (body: unknown): Promise<ApiResponse> =>
      api(daemon, 'POST', '/api/v1/locks/api.bad/acquire', { body });
    expectError(await acquire({ ttlMs: 0 }), 400);
    expectError(await acquire({ ttlMs: 86_400_001 }), 400);
    expectError(await acquire({ timeoutMs: 300_001 }), 400);
    expectError(await acquire({ timeoutMs: 'soon' }), 400, 'INVALID_REQUEST');
    expectError(await acquire({ holder: 'x', extra: true }), 400, 'INVALID_REQUEST');
    expectError(await api(daemon, 'POST', '/api/v1/locks/api.bad/renew', { body: { token: 'one' } }), 400);
    expectError(await api(daemon, 'POST', '/api/v1/locks/api.bad/release', { body: {} }), 400);
    expectError(await api(daemon, 'POST', '/api/v1/locks/api.bad/release', { body: { token: 1.5 } }), 400);
    expectError(
      await api(daemon, 'POST', `/api/v1/locks/${encodeURIComponent('bad name!')}/acquire`, { body: {} }),
      400,
    );
  });
});

describe('metrics and openapi', () => {
  it('GET /metrics answers Prometheus text with execution counts', async () => {
    await finalView((await start({ workflow: 'echo', input: ['metrics'] })).id);
    const res = await api(daemon, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^weft_executions\{status="SUCCESS"\} \d+/m);
  });

  it('GET /api/v1/openapi.json lists the paths', async () => {
    const res = await api<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      daemon,
      'GET',
      '/api/v1/openapi.json',
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
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
      ]),
    );
    expect(Object.keys(res.body.paths['/api/v1/executions']!)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(res.body.paths['/api/v1/settings/{key}']!)).toEqual(
      expect.arrayContaining(['get', 'patch', 'delete']),
    );
  });
});
