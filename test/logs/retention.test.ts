/**
 * Retention on a ManualClock: executions that ended longer ago than `maxAgeMs` are pruned
 * whole (record, history, signals, log lines and their index entries), `batchSize` per
 * journal batch; unfinished and recent ones, and children of unfinished parents, stay; the
 * status counts drop; a pass cut short by close is finished after a reopen; executions
 * stored before the `ended` index existed are found by a backfill.
 */
import { pino, type Logger } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { putExecution, putHistory, type ExecutionRecord } from '../../actors/execution/history.js';
import { ManualClock, Runtime, workflow, type RuntimeOptions } from '../../src/index.js';
import { encodeValue } from '../../src/store/codec.js';
import { Journal } from '../../src/store/journal.js';
import { openLevelStore } from '../../src/store/level-store.js';
import { RECORD_KINDS } from '../../src/store/store.js';
import { cleanup, rejection, tempDir } from '../fixtures/harness.js';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Longer than any test moves the clock: only the first pass (a minute after open) and runRetention() run. */
const NEVER = 3650 * DAY;

const signalled = workflow('signalled', async (ctx, tag: string) => {
  ctx.log.info({ tag }, 'waiting');
  const payload = await ctx.waitSignal<string>('go');
  ctx.log.info({ tag, payload }, 'got it');
  return payload;
});
const quick = workflow('quick', () => Promise.resolve('done'));
const child = workflow('child', (ctx, tag: string) => {
  ctx.log.info('child ran');
  return Promise.resolve(tag);
});
const parent = workflow('parent', async (ctx) => {
  const result = await ctx.child(child, 'c');
  await ctx.waitSignal('go');
  return result;
});

const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.allSettled(runtimes.splice(0).map((rt) => rt.close()));
  await cleanup();
});

async function open(
  dataDir: string,
  clock: ManualClock,
  options: Partial<RuntimeOptions> & { logger?: Logger } = {},
): Promise<Runtime> {
  const rt = await Runtime.open({
    dataDir,
    clock,
    workflows: [signalled, quick, child, parent],
    threads: 1,
    logger: pino({ level: 'silent' }),
    retention: { maxAgeMs: DAY, intervalMs: NEVER, batchSize: 2 },
    ...options,
  });
  runtimes.push(rt);
  return rt;
}

/** Fires the first pass (a minute after open) and waits for it, so later passes are the test's own. */
async function firstPassDone(rt: Runtime, clock: ManualClock): Promise<void> {
  clock.advance(MINUTE);
  await rt.runRetention();
}

async function runSignalled(rt: Runtime, tag: string): Promise<string> {
  const handle = await rt.start(signalled, tag);
  await handle.signal('go', `go ${tag}`);
  expect(await handle.result()).toBe(`go ${tag}`);
  return handle.id;
}

/** Every stored key that belongs to one of `ids`, by kind, read from the closed folder. */
async function keysOf(dataDir: string, ids: readonly string[]): Promise<string[]> {
  const store = await openLevelStore(dataDir);
  try {
    const found: string[] = [];
    for (const kind of RECORD_KINDS)
      for (const [key] of await store.range(kind))
        if (key.split('\u0000').some((part) => ids.includes(part))) found.push(`${kind}:${key}`);
    return found;
  } finally {
    await store.close();
  }
}

