/**
 * Crash test of the registry actor. A child process (registry-worker.ts) runs a mixed load of
 * settings writes, paired bursts, contended locks and leases, reporting each acknowledged
 * operation over IPC. The test SIGKILLs it after a random number of acks, reopens the same
 * folder and checks: every acknowledged write is there, every acknowledged grant not being
 * released is still held, no token is reused, grants and waiters are in request order, and
 * no half-written batch is visible. Several rounds on one folder, in both durability modes.
 * A failure names its seed; rerun with CRASH_SEED=<seed> to replay the same choices.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Runtime, type Durability, type LockInfo } from '../../src/index.js';
import { mulberry32 } from '../support/random.js';
import { STALL_MS, killWorkers, runWorker } from './fixtures/runner.js';
import type { SettingValue, WorkerMessage } from './registry-worker.js';

const ROUNDS = 5;
/** Kill after 1..MAX_ACKS acks; bursts ack up to 200 writes at once, so the kill lands anywhere in the load. */
const MAX_ACKS = 1500;

type Grant = Extract<WorkerMessage, { op: 'grant' }>;
type AckedSetting = { version: number; value: SettingValue };

let rt: Runtime | undefined;
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'weft-'));
});

afterEach(async () => {
  killWorkers();
  await rt?.close();
  rt = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

describe.each<Durability>(['process', 'fsync'])('registry crash test, durability %s', (durability) => {
  it('keeps every acknowledged write and grant across SIGKILLs', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 1e9));
    const random = mulberry32(seed);
    const acked = new Map<string, AckedSetting>();
    let floor = 0; // every token issued before this round is at most this
    for (let round = 0; round < ROUNDS; round++) {
      const killAt = 1 + Math.floor(random() * MAX_ACKS);
      const tag = `w${seed + round}`;
      const where = `seed ${seed}, round ${round}, kill after ${killAt} acks`;
      const messages = await runUntilKilled(durability, seed + round, killAt);
      rt = await Runtime.open({ dataDir, durability, logger: pino({ level: 'silent' }) });
      await checkPairs(rt, where);
      await checkSettings(rt, messages, acked, where);
      floor = await checkLocks(rt, messages, tag, floor, where);
      await rt.close();
      rt = undefined;
    }
  }, 80_000);
});

/** Forks the worker, SIGKILLs it at the `killAt`-th ack, and returns every message that arrived. */
async function runUntilKilled(durability: Durability, seed: number, killAt: number): Promise<WorkerMessage[]> {
  const messages: WorkerMessage[] = [];
  let acks = 0;
  const isAck = (m: WorkerMessage): boolean => m.op !== 'ready' && m.op !== 'releasing' && m.op !== 'failed';
  const { code, signal, killed, stalled, stderr } = await runWorker<WorkerMessage>({
    worker: 'registry',
    args: [dataDir, durability, String(seed)],
    serialization: 'advanced', // keeps the Dates in values
    isProgress: isAck,
    onMessage: (m, kill) => {
      messages.push(m);
      if (isAck(m) && ++acks >= killAt) kill();
    },
  });
  const failed = messages.find((m) => m.op === 'failed');
  if (!killed || stalled || signal !== 'SIGKILL' || failed) {
    const why = stalled ? `made no progress for ${STALL_MS} ms` : `exited with code ${code}, signal ${signal}`;
    const started = messages.some((m) => m.op === 'ready') ? 'after starting' : 'before starting';
    throw new Error(
      `worker (seed ${seed}) ${why} ${started}, after ${acks} acks\n${failed?.error ?? ''}\nstderr:\n${stderr}`,
    );
  }
  return messages;
}

/** Every acknowledged write is there, at its version or a later one. */
async function checkSettings(
  rt: Runtime,
  messages: WorkerMessage[],
  acked: Map<string, AckedSetting>,
  where: string,
): Promise<void> {
  for (const m of messages) {
    if (m.op !== 'setting') continue;
    const prev = acked.get(m.name);
    if (prev?.version === m.version)
      expect(m.value, `${where}: ${m.name} v${m.version} acked twice`).toEqual(prev.value);
    if (!prev || m.version > prev.version) acked.set(m.name, { version: m.version, value: m.value });
  }
  for (const [name, a] of acked) {
    const s = await rt.settings.get<SettingValue>(name);
    expect(s, `${where}: acknowledged setting ${name} v${a.version} is missing`).toBeDefined();
    expect(s!.version, `${where}: ${name} went back from acknowledged v${a.version}`).toBeGreaterThanOrEqual(a.version);
    if (s!.version === a.version) expect(s!.value, `${where}: ${name} v${a.version}`).toEqual(a.value);
  }
}

