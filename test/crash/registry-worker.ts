/**
 * Child process of the registry crash test (registry-crash.test.ts); it runs until SIGKILLed.
 * Usage: node --import tsx test/crash/registry-worker.ts <dataDir> <durability> <seed>
 *
 * It opens a runtime on <dataDir> and runs a mixed load: settings writes, bursts of paired
 * writes issued in one tick (so they share a journal batch), contended locks (so waiters
 * queue) with fenced writes, and leases. Every operation is reported to the parent over IPC
 * only once its promise has resolved, i.e. once it is acknowledged.
 */
import { pino } from 'pino';
import { Runtime, WeftError, type Durability, type Setting } from '../../src/index.js';

export interface SettingValue {
  n: number;
  at: Date;
  by: string;
}

/** What the worker reports. Holders are named `<tag>-<seq>`, seq numbering acquire calls in the order they were made. */
export type WorkerMessage =
  | { op: 'ready' }
  | { op: 'setting'; name: string; version: number; value: SettingValue }
  | { op: 'grant'; lock: string; holder: string; seq: number; token: number; lease: boolean }
  /** Not an ack: sent, and flushed to the pipe, just before `release` is called. */
  | { op: 'releasing'; lock: string; token: number }
  | { op: 'release'; lock: string; token: number }
  | { op: 'failed'; error: string };

const LOCKS = ['lock-a', 'lock-b', 'lock-c'];
const LEASES = ['lease-a', 'lease-b'];
const PAIRS = 100;
const HOLDER_LOOPS = 6;
const SETTING_LOOPS = 3;
const LEASE_LOOPS = 2;

const [dataDir, durability, seedArg] = process.argv.slice(2) as [string, Durability, string];
const tag = `w${seedArg}`;
let state = Number(seedArg) >>> 0;
let counter = 0;
let lastSeq = 0;

/** mulberry32: an integer in [0, n). */
function rand(n: number): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
}

function pick<T>(items: readonly T[]): T {
  return items[rand(items.length)] as T;
}

function value(): SettingValue {
  return { n: ++counter, at: new Date(), by: tag };
}

function ack(message: WorkerMessage): void {
  process.send!(message);
}

/** Resolves once the message is in the pipe, so the parent gets it even if this process dies next. */
function flush(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

function ackSetting(s: Setting<SettingValue>): void {
  ack({ op: 'setting', name: s.name, version: s.version, value: s.value });
}

async function main(): Promise<void> {
  const rt = await Runtime.open({ dataDir, durability, logger: pino({ level: 'silent' }) });
  const existing = new Set<string>();
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const page = await rt.settings.list({ limit: 1000, ...(cursor !== undefined && { cursor }) });
    for (const s of page.items) existing.add(s.name);
    cursor = page.cursor;
  }

  /** Creates or updates; synchronous up to the registry send, so writes issued together share a batch. */
  const write = (name: string, v: SettingValue): Promise<Setting<SettingValue>> => {
    if (existing.has(name)) return rt.settings.update(name, v);
    existing.add(name);
    return rt.settings.create(name, v);
  };

  const settingLoop = async (l: number): Promise<never> => {
    for (;;) ackSetting(await write(`s-${l}-${rand(4)}`, value()));
  };

  /** Pairs `pa-i` and `pb-i` always get the same value in the same tick: after a crash they must still agree. */
  const burstLoop = async (): Promise<never> => {
    for (;;) {
      const size = 1 + rand(PAIRS);
      const start = rand(PAIRS);
      const v = value();
      const writes: Array<Promise<Setting<SettingValue>>> = [];
      for (let k = 0; k < size; k++) {
        const i = (start + k) % PAIRS;
        writes.push(write(`pa-${i}`, v), write(`pb-${i}`, v));
      }
      for (const s of await Promise.all(writes)) ackSetting(s);
    }
  };

  const holderLoop = async (): Promise<never> => {
    for (;;) {
      const lock = pick(LOCKS);
      const seq = ++lastSeq;
      const holder = `${tag}-${seq}`;
      const grant = await rt.locks.acquire(lock, { holder, timeoutMs: 600_000 });
      ack({ op: 'grant', lock, holder, seq, token: grant.token, lease: false });
      if (rand(2) === 0) ackSetting(await rt.settings.update(lock, value(), { ifLockToken: grant.token }));
      await flush({ op: 'releasing', lock, token: grant.token });
      await rt.locks.release(lock, grant.token);
      ack({ op: 'release', lock, token: grant.token });
    }
  };

  /** Leases only add load (expiries hand locks on); the test checks their tokens and order, not their holding. */
  const leaseLoop = async (): Promise<never> => {
    for (;;) {
      const lock = pick(LEASES);
      const seq = ++lastSeq;
      const holder = `${tag}-${seq}`;
      const grant = await rt.locks.acquire(lock, { holder, timeoutMs: 600_000, ttlMs: 20 + rand(80) });
      ack({ op: 'grant', lock, holder, seq, token: grant.token, lease: true });
      const choice = rand(3); // 0: renew then release, 1: release, 2: abandon (the lease expires)
      try {
        if (choice === 0) await rt.locks.renew(lock, grant.token);
        if (choice < 2) await rt.locks.release(lock, grant.token);
      } catch (err) {
        // A slow machine may let the lease expire first.
        if (!(err instanceof WeftError && (err.code === 'LEASE_EXPIRED' || err.code === 'NOT_LOCK_HOLDER'))) throw err;
      }
    }
  };

  // The lock names double as settings for fenced writes.
  for (const lock of LOCKS) if (!existing.has(lock)) ackSetting(await write(lock, value()));
  ack({ op: 'ready' });
  await Promise.all([
    burstLoop(),
    ...Array.from({ length: SETTING_LOOPS }, (_, l) => settingLoop(l)),
    ...Array.from({ length: HOLDER_LOOPS }, () => holderLoop()),
    ...Array.from({ length: LEASE_LOOPS }, () => leaseLoop()),
  ]);
}

// Don't outlive a parent that went away.
process.on('disconnect', () => process.exit(0));
main().catch(async (err: unknown) => {
  const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  await flush({ op: 'failed', error }).catch(() => undefined);
  process.exit(1);
});