it('prunes executions that ended past the age in bounded batches, and leaves unfinished and recent ones', async () => {
  const dataDir = tempDir();
  const clock = new ManualClock(T0);
  const rt = await open(dataDir, clock);
  await firstPassDone(rt, clock);
  const old: string[] = [];
  for (let i = 0; i < 5; i++) old.push(await runSignalled(rt, `old${i}`));
  const waiting = await rt.start(signalled, 'waiting');
  await vi.waitFor(async () => expect(await waiting.status()).toBe('WAITING_SIGNAL'));

  clock.advance(DAY - MINUTE);
  const recent = await runSignalled(rt, 'recent'); // ended a day after the old ones
  clock.advance(HOUR);
  expect(rt.metrics().executions).toMatchObject({ SUCCESS: 6, WAITING_SIGNAL: 1 });
  expect((await rt.logs.query({ limit: 1000 })).items).toHaveLength(13);

  const batches = rt.journalStats.batches;
  expect(await rt.runRetention()).toEqual({ pruned: 5, batches: 3 });
  expect(rt.journalStats.batches - batches).toBe(3);
  expect(rt.metrics().executions).toMatchObject({ SUCCESS: 1, WAITING_SIGNAL: 1 });
  for (const id of old) expect((await rejection(rt.get(id))).code).toBe('EXECUTION_NOT_FOUND');
  expect((await rt.list()).items.map((e) => e.id)).toEqual([waiting.id, recent]);
  const lines = (await rt.logs.query({ limit: 1000 })).items;
  expect(lines.map((l) => l.executionId)).toEqual([waiting.id, recent, recent]);
  expect(await (await rt.get(recent)).history()).not.toEqual([]);

  // Nothing more is old enough; once the recent one is, it goes too, and the waiting one stays.
  expect(await rt.runRetention()).toEqual({ pruned: 0, batches: 0 });
  clock.advance(DAY);
  expect(await rt.runRetention()).toEqual({ pruned: 1, batches: 1 });
  expect(rt.metrics().executions).toMatchObject({ SUCCESS: 0, WAITING_SIGNAL: 1 });
  await waiting.signal('go', 'late');
  expect(await waiting.result()).toBe('late');
  await rt.close();

  // Record, history, signals, log lines, their index and the ended entry: nothing of them is left.
  expect(await keysOf(dataDir, [...old, recent])).toEqual([]);
  const kept = await keysOf(dataDir, [waiting.id]);
  for (const kind of ['executions', 'history', 'signals', 'logs', 'log-times', 'ended'])
    expect(kept.some((k) => k.startsWith(kind + ':'))).toBe(true);
});

it('keeps a child while its parent is unfinished: the parent reads its record', async () => {
  const clock = new ManualClock(T0);
  const rt = await open(tempDir(), clock);
  await firstPassDone(rt, clock);
  const handle = await rt.start(parent);
  await vi.waitFor(async () => expect(await handle.status()).toBe('WAITING_SIGNAL'));
  const [childInfo] = (await rt.list({ workflow: 'child' })).items;
  expect(childInfo?.status).toBe('SUCCESS');

  clock.advance(2 * DAY);
  expect(await rt.runRetention()).toEqual({ pruned: 0, batches: 0 });
  await handle.signal('go');
  expect(await handle.result()).toBe('c');
  expect(await rt.runRetention()).toEqual({ pruned: 1, batches: 1 }); // the child; the parent ended just now
  expect((await rt.list()).items.map((e) => e.id)).toEqual([handle.id]);
  clock.advance(2 * DAY);
  expect(await rt.runRetention()).toEqual({ pruned: 1, batches: 1 });
  expect((await rt.list()).items).toEqual([]);
});

it('prunes on its own every interval, and logs what it pruned', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as never) });
  const clock = new ManualClock(T0);
  const rt = await open(tempDir(), clock, {
    logger,
    retention: { maxAgeMs: DAY, intervalMs: HOUR, batchSize: 2 },
  });
  for (let i = 0; i < 3; i++) await (await rt.start(quick)).result();
  clock.advance(DAY);
  // Each pass schedules the next once it is over; move an hour at a time until one prunes.
  await vi.waitFor(
    () => {
      clock.advance(HOUR);
      expect(rt.metrics().executions.SUCCESS).toBe(0);
    },
    { timeout: 20_000, interval: 5 },
  );
  expect(lines).toContainEqual(
    expect.objectContaining({ msg: 'retention pruned finished executions', pruned: 3, batches: 2 }),
  );
});

it('a pass cut short by close is finished after a reopen', async () => {
  const dataDir = tempDir();
  const clock = new ManualClock(T0);
  const opened: { rt?: Runtime } = {};
  let closing: Promise<void> | undefined;
  // Closes the runtime as soon as the first batch is committed.
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        if ((JSON.parse(line) as { msg?: string }).msg === 'retention batch') closing ??= opened.rt?.close();
      },
    },
  );
  const rt = (opened.rt = await open(dataDir, clock, { logger }));
  await firstPassDone(rt, clock);
  for (let i = 0; i < 6; i++) await (await rt.start(quick)).result();
  clock.advance(2 * DAY);
  expect(await rt.runRetention()).toEqual({ pruned: 2, batches: 1 });
  await closing;
  expect(rt.status).toBe('closed');

  const reopened = await open(dataDir, clock);
  expect(reopened.metrics().executions.SUCCESS).toBe(4);
  expect(await reopened.runRetention()).toEqual({ pruned: 4, batches: 2 });
  expect(reopened.metrics().executions.SUCCESS).toBe(0);
  expect((await reopened.list()).items).toEqual([]);
});

