import { Level } from 'level';
import type { Durability } from '../src/index.js';
import { freshDir, rate, withRuntime } from './fixtures.js';

/**
 * The registry benchmark: settings and locks, each figure beside the raw LevelDB limit
 * measured in the same run and mode.
 */
export interface RegistryFigures {
  /** Raw LevelDB: puts/s in batches of 100 (the limit for settings writes). */
  rawBatchPutsPerSec: number;
  /** Raw LevelDB: one put awaited at a time, ms (synced in fsync mode). */
  rawPutLatencyMs: number;
  settingsWritesPerSec: number;
  settingsReadsPerSec: number;
  /** acquire+release pairs/s, 100 clients on 100 independent locks. */
  lockPairsPerSec: number;
  /** hand-offs/s on one lock with 100 waiters. */
  handoffsPerSec: number;
}

export interface RegistrySizes {
  writes: number;
  reads: number;
  pairs: number;
  handoffs: number;
}

export const DEFAULT_SIZES: RegistrySizes = { writes: 20_000, reads: 50_000, pairs: 20_000, handoffs: 10_000 };
const CLIENTS = 100;

export async function rawLevel(
  durability: Durability,
): Promise<Pick<RegistryFigures, 'rawBatchPutsPerSec' | 'rawPutLatencyMs'>> {
  const { dir, remove } = freshDir();
  const db = new Level<string, string>(dir, { valueEncoding: 'utf8' });
  const sync = durability === 'fsync';
  const value = JSON.stringify({ id: 'x'.repeat(36), name: 'setting-000', value: 'J{"n":1}', version: 1 });
  try {
    await db.open();
    const batches = sync ? 100 : 400;
    let t = performance.now();
    for (let b = 0; b < batches; b++)
      await db.batch(
        Array.from({ length: CLIENTS }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value })),
        { sync } as object,
      );
    const rawBatchPutsPerSec = (batches * CLIENTS) / ((performance.now() - t) / 1000);
    const puts = sync ? 500 : 3000;
    t = performance.now();
    for (let i = 0; i < puts; i++) await db.put(`p${i % 10}`, value, { sync } as object);
    const rawPutLatencyMs = (performance.now() - t) / puts;
    return { rawBatchPutsPerSec, rawPutLatencyMs };
  } finally {
    await db.close();
    remove();
  }
}

export async function settingsWrites(durability: Durability, n: number): Promise<number> {
  return withRuntime(durability, async (rt) => {
    for (let i = 0; i < CLIENTS; i++) await rt.settings.create(`s${i}`, { n: 0 });
    return rate(n, CLIENTS, (w, i) => rt.settings.update(`s${w}`, { n: i }));
  });
}

export async function settingsReads(durability: Durability, n: number): Promise<number> {
  return withRuntime(durability, async (rt) => {
    for (let i = 0; i < CLIENTS; i++) await rt.settings.create(`s${i}`, { n: i, tags: ['a', 'b'] });
    return rate(n, CLIENTS, (w) => rt.settings.get(`s${w}`));
  });
}

export async function lockPairs(durability: Durability, n: number): Promise<number> {
  return withRuntime(durability, (rt) =>
    rate(n, CLIENTS, async (w) => {
      const g = await rt.locks.acquire(`lock-${w}`, { holder: `c${w}` });
      await rt.locks.release(g.name, g.token);
    }),
  );
}

export async function handoffs(durability: Durability, n: number): Promise<number> {
  return withRuntime(durability, (rt) =>
    rate(n, CLIENTS, async (w) => {
      const g = await rt.locks.acquire('hot', { holder: `c${w}`, timeoutMs: Infinity });
      await rt.locks.release(g.name, g.token);
    }),
  );
}

export async function registryRun(durability: Durability, sizes: RegistrySizes): Promise<RegistryFigures> {
  const raw = await rawLevel(durability);
  // fsync mode runs fewer operations: each batch waits for the disk.
  const scale = durability === 'fsync' ? 0.25 : 1;
  const s = (x: number): number => Math.max(100, Math.round(x * scale));
  return {
    ...raw,
    settingsWritesPerSec: await settingsWrites(durability, s(sizes.writes)),
    settingsReadsPerSec: await settingsReads(durability, sizes.reads),
    lockPairsPerSec: await lockPairs(durability, s(sizes.pairs)),
    handoffsPerSec: await handoffs(durability, s(sizes.handoffs)),
  };
}
