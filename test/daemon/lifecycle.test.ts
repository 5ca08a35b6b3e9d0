/**
 * The daemon as a process: killed with SIGKILL or stopped with SIGTERM while activities run,
 * then restarted on the same folder, nothing acknowledged is lost; a second daemon on the
 * same folder refuses; the token comes from WEFT_TOKEN or a 0600 file kept across restarts;
 * a bad config exits 2 (a usage error) with CONFIG_INVALID.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  api,
  daemonTempDir,
  spawnCli,
  startDaemon,
  TEST_CONFIG,
  type ApiResponse,
  type DaemonProcess,
  type Exit,
} from '../fixtures/daemon.js';

interface ExecutionView {
  id: string;
  status: string;
  result?: unknown;
  error?: { code: string; message: string };
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
}

interface Page<T> {
  items: T[];
  cursor?: string;
}

/** A side file for the gate activity, in its own folder. */
function sideFile(): string {
  return path.join(daemonTempDir(), 'side.jsonl');
}

/** Opens the gate activity's gate `tag` (it polls for `<file>.<tag>.go`). */
function release(file: string, tag: string): void {
  fs.writeFileSync(`${file}.${tag}.go`, '');
}

/** How many gate activities have noted their start in the side file. */
function gateStarts(file: string): Set<string> {
  if (!fs.existsSync(file)) return new Set();
  const tags = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { event: string; tag?: string })
    .filter((l) => l.event === 'start')
    .map((l) => l.tag ?? '');
  return new Set(tags);
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function inPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function startGates(daemon: DaemonProcess, id: string, file: string, tag: string): Promise<void> {
  const res = await api(daemon, 'POST', '/api/v1/executions', {
    body: { workflow: 'gates', input: [file, tag, 1], id },
  });
  expect(res.status, res.text).toBe(201);
}

/** Long-polls the execution's result until it is final. */
async function finalView(daemon: DaemonProcess, id: string): Promise<ExecutionView> {
  for (;;) {
    const res = await api<ExecutionView>(daemon, 'GET', `/api/v1/executions/${id}/result?timeoutMs=20000`);
    if (res.status === 200) return res.body;
    expect(res.status, res.text).toBe(202);
  }
}

/** Every execution id in a status (all pages). */
async function idsInStatus(daemon: DaemonProcess, status: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const query = `status=${status}&limit=1000` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
    const res = await api<Page<ExecutionView>>(daemon, 'GET', `/api/v1/executions?${query}`);
    expect(res.status, res.text).toBe(200);
    for (const item of res.body.items) ids.add(item.id);
    cursor = res.body.cursor;
  } while (cursor !== undefined);
  return ids;
}

/**
 * The daemon's exit, or a failure naming `what` if it has not exited after `ms`: a bound on
 * a hang that names it, rather than the test's own timeout.
 */