it('finds executions stored before the ended index by a backfill, and never prunes unfinished ones', async () => {
  const dataDir = tempDir();
  const old = (id: string, status: ExecutionRecord['status'], endedAt?: number): ExecutionRecord => ({
    id,
    workflow: 'gone',
    version: '1',
    status,
    input: encodeValue({ args: [] }),
    createdAt: T0 - 10 * DAY,
    startedAt: T0 - 10 * DAY,
    ...(endedAt !== undefined && { endedAt }),
  });
  const records = [
    old('old-1', 'SUCCESS', T0 - 5 * DAY),
    old('old-2', 'FAILED', T0 - 4 * DAY),
    old('old-3', 'CANCELLED', T0 - 3 * DAY),
    old('still-running', 'RUNNING'),
  ];
  const journal = await Journal.open(await openLevelStore(dataDir), 'fsync');
  journal.write(
    records.flatMap((record) => [
      putExecution(record),
      putHistory(record.id, 1, { type: 'value.recorded', step: 1, kind: 'now', value: '1', at: T0 - 10 * DAY }),
      // A line as stored before the log-times index.
      {
        type: 'put' as const,
        kind: 'logs' as const,
        key: `${record.id}\u0000${String(T0 - 10 * DAY).padStart(15, '0')}-000000000001`,
        value: JSON.stringify({ level: 30, time: T0 - 10 * DAY, msg: 'old', executionId: record.id, workflow: 'gone' }),
      },
    ]),
  );
  await journal.close();

  const clock = new ManualClock(T0);
  const rt = await open(dataDir, clock);
  expect(rt.metrics().executions).toMatchObject({ SUCCESS: 1, FAILED: 1, CANCELLED: 1, RUNNING: 1 });
  expect(await rt.runRetention()).toEqual({ pruned: 3, batches: 2 });
  expect(rt.metrics().executions).toMatchObject({ SUCCESS: 0, FAILED: 0, CANCELLED: 0, RUNNING: 1 });
  expect((await rt.list()).items.map((e) => e.id)).toEqual(['still-running']);
  await rt.close();

  expect(await keysOf(dataDir, ['old-1', 'old-2', 'old-3'])).toEqual([]);
  const store = await openLevelStore(dataDir);
  try {
    expect(await store.get('meta', 'retention.endedBackfilled')).toBeDefined();
    expect(await store.range('logs')).toHaveLength(1);
  } finally {
    await store.close();
  }
});

it('waits out an interval longer than a timer takes (2^31 ms) in steps, running no pass early', async () => {
  const MAX_TIMER = 2 ** 31 - 1;
  /** A ManualClock whose timers overflow as Node's do: a longer delay fires after 1 ms. */
  class NodeLikeClock extends ManualClock {
    readonly delays: number[] = [];
    override setTimeout(callback: () => void, ms: number) {
      this.delays.push(ms);
      return super.setTimeout(callback, ms > MAX_TIMER ? 1 : ms);
    }
  }
  const clock = new NodeLikeClock(T0);
  const rt = await open(tempDir(), clock, { retention: { maxAgeMs: DAY, intervalMs: 30 * DAY, batchSize: 2 } });
  await firstPassDone(rt, clock); // the next pass is due 30 days after this one
  expect(Math.max(...clock.delays)).toBeLessThanOrEqual(MAX_TIMER);
  for (let i = 0; i < 3; i++) await (await rt.start(quick)).result();
  // Past the longest timer, short of 30 days: a pass here would prune these three, so this one would find none.
  clock.advance(25 * DAY);
  expect(await rt.runRetention()).toEqual({ pruned: 3, batches: 2 });
  for (let i = 0; i < 3; i++) await (await rt.start(quick)).result();
  clock.advance(5 * DAY);
  await vi.waitFor(() => expect(rt.metrics().executions.SUCCESS).toBe(0), { timeout: 20_000, interval: 5 });
  expect(Math.max(...clock.delays)).toBeLessThanOrEqual(MAX_TIMER);
});
