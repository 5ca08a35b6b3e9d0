/**
 * Crash test of durable executions. A child process (executions-worker.ts) runs 200
 * executions of a 3-activity workflow (at most 40 running, the rest PENDING) whose activities
 * append `<idempotencyKey> <attempt>` to a side file. The test SIGKILLs it at random points:
 * while it records its starts, right after it reopens the folder (while resumed executions
 * replay and re-dispatch), or after a random number of executions ended; it repeats that on
 * the same folder a few times and lets the last child run to the end. Then, without resuming
 * anything, it checks: 200 executions, all SUCCESS with the right result; each history is
 * exactly scheduled/completed once per step, in order, with the right step results; every
 * step's effect is in the side file (more than once is allowed: at-least-once). Finally it
 * opens with the workflows and checks every handle's result. Both durability modes.
 * A failure names its seed; rerun with CRASH_SEED=<seed> to replay the same kill points.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Runtime, type Durability, type ExecutionInfo, type HistoryEvent } from '../../src/index.js';
import { decodeValue } from '../../src/store/codec.js';
import { CRASH_ACTIVITIES, crashChain, expectedSteps } from './fixtures/crash-workflows.js';
import type { WorkerMessage } from './executions-worker.js';
import { mulberry32 } from '../support/random.js';
import { STALL_MS, killWorkers, runWorker } from './fixtures/runner.js';

const COUNT = 200;
const STEPS = [1, 2, 3] as const;
const ACTIVITY_OF_STEP = ['add', 'mul', 'add'];
/** An `ended` kill comes after this many executions newly ended in the round. */
const MIN_ENDED = 5;
const MAX_ENDED = 45;
const silent = pino({ level: 'silent' });

/**
 * Where a killed round dies: `starts` after a random number of recorded starts (first round),
 * `open` right after the worker has opened the folder (while resumed executions replay and
 * re-dispatch), `ended` after a random number of executions newly ended in the round.
 */
type KillPoint = 'starts' | 'open' | 'ended';

/** Kill on the `after`-th message of this kind (ended: newly ended executions only); no kill: run to `done`. */
type Kill = { on: 'opened' | 'recorded' | 'ended'; after: number } | undefined;

interface Round {
  kill: Kill;
  outcome: 'killed' | 'done';
  opened?: { total: number; unfinished: number };
  /** Executions reported SUCCESS (in any round so far) when the kill was sent. */
  endedAtKill?: number;
}

let rt: Runtime | undefined;
let base: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'weft-'));
});

afterEach(async () => {
  killWorkers();
  await rt?.close();
  rt = undefined;
  rmSync(base, { recursive: true, force: true });
});

describe.each<{ durability: Durability; kills: KillPoint[] }>([
  { durability: 'process', kills: ['starts', 'ended', 'open', 'ended', 'ended'] },
  { durability: 'fsync', kills: ['starts', 'ended', 'open', 'ended'] },
])('executions crash test, durability $durability', ({ durability, kills }) => {
  it('ends every execution SUCCESS with each step recorded once', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 1e9));
    const random = mulberry32(seed);
    const dataDir = join(base, 'data');
    const sideFile = join(base, 'side.log');
    const ended = new Set<string>();
    const rounds: Round[] = [];
    const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
    for (const [r, point] of kills.entries()) {
      const kill: Kill =
        point === 'starts'
          ? { on: 'recorded', after: between(1, COUNT - 1) }
          : point === 'open'
            ? { on: 'opened', after: 1 }
            : { on: 'ended', after: between(MIN_ENDED, MAX_ENDED) };
      rounds.push(await runRound(dataDir, durability, sideFile, kill, ended, `seed ${seed}, round ${r}`));
      if (rounds.at(-1)?.outcome === 'done') break;
    }
    if (rounds.at(-1)?.outcome !== 'done')
      rounds.push(await runRound(dataDir, durability, sideFile, undefined, ended, `seed ${seed}, last round`));
    const where = `seed ${seed}, rounds ${JSON.stringify(rounds)}`;
    if (process.env.CRASH_VERBOSE) console.info(`${durability}: ${where}`);

    // The run really crashed mid-work: some reopened worker found unfinished or unstarted executions.
    const resumedWork = rounds.slice(1).some((r) => r.opened && (r.opened.unfinished > 0 || r.opened.total < COUNT));
    expect(resumedWork, `${where}: no round was killed with work left`).toBe(true);

    await checkRecords(dataDir, durability, sideFile, where);
    await checkResults(dataDir, durability, where);
  }, 110_000);
});

