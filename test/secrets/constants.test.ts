/**
 * rt.constants: set, get, list (prefix, paging), delete, every error code, persistence
 * across close and reopen, an in-memory runtime, and operations on one name in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, Runtime } from '../../src/index.js';
import { codeOf } from '../support/weft-error.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
const runtimes: Runtime[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-constants-'));
  dirs.push(dir);
  return dir;
}

async function open(options: { dataDir?: string; inMemory?: boolean; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock(T0);
  const dir = options.dataDir ?? tempDir();
  const rt = await Runtime.open({ dataDir: dir, inMemory: options.inMemory ?? false, clock, logger });
  runtimes.push(rt);
  return { rt, clock, dir };
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('set and get', () => {
  it('sets a constant and reads it back, with when it was written', async () => {
    const { rt, clock } = await open();
    expect(await rt.constants.set('smtp/host', 'mail.example.com')).toEqual({
      name: 'smtp/host',
      value: 'mail.example.com',
      updatedAt: new Date(T0),
    });
    clock.advance(5000);
    await rt.constants.set('smtp/host', 'mx.example.com');
    expect(await rt.constants.get('smtp/host')).toEqual({
      name: 'smtp/host',
      value: 'mx.example.com',
      updatedAt: new Date(T0 + 5000),
    });
  });

  it('keeps any string: empty, unicode, newlines, the longest allowed', async () => {
    const { rt } = await open();
    for (const value of ['', 'ünïcødé ✓', 'a\nb\r\nc', 'x'.repeat(65_536)]) {
      await rt.constants.set('c', value);
      expect((await rt.constants.get('c')).value).toBe(value);
    }
  });

  it('fails with CONSTANT_NOT_FOUND, INVALID_NAME and INVALID_ARGUMENT, writing nothing', async () => {
    const { rt } = await open();
    expect(await codeOf(() => rt.constants.get('missing'))).toBe('CONSTANT_NOT_FOUND');
    expect(await codeOf(() => rt.constants.get('bad name'))).toBe('INVALID_NAME');
    expect(await codeOf(() => rt.constants.set('', 'v'))).toBe('INVALID_NAME');
    expect(await codeOf(() => rt.constants.set('c', 42 as unknown as string))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.constants.set('c', 'x'.repeat(65_537)))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.constants.delete('%'))).toBe('INVALID_NAME');
    expect((await rt.constants.list()).items).toEqual([]);
  });
});

describe('delete', () => {
  it('deletes a constant and answers whether there was one', async () => {
    const { rt } = await open();
    await rt.constants.set('c', 'v');
    expect(await rt.constants.delete('c')).toBe(true);
    expect(await rt.constants.delete('c')).toBe(false);
    expect(await codeOf(() => rt.constants.get('c'))).toBe('CONSTANT_NOT_FOUND');
  });

  it('answers true to exactly one of several concurrent deletes of one name', async () => {
    const { rt } = await open();
    await rt.constants.set('c', 'v');
    const answers = await Promise.all([1, 2, 3, 4].map(() => rt.constants.delete('c')));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('orders operations on one name as called', async () => {
    const { rt } = await open();
    const [, deleted, set] = await Promise.all([
      rt.constants.set('c', 'one'),
      rt.constants.delete('c'),
      rt.constants.set('c', 'two'),
    ]);
    expect(deleted).toBe(true);
    expect(set.value).toBe('two');
    expect((await rt.constants.get('c')).value).toBe('two');
  });
});

describe('list', () => {
  it('lists in name order, by prefix, a page at a time', async () => {
    const { rt } = await open();
    const names = ['b', 'a/1', 'a/3', 'a/2', 'c', 'a', 'a0'];
    for (const name of names) await rt.constants.set(name, `value of ${name}`);
    const all = await rt.constants.list();
    expect(all.items.map((c) => c.name)).toEqual([...names].sort());
    expect(all.cursor).toBeUndefined();
    expect(all.items[0]).toEqual({ name: 'a', value: 'value of a', updatedAt: new Date(T0) });

    const byPrefix = await rt.constants.list({ prefix: 'a/' });
    expect(byPrefix.items.map((c) => c.name)).toEqual(['a/1', 'a/2', 'a/3']);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rt.constants.list({ limit: 2, ...(cursor !== undefined && { cursor }) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.name));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual([...names].sort());

    const first = await rt.constants.list({ prefix: 'a', limit: 2 });
    expect(first.items.map((c) => c.name)).toEqual(['a', 'a/1']);
    const second = await rt.constants.list({ prefix: 'a', limit: 10, cursor: first.cursor! });
    expect(second.items.map((c) => c.name)).toEqual(['a/2', 'a/3', 'a0']);
  });

  it('refuses a bad limit, prefix or cursor', async () => {
    const { rt } = await open();
    expect(await codeOf(() => rt.constants.list({ limit: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.constants.list({ limit: 1001 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.constants.list({ limit: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.constants.list({ prefix: 3 as unknown as string }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => rt.constants.list({ cursor: {} as unknown as string }))).toBe('INVALID_ARGUMENT');
  });
});

describe('persistence', () => {
  it('keeps constants across close and reopen, deletes included', async () => {
    const { rt, dir, clock } = await open();
    await rt.constants.set('kept', 'yes');
    await rt.constants.set('gone', 'no');
    await rt.constants.delete('gone');
    await rt.close();
    const { rt: again } = await open({ dataDir: dir, clock });
    expect(await again.constants.get('kept')).toEqual({ name: 'kept', value: 'yes', updatedAt: new Date(T0) });
    expect(await codeOf(() => again.constants.get('gone'))).toBe('CONSTANT_NOT_FOUND');
  });

  it('works in an in-memory runtime, writing no file', async () => {
    const dir = tempDir();
    const { rt } = await open({ inMemory: true, dataDir: path.join(dir, 'unused') });
    await rt.constants.set('c', 'v');
    expect((await rt.constants.get('c')).value).toBe('v');
    expect((await rt.constants.list()).items).toHaveLength(1);
    expect(await rt.constants.delete('c')).toBe(true);
    expect(fs.existsSync(path.join(dir, 'unused'))).toBe(false);
  });
});
