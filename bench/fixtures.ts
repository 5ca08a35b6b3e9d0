import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Runtime, type Durability, type RuntimeOptions } from '../src/index.js';
import { BENCH_WORKFLOWS } from './workflows/bench.js';

/** `ts` when running from source (tsx, vitest), `js` when compiled: the activity modules' extension. */
export const EXT = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

/** The bench activity modules (also what bench/weft.config.ts gives a daemon). */
export const BENCH_ACTIVITIES = ['noop', 'increment', 'cpu'].map(
  (m) => new URL(`./activities/${m}.${EXT}`, import.meta.url),
);

/** A folder for one run; `dataDir()` makes a new empty folder inside it; `remove()` deletes it all. */
export function runFolder(): { dataDir: () => string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  let n = 0;
  return {
    dataDir: () => {
      const dir = join(root, String(n++));
      mkdirSync(dir);
      return dir;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A fresh folder, for limits measured outside any run context. */
export function freshDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens a silent runtime on `dataDir` with the bench workflows and activities. */
export function openRuntime(dataDir: string, durability: Durability, options: RuntimeOptions = {}): Promise<Runtime> {
  return Runtime.open({
    dataDir,
    durability,
    workflows: BENCH_WORKFLOWS,
    activities: BENCH_ACTIVITIES,
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

/** Runs `fn` on a runtime in a fresh folder, and closes it. */
export async function withRuntime<T>(
  ctx: { dataDir(): string; mode: Durability },
  fn: (rt: Runtime) => Promise<T>,
  options: RuntimeOptions = {},
): Promise<T> {
  const rt = await openRuntime(ctx.dataDir(), ctx.mode, options);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/**
 * Runs `fn` over `workers` concurrent loops sharing `total` iterations; answers ops/s. With
 * `latenciesMs`, each call's duration is pushed onto it.
 */
export async function rate(
  total: number,
  workers: number,
  fn: (worker: number, i: number) => Promise<unknown>,
  latenciesMs?: number[],
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (next < total) {
        const t = performance.now();
        await fn(w, next++);
        latenciesMs?.push(performance.now() - t);
      }
    }),
  );
  return total / ((performance.now() - start) / 1000);
}
