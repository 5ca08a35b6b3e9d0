/**
 * Every `weft` client command against one real daemon (test/fixtures/weft.config.ts):
 * output, `--json` shapes, `--header` tables and exit codes. Setup and checks that need no
 * CLI go through {@link WeftClient} in this process, which tests it along the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WeftClient, type ExecutionView, type LockGrantView, type SettingView } from '../../src/client/client.js';
import { WeftError } from '../../src/errors.js';
import type { LogLine } from '../../src/executions/execution-log.js';
import { cliEnv, daemonTempDir, runCli, startDaemon, type CliResult, type DaemonProcess } from '../fixtures/daemon.js';

let daemon: DaemonProcess;
let client: WeftClient;
let side: string;

beforeAll(async () => {
  daemon = await startDaemon();
  client = new WeftClient({ url: daemon.url, token: daemon.token });
  side = path.join(daemonTempDir(), 'gate');
});

afterAll(async () => {
  await daemon?.stop();
});

/** `weft ...args` pointed at the daemon through WEFT_URL and WEFT_TOKEN. */
function weft(...args: string[]): Promise<CliResult> {
  return runCli(args, { env: cliEnv(daemon) });
}

function expectOk(r: CliResult): void {
  expect(r.code, r.stderr).toBe(0);
}

/** A failure exit with `weft: CODE: ` on stderr. */
function expectFailure(r: CliResult, exitCode: number, code: string): void {
  expect(r.code, r.stdout + r.stderr).toBe(exitCode);
  expect(r.stderr).toContain(`weft: ${code}: `);
}

/** The table's lines, each split on runs of two or more spaces. */
function cells(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));
}

function openGate(tag: string): void {
  fs.writeFileSync(`${side}.${tag}.go`, '');
}

describe('start, info, list', () => {
  it('starts an execution, waits for it, and shows it', async () => {
    const waited = await weft('start', 'echo', '--input', '["hi"]', '--id', 'cli-echo', '--wait', '--json');
    expectOk(waited);
    expect(JSON.parse(waited.stdout)).toEqual({ id: 'cli-echo', status: 'SUCCESS', result: 'hi' });

    const [again, plainWait, info, infoJson, list, listJson] = await Promise.all([
      weft('start', 'echo', '--input', '["other"]', '--id', 'cli-echo', '--json'),
      weft('start', 'echo', '--input', '{"args": [{"n": 1}]}', '--wait'),
      weft('info', 'cli-echo', '--header'),
      weft('info', 'cli-echo', '--json'),
      weft('list', '--workflow', 'echo', '--header'),
      weft('list', '--workflow', 'echo', '--limit', '1', '--json'),
    ]);
    expectOk(again);
    expect(JSON.parse(again.stdout)).toEqual({ id: 'cli-echo', status: 'SUCCESS' });
    expect(again.stderr).toContain('started nothing new');

    expectOk(plainWait);
    expect(plainWait.stdout).toBe('{"n":1}\n');

    expectOk(info);
    const [header, row] = cells(info.stdout);
    expect(header).toEqual([
      'id',
      'workflow',
      'version',
      'status',
      'created',
      'started',
      'ended',
      'duration',
      'input',
      'result/error',
    ]);
    expect(row?.slice(0, 4)).toEqual(['cli-echo', 'echo', '1', 'SUCCESS']);
    expect(row?.[4]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(row?.slice(-2)).toEqual(['{"args":["hi"]}', '"hi"']);
    const view = JSON.parse(infoJson.stdout) as ExecutionView;
    expect(view).toMatchObject({
      id: 'cli-echo',
      workflow: 'echo',
      status: 'SUCCESS',
      result: 'hi',
      input: { args: ['hi'] },
    });

    expectOk(list);
    const lines = cells(list.stdout);
    expect(lines[0]).toEqual(['id', 'workflow', 'status', 'created', 'ended']);
    expect(lines.find((l) => l[0] === 'cli-echo')?.slice(1, 3)).toEqual(['echo', 'SUCCESS']);
    const page = JSON.parse(listJson.stdout) as { items: ExecutionView[]; cursor?: string };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.workflow).toBe('echo');
    expect(typeof page.cursor).toBe('string');
  });

  it('prints the id without --wait; exits 1 for a failed workflow and for errors from the daemon', async () => {
    const [started, failed, failedPlain, unknownWorkflow, unknownId, badStatus, badToken] = await Promise.all([
      weft('start', 'echo', '--input', '[1]', '--id', 'cli-plain'),
      weft('start', 'throwsPlain', '--input', '["bad"]', '--wait', '--json'),
      weft('start', 'throwsPlain', '--input', '["bad"]', '--wait'),
      weft('start', 'noSuchWorkflow'),
      weft('info', 'no-such-execution'),
      weft('list', '--status', 'nope'),
      runCli(['list', '--token', 'wrong'], { env: { WEFT_URL: daemon.url } }),
    ]);
    expectOk(started);
    expect(started.stdout).toBe('cli-plain\n');

    expect(failed.code).toBe(1);
    const doc = JSON.parse(failed.stdout) as { status: string; error: { code: string; message: string } };
    expect(doc.status).toBe('FAILED');
    expect(doc.error).toEqual({ code: 'WORKFLOW_ERROR', message: expect.stringContaining('bad') as string });
    expectFailure(failedPlain, 1, 'WORKFLOW_ERROR');
    expect(failedPlain.stdout).toBe('');

    expectFailure(unknownWorkflow, 1, 'WORKFLOW_NOT_FOUND');
    expectFailure(unknownId, 1, 'EXECUTION_NOT_FOUND');
    expect(badStatus.code).toBe(2);
    expectFailure(badToken, 1, 'UNAUTHORIZED');
  });

  it('finds the token in the data folder', async () => {
    const r = await runCli(['list', '--data', daemon.dataDir, '--json'], { env: { WEFT_URL: daemon.url } });
    expectOk(r);
    expect(Array.isArray((JSON.parse(r.stdout) as { items: unknown[] }).items)).toBe(true);
  });
});