async function exitWithin(daemon: DaemonProcess, ms: number, what: string): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the daemon did not exit within ${ms} ms of ${what}:\n${daemon.stderr()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([daemon.exited, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a `weft daemon` child that should refuse to start: its exit and output; fails if it starts listening. */
async function refusal(child: ChildProcess): Promise<Exit & { output: string }> {
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exit = await new Promise<Exit>((resolve, reject) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.stdout?.on('data', () => {
      if (/listening on/.test(output)) {
        child.kill('SIGKILL');
        reject(new Error(`the daemon started when it should have refused:\n${output}`));
      }
    });
  });
  return { ...exit, output };
}

describe('crash and restart', () => {
  it('SIGKILL during 200 running executions, restart on the same folder: all 200 complete', async () => {
    const dataDir = daemonTempDir();
    const side = sideFile();
    const ids = Array.from({ length: 200 }, (_, i) => i);
    const first = await startDaemon({ dataDir });
    await inPool(ids, 16, (i) => startGates(first, `kill-${i}`, side, `k${i}`));

    await vi.waitFor(
      async () => {
        const running = await idsInStatus(first, 'RUNNING');
        expect(ids.filter((i) => !running.has(`kill-${i}`))).toEqual([]);
        expect(gateStarts(side).size).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await startDaemon({ dataDir });
    expect(second.token).toBe(first.token);
    for (const i of ids) release(side, `k${i}-1`);
    const views = await inPool(ids, 16, (i) => finalView(second, `kill-${i}`));
    for (const [i, view] of views.entries()) expect(view).toMatchObject({ status: 'SUCCESS', result: [`k${i}-1`] });
    expect((await idsInStatus(second, 'SUCCESS')).size).toBe(200);
    await second.stop('SIGTERM');
  });

  it('SIGTERM while activities run exits 0 and loses no acknowledged start', async () => {
    const dataDir = daemonTempDir();
    const side = sideFile();
    const first = await startDaemon({ dataDir, args: ['--grace-ms', '500'] });
    const running = Array.from({ length: 20 }, (_, i) => `run-${i}`);
    await inPool(running, 8, (id) => startGates(first, id, side, id));
    await vi.waitFor(() => expect(gateStarts(side).size).toBe(20), { timeout: 30_000, interval: 20 });

    // Starts keep arriving (four streams) while the daemon stops: every one answered 201 must survive.
    const acknowledged: string[] = [];
    const attempted: string[] = [];
    const refusals: ApiResponse[] = [];
    let stopping = false;
    const stream = async (lane: number): Promise<void> => {
      for (let n = 0; n < 500; n++) {
        const id = `late-${lane}-${n}`;
        attempted.push(id);
        let status: number;
        try {
          const res = await api(first, 'POST', '/api/v1/executions', {
            body: { workflow: 'gates', input: [side, id, 1], id },
          });
          status = res.status;
          if (status !== 201) refusals.push(res);
          if (status !== 201 && !stopping)
            throw new Error(`start ${id} answered ${status} before SIGTERM: ${res.text}`);
        } catch (err) {
          if (!stopping) throw err;
          return; // the daemon closed its port
        }
        if (status !== 201) return;
        acknowledged.push(id);
        if (acknowledged.length === 5) {
          stopping = true;
          first.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(stream));
    expect(stopping).toBe(true);
    // A start refused while the daemon stops is a 503 with the usual error body.
    for (const res of refusals) {
      expect.soft(res.status, res.text).toBe(503);
      expect.soft(typeof (res.body as ErrorBody).error?.code, res.text).toBe('string');
    }
    expect(await exitWithin(first, 30_000, 'SIGTERM with clients on keep-alive connections')).toEqual({
      code: 0,
      signal: null,
    });

    const second = await startDaemon({ dataDir });
    for (const id of [...running, ...attempted]) release(side, `${id}-1`);
    for (const id of [...running, ...acknowledged]) {
      const view = await finalView(second, id);
      expect(view, id).toMatchObject({ id, status: 'SUCCESS', result: [`${id}-1`] });
    }
    await second.stop('SIGTERM');
  });
});

describe('one daemon per data folder', () => {
  it('a second daemon on the same folder exits non-zero naming STORE_LOCKED and the folder; the first keeps serving', async () => {
    const first = await startDaemon();
    const second = spawnCli(['daemon', '--port', '0', '--data', first.dataDir, '--config', TEST_CONFIG]);
    const { code, output } = await refusal(second);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain('STORE_LOCKED');
    expect(output).toContain(first.dataDir);

    expect((await api(first, 'GET', '/health', { token: null })).status).toBe(200);
    const started = await api<{ id: string }>(first, 'POST', '/api/v1/executions', {
      body: { workflow: 'echo', input: ['still here'] },
    });
    expect(started.status, started.text).toBe(201);
    expect(await finalView(first, started.body.id)).toMatchObject({ status: 'SUCCESS', result: 'still here' });
    await first.stop('SIGTERM');
  });
});

describe('token', () => {
  it('WEFT_TOKEN is the token when set', async () => {
    const daemon = await startDaemon({ env: { WEFT_TOKEN: 'a-token-from-the-environment' } });
    expect(daemon.stdout()).toContain('token: from WEFT_TOKEN');
    expect((await api(daemon, 'GET', '/api/v1/executions')).status).toBe(200);
    expect((await api(daemon, 'GET', '/api/v1/executions', { token: 'something-else' })).status).toBe(401);
    await daemon.stop('SIGTERM');
  });

  it('otherwise <data>/token is created with mode 0600 and reused on restart', async () => {
    expect(process.env.WEFT_TOKEN, 'this test needs WEFT_TOKEN unset').toBeUndefined();
    const dataDir = daemonTempDir();
    const first = await startDaemon({ dataDir });
    const file = path.join(dataDir, 'token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.token.length).toBeGreaterThanOrEqual(16);
    expect(first.stdout()).toContain(`token file: ${file}`);
    expect(first.stdout()).toMatch(new RegExp(`^try: weft list .*--data ${dataDir}$`, 'm'));
    expect((await api(first, 'GET', '/api/v1/executions')).status).toBe(200);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const second = await startDaemon({ dataDir });
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(first.token);
    expect((await api(second, 'GET', '/api/v1/executions', { token: first.token })).status).toBe(200);
    expect(await second.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe('bad config', () => {
  it.each([
    ['throws.config.ts', "export {};\nthrow new Error('this config explodes');\n"],
    ['no-workflows.config.ts', 'export default { threads: 1 };\n'],
    ['empty-list.config.ts', 'export const workflows = [];\n'],
  ])('%s: the daemon exits 2 with CONFIG_INVALID', async (name, source) => {
    const dir = daemonTempDir();
    const config = path.join(dir, name);
    fs.writeFileSync(config, source);
    const child = spawnCli(['daemon', '--port', '0', '--data', path.join(dir, 'data'), '--config', config]);
    const { code, output } = await refusal(child);
    expect(code, output).toBe(2);
    expect(output).toContain('CONFIG_INVALID');
  });
});
