// The Journal (group commit over a Store) on the memory and LevelDB stores in both durabilities:
// same-tick writes form one batch, writes to a key coalesce, commits are durable before they are
// acknowledged, onCommit/applied/close behave, and back-to-back writers do not starve the event
// loop. Then the write-ahead log: recovery after a SIGKILL'd child process, torn or corrupt
// tails, and the frame format.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Journal, type Durability } from '../src/store/journal.js';
import { openLevelStore } from '../src/store/level-store.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import type { RecordKind, Store, WriteOp } from '../src/store/store.js';
import { WriteAheadLog } from '../src/store/wal.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const journals: Journal[] = [];
afterEach(async () => {
  await Promise.all(journals.splice(0).map((j) => j.close())); // close() is idempotent
});
async function openJournal(dir: string | undefined, durability: Durability): Promise<Journal> {
  const journal = await Journal.open(dir ? await openLevelStore(dir) : await openMemoryStore(), durability);
  journals.push(journal);
  return journal;
}

const put = (key: string, value: string, kind: RecordKind = 'settings'): WriteOp => ({ type: 'put', kind, key, value });
const del = (key: string, kind: RecordKind = 'settings'): WriteOp => ({ type: 'del', kind, key });
const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));
const fileSize = (file: string) => fs.statSync(file).size;

/** The batches a log file holds now, decoded from a copy so the live log is left alone. */
function readLog(walPath: string): WriteOp[][] {
  const copy = path.join(tempDir(), 'copy.log');
  fs.copyFileSync(walPath, copy);
  const { log, batches } = WriteAheadLog.open(copy);
  log.close();
  return batches;
}

