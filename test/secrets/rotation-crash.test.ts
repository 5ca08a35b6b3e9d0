/**
 * Key rotation under SIGKILL. A child process (rotation-worker.ts) sets credentials and
 * rotates the key back to back; the test kills it after a random number of acknowledgements,
 * or as soon as a rotation is seen writing `secret.key.previous`, so the kill lands anywhere
 * in a rotation (before, between or after the key file writes and the batch). Reopening the
 * folder must read every acknowledged credential, with the key file settled and no
 * `secret.key.previous` left. Several rounds on one folder; CRASH_SEED=<seed> replays one.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { Runtime } from '../../src/index.js';
import type { RotationMessage } from './rotation-worker.js';

const WORKER = fileURLToPath(new URL('./rotation-worker.ts', import.meta.url));
const ROUNDS = 6;
const MAX_ACKS = 40;
const STALL_MS = 30_000;

const dirs: string[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the worker until SIGKILL: right after the `killAt`th ack, or (`inRotation`) as soon
 * after it as a rotation is seen writing `secret.key.previous`, which lands the kill inside
 * the rotation's crash window.
 */
async function runUntilKilled(dataDir: string, tag: string, killAt: number, inRotation: boolean): Promise<string[]> {
  const env = { ...process.env };
  delete env.WEFT_SECRET_KEY;
  const proc = fork(WORKER, [dataDir, tag], {
    execArgv: ['--import', 'tsx'],
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const acked: string[] = [];
  let acks = 0;
  let failure: string | undefined;
  const guard = setTimeout(() => proc.kill('SIGKILL'), STALL_MS);
  const watcher = fs.watch(dataDir, (_event, file) => {
    if (inRotation && acks >= killAt && file === 'secret.key.previous') proc.kill('SIGKILL');
  });
  proc.on('message', (m: RotationMessage) => {
    if (m.op === 'failed') failure = m.error;
    if (m.op === 'set') acked.push(m.name);
    if (m.op === 'set' || m.op === 'rotated') {
      guard.refresh();
      if (++acks >= killAt && !inRotation) proc.kill('SIGKILL');
    }
  });
  const [, signal] = (await once(proc, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(guard);
  watcher.close();
  await new Promise((resolve) => setImmediate(resolve));
  if (failure !== undefined || signal !== 'SIGKILL' || acks < killAt)
    throw new Error(`worker ${tag} ended (${signal}) after ${acks} acks: ${failure ?? ''}\n${stderr}`);
  return acked;
}

it('never loses the ability to decrypt an acknowledged credential across SIGKILLs mid-rotation', async () => {
  vi.stubEnv('WEFT_SECRET_KEY', ''); // the key file, in the worker and here
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-rotation-crash-'));
  dirs.push(dataDir);
  const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 1e9));
  const acked: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const killAt = 1 + ((seed + round * 7919) % MAX_ACKS);
    acked.push(...(await runUntilKilled(dataDir, `r${round}`, killAt, round % 2 === 1)));
    const rt = await Runtime.open({ dataDir, logger: pino({ level: 'silent' }) });
    try {
      for (const name of acked) {
        const credential = await rt.credentials.get(name).catch((err: Error) => {
          throw new Error(`seed ${seed}, round ${round}: ${name}: ${err.message}`);
        });
        expect(credential.password).toBe(`pw:${name}`);
      }
      expect(fs.existsSync(path.join(dataDir, 'secret.key.previous')), `seed ${seed}, round ${round}`).toBe(false);
    } finally {
      await rt.close();
    }
  }
  expect(acked.length).toBeGreaterThanOrEqual(ROUNDS);
}, 180_000);