describe('tasks and profile', () => {
  it('show the activity tasks of an execution, as simpleflow does', async () => {
    const run = weft(
      'start',
      'gates',
      '--input',
      JSON.stringify([side, 'p', 2]),
      '--id',
      'cli-gates',
      '--wait',
      '--json',
    );
    await vi.waitFor(async () => expect((await client.tasks('cli-gates').catch(() => [])).length).toBe(1), {
      timeout: 20_000,
      interval: 100,
    });
    openGate('p-1');
    await vi.waitFor(async () => expect(await client.tasks('cli-gates')).toHaveLength(2), {
      timeout: 20_000,
      interval: 100,
    });
    openGate('p-2');
    const done = await run;
    expectOk(done);
    expect(JSON.parse(done.stdout)).toEqual({ id: 'cli-gates', status: 'SUCCESS', result: ['p-1', 'p-2'] });

    const [tasks, tasksJson, profile, profileJson] = await Promise.all([
      weft('tasks', 'cli-gates', '--header'),
      weft('tasks', 'cli-gates', '--json'),
      weft('profile', 'cli-gates', '--header'),
      weft('profile', 'cli-gates', '--json'),
    ]);
    expectOk(tasks);
    const taskLines = cells(tasks.stdout);
    expect(taskLines[0]).toEqual(['task', 'last state', 'last state time', 'scheduled time', 'attempts']);
    expect(taskLines.slice(1).map((l) => [l[0], l[1], l[4]?.trim()])).toEqual([
      ['gate-1', 'completed', '1'],
      ['gate-2', 'completed', '1'],
    ]);
    expect((JSON.parse(tasksJson.stdout) as { items: Array<{ activity: string }> }).items).toHaveLength(2);

    expectOk(profile);
    const profileLines = cells(profile.stdout);
    expect(profileLines[0]).toEqual([
      'task',
      'last state',
      'scheduled',
      'waiting',
      'started',
      'running',
      'ended',
      '% of total',
    ]);
    for (const line of profileLines.slice(1, 3)) {
      expect(line[1]).toBe('completed');
      expect(line.slice(2).join(' ')).toMatch(/^\S+Z +\d+\.\d\d \S+Z +\d+\.\d\d \S+Z +\d+\.\d\d$/);
    }
    expect(profileLines.at(-1)!.join(' ')).toMatch(/^total \d+\.\d\d s$/);
    const view = JSON.parse(profileJson.stdout) as { id: string; totalMs: number; items: unknown[] };
    expect(view.id).toBe('cli-gates');
    expect(view.items).toHaveLength(2);
  });
});

