/**
 * rt.settings: every operation (create, get by name and id, update, delete, list with paging),
 * the bookkeeping fields, superjson value round-trips and fresh copies, every error code with
 * "nothing written", persistence across close and reopen, RUNTIME_CLOSED and STORE_LOCKED.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { codeOf, failure } from './support/weft-error.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, Runtime, type Durability } from '../src/index.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
const runtimes: Runtime[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-'));
  dirs.push(dir);
  return dir;
}

async function open(
  options: { dataDir?: string; clock?: ManualClock; durability?: Durability } = {},
): Promise<{ rt: Runtime; clock: ManualClock; dir: string }> {
  const dir = options.dataDir ?? tempDir();
  const clock = options.clock ?? new ManualClock(T0);
  const rt = await Runtime.open({
    dataDir: dir,
    clock,
    logger,
    durability: options.durability ?? 'fsync',
    retention: false,
  });
  runtimes.push(rt);
  return { rt, clock, dir };
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('create and get', () => {
  it('creates a setting at version 1 and reads it back by name and by id', async () => {
    const { rt } = await open();
    const created = await rt.settings.create('app/greeting', { text: 'hello' });
    expect(created).toEqual({
      id: expect.any(String) as string,
      name: 'app/greeting',
      value: { text: 'hello' },
      version: 1,
      createdAt: new Date(T0),
      updatedAt: new Date(T0),
      updatedBy: 'api',
    });
    expect(await rt.settings.get('app/greeting')).toEqual(created);
    expect(await rt.settings.get(created.id, { by: 'id' })).toEqual(created);
  });

  it('records who created it', async () => {
    const { rt } = await open();
    const created = await rt.settings.create('x', 1, { updatedBy: 'api:alice' });
    expect(created.updatedBy).toBe('api:alice');
    expect((await rt.settings.get('x'))?.updatedBy).toBe('api:alice');
  });

  it('answers undefined for a missing name or id', async () => {
    const { rt } = await open();
    expect(await rt.settings.get('missing')).toBeUndefined();
    expect(await rt.settings.get('no-such-id', { by: 'id' })).toBeUndefined();
  });

  it('a read sent right after an unawaited write sees that write', async () => {
    const { rt } = await open();
    const creating = rt.settings.create('early', 'v');
    const read = await rt.settings.get('early');
    expect(read?.value).toBe('v');
    expect(await creating).toEqual(read);
  });

  it('accepts every character of the documented name set, up to 256 characters', async () => {
    const { rt } = await open();
    for (const name of ['a', '0._-:/@Zz', 'a'.repeat(256), 'svc:db/primary@eu-west-1.conn_max']) {
      await rt.settings.create(name, name.length);
      expect((await rt.settings.get(name))?.value).toBe(name.length);
    }
  });
});

describe('update', () => {
  it('raises the version by exactly 1 per write and keeps id and createdAt', async () => {
    const { rt, clock } = await open();
    const created = await rt.settings.create('counter', 0);
    for (let i = 1; i <= 5; i++) {
      clock.advance(1000);
      const updated = await rt.settings.update('counter', i, { updatedBy: `writer-${i}` });
      expect(updated).toEqual({
        ...created,
        value: i,
        version: i + 1,
        updatedAt: new Date(T0 + i * 1000),
        updatedBy: `writer-${i}`,
      });
    }
    expect((await rt.settings.get('counter'))?.version).toBe(6);
  });

  it('updates by id, and defaults updatedBy to api', async () => {
    const { rt } = await open();
    const created = await rt.settings.create('by-id', 'a', { updatedBy: 'someone' });
    const updated = await rt.settings.update(created.id, 'b', { by: 'id' });
    expect(updated).toMatchObject({ id: created.id, name: 'by-id', value: 'b', version: 2, updatedBy: 'api' });
  });

  it('compare-and-set succeeds at the expected version', async () => {
    const { rt } = await open();
    await rt.settings.create('cas', 1);
    expect((await rt.settings.update('cas', 2, { expectedVersion: 1 })).version).toBe(2);
    expect((await rt.settings.update('cas', 3, { expectedVersion: 2 })).version).toBe(3);
  });

  it('VERSION_CONFLICT names the current version and writes nothing', async () => {
    const { rt } = await open();
    await rt.settings.create('cas', 'v1');
    await rt.settings.update('cas', 'v2');
    const ops = rt.journalStats.ops;
    const err = await failure(() => rt.settings.update('cas', 'stale', { expectedVersion: 1 }));
    expect(err.code).toBe('VERSION_CONFLICT');
    expect(err.context).toMatchObject({ name: 'cas', expectedVersion: 1, currentVersion: 2 });
    expect(await rt.settings.get('cas')).toMatchObject({ value: 'v2', version: 2 });
    expect(rt.journalStats.ops).toBe(ops);
  });

  it('SETTING_NOT_FOUND for a missing name or id', async () => {
    const { rt } = await open();
    const byName = await failure(() => rt.settings.update('missing', 1));
    expect(byName.code).toBe('SETTING_NOT_FOUND');
    expect(byName.context).toMatchObject({ key: 'missing', by: 'name' });
    const byId = await failure(() => rt.settings.update('no-such-id', 1, { by: 'id' }));
    expect(byId.code).toBe('SETTING_NOT_FOUND');
    expect(byId.context).toMatchObject({ key: 'no-such-id', by: 'id' });
    expect(await rt.settings.get('missing')).toBeUndefined();
  });
});

describe('update fenced by ifLockToken', () => {
  it('STALE_TOKEN for a token that never held the lock named after the setting', async () => {
    const { rt } = await open();
    await rt.settings.create('cfg', 'v1');
    const other = await rt.locks.acquire('other', { holder: 'h' });
    let ops = rt.journalStats.ops;
    // The lock "cfg" is free: the token of another lock does not hold it.
    const free = await failure(() => rt.settings.update('cfg', 'x', { ifLockToken: other.token }));
    expect(free.code).toBe('STALE_TOKEN');
    expect(free.context).toMatchObject({ name: 'cfg', token: other.token, currentToken: undefined });
    expect(rt.journalStats.ops).toBe(ops);
    // "cfg" is held now, but by a different token.
    const held = await rt.locks.acquire('cfg', { holder: 'h' });
    ops = rt.journalStats.ops;
    const wrong = await failure(() => rt.settings.update('cfg', 'x', { ifLockToken: held.token + 1 }));
    expect(wrong.code).toBe('STALE_TOKEN');
    expect(wrong.context).toMatchObject({ currentToken: held.token });
    expect(rt.journalStats.ops).toBe(ops);
    expect(await rt.settings.get('cfg')).toMatchObject({ value: 'v1', version: 1 });
  });

  it('succeeds while the token holds the lock, and STALE_TOKEN once it is released', async () => {
    const { rt } = await open();
    const created = await rt.settings.create('cfg', 'v1');
    const lock = await rt.locks.acquire('cfg', { holder: 'writer' });
    expect(await rt.settings.update('cfg', 'v2', { ifLockToken: lock.token })).toMatchObject({ version: 2 });
    expect(await rt.settings.update(created.id, 'v3', { by: 'id', ifLockToken: lock.token })).toMatchObject({
      version: 3,
    });
    await rt.locks.release('cfg', lock.token);
    const err = await failure(() => rt.settings.update('cfg', 'late', { ifLockToken: lock.token }));
    expect(err.code).toBe('STALE_TOKEN');
    // A newer holder does not revive the old token.
    const next = await rt.locks.acquire('cfg', { holder: 'writer' });
    expect(await codeOf(() => rt.settings.update('cfg', 'late', { ifLockToken: lock.token }))).toBe('STALE_TOKEN');
    expect(await rt.settings.update('cfg', 'v4', { ifLockToken: next.token })).toMatchObject({ version: 4 });
    expect((await rt.settings.get('cfg'))?.value).toBe('v4');
  });
});

describe('delete', () => {
  it('deletes by name or id, answers false for a missing one, and a new create starts over', async () => {
    const { rt } = await open();
    const a = await rt.settings.create('a', 1);
    const b = await rt.settings.create('b', 2);
    expect(await rt.settings.delete('a')).toBe(true);
    expect(await rt.settings.get('a')).toBeUndefined();
    expect(await rt.settings.get(a.id, { by: 'id' })).toBeUndefined();
    expect(await rt.settings.delete(b.id, { by: 'id' })).toBe(true);
    expect(await rt.settings.get('b')).toBeUndefined();
    expect(await rt.settings.delete('a')).toBe(false);
    expect(await rt.settings.delete(a.id, { by: 'id' })).toBe(false);
    const again = await rt.settings.create('a', 'new');
    expect(again.id).not.toBe(a.id);
    expect(again.version).toBe(1);
    expect((await rt.settings.list()).items.map((s) => s.name)).toEqual(['a']);
  });
});

describe('list', () => {
  it('lists in name order with a prefix and a limit', async () => {
    const { rt } = await open();
    for (const name of ['b/2', 'a/1', 'b/1', 'c', 'b/3', 'bb']) await rt.settings.create(name, name);
    expect((await rt.settings.list()).items.map((s) => s.name)).toEqual(['a/1', 'b/1', 'b/2', 'b/3', 'bb', 'c']);
    const page = await rt.settings.list({ prefix: 'b/' });
    expect(page.items.map((s) => [s.name, s.value])).toEqual([
      ['b/1', 'b/1'],
      ['b/2', 'b/2'],
      ['b/3', 'b/3'],
    ]);
    expect(page.cursor).toBeUndefined();
    expect((await rt.settings.list({ prefix: 'b', limit: 2 })).items.map((s) => s.name)).toEqual(['b/1', 'b/2']);
    expect(await rt.settings.list({ prefix: 'zzz' })).toEqual({ items: [] });
    const full = (await rt.settings.list({ prefix: 'c' })).items[0];
    expect(full).toEqual(await rt.settings.get('c'));
  });

  it('pages with the cursor across several pages, without gaps or repeats', async () => {
    const { rt } = await open();
    const names = Array.from({ length: 23 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => rt.settings.create(n, n)));
    await rt.settings.create('other', 0);
    for (const limit of [1, 5, 23, 100]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await rt.settings.list({ prefix: 'item-', limit, ...(cursor !== undefined && { cursor }) });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((s) => s.name));
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined);
      expect(seen).toEqual(names);
      expect(pages).toBe(Math.max(1, Math.ceil(names.length / limit)));
    }
  });

  it('sees a write sent just before it', async () => {
    const { rt } = await open();
    const creating = rt.settings.create('fresh', 1);
    expect((await rt.settings.list()).items.map((s) => s.name)).toEqual(['fresh']);
    await creating;
  });
});

describe('values', () => {
  const nested = {
    when: new Date(T0 + 1),
    tags: new Set(['a', 'b']),
    index: new Map<unknown, unknown>([
      ['k', [1n, undefined, NaN]],
      [{ composite: true }, new Set([new Date(0)])],
    ]),
    list: [{ re: /x+/g }, -0, Infinity, -Infinity, null, 'ü€😀'],
    deep: { a: { b: { c: { d: [new Map([[1, 2]])] } } } },
  };
  const cases: Array<[string, unknown]> = [
    ['a plain JSON object', { s: 'x', n: 1.5, b: true, z: null, arr: [1, [2, [3]]] }],
    ['a Date', new Date(T0 + 123)],
    [
      'a Map with object keys',
      new Map<unknown, unknown>([
        [{ id: 1 }, 'one'],
        ['two', 2],
      ]),
    ],
    ['a Set', new Set([1, 'two', 3n])],
    ['a BigInt', 2n ** 80n],
    ['undefined', undefined],
    ['NaN', NaN],
    ['-0', -0],
    ['Infinity', Infinity],
    ['a RegExp with flags', /^we(ft)?$/giu],
    ['nested superjson kinds', nested],
    ['an object with an undefined member', { a: undefined, b: 1 }],
  ];

  it.each(cases)('round-trips %s through create, get, update and list', async (_label, value) => {
    const { rt } = await open();
    const created = await rt.settings.create('v', value);
    expect(created.value).toStrictEqual(value);
    expect((await rt.settings.get('v'))?.value).toStrictEqual(value);
    expect((await rt.settings.list()).items[0]?.value).toStrictEqual(value);
    await rt.settings.update('v', 'other');
    expect((await rt.settings.update('v', value)).value).toStrictEqual(value);
    expect((await rt.settings.get('v'))?.value).toStrictEqual(value);
  });

  it('keeps the sign of -0 and the identity of NaN', async () => {
    const { rt } = await open();
    await rt.settings.create('neg-zero', -0);
    await rt.settings.create('nan', { x: NaN });
    expect(Object.is((await rt.settings.get('neg-zero'))?.value, -0)).toBe(true);
    expect(Number.isNaN((await rt.settings.get<{ x: number }>('nan'))?.value.x)).toBe(true);
  });

  it('hands out fresh copies: mutating a value read or written changes nothing stored', async () => {
    const { rt } = await open();
    const input = { list: [1, 2], when: new Date(T0), tags: new Set(['a']) };
    const created = await rt.settings.create('obj', input);
    input.list.push(99);
    input.tags.add('input');
    created.value.list.push(3);
    created.value.when.setTime(0);
    const read = await rt.settings.get<typeof input>('obj');
    read!.value.list.push(4);
    read!.value.tags.add('read');
    const listed = (await rt.settings.list<typeof input>()).items[0]!;
    listed.value.list.length = 0;
    const updated = await rt.settings.update('obj', read!.value);
    updated.value.list.push(5);
    const again = await rt.settings.get<typeof input>('obj');
    expect(again?.value).toStrictEqual({ list: [1, 2, 4], when: new Date(T0), tags: new Set(['a', 'read']) });
    expect(again?.value).not.toBe(read?.value);
  });
});

describe('invalid names', () => {
  const bad: Array<[string, unknown]> = [
    ['empty', ''],
    ['257 characters', 'a'.repeat(257)],
    ['a space', 'a b'],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-x'],
    ['a percent sign', 'a%20b'],
    ['a newline', 'a\nb'],
    ['a non-ASCII letter', 'café'],
    ['a NUL', 'a\u0000b'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { name: 'x' }],
  ];

  it.each(bad)('INVALID_NAME for %s, with nothing written', async (_label, name) => {
    const { rt } = await open();
    await rt.settings.create('ok', 1);
    const ops = rt.journalStats.ops;
    const n = name as string;
    const err = await failure(() => rt.settings.create(n, 1));
    expect(err.code).toBe('INVALID_NAME');
    expect(err.context).toMatchObject({ what: 'setting name' });
    expect(await codeOf(() => rt.settings.get(n))).toBe('INVALID_NAME');
    expect(await codeOf(() => rt.settings.update(n, 2))).toBe('INVALID_NAME');
    expect(await codeOf(() => rt.settings.delete(n))).toBe('INVALID_NAME');
    expect(rt.journalStats.ops).toBe(ops);
    expect((await rt.settings.list()).items.map((s) => s.name)).toEqual(['ok']);
  });

  it('INVALID_NAME (not a TypeError) for a BigInt name', async () => {
    const { rt } = await open();
    expect(await codeOf(() => rt.settings.create(10n as unknown as string, 1))).toBe('INVALID_NAME');
  });
});

describe('invalid values', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const bad: Array<[string, unknown]> = [
    ['a function', () => 1],
    ['a nested function', { a: [1, { f: function named() {} }] }],
    ['a function inside a Map', new Map([['f', () => 1]])],
    ['a symbol', Symbol('s')],
    ['a symbol inside a Set', new Set([Symbol('s')])],
    ['a symbol-keyed property', { [Symbol('k')]: 1 }],
    ['a constructor key', { constructor: 'x' }],
    ['a nested constructor key', { a: { b: { constructor: 1 } } }],
    ['a prototype key', { prototype: 1 }],
    ['an own __proto__ key', JSON.parse('{"__proto__": {"polluted": true}}')],
    ['a cycle', cyclic],
  ];

  it.each(bad)('INVALID_VALUE for %s on create, with nothing written', async (_label, value) => {
    const { rt } = await open();
    const ops = rt.journalStats.ops;
    const err = await failure(() => rt.settings.create('v', value));
    expect(err.code).toBe('INVALID_VALUE');
    expect(err.context.reason).toEqual(expect.any(String));
    expect(await rt.settings.get('v')).toBeUndefined();
    expect((await rt.settings.list()).items).toEqual([]);
    expect(rt.journalStats.ops).toBe(ops);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(bad)('INVALID_VALUE for %s on update, with nothing written', async (_label, value) => {
    const { rt } = await open();
    await rt.settings.create('v', 'kept');
    const ops = rt.journalStats.ops;
    expect(await codeOf(() => rt.settings.update('v', value))).toBe('INVALID_VALUE');
    expect(await rt.settings.get('v')).toMatchObject({ value: 'kept', version: 1 });
    expect(rt.journalStats.ops).toBe(ops);
  });
});

describe('other errors', () => {
  it('SETTING_EXISTS for a second create of the same name, which changes nothing', async () => {
    const { rt } = await open();
    const first = await rt.settings.create('dup', 'first');
    const ops = rt.journalStats.ops;
    const err = await failure(() => rt.settings.create('dup', 'second'));
    expect(err.code).toBe('SETTING_EXISTS');
    expect(err.context).toMatchObject({ name: 'dup' });
    expect(await rt.settings.get('dup')).toEqual(first);
    expect(rt.journalStats.ops).toBe(ops);
  });

  const badOptions: Array<[string, (rt: Runtime) => Promise<unknown>, string]> = [
    ['list limit 0', (rt) => rt.settings.list({ limit: 0 }), 'limit'],
    ['list limit 1001', (rt) => rt.settings.list({ limit: 1001 }), 'limit'],
    ['list limit 1.5', (rt) => rt.settings.list({ limit: 1.5 }), 'limit'],
    ['list limit "10"', (rt) => rt.settings.list({ limit: '10' as unknown as number }), 'limit'],
    ['list prefix 5', (rt) => rt.settings.list({ prefix: 5 as unknown as string }), 'prefix'],
    ['list cursor 5', (rt) => rt.settings.list({ cursor: 5 as unknown as string }), 'cursor'],
    ['by "key"', (rt) => rt.settings.get('s', { by: 'key' as 'name' }), 'by'],
    ['an empty id', (rt) => rt.settings.get('', { by: 'id' }), 'id'],
    ['a non-string id', (rt) => rt.settings.delete(7 as unknown as string, { by: 'id' }), 'id'],
    ['expectedVersion 0', (rt) => rt.settings.update('s', 1, { expectedVersion: 0 }), 'expectedVersion'],
    ['expectedVersion 1.5', (rt) => rt.settings.update('s', 1, { expectedVersion: 1.5 }), 'expectedVersion'],
    [
      'expectedVersion "1"',
      (rt) => rt.settings.update('s', 1, { expectedVersion: '1' as unknown as number }),
      'expectedVersion',
    ],
    ['ifLockToken 0', (rt) => rt.settings.update('s', 1, { ifLockToken: 0 }), 'ifLockToken'],
    ['ifLockToken -3', (rt) => rt.settings.update('s', 1, { ifLockToken: -3 }), 'ifLockToken'],
    ['updatedBy ""', (rt) => rt.settings.create('t', 1, { updatedBy: '' }), 'updatedBy'],
    ['updatedBy of 257 characters', (rt) => rt.settings.update('s', 1, { updatedBy: 'u'.repeat(257) }), 'updatedBy'],
    ['updatedBy 5', (rt) => rt.settings.create('t', 1, { updatedBy: 5 as unknown as string }), 'updatedBy'],
  ];

  it.each(badOptions)('INVALID_ARGUMENT for %s, with nothing written', async (_label, call, argument) => {
    const { rt } = await open();
    await rt.settings.create('s', 'kept');
    const ops = rt.journalStats.ops;
    const err = await failure(() => call(rt));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.context).toMatchObject({ argument });
    expect(await rt.settings.get('s')).toMatchObject({ value: 'kept', version: 1 });
    expect(await rt.settings.get('t')).toBeUndefined();
    expect(rt.journalStats.ops).toBe(ops);
  });
});

describe('lifecycle', () => {
  it.each<Durability>(['fsync', 'process'])('settings survive close and reopen (%s)', async (durability) => {
    const { rt, clock, dir } = await open({ durability });
    const a = await rt.settings.create('a', { when: new Date(T0), big: 12n, tags: new Set(['x']) });
    clock.advance(5000);
    await rt.settings.update('a', { when: new Date(T0), big: 13n, tags: new Set(['x', 'y']) }, { updatedBy: 'bob' });
    await rt.settings.create('b', 'gone');
    await rt.settings.delete('b');
    // Writes left unawaited until close: close commits them first.
    const pending = [rt.settings.create('c', [1, 2, 3]), rt.settings.update('a', 'ignored-then-fixed')];
    const fixed = rt.settings.update('a', { when: new Date(T0), big: 14n, tags: new Set(['z']) });
    await rt.close();
    await Promise.all([...pending, fixed]);

    const { rt: rt2 } = await open({ dataDir: dir, durability, clock: new ManualClock(T0 + 60_000) });
    const expected = {
      id: a.id,
      name: 'a',
      value: { when: new Date(T0), big: 14n, tags: new Set(['z']) },
      version: 4,
      createdAt: new Date(T0),
      updatedAt: new Date(T0 + 5000),
      updatedBy: 'api',
    };
    expect(await rt2.settings.get('a')).toStrictEqual(expected);
    expect(await rt2.settings.get(a.id, { by: 'id' })).toStrictEqual(expected);
    expect(await rt2.settings.get('b')).toBeUndefined();
    expect((await rt2.settings.list()).items.map((s) => [s.name, s.version])).toEqual([
      ['a', 4],
      ['c', 1],
    ]);
    // Versions keep counting and the clock of the new runtime stamps the write.
    expect(await rt2.settings.update('a', 'after', { expectedVersion: 4 })).toMatchObject({
      version: 5,
      updatedAt: new Date(T0 + 60_000),
    });
  });

  it('RUNTIME_CLOSED for every call after close', async () => {
    const { rt } = await open();
    const s = await rt.settings.create('s', 1);
    await rt.close();
    expect(rt.status).toBe('closed');
    const calls: Array<() => unknown> = [
      () => rt.settings.create('t', 1),
      () => rt.settings.get('s'),
      () => rt.settings.get(s.id, { by: 'id' }),
      () => rt.settings.update('s', 2),
      () => rt.settings.delete('s'),
      () => rt.settings.list(),
      () => rt.locks.acquire('l', { holder: 'h' }),
      () => rt.locks.release('l', 1),
      () => rt.locks.renew('l', 1),
      () => rt.locks.releaseAll('h'),
      () => rt.locks.list(),
    ];
    for (const call of calls) expect(await codeOf(call)).toBe('RUNTIME_CLOSED');
    await rt.close(); // idempotent
  });

  it('a second Runtime.open on the same folder fails with STORE_LOCKED naming the folder', async () => {
    const { rt, dir } = await open();
    await rt.settings.create('s', 1);
    const err = await failure(() => Runtime.open({ dataDir: dir, logger }));
    expect(err.code).toBe('STORE_LOCKED');
    expect(err.context.dataDir).toBe(path.resolve(dir));
    expect(err.context.holder).toEqual(expect.stringContaining(String(process.pid)));
    // The first runtime is unharmed, and the folder opens again once it is closed.
    expect((await rt.settings.get('s'))?.value).toBe(1);
    await rt.close();
    const { rt: rt2 } = await open({ dataDir: dir });
    expect((await rt2.settings.get('s'))?.value).toBe(1);
  });

  it('an open that fails after locking the folder unlocks it: the next open in the process works', async () => {
    const { rt, dir } = await open();
    await rt.settings.create('s', 1);
    await rt.close();
    // A bad key fails in openSecrets, after the store, the registry and the pool have started.
    const err = await failure(() => Runtime.open({ dataDir: dir, logger, retention: false, secretKey: 'short' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('secretKey');
    const { rt: rt2 } = await open({ dataDir: dir });
    expect((await rt2.settings.get('s'))?.value).toBe(1);
  });
});

describe('list answers in mailbox order', () => {
  it('sees what was sent before it, and not what was sent after', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-'));
    const rt = await Runtime.open({ dataDir, logger: pino({ level: 'silent' }) });
    try {
      const created = rt.settings.create('x', 1);
      const listed = rt.settings.list();
      const deleted = rt.settings.delete('x');
      await created;
      expect((await listed).items.map((s) => s.name)).toEqual(['x']);
      expect(await deleted).toBe(true);
      const update = rt.settings.create('y', 1).then(() => rt.settings.update('y', 2));
      await update;
      const page = rt.settings.list();
      const later = rt.settings.update('y', 3);
      expect((await page).items[0]).toMatchObject({ name: 'y', value: 2, version: 2 });
      await later;
    } finally {
      await rt.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