for (const storeKind of ['memory', 'LevelDB'] as const) {
  for (const durability of ['fsync', 'process'] as const) {
    describe(`Journal over the ${storeKind} store, ${durability} durability`, () => {
      const open = () => openJournal(storeKind === 'LevelDB' ? tempDir() : undefined, durability);

      it('puts the writes issued in one tick into one batch', async () => {
        const journal = await open();
        const seqs = [
          journal.write([put('a', '1')]),
          journal.write([put('b', '2')]),
          journal.write([put('c', '3'), put('d', '4')]),
        ];
        expect(new Set(seqs)).toEqual(new Set([seqs[0]]));
        const seq = seqs[0]!;
        expect(journal.committedSeq).toBeLessThan(seq);
        expect(journal.pendingSeq).toBe(seq);

        await journal.committed(seq);
        expect(journal.stats).toEqual({ batches: 1, ops: 4, maxBatch: 4 });
        expect(journal.committedSeq).toBe(seq);
        expect(journal.pendingSeq).toBeUndefined();
        expect(journal.openSeq).toBe(seq + 1);

        const next = journal.write([put('e', '5')]);
        expect(next).toBe(seq + 1);
        await journal.committed(next);
        expect(journal.stats.batches).toBe(2);
        expect(journal.committedSeq).toBe(next);
      });

      it('coalesces writes to the same key within a batch, the last one winning', async () => {
        const journal = await open();
        await journal.applied(); // nothing pending: resolves at once
        journal.write([put('keep', 'x'), put('gone', 'x')]);
        await journal.applied();

        journal.write([put('a', '1'), put('a', '2')]);
        journal.write([put('a', '3'), del('keep'), put('keep', 'back')]);
        journal.write([put('gone', 'y'), del('gone'), put('a', 'other kind', 'locks')]);
        await journal.applied();
        expect(journal.stats.batches).toBe(2);
        expect(journal.stats.ops).toBe(2 + 4); // a, keep, gone (settings) and a (locks)
        expect(await journal.store.range('settings')).toEqual([
          ['a', '3'],
          ['keep', 'back'],
        ]);
        expect(await journal.store.get('locks', 'a')).toBe('other kind');
      });

      it('acknowledges a batch only once it is durable', async () => {
        const journal = await open();
        const walPath = journal.store.walPath;
        const atCommit: Array<{ seq: number; logged: number; snapshot: Promise<Array<[string, string]>> }> = [];
        journal.onCommit((seq) => {
          // With a log the batch must be in it; without one the store write is the commit.
          // range() snapshots when called, so this records what the store held at commit time.
          atCommit.push({
            seq,
            logged: walPath ? readLog(walPath).length : 0,
            snapshot: journal.store.range('settings'),
          });
        });

        const seq = journal.write([put('a', '1')]);
        let acknowledged = false;
        const done = journal.committed(seq).then(() => {
          acknowledged = true;
        });
        expect(acknowledged).toBe(false);
        expect(journal.committedSeq).toBe(0);
        await done;
        expect(journal.committedSeq).toBe(seq);
        await journal.committed(0); // already committed: resolves at once
        await journal.committed(); // nothing pending

        expect(atCommit).toHaveLength(1);
        expect(atCommit[0]!.seq).toBe(seq);
        if (walPath) {
          expect(atCommit[0]!.logged).toBe(1);
          expect(readLog(walPath)).toEqual([[put('a', '1')]]);
        } else {
          expect(await atCommit[0]!.snapshot).toEqual([['a', '1']]);
        }
      });

      it('calls onCommit listeners with increasing seqs until they unsubscribe', async () => {
        const journal = await open();
        const seen: number[] = [];
        const off = journal.onCommit((seq) => seen.push(seq));
        for (let i = 0; i < 5; i++) await journal.committed(journal.write([put(`awaited${i}`, 'v')]));
        for (let i = 0; i < 10; i++) {
          journal.write([put(`burst${i}`, 'v')]);
          await nextTick();
        }
        await journal.committed();
        expect(seen.length).toBeGreaterThanOrEqual(6);
        expect(seen.length).toBeLessThanOrEqual(journal.stats.batches);
        for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
        expect(seen.at(-1)).toBe(journal.committedSeq);

        off();
        await journal.committed(journal.write([put('after', 'v')]));
        expect(seen.at(-1)).toBeLessThan(journal.committedSeq);
      });

      it('makes committed writes readable from journal.store once applied() resolves', async () => {
        const journal = await open();
        journal.write([put('a', '1'), put('l', 'lock', 'locks')]);
        await journal.applied();
        expect(await journal.store.get('settings', 'a')).toBe('1');
        expect(await journal.store.get('locks', 'l')).toBe('lock');

        journal.write([del('a'), put('b', '2')]);
        await journal.applied();
        expect(await journal.store.range('settings')).toEqual([['b', '2']]);
      });

      it('keeps gathering the next batch while one is in flight, losing nothing', async () => {
        const journal = await open();
        let commits = 0;
        journal.onCommit(() => commits++);
        const ticks = 40;
        for (let i = 0; i < ticks; i++) {
          journal.write([put(`k${String(i).padStart(2, '0')}`, `v${i}`), put('counter', String(i), 'meta')]);
          if (i % 3 === 0) journal.write([put(`extra${i}`, 'x')]); // same tick: same batch
          await nextTick();
        }
        await journal.applied();
        expect(journal.stats.batches).toBeLessThanOrEqual(ticks);
        expect(commits).toBeLessThanOrEqual(journal.stats.batches);
        expect(journal.committedSeq).toBe(journal.openSeq - 1);
        const entries = await journal.store.range('settings', { gte: 'k', lt: 'l' });
        expect(entries).toHaveLength(ticks);
        entries.forEach(([key, value], i) => expect([key, value]).toEqual([`k${String(i).padStart(2, '0')}`, `v${i}`]));
        expect(await journal.store.range('settings', { gte: 'extra', lt: 'extra\uffff' })).toHaveLength(14);
        expect(await journal.store.get('meta', 'counter')).toBe(String(ticks - 1));
      });

      it('commits and applies pending writes on close, then refuses writes', async () => {
        const journal = await open();
        const walPath = journal.store.walPath;
        journal.write([put('early', '1')]);
        await nextTick();
        const seq = journal.write([put('late', '2'), put('l', 'x', 'locks')]);
        const committed = journal.committed(seq);
        await journal.close();
        await committed;
        expect(journal.committedSeq).toBe(seq);
        await journal.close(); // idempotent
        expect(() => journal.write([put('x', 'y')])).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));

        if (walPath) {
          expect(fileSize(walPath)).toBe(0);
          const store = await openLevelStore(path.dirname(walPath));
          try {
            expect(await store.range('settings')).toEqual([
              ['early', '1'],
              ['late', '2'],
            ]);
            expect(await store.get('locks', 'l')).toBe('x');
          } finally {
            await store.close();
          }
        }
      });
    });
  }
}

