// The Journal under in-process load that always has a next batch (writers that write again as
// soon as their commit resolves): group commits run from tick callbacks, which never let the
// event loop turn, so the journal must yield now and then or timers, immediates and I/O starve.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Journal, type Durability } from '../../src/store/journal.js';
import { openLevelStore } from '../../src/store/level-store.js';

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
async function openJournal(durability: Durability): Promise<Journal> {
  const journal = await Journal.open(await openLevelStore(tempDir()), durability);
  journals.push(journal);
  return journal;
}

/**
 * Without a yield the loop never turns, so neither vitest's timeout nor any timer could end the
 * test: the writers give up on their own after this long (checked synchronously), and the test
 * then fails because the callbacks it waited for never ran.
 */
const GIVE_UP_MS = 15_000;

for (const durability of ['fsync', 'process'] as const) {
  describe(`Journal under back-to-back writers, ${durability} durability`, () => {
    it('lets a timer, an immediate and an I/O callback run while the writers keep it busy', async () => {
      const journal = await openJournal(durability);
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
