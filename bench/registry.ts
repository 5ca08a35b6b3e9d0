import { Level } from 'level';
import type { Durability } from '../src/index.js';
import { rate, withRuntime } from './fixtures.js';

/**
 * Measurements of the registry (settings and locks) and of the raw LevelDB limit they are
 * compared with, used by the `limits`, `w5-locks` and `w6-settings` workloads.
 */
export interface RawLevelFigures {
  /** Raw LevelDB: puts/s in batches of 100 (the limit for settings writes). */
  rawBatchPutsPerSec: number;
  /** Raw LevelDB: one put awaited at a time, ms (synced in fsync mode). */
  rawPutLatencyMs: number;
}

interface Ctx {
  mode: Durability;
  dataDir(): string;
}

/** Clients (writers, readers, lock holders) working at once. */
export const CLIENTS = 100;

/** `batches` batches of 100 puts, then `puts` single puts, on a fresh LevelDB (synced in fsync mode). */
export async function rawLevel(ctx: Ctx, batches: number, puts: number): Promise<RawLevelFigures> {
  const db = new Level<string, string>(ctx.dataDir(), { valueEncoding: 'utf8' });
  const sync = ctx.mode === 'fsync';
  const value = JSON.stringify({ id: 'x'.repeat(36), name: 'setting-000', value: 'J{"n":1}', version: 1 });
  try {
    await db.open();
    let t = performance.now();
    for (let b = 0; b < batches; b++)
      await db.batch(
        Array.from({ length: CLIENTS }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value })),
        { sync } as object,
      );
    const rawBatchPutsPerSec = (batches * CLIENTS) / ((performance.now() - t) / 1000);
    t = performance.now();
    for (let i = 0; i < puts; i++) await db.put(`p${i % 10}`, value, { sync } as object);
    const rawPutLatencyMs = (performance.now() - t) / puts;
    return { rawBatchPutsPerSec, rawPutLatencyMs };
  } finally {
    await db.close();
  }
}

/** `n` updates by 100 writers over 100 settings: writes/s. */
export function settingsWrites(ctx: Ctx, n: number, latenciesMs?: number[]): Promise<number> {
  return withRuntime(ctx, async (rt) => {
    for (let i = 0; i < CLIENTS; i++) await rt.settings.create(`s${i}`, { n: 0 });
    return rate(n, CLIENTS, (w, i) => rt.settings.update(`s${w}`, { n: i }), latenciesMs);
  });
}

/** `n` reads by 100 readers over 100 settings: reads/s. */
export function settingsReads(ctx: Ctx, n: number): Promise<number> {
  return withRuntime(ctx, async (rt) => {
    for (let i = 0; i < CLIENTS; i++) await rt.settings.create(`s${i}`, { n: i, tags: ['a', 'b'] });
    return rate(n, CLIENTS, (w) => rt.settings.get(`s${w}`));
  });
}

/** `n` acquire+release pairs by 100 clients, each on its own lock (uncontended): pairs/s. */
export function lockPairs(ctx: Ctx, n: number, latenciesMs?: number[]): Promise<number> {
  return withRuntime(ctx, (rt) =>
    rate(
      n,
      CLIENTS,
      async (w) => {
        const g = await rt.locks.acquire(`lock-${w}`, { holder: `c${w}` });
        await rt.locks.release(g.name, g.token);
      },
      latenciesMs,
    ),
  );
}

/** `n` hand-offs of one lock between `contenders` clients queued on it: hand-offs/s. */
export function handoffs(ctx: Ctx, n: number, contenders = CLIENTS): Promise<number> {
  return withRuntime(ctx, (rt) =>
    rate(n, contenders, async (w) => {
      const g = await rt.locks.acquire('hot', { holder: `c${w}`, timeoutMs: Infinity });
      await rt.locks.release(g.name, g.token);
    }),
  );
}