describe('Journal write-ahead log recovery', () => {
  const worker = fileURLToPath(new URL('./support/journal-crash-worker.ts', import.meta.url));
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));

  for (const durability of ['fsync', 'process'] as const) {
    it(`replays every committed batch after a SIGKILL (${durability})`, async () => {
      const dir = tempDir();
      const batches = 25;
      const child = fork(worker, [dir, String(batches), durability], {
        cwd: repoRoot,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
      expect({ signal, stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });

      // The log holds every batch; the store usually has not applied the bulky last one yet.
      const walPath = path.join(dir, 'journal.log');
      const logged = readLog(walPath);
      expect(logged).toHaveLength(batches);
      expect(logged.at(-1)).toContainEqual(put('last', String(batches - 1), 'meta'));

      const journal = await openJournal(dir, durability);
      expect(fileSize(walPath)).toBe(0); // replayed into the store, then emptied
      const entries = await journal.store.range('settings');
      expect(entries).toEqual(Array.from({ length: batches }, (_, i) => [`k${String(i).padStart(4, '0')}`, `v${i}`]));
      expect(await journal.store.get('meta', 'last')).toBe(String(batches - 1));
      expect(await journal.store.range('lock-waiters')).toHaveLength(2000); // the worker's bulky last batch
    });
  }

  const A = [put('a', 'A'), put('a', 'lockA', 'locks')];
  const B = [put('b', 'B'), del('base')];
  const C = [put('a', 'C'), put('c', 'C')];

  /** Three valid frames, as WriteAheadLog writes them. */
  function frames(): Buffer[] {
    const file = path.join(tempDir(), 'frames.log');
    const { log } = WriteAheadLog.open(file);
    const ends: number[] = [];
    for (const batch of [A, B, C]) {
      log.append(batch);
      ends.push(log.size);
    }
    log.close();
    const bytes = fs.readFileSync(file);
    return ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
  }
  const flipPayloadByte = (frame: Buffer): Buffer => {
    const copy = Buffer.from(frame);
    copy[8 + 3] = copy[8 + 3]! ^ 0x20; // inside the JSON payload, past the 8-byte header
    return copy;
  };

  const tails: Array<{ what: string; bytes: (f: Buffer[]) => Buffer[]; valid: number }> = [
    { what: 'half of a frame', bytes: ([a, b, c]) => [a!, b!, c!.subarray(0, c!.length >> 1)], valid: 2 },
    { what: 'part of a header', bytes: ([a, b, c]) => [a!, b!, c!.subarray(0, 5)], valid: 2 },
    {
      what: 'a frame with a flipped payload byte (CRC fails)',
      bytes: ([a, b, c]) => [a!, b!, flipPayloadByte(c!)],
      valid: 2,
    },
    {
      what: 'garbage',
      bytes: ([a, b]) => [a!, b!, Buffer.from('\xff\xff\xff\x7fgarbage, not a frame at all')],
      valid: 2,
    },
    { what: 'zeroed bytes', bytes: ([a, b]) => [a!, b!, Buffer.alloc(64)], valid: 2 },
    { what: 'a corrupt frame followed by a valid one', bytes: ([a, b, c]) => [a!, flipPayloadByte(b!), c!], valid: 1 },
  ];

  for (const { what, bytes, valid } of tails) {
    it(`applies the valid prefix of a log ending in ${what} and drops the rest`, async () => {
      const dir = tempDir();
      const setup = await openJournal(dir, 'fsync');
      await setup.committed(setup.write([put('base', 'kept')]));
      await setup.close(); // a cleanly closed folder: the store has "base", the log is empty
      const walPath = path.join(dir, 'journal.log');
      expect(fileSize(walPath)).toBe(0);

      const parts = bytes(frames());
      const prefix = parts.slice(0, valid).reduce((n, p) => n + p.length, 0);
      fs.writeFileSync(walPath, Buffer.concat(parts));

      // The log itself: the valid batches come back and the file is cut to its valid prefix.
      const copy = path.join(tempDir(), 'torn.log');
      fs.copyFileSync(walPath, copy);
      const { log, batches } = WriteAheadLog.open(copy);
      expect(batches).toEqual([A, B].slice(0, valid));
      expect(log.size).toBe(prefix);
      log.close();
      expect(fileSize(copy)).toBe(prefix);

      // The journal replays the valid batches into the store, ignores the rest, and empties the log.
      const journal = await openJournal(dir, 'fsync');
      expect(fileSize(walPath)).toBe(0);
      const get = (key: string, kind: RecordKind = 'settings') => journal.store.get(kind, key);
      expect(await get('a')).toBe('A');
      expect(await get('a', 'locks')).toBe('lockA');
      expect(await get('c')).toBeUndefined();
      expect(await get('b')).toBe(valid >= 2 ? 'B' : undefined);
      expect(await get('base')).toBe(valid >= 2 ? undefined : 'kept');

      // And it keeps working: new writes go to the emptied log and the store.
      await journal.applied();
      journal.write([put('after', 'recovery')]);
      await journal.applied();
      expect(readLog(walPath)).toEqual([[put('after', 'recovery')]]);
      expect(await get('after')).toBe('recovery');
    });
  }
});

