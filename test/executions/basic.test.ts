/**
 * Basics of executions: handles (info, subscribe, kwargs), every error code a caller or a
 * workflow meets (WORKFLOW_NOT_FOUND, EXECUTION_NOT_FOUND, ACTIVITY_NOT_FOUND,
 * INVALID_ARGUMENT, WORKFLOW_ERROR, a weft error's own code, an activity error's code across
 * the thread), and rt.list() filters and pages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Runtime, workflow, type ExecutionStatus } from '../../src/index.js';
import {
  cleanup,
  logger,
  open,
  rejection,
  release,
  sideFile,
  tempDir,
  waitForEvent,
  waitForLine,
} from '../fixtures/harness.js';
import { probe, type SeenError } from '../fixtures/workflows.js';

afterEach(cleanup);

describe('handles', () => {
  it('info() describes a finished execution', async () => {
    const rt = await open();
    const handle = await rt.start('echo', { a: [1, 2] });
    expect(await handle.result()).toEqual({ a: [1, 2] });
    const info = await handle.info();
    expect(info).toMatchObject({ id: handle.id, workflow: 'echo', version: '1', status: 'SUCCESS' });
    expect(info.input).toEqual({ args: [{ a: [1, 2] }] });
    expect(info.result).toEqual({ a: [1, 2] });
    expect(info.startedAt!.getTime()).toBeGreaterThanOrEqual(info.createdAt.getTime());
    expect(info.endedAt!.getTime()).toBeGreaterThanOrEqual(info.startedAt!.getTime());
    expect((await rt.get(handle.id)).id).toBe(handle.id);
  });

  it('passes kwargs as one last argument', async () => {
    const rt = await open();
    const handle = await rt.start({ workflow: 'echo', kwargs: { t: 5 } });
    expect(await handle.result()).toEqual({ t: 5 });
  });

  it('subscribe() reports status changes until the end', async () => {
    const rt = await open();
    const file = sideFile();
    const handle = await rt.start('gated', file, 'g');
    const seen: ExecutionStatus[] = [];
    handle.subscribe(({ status }) => seen.push(status));
    await waitForLine(file, { event: 'start', tag: 'g' });
    release(file, 'g');
    expect(await handle.result()).toBe('g');
    expect(seen).toEqual(['SUCCESS']);
  });
});

describe('errors', () => {
  it('WORKFLOW_NOT_FOUND for an unknown workflow', async () => {
    const rt = await open();
    const err = await rejection(rt.start('noSuchWorkflow'));
    expect(err.code).toBe('WORKFLOW_NOT_FOUND');
    expect(err.context.workflow).toBe('noSuchWorkflow');
    expect((await rejection(rt.start({ workflow: 'noSuchWorkflow', id: 'w-1' }))).code).toBe('WORKFLOW_NOT_FOUND');
  });

  it('an activity failure nobody awaits is no unhandled rejection; the workflow goes on', async () => {
    const rt = await open();
    const file = sideFile();
    const handle = await rt.start('ignoresFailure', file);
    await waitForEvent(handle, { type: 'activity.failed', step: 1 });
    release(file, 'after');
    expect(await handle.result()).toBe('after');
  });

  it('EXECUTION_NOT_FOUND for an unknown id', async () => {
    const rt = await open();
    const err = await rejection(rt.get('no-such-execution'));
    expect(err.code).toBe('EXECUTION_NOT_FOUND');
    expect(err.context.executionId).toBe('no-such-execution');
  });

  it('ACTIVITY_NOT_FOUND rejects inside the workflow and can be caught', async () => {
    const rt = await open();
    expect(await (await rt.start('callsMissing')).result()).toBe('ACTIVITY_NOT_FOUND');
    const uncaught = await rt.start('missingUncaught');
    expect((await rejection(uncaught.result())).code).toBe('ACTIVITY_NOT_FOUND');
    expect(await uncaught.status()).toBe('FAILED');
  });

  it('a workflow throwing a plain Error ends FAILED with WORKFLOW_ERROR and the error as cause', async () => {
    const rt = await open();
    const handle = await rt.start('throwsPlain', 'plain failure');
    const err = await rejection(handle.result());
    expect(err.code).toBe('WORKFLOW_ERROR');
    expect((err.cause as Error).message).toBe('plain failure');
    expect((err.cause as Error).name).toBe('Error');
    const info = await handle.info();
    expect(info.status).toBe('FAILED');
    expect(info.error?.code).toBe('WORKFLOW_ERROR');
  });

  it('a workflow throwing a weft error keeps its code and context', async () => {
    const rt = await open();
    const handle = await rt.start('throwsWeft');
    const err = await rejection(handle.result());
    expect(err.code).toBe('VERSION_CONFLICT');
    expect(err.context).toEqual({ by: 'test' });
    expect(await handle.status()).toBe('FAILED');
  });

  it("an activity's error keeps its code across the thread", async () => {
    const rt = await open();
    const once = { retry: { maxAttempts: 1 } };
    const text = (await (
      await rt.start(probe, 'failWith', [sideFile(), 'DbError', 'E_DB'], once)
    ).result()) as SeenError;
    expect(text).toMatchObject({ code: 'ACTIVITY_FAILED', remote: { name: 'DbError', code: 'E_DB' } });
    expect(text.cause).toMatchObject({ name: 'DbError', code: 'E_DB' });
    const num = (await (await rt.start(probe, 'failWith', [sideFile(), 'HttpError', 503], once)).result()) as SeenError;
    expect(num.remote).toMatchObject({ name: 'HttpError', code: 503 });
  });

  it('INVALID_ARGUMENT for bad runtime options', async () => {
    const dataDir = tempDir();
    const bad = [
      { threads: 0 },
      { maxRunning: 0 },
      { concurrentTasksPerWorker: 1.5 },
      { shutdownGraceMs: -1 },
      { activities: 'not-a-list' as never },
      { workflows: ['/no/such/module.ts'] },
      { activities: ['/no/such/activities.ts'] },
    ];
    for (const options of bad) {
      const err = await rejection(Runtime.open({ dataDir, logger, ...options }));
      expect(err.code, JSON.stringify(options)).toBe('INVALID_ARGUMENT');
    }
  });

  it('INVALID_ARGUMENT for bad start, list and workflow options', async () => {
    const rt = await open();
    expect((await rejection(rt.start({ workflow: 'echo', args: 'x' as never }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(rt.start({ workflow: 'echo', kwargs: [] as never }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(rt.start(null as never))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(rt.list({ limit: 0 }))).code).toBe('INVALID_ARGUMENT');
    expect(() => workflow('w', () => Promise.resolve(), { timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => workflow('w', () => Promise.resolve(), { version: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('INVALID_ARGUMENT for bad activity options, inside the workflow', async () => {
    const rt = await open();
    const file = sideFile();
    for (const options of [
      { startToCloseTimeoutMs: -1 },
      { heartbeatTimeoutMs: 1.5 },
      { retry: { maxAttempts: 0 } },
      { retry: { backoffCoefficient: 0.5 } },
      { retry: 'weeks' as never },
    ]) {
      const seen = (await (await rt.start(probe, 'keyed', [file, 'never'], options)).result()) as SeenError;
      expect(seen.code, JSON.stringify(options)).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('list()', () => {
  it('filters by status and workflow, and pages with limit and cursor', async () => {
    const rt = await open();
    const ids = { echo: [] as string[], throwsPlain: [] as string[] };
    for (let i = 0; i < 5; i++) {
      const name = i % 2 === 0 ? 'echo' : 'throwsPlain';
      const handle = await rt.start(name, `run ${i}`);
      await handle.result().catch(() => undefined);
      ids[name].push(handle.id);
    }
    const all = (await rt.list()).items;
    expect(all).toHaveLength(5);

    const failed = (await rt.list({ status: 'FAILED' })).items;
    expect(failed.map((i) => i.id).sort()).toEqual([...ids.throwsPlain].sort());
    expect(failed.every((i) => i.status === 'FAILED' && i.error?.code === 'WORKFLOW_ERROR')).toBe(true);
    const echoes = (await rt.list({ workflow: 'echo' })).items;
    expect(echoes.map((i) => i.id).sort()).toEqual([...ids.echo].sort());
    expect((await rt.list({ workflow: 'echo', status: 'FAILED' })).items).toEqual([]);
    expect((await rt.list({ status: 'RUNNING' })).items).toEqual([]);

    const paged: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await rt.list({ limit: 2, ...(cursor !== undefined && { cursor }) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((i) => i.id));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(paged).toEqual(all.map((i) => i.id));

    const firstEcho = await rt.list({ workflow: 'echo', limit: 1 });
    expect(firstEcho.items).toHaveLength(1);
    const restEcho = await rt.list({ workflow: 'echo', cursor: firstEcho.cursor! });
    expect([...firstEcho.items, ...restEcho.items].map((i) => i.id)).toEqual(echoes.map((i) => i.id));
  });
});