/** Forks the worker and SIGKILLs it as `kill` says, or lets it run to `done`. */
async function runRound(
  dataDir: string,
  durability: Durability,
  sideFile: string,
  kill: Kill,
  ended: Set<string>,
  where: string,
): Promise<Round> {
  const round: Round = { kill, outcome: 'killed' };
  const bad: string[] = [];
  let failure: string | undefined;
  const seen = { opened: 0, recorded: 0, ended: 0 };
  let done = false;
  const count = (on: keyof typeof seen, killNow: () => void): void => {
    if (++seen[on] !== kill?.after || kill.on !== on) return;
    round.endedAtKill = ended.size;
    killNow();
  };
  const onMessage = (m: WorkerMessage, killNow: () => void): void => {
    switch (m.type) {
      case 'opened':
        round.opened = { total: m.total, unfinished: m.unfinished };
        count('opened', killNow);
        break;
      case 'recorded':
        count('recorded', killNow);
        break;
      case 'ended': {
        const n = Number(m.id.slice('crash-'.length));
        if (!m.ok) bad.push(`${m.id} failed: ${m.error}`);
        else if (m.value !== expectedSteps(n)[2]) bad.push(`${m.id} answered ${JSON.stringify(m.value)}`);
        else if (!ended.has(m.id)) {
          ended.add(m.id);
          count('ended', killNow);
        }
        break;
      }
      case 'done':
        done = true;
        break;
      case 'failed':
        failure = m.error;
        break;
    }
  };
  const { code, signal, killed, stalled, stderr } = await runWorker({
    worker: 'executions',
    args: [dataDir, durability, sideFile, String(COUNT)],
    onMessage,
  });
  const exit = `exit code ${code}, signal ${signal}`;
  expect(bad, `${where}: executions ended wrong`).toEqual([]);
  if (failure !== undefined || (!killed && !(done && code === 0)) || (killed && signal !== 'SIGKILL'))
    throw new Error(`${where}: the worker failed (${exit}, done ${done})\n${failure ?? ''}\nstderr:\n${stderr}`);
  if (stalled && done)
    throw new Error(`${where}: the worker sent done but did not exit within ${STALL_MS} ms after rt.close()`);
  if (stalled)
    throw new Error(
      `${where}: no progress for ${STALL_MS} ms; ${ended.size} of ${COUNT} executions reported SUCCESS\n` +
        `${await describeUnfinished(dataDir, durability)}\nstderr:\n${stderr}`,
    );
  if (done && !killed) round.outcome = 'done';
  return round;
}

/**
 * Reads the folder without resuming anything (no workflows registered): every execution
 * SUCCESS with its result, each history exactly [scheduled, completed] per step in order, and
 * every step's effect in the side file.
 */