describe('WriteAheadLog frame format', () => {
  it('frames each batch as [u32 length][u32 crc32][JSON payload] and reads it back', () => {
    const file = path.join(tempDir(), 'journal.log');
    const first = WriteAheadLog.open(file);
    expect(first.batches).toEqual([]);
    expect(first.log.size).toBe(0);

    const written: WriteOp[][] = [
      [put('plain', 'value')],
      [put('sep\u0000arated', 'quotes " and \\ and\nnewlines'), del('gone', 'locks'), put('empty', '', 'meta')],
      [put('日本😀é', 'ünïcödé 😀', 'lock-waiters'), put('id', 'name', 'setting-ids'), del('x', 'lock-waiters')],
    ];
    for (const batch of written) first.log.append(batch);
    const bytes = fs.readFileSync(file);
    expect(first.log.size).toBe(bytes.length);
    first.log.close();

    // Walk the frames by hand.
    let offset = 0;
    for (let i = 0; i < written.length; i++) {
      const length = bytes.readUInt32LE(offset);
      const payload = bytes.subarray(offset + 8, offset + 8 + length);
      expect(bytes.readUInt32LE(offset + 4)).toBe(crc32(payload));
      expect(JSON.parse(payload.toString('utf8'))).toHaveLength(written[i]!.length);
      offset += 8 + length;
    }
    expect(offset).toBe(bytes.length);

    const second = WriteAheadLog.open(file);
    expect(second.batches).toEqual(written);
    expect(second.log.size).toBe(bytes.length);

    // Truncating empties the file; the next append starts again at offset 0.
    second.log.truncate();
    expect(second.log.size).toBe(0);
    expect(fileSize(file)).toBe(0);
    second.log.append([put('fresh', 'start')]);
    expect(second.log.size).toBe(fileSize(file));
    second.log.close();
    const third = WriteAheadLog.open(file);
    expect(third.batches).toEqual([[put('fresh', 'start')]]);
    third.log.close();
  });
});

describe('WriteAheadLog rotation', () => {
  it('reads a rotated-out file before the current one, and drops it on request', () => {
    const file = path.join(tempDir(), 'journal.log');
    const { log } = WriteAheadLog.open(file);
    log.append([put('a', '1')]);
    log.rotate();
    expect(fs.existsSync(file + '.old')).toBe(true);
    expect(log.size).toBe(0);
    expect(() => log.rotate()).toThrow(/rotated already/);
    log.append([put('a', '2')]);
    log.close();

    // A crash here: both files are read, oldest first, so the later write wins on replay.
    const reopened = WriteAheadLog.open(file);
    expect(reopened.batches).toEqual([[put('a', '1')], [put('a', '2')]]);
    expect(reopened.log.hasOld).toBe(true);
    reopened.log.dropOld();
    expect(fs.existsSync(file + '.old')).toBe(false);
    reopened.log.rotate(); // allowed again once the old file is gone
    reopened.log.truncate(); // empties both
    expect(fs.existsSync(file + '.old')).toBe(false);
    expect(fileSize(file)).toBe(0);
    reopened.log.close();
  });

  for (const durability of ['fsync', 'process'] as const) {
    it(`rotates a log the store never catches up with, and drops the old file once it has (${durability})`, async () => {
      const dir = tempDir();
      const level = await openLevelStore(dir);
      // The real store, whose writes (the journal's applies) wait until the test lets them go.
      const held: Array<() => void> = [];
      let holding = true;
      const slow: Store = {
        location: level.location,
        walPath: level.walPath,
        get: (kind, key) => level.get(kind, key),
        range: (kind, options) => level.range(kind, options),
        write: async (ops, options) => {
          if (holding) await new Promise<void>((resolve) => held.push(resolve));
          return level.write(ops, options);
        },
        close: () => level.close(),
      };
      const checkpointBytes = 64 * 1024;
      const journal = await Journal.open(slow, durability, { checkpointBytes });
      const walPath = path.join(dir, 'journal.log');
      const value = 'x'.repeat(2048);
      let n = 0;
      /** Writes and commits batches until the log has grown past its checkpoint size. */
      const fill = async () => {
        const until = fileSize(walPath) + checkpointBytes;
        while (fileSize(walPath) < until) await journal.committed(journal.write([put(`k${n++}`, value, 'meta')]));
      };
      /** Lets held store writes go, one per try, until `done()`. */
      const releaseUntil = (done: () => boolean) =>
        vi.waitFor(() => {
          held.shift()?.();
          expect(done()).toBe(true);
        });
      const old = () => fs.existsSync(walPath + '.old');

      await fill(); // the first apply is held: the log holds everything
      await releaseUntil(old); // applied < written: the log cannot be emptied, so it is rotated
      await fill();
      await releaseUntil(() => !old()); // everything in the old file is in the store: it is deleted
      expect(fileSize(walPath)).toBeLessThan(2 * checkpointBytes);

      holding = false;
      for (const release of held.splice(0)) release();
      await journal.close();
      const reopened = await openJournal(dir, durability);
      expect(await reopened.store.range('meta', { gte: 'k', lt: 'l' })).toHaveLength(n);
    });
  }
});

