/**
 * `w8-resume`: N executions waiting on a signal. A child process starts them and measures
 * its memory (after a full GC) before and after; a second one reopens the folder, as after a
 * restart, signals every execution and times until all have finished. Each in its own
 * process, so the RSS is the runtime's. The target is at N = 100,000: the figures
 * project there linearly from the N measured.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Durability } from '../../src/index.js';
import { EXT } from '../fixtures.js';
import { MiB } from '../memory.js';
import { scaled, type Workload } from '../workload.js';
import { atMost } from './targets.js';

export interface W8Sizes {
  executions: number;
}

export interface HoldResult {
  /** After the warm-up, before any execution is held (after a full GC). */
  baselineRssBytes: number;
  /** Holding all N. */
  waitingRssBytes: number;
  /** Between holding N/2 and N: what one more waiting execution costs. */
  rssPerExecutionBytes: number;
  heapPerExecutionBytes: number;
  externalPerExecutionBytes: number;
  /** From the first start until all N were WAITING_SIGNAL (the halfway measurement left out). */
  holdSeconds: number;
  /** Whether memory was measured after a full GC (`--expose-gc`). */
  gc: boolean;
  peakRssBytes: number;
}

export interface ResumeResult {
  /** `Runtime.open` on the folder: every unfinished execution loaded. */
  openSeconds: number;
  /** From the open until every execution had finished, signals sent as soon as it was open. */
  resumeSeconds: number;
  recovered: number;
  recoveredRssBytes: number;
  completed: number;
  peakRssBytes: number;
}

/** The size: where the projections aim. */
export const TARGET_EXECUTIONS = 100_000;
const GiB = 1024 * MiB;
/** The smallest N whose projections get a verdict (`--scale 0.02`). */
const MIN_JUDGED = 2_000;

const CHILD = fileURLToPath(new URL(`./w8-child.${EXT}`, import.meta.url));

/** Runs one phase in a child process; answers what it sent back. */
function phase<T>(name: 'hold' | 'resume', dataDir: string, mode: Durability, n: number, threads: number): Promise<T> {
  const tsx = EXT === 'ts' ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  const child = fork(CHILD, [name, dataDir, mode, String(n), String(threads)], {
    execArgv: [...tsx, '--expose-gc'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<T>((resolve, reject) => {
    let answer: T | undefined;
    child.on('message', (m) => (answer = m as T));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (answer !== undefined && code === 0) resolve(answer);
      else reject(new Error(`w8-resume ${name}: the child exited (${signal ?? code}) without an answer:\n${stderr}`));
    });
  });
}

export const w8Resume: Workload<W8Sizes> = {
  name: 'w8-resume',
  sizes: ({ scale }) => ({ executions: scaled(TARGET_EXECUTIONS, scale, 200) }),
  figures: (s) => {
    const n = s.executions.toLocaleString('en-US');
    const projected = s.executions !== TARGET_EXECUTIONS;
    // Below a few thousand, one execution's share drowns in the heap's own steps: no verdict.
    const judged = s.executions >= MIN_JUDGED;
    const at = TARGET_EXECUTIONS.toLocaleString('en-US');
    return [
      {
        key: 'holdPerSec',
        label: `${n} executions started and parked on a signal`,
        unit: 'executions/s',
        better: 'higher',
      },
      {
        key: 'rssPerExecutionBytes',
        label: 'RSS per waiting execution (N/2 → N, after GC)',
        unit: 'bytes',
        better: 'lower',
      },
      {
        key: 'heapPerExecutionBytes',
        label: 'JS heap per waiting execution (N/2 → N, after GC)',
        unit: 'bytes',
        better: 'lower',
      },
      { key: 'baselineRssBytes', label: 'RSS before (runtime open, warmed up)', unit: 'bytes', better: 'lower' },
      { key: 'waitingRssBytes', label: `RSS holding ${n} waiting executions`, unit: 'bytes', better: 'lower' },
      {
        key: 'projectedRssBytes',
        label: projected ? `RSS projected to ${at} waiting` : `RSS holding ${at} waiting`,
        unit: 'bytes',
        better: 'lower',
        ...(judged && { target: atMost(GiB, '≤ 1 GiB') }),
      },
      { key: 'openSeconds', label: `restart: open the folder with ${n} unfinished`, unit: 's', better: 'lower' },
      { key: 'resumeSeconds', label: `restart: open, signal and finish all ${n}`, unit: 's', better: 'lower' },
      {
        key: 'projectedResumeSeconds',
        label: projected ? `restart to all finished, projected to ${at}` : `restart to all ${at} finished`,
        unit: 's',
        better: 'lower',
        ...(judged && { target: atMost(30, '≤ 30 s') }),
      },
      { key: 'recoveredRssBytes', label: `RSS after the restart, ${n} loaded`, unit: 'bytes', better: 'lower' },
    ];
  },
  runs: 'self',
  notes: [
    'w8-resume: each phase runs in a child process (--expose-gc); memory per execution is the growth from N/2 to N held,',
    `  after a full GC, ÷ N/2; projections to ${TARGET_EXECUTIONS.toLocaleString('en-US')} are linear: RSS holding N + per execution × the rest,`,
    `  and the restart time × ${TARGET_EXECUTIONS.toLocaleString('en-US')} ÷ N; judged against the targets from N = ${MIN_JUDGED.toLocaleString('en-US')} (--scale 0.02) up.`,
  ],
  async run(ctx, s) {
    const n = s.executions;
    const dir = ctx.dataDir();
    ctx.progress(`holding ${n.toLocaleString('en-US')}`);
    const held = await phase<HoldResult>('hold', dir, ctx.mode, n, ctx.options.threads);
    ctx.progress('restart');
    const resumed = await phase<ResumeResult>('resume', dir, ctx.mode, n, ctx.options.threads);
    return {
      values: {
        holdPerSec: n / held.holdSeconds,
        rssPerExecutionBytes: held.rssPerExecutionBytes,
        heapPerExecutionBytes: held.heapPerExecutionBytes,
        baselineRssBytes: held.baselineRssBytes,
        waitingRssBytes: held.waitingRssBytes,
        // At a small N the slope can come out below zero (noise): project no shrinking.
        projectedRssBytes:
          held.waitingRssBytes + Math.max(0, held.rssPerExecutionBytes) * Math.max(0, TARGET_EXECUTIONS - n),
        openSeconds: resumed.openSeconds,
        resumeSeconds: resumed.resumeSeconds,
        projectedResumeSeconds: (resumed.resumeSeconds * TARGET_EXECUTIONS) / n,
        recoveredRssBytes: resumed.recoveredRssBytes,
      },
      counts: { submitted: n, completed: Math.min(resumed.completed, resumed.recovered) },
      peakRssBytes: Math.max(held.peakRssBytes, resumed.peakRssBytes),
    };
  },
};
