// The Store contract: the in-memory store and the LevelDB store must behave alike (missing keys,
// atomic batches, separate keyspaces per kind, bytewise range order and options, snapshot reads).
// The LevelDB store must also keep data across close/reopen and refuse a second opener (STORE_LOCKED).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLevelStore } from '../src/store/level-store.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { RECORD_KINDS, type RecordKind, type Store, type WriteOp } from '../src/store/store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const put = (key: string, value: string, kind: RecordKind = 'settings'): WriteOp => ({ type: 'put', kind, key, value });
const del = (key: string, kind: RecordKind = 'settings'): WriteOp => ({ type: 'del', kind, key });
const keys = (entries: Array<[string, string]>): string[] => entries.map(([k]) => k);
const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Ops a typed caller cannot write but an untyped one can; each must make the whole batch fail. */
const invalidOps: Array<[string, WriteOp]> = [
  ['a null key', { type: 'put', kind: 'settings', key: null as unknown as string, value: 'v' }],
  ['an undefined value', { type: 'put', kind: 'settings', key: 'k', value: undefined as unknown as string }],
];
/** Invalid ops the stores accept today (see the report): a number key is stored as "42", an object
 *  value as "[object Object]", an unknown kind lands in the root keyspace, an unknown op type deletes. */
const invalidOpsAccepted: Array<[string, WriteOp]> = [
  ['a number key', { type: 'put', kind: 'settings', key: 42 as unknown as string, value: 'v' }],
  ['an object value', { type: 'put', kind: 'settings', key: 'k', value: { a: 1 } as unknown as string }],
  ['an unknown kind', { type: 'put', kind: 'nope' as RecordKind, key: 'k', value: 'v' }],
  ['an unknown op type', { type: 'frob', kind: 'settings', key: 'keep' } as unknown as WriteOp],
];

function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('returns undefined for a missing key, before a put and after a delete', async () => {
      expect(await store.get('settings', 'missing')).toBeUndefined();
      await store.write([put('k', 'v')], { sync: false });
      expect(await store.get('settings', 'k')).toBe('v');
      await store.write([del('k'), del('never-existed')], { sync: true });
      expect(await store.get('settings', 'k')).toBeUndefined();
      expect(await store.range('settings')).toEqual([]);
    });

    it('applies every put and del of one write together, later ops on a key winning', async () => {
      await store.write([put('a', '1'), put('b', '1')], { sync: false });
      await store.write([put('c', '1'), del('a'), put('b', '2'), put('d', '1'), del('d')], { sync: true });
      expect(await store.range('settings')).toEqual([
        ['b', '2'],
        ['c', '1'],
      ]);
    });

    for (const [what, bad] of invalidOps) {
      it(`rejects a whole batch holding ${what} and writes nothing`, async () => {
        await store.write([put('keep', 'old')], { sync: false });
        await expect(store.write([put('new', '1'), del('keep'), bad], { sync: true })).rejects.toThrow();
        expect(await store.range('settings')).toEqual([['keep', 'old']]);
      });
    }

    for (const [what, bad] of invalidOpsAccepted) {
      it(`rejects a whole batch holding ${what} and writes nothing`, async () => {
        await store.write([put('keep', 'old')], { sync: false });
        await expect(store.write([put('new', '1'), bad], { sync: true })).rejects.toThrow();
        expect(await store.range('settings')).toEqual([['keep', 'old']]);
      });
    }

    it('keeps each kind in its own keyspace', async () => {
      await store.write(
        RECORD_KINDS.map((kind) => put('same', `value of ${kind}`, kind)),
        { sync: false },
      );
      for (const kind of RECORD_KINDS) {
        expect(await store.get(kind, 'same')).toBe(`value of ${kind}`);
        expect(await store.range(kind)).toEqual([['same', `value of ${kind}`]]);
      }
      await store.write([del('same', 'locks')], { sync: false });
      expect(await store.get('locks', 'same')).toBeUndefined();
      expect(await store.get('settings', 'same')).toBe('value of settings');
      expect(await store.get('lock-waiters', 'same')).toBe('value of lock-waiters');
    });

    it('ranges in bytewise key order and honours gt/gte/lt/lte/limit/reverse', async () => {
      const all = ['a', 'b', 'c', 'd', 'e', '10', '9', '100', 'B'];
      await store.write(
        [...all].reverse().map((k) => put(k, `v-${k}`)),
        { sync: false },
      );
      await store.write([put('zz', 'other kind', 'locks')], { sync: false });
      const sorted = [...all].sort(bytewise); // 10 100 9 B a b c d e
      const range = async (options: Parameters<Store['range']>[1]) => keys(await store.range('settings', options));

      expect(await store.range('settings')).toEqual(sorted.map((k) => [k, `v-${k}`]));
      expect(await range({ gt: 'b' })).toEqual(['c', 'd', 'e']);
      expect(await range({ gte: 'b' })).toEqual(['b', 'c', 'd', 'e']);
      expect(await range({ lt: 'B' })).toEqual(['10', '100', '9']);
      expect(await range({ lte: 'B' })).toEqual(['10', '100', '9', 'B']);
      expect(await range({ gt: 'a', lt: 'e' })).toEqual(['b', 'c', 'd']);
      expect(await range({ gte: 'a', lte: 'e', limit: 2 })).toEqual(['a', 'b']);
      expect(await range({ reverse: true })).toEqual([...sorted].reverse());
      expect(await range({ reverse: true, limit: 3 })).toEqual(['e', 'd', 'c']);
      expect(await range({ reverse: true, gte: 'b', lt: 'e', limit: 2 })).toEqual(['d', 'c']);
      expect(await range({ limit: 0 })).toEqual([]);
      expect(await range({ gt: 'e' })).toEqual([]);
      expect(await range({ gt: 'c', lt: 'c' })).toEqual([]);
    });

    it('sorts \\u0000-separated and unicode keys bytewise (UTF-8), not by UTF-16 code unit', async () => {
      const all = [
        'a',
        'a\u0000',
        'a\u0000b',
        'a\u0000\u0000',
        'a\u0001',
        'ab',
        'a\uFFFD',
        'a😀',
        'é',
        'ß',
        'z',
        '日本',
      ];
      await store.write(
        all.map((k) => put(k, JSON.stringify(k))),
        { sync: false },
      );
      const expected = [...all].sort(bytewise);
      // U+FFFD is EF BF BD in UTF-8, 😀 is F0 9F 98 80: bytewise order differs from JS string order.
      expect(expected.indexOf('a\uFFFD')).toBeLessThan(expected.indexOf('a😀'));
      expect(['a\uFFFD', 'a😀'].sort()).toEqual(['a😀', 'a\uFFFD']);

      expect(keys(await store.range('settings'))).toEqual(expected);
      for (const k of all) expect(await store.get('settings', k)).toBe(JSON.stringify(k));
      // The registry's prefix scan: every key of "a" followed by a \u0000 separator.
      expect(keys(await store.range('settings', { gt: 'a\u0000', lt: 'a\u0001' }))).toEqual([
        'a\u0000\u0000',
        'a\u0000b',
      ]);
      expect(keys(await store.range('settings', { gte: 'a\u0000', lt: 'a\u0001' }))).toEqual([
        'a\u0000',
        'a\u0000\u0000',
        'a\u0000b',
      ]);
    });

    it('reads a range from a snapshot taken when range() is called', async () => {
      const initial = Array.from({ length: 300 }, (_, i) => put(`k${String(i).padStart(3, '0')}`, 'v0'));
      await store.write(initial, { sync: false });
      const before = store.range('settings');
      // Issued after range() was called, before its result arrives: must not show in it.
      const rewrite = store.write(
        [...initial.map((op) => put(op.key, 'v1')), del('k000'), put('k150x', 'new'), put('zzz', 'new')],
        { sync: false },
      );
      const [snapshot] = await Promise.all([before, rewrite]);
      expect(snapshot).toEqual(initial.map((op) => [op.key, 'v0']));

      const after = await store.range('settings');
      expect(after).toHaveLength(301); // 300 - k000 + k150x + zzz
      expect(new Set(after.map(([, v]) => v))).toEqual(new Set(['v1', 'new']));
    });

    it('never returns a half-applied batch when ranges and writes interleave', async () => {
      const names = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      await store.write(
        names.map((k) => put(k, 'r0')),
        { sync: false },
      );
      const reads: Array<Promise<Array<[string, string]>>> = [];
      const writes: Array<Promise<void>> = [];
      for (let round = 1; round <= 20; round++) {
        reads.push(store.range('settings'));
        writes.push(
          store.write(
            names.map((k) => put(k, `r${round}`)),
            { sync: round % 5 === 0 },
          ),
        );
      }
      await Promise.all(writes);
      const results = await Promise.all(reads);
      results.forEach((entries, i) => {
        expect(keys(entries)).toEqual(names);
        // Each read saw exactly one round, and no round issued after it.
        const rounds = new Set(entries.map(([, v]) => Number(v.slice(1))));
        expect(rounds.size).toBe(1);
        expect([...rounds][0]).toBeLessThanOrEqual(i);
      });
    });
  });
}