// Under in-process load that always has a next batch (writers that write again as soon as
// their commit resolves), group commits run from tick callbacks, which never let the event
// loop turn: the journal must yield now and then, or timers, immediates and I/O starve.
/**
 * Without a yield the loop never turns, so neither vitest's timeout nor any timer could end the
 * test: the writers give up on their own after this long (checked synchronously), and the test
 * then fails because the callbacks it waited for never ran.
 */
const GIVE_UP_MS = 15_000;

for (const durability of ['fsync', 'process'] as const) {
  describe(`Journal under back-to-back writers, ${durability} durability`, () => {
    it('lets a timer, an immediate and an I/O callback run while the writers keep it busy', async () => {
      const journal = await openJournal(tempDir(), durability);
      const commits: number[] = [];
      journal.onCommit((seq) => commits.push(seq));

      const ran: string[] = [];
      let stop = false;
      let gaveUp = false;
      /** Records a callback that got through; the writers stop once all three have. */
      const reached = (what: string) => {
        if (stop) return;
        ran.push(what);
        if (ran.length === 3) stop = true;
      };

      const giveUpAt = performance.now() + GIVE_UP_MS;
      const lastWritten: string[] = [];
      const writer = async (i: number) => {
        let n = 0;
        while (!stop) {
          if (performance.now() > giveUpAt) {
            gaveUp = stop = true;
            break;
          }
          lastWritten[i] = String(n++);
          await journal.committed(journal.write([{ type: 'put', kind: 'meta', key: 'w' + i, value: lastWritten[i] }]));
        }
      };
      const writers = [0, 1, 2, 3].map(writer);

      // Queued while the writers are already under way.
      let sameTick: number[] = [];
      setTimeout(() => {
        if (stop) return; // the writers gave up and the journal may be closed
        // Writes issued in one tick still join one batch while the journal yields.
        sameTick = [
          journal.write([{ type: 'put', kind: 'meta', key: 'timer-a', value: '1' }]),
          journal.write([{ type: 'put', kind: 'meta', key: 'timer-b', value: '2' }]),
        ];
        reached('timer');
      }, 0);
      setImmediate(() => reached('immediate'));
      void fs.promises.stat(journal.store.walPath ?? os.tmpdir()).then(() => reached('I/O'));

      await Promise.all(writers);
      expect(gaveUp, 'the writers starved the event loop').toBe(false);
      expect(new Set(ran)).toEqual(new Set(['timer', 'immediate', 'I/O']));
      expect(sameTick[0]).toBe(sameTick[1]);

      // Batches still commit one at a time, in order, and everything written is there.
      await journal.applied();
      expect(commits).toEqual(commits.map((_, k) => commits[0]! + k));
      for (const [i, value] of lastWritten.entries()) expect(await journal.store.get('meta', 'w' + i)).toBe(value);
      expect(await journal.store.get('meta', 'timer-b')).toBe('2');
    }, 45_000);
  });
}
