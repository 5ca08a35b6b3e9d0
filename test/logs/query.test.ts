/**
 * rt.logs: lines of every execution queried by workflow, execution, level and time range
 * (times from a ManualClock), a page at a time; and followed live across executions.
 */
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { ManualClock, Runtime, workflow, type LogLine } from '../../src/index.js';
import { rejection } from '../fixtures/harness.js';

const T0 = Date.UTC(2026, 0, 1);

/** Logs `n` info lines, a debug line and a warning, all at the clock's time when it runs. */
const alpha = workflow('alpha', async (ctx, tag: string, n?: number) => {
  for (let i = 0; i < (n ?? 1); i++) ctx.log.info({ tag, i }, `${tag} ${i}`);
  ctx.log.debug({ tag }, `${tag} detail`);
  ctx.log.warn({ tag }, `${tag} warning`);
  return Promise.resolve(tag);
});
const beta = workflow('beta', async (ctx, tag: string) => {
  ctx.log.info({ tag }, `${tag} 0`);
  ctx.log.error({ tag }, `${tag} failed, or so it says`);
  return Promise.resolve(tag);
});

const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.allSettled(runtimes.splice(0).map((rt) => rt.close()));
});

async function open(clock = new ManualClock(T0)): Promise<{ rt: Runtime; clock: ManualClock }> {
  const rt = await Runtime.open({
    inMemory: true,
    clock,
    workflows: [alpha, beta],
    threads: 1,
    logger: pino({ level: 'silent' }),
    retention: false,
  });
  runtimes.push(rt);
  return { rt, clock };
}

/** Runs an execution to its end; its lines carry the clock's time now. */
async function run(rt: Runtime, name: 'alpha' | 'beta', ...args: unknown[]): Promise<string> {
  const handle = await rt.start(name, ...args);
  await handle.result();
  return handle.id;
}

const msgs = (lines: LogLine[]): Array<string | undefined> => lines.map((l) => l.msg);

it('queries lines of every execution by workflow, execution, level and time range, oldest first', async () => {
  const { rt, clock } = await open();
  const a1 = await run(rt, 'alpha', 'a1');
  clock.advance(1000);
  const b1 = await run(rt, 'beta', 'b1');
  clock.advance(1000);
  const a2 = await run(rt, 'alpha', 'a2');

  const all = await rt.logs.query();
  expect(msgs(all.items)).toEqual([
    ...['a1 0', 'a1 detail', 'a1 warning'],
    ...['b1 0', 'b1 failed, or so it says'],
    ...['a2 0', 'a2 detail', 'a2 warning'],
  ]);
  expect(all.cursor).toBeUndefined();
  expect(all.items.map((l) => l.time)).toEqual([T0, T0, T0, T0 + 1000, T0 + 1000, T0 + 2000, T0 + 2000, T0 + 2000]);
  expect(all.items[0]).toMatchObject({ executionId: a1, workflow: 'alpha', level: 30, tag: 'a1', i: 0 });

  expect(msgs((await rt.logs.query({ workflow: 'beta' })).items)).toEqual(['b1 0', 'b1 failed, or so it says']);
  expect(msgs((await rt.logs.query({ level: 'warn' })).items)).toEqual([
    'a1 warning',
    'b1 failed, or so it says',
    'a2 warning',
  ]);
  expect(msgs((await rt.logs.query({ workflow: 'alpha', level: 'info' })).items)).toEqual([
    'a1 0',
    'a1 warning',
    'a2 0',
    'a2 warning',
  ]);
  // since is inclusive, until exclusive; Dates or epoch ms.
  expect(msgs((await rt.logs.query({ since: T0 + 1000 })).items)).toEqual([
    'b1 0',
    'b1 failed, or so it says',
    'a2 0',
    'a2 detail',
    'a2 warning',
  ]);
  expect(msgs((await rt.logs.query({ since: new Date(T0 + 1), until: new Date(T0 + 2000) })).items)).toEqual([
    'b1 0',
    'b1 failed, or so it says',
  ]);
  expect((await rt.logs.query({ until: T0 })).items).toEqual([]);
  expect((await rt.logs.query({ since: T0 + 2001 })).items).toEqual([]);
  // One execution, with the same filters.
  expect(msgs((await rt.logs.query({ executionId: a2 })).items)).toEqual(['a2 0', 'a2 detail', 'a2 warning']);
  expect(msgs((await rt.logs.query({ executionId: a1, level: 'warn' })).items)).toEqual(['a1 warning']);
  expect((await rt.logs.query({ executionId: a1, since: T0 + 1 })).items).toEqual([]);
  expect(msgs((await rt.logs.query({ executionId: b1, since: T0 + 1000, until: T0 + 1001 })).items)).toHaveLength(2);
  expect((await rt.logs.query({ executionId: a1, workflow: 'beta' })).items).toEqual([]);
});

