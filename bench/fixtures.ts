import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Runtime, type Durability } from '../src/index.js';

/** A fresh data folder per run, removed afterwards. */
export async function withRuntime<T>(durability: Durability, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  const rt = await Runtime.open({ dataDir: dir, durability, logger: pino({ level: 'silent' }) });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function freshDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` over `workers` concurrent loops sharing `total` iterations; answers ops/s. */
export async function rate(
  total: number,
  workers: number,
  fn: (worker: number, i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (next < total) await fn(w, next++);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}