storeContract('memory', () => openMemoryStore());
storeContract('LevelDB', () => openLevelStore(tempDir()));

describe('LevelDB store: folder, reopen and lock', () => {
  const open: Store[] = [];
  const track = (s: Store): Store => (open.push(s), s);
  afterEach(async () => {
    // Closing an already-closed store is fine in abstract-level.
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('reports its location and log path; the memory store has no log', async () => {
    const dir = tempDir();
    const store = track(await openLevelStore(dir));
    expect(store.location).toBe(path.resolve(dir));
    expect(store.walPath).toBe(path.join(path.resolve(dir), 'journal.log'));
    const memory = track(await openMemoryStore());
    expect(memory.walPath).toBeUndefined();
  });

  it('keeps data across close and reopen', async () => {
    const dir = tempDir();
    const first = track(await openLevelStore(dir));
    await first.write([put('a', '1'), put('b\u0000x', 'é😀'), put('a', 'lock', 'locks')], { sync: false });
    await first.write([del('a'), put('c', '3')], { sync: true });
    await first.close();

    const second = track(await openLevelStore(dir));
    expect(await second.range('settings')).toEqual([
      ['b\u0000x', 'é😀'],
      ['c', '3'],
    ]);
    expect(await second.get('locks', 'a')).toBe('lock');
  });

  it('refuses a second opener with STORE_LOCKED naming the folder and this process', async () => {
    const dir = tempDir();
    const first = track(await openLevelStore(dir));
    await first.write([put('a', '1')], { sync: false });

    const holderFile = JSON.parse(fs.readFileSync(path.join(dir, 'holder.json'), 'utf8')) as { pid: number };
    expect(holderFile.pid).toBe(process.pid);

    const err: unknown = await openLevelStore(dir).then(
      (s) => (track(s), new Error('second open succeeded')),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'STORE_LOCKED', context: { dataDir: path.resolve(dir) } });
    const holder = (err as { context: { holder?: unknown } }).context.holder;
    expect(String(holder)).toContain(`process ${process.pid}`);

    // The first opener is unaffected, and the folder opens again once it closes.
    expect(await first.get('settings', 'a')).toBe('1');
    await first.close();
    const again = track(await openLevelStore(dir));
    expect(await again.get('settings', 'a')).toBe('1');
  });
});