/** `pa-i` and `pb-i` are always written in one tick, so one journal batch: they must agree. */
async function checkPairs(rt: Runtime, where: string): Promise<void> {
  const [as, bs] = await Promise.all([
    rt.settings.list<SettingValue>({ prefix: 'pa-', limit: 1000 }),
    rt.settings.list<SettingValue>({ prefix: 'pb-', limit: 1000 }),
  ]);
  const b = new Map(bs.items.map((s) => [s.name.slice(3), s]));
  expect(as.items.map((s) => s.name.slice(3)).sort(), `${where}: pairs created apart`).toEqual([...b.keys()].sort());
  for (const a of as.items) {
    const other = b.get(a.name.slice(3))!;
    expect({ version: other.version, value: other.value }, `${where}: pair ${a.name} half-written`).toEqual({
      version: a.version,
      value: a.value,
    });
  }
}

/**
 * Grants: tokens unique and above every earlier token; per lock, in request order; the last
 * acknowledged grant of each plain lock still held unless its release was under way. Waiters
 * are in request order. Then frees everything the dead worker held or waited for, and checks
 * that a fresh grant gets a token above all of them. Returns that token.
 */
async function checkLocks(
  rt: Runtime,
  messages: WorkerMessage[],
  tag: string,
  floor: number,
  where: string,
): Promise<number> {
  const grants = messages.filter((m): m is Grant => m.op === 'grant');
  const releasing = new Set(messages.flatMap((m) => (m.op === 'releasing' ? [m.token] : [])));
  const released = new Set(messages.flatMap((m) => (m.op === 'release' ? [m.token] : [])));
  const tokens = grants.map((g) => g.token);
  expect(new Set(tokens).size, `${where}: a token was granted twice`).toBe(tokens.length);
  for (const t of tokens) expect(t, `${where}: token reused from before the restart`).toBeGreaterThan(floor);

  const infos = new Map((await rt.locks.list()).map((i) => [i.name, i]));
  for (const lock of new Set(grants.map((g) => g.lock))) {
    const mine = grants.filter((g) => g.lock === lock).sort((x, y) => x.token - y.token);
    const seqs = mine.map((g) => g.seq);
    expect(seqs, `${where}: ${lock} granted out of request order`).toEqual([...seqs].sort((x, y) => x - y));
    const last = mine[mine.length - 1]!;
    if (last.lease) continue; // a lease may have expired, and it gets a fresh TTL on open
    const h = infos.get(lock)?.holder;
    const now = h && { holder: h.holder, token: h.token };
    const kept = { holder: last.holder, token: last.token };
    const msg = `${where}: ${lock} after grant ${JSON.stringify(kept)}, holder is ${JSON.stringify(now)}`;
    const movedOn = !now || now.token > last.token; // released, maybe handed on
    if (released.has(last.token)) expect(movedOn, msg).toBe(true);
    else if (releasing.has(last.token)) expect(movedOn || isEqual(now, kept), msg).toBe(true);
    else expect(now, msg).toEqual(kept);
  }

  let maxToken = Math.max(floor, ...tokens);
  for (const info of infos.values()) {
    const queue = [...(info.holder ? [info.holder.holder] : []), ...info.waiters.map((w) => w.holder)];
    for (const holder of queue) expect(holder.startsWith(`${tag}-`), `${where}: ${holder} on ${info.name}`).toBe(true);
    const seqs = queue.map((holder) => Number(holder.slice(tag.length + 1)));
    expect(seqs, `${where}: ${info.name} holder and waiters out of request order`).toEqual(
      [...seqs].sort((x, y) => x - y),
    );
    if (info.holder) maxToken = Math.max(maxToken, info.holder.token);
  }

  await releaseEverything(rt);
  const probe = await rt.locks.acquire('probe', { holder: 'probe', timeoutMs: 0 });
  expect(probe.token, `${where}: token reused after restart`).toBeGreaterThan(maxToken);
  await rt.locks.release('probe', probe.token);
  return probe.token;
}

/** The dead worker's holders never come back: free their locks and withdraw their waiters. */
async function releaseEverything(rt: Runtime): Promise<void> {
  for (let infos: LockInfo[]; (infos = await rt.locks.list()).length > 0;) {
    for (const info of infos)
      for (const holder of [info.holder?.holder, ...info.waiters.map((w) => w.holder)])
        if (holder !== undefined) await rt.locks.releaseAll(holder);
  }
}

function isEqual(a: { holder: string; token: number }, b: { holder: string; token: number }): boolean {
  return a.holder === b.holder && a.token === b.token;
}