it('pages with a cursor, across executions and within one, missing and repeating nothing', async () => {
  const { rt, clock } = await open();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(await run(rt, 'alpha', `x${i}`, 4)); // 6 lines each
    if (i % 2 === 0) clock.advance(7);
  }
  const everything = (await rt.logs.query({ limit: 1000 })).items;
  expect(everything).toHaveLength(30);

  const collect = async (query: Parameters<Runtime['logs']['query']>[0]): Promise<LogLine[][]> => {
    const pages: LogLine[][] = [];
    let cursor: string | undefined;
    do {
      const page = await rt.logs.query({ ...query, ...(cursor !== undefined && { cursor }) });
      pages.push(page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return pages;
  };
  const pages = await collect({ limit: 7 });
  expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
  expect(pages.flat()).toEqual(everything);

  const warnings = await collect({ level: 'warn', limit: 2 });
  expect(warnings.flat().map((l) => l.tag)).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);

  const one = await collect({ executionId: ids[3], limit: 4 });
  expect(one.map((p) => p.length)).toEqual([4, 2]);
  expect(one.flat()).toEqual(everything.filter((l) => l.executionId === ids[3]));
  // A cursor before `since` starts at `since`; a cursor of one execution is refused for another.
  const cursorOf3 = (await rt.logs.query({ executionId: ids[3], limit: 1 })).cursor as string;
  expect((await rejection(rt.logs.query({ executionId: ids[4], cursor: cursorOf3 }))).code).toBe('INVALID_ARGUMENT');
  const late = await rt.logs.query({ since: everything[29]!.time, cursor: cursorOf3 });
  expect(late.items.every((l) => l.time >= everything[29]!.time)).toBe(true);
});

it('refuses bad queries with the argument named', async () => {
  const { rt } = await open();
  const code = async (query: object): Promise<string> => (await rejection(rt.logs.query(query))).code;
  expect(await code({ limit: 0 })).toBe('INVALID_ARGUMENT');
  expect(await code({ limit: 1001 })).toBe('INVALID_ARGUMENT');
  expect(await code({ limit: 1.5 })).toBe('INVALID_ARGUMENT');
  expect(await code({ level: 'loud' })).toBe('INVALID_ARGUMENT');
  expect(await code({ level: 'constructor' })).toBe('INVALID_ARGUMENT');
  expect(await code({ since: Number.NaN })).toBe('INVALID_ARGUMENT');
  expect(await code({ until: new Date('nope') })).toBe('INVALID_ARGUMENT');
  expect(await code({ cursor: 'not-a-cursor' })).toBe('INVALID_ARGUMENT');
  expect(await code({ workflow: 'no spaces' })).toBe('INVALID_NAME');
  expect(await code({ executionId: '' })).toBe('INVALID_NAME');
  expect(() => rt.logs.follow({ level: 'loud' as 'info' })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
  );
});

it('follows new lines across executions, filtered, until aborted or the runtime closes', async () => {
  const { rt } = await open();
  await run(rt, 'alpha', 'before');
  const abort = new AbortController();
  const followed = rt.logs.follow({ level: 'info', signal: abort.signal });
  const alphaOnly = rt.logs.follow({ workflow: 'alpha', level: 'warn' });
  expect(rt.logs.followers).toBe(2);

  const a = await run(rt, 'alpha', 'a');
  const b = await run(rt, 'beta', 'b');
  const got: LogLine[] = [];
  for await (const line of followed) {
    got.push(line);
    if (got.length === 4) abort.abort();
  }
  // Lines written before the follow are not in it; a debug line is below its level.
  expect(got.map((l) => [l.executionId, l.msg])).toEqual([
    [a, 'a 0'],
    [a, 'a warning'],
    [b, 'b 0'],
    [b, 'b failed, or so it says'],
  ]);
  expect(rt.logs.followers).toBe(1);

  const first = await alphaOnly.next();
  expect(first.value).toMatchObject({ executionId: a, msg: 'a warning' });
  const pending = alphaOnly.next();
  await rt.close();
  expect(await pending).toEqual({ done: true, value: undefined });
  expect(rt.logs.followers).toBe(0);
});

it('a follow that stops reading is let go by return()', async () => {
  const { rt } = await open();
  const lines = rt.logs.follow();
  expect(rt.logs.followers).toBe(1);
  await run(rt, 'beta', 'b');
  for await (const line of lines) {
    expect(line.msg).toBe('b 0');
    break;
  }
  expect(rt.logs.followers).toBe(0);
  // An already aborted signal follows nothing.
  const aborted = rt.logs.follow({ signal: AbortSignal.abort() });
  expect(await aborted.next()).toEqual({ done: true, value: undefined });
  expect(rt.logs.followers).toBe(0);
});