describe('logs, signal and cancel', () => {
  it('follows the logs of an execution until a signal ends it', async () => {
    const started = await weft('start', 'awaitGo', '--id', 'cli-go');
    expectOk(started);
    const follow = weft('logs', 'cli-go', '--follow');
    await vi.waitFor(async () => expect(await client.logs('cli-go')).toHaveLength(1), {
      timeout: 20_000,
      interval: 100,
    });

    const signal = await weft('signal', 'cli-go', 'go', '{"ok": true}');
    expectOk(signal);
    expect(signal.stdout).toContain('delivered');
    const followed = await follow;
    expectOk(followed);
    const lines = followed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S+Z INFO +waiting for go$/);
    expect(lines[1]).toMatch(/^\S+Z INFO +got go \{"payload":\{"ok":true\}\}$/);

    const [json, warn, ended, unknown] = await Promise.all([
      weft('logs', 'cli-go', '--json'),
      weft('logs', 'cli-go', '--level', 'warn'),
      weft('signal', 'cli-go', 'go'),
      weft('signal', 'no-such-execution', 'go', '1'),
    ]);
    expectOk(json);
    const docs = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as LogLine);
    expect(docs.map((d) => [d.msg, d.executionId, d.level])).toEqual([
      ['waiting for go', 'cli-go', 30],
      ['got go', 'cli-go', 30],
    ]);
    expectOk(warn);
    expect(warn.stdout).toBe('');
    expectFailure(ended, 1, 'EXECUTION_ENDED');
    expectFailure(unknown, 1, 'EXECUTION_NOT_FOUND');
  });

  it('cancels an execution; a waiting start ends with exit 1', async () => {
    const waiting = weft('start', 'awaitGo', '--id', 'cli-cancel', '--wait', '--json');
    await vi.waitFor(
      async () => expect((await client.get('cli-cancel').catch(() => undefined))?.status).toBe('WAITING_SIGNAL'),
      {
        timeout: 20_000,
        interval: 100,
      },
    );
    const cancel = await weft('cancel', 'cli-cancel', '--reason', 'no longer needed');
    expectOk(cancel);
    expect(cancel.stdout).toBe('cancelled cli-cancel\n');
    const ended = await waiting;
    expect(ended.code).toBe(1);
    expect(JSON.parse(ended.stdout)).toMatchObject({
      id: 'cli-cancel',
      status: 'CANCELLED',
      error: { code: 'CANCELLED' },
    });

    const again = await weft('cancel', 'cli-cancel', '--json');
    expectOk(again);
    expect(JSON.parse(again.stdout)).toEqual({ id: 'cli-cancel', cancelled: false, status: 'CANCELLED' });
  });
});