async function checkRecords(dataDir: string, durability: Durability, sideFile: string, where: string): Promise<void> {
  const effects = readSideFile(sideFile);
  rt = await Runtime.open({ dataDir, durability, logger: silent });
  const infos = await listAll(rt);
  const problems: string[] = [];
  expect(infos.map((i) => i.id).sort(), `${where}: executions recorded`).toEqual(
    Array.from({ length: COUNT }, (_, n) => `crash-${n}`).sort(),
  );
  for (const info of infos) {
    const n = Number(info.id.slice('crash-'.length));
    const steps = expectedSteps(n);
    const history = await (await rt.get(info.id)).history();
    const expected = STEPS.flatMap((s) => [
      `scheduled ${s} ${ACTIVITY_OF_STEP[s - 1]}`,
      `completed ${s} ${steps[s - 1]}`,
    ]);
    const actual = history.map(describeEvent);
    const missing = STEPS.filter((s) => !effects.has(`${info.id}:${s}`));
    if (info.status !== 'SUCCESS' || info.result !== steps[2] || !isEqual(actual, expected) || missing.length > 0)
      problems.push(
        `${info.id}: status ${info.status}, result ${JSON.stringify(info.result)} (want ${steps[2]}), ` +
          `steps without a side effect ${JSON.stringify(missing)}, history ${JSON.stringify(actual)}\n` +
          `  record ${JSON.stringify(info)}\n  raw history ${JSON.stringify(history)}`,
      );
  }
  const strays = [...effects.keys()].filter((k) => !/^crash-\d+:[123]$/.test(k));
  if (strays.length > 0) problems.push(`side file lines for unknown steps: ${strays.slice(0, 10).join(', ')}`);
  expect(problems.slice(0, 5).join('\n'), `${where}: ${problems.length} executions wrong`).toBe('');
  if (process.env.CRASH_VERBOSE) {
    const repeated = [...effects.values()].filter((attempts) => attempts.length > 1);
    const sameAttempt = repeated.filter((attempts) => new Set(attempts).size < attempts.length).length;
    const runs = `${repeated.length} ran more than once, ${sameAttempt} with a repeated attempt number`;
    console.info(`side file: ${effects.size} steps, ${runs}`);
  }
  await rt.close();
  rt = undefined;
}

/** Opens with the workflows and activities: nothing is left to resume, and every handle answers its result. */
async function checkResults(dataDir: string, durability: Durability, where: string): Promise<void> {
  rt = await Runtime.open({
    dataDir,
    durability,
    workflows: [crashChain],
    activities: [CRASH_ACTIVITIES],
    threads: 1,
    logger: silent,
  });
  const results = await Promise.all(
    Array.from({ length: COUNT }, async (_, n) => (await rt!.get(`crash-${n}`)).result()),
  );
  expect(results, `${where}: results`).toEqual(Array.from({ length: COUNT }, (_, n) => expectedSteps(n)[2]));
  await rt.close();
  rt = undefined;
}

/** For a stalled run: each execution not SUCCESS, with its record and history, read without resuming it. */
async function describeUnfinished(dataDir: string, durability: Durability): Promise<string> {
  const reader = await Runtime.open({ dataDir, durability, logger: silent });
  try {
    const lines: string[] = [];
    for (const info of await listAll(reader)) {
      if (info.status === 'SUCCESS') continue;
      const history = await (await reader.get(info.id)).history();
      lines.push(`${info.id}: ${JSON.stringify(info)}\n  history ${JSON.stringify(history)}`);
    }
    return `${lines.length} executions not SUCCESS:\n${lines.slice(0, 5).join('\n')}`;
  } finally {
    await reader.close();
  }
}

async function listAll(runtime: Runtime): Promise<ExecutionInfo[]> {
  const all: ExecutionInfo[] = [];
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const page = await runtime.list({ limit: 1000, ...(cursor !== undefined && { cursor }) });
    all.push(...page.items);
    cursor = page.cursor;
  }
  return all;
}

function describeEvent(e: HistoryEvent): string {
  switch (e.type) {
    case 'activity.scheduled':
      return `scheduled ${e.step} ${e.activity}`;
    case 'activity.completed':
      return `completed ${e.step} ${JSON.stringify(decodeValue(e.result))}`;
    case 'activity.failed':
      return `failed ${e.step} attempt ${e.attempt}: ${e.error.message}`;
    default:
      return `${e.type} ${e.step}`;
  }
}

/** Side file lines `<executionId>:<step> <attempt>`, as key → the attempts that ran. */
function readSideFile(file: string): Map<string, number[]> {
  const effects = new Map<string, number[]>();
  if (!existsSync(file)) return effects;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const [key = '', attempt] = line.split(' ');
    effects.set(key, [...(effects.get(key) ?? []), Number(attempt)]);
  }
  return effects;
}

function isEqual(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
