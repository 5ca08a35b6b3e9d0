import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { toRemoteError } from '../errors.js';
import { HistogramRecorder, LATENCY_BOUNDS, type Histogram } from '../metrics.js';
import { CONTROL_CHANNEL, type ControlMessage, type WorkerOutcome, type WorkerTask } from './protocol.js';

export interface PoolOptions {
  /** Threads per task list. */
  threads: number;
  /** Load workers with tsx (some activity module is TypeScript). */
  typescript: boolean;
  /** Activities in flight per thread: I/O-bound activities overlap, CPU-bound ones queue. */
  concurrentTasksPerWorker: number;
}

/** The outcome of one attempt, including failures of the thread itself. */
export type AttemptOutcome = WorkerOutcome | { ok: false; crashed: string };

const isTs = import.meta.url.endsWith('.ts');

/**
 * Piscina pools, one per task list, created on first use. Activities are cancelled
 * cooperatively over a broadcast channel (their AbortSignal fires) rather than with
 * Piscina's abort, which kills the thread and would stop every task sharing it.
 */
export class ActivityPool {
  readonly #options: PoolOptions;
  readonly #pools = new Map<string, Piscina>();
  readonly #control = new BroadcastChannel(CONTROL_CHANNEL);
  readonly #heartbeats = new Map<number, (details: unknown) => void>();
  #nextTaskId = 1;
  /** Attempt latency by task list, activity and outcome (key joined with NUL). */
  readonly #latency = new Map<string, HistogramRecorder>();

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#control.unref();
    this.#control.onmessage = (event: unknown) => {
      const msg = (event as { data: ControlMessage }).data;
      if (msg.type === 'heartbeat') this.#heartbeats.get(msg.taskId)?.(msg.details);
    };
  }

  /** A fresh id for a task; pass it to {@link run}, {@link abort} and heartbeat listeners. */
  taskId(): number {
    return this.#nextTaskId++;
  }

  /** Runs one attempt. Never rejects: a crashed thread or an uncloneable result is an outcome too. */
  async run(taskList: string, task: WorkerTask, onHeartbeat?: (details: unknown) => void): Promise<AttemptOutcome> {
    if (onHeartbeat) this.#heartbeats.set(task.taskId, onHeartbeat);
    const began = performance.now();
    let ok = false;
    try {
      const outcome = (await this.#pool(taskList).run(task)) as WorkerOutcome;
      ok = outcome.ok;
      return outcome;
    } catch (err) {
      const remote = toRemoteError(err);
      if (remote.name === 'DataCloneError')
        return {
          ok: false,
          error: { ...remote, message: `its arguments or result cannot cross threads: ${remote.message}` },
        };
      return { ok: false, crashed: remote.message };
    } finally {
      if (onHeartbeat) this.#heartbeats.delete(task.taskId);
      this.#observe(taskList, task.activity, ok, (performance.now() - began) / 1000);
    }
  }

  #observe(taskList: string, activity: string, ok: boolean, seconds: number): void {
    const key = `${taskList}\u0000${activity}\u0000${ok ? 1 : 0}`;
    let recorder = this.#latency.get(key);
    if (!recorder) this.#latency.set(key, (recorder = new HistogramRecorder(LATENCY_BOUNDS)));
    recorder.observe(seconds);
  }

  /** Attempt latency in seconds per task list, activity and outcome. */
  latency(): Array<{ taskList: string; activity: string; ok: boolean; latency: Histogram }> {
    return [...this.#latency].map(([key, recorder]) => {
      const [taskList = '', activity = '', ok] = key.split('\u0000');
      return { taskList, activity, ok: ok === '1', latency: recorder.snapshot() };
    });
  }

  /** Fires the attempt's AbortSignal in its worker. */
  abort(taskId: number, reason: string): void {
    this.#control.postMessage({ type: 'abort', taskId, reason } satisfies ControlMessage);
  }

  /** Utilisation and queue depth per task list, for metrics. */
  stats(): Array<{ taskList: string; threads: number; queueSize: number; utilization: number; completed: number }> {
    return [...this.#pools].map(([taskList, p]) => ({
      taskList,
      threads: p.threads.length,
      queueSize: p.queueSize,
      utilization: p.utilization,
      completed: p.completed,
    }));
  }

  /** Lets running attempts finish for up to `graceMs`, then stops the threads. */
  async close(graceMs: number): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled(pools.map((p) => p.close())), grace]);
    clearTimeout(timer);
    await Promise.allSettled(pools.map((p) => p.destroy()));
    this.#control.close();
  }

  #pool(taskList: string): Piscina {
    let pool = this.#pools.get(taskList);
    if (!pool) {
      const { threads, concurrentTasksPerWorker, typescript } = this.#options;
      const needsTsx = (isTs || typescript) && !process.execArgv.some((a) => a.includes('tsx'));
      pool = new Piscina({
        filename: new URL(`./worker.${isTs ? 'ts' : 'js'}`, import.meta.url).href,
        minThreads: threads,
        maxThreads: threads,
        concurrentTasksPerWorker,
        atomics: 'async',
        idleTimeout: 60_000,
        ...(needsTsx && { execArgv: [...process.execArgv, '--import', 'tsx'] }),
      });
      this.#pools.set(taskList, pool);
    }
    return pool;
  }
}