describe('weft setting', () => {
  it('creates, updates, reads, lists and deletes settings by name', async () => {
    const created = await weft('setting', 'set', 'cli.emails', '["toni@example.com"]', '--header');
    expectOk(created);
    const [header, row] = cells(created.stdout);
    expect(header).toEqual(['name', 'version', 'updated', 'updated by', 'value']);
    expect([row?.[0], row?.[1]?.trim(), row?.[4]]).toEqual(['cli.emails', '1', '["toni@example.com"]']);

    const updated = await weft('setting', 'set', 'cli.emails', '[]', '--expected-version', '1', '--json');
    expectOk(updated);
    expect(JSON.parse(updated.stdout)).toMatchObject({ name: 'cli.emails', value: [], version: 2 });

    const [conflict, get, list, badJson] = await Promise.all([
      weft('setting', 'set', 'cli.emails', '1', '--expected-version', '1'),
      weft('setting', 'get', 'cli.emails', '--json'),
      weft('setting', 'list', '--prefix', 'cli.', '--header'),
      weft('setting', 'set', 'cli.emails', 'not-json'),
    ]);
    expectFailure(conflict, 1, 'VERSION_CONFLICT');
    const setting = JSON.parse(get.stdout) as SettingView;
    expect(setting).toMatchObject({ name: 'cli.emails', value: [], version: 2 });
    expect(cells(list.stdout).map((l) => l[0])).toEqual(['name', 'cli.emails']);
    expect(badJson.code).toBe(2);

    const deleted = await weft('setting', 'delete', 'cli.emails');
    expectOk(deleted);
    expect(deleted.stdout).toBe('deleted cli.emails\n');
    expectFailure(await weft('setting', 'get', 'cli.emails'), 1, 'SETTING_NOT_FOUND');
  });
});

describe('weft lock', () => {
  it('acquires, lists, renews and releases a lease', async () => {
    const acquired = await weft('lock', 'acquire', 'cli-lock', '--holder', 'tester', '--ttl', '60000', '--json');
    expectOk(acquired);
    const grant = JSON.parse(acquired.stdout) as LockGrantView;
    expect(grant).toMatchObject({ name: 'cli-lock', holder: 'tester' });
    const token = String(grant.token);

    const [list, taken, renewed, badToken] = await Promise.all([
      weft('lock', 'list', '--header'),
      weft('lock', 'acquire', 'cli-lock', '--holder', 'other', '--timeout', '0'),
      weft('lock', 'renew', 'cli-lock', token, '--header'),
      weft('lock', 'renew', 'cli-lock', 'abc'),
    ]);
    expectOk(list);
    const lines = cells(list.stdout);
    expect(lines[0]).toEqual(['name', 'holder', 'token', 'since', 'expires', 'waiters']);
    expect(
      lines
        .find((l) => l[0] === 'cli-lock')
        ?.slice(1, 3)
        .map((c) => c.trim()),
    ).toEqual(['tester', token]);
    expectFailure(taken, 1, 'LOCK_TIMEOUT');
    expectOk(renewed);
    expect(
      cells(renewed.stdout)[1]
        ?.map((c) => c.trim())
        .slice(0, 3),
    ).toEqual(['cli-lock', 'tester', token]);
    expect(badToken.code).toBe(2);

    const released = await weft('lock', 'release', 'cli-lock', token);
    expectOk(released);
    expect(released.stdout).toBe('released cli-lock\n');
    expectFailure(await weft('lock', 'release', 'cli-lock', token), 1, 'NOT_LOCK_HOLDER');
  });
});

describe('WeftClient', () => {
  it('answers the daemon errors as WeftErrors with their code, and long-polls results', async () => {
    const err = await client.get('no-such-execution').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect((err as WeftError).code).toBe('EXECUTION_NOT_FOUND');

    const { id, created } = await client.start('awaitGo', [], { id: 'client-go' });
    expect([id, created]).toEqual(['client-go', true]);
    expect((await client.result(id, { timeoutMs: 0 })).done).toBe(false);
    const updates: string[] = [];
    const final = client.waitResult(id, { pollMs: 50, onUpdate: ({ status }) => void updates.push(status) });
    await vi.waitFor(() => expect(updates.length).toBeGreaterThan(0), { timeout: 20_000 });
    await client.signal(id, 'go', 7);
    expect(await final).toMatchObject({ id, status: 'SUCCESS', result: 7 });
    expect((await client.start('awaitGo', [], { id })).created).toBe(false);
  });

  it('reports a daemon it cannot reach as DAEMON_UNREACHABLE', async () => {
    const nowhere = new WeftClient({ url: 'http://127.0.0.1:9', token: 't' });
    await expect(nowhere.list()).rejects.toMatchObject({ code: 'DAEMON_UNREACHABLE' });
  });
});
