// Child process for test/journal.test.ts: opens a journal on a LevelDB folder, commits N batches
// (one per tick, awaiting only the last), then kills itself with SIGKILL so nothing closes cleanly.
// The last batch also carries 2000 bulky ops, so the kill usually lands before the store has
// applied it and the reopening journal must replay it from the log.
// Usage: journal-crash-worker.ts <dataDir> <batches> <fsync|process>
import { Journal, type Durability } from '../../src/store/journal.js';
import { openLevelStore } from '../../src/store/level-store.js';

async function main(): Promise<void> {
  const [dataDir, count, durability] = process.argv.slice(2);
  if (!dataDir || !count || (durability !== 'fsync' && durability !== 'process')) throw new Error('bad arguments');
  const journal = await Journal.open(await openLevelStore(dataDir), durability satisfies Durability);
  let seq = 0;
  const n = Number(count);
  for (let i = 0; i < n; i++) {
    seq = journal.write([
      { type: 'put', kind: 'settings', key: `k${String(i).padStart(4, '0')}`, value: `v${i}` },
      { type: 'put', kind: 'meta', key: 'last', value: String(i) },
    ]);
    if (i < n - 1) await new Promise((resolve) => setImmediate(resolve)); // the next write starts a new batch
  }
  journal.write(
    Array.from({ length: 2000 }, (_, i) => ({
      type: 'put' as const,
      kind: 'lock-waiters' as const,
      key: `bulk${String(i).padStart(4, '0')}`,
      value: 'x'.repeat(200),
    })),
  );
  await journal.committed(seq);
  process.kill(process.pid, 'SIGKILL');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
